"""The points ledger wired to touch writes: log, replay, delete, undo, the cap and the variety bonus."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app import points
from app.models import PointsEntry, Touch
from app.operations import ledger
from app.operations import touches as ops
from app.queries import points as points_q
from support import NOW

TODAY = date(2026, 11, 27)  # NOW's local day in Berlin, a Friday


@pytest.fixture
def rep(make_user):
    """A rep in Berlin who works every day."""
    return make_user(workdays=[0, 1, 2, 3, 4, 5, 6])


@pytest.fixture
def customer(rep, make_customer):
    """A customer of the rep, created today (so no touch is a rescue)."""
    return make_customer(rep, "Müller AG", tier="A", now=NOW)


def log(session, rep, customer, kind="call", **kwargs):
    kwargs.setdefault("now", NOW)
    return ops.log_touch(session, user=rep, customer_id=customer.id, kind=kind, **kwargs)


def entries(session, rep) -> list[PointsEntry]:
    return list(session.scalars(select(PointsEntry).where(PointsEntry.user_id == rep.id).order_by(PointsEntry.id)))


def balance(session, rep) -> int:
    return session.scalar(select(func.coalesce(func.sum(PointsEntry.points), 0)).where(PointsEntry.user_id == rep.id))


def old_touch(session, rep, customer, kind: str, day: date, pts: int | None = None) -> Touch:
    """Store a touch on an earlier *day* directly, with a ledger entry of *pts* when given."""
    touch = Touch(organization_id=rep.organization_id, user_id=rep.id, customer_id=customer.id, kind=kind,
                  occurred_at=NOW - timedelta(days=(TODAY - day).days), local_day=day, created_at=NOW)
    session.add(touch)
    session.flush()
    if pts is not None:
        session.add(PointsEntry(user_id=rep.id, touch_id=touch.id, points=pts, reason="base", local_day=day,
                                created_at=NOW))
        session.flush()
    return touch


def test_a_logged_touch_appends_one_entry_with_base_and_variety_bonus(session, rep, customer):
    logged = log(session, rep, customer, "coffee")
    assert (logged.points.points, logged.points.reason) == (11, points.Reason.variety)
    [entry] = entries(session, rep)
    assert (entry.touch_id, entry.points, entry.reason, entry.local_day) == (logged.touch.id, 11, "variety", TODAY)
    assert entry.reversal_of_id is None


def test_the_same_kind_again_scores_the_base_only(session, rep, customer):
    log(session, rep, customer, "letter")
    second = log(session, rep, customer, "letter")
    assert (second.points.points, second.points.reason) == (8, points.Reason.base)
    assert balance(session, rep) == 11 + 8


def test_the_third_touch_within_seven_days_scores_zero_and_says_why(session, rep, customer):
    log(session, rep, customer, "call")
    log(session, rep, customer, "email")
    third = log(session, rep, customer, "visit")
    assert third.points.points == 0
    assert third.points.capped and third.points.reason is points.Reason.cap
    assert third.points.touches_in_window == 3
    assert (third.points.base, third.points.variety_bonus) == (8, 3)  # what it would have been worth
    assert [e.reason for e in entries(session, rep)] == ["variety", "variety", "cap"]
    assert balance(session, rep) == 7 + 5
    # The capped touch is still logged and counts for the streak.
    assert session.get(Touch, third.touch.id).deleted_at is None


def test_capped_touches_do_not_fill_the_cap(session, rep, customer):
    first = log(session, rep, customer, "call")
    log(session, rep, customer, "call")
    log(session, rep, customer, "call")  # capped
    ops.delete_touch(session, first.touch, now=NOW)
    # One scored touch left in the window (the capped one does not count): this one scores.
    again = log(session, rep, customer, "call")
    assert again.points.points == 4


def test_a_scored_touch_seven_days_back_no_longer_counts_for_the_cap(session, rep, customer):
    old_touch(session, rep, customer, "call", TODAY - timedelta(days=7), pts=4)
    old_touch(session, rep, customer, "call", TODAY - timedelta(days=6), pts=4)
    assert log(session, rep, customer, "call").points.points == 4  # only one scored in the window
    assert log(session, rep, customer, "call").points.points == 0  # now two: capped


def test_a_kind_used_89_days_ago_is_not_new_but_90_days_ago_is(session, rep, customer, make_customer):
    old_touch(session, rep, customer, "letter", TODAY - timedelta(days=89), pts=11)
    assert log(session, rep, customer, "letter").points.reason is points.Reason.base
    other = make_customer(rep, "Schmidt KG", now=NOW)
    old_touch(session, rep, other, "letter", TODAY - timedelta(days=90), pts=11)
    assert log(session, rep, other, "letter").points.reason is points.Reason.variety


def test_an_inbound_touch_scores_one_point(session, rep, customer):
    logged = log(session, rep, customer, "call", direction="in")
    assert (logged.points.points, logged.points.reason) == (1, points.Reason.inbound)


def test_a_replayed_client_id_adds_no_entry_and_answers_the_same_points(session, rep, customer):
    first = log(session, rep, customer, "walk", client_id="offline-1")
    again = log(session, rep, customer, "walk", client_id="offline-1")
    assert not again.created and again.touch.id == first.touch.id
    assert (again.points.points, again.points.reason) == (first.points.points, first.points.reason) == (
        11, points.Reason.variety)
    assert again.badges == ()
    assert len(entries(session, rep)) == 1


def test_delete_appends_a_reversal_and_never_reverses_twice(session, rep, customer):
    kept = log(session, rep, customer, "call")
    gone = log(session, rep, customer, "visit")
    ops.delete_touch(session, gone.touch, now=NOW)
    assert balance(session, rep) == kept.points.points
    reversal = entries(session, rep)[-1]
    assert (reversal.points, reversal.reason, reversal.local_day) == (-11, "reversal", TODAY)
    original = session.scalar(select(PointsEntry).where(PointsEntry.touch_id == gone.touch.id,
                                                        PointsEntry.reversal_of_id.is_(None)))
    assert reversal.reversal_of_id == original.id
    assert ledger.reverse(session, gone.touch, now=NOW) == []  # a second delete path adds nothing
    assert len(entries(session, rep)) == 3
    assert points_q.totals(session, rep, today=TODAY, with_total=True) == points_q.Totals(7, 7, 7)


def test_undo_reverses_the_points(session, rep, customer):
    logged = log(session, rep, customer, "coffee")
    ops.undo_touch(session, logged.touch, now=NOW + timedelta(seconds=3))
    assert balance(session, rep) == 0
    assert [e.points for e in entries(session, rep)] == [11, -11]


def test_a_reversal_lands_on_the_day_the_touch_counted_for(session, rep, customer):
    logged = log(session, rep, customer, "call", days_back=2)
    assert logged.points.points == 7
    ops.delete_touch(session, logged.touch, now=NOW)
    assert {e.local_day for e in entries(session, rep)} == {TODAY - timedelta(days=2)}


def test_totals_today_this_iso_week_and_all_time(session, rep, customer, make_customer):
    log(session, rep, customer, "coffee")  # Friday: 11
    log(session, rep, make_customer(rep, now=NOW), "call", days_back=2)  # Wednesday: 7
    last_sunday = TODAY - timedelta(days=5)
    old_touch(session, rep, make_customer(rep, now=NOW), "email", last_sunday, pts=5)
    assert points_q.totals(session, rep, today=TODAY) == points_q.Totals(11, 18, None)
    assert points_q.totals(session, rep, today=TODAY, with_total=True) == points_q.Totals(11, 18, 23)


def test_a_colleagues_touches_with_the_customer_cost_nothing(session, rep, customer, make_user):
    coach = make_user(team=rep.team, role="coach", workdays=[0, 1, 2, 3, 4, 5, 6])
    for _ in range(3):
        ops.log_touch(session, user=coach, customer_id=customer.id, kind="call", now=NOW)
    assert log(session, rep, customer, "call").points.points == 7


def test_a_history_scored_in_bulk_equals_logging_it_touch_by_touch(session, rep, make_customer):
    from datetime import datetime, timezone

    first, second = make_customer(rep, "Vogt KG", now=NOW - timedelta(days=200)), make_customer(
        rep, "Lehmann Bau", now=NOW - timedelta(days=200))
    kinds = ["call", "email", "call", "letter", "visit", "call", "coffee", "email"]
    # Every few days over 130 days, two customers, same-day repeats, inbound ones: the cap,
    # the variety bonus and its 90-day window all come into play.
    start = datetime(2026, 7, 1, 9, 0, tzinfo=timezone.utc)
    for i in range(60):
        when = start + timedelta(days=(i * 13) // 6, hours=i % 3)
        ops.log_touch(session, user=rep, customer_id=(first if i % 5 else second).id, kind=kinds[i % len(kinds)],
                      direction="in" if i % 7 == 3 else "out", now=when)
    session.flush()
    logged = [(e.touch_id, e.points, e.reason, e.local_day, e.created_at) for e in entries(session, rep)]
    assert {reason for _id, _p, reason, _d, _at in logged} >= {"base", "variety", "cap", "inbound"}

    session.execute(PointsEntry.__table__.delete())
    history = session.scalars(select(Touch).where(Touch.user_id == rep.id).order_by(Touch.occurred_at, Touch.id))
    assert ledger.record_history(session, history) == 60
    session.expire_all()

    assert [(e.touch_id, e.points, e.reason, e.local_day, e.created_at) for e in entries(session, rep)] == logged
