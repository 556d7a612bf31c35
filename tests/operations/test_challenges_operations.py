"""Team challenges against a real database: creating, live standings, edge cases, finalizing."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.kinds import Role
from app.models import BadgeAward, Challenge, ChallengeResult
from app.operations import Invalid, NotFound
from app.operations import challenges as ops
from app.operations import touches

from support import NOW

UTC = timezone.utc
START = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # Monday 08:00 in Berlin
END = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # Friday 17:00 in Berlin, 10:00 in Chicago


@pytest.fixture
def coach(make_user, make_org):
    return make_user(team=make_org(), role=Role.coach, timezone="Europe/Berlin")


def _rep(make_user, coach, *, created_at=START - timedelta(days=30), **kwargs):
    rep = make_user(team=coach.team, **kwargs)
    rep.created_at = created_at  # the instant the rep joined the team
    return rep


def _challenge(session, coach, *, metric="team_touches", target=4, starts_at=START, ends_at=END, **fields):
    challenge = Challenge(
        organization_id=coach.organization_id, team_id=coach.team_id, created_by_id=coach.id, title="Push week",
        metric=metric, target=target, starts_at=starts_at, ends_at=ends_at, created_at=starts_at, **fields,
    )
    session.add(challenge)
    session.flush()
    return challenge


def _touch(session, rep, customer, at, kind="call"):
    return touches.log_touch(session, user=rep, customer_id=customer.id, kind=kind, now=at).touch


def _values(**overrides):
    values = {
        "title": "Letters week", "description": "", "metric": "team_touches", "target": "20",
        "starts_at": "2026-11-30T08:00", "ends_at": "2026-12-04T18:00",
    }
    values.update(overrides)
    return values


def test_create_converts_the_coach_local_times_to_utc_instants(session, coach):
    challenge = ops.create_challenge(session, coach, _values(), now=NOW)
    assert challenge.starts_at == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    assert challenge.ends_at == datetime(2026, 12, 4, 17, 0, tzinfo=UTC)
    assert (challenge.team_id, challenge.metric, challenge.target) == (coach.team_id, "team_touches", 20)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"metric": "emails_sent"}, "metric"),
        ({"target": "0"}, "target"),
        ({"target": "abc"}, "target"),
        ({"metric": "coverage", "target": "101"}, "target"),
        ({"metric": "kinds_used", "target": "12"}, "target"),
        ({"ends_at": "2026-11-30T08:00"}, "ends_at"),
        ({"ends_at": "2026-11-29T08:00"}, "ends_at"),
        ({"ends_at": "2027-03-01T08:00"}, "ends_at"),
        ({"starts_at": "2026-11-01T08:00", "ends_at": "2026-11-20T08:00"}, "ends_at"),
        ({"starts_at": "yesterday"}, "starts_at"),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(session, coach, overrides, field):
    with pytest.raises(Invalid) as exc:
        ops.create_challenge(session, coach, _values(**overrides), now=NOW)
    assert field in exc.value.fields
    assert session.scalar(select(func.count(Challenge.id))) == 0


def test_ninety_days_is_the_longest_challenge(session, coach):
    ops.create_challenge(session, coach, _values(starts_at="2026-12-01T08:00", ends_at="2027-03-01T08:00"), now=NOW)
    with pytest.raises(Invalid):
        ops.create_challenge(session, coach, _values(starts_at="2026-12-01T08:00", ends_at="2027-03-01T08:01"), now=NOW)


def test_only_a_coach_with_a_team_creates_challenges(session, make_user, coach):
    rep = make_user(team=coach.team)
    with pytest.raises(NotFound):
        ops.create_challenge(session, rep, _values(), now=NOW)


def test_live_progress_sums_the_reps_and_splits_the_target(session, coach, make_user, make_customer):
    anna, ben = _rep(make_user, coach, name="Anna"), _rep(make_user, coach, name="Ben")
    ca, cb = make_customer(anna, now=START - timedelta(days=20)), make_customer(ben, now=START - timedelta(days=20))
    challenge = _challenge(session, coach)
    _touch(session, anna, ca, START + timedelta(days=1))
    _touch(session, anna, ca, START + timedelta(days=2), kind="letter")
    _touch(session, ben, cb, START + timedelta(days=2))
    _touch(session, ben, cb, START - timedelta(hours=1))  # before the start: does not count
    standings = ops.evaluate(session, challenge, now=START + timedelta(days=3))
    assert (standings.team.value, standings.team.target, standings.team.display_percent) == (3, 4, 75)
    assert {r.user_id: (r.value, r.target) for r in standings.reps} == {anna.id: (2, 2), ben.id: (1, 2)}
    assert [e.rep.user_id for e in standings.ranking] == [anna.id, ben.id]
    assert standings.final is False


def test_a_hidden_rep_counts_for_the_team_but_is_not_ranked(session, coach, make_user, make_customer):
    anna, ben = _rep(make_user, coach), _rep(make_user, coach, hide_from_rankings=True)
    _touch(session, ben, make_customer(ben, now=START), START + timedelta(hours=2))
    _touch(session, anna, make_customer(anna, now=START), START + timedelta(hours=3))
    standings = ops.evaluate(session, _challenge(session, coach), now=START + timedelta(days=1))
    assert standings.team.value == 2
    assert [e.rep.user_id for e in standings.ranking] == [anna.id]
    assert standings.rep(ben.id).value == 1


def test_a_rep_who_joins_mid_challenge_counts_from_joining_with_a_pro_rated_target(session, coach, make_user, make_customer):
    anna = _rep(make_user, coach)
    halfway = START + (END - START) / 2
    late = _rep(make_user, coach, created_at=halfway)
    customer = make_customer(late, now=halfway)
    _touch(session, late, customer, halfway + timedelta(hours=1))
    challenge = _challenge(session, coach, target=8)
    standings = ops.evaluate(session, challenge, now=halfway + timedelta(hours=2))
    joined = standings.rep(late.id)
    assert joined.counted_from == halfway
    # 8 split over the 2 reps counting by then = 4, half the time left: 2.
    assert (joined.value, joined.target) == (1, 2)
    assert standings.rep(anna.id).target == 8  # anna's, set at the start, does not shrink
    assert standings.team.target == 8


def test_a_rep_who_joins_after_the_end_takes_no_part(session, coach, make_user):
    _rep(make_user, coach)
    late = _rep(make_user, coach, created_at=END + timedelta(minutes=1))
    standings = ops.evaluate(session, _challenge(session, coach), now=END + timedelta(days=1))
    assert standings.rep(late.id) is None


def test_the_end_is_one_instant_for_reps_in_every_time_zone(session, coach, make_user, make_customer):
    berlin = _rep(make_user, coach, timezone="Europe/Berlin")
    chicago = _rep(make_user, coach, timezone="America/Chicago")
    cb, cc = make_customer(berlin, now=START), make_customer(chicago, now=START)
    _touch(session, berlin, cb, END - timedelta(minutes=1))  # 16:59 in Berlin: counts
    _touch(session, chicago, cc, END - timedelta(minutes=1))  # 09:59 in Chicago: counts
    _touch(session, chicago, cc, END, kind="letter")  # 10:00 in Chicago, still "Friday": too late
    standings = ops.evaluate(session, _challenge(session, coach, target=10), now=END + timedelta(hours=1))
    assert standings.rep(berlin.id).value == 1
    assert standings.rep(chicago.id).value == 1
    assert standings.final is True


def test_finalize_freezes_results_writes_rows_and_awards_the_finisher_badge(session, coach, make_user, make_customer):
    anna, ben = _rep(make_user, coach), _rep(make_user, coach)
    hidden = _rep(make_user, coach, hide_from_rankings=True)
    ca, cb, ch = (make_customer(r, now=START) for r in (anna, ben, hidden))
    challenge = _challenge(session, coach, target=3)  # own targets: 1 each
    _touch(session, anna, ca, START + timedelta(hours=5))
    _touch(session, hidden, ch, START + timedelta(hours=6))
    with pytest.raises(ValueError):
        ops.finalize(session, challenge, now=END - timedelta(seconds=1))
    assert ops.finalize(session, challenge, now=END + timedelta(hours=1)) is True
    assert ops.finalize(session, challenge, now=END + timedelta(hours=2)) is False
    results = {r.user_id: r for r in ops.results_of(session, challenge)}
    assert {uid: (r.value, r.target, r.finished, r.position) for uid, r in results.items()} == {
        anna.id: (1, 1, True, 1), ben.id: (0, 1, False, 2), hidden.id: (1, 1, True, None),
    }
    assert all(r.announced_at is None for r in results.values())
    badges = set(session.execute(select(BadgeAward.user_id, BadgeAward.code).where(BadgeAward.code == "challenge_finisher")))
    assert badges == {(anna.id, "challenge_finisher"), (hidden.id, "challenge_finisher")}
    assert challenge.finalized_at == END + timedelta(hours=1)
    assert session.scalar(select(func.count(ChallengeResult.id))) == 3


def test_a_touch_deleted_after_the_end_leaves_the_result_unchanged(session, coach, make_user, make_customer):
    anna = _rep(make_user, coach)
    customer = make_customer(anna, now=START)
    challenge = _challenge(session, coach, target=2)
    touch = _touch(session, anna, customer, END - timedelta(hours=1))
    live = ops.evaluate(session, challenge, now=END - timedelta(minutes=1))
    touches.delete_touch(session, touch, now=END + timedelta(minutes=5))
    # Not finalized yet: the late delete still does not change the answer.
    assert ops.evaluate(session, challenge, now=END + timedelta(hours=1)).team.value == live.team.value == 1
    ops.finalize(session, challenge, now=END + timedelta(hours=1))
    assert ops.evaluate(session, challenge, now=END + timedelta(days=3)).team.value == 1


def test_a_touch_deleted_before_the_end_does_not_count(session, coach, make_user, make_customer):
    anna = _rep(make_user, coach)
    customer = make_customer(anna, now=START)
    challenge = _challenge(session, coach, target=2)
    touch = _touch(session, anna, customer, START + timedelta(hours=1))
    touches.delete_touch(session, touch, now=START + timedelta(hours=2))
    assert ops.evaluate(session, challenge, now=END + timedelta(hours=1)).team.value == 0


def test_coverage_counts_a_and_b_customers_not_quiet(session, coach, make_user, make_customer):
    anna = _rep(make_user, coach)
    now = START + timedelta(days=1)
    fresh = make_customer(anna, tier="A", now=START - timedelta(days=2))
    make_customer(anna, tier="A", now=START - timedelta(days=20))  # quiet: 8 > 7 days... and more
    make_customer(anna, tier="C", now=START - timedelta(days=90))  # C: not part of coverage
    standings = ops.evaluate(session, _challenge(session, coach, metric="coverage", target=80), now=now)
    rep = standings.rep(anna.id)
    assert (rep.covered, rep.customers) == (1, 2)
    assert standings.team.value == 50
    assert fresh.tier.value == "A"


def test_finalize_due_finalizes_each_ended_challenge_once(session, coach, make_user, runner):
    _rep(make_user, coach)
    ended = _challenge(session, coach)
    running = _challenge(session, coach, ends_at=END + timedelta(days=7))
    session.commit()
    result = runner.invoke(args=["challenges", "finalize", "--at", (END + timedelta(hours=1)).isoformat()])
    assert result.exit_code == 0, result.output
    assert "1 challenges finalized" in result.output
    again = runner.invoke(args=["challenges", "finalize", "--at", (END + timedelta(hours=2)).isoformat()])
    assert "0 challenges finalized" in again.output
    session.expire_all()
    assert ended.finalized_at is not None and ended.results
    assert running.finalized_at is None


def test_award_badge_is_idempotent(session, make_user):
    rep = make_user()
    assert ops.award_badge(session, rep, "challenge_finisher", now=NOW) is True
    assert ops.award_badge(session, rep, "challenge_finisher", now=NOW) is False
    assert session.scalar(select(func.count(BadgeAward.id)).where(BadgeAward.code == "challenge_finisher")) == 1
