"""The kept streak checkpoint always equals a fresh fold of the touches, after every kind of write."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app import streaks
from app.models import StreakState, Touch
from app.operations import streak_state
from app.operations.accounts import update_settings
from app.operations.touches import delete_touch, log_touch, undo_touch, update_touch
from app.queries import streak as streak_q

UTC = timezone.utc


def fresh(session, user, today: date) -> streaks.StreakSummary:
    """Fold the whole history from scratch, as the rule in DESIGN.md says."""
    hist = streak_q.history(session, user)
    return streaks.summarize(hist.active, today=today, workdays=hist.workdays, away=hist.away,
                             bonus_freeze_days=hist.bonus)


def assert_consistent(session, user, now: datetime) -> streaks.StreakSummary:
    today = user.today(now)
    kept = streak_q.summary(session, user, today=today)
    assert kept == fresh(session, user, today)
    _count, differences = streak_state.rebuild_all(session, now=now, check=True)
    assert differences == []
    return kept


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def rep(make_user):
    return make_user(timezone="UTC")


def _log_daily(session, rep, customer, first: date, days: int):
    for i in range(days):
        day = first + timedelta(days=i)
        log_touch(session, user=rep, customer_id=customer.id, kind="call", now=at(day))


def test_touch_today_keeps_the_checkpoint(session, rep, make_customer):
    customer = make_customer(rep, now=at(date(2026, 10, 1)))
    _log_daily(session, rep, customer, date(2026, 10, 1), 20)
    summary = assert_consistent(session, rep, at(date(2026, 10, 20), 18))
    assert summary.current == 20 and summary.today_active
    state = session.get(StreakState, rep.id)
    assert state.through_day == date(2026, 10, 20) - timedelta(days=streak_state.CHECKPOINT_LAG)


def test_backfill_two_days_back_counts_and_stays_consistent(session, rep, make_customer):
    customer = make_customer(rep, now=at(date(2026, 10, 1)))
    _log_daily(session, rep, customer, date(2026, 10, 1), 7)  # Thu 1 .. Wed 7
    now = at(date(2026, 10, 9))  # Friday; Thursday 8 was missed
    log_touch(session, user=rep, customer_id=customer.id, kind="letter", now=now, days_back=1)
    summary = assert_consistent(session, rep, now)
    assert summary.current == 8
    assert summary.frozen_days == ()


def test_api_touch_three_days_back_stays_consistent(session, rep, make_customer):
    customer = make_customer(rep, now=at(date(2026, 10, 1)))
    _log_daily(session, rep, customer, date(2026, 10, 1), 10)
    now = at(date(2026, 10, 16))
    log_touch(session, user=rep, customer_id=customer.id, kind="visit", now=now,
              occurred_at=now - timedelta(days=3) + timedelta(minutes=1))
    assert_consistent(session, rep, now)


def test_deleting_an_old_touch_refolds_the_history(session, rep, make_customer):
    customer = make_customer(rep, now=at(date(2026, 9, 1)))
    _log_daily(session, rep, customer, date(2026, 9, 1), 40)
    now = at(date(2026, 10, 10))
    assert assert_consistent(session, rep, now).current == 40
    old = session.scalar(select(Touch).where(Touch.user_id == rep.id, Touch.local_day == date(2026, 9, 2)))
    delete_touch(session, old, now=now)
    after = assert_consistent(session, rep, now)
    # 2 Sep was a Wednesday with no freeze held yet: the streak restarts on 3 Sep.
    assert (after.current, after.longest, after.frozen_days) == (38, 38, ())


def test_undo_and_edit_stay_consistent(session, rep, make_customer):
    customer = make_customer(rep, now=at(date(2026, 10, 1)))
    _log_daily(session, rep, customer, date(2026, 10, 1), 5)
    now = at(date(2026, 10, 6))
    logged = log_touch(session, user=rep, customer_id=customer.id, kind="coffee", now=now).touch
    assert assert_consistent(session, rep, now).today_active
    undo_touch(session, logged, now=now + timedelta(seconds=3))
    assert not assert_consistent(session, rep, now).today_active
    first = session.scalar(select(Touch).where(Touch.user_id == rep.id).order_by(Touch.id))
    update_touch(session, first, kind="walk", note="Dog walk by the lake", direction="out", now=now)
    assert_consistent(session, rep, now)


def test_new_workdays_refold_the_history(session, rep, make_customer):
    customer = make_customer(rep, now=at(date(2026, 9, 1)))
    # Every day but Sundays for five weeks.
    for i in range(35):
        day = date(2026, 9, 1) + timedelta(days=i)
        if day.weekday() != 6:
            log_touch(session, user=rep, customer_id=customer.id, kind="call", now=at(day))
    now = at(date(2026, 10, 6))
    before = assert_consistent(session, rep, now)
    update_settings(session, rep, {"workdays": [0, 1, 2, 3, 4, 5, 6]}, now=now)
    after = assert_consistent(session, rep, now)
    assert after.frozen_days != before.frozen_days or after.current != before.current


def test_time_zone_change_keeps_history_and_state(session, rep, make_customer):
    customer = make_customer(rep, now=at(date(2026, 10, 1)))
    _log_daily(session, rep, customer, date(2026, 10, 1), 10)
    now = at(date(2026, 10, 10), 20)
    days_before = sorted(streak_q.history(session, rep).active)
    update_settings(session, rep, {"timezone": "Pacific/Auckland"}, now=now)
    assert sorted(streak_q.history(session, rep).active) == days_before
    assert_consistent(session, rep, now)


def test_rescuing_a_quiet_customer_marks_the_touch_and_earns_a_freeze(session, rep, make_customer):
    quiet = make_customer(rep, "Müller AG", tier="A", now=at(date(2026, 9, 1)))
    other = make_customer(rep, now=at(date(2026, 9, 1)))
    log_touch(session, user=rep, customer_id=quiet.id, kind="call", now=at(date(2026, 9, 1)))
    _log_daily(session, rep, other, date(2026, 9, 2), 20)
    rescue = log_touch(session, user=rep, customer_id=quiet.id, kind="letter", now=at(date(2026, 9, 22))).touch
    assert rescue.rescue is True
    again = log_touch(session, user=rep, customer_id=quiet.id, kind="call", now=at(date(2026, 9, 22), 11)).touch
    assert again.rescue is False
    summary = assert_consistent(session, rep, at(date(2026, 9, 22), 12))
    assert summary.freezes == 2  # one from the run of 21 active days, one from the rescue


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_sequence_of_writes_never_disagrees_with_a_rebuild(session, rep, make_customer, seed):
    rng = random.Random(seed)
    start = date(2026, 6, 1)
    customers = [make_customer(rep, now=at(start)) for _ in range(3)]
    logged: list[Touch] = []
    for offset in range(70):
        day = start + timedelta(days=offset)
        now = at(day, rng.randint(6, 22))
        for _ in range(rng.choice([0, 0, 1, 1, 2])):
            result = log_touch(session, user=rep, customer_id=rng.choice(customers).id,
                               kind=rng.choice(["call", "email", "walk"]), now=now,
                               days_back=rng.choice([0, 0, 0, 1, 2]))
            logged.append(result.touch)
        if logged and rng.random() < 0.15:
            victim = logged.pop(rng.randrange(len(logged)))
            delete_touch(session, victim, now=now)
        if rng.random() < 0.05:
            update_settings(session, rep, {"workdays": rng.choice([[0, 1, 2, 3, 4], [0, 1, 2, 3, 4, 5]])}, now=now)
        assert_consistent(session, rep, now)


def test_cli_rebuild_check_reports_and_rebuild_fixes_a_tampered_state(session, runner, rep, make_customer):
    customer = make_customer(rep, now=at(date(2026, 10, 1)))
    _log_daily(session, rep, customer, date(2026, 10, 1), 12)
    state = session.get(StreakState, rep.id)
    state.current += 5
    session.commit()
    checked = runner.invoke(args=["streaks", "rebuild", "--check"])
    assert checked.exit_code == 1
    assert f"differs: user {rep.id}" in checked.output
    fixed = runner.invoke(args=["streaks", "rebuild"])
    assert fixed.exit_code == 0, fixed.output
    assert runner.invoke(args=["streaks", "rebuild", "--check"]).exit_code == 0


def test_reading_the_streak_writes_nothing(session, rep, make_customer):
    customer = make_customer(rep, now=at(date(2026, 10, 1)))
    _log_daily(session, rep, customer, date(2026, 10, 1), 3)
    session.commit()
    session.delete(session.get(StreakState, rep.id))
    session.commit()
    summary = streak_q.summary(session, rep, today=date(2026, 10, 3))
    assert summary.current == 3
    assert session.get(StreakState, rep.id) is None
