"""The customers pages' reads: who may see which customer, the list with its warmth, a timeline."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from .. import statuses, warmth
from ..models import Customer, FollowUp, Touch, User
from . import common as common_q


def visible_customers(user: User) -> Select:
    """Select the customers *user* may see: their own, or (coaches) their team's."""
    stmt = select(Customer).where(Customer.organization_id == user.organization_id)
    if user.is_coach and user.team_id is not None:
        team_users = select(User.id).where(
            User.organization_id == user.organization_id, User.team_id == user.team_id
        )
        return stmt.where(or_(Customer.owner_id == user.id, Customer.owner_id.in_(team_users)))
    return stmt.where(Customer.owner_id == user.id)


def customer_rows(
    session: Session,
    user: User,
    *,
    today: date,
    search: str | None = None,
    warmth_filter: str | None = None,
    archived: bool = False,
    mine: bool = False,
) -> list[common_q.CustomerRow]:
    """Return the customers *user* sees, most urgent first, optionally searched and filtered, with their open follow-ups.

    Warmth follows crisis mode per owner: a customer whose owner's team is in crisis is
    judged by the tightened cadence. *mine*: only the customers *user* owns (a coach too).
    """
    stmt = visible_customers(user)
    if mine:
        stmt = stmt.where(Customer.owner_id == user.id)
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
    in_crisis = common_q.crisis_owner_ids(session, user.organization_id)
    # One row per customer: at most one follow-up is open (a partial unique index).
    stmt = stmt.add_columns(FollowUp).outerjoin(FollowUp, and_(FollowUp.customer_id == Customer.id, FollowUp.is_open))
    rows = [common_q.customer_row(c, today, crisis=c.owner_id in in_crisis, follow_up=f)
            for c, f in session.execute(stmt)]
    if warmth_filter:
        rows = [r for r in rows if r.warmth == warmth_filter]
    # Most urgent first; paused customers asked for space, so they go last.
    rows.sort(key=lambda r: (r.warmth == warmth.Warmth.paused, -r.urgency, common_q.TIER_ORDER[r.customer.tier],
                             r.customer.name.lower()))
    return rows


def tell_apart(customers: Sequence[Customer]) -> dict[int, str | date]:
    """Return what tells apart customers of *customers* that share a name (case and spaces aside).

    The company is shown with every customer anyway; so a customer whose company no namesake
    shares needs nothing more. Otherwise the first of e-mail and phone that no namesake shares;
    failing that, the day it was added (a ``date``). Customers with a name of their own are
    left out.
    """
    namesakes: dict[str, list[Customer]] = defaultdict(list)
    for customer in customers:
        namesakes[" ".join(customer.name.casefold().split())].append(customer)
    found: dict[int, str | date] = {}
    for group in namesakes.values():
        for customer in group:
            others = [other for other in group if other is not customer]
            if not others or _own(customer.company, [other.company for other in others]):
                continue
            detail = next((getattr(customer, field) for field in ("email", "phone")
                           if _own(getattr(customer, field), [getattr(other, field) for other in others])), None)
            found[customer.id] = detail or customer.created_day
    return found


def _own(value: str | None, others: list[str | None]) -> bool:
    """Tell whether *value* is given and none of *others* is the same (case aside)."""
    return bool(value) and all((other or "").casefold() != value.casefold() for other in others)


def status_counts(rows: list[common_q.CustomerRow]) -> dict[statuses.Status, int]:
    """Return how many of *rows* show each status (new, then the warmths), every status present (zero when none)."""
    counts = {s: 0 for s in statuses.Status}
    for row in rows:
        counts[row.status] += 1
    return counts


def archived_count(session: Session, user: User) -> int:
    """Return how many archived customers *user* sees."""
    visible = visible_customers(user).where(Customer.archived_at.is_not(None)).subquery()
    return session.scalar(select(func.count()).select_from(visible)) or 0


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
