"""Customer warmth (DESIGN.md "Customer warmth"), with explicit dates."""

import math
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import warmth
from app.warmth import Warmth, status, urgency

CREATED = date(2023, 1, 9)


@pytest.mark.parametrize(
    ("cadence", "last_touch", "today", "expected"),
    [
        # cadence 7 (tier A): warming from ceil(4.9) = 5 days, quiet after 7
        (7, date(2024, 3, 1), date(2024, 3, 1), Warmth.green),  # 0 days: touched today
        (7, date(2024, 3, 1), date(2024, 3, 5), Warmth.green),  # 4
        (7, date(2024, 3, 1), date(2024, 3, 6), Warmth.warming),  # 5
        (7, date(2024, 3, 1), date(2024, 3, 8), Warmth.warming),  # 7
        (7, date(2024, 3, 1), date(2024, 3, 9), Warmth.quiet),  # 8
        (7, date(2024, 2, 26), date(2024, 3, 2), Warmth.warming),  # 5, over the leap day
        # cadence 14 (tier B): warming from ceil(9.8) = 10, quiet after 14
        (14, date(2024, 12, 25), date(2025, 1, 3), Warmth.green),  # 9, over the new year
        (14, date(2024, 12, 25), date(2025, 1, 4), Warmth.warming),  # 10
        (14, date(2024, 12, 25), date(2025, 1, 8), Warmth.warming),  # 14
        (14, date(2024, 12, 25), date(2025, 1, 9), Warmth.quiet),  # 15
        # cadence 30 (tier C): warming from ceil(21.0) = 21, quiet after 30
        (30, date(2024, 4, 1), date(2024, 4, 21), Warmth.green),  # 20
        (30, date(2024, 4, 1), date(2024, 4, 22), Warmth.warming),  # 21
        (30, date(2024, 4, 1), date(2024, 5, 1), Warmth.warming),  # 30
        (30, date(2024, 4, 1), date(2024, 5, 2), Warmth.quiet),  # 31
        # cadence 1: warming from ceil(0.7) = 1, i.e. the day after a touch; quiet after 1
        (1, date(2024, 3, 1), date(2024, 3, 1), Warmth.green),  # 0
        (1, date(2024, 3, 1), date(2024, 3, 2), Warmth.warming),  # 1
        (1, date(2024, 3, 1), date(2024, 3, 3), Warmth.quiet),  # 2
        # cadence 365: warming from ceil(255.5) = 256, quiet after 365
        (365, date(2023, 3, 1), date(2023, 11, 11), Warmth.green),  # 255
        (365, date(2023, 3, 1), date(2023, 11, 12), Warmth.warming),  # 256
        (365, date(2023, 3, 1), date(2024, 2, 29), Warmth.warming),  # 365
        (365, date(2023, 3, 1), date(2024, 3, 1), Warmth.quiet),  # 366
        # cadence 10 and 20: 0.7 * cadence is whole, so exactly that many days is warming
        (10, date(2024, 3, 1), date(2024, 3, 7), Warmth.green),  # 6
        (10, date(2024, 3, 1), date(2024, 3, 8), Warmth.warming),  # 7
        (20, date(2024, 3, 1), date(2024, 3, 14), Warmth.green),  # 13
        (20, date(2024, 3, 1), date(2024, 3, 15), Warmth.warming),  # 14
        # cadence 3: warming from ceil(2.1) = 3, which is also the last day before quiet
        (3, date(2024, 3, 1), date(2024, 3, 3), Warmth.green),  # 2
        (3, date(2024, 3, 1), date(2024, 3, 4), Warmth.warming),  # 3
        (3, date(2024, 3, 1), date(2024, 3, 5), Warmth.quiet),  # 4
    ],
)
def test_warmth_thresholds_follow_the_cadence(cadence, last_touch, today, expected):
    got = status(last_touch_day=last_touch, created_day=CREATED, today=today, cadence_days=cadence)
    assert got is expected


@pytest.mark.parametrize(
    ("created", "today", "cadence", "expected"),
    [
        (date(2024, 3, 1), date(2024, 3, 1), 7, Warmth.green),  # created today
        (date(2024, 3, 1), date(2024, 3, 6), 7, Warmth.warming),
        (date(2024, 3, 1), date(2024, 3, 9), 7, Warmth.quiet),
    ],
)
def test_customer_never_touched_counts_from_the_day_it_was_created(created, today, cadence, expected):
    assert status(last_touch_day=None, created_day=created, today=today, cadence_days=cadence) is expected


def test_last_touch_wins_over_the_created_day():
    kwargs = dict(created_day=date(2023, 1, 9), today=date(2024, 3, 8), cadence_days=7)
    assert status(last_touch_day=date(2024, 3, 7), **kwargs) is Warmth.green
    assert status(last_touch_day=None, **kwargs) is Warmth.quiet


@pytest.mark.parametrize(
    ("paused_until", "today", "expected"),
    [
        (date(2024, 3, 20), date(2024, 3, 19), Warmth.paused),
        (date(2024, 3, 20), date(2024, 3, 20), Warmth.paused),  # on the last paused day
        (date(2024, 3, 20), date(2024, 3, 21), Warmth.quiet),  # the day after
        (date(2024, 3, 20), date(2024, 1, 1), Warmth.paused),
        (None, date(2024, 3, 20), Warmth.quiet),
    ],
)
def test_paused_while_paused_until_is_on_or_after_today(paused_until, today, expected):
    # Last touched on 1 Dec 2023: quiet on every one of these days unless paused.
    got = status(
        last_touch_day=date(2023, 12, 1),
        created_day=CREATED,
        today=today,
        cadence_days=7,
        paused_until=paused_until,
    )
    assert got is expected


def test_paused_overrides_a_fresh_touch_too():
    day = date(2024, 3, 20)
    got = status(last_touch_day=day, created_day=CREATED, today=day, cadence_days=7, paused_until=day)
    assert got is Warmth.paused


@pytest.mark.parametrize("cadence", [0, -1, -7, 0.5, True])
def test_cadence_below_one_day_is_rejected(cadence):
    with pytest.raises(ValueError):
        status(last_touch_day=None, created_day=CREATED, today=date(2024, 3, 1), cadence_days=cadence)
    with pytest.raises(ValueError):
        urgency(last_touch_day=None, created_day=CREATED, today=date(2024, 3, 1), cadence_days=cadence)


@pytest.mark.parametrize(
    ("cadence", "days", "expected"),
    [
        # Crisis mode tightens a 7-day cadence to 4.9 days: warming from ceil(3.43) = 4.
        (4.9, 3, Warmth.green),
        (4.9, 4, Warmth.warming),
        (4.9, 5, Warmth.quiet),
    ],
)
def test_fractional_crisis_cadence_keeps_the_same_rules(cadence, days, expected):
    today = date(2024, 3, 1) + timedelta(days=days)
    got = status(last_touch_day=date(2024, 3, 1), created_day=CREATED, today=today, cadence_days=cadence)
    assert got is expected


@pytest.mark.parametrize(("tier", "cadence"), [("A", 7), ("B", 14), ("C", 30)])
def test_default_cadence_by_tier(tier, cadence):
    assert warmth.default_cadence(tier) == cadence == warmth.TIER_CADENCE[tier]


@pytest.mark.parametrize(
    ("last_touch", "created", "today", "days"),
    [
        (date(2024, 3, 1), CREATED, date(2024, 3, 8), 7),
        (None, date(2024, 2, 28), date(2024, 3, 1), 2),
        (date(2024, 3, 1), CREATED, date(2024, 3, 1), 0),
    ],
)
def test_days_since_counts_from_the_last_touch_or_creation(last_touch, created, today, days):
    assert warmth.days_since(last_touch_day=last_touch, created_day=created, today=today) == days


@pytest.mark.parametrize(
    ("last_touch", "today", "cadence", "expected"),
    [
        (date(2024, 3, 1), date(2024, 3, 8), 7, 1.0),
        (date(2024, 3, 1), date(2024, 3, 8), 14, 0.5),
        (date(2024, 3, 1), date(2024, 3, 16), 30, 0.5),
        (date(2024, 3, 1), date(2024, 3, 1), 7, 0.0),
        (date(2024, 3, 1), date(2024, 3, 15), 7, 2.0),
    ],
)
def test_urgency_is_days_over_cadence(last_touch, today, cadence, expected):
    got = urgency(last_touch_day=last_touch, created_day=CREATED, today=today, cadence_days=cadence)
    assert got == expected


def test_warmth_is_a_str_enum():
    assert [w.value for w in Warmth] == ["green", "warming", "quiet", "paused"]
    assert Warmth("quiet") is Warmth.quiet
    assert Warmth.warming == "warming"


ORDER = {Warmth.green: 0, Warmth.warming: 1, Warmth.quiet: 2}


@settings(max_examples=200, deadline=None)
@given(cadence=st.integers(1, 365), days=st.integers(0, 800))
def test_warmth_matches_integer_thresholds(cadence, days):
    last = date(2024, 1, 1)
    today = last + timedelta(days=days)
    got = status(last_touch_day=last, created_day=CREATED, today=today, cadence_days=cadence)
    # ceil(7c / 10) in integer arithmetic, free of floating-point error.
    warming_from = -(-7 * cadence // 10)
    assert warming_from == math.ceil(0.7 * cadence) == warmth.warming_after(cadence)
    expected = Warmth.quiet if days > cadence else Warmth.warming if days >= warming_from else Warmth.green
    assert got is expected


@settings(max_examples=100, deadline=None)
@given(cadence=st.integers(1, 365), days=st.integers(0, 800), more=st.integers(0, 60))
def test_warmth_only_cools_as_days_pass(cadence, days, more):
    last = date(2024, 1, 1)
    kwargs = dict(last_touch_day=last, created_day=CREATED, cadence_days=cadence)
    earlier = status(today=last + timedelta(days=days), **kwargs)
    later = status(today=last + timedelta(days=days + more), **kwargs)
    assert ORDER[later] >= ORDER[earlier]
