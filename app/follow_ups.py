"""Follow-ups: the next touch a rep plans with a customer, on one of the rep's local days.

Pure: the rep's *today* is passed in. The rules:

- **Due**: a follow-up is due from its day on, ``due_day <= today``; **overdue** the day after,
  ``due_day < today``, by ``(today - due_day).days`` days.
- **Which days**: from the rep's today (a plan for today is fine) up to `MAX_AHEAD_DAYS` (365)
  ahead; an earlier day is refused ("a date in the past"), a later one too.
- **Quick picks**: *tomorrow* is the next calendar day; *next week* is the first of the rep's
  workdays in the next week (Monday to Sunday), or next Monday for a rep without workdays.
- **Whom to touch today** ranks customers with a due follow-up first — overdue longest first
  (`rank`), then in the usual urgency order — and lists them even while paused: the rep planned
  the touch, so it is shown.
- **Done** by the next touch with the customer (any kind, in or out, even before the due day),
  as long as that touch's day is not before the day the follow-up was planned: a touch logged
  afterwards for an earlier day happened before the plan and leaves it open (`done_by`).
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

MAX_AHEAD_DAYS = 365
MAX_NOTE = 500


class DayProblem(StrEnum):
    """Why a day cannot be planned."""

    past = "past"
    too_far = "too_far"


def day_problem(day: date, *, today: date) -> DayProblem | None:
    """Return why *day* cannot be planned on the rep's *today*, or None when it can."""
    if day < today:
        return DayProblem.past
    if day > today + timedelta(days=MAX_AHEAD_DAYS):
        return DayProblem.too_far
    return None


def is_due(due_day: date, *, today: date) -> bool:
    """Tell whether a follow-up for *due_day* is due on *today* (that day or later)."""
    return due_day <= today


def days_overdue(due_day: date, *, today: date) -> int:
    """Return how many days a follow-up is overdue on *today* (0 on its day and before)."""
    return max(0, (today - due_day).days)


def rank(due_day: date | None, *, today: date) -> tuple[int, int]:
    """Return the part of the *whom to touch* sort key a follow-up gives: due ones first, longest overdue first.

    ``(0, -days overdue)`` for a due follow-up, ``(1, 0)`` for none or one not yet due; the usual
    urgency order follows it in the key.
    """
    if due_day is None or not is_due(due_day, today=today):
        return (1, 0)
    return (0, -days_overdue(due_day, today=today))


def done_by(*, touch_day: date, planned_day: date) -> bool:
    """Tell whether a touch counted for *touch_day* does a follow-up planned on *planned_day*."""
    return touch_day >= planned_day


def tomorrow(today: date) -> date:
    """Return the quick pick "tomorrow"."""
    return today + timedelta(days=1)


def next_week(today: date, workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})) -> date:
    """Return the quick pick "next week": the first workday of the next Monday-to-Sunday week.

    *workdays* are weekday numbers (Monday = 0); without any, next Monday.
    """
    monday = today + timedelta(days=7 - today.weekday())
    for offset in range(7):
        day = monday + timedelta(days=offset)
        if day.weekday() in workdays:
            return day
    return monday
