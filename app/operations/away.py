"""Away periods (a rep's vacation or sick days) and team holidays (days a coach sets off).

Both are inclusive ranges of local days that are neutral for the streak: an away day neither
extends nor breaks it. Every add or delete refolds the kept streak checkpoint of everyone it
concerns — the rep, or every member of the team — in the caller's transaction, since a range
may lie before the checkpoint (entered afterwards) as well as after it (planned ahead).

Validation, the same for both: the first and last day are dates like ``2026-12-31``; the last
day is not before the first; a range is at most 366 days long; it starts at most one year
before the actor's today and ends at most two years after it; and it may not overlap another
range of the same owner (the rep's own periods, or the team's holidays) — overlaps are refused
with a message naming the other range rather than merged silently, so nothing is changed
behind the user's back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import streaks
from ..kinds import AwayReason
from ..models import AwayPeriod, Team, TeamHoliday, User
from ..queries import away as away_q
from . import Invalid, NotFound, accounts, id_or_404, streak_state

REASONS = tuple(AwayReason)
MAX_DAYS = 366
YEARS_BACK = 1
YEARS_AHEAD = 2
MAX_NOTE = 200
MAX_HOLIDAY_NAME = 120
RECENT_DAYS = 90

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class DayRange:
    """A validated inclusive range of days."""

    first_day: date
    last_day: date


@dataclass(frozen=True)
class Listing:
    """Ranges split for display: running or ahead (soonest first), and recently ended (latest first)."""

    upcoming: list
    recent: list


def shift_years(day: date, years: int) -> date:
    """Return *day* moved by whole *years*; 29 February becomes the 28th in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def limits(today: date) -> tuple[date, date]:
    """Return the earliest first day and the latest last day allowed on *today*."""
    return shift_years(today, -YEARS_BACK), shift_years(today, YEARS_AHEAD)


def parse_day(value: object, field: str, errors: dict[str, str]) -> date | None:
    """Return *value* as a date (a ``date`` or ``YYYY-MM-DD`` text); else note an error in *errors*."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        errors[field] = str(_l("Please enter a date."))
        return None
    if not _ISO_DAY.fullmatch(text):
        errors[field] = str(_l("Please enter a date like 2026-12-31."))
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[field] = str(_l("This date does not exist."))
        return None


def check_range(first: object, last: object, *, today: date, errors: dict[str, str]) -> DayRange | None:
    """Validate an inclusive range of days on *today* into *errors*; return it when valid."""
    first_day = parse_day(first, "first_day", errors)
    last_day = parse_day(last, "last_day", errors)
    earliest, latest = limits(today)
    if first_day is not None and first_day < earliest:
        errors["first_day"] = str(_l("The first day can be at most one year ago."))
    if last_day is not None and last_day > latest:
        errors["last_day"] = str(_l("The last day can be at most two years ahead."))
    if first_day is None or last_day is None or "first_day" in errors or "last_day" in errors:
        return None
    if last_day < first_day:
        errors["last_day"] = str(_l("The last day cannot be before the first day."))
        return None
    if (last_day - first_day).days + 1 > MAX_DAYS:
        errors["last_day"] = str(_l("A range can be at most %(n)d days long.", n=MAX_DAYS))
        return None
    return DayRange(first_day, last_day)


def _overlaps(column_first, column_last, wanted: DayRange):
    return (column_first <= wanted.last_day, column_last >= wanted.first_day)



def _span(first: date, last: date) -> str:
    return f"{format_date(first, 'medium')} – {format_date(last, 'medium')}"


def _split(rows: list, today: date) -> Listing:
    upcoming = sorted((r for r in rows if r.last_day >= today), key=lambda r: (r.first_day, r.id))
    recent = sorted((r for r in rows if r.last_day < today), key=lambda r: (r.last_day, r.id), reverse=True)
    return Listing(upcoming, recent)


# -- A rep's away periods ---------------------------------------------------------------------


def list_away_periods(session: Session, user: User, *, today: date, recent_days: int = RECENT_DAYS) -> Listing:
    """Return the rep's running and planned periods, and those that ended in the last *recent_days*."""
    rows = list(
        session.scalars(
            select(AwayPeriod).where(
                AwayPeriod.user_id == user.id, AwayPeriod.last_day >= today - timedelta(days=recent_days)
            )
        )
    )
    return _split(rows, today)


def add_away_period(session: Session, user: User, data: Mapping[str, object], *, now: datetime) -> AwayPeriod:
    """Add a vacation, sick or other away period for *user* and refold their streak.

    *data* holds ``first_day``, ``last_day`` (inclusive), ``reason`` (vacation, sick, other;
    vacation when left out) and an optional ``note`` of at most 200 characters. Every bad
    field is reported at once; a range overlapping one of the rep's periods is refused.
    """
    errors: dict[str, str] = {}
    today = user.today(now)
    wanted = check_range(data.get("first_day"), data.get("last_day"), today=today, errors=errors)
    reason = data.get("reason") or "vacation"
    if reason not in REASONS:
        errors["reason"] = str(_l("Please choose vacation, sick or other."))
    note = data.get("note")
    note = note.strip() if isinstance(note, str) else ""
    if len(note) > MAX_NOTE:
        errors["note"] = str(_l("At most %(n)d characters.", n=MAX_NOTE))
    elif "\x00" in note:
        errors["note"] = str(_l("This contains characters that cannot be stored."))
    if errors:
        raise Invalid(errors)
    assert wanted is not None
    # Lock the rep's row so that two concurrent adds cannot both pass the overlap check.
    session.execute(select(User.id).where(User.id == user.id).with_for_update())
    clash = session.scalar(
        select(AwayPeriod)
        .where(AwayPeriod.user_id == user.id, *_overlaps(AwayPeriod.first_day, AwayPeriod.last_day, wanted))
        .order_by(AwayPeriod.first_day)
        .limit(1)
    )
    if clash is not None:
        raise Invalid({"first_day": str(_l(
            "This overlaps your away period %(span)s. Change the dates, or delete that one first.",
            span=_span(clash.first_day, clash.last_day),
        ))})
    period = AwayPeriod(
        user_id=user.id,
        first_day=wanted.first_day,
        last_day=wanted.last_day,
        reason=str(reason),
        note=note or None,
        created_at=now,
    )
    session.add(period)
    session.flush()
    streak_state.changed(session, user, now=now)
    return period


def delete_away_period(session: Session, user: User, period_id: object, *, now: datetime) -> None:
    """Delete one of *user*'s away periods and refold their streak; anyone else's is NotFound."""
    period = session.scalar(
        select(AwayPeriod).where(AwayPeriod.id == id_or_404(period_id), AwayPeriod.user_id == user.id)
    )
    if period is None:
        raise NotFound()
    session.delete(period)
    session.flush()
    streak_state.changed(session, user, now=now)


# -- Team holidays ----------------------------------------------------------------------------


def _team_of(user: User):
    """Return a select of the team rows *user* belongs to, within their own organisation."""
    return select(Team.id).where(Team.id == user.team_id, Team.organization_id == user.organization_id)


def _team_of_coach(session: Session, user: User) -> int:
    """Return the team a coach or admin may set holidays for; anyone else gets NotFound."""
    if not user.is_coach or user.team_id is None or session.scalar(_team_of(user)) is None:
        raise NotFound()
    return user.team_id


def list_team_holidays(session: Session, user: User, *, today: date, recent_days: int = RECENT_DAYS) -> Listing:
    """Return the holidays of *user*'s team: running and planned, and those ended in *recent_days*."""
    if user.team_id is None:
        return Listing([], [])
    rows = list(
        session.scalars(
            select(TeamHoliday).where(
                TeamHoliday.team_id.in_(_team_of(user)),
                TeamHoliday.last_day >= today - timedelta(days=recent_days),
            )
        )
    )
    return _split(rows, today)


def _members(session: Session, team_id: int, organization_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User).where(User.team_id == team_id, User.organization_id == organization_id).order_by(User.id)
        )
    )


def _refold_team(session: Session, team_id: int, organization_id: int, now: datetime) -> None:
    """Refold the streak checkpoint of every member of the team (in id order, to lock in one order)."""
    for member in _members(session, team_id, organization_id):
        streak_state.changed(session, member, now=now)


def add_team_holiday(session: Session, user: User, data: Mapping[str, object], *, now: datetime) -> TeamHoliday:
    """Add a holiday for the coach's team and refold every member's streak.

    *data* holds ``name`` (at most 120 characters), ``first_day`` and ``last_day`` (inclusive),
    validated against the coach's today. A rep, or a user without a team, gets NotFound; a
    range overlapping another holiday of the team is refused.
    """
    team_id = _team_of_coach(session, user)
    errors: dict[str, str] = {}
    name = data.get("name")
    try:
        clean_name = accounts.check_name(name if isinstance(name, str) else "", "name", MAX_HOLIDAY_NAME)
    except Invalid as exc:
        errors.update(exc.fields)
        clean_name = ""
    today = user.today(now)
    wanted = check_range(data.get("first_day"), data.get("last_day"), today=today, errors=errors)
    if errors:
        raise Invalid(errors)
    assert wanted is not None
    # Lock the team's row so that two coaches adding at once cannot both pass the overlap check.
    session.execute(select(Team.id).where(Team.id == team_id).with_for_update())
    clash = session.scalar(
        select(TeamHoliday)
        .where(TeamHoliday.team_id == team_id, *_overlaps(TeamHoliday.first_day, TeamHoliday.last_day, wanted))
        .order_by(TeamHoliday.first_day)
        .limit(1)
    )
    if clash is not None:
        raise Invalid({"first_day": str(_l(
            "This overlaps the team holiday “%(name)s” (%(span)s). Change the dates, or delete that one first.",
            name=clash.name, span=_span(clash.first_day, clash.last_day),
        ))})
    holiday = TeamHoliday(
        team_id=team_id,
        first_day=wanted.first_day,
        last_day=wanted.last_day,
        name=clean_name,
        created_by_id=user.id,
        created_at=now,
    )
    session.add(holiday)
    session.flush()
    _refold_team(session, team_id, user.organization_id, now)
    return holiday


def delete_team_holiday(session: Session, user: User, holiday_id: object, *, now: datetime) -> None:
    """Delete a holiday of the coach's team and refold every member's streak; any other is NotFound."""
    team_id = _team_of_coach(session, user)
    holiday = session.scalar(
        select(TeamHoliday).where(TeamHoliday.id == id_or_404(holiday_id), TeamHoliday.team_id == team_id)
    )
    if holiday is None:
        raise NotFound()
    session.delete(holiday)
    session.flush()
    _refold_team(session, team_id, user.organization_id, now)


# -- Reading ----------------------------------------------------------------------------------


def away_on(session: Session, user: User, day: date) -> bool:
    """Tell whether *day* is an away day for *user*: one of their periods or a team holiday."""
    return streaks.is_away(day, away_q.away_ranges(session, user, first=day, last=day))


def away_users_on(session: Session, users: list[User], day: date) -> set[int]:
    """Return the ids of those *users* who are away on *day* (for batch jobs such as reminders)."""
    if not users:
        return set()
    ranges = away_q.away_ranges_by_user(session, {u.id: u.team_id for u in users})
    return {user_id for user_id, away in ranges.items() if streaks.is_away(day, away)}
