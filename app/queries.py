"""Read side: what the pages and the API show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select, union_all
from sqlalchemy.orm import Session, selectinload

from . import clock, streaks, warmth
from .kinds import Tier
from .models import AwayPeriod, Customer, StreakState, TeamHoliday, Touch, User
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


def away_between(session: Session, user: User, *, first: date, last: date) -> tuple[tuple[date, date], ...]:
    """Return the rep's away periods and team holidays that overlap ``first..last``, in one query."""
    stmt = select(AwayPeriod.first_day, AwayPeriod.last_day).where(
        AwayPeriod.user_id == user.id, AwayPeriod.last_day >= first, AwayPeriod.first_day <= last
    )
    if user.team_id is not None:
        stmt = union_all(
            stmt,
            select(TeamHoliday.first_day, TeamHoliday.last_day).where(
                TeamHoliday.team_id == user.team_id, TeamHoliday.last_day >= first, TeamHoliday.first_day <= last
            ),
        )
    return tuple(sorted((first_day, last_day) for first_day, last_day in session.execute(stmt)))


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
    summary = streak_summary(session, user, today=today)
    first = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    counts = touch_counts(session, user, first=first, last=today)
    away = away_between(session, user, first=first, last=today)
    through = state.through_day if state is not None else None
    if through is None or through >= today:
        hist = streak_state.history(session, user)
        run, start = 0, min(hist.active, default=today)
        active, away_after = hist.active, hist.away
    elif through >= first - timedelta(days=1):
        run, start = state.run_of_active, through + timedelta(days=1)
        active, away_after = frozenset(counts), away
    else:
        hist = streak_state.history(session, user, after=through)
        run, start = state.run_of_active, through + timedelta(days=1)
        active, away_after = hist.active, hist.away
    run = _run_of_active(run, start, today, active=active, workdays=user.workday_set, away=away_after)
    return StreakPage(summary, run, counts, away, first)


def _run_of_active(
    run: int, first: date, today: date, *, active, workdays: frozenset[int], away: tuple[tuple[date, date], ...]
) -> int:
    # The same rule as streaks.Walker.step: an active day extends the run, a missed expected
    # workday (frozen or not) resets it, neutral days and today-not-yet-logged leave it alone.
    day = first
    while day <= today:
        if day in active:
            run += 1
        elif day < today and day.weekday() in workdays and not any(a <= day <= b for a, b in away):
            run = 0
        day += timedelta(days=1)
    return run
