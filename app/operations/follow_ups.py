"""Follow-ups: plan the next touch with a customer, move it, drop it; a touch does it, deleting that touch reopens it.

A customer has at most one open follow-up (a partial unique index): planning while one is open
moves it. Every write here takes the rep's row first (``awards.lock_rep``), as a touch does, so
a plan, a move, a drop and the touch that does the follow-up take turns per rep.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import follow_ups as rules
from ..kinds import TouchKind
from ..models import FollowUp, Touch, User
from ..queries import follow_ups as follow_ups_q
from . import Conflict, Invalid, NotFound, awards, blank, id_or_404, parse_day
from .customers import get_customer

KEEP = object()  # a field a move leaves as it is


@dataclass(frozen=True)
class Planned:
    """The open follow-up after a plan, and whether the plan created it (False: it moved the open one)."""

    follow_up: FollowUp
    created: bool


def _clean_day(value: object, today: date, errors: dict) -> date | None:
    if blank(value):
        errors["due_day"] = _l("Please choose a day.")
        return None
    day = parse_day(value)
    if day is None:
        errors["due_day"] = _l("Please enter a date like 2026-12-31.")
        return None
    problem = rules.day_problem(day, today=today)
    if problem is rules.DayProblem.past:
        errors["due_day"] = _l("That is a date in the past. Please choose today or a later day.")
    elif problem is rules.DayProblem.too_far:
        errors["due_day"] = _l("Please choose a day within the next %(n)d days.", n=rules.MAX_AHEAD_DAYS)
    return day


def _clean_kind(value: object, errors: dict) -> TouchKind | None:
    if value is None or value == "":
        return None
    try:
        return TouchKind(value)
    except ValueError:
        errors["kind"] = _l("Unknown kind of touch.")
        return None


def _clean_note(value: object, errors: dict) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        errors["note"] = _l("Please enter text.")
        return None
    text = value.strip()
    if "\x00" in text:
        errors["note"] = _l("This contains characters that cannot be stored.")
    elif len(text) > rules.MAX_NOTE:
        errors["note"] = _l("A note can have at most %(n)d characters.", n=rules.MAX_NOTE)
    return text or None


def _clean(rep: User, now: datetime, *, due_day: object = KEEP, kind: object = KEEP, note: object = KEEP) -> dict:
    """Validate the given fields against the rep's today; raise Invalid with every problem at once."""
    errors: dict[str, object] = {}
    clean: dict[str, object] = {}
    if due_day is not KEEP:
        clean["due_day"] = _clean_day(due_day, rep.today(now), errors)
    if kind is not KEEP:
        clean["kind"] = _clean_kind(kind, errors)
    if note is not KEEP:
        clean["note"] = _clean_note(note, errors)
    if errors:
        raise Invalid(errors)
    return clean


def plan_follow_up(session: Session, *, actor: User, customer_id: object, due_day: object, kind: object = None,
                   note: object = None, now: datetime) -> Planned:
    """Plan the next touch with a customer *actor* may see, for its owner; move the open one if there is one.

    *due_day* is a ``date`` or an ISO date, from the rep's today up to a year ahead; *kind* a
    touch kind or None; *note* at most 500 characters (a longer one is refused, never cut).
    Another organisation's customer, one the actor may not see, or an archived one is NotFound.
    """
    customer = get_customer(session, actor, customer_id, include_archived=False)
    rep = customer.owner
    clean = _clean(rep, now, due_day=due_day, kind=kind, note=note)
    awards.lock_rep(session, rep)
    existing = follow_ups_q.open_for_customer(session, customer.id)
    if existing is not None:
        return Planned(_apply(session, existing, clean, now=now), created=False)
    follow_up = FollowUp(organization_id=customer.organization_id, customer_id=customer.id, user_id=rep.id,
                         created_by_id=actor.id, created_at=now, **clean)
    try:
        with session.begin_nested():
            session.add(follow_up)
            session.flush()
    except IntegrityError:
        # A parallel plan for the same customer got there first: this one moves it.
        existing = follow_ups_q.open_for_customer(session, customer.id)
        if existing is None:
            raise
        return Planned(_apply(session, existing, clean, now=now), created=False)
    return Planned(follow_up, created=True)


def _apply(session: Session, follow_up: FollowUp, clean: dict, *, now: datetime) -> FollowUp:
    for name, value in clean.items():
        setattr(follow_up, name, value)
    follow_up.updated_at = now
    session.flush()
    return follow_up


def get_follow_up(session: Session, user: User, follow_up_id: object) -> FollowUp:
    """Return a follow-up of a customer *user* may see (any state), else raise NotFound."""
    fid = id_or_404(follow_up_id)
    follow_up = session.scalar(follow_ups_q.visible_follow_ups(user).where(FollowUp.id == fid))
    if follow_up is None:
        raise NotFound()
    return follow_up


def _still_open(follow_up: FollowUp) -> None:
    if not follow_up.is_open:
        raise Conflict(_l("This follow-up is already done or dropped. Plan a new one."))


def move_follow_up(session: Session, follow_up: FollowUp, *, due_day: object = KEEP, kind: object = KEEP,
                   note: object = KEEP, now: datetime) -> FollowUp:
    """Change an open follow-up's day, kind or note (the fields given); a closed one is a Conflict."""
    _still_open(follow_up)
    clean = _clean(follow_up.user, now, due_day=due_day, kind=kind, note=note)
    awards.lock_rep(session, follow_up.user)
    session.refresh(follow_up)  # a touch may have done it while this request waited for the lock
    _still_open(follow_up)
    return _apply(session, follow_up, clean, now=now)


def drop_follow_up(session: Session, follow_up: FollowUp, *, now: datetime) -> FollowUp:
    """Drop an open follow-up: nothing is planned with the customer any more; a closed one is a Conflict."""
    _still_open(follow_up)
    awards.lock_rep(session, follow_up.user)
    session.refresh(follow_up)
    _still_open(follow_up)
    follow_up.dropped_at = now
    follow_up.updated_at = now
    session.flush()
    return follow_up


def done_by_touch(session: Session, touch: Touch, *, now: datetime) -> FollowUp | None:
    """Mark the customer's open follow-up done by the new *touch* (``rules.done_by``); return it, if any."""
    follow_up = follow_ups_q.open_for_customer(session, touch.customer_id)
    if follow_up is None or not rules.done_by(touch_day=touch.local_day,
                                              planned_day=follow_up.user.day_of(follow_up.created_at)):
        return None
    follow_up.done_at = now
    follow_up.done_touch_id = touch.id
    follow_up.updated_at = now
    session.flush()
    return follow_up


def touch_deleted(session: Session, touch: Touch, *, now: datetime) -> FollowUp | None:
    """Take back what a deleted (or undone) *touch* did to a follow-up; return that follow-up, if any.

    - Another touch of the customer that is not deleted and would have done it (its day not before
      the day of the plan): that touch did it instead, the earliest logged.
    - Otherwise, when the customer has had no newer plan since it was done, it is open again.
    - A newer plan was made since (open, done or dropped): that one counts, and this one is
      dropped rather than opened a second time.
    """
    follow_up = session.scalar(select(FollowUp).where(FollowUp.done_touch_id == touch.id))
    if follow_up is None:
        return None
    awards.lock_rep(session, follow_up.user)
    planned = follow_up.user.day_of(follow_up.created_at)
    other = session.scalar(
        select(Touch.id)
        .where(Touch.customer_id == touch.customer_id, Touch.id != touch.id, Touch.deleted_at.is_(None),
               Touch.local_day >= planned)
        .order_by(Touch.created_at, Touch.id)
        .limit(1)
    )
    if other is not None:
        follow_up.done_touch_id = other
    else:
        newer = session.scalar(
            select(FollowUp.id).where(FollowUp.customer_id == follow_up.customer_id, FollowUp.id != follow_up.id,
                                      FollowUp.created_at >= follow_up.done_at).limit(1)
        )
        follow_up.done_at = None
        follow_up.done_touch_id = None
        if newer is not None:
            follow_up.dropped_at = now
    follow_up.updated_at = now
    session.flush()
    return follow_up



def touch_moved(session: Session, touch: Touch, *, now: datetime) -> FollowUp | None:
    """Keep the customer's follow-ups right after *touch* moved to another local day; return the one concerned.

    A follow-up the touch did stays done while the new day still does it (``rules.done_by``: not
    before the day it was planned); otherwise it is taken back as for a deleted touch
    (``touch_deleted``: another touch did it, or it is open again). A touch that did none does
    the customer's open follow-up when its new day would have (``done_by_touch``), as logging
    it for that day would.
    """
    follow_up = session.scalar(select(FollowUp).where(FollowUp.done_touch_id == touch.id))
    if follow_up is None:
        return done_by_touch(session, touch, now=now)
    if rules.done_by(touch_day=touch.local_day, planned_day=follow_up.user.day_of(follow_up.created_at)):
        return follow_up
    return touch_deleted(session, touch, now=now)
