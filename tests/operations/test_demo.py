"""The demo data behind ``make run``: ``flask demo seed`` and ``flask demo seed --reset``."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from app import badges, charts, clock, warmth
from app.cli import demo
from app.extensions import db
from app.kinds import Direction, Role, TouchKind
from app.models import BadgeAward, Challenge, Customer, Organization, PointsEntry, PushSubscription, Touch, User
from app.operations import away, awards, calendar_feeds, imports, invites, kudos, password_reset, tokens, touches, weekly_mail
from app.operations import challenges as challenge_ops
from app.push import outbox
from app.queries import customers as customers_q
from app.queries import streak as streak_q
from app.queries import team as team_q
from app.queries import today as today_q
from app.queries import trends as trends_q

DEMO_PASSWORD = "touchbase-demo"
BERLIN = "Europe/Berlin"


def _users(session) -> dict[str, User]:
    return {u.email: u for u in session.scalars(select(User).order_by(User.id))}


def _demo_users(session) -> dict[str, User]:
    return {u.email.split("@")[0]: u for u in session.scalars(select(User).where(User.email.in_(demo.DEMO_EMAILS)))}


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _berlin(*args: int) -> datetime:
    """Return the instant of a wall time in Berlin (Lena's and Katrin's zone; Zurich and Vienna agree)."""
    return datetime(*args, tzinfo=clock.zone(BERLIN)).astimezone(clock.UTC)


def check_demo(session, now: datetime) -> None:
    """Assert that the demo data looks like real use, as seen on *now*."""
    users = _demo_users(session)
    assert len(users) == 5
    assert Counter(u.role for u in users.values()) == {Role.rep: 4, Role.coach: 1}
    reps = [u for u in users.values() if u.role is Role.rep]
    assert len({u.timezone for u in reps}) == 4
    assert Counter(u.locale for u in reps) == {None: 1, "de": 1, "en": 2}
    customers = list(session.scalars(select(Customer).where(Customer.owner_id.in_([u.id for u in users.values()]))))
    assert 38 <= len(customers) <= 45
    assert Counter(c.owner_id for c in customers if c.owner.role is Role.rep) == {u.id: 10 for u in reps}

    touches_ = list(session.scalars(select(Touch).where(Touch.user_id.in_([u.id for u in users.values()]))))
    assert len(touches_) > 400
    assert {t.kind for t in touches_} == set(TouchKind)
    assert {t.direction for t in touches_} == {Direction.out, Direction.in_}
    workday_touches = 0
    for touch in touches_:
        owner = touch.user
        today = owner.today(now)
        assert touch.local_day == clock.local_day(touch.occurred_at, owner.timezone, owner.day_start_hour)
        assert touch.local_day <= today and touch.occurred_at <= now
        hour = clock.local_now(touch.occurred_at, owner.timezone).hour
        # Only a touch of today, when the seed runs before 07:00, lies between the day start and now.
        assert 7 <= hour < 22 or (touch.local_day == today and clock.local_now(now, owner.timezone).hour < 7)
        assert touch.customer.owner_id == owner.id
        assert touch.organization_id == owner.organization_id
        workday_touches += touch.local_day.weekday() in owner.workday_set
    assert workday_touches >= 0.9 * len(touches_)
    days = [t.local_day for t in touches_]
    assert (max(days) - min(days)).days >= 85
    assert any(t.rescue for t in touches_)

    # Notes are in the rep's language.
    english = {n for pair in demo.NOTES["en"].values() for pool in pair for n in pool}
    for touch in touches_:
        if touch.note and touch.user.locale == "en":
            assert touch.note in english
    assert all(t.note for t in touches_ if t.kind is TouchKind.other)

    by_customer: dict[int, list[Touch]] = {}
    for touch in sorted(touches_, key=lambda t: t.occurred_at):
        by_customer.setdefault(touch.customer_id, []).append(touch)
    for customer in customers:
        own = by_customer.get(customer.id, [])
        for i, touch in enumerate(own):  # a rescue, exactly when logging it would have made one
            before = max((t.local_day for t in own[:i]), default=None)
            was = warmth.status(last_touch_day=before, created_day=customer.created_day, today=touch.local_day,
                                cadence_days=customer.cadence_days, paused_until=customer.paused_until)
            assert touch.rescue == (was is warmth.Warmth.quiet)
        assert customer.last_touch_day == max((t.local_day for t in own if t.deleted_at is None), default=None)
        if own:
            assert customer.created_day < min(t.local_day for t in own)
            assert customer.created_at < min(t.occurred_at for t in own)
        assert customer.created_day == clock.local_day(
            customer.created_at, customer.owner.timezone, customer.owner.day_start_hour
        )

    counts = Counter()
    for user in reps:
        counts.update(r.warmth for r in customers_q.customer_rows(session, user, today=user.today(now)))
    assert counts[warmth.Warmth.quiet] >= 3
    assert counts[warmth.Warmth.warming] >= 2
    assert counts[warmth.Warmth.paused] >= 1
    assert counts[warmth.Warmth.green] > sum(counts.values()) / 3


def check_showcase(session, now: datetime) -> None:
    """Assert what the demo promises on *now*, through the reads the pages use."""
    people = _demo_users(session)
    lena, emma, mike, katrin = people["lena"], people["emma"], people["mike"], people["katrin"]

    # The demo rep: a live streak of several weeks with a freeze held, today's goal partly done.
    today = lena.today(now)
    day = today_q.day_summary(session, lena, today=today)
    assert day.streak == streak_q.summary(session, lena, today=today)
    assert day.streak.current >= 14 and day.streak.freezes >= 1 and len(day.streak.frozen_days) >= 1
    assert day.streak.today_active and not day.streak.at_risk
    assert 1 <= day.done < lena.daily_goal
    assert day.points.today > 0  # what she logged today counts: not beyond the unobtrusive cap
    assert today_q.my_recent_touches(session, lena, limit=1)[0].local_day == today

    # A second rep's streak is at risk tonight: a workday for her, nothing logged yet.
    risky = streak_q.summary(session, emma, today=emma.today(now))
    assert risky.at_risk and risky.current > 0 and not risky.today_active
    assert today_q.touches_on(session, emma, emma.today(now)) == 0

    # A badge one touch away, its progress showing.
    held = awards.held_codes(session, lena)
    stats = awards.build_stats(session, lena, today=today, held=held, full=True)
    near = badges.get(demo.NEAR_BADGE)
    assert near.code not in held
    assert near.progress(stats) == (near.target - 1, near.target)
    assert near.progress_label(stats, "en") == "9/10 letters"

    # The team is in crisis mode, and the crisis template's coverage challenge is running with a ranking.
    assert katrin.team.in_crisis and katrin.team.crisis_reason
    [running] = challenge_ops.list_challenges(session, katrin, now=now).current
    assert running.crisis and running.template == "storm_week" and running.metric == "coverage"
    assert running.starts_at <= now < running.ends_at
    board = challenge_ops.board(session, running, now=now)
    assert len(board.standings.ranking) >= 3
    assert {board.names[r.rep.user_id] for r in board.standings.ranking} >= {lena.name, emma.name}
    assert challenge_ops.list_challenges(session, lena, now=now).current == [running]

    # The Trends page: the earlier crisis (ended) and the current one shaded; in crisis weeks the
    # team touched more than in the others, and its coverage of A and B customers held.
    trends = trends_q.team_trends(session, katrin, now=now)
    assert [(p.reason, p.last is None) for p in trends.periods] == [(demo.PAST_CRISIS_REASON, False),
                                                                      (demo.CRISIS_REASON, True)]
    shaded = [w.shaded for w in trends.weeks]
    assert sum(shaded[:-1]) >= 4 and shaded[-1]
    touches_split = charts.split_means(trends.touches, shaded, partial_last=True)
    assert touches_split.shaded > 1.2 * touches_split.other
    coverage_split = charts.split_means(trends.coverage_percent(), shaded, partial_last=True)
    assert coverage_split.shaded >= 90

    # The coach's radar: exactly one quiet rep (no touch for a week, streak broken), several quiet customers.
    radar = team_q.radar(session, katrin, now=now)
    assert len(radar) == 4
    quiet_reps = [row.rep for row in radar if row.streak_broken]
    assert quiet_reps == [mike] and radar[0].rep == mike
    mike_row = radar[0]
    assert mike_row.last_touch_day <= mike_row.today - timedelta(days=7) and mike_row.week_touches == 0
    assert all(row.streak.current > 0 for row in radar[1:])
    assert sum(row.quiet for row in radar) >= 3

    # Follow-ups: the demo rep's plan for today leads her Today page; Emma's and Mike's are overdue.
    first = today_q.whom_to_touch(session, lena, today=today)[0]
    assert first.follow_up is not None and first.follow_up_due and first.days_overdue == 0
    assert first.warmth is warmth.Warmth.quiet  # the plan is the rescue
    for rep, late in ((emma, 2), (mike, 5)):
        top = today_q.whom_to_touch(session, rep, today=rep.today(now))[0]
        assert top.follow_up_due and top.days_overdue == late

    # A rescue is possible: the demo rep owns a customer who is quiet now.
    quiet = [r.customer for r in customers_q.customer_rows(session, lena, today=today)
             if r.warmth is warmth.Warmth.quiet and r.customer.owner_id == lena.id]
    rescuable = [c for c in quiet if touches.was_quiet_before(session, c, today)]
    assert rescuable


def near_badge_and_rescue_land_with_one_touch(session, now: datetime) -> None:
    """Log the touch the demo invites (a letter to the quiet customer); it is a rescue and earns the badge."""
    lena = _demo_users(session)["lena"]
    today = lena.today(now)
    quiet = next(r.customer for r in customers_q.customer_rows(session, lena, today=today)
                 if r.warmth is warmth.Warmth.quiet and touches.was_quiet_before(session, r.customer, today))
    logged = touches.log_touch(session, user=lena, customer_id=quiet.id, kind=demo.NEAR_KIND.value, now=now)
    assert logged.touch.rescue
    assert demo.NEAR_BADGE in {b.code for b in logged.badges}


AWKWARD = [
    pytest.param(_berlin(2026, 11, 30, 10, 0), date(2026, 11, 30), id="monday"),
    pytest.param(_berlin(2026, 12, 6, 16, 0), date(2026, 12, 6), id="sunday"),
    pytest.param(_berlin(2026, 3, 30, 10, 0), date(2026, 3, 30), id="monday-after-spring-dst"),
    pytest.param(_berlin(2026, 10, 26, 17, 0), date(2026, 10, 26), id="monday-after-autumn-dst"),
    pytest.param(_berlin(2027, 1, 1, 12, 0), date(2027, 1, 1), id="new-year"),
    pytest.param(_berlin(2028, 2, 29, 10, 0), date(2028, 2, 29), id="leap-day"),
    pytest.param(_berlin(2026, 12, 7, 1, 30), date(2026, 12, 6), id="monday-0130-before-the-day-start"),
    pytest.param(_berlin(2026, 12, 1, 3, 20), date(2026, 12, 1), id="tuesday-0320-just-after-the-day-start"),
]


@pytest.mark.parametrize(("now", "local_day"), AWKWARD)
def test_the_demo_shows_its_best_on_awkward_days(session, now, local_day):
    result = demo.seed(session, now=now, password_hash="not-a-real-hash")
    session.commit()
    assert result is not None and result.customers == _count(session, Customer)
    assert result.touches == _count(session, Touch)
    assert _demo_users(session)["lena"].today(now) == local_day
    check_demo(session, now)
    check_showcase(session, now)
    near_badge_and_rescue_land_with_one_touch(session, now)


def test_seed_command_creates_a_lively_demo(runner, session, monkeypatch):
    monkeypatch.delenv("FLASK_RUN_HOST", raising=False)
    monkeypatch.delenv("FLASK_RUN_PORT", raising=False)
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    now = clock.now()
    check_demo(session, now)
    check_showcase(session, now)
    org = session.scalar(select(Organization))
    assert org.name == demo.ORG_NAME
    assert org.name in result.output
    assert f"password for everyone: {DEMO_PASSWORD}" in result.output
    assert "http://127.0.0.1:5000" in result.output
    assert f"Start with the rep {demo.DEMO_REP}" in result.output
    for user in _users(session).values():
        line = next(line for line in result.output.splitlines() if user.email in line)
        assert user.role.value in line and user.timezone in line
    emma_line = next(line for line in result.output.splitlines() if line.strip().startswith("emma@"))
    assert "at risk today" in emma_line


def test_the_history_has_its_points_and_badges_already_announced(session):
    now = _berlin(2026, 11, 27, 11, 0)
    demo.seed(session, now=now, password_hash="x")
    session.commit()
    scored = session.scalar(select(func.count(func.distinct(PointsEntry.touch_id))))
    assert scored == _count(session, Touch)
    assert session.scalar(select(func.sum(PointsEntry.points))) > 0
    lena = session.scalar(select(User).where(User.email == demo.DEMO_REP))
    codes = set(session.scalars(select(BadgeAward.code).where(BadgeAward.user_id == lena.id)))
    assert {"first_touch", "streak_7", "streak_30"} <= codes
    assert session.scalar(select(func.count()).where(BadgeAward.announced_at.is_(None))) == 0


def test_each_badge_is_dated_the_day_the_history_earned_it(session):
    now = _berlin(2026, 11, 27, 11, 0)
    demo.seed(session, now=now, password_hash="x")
    session.commit()
    lena = session.scalar(select(User).where(User.email == demo.DEMO_REP))
    awarded = {a.code: a for a in session.scalars(select(BadgeAward).where(BadgeAward.user_id == lena.id))}
    mine = session.scalars(select(Touch).where(Touch.user_id == lena.id).order_by(Touch.occurred_at)).all()
    assert awarded["first_touch"].local_day == mine[0].local_day
    streak_days = sorted({t.local_day for t in mine})
    for code, length in (("streak_7", 7), ("streak_30", 30)):
        day = awarded[code].local_day
        before = streak_q.summary(session, lena, today=day - timedelta(days=1)).current
        assert before < length <= streak_q.summary(session, lena, today=day).current
        assert day in streak_days  # the day's touch made it
    assert awarded["streak_7"].local_day < awarded["streak_30"].local_day < lena.today(now)
    assert len({a.local_day for a in awarded.values()}) >= 5
    for award in awarded.values():
        assert award.local_day == lena.day_of(award.awarded_at) and award.awarded_at <= now


def test_the_kept_streak_state_equals_a_fresh_fold(runner, session):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    result = runner.invoke(args=["streaks", "rebuild", "--check"])
    assert result.exit_code == 0, result.output
    assert "0 differences" in result.output


def test_same_moment_gives_the_same_data(session):
    now = _berlin(2026, 11, 27, 11, 0)

    def snapshot():
        rows = session.execute(
            select(User.email, Customer.name, Touch.kind, Touch.direction, Touch.note, Touch.occurred_at)
            .join(Touch.user).join(Touch.customer).order_by(Touch.occurred_at, User.email, Customer.name)
        )
        return [tuple(r) for r in rows]

    demo.seed(session, now=now, password_hash="x")
    first = snapshot()
    session.rollback()
    demo.seed(session, now=now, password_hash="x")
    assert snapshot() == first


def test_seed_writes_nothing_until_the_caller_commits(session):
    assert demo.seed(session, now=clock.now(), password_hash="x") is not None
    session.rollback()
    assert _count(session, User) == 0
    assert _count(session, Touch) == 0


def test_seeding_twice_leaves_the_data_alone(runner, session):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    counts = [_count(session, m) for m in (Organization, User, Customer, Touch)]
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "left the data alone" in result.output
    assert "demo seed --reset" in result.output  # how to bring a demo of an earlier day to today
    assert "lena@nordlicht.example" in result.output  # the logins are shown again
    session.expire_all()
    assert [_count(session, m) for m in (Organization, User, Customer, Touch)] == counts


def test_a_database_with_any_user_is_not_seeded(runner, session, make_user):
    make_user(email="owner@example.com")
    session.commit()
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "left the data alone" in result.output
    assert "nordlicht" not in result.output and "--reset" not in result.output
    assert _count(session, User) == 1
    assert _count(session, Touch) == 0


def _use_the_demo(session, now: datetime) -> None:
    """Do what a person trying the demo does: log a touch, give kudos, invite, take a token, go away, …"""
    people = _demo_users(session)
    lena, katrin = people["lena"], people["katrin"]
    customer = session.scalar(select(Customer).where(Customer.owner_id == lena.id).order_by(Customer.id))
    logged = touches.log_touch(session, user=lena, customer_id=customer.id, kind="coffee", now=now)
    kudos.give(session, katrin, logged.touch.id, note="Great idea", now=now)
    invites.create_invite(session, katrin, now=now)
    tokens.create_token(session, lena, name="Phone", now=now)
    calendar_feeds.make_feed(session, lena, now=now)
    imports.issue_token(session, lena, "name\nNew customer\n", now=now)
    password_reset.request_reset(session, lena.email, now=now, lifetime=timedelta(hours=1))
    weekly_mail.set_subscribed(session, lena, "1")
    weekly_mail.claim(session, lena.id, "2026-W48", now=now)
    later = lena.today(now) + timedelta(days=20)
    away.add_away_period(session, lena, {"first_day": later.isoformat(), "last_day": later.isoformat()}, now=now)
    away.add_team_holiday(session, katrin, {"name": "Retreat", "first_day": later.isoformat(),
                                            "last_day": later.isoformat()}, now=now)
    session.add(PushSubscription(user_id=lena.id, endpoint="https://fcm.googleapis.com/fcm/send/demo",
                                 p256dh="p", auth="a", created_at=now, updated_at=now))
    outbox.enqueue_many(session, [outbox.Push(lena.id, "quiet_digest", "demo-k1", "Title", "Body", "/",
                                              topic=None, urgency="normal", ttl=3600)], now=now)
    [storm] = challenge_ops.list_challenges(session, katrin, now=now).current
    challenge_ops.finalize(session, storm, now=storm.ends_at)  # as if the week were over
    session.commit()


def _rows(session) -> dict[str, set[tuple]]:
    """Return every row of every table, by table name (JSON values as text, so rows compare)."""
    def frozen(row) -> tuple:
        return tuple(json.dumps(v, sort_keys=True) if isinstance(v, (list, dict)) else v for v in row)

    return {t.name: {frozen(r) for r in session.execute(t.select())} for t in db.metadata.sorted_tables}


def test_reset_replaces_the_demo_organisation_and_leaves_every_other_row_alone(
    runner, session, make_org, make_user, make_customer
):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    _use_the_demo(session, clock.now())
    demo_rows = _rows(session)  # every row up to here is the demo's
    assert all(demo_rows.values()), [name for name, rows in demo_rows.items() if not rows]
    team = make_org("Acme Sales")
    rep = make_user(team=team, email="rita@acme.example")
    touches.log_touch(session, user=rep, customer_id=make_customer(rep, "Müller AG").id, kind="call", now=clock.now())
    session.commit()
    theirs = {name: rows - demo_rows[name] for name, rows in _rows(session).items()}
    assert sum(map(len, theirs.values())) >= 6

    result = runner.invoke(args=["demo", "seed", "--reset"])

    assert result.exit_code == 0, result.output
    assert "Deleted the previous demo organisation" in result.output
    session.expire_all()
    after = _rows(session)
    for name, rows in after.items():
        assert theirs[name] <= rows, name  # the other organisation's rows, unchanged
        assert not rows & demo_rows[name], name  # nothing of the old demo is left (the new one has new ids)
    assert session.scalar(select(func.count()).where(Organization.name == demo.ORG_NAME)) == 1
    assert session.scalar(select(func.count()).select_from(Challenge)) == 1
    check_demo(session, clock.now())
    check_showcase(session, clock.now())


def test_reset_is_refused_in_production(runner, session, app, monkeypatch):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    counts = [_count(session, m) for m in (Organization, User, Customer, Touch)]
    monkeypatch.setitem(app.config, "ENV", "production")

    result = runner.invoke(args=["demo", "seed", "--reset"])

    assert result.exit_code == 1
    assert "refused in production" in result.output and "TOUCHBASE_ENV=production" in result.output
    session.expire_all()
    assert [_count(session, m) for m in (Organization, User, Customer, Touch)] == counts


def test_reset_seeds_a_database_without_a_demo_and_leaves_a_namesake_alone(runner, session, make_org, make_user):
    namesake = make_org(demo.ORG_NAME)
    stranger = make_user(team=namesake, email="someone@example.com")
    session.commit()

    result = runner.invoke(args=["demo", "seed", "--reset"])

    assert result.exit_code == 0, result.output
    assert "There was no demo organisation to delete." in result.output
    session.expire_all()
    assert session.get(User, stranger.id).organization_id == namesake.id
    assert session.scalar(select(func.count()).where(Organization.name == demo.ORG_NAME)) == 2
    assert len(_demo_users(session)) == 5
    assert runner.invoke(args=["demo", "seed", "--reset"]).exit_code == 0  # and again: the namesake stays
    session.expire_all()
    assert session.get(User, stranger.id) is not None


def test_reset_refuses_when_a_demo_address_belongs_to_another_organisation(runner, session, make_user):
    impostor = make_user(email=demo.DEMO_REP)
    session.commit()

    result = runner.invoke(args=["demo", "seed", "--reset"])

    assert result.exit_code == 1
    assert demo.DEMO_REP in result.output and "left everything alone" in result.output
    session.expire_all()
    assert session.get(User, impostor.id) is not None
    assert _count(session, User) == 1


@pytest.mark.parametrize("email", [demo.DEMO_REP, "mike@nordlicht.example", "katrin@nordlicht.example"])
def test_demo_users_sign_in_and_see_their_day(runner, session, client, login, email):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    user = session.scalar(select(User).where(User.email == email))
    login(user, password=DEMO_PASSWORD)
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    now = clock.now()
    today = user.today(now)
    day = today_q.day_summary(session, user, today=today)
    match = re.search(r'data-testid="streak-count">(\d+)<', html)
    assert match and int(match.group(1)) == day.streak.current
    match = re.search(r'data-testid="goal-count">(\d+) of (\d+)<', html)
    assert match and (int(match.group(1)), int(match.group(2))) == (day.done, user.daily_goal)
    if email == demo.DEMO_REP:
        assert day.streak.current >= 14 and 1 <= day.done < user.daily_goal
        assert "Done for today" in html and '#snowflake"' in html
    top = today_q.whom_to_touch(session, user, today=today)[0]
    assert str(escape(top.customer.name)) in html
    assert str(escape(demo.CRISIS_REASON)) in html  # the crisis banner


def test_demo_users_share_one_password_hash(runner, session):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert len({u.password_hash for u in _users(session).values()}) == 1
