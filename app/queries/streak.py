"""Streak reads: a rep's history, the streak from the kept checkpoint, the streak page.

The checkpoint (``StreakState``, which every write keeps up to date) holds the streak walk
folded through a few days ago; a read walks on only over the days after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import streaks
from ..models import StreakState, Touch, User
from . import away as away_q


@dataclass(frozen=True)
class History:
    """What a rep's streak is computed from."""

    active: frozenset[date]
    bonus: frozenset[date]
    away: tuple[tuple[date, date], ...]
    workdays: frozenset[int]


def history(session: Session, user: User, *, after: date | None = None) -> History:
    """Load the rep's active days, rescue days and away ranges (only those after *after*)."""
    stmt = select(Touch.local_day, Touch.rescue).where(Touch.user_id == user.id, Touch.deleted_at.is_(None))
    if after is not None:
        stmt = stmt.where(Touch.local_day > after)
    active: set[date] = set()
    bonus: set[date] = set()
    for day, rescue in session.execute(stmt.distinct()):
        active.add(day)
        if rescue:
            bonus.add(day)
    return History(frozenset(active), frozenset(bonus), away_q.away_ranges(session, user, after=after), user.workday_set)


def active_days(session: Session, user: User) -> list[date]:
    """Return the local days on which *user* logged at least one touch that is not deleted."""
    return list(
        session.scalars(
            select(Touch.local_day).where(Touch.user_id == user.id, Touch.deleted_at.is_(None)).distinct()
        )
    )


def walker_of(state: StreakState) -> streaks.Walker:
    """Return a streak walker resumed from the kept *state*."""
    frozen = [date.fromisoformat(d) for d in state.frozen_days or ()]
    return streaks.Walker(state.current, state.longest, state.freezes, state.run_of_active, frozen)


def fold_from_scratch(hist: History, through: date) -> tuple[streaks.Walker, bool]:
    """Fold a whole history through *through*; return the walker and whether the walk began."""
    walker = streaks.Walker()
    days = [d for d in hist.active if d <= through]
    if not days:
        return walker, False
    streaks.fold(walker, min(days), through, active=hist.active, workdays=hist.workdays,
                 away=hist.away, bonus=hist.bonus)
    return walker, True


def usable(state: StreakState | None, today: date) -> bool:
    """Tell whether *state* is a checkpoint that a read on *today* can walk on from."""
    return state is not None and state.through_day is not None and state.through_day < today


def summary(session: Session, user: User, *, today: date) -> streaks.StreakSummary:
    """Return the rep's streak on *today* from the checkpoint, walking only the days after it.

    A read never writes: without a checkpoint (a rep who never logged a touch since the kept
    state existed), or when a zone change put *today* at or before it, the history is folded
    from scratch for this answer only.
    """
    state = session.get(StreakState, user.id)
    after = state.through_day if usable(state, today) else None
    return summary_of(state, history(session, user, after=after), today=today)


def summary_of(state: StreakState | None, hist: History, *, today: date) -> streaks.StreakSummary:
    """Return the streak on *today* from a kept *state* and a preloaded *hist* (no queries).

    With a ``usable`` state, *hist* must hold at least the active and bonus days after
    ``state.through_day`` and the away ranges overlapping them (more is fine: earlier days are
    ignored); otherwise it must be the rep's whole history. This lets a page that shows many
    reps load every history in a few set-based queries.
    """
    if not usable(state, today):
        walker, _ = fold_from_scratch(hist, today - timedelta(days=1))
        return streaks.finish(walker, today, active=hist.active, workdays=hist.workdays,
                              away=hist.away, bonus=hist.bonus)
    assert state is not None and state.through_day is not None
    through = state.through_day
    walker = walker_of(state)
    first: date | None = through + timedelta(days=1)
    if not state.started:
        days = [d for d in hist.active if through < d < today]
        first = min(days) if days else None
    if first is not None:
        streaks.fold(walker, first, today - timedelta(days=1), active=hist.active,
                     workdays=hist.workdays, away=hist.away, bonus=hist.bonus)
    return streaks.finish(walker, today, active=hist.active, workdays=hist.workdays,
                          away=hist.away, bonus=hist.bonus)


def touch_counts(session: Session, user: User, *, first: date, last: date) -> dict[date, int]:
    """Return how many touches *user* logged per local day in ``first..last``, in one grouped query."""
    rows = session.execute(
        select(Touch.local_day, func.count(Touch.id))
        .where(
            Touch.user_id == user.id,
            Touch.deleted_at.is_(None),
            Touch.local_day >= first,
            Touch.local_day <= last,
        )
        .group_by(Touch.local_day)
    )
    return {day: count for day, count in rows}


@dataclass(frozen=True)
class StreakPage:
    """What the streak page shows: the kept summary, the walk's run, the heatmap's inputs."""

    summary: streaks.StreakSummary
    run_of_active: int
    counts: dict[date, int]
    away: tuple[tuple[date, date], ...]
    first_day: date


def streak_page(session: Session, user: User, *, today: date, weeks: int = 26) -> StreakPage:
    """Return the rep's streak page data without reading the whole history.

    The summary comes from the kept checkpoint; the touch counts of the last *weeks* weeks
    from one grouped query, their away ranges from one more. ``run_of_active`` (active days
    since the last missed workday, what earns the next freeze) is the checkpoint's run walked
    forward over the days after it, which the window already holds; only a checkpoint older
    than the window, or none at all, falls back to the kept-state history path.
    """
    # Held here first, so the summary's own lookup finds it in the (weak) identity map.
    state = session.get(StreakState, user.id)
    kept = summary(session, user, today=today)
    first = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    counts = touch_counts(session, user, first=first, last=today)
    away = away_q.away_ranges(session, user, first=first, last=today)
    through = state.through_day if state is not None else None
    if through is None or through >= today:
        hist = history(session, user)
        run, start = 0, min(hist.active, default=today)
        active, away_after = hist.active, hist.away
    elif through >= first - timedelta(days=1):
        run, start = state.run_of_active, through + timedelta(days=1)
        active, away_after = frozenset(counts), away
    else:
        hist = history(session, user, after=through)
        run, start = state.run_of_active, through + timedelta(days=1)
        active, away_after = hist.active, hist.away
    # The streak walk itself, resumed with only the run: the other counters are not read here.
    walker = streaks.Walker(run_of_active=run)
    if start <= today:
        rules = dict(active=active, workdays=user.workday_set, away=away_after, bonus=frozenset())
        streaks.fold(walker, start, today - timedelta(days=1), **rules)
        streaks.finish(walker, today, **rules)
    run = walker.run_of_active
    return StreakPage(kept, run, counts, away, first)

