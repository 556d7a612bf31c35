"""The instant as a rep lives it: their local day, the hour's place in it, and today's windows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from app import clock

from .model import RepSnapshot

MORNING_HOUR = 8
NOON_HOUR = 12
MIN_MORNING_HOURS = 2


@dataclass(frozen=True)
class Moment:
    """The instant as the rep lives it: local day, hour position and today's windows.

    Hours are compared as *positions in the rep's day*, ``(hour - day_start_hour) % 24``, so
    that 01:30 with a day start of 3 counts as the late evening of the day before.
    """

    now: datetime
    local: datetime
    day: date
    position: int
    workday: bool
    quiet: bool
    day_end: datetime
    morning: range
    daytime: range
    evening: range


def moment(snapshot: RepSnapshot, now: datetime) -> Moment:
    """Return the rep's view of the aware instant *now*; reject naive instants."""
    now = clock.require_aware(now)
    local = clock.local_now(now, snapshot.timezone)
    day = clock.local_day(now, snapshot.timezone, snapshot.day_start_hour)
    start = snapshot.day_start_hour

    def position(hour: int) -> int:
        return (hour - start) % 24

    def quiet_at(pos: int) -> bool:
        return in_quiet_hours(snapshot, (pos + start) % 24)

    # The morning opens at 08:00 (or the day start, if later) or, when that is a quiet hour,
    # at the first hour after it; it lasts until noon and at least two hours.
    opens = max(MORNING_HOUR - start, 0)
    while opens < 24 and quiet_at(opens):
        opens += 1
    closes = min(max(NOON_HOUR - start, opens + MIN_MORNING_HOURS), 24)
    evening = position(snapshot.evening_hour)
    return Moment(
        now=now,
        local=local,
        day=day,
        position=position(local.hour),
        workday=day.weekday() in snapshot.workdays,
        quiet=in_quiet_hours(snapshot, local.hour),
        day_end=clock.day_bounds(day, snapshot.timezone, start)[1],
        morning=range(opens, closes),
        daytime=range(opens, max(evening, closes)),
        evening=range(evening, 24),
    )


def in_quiet_hours(snapshot: RepSnapshot, hour: int) -> bool:
    """Tell whether the wall-clock *hour* lies in the rep's quiet hours (start inclusive).

    ``22 → 7`` crosses midnight and covers 22:00–06:59; ``12 → 14`` covers 12:00–13:59.
    """
    start, end = snapshot.quiet_start_hour, snapshot.quiet_end_hour
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end
