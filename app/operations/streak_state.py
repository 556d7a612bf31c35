"""The kept streak state: a checkpoint of each rep's streak walk, updated with every write.

The checkpoint holds the walk folded through ``today - CHECKPOINT_LAG``. Every write that can
land on a day after the checkpoint (a touch today, a backfill or a corrected day inside the
7-day backfill window, an API touch as far back) leaves the checkpoint valid; reading the
streak (``queries.streak``) only folds the few days after it. A write that changes a day on or
before the checkpoint (deleting an old touch, an away period in the past, new workdays)
refolds that rep's history once, in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import streaks
from ..models import StreakState, Touch, User
from ..queries import away as away_q
from ..queries import streak as streak_q

# Touches may be written, or moved, up to 6 local days back (the backfill window of
# ``operations.touches``), plus a day either way for daylight-saving shifts and the day-start
# hour: a checkpoint 8 days back is never invalidated by them.
CHECKPOINT_LAG = 8



def checkpoint_day(today: date) -> date:
    """Return the last day the checkpoint folds for a rep whose local day is *today*."""
    return today - timedelta(days=CHECKPOINT_LAG)


def _store(state: StreakState, walker: streaks.Walker, *, started: bool, through: date, now: datetime) -> None:
    state.current = walker.current
    state.longest = walker.longest
    state.freezes = walker.freezes
    state.run_of_active = walker.run_of_active
    state.frozen_days = [d.isoformat() for d in walker.frozen_days]
    state.started = started
    state.through_day = through
    state.updated_at = now


def rebuild(session: Session, user: User, *, now: datetime) -> StreakState:
    """Refold the rep's whole history into a fresh checkpoint."""
    through = checkpoint_day(user.today(now))
    walker, started = streak_q.fold_from_scratch(streak_q.history(session, user), through)
    state = session.get(StreakState, user.id) or StreakState(user_id=user.id)
    _store(state, walker, started=started, through=through, now=now)
    session.add(state)
    session.flush()
    return state


def _advance(session: Session, user: User, state: StreakState, target: date, now: datetime) -> None:
    """Move the checkpoint forward to *target*, folding only the days in between."""
    if state.through_day is not None and target <= state.through_day:
        return
    hist = streak_q.history(session, user, after=state.through_day)
    walker = streak_q.walker_of(state)
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
    _advance(session, user, state, checkpoint_day(user.today(now)), now)
    session.flush()
    return state


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
    away = away_q.away_ranges_by_user(session, {u.id: u.team_id for u in users}, every_user=True)
    states = {s.user_id: s for s in session.scalars(select(StreakState))}

    differences: list[Difference] = []
    for user in users:
        hist = streak_q.History(frozenset(active[user.id]), frozenset(bonus[user.id]), away[user.id], user.workday_set)
        state = states.get(user.id)
        target = checkpoint_day(user.today(now))
        fresh_at_target: tuple[streaks.Walker, bool] | None = None
        if state is None:
            if hist.active:
                differences.append(Difference(user.id, user.email, ("missing",), ()))
        elif state.through_day is not None:
            fresh = streak_q.fold_from_scratch(hist, state.through_day)
            if state.through_day == target:
                fresh_at_target = fresh
            kept = _key(streak_q.walker_of(state), state.started)
            if kept != _key(*fresh):
                differences.append(Difference(user.id, user.email, kept, _key(*fresh)))
        if check:
            continue
        walker, started = fresh_at_target or streak_q.fold_from_scratch(hist, target)
        if state is None:
            state = StreakState(user_id=user.id)
            session.add(state)
        _store(state, walker, started=started, through=target, now=now)
    session.flush()
    return len(users), differences
