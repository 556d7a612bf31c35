"""The kept streak state: a checkpoint of each rep's streak walk, updated with every write.

The checkpoint holds the walk folded through ``today - CHECKPOINT_LAG``. Every write that can
land on a day after the checkpoint (a touch today, a backfill, an API touch at most 3 days
back) leaves the checkpoint valid; reading the streak only folds the few days after it. A
write that changes a day on or before the checkpoint (deleting an old touch, an away period
in the past, new workdays) refolds that rep's history once, in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from .. import clock, streaks
from ..models import AwayPeriod, StreakState, TeamHoliday, Touch, User

# Touches may be written up to 3 days back (API), plus a day either way for daylight-saving
# shifts and the day-start hour: a checkpoint 5 days back is never invalidated by them.
CHECKPOINT_LAG = 5


@dataclass(frozen=True)
class History:
    """What a rep's streak is computed from."""

    active: frozenset[date]
    bonus: frozenset[date]
    away: tuple[tuple[date, date], ...]
    workdays: frozenset[int]


def user_today(user: User, now: datetime) -> date:
    """Return the rep's local day at *now*."""
    return clock.local_day(now, user.timezone, user.day_start_hour)


def checkpoint_day(today: date) -> date:
    """Return the last day the checkpoint folds for a rep whose local day is *today*."""
    return today - timedelta(days=CHECKPOINT_LAG)


def away_ranges(session: Session, user: User, *, after: date | None = None) -> tuple[tuple[date, date], ...]:
    """Return the rep's away periods and team holidays (ending after *after*, when given), in one query."""
    stmt = select(AwayPeriod.first_day, AwayPeriod.last_day).where(AwayPeriod.user_id == user.id)
    if after is not None:
        stmt = stmt.where(AwayPeriod.last_day > after)
    if user.team_id is not None:
        team = select(TeamHoliday.first_day, TeamHoliday.last_day).where(TeamHoliday.team_id == user.team_id)
        if after is not None:
            team = team.where(TeamHoliday.last_day > after)
        stmt = union_all(stmt, team)
    return tuple(sorted(tuple(r) for r in session.execute(stmt)))  # type: ignore[arg-type]


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
    return History(frozenset(active), frozenset(bonus), away_ranges(session, user, after=after), user.workday_set)


def _walker_of(state: StreakState) -> streaks.Walker:
    frozen = [date.fromisoformat(d) for d in state.frozen_days.split(",") if d]
    return streaks.Walker(state.current, state.longest, state.freezes, state.run_of_active, frozen)


def _store(state: StreakState, walker: streaks.Walker, *, started: bool, through: date, now: datetime) -> None:
    state.current = walker.current
    state.longest = walker.longest
    state.freezes = walker.freezes
    state.run_of_active = walker.run_of_active
    state.frozen_days = ",".join(d.isoformat() for d in walker.frozen_days)
    state.started = started
    state.through_day = through
    state.updated_at = now


def fold_from_scratch(hist: History, through: date) -> tuple[streaks.Walker, bool]:
    """Fold a whole history through *through*; return the walker and whether the walk began."""
    walker = streaks.Walker()
    days = [d for d in hist.active if d <= through]
    if not days:
        return walker, False
    streaks.fold(walker, min(days), through, active=hist.active, workdays=hist.workdays,
                 away=hist.away, bonus=hist.bonus)
    return walker, True


def rebuild(session: Session, user: User, *, now: datetime) -> StreakState:
    """Refold the rep's whole history into a fresh checkpoint."""
    through = checkpoint_day(user_today(user, now))
    walker, started = fold_from_scratch(history(session, user), through)
    state = session.get(StreakState, user.id) or StreakState(user_id=user.id)
    _store(state, walker, started=started, through=through, now=now)
    session.add(state)
    session.flush()
    return state


def _advance(session: Session, user: User, state: StreakState, target: date, now: datetime) -> None:
    """Move the checkpoint forward to *target*, folding only the days in between."""
    if state.through_day is not None and target <= state.through_day:
        return
    hist = history(session, user, after=state.through_day)
    walker = _walker_of(state)
    started = state.started
    first = state.through_day + timedelta(days=1) if state.through_day else None
    if not started:
        days = [d for d in hist.active if d <= target]
        first = min(days) if days else None
        started = first is not None
    if started and first is not None:
        streaks.fold(walker, first, target, active=hist.active, workdays=hist.workdays,
                     away=hist.away, bonus=hist.bonus)
    _store(state, walker, started=started, through=target, now=now)


def changed(session: Session, user: User, *, now: datetime, day: date | None = None) -> StreakState:
    """Keep the checkpoint right after a write that touched *day* (None: any day, refold).

    Call it in the same transaction as the write.
    """
    state = session.get(StreakState, user.id)
    if state is None or day is None or state.through_day is None or day <= state.through_day:
        return rebuild(session, user, now=now)
    _advance(session, user, state, checkpoint_day(user_today(user, now)), now)
    session.flush()
    return state


def summary(session: Session, user: User, *, today: date) -> streaks.StreakSummary:
    """Return the rep's streak on *today* from the checkpoint, walking only the days after it.

    A read never writes: without a checkpoint (a rep who never logged a touch since the kept
    state existed), or when a zone change put *today* at or before it, the history is folded
    from scratch for this answer only.
    """
    state = session.get(StreakState, user.id)
    after = state.through_day if usable(state, today) else None
    return summary_of(state, history(session, user, after=after), today=today)


def usable(state: StreakState | None, today: date) -> bool:
    """Tell whether *state* is a checkpoint that a read on *today* can walk on from."""
    return state is not None and state.through_day is not None and state.through_day < today


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
    walker = _walker_of(state)
    first: date | None = through + timedelta(days=1)
    if not state.started:
        days = [d for d in hist.active if through < d < today]
        first = min(days) if days else None
    if first is not None:
        streaks.fold(walker, first, today - timedelta(days=1), active=hist.active,
                     workdays=hist.workdays, away=hist.away, bonus=hist.bonus)
    return streaks.finish(walker, today, active=hist.active, workdays=hist.workdays,
                          away=hist.away, bonus=hist.bonus)


@dataclass(frozen=True)
class Difference:
    """A rep whose kept checkpoint differs from a fresh fold."""

    user_id: int
    email: str
    kept: tuple
    fresh: tuple


def _key(walker: streaks.Walker, started: bool) -> tuple:
    return (walker.current, walker.longest, walker.freezes, walker.run_of_active,
            tuple(walker.frozen_days), started)


def rebuild_all(session: Session, *, now: datetime, check: bool = False) -> tuple[int, list[Difference]]:
    """Refold every rep from their touches in a few set-based queries; return (reps, differences).

    With *check* the kept states are only compared (at their own checkpoint day) and left
    alone; otherwise every state is rewritten at today's checkpoint.
    """
    users = list(session.scalars(select(User).order_by(User.id)))
    active: dict[int, set[date]] = defaultdict(set)
    bonus: dict[int, set[date]] = defaultdict(set)
    rows = session.execute(
        select(Touch.user_id, Touch.local_day, Touch.rescue).where(Touch.deleted_at.is_(None)).distinct()
    )
    for user_id, day, rescue in rows:
        active[user_id].add(day)
        if rescue:
            bonus[user_id].add(day)
    away: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for user_id, first, last in session.execute(select(AwayPeriod.user_id, AwayPeriod.first_day, AwayPeriod.last_day)):
        away[user_id].append((first, last))
    team_days: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for team_id, first, last in session.execute(select(TeamHoliday.team_id, TeamHoliday.first_day, TeamHoliday.last_day)):
        team_days[team_id].append((first, last))
    states = {s.user_id: s for s in session.scalars(select(StreakState))}

    differences: list[Difference] = []
    for user in users:
        ranges = tuple(sorted(away[user.id] + (team_days[user.team_id] if user.team_id else [])))
        hist = History(frozenset(active[user.id]), frozenset(bonus[user.id]), ranges, user.workday_set)
        state = states.get(user.id)
        target = checkpoint_day(user_today(user, now))
        fresh_at_target: tuple[streaks.Walker, bool] | None = None
        if state is None:
            if hist.active:
                differences.append(Difference(user.id, user.email, ("missing",), ()))
        elif state.through_day is not None:
            fresh = fold_from_scratch(hist, state.through_day)
            if state.through_day == target:
                fresh_at_target = fresh
            if _key(_walker_of(state), state.started) != _key(*fresh):
                differences.append(Difference(user.id, user.email, _key(_walker_of(state), state.started), _key(*fresh)))
        if check:
            continue
        walker, started = fresh_at_target or fold_from_scratch(hist, target)
        if state is None:
            state = StreakState(user_id=user.id)
            session.add(state)
        _store(state, walker, started=started, through=target, now=now)
    session.flush()
    return len(users), differences
