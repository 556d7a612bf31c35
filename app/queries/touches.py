"""The rep's own touches, page by page and filtered: the history behind "My touches"."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, joinedload

from ..ids import parse_id
from ..models import Customer, Touch, User


@dataclass(frozen=True)
class TouchFilters:
    """What the history shows: one customer's touches, one kind's, and where the page starts."""

    customer: int | None = None
    kind: str | None = None
    before: int | None = None

    @classmethod
    def parse(cls, args: Mapping[str, str], *, kinds: Collection[str]) -> TouchFilters:
        """Read the filters from query parameters; an unknown or malformed value is no filter."""
        kind = args.get("kind") or None
        return cls(customer=parse_id(args.get("customer")), kind=kind if kind in kinds else None,
                   before=parse_id(args.get("before")))

    @property
    def active(self) -> bool:
        """Tell whether a customer or a kind is chosen."""
        return self.customer is not None or self.kind is not None


@dataclass(frozen=True)
class TouchPage:
    """One page of the history, newest first, and the id the next (older) page starts after, if any."""

    touches: list[Touch]
    next_before: int | None
    first_page: bool


def my_touches(session: Session, user: User, filters: TouchFilters, *, limit: int = 50) -> TouchPage:
    """Return a page of *user*'s touches that are not deleted, with their customers, newest first.

    Ordered by local day, then when each was logged, then id (all descending) — the order of
    Today's list. Pages are keyset pages: ``filters.before`` names the last touch of the page
    before (one of the user's own, deleted or not) and the page continues after it in that
    order, so a page costs the same however long the history, and a touch logged meanwhile
    neither repeats nor skips a row. A ``before`` that is not the user's starts at the top.
    """
    mine = (Touch.user_id == user.id, Touch.deleted_at.is_(None))
    stmt = select(Touch).where(*mine).options(joinedload(Touch.customer, innerjoin=True))
    if filters.customer is not None:
        stmt = stmt.where(Touch.customer_id == filters.customer)
    if filters.kind is not None:
        stmt = stmt.where(Touch.kind == filters.kind)
    anchor = None
    if filters.before is not None:
        anchor = session.execute(
            select(Touch.local_day, Touch.created_at).where(Touch.id == filters.before, Touch.user_id == user.id)
        ).first()
    if anchor is not None:
        day, created = anchor
        stmt = stmt.where(or_(
            Touch.local_day < day,
            and_(Touch.local_day == day, or_(
                Touch.created_at < created,
                and_(Touch.created_at == created, Touch.id < filters.before),
            )),
        ))
    rows = list(session.scalars(
        stmt.order_by(Touch.local_day.desc(), Touch.created_at.desc(), Touch.id.desc()).limit(limit + 1)
    ))
    more = len(rows) > limit
    rows = rows[:limit]
    return TouchPage(rows, rows[-1].id if more and rows else None, first_page=anchor is None)


def touched_customers(session: Session, user: User) -> list[Customer]:
    """Return the customers *user* has touches with (archived ones too), by name: the history's customer filter."""
    touched = select(Touch.customer_id).where(Touch.user_id == user.id, Touch.deleted_at.is_(None)).distinct()
    return list(session.scalars(
        select(Customer)
        .where(Customer.organization_id == user.organization_id, Customer.id.in_(touched))
        .order_by(func.lower(Customer.name), Customer.id)
    ))
