"""Backfill a week: log a touch for any day of the last 7, correct a touch's day, and everything that follows."""

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app import clock
from app.models import BadgeAward, FollowUp, PointsEntry, Touch
from app.operations import Invalid
from app.operations import follow_ups as follow_up_ops
from app.operations import streak_state
from app.operations import touches as ops
from app.queries import points as points_q
from app.queries import streak as streak_q

from support import NOW

UTC = timezone.utc
TODAY = date(2026, 11, 27)  # NOW is Friday 27 Nov 2026, 11:00 in Berlin


@pytest.fixture
def rep(make_user):
    """A rep in Berlin who works every day, so streaks do not depend on weekdays."""
    return make_user(timezone="Europe/Berlin", workdays=[0, 1, 2, 3, 4, 5, 6])


@pytest.fixture
def customer(rep, make_customer):
    """A customer in touch (tier C, added lately): no touch rescues it, so no bonus freeze blurs the streaks."""
    return make_customer(rep, "Müller AG", tier="C", now=NOW - timedelta(days=25))


def _log(session, rep, customer, kind="call", **kwargs):
    return ops.log_touch(session, user=rep, customer_id=customer.id, kind=kind, now=kwargs.pop("now", NOW), **kwargs)


def _consistent(session, rep, now=NOW):
    """The kept streak equals a fresh fold of the touches; return it."""
    _count, differences = streak_state.rebuild_all(session, now=now, check=True)
    assert differences == []
    return streak_q.summary(session, rep, today=rep.today(now))


def _entries(session, touch):
    return session.execute(
        select(PointsEntry.id, PointsEntry.points, PointsEntry.reason, PointsEntry.reversal_of_id, PointsEntry.local_day)
        .where(PointsEntry.touch_id == touch.id).order_by(PointsEntry.id)
    ).all()


@pytest.mark.parametrize("back", range(7))
def test_a_touch_can_be_logged_for_each_of_the_last_seven_days(session, rep, customer, back):
    day = TODAY - timedelta(days=back)
    touch = _log(session, rep, customer, day=day.isoformat()).touch
    assert touch.local_day == day and rep.day_of(touch.occurred_at) == day
    assert touch.backfilled is (back > 0)
    # As far into that day as now is into today: 11:00 in Berlin.
    assert clock.local_now(touch.occurred_at, rep.timezone).hour == 11
    assert customer.last_touch_day == day
    assert _consistent(session, rep).longest == 1


@pytest.mark.parametrize("day", [TODAY - timedelta(days=7), TODAY + timedelta(days=1), date(2000, 1, 1)])
def test_a_day_outside_the_last_seven_is_refused_and_nothing_is_written(session, rep, customer, day):
    with pytest.raises(Invalid) as exc:
        _log(session, rep, customer, day=day)
    assert exc.value.fields["day"] == "You can log a touch for today or one of the 6 days before."
    assert session.scalars(select(Touch)).all() == []


def test_a_picked_day_wins_over_the_days_back_buttons(session, rep, customer):
    touch = _log(session, rep, customer, days_back=1, day=TODAY - timedelta(days=5)).touch
    assert touch.local_day == TODAY - timedelta(days=5)


def test_days_back_reaches_six_days_and_no_further(session, rep, customer):
    assert _log(session, rep, customer, days_back=6).touch.local_day == TODAY - timedelta(days=6)
    with pytest.raises(Invalid):
        _log(session, rep, customer, days_back=7)


def test_the_day_before_a_late_day_start_counts_for_the_right_day(session, make_user, make_customer):
    owl = make_user(timezone="Europe/Berlin", day_start_hour=5)
    customer = make_customer(owl, now=NOW - timedelta(days=30))
    at_night = datetime(2026, 11, 27, 2, 30, tzinfo=UTC)  # 03:30 in Berlin: still Thursday for this rep
    assert owl.today(at_night) == date(2026, 11, 26)
    touch = ops.log_touch(session, user=owl, customer_id=customer.id, kind="call", now=at_night,
                          day="2026-11-20").touch
    assert touch.local_day == date(2026, 11, 20) and owl.day_of(touch.occurred_at) == date(2026, 11, 20)


def test_an_offline_touch_from_six_days_ago_is_taken_and_one_from_seven_is_not(session, rep, customer):
    six = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    assert _log(session, rep, customer, occurred_at=six).touch.local_day == date(2026, 11, 21)
    with pytest.raises(Invalid) as exc:
        _log(session, rep, customer, occurred_at=six - timedelta(days=1))
    assert "at most 6 days back" in exc.value.fields["occurred_at"]
    _consistent(session, rep)


def test_the_kept_checkpoint_lies_behind_the_window(session, rep, customer, monkeypatch):
    # A write inside the window never lands on or before the checkpoint, so it never refolds history.
    assert ops.backfill_window(TODAY)[0] > streak_state.checkpoint_day(TODAY)
    for back in range(20, 6, -1):  # the 7th to the 20th, each logged on its day
        _log(session, rep, customer, now=NOW - timedelta(days=back))
    _log(session, rep, customer)
    refolds = []
    real_rebuild = streak_state.rebuild
    monkeypatch.setattr(streak_state, "rebuild", lambda *a, **k: refolds.append(a) or real_rebuild(*a, **k))
    for back in range(6, 0, -1):  # back from the road: the 21st to the 26th, logged today
        _log(session, rep, customer, day=TODAY - timedelta(days=back))
    assert refolds == []
    assert _consistent(session, rep).current == 21  # the 7th to the 27th


# --- correcting a touch's day -------------------------------------------------------------------


def test_moving_a_touch_moves_its_day_and_instant_and_marks_it_backfilled(session, rep, customer):
    touch = _log(session, rep, customer).touch
    logged_at = clock.local_now(touch.occurred_at, rep.timezone)
    ops.update_touch(session, touch, kind="call", note=None, direction="out", day="2026-11-24", now=NOW)
    assert touch.local_day == date(2026, 11, 24) and touch.backfilled is True
    moved = clock.local_now(touch.occurred_at, rep.timezone)
    assert (moved.date(), moved.time()) == (date(2026, 11, 24), logged_at.time())
    assert customer.last_touch_day == date(2026, 11, 24)
    ops.update_touch(session, touch, kind="call", note=None, direction="out", day=TODAY, now=NOW)
    assert touch.local_day == TODAY and touch.backfilled is False  # back on the day it was written


def test_moving_fills_a_gap_and_the_streak_follows(session, rep, customer):
    for back in (6, 5, 4, 4, 2, 1, 0):  # two touches on the 23rd, none on the 24th
        _log(session, rep, customer, days_back=back)
    assert _consistent(session, rep).current == 3  # the 25th broke it: 25..27 is not a run
    extra = session.scalars(select(Touch).where(Touch.local_day == date(2026, 11, 23))).all()[-1]
    ops.update_touch(session, extra, kind="call", note=None, direction="out", day="2026-11-24", now=NOW)
    assert _consistent(session, rep).current == 7  # 21st to 27th, without a gap
    ops.update_touch(session, extra, kind="call", note=None, direction="out", day="2026-11-25", now=NOW)
    assert _consistent(session, rep).current == 3  # the 24th is empty again


def test_a_moved_touch_earns_the_badge_its_new_day_completes(session, rep, customer):
    touches = [_log(session, rep, customer, days_back=back).touch for back in (6, 5, 4, 4, 2, 1, 0)]
    codes = lambda: set(session.scalars(select(BadgeAward.code).where(BadgeAward.user_id == rep.id)))  # noqa: E731
    assert "streak_7" not in codes()
    ops.update_touch(session, touches[3], kind="call", note=None, direction="out", day="2026-11-24", now=NOW)
    earned = ops.award_after_edit(session, touches[3], now=NOW)
    assert "streak_7" in {b.code for b in earned} and "streak_7" in codes()


def test_points_move_by_reversal_and_a_fresh_entry_never_by_an_edit(session, rep, customer):
    _log(session, rep, customer, kind="letter", days_back=3)  # Tuesday: the first letter, + variety
    second = _log(session, rep, customer, kind="letter", days_back=2).touch  # Wednesday: base only
    third = _log(session, rep, customer, kind="letter").touch  # the third in 7 days: capped
    assert [e.reason for e in _entries(session, third)] == ["cap"]
    columns = (PointsEntry.id, PointsEntry.points, PointsEntry.reason, PointsEntry.local_day)
    before = {row.id: tuple(row) for row in session.execute(select(*columns))}
    # Saturday 21st, before the first letter: now it is the first, and scores the variety bonus.
    ops.update_touch(session, second, kind="letter", note=None, direction="out", day="2026-11-21", now=NOW)
    after = {row.id: tuple(row) for row in session.execute(select(*columns))}
    assert {i: after[i] for i in before} == before  # no line was changed
    lines = _entries(session, second)
    assert [(line.points, line.reason, line.local_day) for line in lines] == [
        (8, "base", date(2026, 11, 25)), (-8, "reversal", date(2026, 11, 25)), (11, "variety", date(2026, 11, 21))]
    assert lines[1].reversal_of_id == lines[0].id
    totals = points_q.totals(session, rep, today=TODAY, with_total=True)
    assert (totals.total, totals.week) == (11 + 11 + 0, 11 + 8 - 8 + 0)


def test_moving_rejudges_the_rescue(session, rep, make_customer):
    customer = make_customer(rep, "Quiet GmbH", tier="A", now=NOW - timedelta(days=60))
    _log(session, rep, customer, now=NOW - timedelta(days=40))  # quiet since: cadence A is 7 days
    rescue = _log(session, rep, customer, days_back=4).touch
    assert rescue.rescue is True
    _log(session, rep, customer, days_back=5)  # a touch the day before: not quiet any more then
    ops.update_touch(session, rescue, kind="call", note=None, direction="out", day="2026-11-25", now=NOW)
    assert rescue.rescue is False
    _consistent(session, rep)


def test_moving_a_touch_before_the_plan_gives_the_follow_up_back(session, rep, customer):
    plan_day = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # planned on Thursday
    follow_up_ops.plan_follow_up(session, actor=rep, customer_id=customer.id, due_day="2026-11-30", now=plan_day)
    touch = _log(session, rep, customer).touch  # Friday: does it
    follow_up = session.scalar(select(FollowUp))
    assert follow_up.done_touch_id == touch.id
    ops.update_touch(session, touch, kind="call", note=None, direction="out", day="2026-11-25", now=NOW)
    assert (follow_up.done_at, follow_up.done_touch_id, follow_up.dropped_at) == (None, None, None)  # open again
    ops.update_touch(session, touch, kind="call", note=None, direction="out", day="2026-11-26", now=NOW)
    assert follow_up.done_touch_id == touch.id  # the day it was planned: done by it again


def test_a_touch_older_than_the_window_keeps_its_day(session, rep, customer):
    old = _log(session, rep, customer, now=NOW - timedelta(days=10)).touch
    with pytest.raises(Invalid) as exc:
        ops.update_touch(session, old, kind="call", note=None, direction="out", day=TODAY, now=NOW)
    assert exc.value.fields == {"day": "This touch is older than 7 days: its day stays as logged."}
    assert old.local_day == date(2026, 11, 17)


def test_a_new_day_outside_the_window_is_refused_with_the_other_fields(session, rep, customer):
    touch = _log(session, rep, customer).touch
    with pytest.raises(Invalid) as exc:
        ops.update_touch(session, touch, kind="fax", note=None, direction="out", day="2026-11-19", now=NOW)
    assert set(exc.value.fields) == {"kind", "day"}
    assert touch.local_day == TODAY and len(_entries(session, touch)) == 1


def test_the_same_day_or_no_day_changes_nothing_but_the_fields(session, rep, customer):
    touch = _log(session, rep, customer).touch
    ops.update_touch(session, touch, kind="visit", note="Coffee", direction="out", day=TODAY.isoformat(), now=NOW)
    ops.update_touch(session, touch, kind="visit", note="Coffee", direction="out", now=NOW)
    assert (touch.kind, touch.local_day, len(_entries(session, touch))) == ("visit", TODAY, 1)
