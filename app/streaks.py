"""The daily streak, as specified in DESIGN.md ("Streak").

Pure: takes the rep's active local days and ``today``; reads no clock and no database.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

MAX_FREEZES = 2
FREEZE_EVERY = 7
DEFAULT_WORKDAYS = frozenset({0, 1, 2, 3, 4})


@dataclass(frozen=True)
class StreakSummary:
    """A rep's streak as of one day.

    ``current`` and ``longest`` count active days; ``freezes`` are the freezes held now (0..2);
    ``frozen_days`` are the missed workdays a freeze covered, oldest first; ``at_risk`` says
    that today is an unlogged, expected workday of a running streak; ``today_active`` that
    something was logged today.
    """

    current: int = 0
    longest: int = 0
    freezes: int = 0
    frozen_days: tuple[date, ...] = ()
    at_risk: bool = False
    today_active: bool = False


@dataclass
class Walker:
    """The streak walk's running state, advanced one day at a time.

    ``run_of_active`` counts active days since the last missed workday (frozen or not); it is
    what earns freezes, and neutral days do not reset it.
    """

    current: int = 0
    longest: int = 0
    freezes: int = 0
    run_of_active: int = 0
    frozen_days: list[date] = field(default_factory=list)

    def step(self, day: date, *, active: bool, expected: bool, bonus: bool) -> None:
        """Advance the walk over one *day*, in calendar order.

        - *active* (something was logged): ``current += 1`` and ``run_of_active += 1``; when
          ``run_of_active`` reaches a multiple of 7 a freeze is earned, unless 2 are held.
        - not active and *expected* (a workday that is not away, and not today): spend a freeze
          if one is held — the day joins ``frozen_days`` and ``current`` is kept — otherwise
          ``current = 0``; either way ``run_of_active = 0``.
        - not active and not expected (a non-workday, an away day, or today before it is
          over): neutral, nothing changes.
        - *bonus* (a rescued customer) adds a freeze, at most 2 held, *after* the day's own
          step: a bonus cannot save the day it was earned on.
        - ``longest = max(longest, current)`` last.
        """
        if active:
            self.current += 1
            self.run_of_active += 1
            if self.run_of_active % FREEZE_EVERY == 0:
                self.freezes = min(MAX_FREEZES, self.freezes + 1)
        elif expected:
            if self.freezes > 0:
                self.freezes -= 1
                self.frozen_days.append(day)
            else:
                self.current = 0
            self.run_of_active = 0
        if bonus:
            self.freezes = min(MAX_FREEZES, self.freezes + 1)
        self.longest = max(self.longest, self.current)


def summarize(
    active_days: Iterable[date],
    *,
    today: date,
    workdays: frozenset[int] = DEFAULT_WORKDAYS,
    away: Iterable[tuple[date, date]] = (),
    bonus_freeze_days: Iterable[date] = (),
) -> StreakSummary:
    """Return the streak summary on *today*.

    Walk the days from the first active day up to *today*, in order:

    1. Active day: ``current += 1``; ``run_of_active += 1``; every 7th consecutive active day
       (``run_of_active`` 7, 14, ...) earns a freeze, at most 2 held.
    2. *today* and not active: nothing happens yet; the streak is *at risk* when today is a
       workday, not away, and ``current > 0``.
    3. A non-workday or an away day that is not active: neutral — it neither extends nor
       breaks the streak, nor resets ``run_of_active``.
    4. A missed workday: spend a freeze if one is held (the day goes into ``frozen_days``,
       ``current`` is kept, ``run_of_active = 0``); otherwise ``current = 0`` and
       ``run_of_active = 0``.
    5. A day in *bonus_freeze_days* adds a freeze (at most 2 held), after that day's step.
    6. ``longest = max(longest, current)`` after each day.

    Edge cases: an active day on a weekend or away day counts like any other; *workdays* are
    weekday numbers with Monday = 0; *away* ranges are inclusive ``(first, last)`` pairs and may
    overlap; active and bonus days after *today*, and bonus days before the first active day,
    are ignored; with no active day up to *today* the summary is all zero.
    """
    active = {d for d in active_days if d <= today}
    if not active:
        return StreakSummary()
    away_ranges = tuple(away)
    bonus = set(bonus_freeze_days)
    walker = Walker()
    fold(walker, min(active), today - timedelta(days=1), active=active, workdays=workdays,
         away=away_ranges, bonus=bonus)
    return finish(walker, today, active=active, workdays=workdays, away=away_ranges, bonus=bonus)


def fold(
    walker: Walker,
    first: date,
    last: date,
    *,
    active: Container[date],
    workdays: frozenset[int],
    away: tuple[tuple[date, date], ...],
    bonus: Container[date],
) -> Walker:
    """Step *walker* over the finished days ``first..last`` (inclusive), in order; return it.

    Folding a history in pieces gives the same walker as folding it at once, which is what
    lets the app keep a checkpoint and only walk the days after it.
    """
    day = first
    one = timedelta(days=1)
    while day <= last:
        expected = day.weekday() in workdays and not is_away(day, away)
        walker.step(day, active=day in active, expected=expected, bonus=day in bonus)
        day += one
    return walker


def finish(
    walker: Walker,
    today: date,
    *,
    active: Container[date],
    workdays: frozenset[int],
    away: tuple[tuple[date, date], ...],
    bonus: Container[date],
) -> StreakSummary:
    """Apply *today* to a walker folded through yesterday and return the summary.

    Today is never "missed" while it lasts: when nothing is logged yet it is neutral, and the
    streak is *at risk* if today is an expected workday and ``current > 0``.
    """
    today_active = today in active
    at_risk = (
        not today_active
        and today.weekday() in workdays
        and not is_away(today, away)
        and walker.current > 0
    )
    walker.step(today, active=today_active, expected=False, bonus=today in bonus)
    return StreakSummary(
        current=walker.current,
        longest=walker.longest,
        freezes=walker.freezes,
        frozen_days=tuple(walker.frozen_days),
        at_risk=at_risk,
        today_active=today_active,
    )


def consistency(
    active_days: Container[date],
    *,
    today: date,
    workdays: frozenset[int] = DEFAULT_WORKDAYS,
    away: Iterable[tuple[date, date]] = (),
    window: int = 28,
    decay: float = 0.9,
    since: date | None = None,
) -> float | None:
    """Return the rep's consistency, 0.0–1.0, or None with no qualifying day yet.

    ``consistency = sum(w_i * a_i) / sum(w_i)`` over the qualifying days of the last *window*
    calendar days, where a qualifying day is a workday that is not away (today only once
    something is logged, as today cannot be missed yet; with *since*, the day the rep joined,
    no day before it, and that day only once something is logged, as they may have joined in
    the evening), ``i`` is how many days ago it was,
    ``w_i = decay ** i`` and ``a_i`` is 1 for an active day, else 0. With ``decay = 0.9`` a
    day's weight halves in about a week, so one missed day yesterday costs roughly a tenth of
    the score and fades out within the month: a dip, not a cliff.
    """
    away_ranges = tuple(away)
    numerator = denominator = 0.0
    for i in range(window):
        day = today - timedelta(days=i)
        active = day in active_days
        if since is not None and day < since:
            break
        if (i == 0 or day == since) and not active:
            continue
        if day.weekday() not in workdays or is_away(day, away_ranges):
            continue
        weight = decay**i
        denominator += weight
        numerator += weight if active else 0.0
    if denominator == 0:
        return None
    return numerator / denominator


def is_away(day: date, away: Iterable[tuple[date, date]]) -> bool:
    """Tell whether *day* falls in one of the inclusive ``(first, last)`` *away* ranges."""
    return any(first <= day <= last for first, last in away)


@dataclass(frozen=True)
class Run:
    """One run of a streak seen in a window of days: its first and last active day in the window.

    ``days`` counts the run's active days inside the window; ``earlier`` says that no break
    came between the window's first day and the run, so the run may have begun before the
    window (its earlier days are not counted); ``ongoing`` that no break followed it: it is the
    streak still running today.
    """

    first: date
    last: date
    days: int
    earlier: bool
    ongoing: bool


def runs(
    active_days: Container[date],
    *,
    first: date,
    today: date,
    workdays: frozenset[int] = DEFAULT_WORKDAYS,
    away: Iterable[tuple[date, date]] = (),
    frozen_days: Container[date] = (),
) -> tuple[Run, ...]:
    """Return the runs of the streak over the days *first*..*today*, oldest first.

    The streak breaks on a missed workday that no freeze covered: a workday before *today*,
    not away, without a touch and not in *frozen_days* (the days the walk spent a freeze on,
    ``StreakSummary.frozen_days``) — so the runs follow from the kept summary and the window's
    days alone, without walking the history before *first*. A run is the active days between
    two breaks; days off, away days, frozen days and today (while it lasts) neither extend nor
    break it.
    """
    away_ranges = tuple(away)
    found: list[Run] = []
    start = last = None
    count = 0
    broke = False
    day = first
    while day <= today:
        if day in active_days:
            if start is None:
                start, earlier = day, not broke
            last = day
            count += 1
        elif day < today and day.weekday() in workdays and not is_away(day, away_ranges) and day not in frozen_days:
            if start is not None:
                found.append(Run(start, last, count, earlier, False))  # type: ignore[arg-type]
                start, count = None, 0
            broke = True
        day += timedelta(days=1)
    if start is not None:
        found.append(Run(start, last, count, earlier, True))  # type: ignore[arg-type]
    return tuple(found)
