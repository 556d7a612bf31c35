"""Touch operations against a real database session: log, undo, edit, delete."""

from datetime import date, timedelta

import pytest

from app.models import Touch
from app.operations import Invalid, NotFound
from app.operations import touches as ops
from app.queries import streak as streak_q
from app.queries import today as today_q

from support import NOW


def _log(session, user, customer, kind="call", **kwargs):
    return ops.log_touch(session, user=user, customer_id=customer.id, kind=kind, now=kwargs.pop("now", NOW), **kwargs)


def test_log_touch_sets_local_day_and_customer_last_touch_day(session, make_user, make_customer):
    rep = make_user(timezone="Europe/Berlin")
    customer = make_customer(rep, now=NOW - timedelta(days=30))
    logged = _log(session, rep, customer, kind="coffee", note="Cake at Café Central")
    assert logged.created
    assert logged.touch.local_day == date(2026, 11, 27)
    assert logged.touch.backfilled is False
    assert customer.last_touch_day == date(2026, 11, 27)


def test_backfill_two_days_counts_for_that_day_and_keeps_a_later_last_touch(session, make_user, make_customer):
    rep = make_user()
    customer = make_customer(rep, now=NOW - timedelta(days=30))
    _log(session, rep, customer)
    old = _log(session, rep, customer, days_back=2).touch
    assert old.local_day == date(2026, 11, 25)
    assert old.backfilled is True
    assert customer.last_touch_day == date(2026, 11, 27)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "other"}, "note"),
        ({"kind": "other", "note": "   "}, "note"),
        ({"kind": "call", "note": "x" * 2001}, "note"),
        ({"kind": "fax"}, "kind"),
        ({"kind": "call", "days_back": 7}, "days_back"),
        ({"kind": "call", "day": "2026-11-20"}, "day"),
        ({"kind": "call", "day": date(2026, 11, 28)}, "day"),
        ({"kind": "call", "day": "soon"}, "day"),
        ({"kind": "call", "day": 3}, "day"),
        ({"kind": "call", "days_back": -1}, "days_back"),
        ({"kind": "call", "days_back": "1"}, "days_back"),
        ({"kind": "call", "direction": "sideways"}, "direction"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(session, make_user, make_customer, kwargs, field):
    rep = make_user()
    customer = make_customer(rep)
    with pytest.raises(Invalid) as exc:
        _log(session, rep, customer, **kwargs)
    assert field in exc.value.fields
    assert session.query(Touch).count() == 0
    assert customer.last_touch_day is None


def test_a_note_of_exactly_2000_characters_is_fine(session, make_user, make_customer):
    rep = make_user()
    customer = make_customer(rep)
    assert len(_log(session, rep, customer, note="x" * 2000).touch.note) == 2000


def test_another_organisations_customer_cannot_be_touched(session, make_user, make_customer):
    rep, stranger = make_user(), make_user()
    customer = make_customer(stranger)
    with pytest.raises(Invalid) as exc:
        _log(session, rep, customer)
    assert "customer_id" in exc.value.fields


def test_undo_within_the_window_deletes_and_recomputes_last_touch_day(session, make_user, make_customer):
    rep = make_user()
    customer = make_customer(rep, now=NOW - timedelta(days=30))
    _log(session, rep, customer, days_back=1)
    touch = _log(session, rep, customer).touch
    assert customer.last_touch_day == date(2026, 11, 27)
    ops.undo_touch(session, touch, now=NOW + timedelta(seconds=10), window_seconds=10)
    assert touch.deleted_at is not None
    assert customer.last_touch_day == date(2026, 11, 26)
    assert today_q.touches_on(session, rep, date(2026, 11, 27)) == 0


def test_undo_after_the_window_fails_and_keeps_the_touch(session, make_user, make_customer):
    rep = make_user()
    customer = make_customer(rep)
    touch = _log(session, rep, customer).touch
    with pytest.raises(Invalid) as exc:
        ops.undo_touch(session, touch, now=NOW + timedelta(seconds=10, milliseconds=1), window_seconds=10)
    assert "touch" in exc.value.fields
    assert touch.deleted_at is None
    assert customer.last_touch_day == date(2026, 11, 27)


def test_update_changes_kind_note_direction_but_never_the_day(session, make_user, make_customer):
    rep = make_user()
    customer = make_customer(rep)
    touch = _log(session, rep, customer, days_back=1).touch
    ops.update_touch(session, touch, kind="walk", note="With Bello", direction="in", now=NOW + timedelta(hours=1))
    assert (touch.kind, touch.note, touch.direction) == ("walk", "With Bello", "in")
    assert touch.local_day == date(2026, 11, 26)
    assert touch.updated_at == NOW + timedelta(hours=1)


def test_update_to_other_without_note_is_refused(session, make_user, make_customer):
    rep = make_user()
    touch = _log(session, rep, make_customer(rep)).touch
    with pytest.raises(Invalid):
        ops.update_touch(session, touch, kind="other", note="", direction="out", now=NOW)


def test_delete_recomputes_last_touch_day_to_none(session, make_user, make_customer):
    rep = make_user()
    customer = make_customer(rep)
    touch = _log(session, rep, customer).touch
    ops.delete_touch(session, touch, now=NOW)
    assert customer.last_touch_day is None
    assert streak_q.summary(session, rep, today=date(2026, 11, 27)).current == 0


def test_only_own_touches_can_be_fetched(session, make_user, make_customer):
    team_rep = make_user()
    colleague = make_user(team=team_rep.team)
    touch = _log(session, team_rep, make_customer(team_rep)).touch
    assert ops.get_own_touch(session, team_rep, touch.id) is touch
    with pytest.raises(NotFound):
        ops.get_own_touch(session, colleague, touch.id)
    ops.delete_touch(session, touch, now=NOW)
    with pytest.raises(NotFound):
        ops.get_own_touch(session, team_rep, touch.id)


def test_whom_to_touch_ranks_by_urgency_tier_and_puts_today_last(session, make_user, make_customer):
    rep = make_user()
    today = date(2026, 11, 27)
    start = NOW - timedelta(days=20)
    a_quiet = make_customer(rep, "A quiet", tier="A", now=start)       # 20 / 7
    b_quiet = make_customer(rep, "B quiet", tier="B", now=start)       # 20 / 14
    c_fresh = make_customer(rep, "C fresh", tier="C", now=start)       # 20 / 30
    touched = make_customer(rep, "Touched", tier="A", now=start)
    make_customer(rep, "Paused", tier="A", now=start, paused_until=today)
    make_customer(make_user(), "Stranger", tier="A", now=start)
    _log(session, rep, touched)
    names = [r.customer.name for r in today_q.whom_to_touch(session, rep, today=today)]
    assert names == ["A quiet", "B quiet", "C fresh", "Touched"]
    assert [r.customer.name for r in today_q.whom_to_touch(session, rep, today=today, limit=2)] == names[:2]
    assert a_quiet and b_quiet and c_fresh


def test_my_recent_touches_are_mine_newest_first_without_deleted(session, make_user, make_customer):
    rep = make_user()
    customer = make_customer(rep)
    first = _log(session, rep, customer, days_back=1).touch
    second = _log(session, rep, customer, now=NOW + timedelta(minutes=1)).touch
    gone = _log(session, rep, customer, now=NOW + timedelta(minutes=2)).touch
    ops.delete_touch(session, gone, now=NOW)
    other = make_user(team=rep.team)
    _log(session, other, make_customer(other))
    assert today_q.my_recent_touches(session, rep) == [second, first]
