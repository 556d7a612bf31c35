"""What the pages show (app/statuses.py): a customer is "new" until its first cadence has run, a rep until a workday has ended."""

from datetime import date, timedelta

import pytest

from app import streaks, warmth
from app.statuses import Status, customer_is_new, customer_status, rep_is_new
from app.warmth import Warmth

ADDED = date(2026, 11, 2)  # a Monday


@pytest.mark.parametrize(
    ("cadence", "days_after", "last_touch", "expected"),
    [
        # cadence 7: new from the day it was added through day 6; day 7 is due ("cooling"), then quiet
        (7, 0, None, Status.new),
        (7, 4, None, Status.new),
        (7, 5, None, Status.new),  # warming by warmth (5 >= ceil(4.9)), but nobody touched it yet
        (7, 6, None, Status.new),
        (7, 7, None, Status.warming),  # the first cadence has run: the first touch is due today
        (7, 8, None, Status.quiet),
        # cadence 14 and 30
        (14, 13, None, Status.new),
        (14, 14, None, Status.warming),
        (14, 15, None, Status.quiet),
        (30, 29, None, Status.new),
        (30, 30, None, Status.warming),
        # cadence 1: new only on the day it was added
        (1, 0, None, Status.new),
        (1, 1, None, Status.warming),
        (1, 2, None, Status.quiet),
        # any touch ends "new": the warmth shows, green included
        (7, 3, ADDED + timedelta(days=1), Status.green),
        (7, 0, ADDED, Status.green),
        (7, 6, ADDED + timedelta(days=1), Status.warming),
        (7, 20, ADDED + timedelta(days=10), Status.quiet),
    ],
)
def test_a_customer_is_new_until_its_first_cadence_has_run(cadence, days_after, last_touch, expected):
    today = ADDED + timedelta(days=days_after)
    state = warmth.status(last_touch_day=last_touch, created_day=ADDED, today=today, cadence_days=cadence)
    got = customer_status(state, last_touch_day=last_touch, created_day=ADDED, today=today, cadence_days=cadence)
    assert got is expected
    assert customer_is_new(last_touch_day=last_touch, created_day=ADDED, today=today,
                           cadence_days=cadence) is (expected is Status.new)


@pytest.mark.parametrize(("days_after", "expected"), [(0, True), (9, True), (10, False), (11, False)])
def test_crisis_cadence_shortens_the_first_cadence(days_after, expected):
    # crisis mode: 14 × 0.7 = 9.8 days, so new through day 9 (9 < 9.8) and quiet from day 10
    assert customer_is_new(last_touch_day=None, created_day=ADDED, today=ADDED + timedelta(days=days_after),
                           cadence_days=9.8) is expected


def test_a_paused_new_customer_shows_paused():
    today = ADDED + timedelta(days=2)
    state = warmth.status(last_touch_day=None, created_day=ADDED, today=today, cadence_days=7,
                          paused_until=today + timedelta(days=3))
    assert state is Warmth.paused
    assert customer_status(state, last_touch_day=None, created_day=ADDED, today=today, cadence_days=7) is Status.paused


def test_every_warmth_is_a_status_of_the_same_name():
    assert {w.value for w in Warmth} | {"new"} == {s.value for s in Status}


MON, TUE, WED, THU, FRI, SAT, SUN = (date(2026, 11, 23) + timedelta(days=i) for i in range(7))
NEXT_MON, NEXT_TUE = date(2026, 11, 30), date(2026, 12, 1)


@pytest.mark.parametrize(
    ("joined", "today", "workdays", "away", "expected"),
    [
        (FRI, FRI, streaks.DEFAULT_WORKDAYS, (), True),  # joined today
        (THU, FRI, streaks.DEFAULT_WORKDAYS, (), True),  # the joining day is not judged
        (WED, FRI, streaks.DEFAULT_WORKDAYS, (), False),  # Thursday, a workday, has ended
        (FRI, SAT, streaks.DEFAULT_WORKDAYS, (), True),
        (FRI, NEXT_MON, streaks.DEFAULT_WORKDAYS, (), True),  # the weekend is no workday
        (FRI, NEXT_TUE, streaks.DEFAULT_WORKDAYS, (), False),  # Monday has ended
        (FRI, NEXT_TUE, frozenset({1, 2, 3, 4}), (), True),  # Monday is no workday of theirs
        (MON, FRI, streaks.DEFAULT_WORKDAYS, ((TUE, THU),), True),  # away every workday since
        (MON, FRI, streaks.DEFAULT_WORKDAYS, ((TUE, WED),), False),  # Thursday was a workday at work
        (SAT, SUN, streaks.DEFAULT_WORKDAYS, (), True),
        (FRI, THU, streaks.DEFAULT_WORKDAYS, (), True),  # a zone change put the joining day after today
    ],
)
def test_a_rep_is_new_until_a_workday_after_joining_has_ended(joined, today, workdays, away, expected):
    assert rep_is_new(joined_day=joined, today=today, workdays=workdays, away=away) is expected


@pytest.mark.parametrize(
    ("since", "active", "expected"),
    [
        (FRI, set(), None),  # joined today, nothing logged: no qualifying day, not "0 %"
        (FRI, {FRI}, 1.0),  # joined today and logged: today counts
        (THU, set(), None),  # the joining day only counts once active
        (THU, {THU}, 1.0),
        (WED, {WED}, pytest.approx(0.81 / (0.81 + 0.9))),  # Thursday missed
        (None, set(), 0.0),  # without a joining day every past workday counts, as before
    ],
)
def test_consistency_starts_on_the_day_the_rep_joined(since, active, expected):
    assert streaks.consistency(active, today=FRI, since=since) == expected
