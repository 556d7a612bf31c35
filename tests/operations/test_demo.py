"""The demo data behind ``make run``: ``flask demo seed``."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from app import clock
from app.cli import demo
from app.kinds import Direction, Role, TouchKind
from app.models import BadgeAward, Customer, Organization, PointsEntry, Touch, User
from app.warmth import Warmth
from app.queries import customers as customers_q
from app.queries import streak as streak_q
from app.queries import today as today_q

DEMO_PASSWORD = "touchbase-demo"


def _users(session) -> dict[str, User]:
    return {u.email: u for u in session.scalars(select(User).order_by(User.id))}


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def check_demo(session, now: datetime) -> None:
    """Assert everything the demo promises, as seen on *now*."""
    users = _users(session)
    assert len(users) == 5
    assert Counter(u.role for u in users.values()) == {Role.rep: 4, Role.coach: 1}
    reps = [u for u in users.values() if u.role is Role.rep]
    assert len({u.timezone for u in reps}) == 4
    assert Counter(u.locale for u in reps) == {"de": 2, "en": 2}
    assert 38 <= _count(session, Customer) <= 45
    assert Counter(c.owner_id for c in session.scalars(select(Customer)) if c.owner.role is Role.rep) == {
        u.id: 10 for u in reps
    }

    touches = list(session.scalars(select(Touch)))
    assert len(touches) > 400
    assert {t.kind for t in touches} == set(TouchKind)
    assert {t.direction for t in touches} == {Direction.out, Direction.in_}
    workday_touches = 0
    for touch in touches:
        owner = touch.user
        assert touch.local_day == clock.local_day(touch.occurred_at, owner.timezone, owner.day_start_hour)
        assert touch.occurred_at <= now
        assert 7 <= clock.local_now(touch.occurred_at, owner.timezone).hour < 22
        assert touch.customer.owner_id == owner.id
        assert touch.organization_id == owner.organization_id
        workday_touches += touch.local_day.weekday() in owner.workday_set
    assert workday_touches >= 0.9 * len(touches)
    days = [t.local_day for t in touches]
    assert (max(days) - min(days)).days >= 85

    # Notes are in the rep's language.
    for touch in touches:
        if touch.note and touch.user.locale == "en":
            assert touch.note in {n for pair in demo.NOTES["en"].values() for pool in pair for n in pool}
    assert all(t.note for t in touches if t.kind is TouchKind.other)

    by_customer: dict[int, list[Touch]] = {}
    for touch in touches:
        by_customer.setdefault(touch.customer_id, []).append(touch)
    for customer in session.scalars(select(Customer)):
        own = by_customer.get(customer.id, [])
        assert customer.last_touch_day == max((t.local_day for t in own if t.deleted_at is None), default=None)
        if own:
            assert customer.created_day < min(t.local_day for t in own)
            assert customer.created_at < min(t.occurred_at for t in own)
        assert customer.created_day == clock.local_day(
            customer.created_at, customer.owner.timezone, customer.owner.day_start_hour
        )

    summaries = {}
    for email, user in users.items():
        summaries[email] = streak_q.summary(session, user, today=user.today(now))
    lena, luca, emma, mike = (summaries[f"{n}@nordlicht.example"] for n in ("lena", "luca", "emma", "mike"))
    assert lena.current >= 40
    assert 12 <= luca.current <= 17
    assert emma.current == 0 and emma.longest > 0 and not emma.at_risk
    assert mike.current == 0 and mike.longest > 0
    mike_user = users["mike@nordlicht.example"]
    mike_today = mike_user.today(now)
    assert max(streak_q.active_days(session, mike_user)) <= mike_today - timedelta(days=7)
    assert len({s.current for s in summaries.values() if s.current}) >= 2

    warmth = Counter()
    for user in reps:
        today = user.today(now)
        rows = [r for r in customers_q.customer_rows(session, user, today=today)]
        warmth.update(r.warmth for r in rows)
    assert warmth[Warmth.quiet] >= 3
    assert warmth[Warmth.warming] >= 2
    assert warmth[Warmth.paused] >= 1
    assert warmth[Warmth.green] > sum(warmth.values()) / 2


def test_seed_command_creates_a_lively_demo(runner, session, monkeypatch):
    monkeypatch.delenv("FLASK_RUN_HOST", raising=False)
    monkeypatch.delenv("FLASK_RUN_PORT", raising=False)
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    now = clock.now()
    check_demo(session, now)
    org = session.scalar(select(Organization))
    assert org.name == demo.ORG_NAME
    assert org.name in result.output
    assert f"password for everyone: {DEMO_PASSWORD}" in result.output
    assert "http://127.0.0.1:5000" in result.output
    for user in _users(session).values():
        line = next(line for line in result.output.splitlines() if user.email in line)
        assert user.role.value in line and user.timezone in line


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc),  # Friday morning
        datetime(2026, 11, 28, 15, 0, tzinfo=timezone.utc),  # Saturday
        datetime(2026, 11, 30, 5, 30, tzinfo=timezone.utc),  # Monday in Europe, Sunday night in New York
        datetime(2026, 3, 29, 12, 0, tzinfo=timezone.utc),  # Europe springs forward
        datetime(2026, 3, 9, 1, 30, tzinfo=timezone.utc),  # the day after New York springs forward
        datetime(2026, 10, 26, 20, 0, tzinfo=timezone.utc),  # the day after Europe falls back
        datetime(2027, 1, 4, 23, 30, tzinfo=timezone.utc),  # past midnight in Europe, before the day start
    ],
    ids=lambda d: d.strftime("%a-%Y-%m-%d-%H%M"),
)
def test_demo_looks_right_on_any_day(session, now):
    result = demo.seed(session, now=now, password_hash="not-a-real-hash")
    session.commit()
    assert result is not None and result.customers == _count(session, Customer)
    assert result.touches == _count(session, Touch)
    check_demo(session, now)


def test_the_history_has_its_points_and_badges_already_announced(session):
    now = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)
    demo.seed(session, now=now, password_hash="x")
    session.commit()
    scored = session.scalar(select(func.count(func.distinct(PointsEntry.touch_id))))
    assert scored == _count(session, Touch)
    assert session.scalar(select(func.sum(PointsEntry.points))) > 0
    lena = session.scalar(select(User).where(User.email == "lena@nordlicht.example"))
    codes = set(session.scalars(select(BadgeAward.code).where(BadgeAward.user_id == lena.id)))
    assert {"first_touch", "streak_7", "streak_30"} <= codes
    assert session.scalar(select(func.count()).where(BadgeAward.announced_at.is_(None))) == 0


def test_same_moment_gives_the_same_data(session):
    now = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)

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
    assert "lena@nordlicht.example" in result.output  # the logins are shown again
    session.expire_all()
    assert [_count(session, m) for m in (Organization, User, Customer, Touch)] == counts


def test_a_database_with_any_user_is_not_seeded(runner, session, make_user):
    make_user(email="owner@example.com")
    session.commit()
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "left the data alone" in result.output
    assert "nordlicht" not in result.output
    assert _count(session, User) == 1
    assert _count(session, Touch) == 0


@pytest.mark.parametrize("email", ["lena@nordlicht.example", "mike@nordlicht.example", "katrin@nordlicht.example"])
def test_demo_users_sign_in_and_see_their_day(runner, session, client, login, email):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    user = session.scalar(select(User).where(User.email == email))
    login(user, password=DEMO_PASSWORD)
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    now = clock.now()
    today = user.today(now)
    streak = streak_q.summary(session, user, today=today)
    match = re.search(r'data-testid="streak-count">(\d+)<', html)
    assert match and int(match.group(1)) == streak.current
    top = today_q.whom_to_touch(session, user, today=today)[0]
    assert str(escape(top.customer.name)) in html


def test_demo_users_share_one_password_hash(runner, session):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert len({u.password_hash for u in _users(session).values()}) == 1
