"""Follow-ups' reads: a customer's open one, a user's open ones, one the user may see."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, contains_eager

from ..models import Customer, FollowUp, User
from . import customers as customers_q


def open_for_customer(session: Session, customer_id: int) -> FollowUp | None:
    """Return the customer's open follow-up, if there is one."""
    return session.scalar(select(FollowUp).where(FollowUp.customer_id == customer_id, FollowUp.is_open))


def visible_follow_ups(user: User) -> Select:
    """Select the follow-ups of the customers *user* may see (archived ones too), any state."""
    visible = customers_q.visible_customers(user).with_only_columns(Customer.id)
    return select(FollowUp).where(FollowUp.customer_id.in_(visible))


def own_open(session: Session, user: User, *, due_on: date | None = None) -> list[FollowUp]:
    """Return the open follow-ups planned for *user* of active customers, earliest first.

    With *due_on* (the user's today) only those due then: on that day or overdue.
    """
    stmt = (
        select(FollowUp)
        .join(Customer, Customer.id == FollowUp.customer_id)
        .options(contains_eager(FollowUp.customer))
        .where(FollowUp.user_id == user.id, Customer.organization_id == user.organization_id,
               Customer.archived_at.is_(None), FollowUp.is_open)
        .order_by(FollowUp.due_day, func.lower(Customer.name), FollowUp.id)
    )
    if due_on is not None:
        stmt = stmt.where(FollowUp.due_day <= due_on)
    return list(session.scalars(stmt))
