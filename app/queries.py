"""Read side: what the pages and the API show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from . import clock, streaks, warmth
from .kinds import Tier
from .models import Customer, Touch, User
from .operations import streak_state
from .operations.customers import visible_customers

TIER_ORDER = {Tier.A: 0, Tier.B: 1, Tier.C: 2}


@dataclass(frozen=True)
class CustomerRow:
    """A customer with its warmth on a given day."""

    customer: Customer
    warmth: warmth.Warmth
    days_since: int
    urgency: float


def today_of(user: User, now: datetime) -> date:
    """Return *user*'s local day at *now*."""
    return clock.local_day(now, user.timezone, user.day_start_hour)


def customer_row(customer: Customer, today: date) -> CustomerRow:
    """Return *customer* with its warmth on *today*."""
    kwargs = dict(last_touch_day=customer.last_touch_day, created_day=customer.created_day, today=today)
    return CustomerRow(
        customer=customer,
        warmth=warmth.status(**kwargs, cadence_days=customer.cadence_days, paused_until=customer.paused_until),
        days_since=warmth.days_since(**kwargs),
        urgency=warmth.urgency(**kwargs, cadence_days=customer.cadence_days),
    )


def customer_rows(
    session: Session,
    user: User,
    *,
    today: date,
    search: str | None = None,
    warmth_filter: str | None = None,
    archived: bool = False,
) -> list[CustomerRow]:
    """Return the customers *user* sees, most urgent first, optionally searched and filtered."""
    stmt = visible_customers(user)
    stmt = stmt.where(Customer.archived_at.is_not(None) if archived else Customer.archived_at.is_(None))
    if search:
        pattern = "%" + search.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                func.lower(Customer.name).like(pattern, escape="\\"),
                func.lower(Customer.company).like(pattern, escape="\\"),
                func.lower(Customer.email).like(pattern, escape="\\"),
            )
        )
    rows = [customer_row(c, today) for c in session.scalars(stmt)]
    if warmth_filter:
        rows = [r for r in rows if r.warmth == warmth_filter]
    rows.sort(key=lambda r: (-r.urgency, TIER_ORDER[r.customer.tier], r.customer.name.lower()))
    return rows


def whom_to_touch(session: Session, user: User, *, today: date, limit: int = 5) -> list[CustomerRow]:
    """Return the rep's customers to touch today.

    Active customers of the rep, not paused, ranked by urgency ``days / cadence_days``, tier A
    before B before C on ties, customers already touched today last.
    """
    stmt = select(Customer).where(
        Customer.organization_id == user.organization_id,
        Customer.owner_id == user.id,
        Customer.archived_at.is_(None),
        or_(Customer.paused_until.is_(None), Customer.paused_until < today),
    )
    rows = [customer_row(c, today) for c in session.scalars(stmt)]
    rows.sort(
        key=lambda r: (
            r.customer.last_touch_day == today,
            -r.urgency,
            TIER_ORDER[r.customer.tier],
            r.customer.name.lower(),
        )
    )
    return rows[:limit]


def active_days(session: Session, user: User) -> list[date]:
    """Return the local days on which *user* logged at least one touch that is not deleted."""
    return list(
        session.scalars(
            select(Touch.local_day).where(Touch.user_id == user.id, Touch.deleted_at.is_(None)).distinct()
        )
    )


def streak_summary(session: Session, user: User, *, today: date) -> streaks.StreakSummary:
    """Return *user*'s streak summary on *today*, from the kept checkpoint."""
    return streak_state.summary(session, user, today=today)


def touches_on(session: Session, user: User, day: date) -> int:
    """Return how many touches *user* logged for *day*."""
    return session.scalar(
        select(func.count(Touch.id)).where(
            Touch.user_id == user.id, Touch.local_day == day, Touch.deleted_at.is_(None)
        )
    ) or 0


def recent_touches(session: Session, user: User, *, limit: int = 10) -> list[Touch]:
    """Return *user*'s latest touches that are not deleted, newest first."""
    return list(
        session.scalars(
            select(Touch)
            .where(Touch.user_id == user.id, Touch.deleted_at.is_(None))
            .order_by(Touch.occurred_at.desc(), Touch.id.desc())
            .limit(limit)
        )
    )


def customer_timeline(session: Session, customer: Customer, *, limit: int = 200) -> list[Touch]:
    """Return a customer's touches that are not deleted, newest first."""
    return list(
        session.scalars(
            select(Touch)
            .where(Touch.customer_id == customer.id, Touch.deleted_at.is_(None))
            .order_by(Touch.occurred_at.desc(), Touch.id.desc())
            .limit(limit)
        )
    )


def my_recent_touches(session: Session, user: User, *, limit: int = 10) -> list[Touch]:
    """Return *user*'s latest touches that are not deleted, newest logged first, with their customers."""
    return list(
        session.scalars(
            select(Touch)
            .where(Touch.user_id == user.id, Touch.deleted_at.is_(None))
            .options(selectinload(Touch.customer))
            .order_by(Touch.local_day.desc(), Touch.created_at.desc(), Touch.id.desc())
            .limit(limit)
        )
    )


def active_customer_count(session: Session, user: User) -> int:
    """Return how many customers *user* owns that are not archived."""
    return session.scalar(
        select(func.count(Customer.id)).where(
            Customer.organization_id == user.organization_id,
            Customer.owner_id == user.id,
            Customer.archived_at.is_(None),
        )
    ) or 0


def warmth_counts(rows: list[CustomerRow]) -> dict[warmth.Warmth, int]:
    """Return how many of *rows* are in each warmth, every warmth present (zero when none)."""
    counts = {w: 0 for w in warmth.Warmth}
    for row in rows:
        counts[row.warmth] += 1
    return counts


def archived_count(session: Session, user: User) -> int:
    """Return how many archived customers *user* sees."""
    visible = visible_customers(user).where(Customer.archived_at.is_not(None)).subquery()
    return session.scalar(select(func.count()).select_from(visible)) or 0
