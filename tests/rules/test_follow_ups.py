"""Follow-ups (app/follow_ups.py): due, overdue, which days may be planned, ranking, quick picks — explicit dates."""

from datetime import date

import pytest

from app import follow_ups
from app.follow_ups import DayProblem

FRIDAY = date(2026, 11, 27)


@pytest.mark.parametrize(
    ("due_day", "today", "due", "overdue"),
    [
        (date(2026, 11, 28), FRIDAY, False, 0),  # tomorrow: planned, not due
        (date(2027, 11, 27), FRIDAY, False, 0),  # a year ahead
        (FRIDAY, FRIDAY, True, 0),  # its own day: due, not overdue
        (date(2026, 11, 26), FRIDAY, True, 1),  # yesterday: one day overdue
        (date(2026, 11, 20), FRIDAY, True, 7),
        (date(2024, 2, 28), date(2024, 3, 1), True, 2),  # over a leap day
        (date(2026, 12, 31), date(2027, 1, 1), True, 1),  # over the new year
    ],
)
def test_a_follow_up_is_due_on_its_day_and_overdue_after_it(due_day, today, due, overdue):
    assert follow_ups.is_due(due_day, today=today) is due
    assert follow_ups.days_overdue(due_day, today=today) == overdue


@pytest.mark.parametrize(
    ("day", "today", "problem"),
    [
        (FRIDAY, FRIDAY, None),  # today is fine
        (date(2026, 11, 28), FRIDAY, None),
        (date(2026, 11, 26), FRIDAY, DayProblem.past),  # yesterday: a date in the past
        (date(2020, 1, 1), FRIDAY, DayProblem.past),
        (date(2027, 11, 27), FRIDAY, None),  # exactly 365 days ahead
        (date(2027, 11, 28), FRIDAY, DayProblem.too_far),  # 366
        (date(2025, 2, 28), date(2024, 2, 29), None),  # 365 days from a leap day
        (date(2025, 3, 1), date(2024, 2, 29), DayProblem.too_far),
    ],
)
def test_a_day_from_the_reps_today_up_to_a_year_ahead_may_be_planned(day, today, problem):
    assert follow_ups.day_problem(day, today=today) is problem


def test_due_follow_ups_rank_first_the_longest_overdue_first():
    today = FRIDAY
    planned = {
        "none": None,
        "next week": date(2026, 12, 4),
        "tomorrow": date(2026, 11, 28),
        "today": FRIDAY,
        "3 days overdue": date(2026, 11, 24),
        "1 day overdue": date(2026, 11, 26),
    }
    order = sorted(planned, key=lambda name: (follow_ups.rank(planned[name], today=today), name))
    assert order[:3] == ["3 days overdue", "1 day overdue", "today"]
    # Not due yet: no place of their own; the usual urgency order (the next key) decides.
    assert follow_ups.rank(date(2026, 12, 4), today=today) == follow_ups.rank(None, today=today) == (1, 0)


@pytest.mark.parametrize(
    ("touch_day", "planned_day", "done"),
    [
        (FRIDAY, FRIDAY, True),  # the same day as the plan
        (date(2026, 11, 30), FRIDAY, True),  # after it, before the due day as well
        (date(2026, 11, 26), FRIDAY, False),  # logged later for yesterday: before the plan
    ],
)
def test_the_next_touch_does_a_follow_up_unless_it_happened_before_the_plan(touch_day, planned_day, done):
    assert follow_ups.done_by(touch_day=touch_day, planned_day=planned_day) is done


@pytest.mark.parametrize(
    ("today", "workdays", "tomorrow", "next_week"),
    [
        (FRIDAY, frozenset({0, 1, 2, 3, 4}), date(2026, 11, 28), date(2026, 11, 30)),  # Fri → Sat, Mon
        (date(2026, 11, 30), frozenset({0, 1, 2, 3, 4}), date(2026, 12, 1), date(2026, 12, 7)),  # Mon → next Mon
        (date(2026, 11, 29), frozenset({0, 1, 2, 3, 4}), date(2026, 11, 30), date(2026, 11, 30)),  # Sun → Mon
        (FRIDAY, frozenset({2, 3}), date(2026, 11, 28), date(2026, 12, 2)),  # works Wed and Thu
        (FRIDAY, frozenset(), date(2026, 11, 28), date(2026, 11, 30)),  # no workdays: Monday
        (date(2026, 12, 31), frozenset({0, 1, 2, 3, 4}), date(2027, 1, 1), date(2027, 1, 4)),
    ],
)
def test_the_quick_picks(today, workdays, tomorrow, next_week):
    assert follow_ups.tomorrow(today) == tomorrow
    assert follow_ups.next_week(today, workdays) == next_week
