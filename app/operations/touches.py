"""Touches: log, edit, delete, undo — keeping each customer's last touch day current."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import badges, clock, warmth
from ..kinds import Direction, TouchKind
from ..models import Customer, Touch, User
from ..queries import common as common_q
from . import Invalid, NotFound, awards, follow_ups, id_or_404, ledger, streak_state
from .customers import get_customer

MAX_NOTE = 2000
MAX_BACKFILL_DAYS = 2
MAX_BACK = timedelta(days=3)
MAX_AHEAD = timedelta(minutes=5)
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class LoggedTouch:
    """A touch, whether this call created it (False for a replayed ``client_id``), its points
    (the same for a replay) and the badges this call awarded (none for a replay)."""

    touch: Touch
    created: bool
    points: ledger.TouchPoints | None = None
    badges: tuple[badges.Badge, ...] = ()


def _clean_note(note: object, kind: TouchKind | None, errors: dict) -> str | None:
    if note is None:
        text = None
    elif not isinstance(note, str):
        errors["note"] = _l("Please enter text.")
        return None
    else:
        text = note.strip() or None
    if text and len(text) > MAX_NOTE:
        errors["note"] = _l("A note can have at most %(n)d characters.", n=MAX_NOTE)
    elif text and "\x00" in text:
        errors["note"] = _l("This contains characters that cannot be stored.")
    elif kind is TouchKind.other and not text:
        errors["note"] = _l("Tell us what you did — be creative!")
    return text


def _clean_kind(kind: object, errors: dict) -> TouchKind | None:
    try:
        return TouchKind(kind)
    except ValueError:
        errors["kind"] = _l("Unknown kind of touch.")
        return None


def _clean_direction(direction: object, errors: dict) -> Direction:
    try:
        return Direction(direction or "out")
    except ValueError:
        errors["direction"] = _l("Direction must be “out” or “in”.")
        return Direction.out


def log_touch(
    session: Session,
    *,
    user: User,
    customer_id: object,
    kind: object,
    now: datetime,
    note: object = None,
    direction: object = None,
    occurred_at: datetime | None = None,
    days_back: int = 0,
    client_id: object = None,
) -> LoggedTouch:
    """Log a touch by *user*; a repeated ``client_id`` returns the stored touch unchanged.

    The touch counts for the rep's local day at the moment it happened, computed now with the
    rep's current zone. *days_back* (0, 1 or 2) backfills "yesterday" or "2 days ago";
    *occurred_at* (aware, at most 3 days back and 5 minutes ahead) gives the exact instant.
    It does the customer's open follow-up (``follow_ups.done_by_touch``).
    """
    errors: dict[str, object] = {}
    if client_id is not None and (not isinstance(client_id, str) or not CLIENT_ID.match(client_id)):
        errors["client_id"] = _l("client_id must be 1–64 letters, digits, “_” or “-”.")
    elif client_id is not None:
        existing = session.scalar(select(Touch).where(Touch.user_id == user.id, Touch.client_id == client_id))
        if existing is not None:
            return LoggedTouch(existing, created=False, points=ledger.points_of(session, existing))

    kind_value = _clean_kind(kind, errors)
    direction_value = _clean_direction(direction, errors)
    note_text = _clean_note(note, kind_value, errors)
    today = user.today(now)
    if not isinstance(days_back, int) or isinstance(days_back, bool) or not 0 <= days_back <= MAX_BACKFILL_DAYS:
        errors["days_back"] = _l("You can log a touch for today, yesterday or 2 days ago.")
        days_back = 0
    if occurred_at is not None:
        if occurred_at.tzinfo is None:
            errors["occurred_at"] = _l("The time needs a time zone offset, like 2026-11-27T09:30:00+01:00.")
        elif occurred_at > now + MAX_AHEAD:
            errors["occurred_at"] = _l("A touch cannot be in the future.")
        elif occurred_at < now - MAX_BACK:
            errors["occurred_at"] = _l("A touch can be logged at most 3 days back.")
    try:
        customer = get_customer(session, user, customer_id, include_archived=False)
    except NotFound:
        customer = None
        errors["customer_id"] = _l("No such customer.")
    if errors:
        raise Invalid(errors)
    assert customer is not None and kind_value is not None

    if occurred_at is not None:
        when = occurred_at.astimezone(clock.UTC)
        day = user.day_of(when)
    elif days_back:
        day = today - timedelta(days=days_back)
        local = clock.local_now(now, user.timezone)
        when = (local - timedelta(days=days_back)).astimezone(clock.UTC)
    else:
        when, day = now, today
    # The rep's concurrent touches take turns from here, so each one's rescue, score and
    # badges see the other's (and the first touch's kept streak row is created once).
    awards.lock_rep(session, user)
    crisis = user.team_in_crisis if customer.owner_id == user.id else common_q.owner_in_crisis(session, customer.owner_id)
    rescue = was_quiet_before(session, customer, day, crisis=crisis)
    touch = Touch(
        organization_id=user.organization_id,
        user_id=user.id,
        customer_id=customer.id,
        kind=kind_value,
        direction=direction_value,
        note=note_text,
        occurred_at=when,
        local_day=day,
        backfilled=day < today,
        rescue=rescue,
        client_id=client_id,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(touch)
            session.flush()
    except IntegrityError:
        # A concurrent request with the same client_id won the race: answer with its touch.
        existing = session.scalar(select(Touch).where(Touch.user_id == user.id, Touch.client_id == client_id))
        if existing is None:
            raise
        return LoggedTouch(existing, created=False, points=ledger.points_of(session, existing))
    if customer.last_touch_day is None or day > customer.last_touch_day:
        customer.last_touch_day = day
    streak_state.changed(session, user, now=now, day=day)
    follow_ups.done_by_touch(session, touch, now=now)
    scored = ledger.record(session, touch, now=now)
    earned = awards.award(session, user, now=now, touch_id=touch.id)
    return LoggedTouch(touch, created=True, points=scored, badges=tuple(earned))


def was_quiet_before(session: Session, customer: Customer, day: date, *, crisis: bool = False) -> bool:
    """Tell whether a touch on *day* rescues *customer*: it was ``quiet`` just before it.

    "Just before" means after every touch up to and including *day*, so a second touch on
    the same day, or a backfill before a later touch, rescues nobody. *crisis*: the owner's team
    is in crisis mode, so quiet is judged by the tightened cadence every page shows
    (``common.effective_cadence``): a customer the rep sees as quiet is rescued by the touch.
    """
    previous = session.scalar(
        select(func.max(Touch.local_day)).where(
            Touch.customer_id == customer.id, Touch.deleted_at.is_(None), Touch.local_day <= day
        )
    )
    state = warmth.status(
        last_touch_day=previous,
        created_day=customer.created_day,
        today=day,
        cadence_days=common_q.effective_cadence(customer.cadence_days, crisis=crisis),
        paused_until=customer.paused_until,
    )
    return state is warmth.Warmth.quiet


def get_own_touch(session: Session, user: User, touch_id: object) -> Touch:
    """Return one of *user*'s own touches that is not deleted, else raise NotFound."""
    tid = id_or_404(touch_id)
    touch = session.scalar(
        select(Touch).where(Touch.id == tid, Touch.user_id == user.id, Touch.deleted_at.is_(None))
    )
    if touch is None:
        raise NotFound()
    return touch


def refresh_last_touch_day(session: Session, customer: Customer) -> None:
    """Recompute a customer's last touch day from its touches that are not deleted."""
    customer.last_touch_day = session.scalar(
        select(func.max(Touch.local_day)).where(Touch.customer_id == customer.id, Touch.deleted_at.is_(None))
    )


def update_touch(session: Session, touch: Touch, *, kind: object, note: object, direction: object, now: datetime) -> Touch:
    """Change a touch's kind, note or direction; its day and its points stay as they were logged.

    A new kind may complete a badge (the tenth letter): ``award_after_edit`` tells.
    """
    errors: dict[str, object] = {}
    kind_value = _clean_kind(kind, errors)
    direction_value = _clean_direction(direction, errors)
    note_text = _clean_note(note, kind_value, errors)
    if errors:
        raise Invalid(errors)
    touch.kind = kind_value  # type: ignore[assignment]
    touch.direction = direction_value
    touch.note = note_text
    touch.updated_at = now
    session.flush()
    return touch


def award_after_edit(session: Session, touch: Touch, *, now: datetime) -> list[badges.Badge]:
    """Award what an edited *touch* newly earns for its rep (same transaction as the edit)."""
    return awards.award(session, touch.user, now=now, touch_id=touch.id)


def delete_touch(session: Session, touch: Touch, *, now: datetime) -> Touch:
    """Mark a touch deleted; it no longer counts for streaks or warmth, and its points are reversed.

    Badges it helped earn are kept (``app/badges.py``); a follow-up it did is open again
    (``follow_ups.touch_deleted``).
    """
    touch.deleted_at = now
    session.flush()
    ledger.reverse(session, touch, now=now)
    refresh_last_touch_day(session, touch.customer)
    streak_state.changed(session, touch.user, now=now, day=touch.local_day)
    follow_ups.touch_deleted(session, touch, now=now)
    return touch


def undo_touch(session: Session, touch: Touch, *, now: datetime, window_seconds: int = 10) -> Touch:
    """Take back a touch logged less than *window_seconds* ago."""
    if now - touch.created_at > timedelta(seconds=window_seconds):
        raise Invalid({"touch": _l("Too late to undo — you can still delete it from the timeline.")})
    return delete_touch(session, touch, now=now)
