"""Customers: create, edit, archive; look one up for someone who may see it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kinds import Tier
from ..models import Customer, User
from ..queries import customers as customers_q
from ..queries import follow_ups as follow_ups_q
from ..warmth import MAX_CADENCE, MIN_CADENCE, default_cadence
from . import Invalid, NotFound, id_or_404

MAX_NOTES = 5000
_PHONE = re.compile(r"^[0-9+()./ \-]{3,64}$")


def get_customer(session: Session, user: User, customer_id: object, *, include_archived: bool = True) -> Customer:
    """Return a customer *user* may see, else raise NotFound (also for other organisations)."""
    cid = id_or_404(customer_id)
    stmt = customers_q.visible_customers(user).where(Customer.id == cid)
    if not include_archived:
        stmt = stmt.where(Customer.archived_at.is_(None))
    customer = session.scalar(stmt)
    if customer is None:
        raise NotFound()
    return customer


@dataclass
class CustomerInput:
    """Raw customer fields as typed by a person or sent to the API."""

    name: str | None = None
    company: str | None = None
    email: str | None = None
    phone: str | None = None
    tier: str | None = None
    cadence_days: object = None
    notes: str | None = None
    paused_until: object = None
    provided: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class CleanCustomer:
    """Validated customer fields."""

    name: str
    company: str | None
    email: str | None
    phone: str | None
    tier: Tier
    cadence_days: int
    notes: str | None
    paused_until: date | None


def _text(value: object, field_name: str, limit: int, errors: dict) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        errors[field_name] = _l("Please enter text.")
        return None
    value = value.strip()
    if "\x00" in value:
        errors[field_name] = _l("This contains characters that cannot be stored.")
        return None
    if len(value) > limit:
        errors[field_name] = _l("At most %(n)d characters.", n=limit)
        return None
    return value or None


def clean_customer(data: CustomerInput) -> CleanCustomer:
    """Validate *data*; raise Invalid with every field's problem at once."""
    errors: dict[str, object] = {}
    name = _text(data.name, "name", 200, errors)
    if not name and "name" not in errors:
        errors["name"] = _l("Please enter a name.")
    company = _text(data.company, "company", 200, errors)
    email = _text(data.email, "email", 254, errors)
    if email:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors["email"] = _l("Please enter a valid e-mail address.")
    phone = _text(data.phone, "phone", 64, errors)
    if phone and not _PHONE.match(phone):
        errors["phone"] = _l("Please enter a phone number (digits, spaces, + - ( ) / .).")
    tier_raw = (data.tier or "B") if isinstance(data.tier, (str, type(None))) else None
    tier = None
    if tier_raw is not None and tier_raw.strip().upper() in {t.value for t in Tier}:
        tier = Tier(tier_raw.strip().upper())
    else:
        errors["tier"] = _l("Tier must be A, B or C.")
    cadence: int | None = None
    raw_cadence = data.cadence_days
    if raw_cadence in (None, ""):
        cadence = default_cadence(tier.value) if tier else None
    else:
        try:
            if isinstance(raw_cadence, bool) or isinstance(raw_cadence, float) and not raw_cadence.is_integer():
                raise ValueError
            cadence = int(str(raw_cadence).strip()) if not isinstance(raw_cadence, (int, float)) else int(raw_cadence)
        except (TypeError, ValueError):
            errors["cadence_days"] = _l("Cadence must be a whole number of days.")
        else:
            if not MIN_CADENCE <= cadence <= MAX_CADENCE:
                errors["cadence_days"] = _l("Cadence must be between %(lo)d and %(hi)d days.", lo=MIN_CADENCE, hi=MAX_CADENCE)
    notes = _text(data.notes, "notes", MAX_NOTES, errors)
    paused_until: date | None = None
    if isinstance(data.paused_until, date):
        paused_until = data.paused_until
    elif data.paused_until not in (None, ""):
        try:
            paused_until = date.fromisoformat(str(data.paused_until).strip())
        except ValueError:
            errors["paused_until"] = _l("Please enter a date like 2026-12-31.")
    if errors:
        raise Invalid(errors)
    return CleanCustomer(name, company, email, phone, tier, cadence, notes, paused_until)  # type: ignore[arg-type]


def new_customer(owner: User, clean: CleanCustomer, *, now: datetime) -> Customer:
    """Build (not add) a customer owned by *owner* from validated fields."""
    return Customer(
        organization_id=owner.organization_id,
        owner_id=owner.id,
        name=clean.name,
        company=clean.company,
        email=clean.email,
        phone=clean.phone,
        tier=clean.tier,
        cadence_days=clean.cadence_days,
        notes=clean.notes,
        paused_until=clean.paused_until,
        created_at=now,
        created_day=owner.today(now),
    )


def create_customer(session: Session, *, owner: User, data: CustomerInput, now: datetime) -> Customer:
    """Create a customer owned by *owner*."""
    customer = new_customer(owner, clean_customer(data), now=now)
    session.add(customer)
    session.flush()
    return customer


def update_customer(session: Session, customer: Customer, data: CustomerInput) -> Customer:
    """Apply edited fields to *customer*."""
    clean = clean_customer(data)
    for name in ("name", "company", "email", "phone", "tier", "cadence_days", "notes", "paused_until"):
        setattr(customer, name, getattr(clean, name))
    session.flush()
    return customer


def archive_customer(session: Session, customer: Customer, *, now: datetime) -> Customer:
    """Archive *customer*: hidden from lists and rankings, history kept."""
    if customer.archived_at is None:
        customer.archived_at = now
    session.flush()
    return customer


def restore_customer(session: Session, customer: Customer) -> Customer:
    """Bring an archived customer back."""
    customer.archived_at = None
    session.flush()
    return customer


def team_members(session: Session, user: User) -> list[User]:
    """Return the people *user* may hand customers to: the team for a coach, else only *user*."""
    if not user.is_coach or user.team_id is None:
        return [user]
    return list(
        session.scalars(
            select(User)
            .where(User.organization_id == user.organization_id, User.team_id == user.team_id)
            .order_by(User.name, User.id)
        )
    )


def choose_owner(session: Session, actor: User, owner_id: object, *, default: User) -> User:
    """Return the owner *actor* picked: *default* when none was picked or *actor* is a rep.

    Only coaches choose; the owner must be in the coach's own team and organisation, otherwise
    Invalid (a rep's ``owner_id`` is ignored, never trusted).
    """
    if not actor.is_coach or owner_id in (None, ""):
        return default
    try:
        wanted = int(str(owner_id).strip())
    except ValueError:
        wanted = None
    for member in team_members(session, actor):
        if member.id == wanted:
            return member
    raise Invalid({"owner_id": _l("Please choose someone from your team.")})


def _collect(errors: dict[str, str], check) -> object:
    try:
        return check()
    except Invalid as exc:
        errors.update(exc.fields)
        return None


def create_customer_as(
    session: Session, *, actor: User, data: CustomerInput, now: datetime, owner_id: object = None
) -> Customer:
    """Create a customer as *actor*: owned by the actor, or by the team member a coach chose."""
    errors: dict[str, str] = {}
    owner = _collect(errors, lambda: choose_owner(session, actor, owner_id, default=actor))
    _collect(errors, lambda: clean_customer(data))
    if errors:
        raise Invalid(errors)
    return create_customer(session, owner=owner, data=data, now=now)  # type: ignore[arg-type]


def edit_customer_as(
    session: Session, customer: Customer, *, actor: User, data: CustomerInput, owner_id: object = None
) -> Customer:
    """Apply *actor*'s edit to *customer*; a coach may also hand it to another team member."""
    errors: dict[str, str] = {}
    owner = _collect(errors, lambda: choose_owner(session, actor, owner_id, default=customer.owner))
    _collect(errors, lambda: clean_customer(data))
    if errors:
        raise Invalid(errors)
    if owner is not None and owner.id != customer.owner_id:
        hand_over(session, customer, owner)  # type: ignore[arg-type]
    update_customer(session, customer, data)  # one flush: the page revisions first, then the row
    return customer


def hand_over(session: Session, customer: Customer, owner: User) -> None:
    """Give *customer* to *owner* (not flushed): its open follow-up goes along, its touches stay whose they were."""
    customer.owner = owner
    follow_up = follow_ups_q.open_for_customer(session, customer.id)
    if follow_up is not None:
        follow_up.user = owner
