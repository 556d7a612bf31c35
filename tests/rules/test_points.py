"""Points per touch (DESIGN.md "Gamification"): base by kind, variety bonus, unobtrusive cap."""

from dataclasses import FrozenInstanceError
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app import points
from app.kinds import Direction, TouchKind
from app.points import (
    BASE_POINTS,
    INBOUND_POINTS,
    VARIETY_BONUS,
    LedgerEntry,
    Reason,
    Score,
    balance,
    cap_window,
    entry_for,
    reversal,
    score,
    variety_window,
)

K = TouchKind
ALL_KINDS = frozenset(TouchKind)


def test_every_kind_has_a_base():
    assert set(BASE_POINTS) == set(TouchKind)
    assert all(p > 0 for p in BASE_POINTS.values())


@pytest.mark.parametrize("personal", [K.letter, K.visit, K.coffee, K.walk])
@pytest.mark.parametrize("quick", [K.email, K.message])
def test_personal_kinds_are_worth_more_than_an_email(personal, quick):
    assert BASE_POINTS[personal] > BASE_POINTS[K.call] > BASE_POINTS[quick]


@pytest.mark.parametrize(
    ("kind", "used", "expected"),
    [
        (K.letter, ALL_KINDS, Score(8, 8, 0, False, Reason.base)),
        (K.email, {"email"}, Score(2, 2, 0, False, Reason.base)),
        (K.call, {K.call, K.email}, Score(4, 4, 0, False, Reason.base)),
        ("walk", ["walk"], Score(8, 8, 0, False, Reason.base)),
    ],
)
def test_kind_already_used_with_customer_scores_its_base(kind, used, expected):
    assert score(kind, customer_kinds_last_90_days=used,
                 scored_touches_same_customer_last_7_days=0) == expected


@pytest.mark.parametrize(
    ("kind", "used", "points"),
    [
        (K.letter, set(), 8 + VARIETY_BONUS),  # a customer's first touch is new too
        (K.coffee, {K.call, K.email}, 8 + VARIETY_BONUS),
        (K.email, {K.letter}, 2 + VARIETY_BONUS),
        (K.other, ALL_KINDS - {K.other}, 5 + VARIETY_BONUS),
    ],
)
def test_new_kind_for_customer_earns_variety_bonus(kind, used, points):
    result = score(kind, customer_kinds_last_90_days=used,
                   scored_touches_same_customer_last_7_days=1)
    assert result.points == points
    assert (result.variety_bonus, result.reason) == (VARIETY_BONUS, Reason.variety)


@pytest.mark.parametrize("earlier", [0, 1])
def test_first_two_scored_touches_within_7_days_score_in_full(earlier):
    result = score(K.visit, customer_kinds_last_90_days={K.visit},
                   scored_touches_same_customer_last_7_days=earlier)
    assert (result.points, result.capped) == (8, False)


@pytest.mark.parametrize(
    ("kind", "used", "earlier"),
    [
        (K.letter, {K.letter}, 2),
        (K.letter, set(), 2),  # even a new kind: the cap wins over the bonus
        (K.email, {K.email}, 3),
        (K.walk, set(), 10),
    ],
)
def test_third_touch_to_same_customer_within_7_days_scores_zero(kind, used, earlier):
    result = score(kind, customer_kinds_last_90_days=used,
                   scored_touches_same_customer_last_7_days=earlier)
    assert result.points == 0
    assert result.capped is True
    assert result.reason is Reason.cap  # the rep is shown why
    # what it would have been worth stays visible
    assert result.base == BASE_POINTS[kind]
    assert result.variety_bonus == (0 if kind in used else VARIETY_BONUS)


@pytest.mark.parametrize("kind", list(TouchKind))
def test_inbound_touch_scores_a_flat_point_without_bonus(kind):
    result = score(kind, customer_kinds_last_90_days=set(),
                   scored_touches_same_customer_last_7_days=0, direction=Direction.in_)
    assert result == Score(INBOUND_POINTS, INBOUND_POINTS, 0, False, Reason.inbound)


def test_inbound_touch_is_capped_too():
    result = score(K.call, customer_kinds_last_90_days=set(),
                   scored_touches_same_customer_last_7_days=2, direction="in")
    assert (result.points, result.reason) == (0, Reason.cap)


@pytest.mark.parametrize(
    ("day", "first", "last"),
    [
        (date(2024, 6, 10), date(2024, 6, 4), date(2024, 6, 10)),  # 7 local days ending today
        (date(2024, 3, 3), date(2024, 2, 26), date(2024, 3, 3)),  # over the leap day
    ],
)
def test_cap_window_is_the_7_local_days_ending_on_the_touch_day(day, first, last):
    assert cap_window(day) == (first, last)
    assert (last - first).days + 1 == 7


def test_variety_window_is_the_90_local_days_ending_on_the_touch_day():
    first, last = variety_window(date(2024, 6, 10))
    assert last == date(2024, 6, 10)
    assert (last - first).days + 1 == 90
    assert first == date(2024, 3, 13)


@pytest.mark.parametrize(
    ("kind", "direction", "earlier"),
    [("kite", "out", 0), ("call", "sideways", 0), ("call", "out", -1)],
)
def test_bad_input_is_rejected(kind, direction, earlier):
    with pytest.raises(ValueError):
        score(kind, customer_kinds_last_90_days=(), direction=direction,
              scored_touches_same_customer_last_7_days=earlier)


def test_score_is_frozen():
    result = score(K.call, customer_kinds_last_90_days=(),
                   scored_touches_same_customer_last_7_days=0)
    with pytest.raises(FrozenInstanceError):
        result.points = 100


def test_deleted_touch_writes_a_reversing_entry():
    stored = LedgerEntry(touch_id=7, points=11, reason=Reason.variety, id=40)
    undo = reversal(stored)
    assert undo == LedgerEntry(touch_id=7, points=-11, reason=Reason.reversal, reversal_of=40)
    assert balance([stored, undo]) == 0


def test_reversal_of_a_capped_entry_is_zero():
    capped = LedgerEntry(touch_id=8, points=0, reason=Reason.cap, id=41)
    assert reversal(capped).points == 0


@pytest.mark.parametrize(
    "entry",
    [
        LedgerEntry(touch_id=7, points=11, reason=Reason.variety),  # not stored yet
        LedgerEntry(touch_id=7, points=-11, reason=Reason.reversal, reversal_of=40, id=41),
    ],
)
def test_only_a_stored_scoring_entry_can_be_reversed(entry):
    with pytest.raises(ValueError):
        reversal(entry)


def test_ledger_entry_records_the_score_and_its_reason():
    result = score(K.letter, customer_kinds_last_90_days=(),
                   scored_touches_same_customer_last_7_days=2)
    assert entry_for(5, result) == LedgerEntry(touch_id=5, points=0, reason=Reason.cap)


def test_ledger_balance_after_delete_and_restore():
    first = LedgerEntry(touch_id=1, points=8, reason=Reason.base, id=1)
    other = LedgerEntry(touch_id=2, points=2, reason=Reason.base, id=2)
    undo = reversal(first)
    restored = entry_for(1, Score(8, 8, 0, False, Reason.base))
    assert balance([first, other]) == 10
    assert balance([first, other, undo]) == 2
    assert balance([first, other, undo, restored]) == 10


kinds = st.sampled_from(list(TouchKind))
directions = st.sampled_from(list(Direction))


@given(kind=kinds, used=st.frozensets(kinds), earlier=st.integers(0, 50), direction=directions)
def test_points_are_never_negative(kind, used, earlier, direction):
    result = score(kind, customer_kinds_last_90_days=used,
                   scored_touches_same_customer_last_7_days=earlier, direction=direction)
    assert result.points >= 0
    assert result.points == (0 if result.capped else result.base + result.variety_bonus)


@given(kind=kinds, used=st.frozensets(kinds), earlier=st.integers(points.CAP_TOUCHES, 1000),
       direction=directions)
def test_a_touch_beyond_the_cap_scores_zero(kind, used, earlier, direction):
    result = score(kind, customer_kinds_last_90_days=used,
                   scored_touches_same_customer_last_7_days=earlier, direction=direction)
    assert (result.points, result.capped, result.reason) == (0, True, Reason.cap)


@given(kind=kinds, used=st.frozensets(kinds))
def test_a_new_kind_never_scores_less_than_a_used_one(kind, used):
    fresh = score(kind, customer_kinds_last_90_days=used - {kind},
                  scored_touches_same_customer_last_7_days=0)
    seen = score(kind, customer_kinds_last_90_days=used | {kind},
                 scored_touches_same_customer_last_7_days=0)
    assert fresh.points == seen.points + VARIETY_BONUS
