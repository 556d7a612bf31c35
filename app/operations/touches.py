"""Touches: log, edit, correct the day, delete, undo — keeping each customer's last touch day current.

The *backfill window*: a touch can be logged for, or moved to, today or one of the
``MAX_BACKFILL_DAYS`` (6) local days before it — the last 7 days, in the rep's own days. The
kept streak checkpoint lies behind that window (``streak_state.CHECKPOINT_LAG``), so a write
inside it only refolds the days after the checkpoint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import badges, clock, warmth
from .. import moments as moment_rules
from ..kinds import Direction, TouchKind
from ..models import Customer, Touch, User
from ..queries import common as common_q
from ..queries import streak as streak_q
from . import Invalid, NotFound, awards, blank, follow_ups, id_or_404, ledger, parse_day, streak_state
from .customers import get_customer

MAX_NOTE = 2000
MAX_BACKFILL_DAYS = 6
MAX_AHEAD = timedelta(minutes=5)
KEEP = object()  # a field an edit leaves as it is
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class LoggedTouch:
    """A touch, whether this call created it (False for a replayed ``client_id``), its points
    (the same for a replay), the badges this call awarded and the moments it reached (none for
    a replay)."""

    touch: Touch
    created: bool
    points: ledger.TouchPoints | None = None
    badges: tuple[badges.Badge, ...] = ()
    moments: moment_rules.Moments = moment_rules.Moments()


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


def backfill_window(today: date) -> tuple[date, date]:
    """Return the first and the last local day a touch may count for, seen on the rep's *today*."""
    return today - timedelta(days=MAX_BACKFILL_DAYS), today


def _window_message() -> object:
    return _l("You can log a touch for today or one of the %(n)d days before.", n=MAX_BACKFILL_DAYS)


def _clean_day(value: object, today: date, errors: dict, field: str = "day") -> date | None:
    """Return the local day *value* (a date or ``YYYY-MM-DD``) inside the backfill window; None when not given."""
    if blank(value):
        return None
    day = parse_day(value)
    if day is None:
        errors[field] = _l("Please enter a date like 2026-12-31.")
        return None
    first, last = backfill_window(today)
    if not first <= day <= last:
        errors[field] = _window_message()
        return None
    return day


def instant_on(user: User, day: date, *, now: datetime) -> datetime:
    """Return the instant a touch logged *now* for the rep's local *day* gets: as far into that day as now is into today.

    So "yesterday" at 15:10 is yesterday 15:10 (a few hours of a daylight-saving change aside),
    always inside the local day, with the rep's day start hour.
    """
    tz, hour = user.timezone, user.day_start_hour
    elapsed = now - clock.day_bounds(user.today(now), tz, hour)[0]
    start, end = clock.day_bounds(day, tz, hour)
    if end <= start:  # a calendar day the zone skipped: its first instant
        return start
    return min(start + elapsed, end - timedelta(microseconds=1))


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
    day: object = None,
    client_id: object = None,
) -> LoggedTouch:
    """Log a touch by *user*; a repeated ``client_id`` returns the stored touch unchanged.

    The touch counts for the rep's local day at the moment it happened, computed now with the
    rep's current zone. When it is, one of three says (each inside the backfill window, the
    last 7 local days): *day*, a local day (``date`` or ``YYYY-MM-DD``, the date picker), wins
    over *days_back* (0 today … 6; the form offers "yesterday" and "2 days ago"); both give the
    instant ``instant_on``. *occurred_at* (aware, on a local day in the window, at most 5 minutes
    ahead) gives the exact instant, as the offline outbox sends it.
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
    picked = _clean_day(day, today, errors)
    if not isinstance(days_back, int) or isinstance(days_back, bool) or not 0 <= days_back <= MAX_BACKFILL_DAYS:
        errors["days_back"] = _window_message()
        days_back = 0
    if occurred_at is not None:
        if occurred_at.tzinfo is None:
            errors["occurred_at"] = _l("The time needs a time zone offset, like 2026-11-27T09:30:00+01:00.")
        elif occurred_at > now + MAX_AHEAD:
            errors["occurred_at"] = _l("A touch cannot be in the future.")
        elif user.day_of(occurred_at) < backfill_window(today)[0]:
            errors["occurred_at"] = _l("A touch can be logged at most %(n)d days back.", n=MAX_BACKFILL_DAYS)
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
        local_day = user.day_of(when)
    elif picked is not None or days_back:
        local_day = picked if picked is not None else today - timedelta(days=days_back)
        when = now if local_day == today else instant_on(user, local_day, now=now)
    else:
        when, local_day = now, today
    # The rep's concurrent touches take turns from here, so each one's rescue, score and
    # badges see the other's (and the first touch's kept streak row is created once).
    awards.lock_rep(session, user)
    crisis = user.team_in_crisis if customer.owner_id == user.id else common_q.owner_in_crisis(session, customer.owner_id)
    rescue = was_quiet_before(session, customer, local_day, crisis=crisis)
    # What the touch reaches (``moments.detect``) needs the day's other touches, deleted ones too;
    # a day that had one already reaches no streak milestone, so only its first touch reads the streak
    # (before and after); for the others both stay 0.
    earlier = [(created, deleted) for created, deleted in session.execute(
        select(Touch.created_at, Touch.deleted_at).where(Touch.user_id == user.id, Touch.local_day == local_day)
    )]
    first_of_day = not earlier
    streak_before = streak_q.summary(session, user, today=today).current if first_of_day else 0
    touch = Touch(
        organization_id=user.organization_id,
        user_id=user.id,
        customer_id=customer.id,
        kind=kind_value,
        direction=direction_value,
        note=note_text,
        occurred_at=when,
        local_day=local_day,
        backfilled=local_day < today,
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
    if customer.last_touch_day is None or local_day > customer.last_touch_day:
        customer.last_touch_day = local_day
    streak_state.changed(session, user, now=now, day=local_day)
    follow_ups.done_by_touch(session, touch, now=now)
    scored = ledger.record(session, touch, now=now)
    earned = awards.award(session, user, now=now, touch_id=touch.id)
    reached = moment_rules.detect(
        streak_before=streak_before,
        streak_after=streak_q.summary(session, user, today=today).current if first_of_day else 0,
        earlier=earlier,
        goal=user.daily_goal or 0,
        counts_for_today=local_day == today,
    )
    return LoggedTouch(touch, created=True, points=scored, badges=tuple(earned), moments=reached)


def was_quiet_before(session: Session, customer: Customer, day: date, *, crisis: bool = False,
                     excluding: int | None = None) -> bool:
    """Tell whether a touch on *day* rescues *customer*: it was ``quiet`` just before it.

    "Just before" means after every touch up to and including *day*, so a second touch on
    the same day, or a backfill before a later touch, rescues nobody. *crisis*: the owner's team
    is in crisis mode, so quiet is judged by the tightened cadence every page shows
    (``common.effective_cadence``): a customer the rep sees as quiet is rescued by the touch.
    *excluding*: the id of the touch being judged when it is already stored (a moved touch).
    """
    stmt = select(func.max(Touch.local_day)).where(
        Touch.customer_id == customer.id, Touch.deleted_at.is_(None), Touch.local_day <= day
    )
    if excluding is not None:
        stmt = stmt.where(Touch.id != excluding)
    previous = session.scalar(stmt)
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


def update_touch(session: Session, touch: Touch, *, kind: object, note: object, direction: object, now: datetime,
                 day: object = KEEP) -> Touch:
    """Change a touch's kind, note or direction, and correct its day; all or nothing.

    Kind, note and direction keep the points as they were logged. *day* (a local day, ``date``
    or ``YYYY-MM-DD``; empty or KEEP: unchanged) moves the touch to another day, when both its
    day and the new one are inside the backfill window (older history stays as it is):
    ``move_touch`` has what follows. A new kind may complete a badge (the tenth letter):
    ``award_after_edit`` tells.
    """
    errors: dict[str, object] = {}
    kind_value = _clean_kind(kind, errors)
    direction_value = _clean_direction(direction, errors)
    note_text = _clean_note(note, kind_value, errors)
    new_day = None
    if day is not KEEP:
        today = touch.user.today(now)
        new_day = _clean_day(day, today, errors)
        if new_day is not None and new_day != touch.local_day and touch.local_day < backfill_window(today)[0]:
            errors["day"] = _l("This touch is older than %(n)d days: its day stays as logged.", n=MAX_BACKFILL_DAYS + 1)
    if errors:
        raise Invalid(errors)
    touch.kind = kind_value  # type: ignore[assignment]
    touch.direction = direction_value
    touch.note = note_text
    touch.updated_at = now
    session.flush()
    if new_day is not None and new_day != touch.local_day:
        move_touch(session, touch, new_day, now=now)
    return touch


def move_touch(session: Session, touch: Touch, day: date, *, now: datetime) -> Touch:
    """Move *touch* to the rep's local *day* (validated by the caller), and everything that follows from it.

    - ``local_day`` becomes *day* and ``occurred_at`` moves by whole local days, keeping its
      time of day (clamped into the day on daylight-saving days); ``backfilled`` tells whether
      the touch now counts for a day before the one it was written on.
    - ``rescue`` is judged again for the new day (``was_quiet_before``, the touch itself left out).
    - The customer's ``last_touch_day`` is recomputed.
    - The kept streak is kept right from the earlier of the two days (``streak_state.changed``).
    - Points: the touch's ledger entries are reversed and it is scored afresh on its new day
      (``ledger.rescore``); the ledger stays append-only.
    - A follow-up it did is given back when the touch now comes before the plan was made; an
      open one it now qualifies for is done by it (``follow_ups.touch_moved``).
    - Badges it newly earns are awarded (``award_after_edit``); badges already held are kept.
    """
    user = touch.user
    awards.lock_rep(session, user)
    old_day = touch.local_day
    tz, hour = user.timezone, user.day_start_hour
    old_start = clock.day_bounds(old_day, tz, hour)[0]
    start, end = clock.day_bounds(day, tz, hour)
    touch.occurred_at = start if end <= start else min(start + (touch.occurred_at - old_start),
                                                       end - timedelta(microseconds=1))
    touch.local_day = day
    touch.backfilled = day < user.day_of(touch.created_at)
    customer = touch.customer
    crisis = common_q.owner_in_crisis(session, customer.owner_id)
    touch.rescue = was_quiet_before(session, customer, day, crisis=crisis, excluding=touch.id)
    touch.updated_at = now
    session.flush()
    refresh_last_touch_day(session, customer)
    streak_state.changed(session, user, now=now, day=min(old_day, day))
    ledger.rescore(session, touch, now=now)
    follow_ups.touch_moved(session, touch, now=now)
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
