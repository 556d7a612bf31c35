"""What the pages call a customer and a rep: "new" while there is nothing yet to judge them on.

The warmth contract (``app/warmth.py``) is not changed by these rules: a customer's warmth
stays green, warming, quiet or paused, as the nudges and the API's ``warmth`` field say. The
pages show a *status* instead, which is the warmth, or "new" for a customer nobody has touched
yet whose first cadence has not run; and the coach's radar shows a rep as new until a workday
of theirs has ended.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from enum import StrEnum

from .streaks import DEFAULT_WORKDAYS, is_away
from .warmth import Warmth


class Status(StrEnum):
    """A customer's status as the pages show it: new, or its warmth."""

    new = "new"
    green = "green"
    warming = "warming"
    quiet = "quiet"
    paused = "paused"


def customer_is_new(*, last_touch_day: date | None, created_day: date, today: date, cadence_days: float) -> bool:
    """Tell whether a customer is new on *today*: never touched, and its first cadence has not run.

    The first cadence has run on the day *cadence_days* days have passed since ``created_day``
    (the day the first touch is due), so a customer is new while
    ``today - created_day < cadence_days``: with a cadence of 7, from the day it was added
    (day 0) through day 6. On day 7 it shows its warmth ("cooling": due today), after that
    "quiet". Any touch, however old, ends "new" for good. *cadence_days* is the cadence warmth
    uses (crisis mode's tighter one included).
    """
    if last_touch_day is not None:
        return False
    return (today - created_day).days < cadence_days


def customer_status(
    warmth: Warmth, *, last_touch_day: date | None, created_day: date, today: date, cadence_days: float
) -> Status:
    """Return what the pages show for a customer with *warmth*: ``paused`` first, then ``new``, else the warmth.

    A paused customer shows as paused even when new: the rep asked for the pause, and it says
    why nobody is reminded of the customer.
    """
    if warmth is not Warmth.paused and customer_is_new(
        last_touch_day=last_touch_day, created_day=created_day, today=today, cadence_days=cadence_days
    ):
        return Status.new
    return Status(warmth.value)


def rep_is_new(
    *,
    joined_day: date,
    today: date,
    workdays: frozenset[int] = DEFAULT_WORKDAYS,
    away: Iterable[tuple[date, date]] = (),
) -> bool:
    """Tell whether a rep is new on the radar: no workday of theirs has ended since the day they joined.

    The joining day itself is not judged (someone may join at five in the evening), nor is
    *today* (it has not ended). So a rep is new while no day strictly between ``joined_day``
    and ``today`` is a workday on which they were not away (vacation, sick leave, a team
    holiday): joined on a Friday with Monday to Friday workdays, they are new through Monday
    and judged from Tuesday, once Monday has ended.
    """
    ranges = tuple(away)
    day = joined_day + timedelta(days=1)
    while day < today:
        if day.weekday() in workdays and not is_away(day, ranges):
            return False
        day += timedelta(days=1)
    return True
