"""Reads several pages share: the rep's local day, a customer's warmth row, crisis lookups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from .. import challenges, follow_ups, statuses, warmth
from ..kinds import Tier
from ..models import Customer, FollowUp, Team, User

TIER_ORDER = {Tier.A: 0, Tier.B: 1, Tier.C: 2}


@dataclass(frozen=True)
class CustomerRow:
    """A customer with its warmth on a given day, and its open follow-up when the read loaded it.

    ``status`` is what the pages show: the warmth, or "new" for a customer never touched whose
    first cadence has not run (``statuses.customer_status``).
    """

    customer: Customer
    warmth: warmth.Warmth
    days_since: int
    urgency: float
    status: statuses.Status
    follow_up: FollowUp | None = None
    follow_up_due: bool = False
    days_overdue: int = 0


def customer_row(customer: Customer, today: date, *, crisis: bool | None = None,
                 follow_up: FollowUp | None = None) -> CustomerRow:
    """Return *customer* with its warmth on *today*, and its open *follow-up* (whether due, how overdue).

    *crisis*: whether the owner's team is in crisis mode, which tightens the cadence to
    ``challenges.crisis_cadence`` (× 0.7) for warmth and urgency; None looks it up (one query).
    """
    if crisis is None:
        crisis = owner_in_crisis(object_session(customer), customer.owner_id)
    cadence = effective_cadence(customer.cadence_days, crisis=crisis)
    kwargs = dict(last_touch_day=customer.last_touch_day, created_day=customer.created_day, today=today)
    state = warmth.status(**kwargs, cadence_days=cadence, paused_until=customer.paused_until)
    return CustomerRow(
        customer=customer,
        warmth=state,
        status=statuses.customer_status(state, **kwargs, cadence_days=cadence),
        days_since=warmth.days_since(**kwargs),
        urgency=warmth.urgency(**kwargs, cadence_days=cadence),
        follow_up=follow_up,
        follow_up_due=follow_up is not None and follow_ups.is_due(follow_up.due_day, today=today),
        days_overdue=follow_ups.days_overdue(follow_up.due_day, today=today) if follow_up is not None else 0,
    )


def effective_cadence(cadence_days: int, *, crisis: bool) -> float:
    """Return the cadence warmth uses: the customer's own, or × 0.7 in crisis mode."""
    return challenges.crisis_cadence(cadence_days) if crisis else cadence_days


def crisis_owner_ids(session: Session, organization_id: int) -> frozenset[int]:
    """Return the ids of the users of the organisation whose team is in crisis mode (one query)."""
    return frozenset(
        session.scalars(
            select(User.id)
            .join(Team, Team.id == User.team_id)
            .where(User.organization_id == organization_id, Team.in_crisis)
        )
    )


def owner_in_crisis(session: Session | None, owner_id: int) -> bool:
    """Tell whether the team of the user *owner_id* is in crisis mode."""
    if session is None:
        return False
    return bool(session.scalar(select(Team.in_crisis).join(User, User.team_id == Team.id).where(User.id == owner_id)))
