"""The weekly summary mail's timing (app/weekly.py), with explicit days and hours.

November/December 2026: Mon 23, … Sun 29, Mon 30 Nov, Tue 1 Dec, Sat 5, Sun 6.
"""

from datetime import date

import pytest

from app import weekly

WEEKDAYS = frozenset({0, 1, 2, 3, 4})
MON, TUE, SAT, SUN = date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 5), date(2026, 12, 6)


@pytest.mark.parametrize(("day", "key"), [
    (date(2026, 11, 30), "2026-W49"),
    (date(2026, 12, 6), "2026-W49"),
    (date(2026, 12, 31), "2026-W53"),
    (date(2027, 1, 3), "2026-W53"),  # a Sunday still in the ISO week of the old year
    (date(2027, 1, 4), "2027-W01"),
])
def test_the_key_of_a_mail_is_the_iso_week_of_the_local_day(day, key):
    assert weekly.week_key(day) == key


@pytest.mark.parametrize("day", [MON, TUE, SAT, SUN])
def test_the_summary_is_about_the_iso_week_before(day):
    assert weekly.previous_week(day) == (date(2026, 11, 23), date(2026, 11, 29))


def test_the_week_before_the_first_of_the_year_lies_in_the_old_year():
    assert weekly.previous_week(date(2027, 1, 4)) == (date(2026, 12, 28), date(2027, 1, 3))


@pytest.mark.parametrize(("day", "hour", "workdays", "quiet", "due"), [
    (MON, 7, WEEKDAYS, False, True),            # the first workday's morning, from 07:00
    (MON, 6, WEEKDAYS, False, False),           # too early
    (MON, 8, WEEKDAYS, True, False),            # in quiet hours
    (MON, 23, WEEKDAYS, False, True),           # a missed morning is caught up later that day
    (TUE, 9, WEEKDAYS, False, True),            # … and later in the week
    (SUN, 10, WEEKDAYS, False, True),
    (SUN, 3, WEEKDAYS, False, False),           # never before 07:00, whatever the day
    (MON, 9, frozenset({1, 2, 3, 4, 5}), False, False),  # the week's first workday is Tuesday
    (TUE, 9, frozenset({1, 2, 3, 4, 5}), False, True),
    (SAT, 9, frozenset({5, 6}), False, True),
    (MON, 7, frozenset(), False, True),         # no workdays at all: Monday
])
def test_the_mail_is_due_from_the_first_workdays_morning_outside_quiet_hours(day, hour, workdays, quiet, due):
    assert weekly.is_due(day, hour, workdays=workdays, quiet=quiet) is due
