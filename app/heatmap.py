"""The streak page's calendar heatmap: pure layout of the last weeks as cells."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from .streaks import is_away

CELL = 14
GAP = 3
LEFT = 28
TOP = 18


class DayType(StrEnum):
    """What a day was for the streak, drawn with its own shape so colour is not the only cue."""

    workday = "workday"
    neutral = "neutral"
    away = "away"
    frozen = "frozen"
    future = "future"


@dataclass(frozen=True)
class Cell:
    """One day of the heatmap."""

    day: date
    count: int
    level: int
    type: DayType
    x: int
    y: int


@dataclass(frozen=True)
class Heatmap:
    """Cells, month labels and the SVG's size."""

    cells: tuple[Cell, ...]
    months: tuple[tuple[int, date], ...]
    width: int
    height: int


def level(count: int) -> int:
    """Return the shade 0–4 for a day's touch count (0, 1, 2–3, 4–5, 6+)."""
    if count <= 0:
        return 0
    if count == 1:
        return 1
    if count <= 3:
        return 2
    if count <= 5:
        return 3
    return 4


def build(
    *,
    today: date,
    counts: Mapping[date, int],
    workdays: frozenset[int],
    away: Iterable[tuple[date, date]] = (),
    frozen_days: Iterable[date] = (),
    weeks: int = 26,
) -> Heatmap:
    """Lay out the *weeks* weeks up to *today*, Monday first, one column a week.

    A day is ``frozen`` when a freeze saved it, ``away`` in a vacation or team holiday,
    ``neutral`` when it is not a workday, ``future`` after today, else a ``workday``.
    """
    away_ranges = tuple(away)
    frozen = set(frozen_days)
    start = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    cells: list[Cell] = []
    months: list[tuple[int, date]] = []
    for week in range(weeks):
        monday = start + timedelta(weeks=week)
        x = LEFT + week * (CELL + GAP)
        if week == 0 or monday.month != (monday - timedelta(weeks=1)).month:
            months.append((x, monday))
        for weekday in range(7):
            day = monday + timedelta(days=weekday)
            if day > today:
                kind = DayType.future
            elif day in frozen:
                kind = DayType.frozen
            elif is_away(day, away_ranges):
                kind = DayType.away
            elif day.weekday() not in workdays:
                kind = DayType.neutral
            else:
                kind = DayType.workday
            count = counts.get(day, 0) if day <= today else 0
            cells.append(Cell(day, count, level(count), kind, x, TOP + weekday * (CELL + GAP)))
    width = LEFT + weeks * (CELL + GAP)
    height = TOP + 7 * (CELL + GAP)
    return Heatmap(tuple(cells), tuple(months), width, height)
