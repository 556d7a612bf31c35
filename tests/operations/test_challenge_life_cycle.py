"""A challenge's life cycle against a real database: fixed targets, edit, end early, delete, the crisis storm week."""

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select

from app.kinds import Role
from app.models import BadgeAward, Challenge, ChallengeResult, ChallengeTarget
from app.nudges import reads
from app.operations import Conflict, Invalid, NotFound, crisis
from app.operations import challenges as ops
from app.operations import touches

from support import NOW

UTC = timezone.utc
START = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # Monday 08:00 in Berlin
END = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # Friday 17:00 in Berlin
RUNNING = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # Wednesday


@pytest.fixture
def coach(make_user, make_org):
    return make_user(team=make_org(), role=Role.coach, timezone="Europe/Berlin")


def _rep(make_user, coach, *, created_at=START - timedelta(days=30), **kwargs):
    rep = make_user(team=coach.team, **kwargs)
    rep.created_at = created_at
    return rep


def _challenge(session, coach, *, metric="team_touches", target=30, starts_at=START, ends_at=END, **fields):
    fields.setdefault("title", "Push week")
    challenge = Challenge(organization_id=coach.organization_id, team_id=coach.team_id, created_by_id=coach.id,
                          metric=metric, target=target, starts_at=starts_at, ends_at=ends_at,
                          created_at=starts_at - timedelta(days=1), **fields)
    session.add(challenge)
    session.flush()
    return challenge


def _targets(session, challenge) -> dict[int, int]:
    return ops.stored_targets(session, challenge)


def _edit(**overrides):
    values = {"title": "Push week", "description": "", "target": "30", "ends_at": "2026-11-27T17:00"}
    values.update(overrides)
    return values


# --- fixed targets ----------------------------------------------------------------------------


def test_targets_are_fixed_at_the_first_board_after_the_start_and_a_joiner_shrinks_nobodys(session, coach, make_user):
    reps = [_rep(make_user, coach) for _ in range(3)]
    challenge = _challenge(session, coach)
    assert ops.board(session, challenge, now=START - timedelta(hours=1)).written is False  # not started: nothing
    assert _targets(session, challenge) == {}
    board = ops.board(session, challenge, now=RUNNING)
    assert board.written and _targets(session, challenge) == {r.id: 10 for r in reps}
    late = _rep(make_user, coach, created_at=RUNNING + timedelta(hours=1))
    later = RUNNING + timedelta(hours=2)
    standings = ops.board(session, challenge, now=later).standings
    assert [standings.rep(r.id).target for r in reps] == [10, 10, 10]
    # The joiner: 30 split over the 4 counting by then, pro-rated by the time left (54 of 105 hours).
    assert standings.rep(late.id).target == 4 and _targets(session, challenge)[late.id] == 4
    assert ops.board(session, challenge, now=later).written is False  # all fixed: nothing more to write


def test_a_rep_who_leaves_changes_nobodys_target(session, coach, make_user):
    reps = [_rep(make_user, coach) for _ in range(3)]
    challenge = _challenge(session, coach)
    ops.board(session, challenge, now=RUNNING)
    reps[2].team_id = None
    session.flush()
    standings = ops.evaluate(session, challenge, now=RUNNING + timedelta(hours=1))
    assert [r.target for r in standings.reps] == [10, 10]


def test_finalizing_fixes_the_targets_it_judges_by(session, coach, make_user):
    rep = _rep(make_user, coach)
    challenge = _challenge(session, coach, target=12)
    assert ops.finalize(session, challenge, now=END)
    assert _targets(session, challenge) == {rep.id: 12}
    assert session.scalar(select(ChallengeResult.target)) == 12


# --- edit ----------------------------------------------------------------------------------------


def test_the_coach_edits_title_description_target_and_end(session, coach, make_user):
    _rep(make_user, coach)
    challenge = _challenge(session, coach, starts_at=NOW + timedelta(days=3), ends_at=NOW + timedelta(days=7))
    ops.edit_challenge(session, challenge, coach, _edit(title="Letters week", description="Write!", target="12",
                                                        ends_at="2026-12-05T18:00"), now=NOW)
    assert (challenge.title, challenge.description, challenge.target) == ("Letters week", "Write!", 12)
    assert challenge.ends_at == datetime(2026, 12, 5, 17, 0, tzinfo=UTC)  # 18:00 in Berlin
    assert _targets(session, challenge) == {}  # not started: nothing fixed yet


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"description": "d" * 2001}, "description"),
        ({"target": "0"}, "target"),
        ({"target": "10001"}, "target"),
        ({"target": "many"}, "target"),
        ({"ends_at": "2026-11-27T10:00"}, "ends_at"),  # before now (11:00 in Berlin)
        ({"ends_at": "2026-11-22T10:00"}, "ends_at"),  # before the start
        ({"ends_at": "2027-03-01T10:00"}, "ends_at"),  # more than 90 days after the start
        ({"ends_at": "soon"}, "ends_at"),
    ],
)
def test_a_bad_edit_is_refused_and_changes_nothing(session, coach, make_user, overrides, field):
    _rep(make_user, coach)
    challenge = _challenge(session, coach, ends_at=NOW + timedelta(days=2))
    with pytest.raises(Invalid) as exc:
        ops.edit_challenge(session, challenge, coach, _edit(**overrides), now=NOW)
    assert field in exc.value.fields
    assert (challenge.title, challenge.target, challenge.ends_at) == ("Push week", 30, NOW + timedelta(days=2))


def test_raising_the_target_raises_fixed_targets_and_lowering_it_lowers_none(session, coach, make_user):
    reps = [_rep(make_user, coach) for _ in range(3)]
    challenge = _challenge(session, coach, ends_at=NOW + timedelta(days=2))
    ops.edit_challenge(session, challenge, coach, _edit(target="45", ends_at="2026-11-29T12:00"), now=NOW)
    assert _targets(session, challenge) == {r.id: 15 for r in reps}  # fixed at 10, then raised
    ops.edit_challenge(session, challenge, coach, _edit(target="15", ends_at="2026-11-29T12:00"), now=NOW)
    assert challenge.target == 15 and _targets(session, challenge) == {r.id: 15 for r in reps}
    late = _rep(make_user, coach, created_at=NOW + timedelta(hours=1))
    standings = ops.board(session, challenge, now=NOW + timedelta(hours=2)).standings
    assert standings.rep(late.id).target == 2  # fixed by the lowered team target: ceil(15 / 4 * share)


def test_an_ended_challenge_cannot_change(session, coach, make_user):
    _rep(make_user, coach)
    challenge = _challenge(session, coach)
    with pytest.raises(Conflict):
        ops.edit_challenge(session, challenge, coach, _edit(ends_at="2026-12-01T10:00"), now=END)
    ops.finalize(session, challenge, now=END)
    with pytest.raises(Conflict):
        ops.end_challenge(session, challenge, coach, now=END + timedelta(hours=1))


def test_only_the_teams_coach_manages_a_challenge(session, coach, make_user, make_org):
    rep = _rep(make_user, coach)
    stranger = make_user(team=make_org(), role=Role.coach)
    challenge = _challenge(session, coach, ends_at=NOW + timedelta(days=2))
    for who in (rep, stranger):
        with pytest.raises(NotFound):
            ops.edit_challenge(session, challenge, who, _edit(), now=NOW)
        with pytest.raises(NotFound):
            ops.end_challenge(session, challenge, who, now=NOW)
        with pytest.raises(NotFound):
            ops.delete_challenge(session, challenge, who, now=NOW)
        with pytest.raises(NotFound):
            ops.get_managed(session, who, challenge.id)
    assert session.get(Challenge, challenge.id).ends_at == NOW + timedelta(days=2)


# --- end early ------------------------------------------------------------------------------------


def test_ending_early_freezes_the_results_and_awards_finishers(session, coach, make_user, make_customer):
    anna = _rep(make_user, coach, name="Anna")
    ben = _rep(make_user, coach, name="Ben")
    challenge = _challenge(session, coach, target=2, ends_at=NOW + timedelta(days=3))
    touches.log_touch(session, user=anna, customer_id=make_customer(anna, now=START).id, kind="call",
                      now=RUNNING)
    ops.end_challenge(session, challenge, coach, now=NOW)
    assert (challenge.ends_at, challenge.finalized_at) == (NOW, NOW) and challenge.results["final"]
    results = {r.user_id: (r.value, r.target, r.finished) for r in session.scalars(select(ChallengeResult))}
    assert results == {anna.id: (1, 1, True), ben.id: (0, 1, False)}
    assert "challenge_finisher" in set(session.scalars(select(BadgeAward.code).where(BadgeAward.user_id == anna.id)))
    assert "challenge_finisher" not in set(session.scalars(select(BadgeAward.code).where(BadgeAward.user_id == ben.id)))
    # A touch logged after the early end does not count.
    touches.log_touch(session, user=ben, customer_id=make_customer(ben, now=START).id, kind="call",
                      now=NOW + timedelta(minutes=5))
    assert ops.evaluate(session, challenge, now=NOW + timedelta(hours=1)).rep(ben.id).value == 0
    # The nudge scan announces it like any finished challenge.
    found = reads.load_challenges(session, [anna.id, ben.id], at=NOW + timedelta(hours=1), since=NOW - timedelta(days=3))
    assert found[anna.id] == [(challenge.id, "Push week", None)] and found[ben.id]


def test_a_challenge_that_has_not_started_cannot_end_early(session, coach, make_user):
    _rep(make_user, coach)
    challenge = _challenge(session, coach, starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=5))
    with pytest.raises(Conflict):
        ops.end_challenge(session, challenge, coach, now=NOW)
    assert challenge.finalized_at is None


# --- delete ------------------------------------------------------------------------------------------


def test_a_challenge_nobody_progressed_in_is_deleted_with_its_targets(session, coach, make_user):
    _rep(make_user, coach)
    challenge = _challenge(session, coach, ends_at=NOW + timedelta(days=2))
    ops.board(session, challenge, now=NOW)
    assert _targets(session, challenge)
    ops.delete_challenge(session, challenge, coach, now=NOW)
    assert session.scalar(select(func.count(Challenge.id))) == 0
    assert session.scalar(select(func.count(ChallengeTarget.id))) == 0


def test_a_board_shown_after_a_concurrent_delete_is_not_found_and_writes_nothing(session, coach, make_user):
    _rep(make_user, coach)
    challenge = _challenge(session, coach, ends_at=NOW + timedelta(days=2))
    # Another request deleted the challenge and committed; this one still holds the object.
    session.execute(delete(Challenge).where(Challenge.id == challenge.id).execution_options(synchronize_session=False))
    with pytest.raises(NotFound):
        ops.board(session, challenge, now=NOW)
    assert session.scalar(select(func.count(ChallengeTarget.id))) == 0


def test_an_upcoming_coverage_challenge_can_be_deleted_though_customers_are_in_touch(session, coach, make_user,
                                                                                     make_customer):
    rep = _rep(make_user, coach)
    make_customer(rep, tier="A", now=NOW - timedelta(days=1))
    challenge = _challenge(session, coach, metric="coverage", target=80, starts_at=NOW + timedelta(days=1),
                           ends_at=NOW + timedelta(days=4))
    assert ops.progressed(session, challenge, now=NOW) is False
    ops.delete_challenge(session, challenge, coach, now=NOW)
    assert session.get(Challenge, challenge.id) is None


def test_a_challenge_somebody_progressed_in_cannot_be_deleted(session, coach, make_user, make_customer):
    anna = _rep(make_user, coach)
    challenge = _challenge(session, coach, ends_at=NOW + timedelta(days=2))
    touches.log_touch(session, user=anna, customer_id=make_customer(anna, now=START).id, kind="visit", now=RUNNING)
    with pytest.raises(Conflict) as exc:
        ops.delete_challenge(session, challenge, coach, now=NOW)
    assert "End it early instead" in exc.value.message
    assert session.get(Challenge, challenge.id) is not None


def test_a_touch_moved_out_of_the_cap_counts_as_scored(session, coach, make_user, make_customer):
    anna = _rep(make_user, coach, workdays=[0, 1, 2, 3, 4, 5, 6])
    customer = make_customer(anna, tier="C", now=START - timedelta(days=20))
    challenge = _challenge(session, coach, target=10, starts_at=START - timedelta(days=10), ends_at=END)
    logged = [touches.log_touch(session, user=anna, customer_id=customer.id, kind="call",
                                now=NOW - timedelta(hours=h)).touch for h in (3, 2, 1)]
    assert ops.evaluate(session, challenge, now=NOW).rep(anna.id).value == 2  # the third was capped
    touches.update_touch(session, logged[2], kind="call", note=None, direction="out", day=date(2026, 11, 21),
                         now=NOW)  # six days before the others: no longer the third in its window
    assert ops.evaluate(session, challenge, now=NOW).rep(anna.id).value == 3


# --- the crisis storm week ------------------------------------------------------------------------


def test_the_storm_week_starts_at_the_start_of_the_teams_local_day(session, coach):
    coach.day_start_hour = 5
    started = crisis.start_crisis(session, coach, reason="Strike", message="", now=NOW)  # 11:00 in Berlin
    challenge = started.challenge
    assert challenge.starts_at == datetime(2026, 11, 27, 4, 0, tzinfo=UTC)  # 05:00 in Berlin, this morning
    assert challenge.ends_at == datetime(2026, 12, 4, 4, 0, tzinfo=UTC)


def test_a_storm_weeks_texts_stay_the_templates_unless_the_coach_writes_new_ones(session, coach, make_user):
    _rep(make_user, coach)
    challenge = crisis.start_crisis(session, coach, reason="Strike", message="", now=NOW).challenge
    ends = "2026-12-04T03:00"
    ops.edit_challenge(session, challenge, coach, {"title": "Sturmwoche", "description": "", "target": "85",
                                                   "ends_at": ends}, now=NOW)
    assert (challenge.title, challenge.description, challenge.target) == ("", None, 85)
    ops.edit_challenge(session, challenge, coach, {"title": "Our storm", "description": "Call them all",
                                                   "target": "85", "ends_at": ends}, now=NOW)
    assert (challenge.title, challenge.description) == ("Our storm", "Call them all")
