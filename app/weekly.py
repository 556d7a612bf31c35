"""The weekly summary mail's timing (pure): which week a mail is for, and when it is due.

A user who switched the weekly summary on gets one mail per ISO week of their own time zone,
about the ISO week before. It is due from the morning of their first workday of the week (the
lowest weekday number in their workdays, as the coach's weekly push counts it; Monday without
any): from ``MORNING_HOUR`` local time on, outside their quiet hours. Every later hour of the
week that satisfies both is due too, so a run that was missed or failed is caught up by the next.
"""

from __future__ import annotations

from datetime import date, timedelta

from .badges import iso_week

MORNING_HOUR = 7


def week_key(day: date) -> str:
    """Return the ISO week of *day* as the mail's key, e.g. ``2026-W48``."""
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def previous_week(day: date) -> tuple[date, date]:
    """Return the Monday and the Sunday of the ISO week before the week of *day*."""
    return iso_week(day - timedelta(days=7))


def is_due(day: date, hour: int, *, workdays: frozenset[int], quiet: bool) -> bool:
    """Tell whether the summary of the week of *day* is due at the wall-clock *hour* of that local day.

    *quiet*: whether *hour* lies in the user's quiet hours.
    """
    first_workday = min(workdays, default=0)
    return not quiet and hour >= MORNING_HOUR and day.weekday() >= first_workday
