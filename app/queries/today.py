"""The Today page's reads: whom to touch, the day's summary, my recent touches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, joinedload

from .. import follow_ups, streaks
from ..models import Customer, FollowUp, StreakState, Touch, User
from . import away as away_q
from . import common as common_q
from . import points as points_q
from . import streak as streak_q


def whom_to_touch(session: Session, user: User, *, today: date, limit: int | None = 5) -> list[common_q.CustomerRow]:
    """Return the rep's customers to touch today.

    Active customers of the rep with a follow-up due today or overdue come first, the longest
    overdue first (``follow_ups.rank``) — listed even while paused, since the rep planned that
    touch. Then the other active customers that are not paused. Within each, the ranking is by
    urgency ``days / cadence_days``, tier A before B before C on ties, customers already touched
    today last. While the rep's team is in crisis mode, warmth and urgency use the tightened
    cadence (× 0.7).
    """
    return whom_today(session, user, today=today, limit=limit).rows


@dataclass(frozen=True)
class Whom:
    """Today's list of whom to touch, and how many active customers the rep has (paused ones too)."""

    rows: list[common_q.CustomerRow]
    active_count: int


def whom_today(session: Session, user: User, *, today: date, limit: int | None = 5) -> Whom:
    """Return ``whom_to_touch`` and the rep's count of active customers, from one query."""
    # One row per customer: at most one follow-up is open (a partial unique index).
    customers = session.execute(
        select(Customer, FollowUp)
        .outerjoin(FollowUp, and_(FollowUp.customer_id == Customer.id, FollowUp.is_open))
        .where(
            Customer.organization_id == user.organization_id,
            Customer.owner_id == user.id,
            Customer.archived_at.is_(None),
        )
    ).all()
    # The rep's own team decides crisis mode for their own customers; the user loader has
    # loaded the team with the user.
    crisis = user.team_in_crisis
    rows = [common_q.customer_row(c, today, crisis=crisis, follow_up=f) for c, f in customers]
    waiting = [r for r in rows if r.follow_up_due or r.customer.paused_until is None
               or r.customer.paused_until < today]
    waiting.sort(
        key=lambda r: (
            *follow_ups.rank(r.follow_up.due_day if r.follow_up else None, today=today),
            r.customer.last_touch_day == today,
            -r.urgency,
            common_q.TIER_ORDER[r.customer.tier],
            r.customer.name.lower(),
        )
    )
    return Whom(waiting[:limit], len(customers))


def touches_on(session: Session, user: User, day: date) -> int:
    """Return how many touches *user* logged for *day*."""
    return session.scalar(
        select(func.count(Touch.id)).where(
            Touch.user_id == user.id, Touch.local_day == day, Touch.deleted_at.is_(None)
        )
    ) or 0


@dataclass(frozen=True)
class DaySummary:
    """Today's summary: the streak, the touches logged today, the points."""

    streak: streaks.StreakSummary
    done: int
    points: points_q.Totals


def day_summary(session: Session, user: User, *, today: date) -> DaySummary:
    """Return the rep's streak, count of touches today and points, in four queries.

    The same as ``streak.summary``, ``touches_on`` and ``points.totals``: with a usable
    checkpoint (before today), the touches after it are read once, grouped by day, for the
    streak's walk and for today's count alike.
    """
    state = session.get(StreakState, user.id)
    if not streak_q.usable(state, today):
        return DaySummary(streak_q.summary(session, user, today=today), touches_on(session, user, today),
                          points_q.totals(session, user, today=today))
    assert state is not None and state.through_day is not None
    rows = session.execute(
        select(Touch.local_day, Touch.rescue, func.count(Touch.id))
        .where(Touch.user_id == user.id, Touch.deleted_at.is_(None), Touch.local_day > state.through_day)
        .group_by(Touch.local_day, Touch.rescue)
    ).all()
    hist = streak_q.History(
        active=frozenset(day for day, _rescue, _n in rows),
        bonus=frozenset(day for day, rescue, _n in rows if rescue),
        away=away_q.away_ranges(session, user, after=state.through_day),
        workdays=user.workday_set,
    )
    done = sum(n for day, _rescue, n in rows if day == today)
    return DaySummary(streak_q.summary_of(state, hist, today=today), done,
                      points_q.totals(session, user, today=today))


def my_recent_touches(session: Session, user: User, *, limit: int = 10) -> list[Touch]:
    """Return *user*'s latest touches that are not deleted, newest logged first, with their customers."""
    return list(
        session.scalars(
            select(Touch)
            .where(Touch.user_id == user.id, Touch.deleted_at.is_(None))
            .options(joinedload(Touch.customer, innerjoin=True))
            .order_by(Touch.local_day.desc(), Touch.created_at.desc(), Touch.id.desc())
            .limit(limit)
        )
    )
