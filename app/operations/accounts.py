"""Accounts: organisations, teams, users, passwords, sessions."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import clock
from ..kinds import Role
from ..models import Organization, Team, User
from . import Conflict, Invalid, streak_state

_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) defaults
MIN_PASSWORD = 10
MAX_PASSWORD = 256
MAX_NAME = 120
LOCALES = ("en", "de")
MIN_GOAL, MAX_GOAL = 1, 50


def hash_password(password: str) -> str:
    """Hash *password* with argon2id."""
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    """Check *password* against the user's hash."""
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(user: User) -> bool:
    """Tell whether the user's hash uses outdated parameters."""
    return _hasher.check_needs_rehash(user.password_hash)


_DUMMY_HASH = _hasher.hash("timing-equaliser")


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Return the user with this e-mail and password, spending equal time when there is none."""
    user = session.scalar(select(User).where(func.lower(User.email) == normalize_email(email, check=False)))
    if user is None:
        try:
            _hasher.verify(_DUMMY_HASH, password or "x")
        except VerificationError:
            pass
        return None
    if not verify_password(user, password):
        return None
    if needs_rehash(user):
        user.password_hash = hash_password(password)
    return user


def normalize_email(email: str, *, check: bool = True) -> str:
    """Return the e-mail address in Unicode NFC and lower case; with *check*, raise Invalid when malformed.

    Both the stored address and every address compared with it go through here, so an NFD
    spelling (``u`` + combining diaeresis) finds the account written with ``ü``. *check* also
    refuses an address whose local part or a domain label mixes alphabets (a Cyrillic ``е``
    among Latin letters), a look-alike of somebody else's address.
    """
    email = unicodedata.normalize("NFC", (email or "").strip())
    if check:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            raise Invalid({"email": _l("Please enter a valid e-mail address.")}) from None
        local, _at, domain = email.rpartition("@")
        if any(mixes_scripts(part) for part in (local, *domain.split("."))):
            raise Invalid({"email": _l("This address mixes letters of different alphabets, such as a Cyrillic "
                                       "“е” among Latin letters. Please type it again.")})
    return email.lower()


# Alphabets written together in one word: Japanese mixes Han, Hiragana and Katakana; Chinese,
# Japanese and Korean words sit beside Latin ones (UTS #39, "highly restrictive").
_EAST_ASIAN = frozenset({"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO"})


def mixes_scripts(text: str) -> bool:
    """Tell whether the letters of *text* come from more than one alphabet (Latin with Cyrillic, say).

    Digits, punctuation and marks belong to every alphabet. Han, Hiragana, Katakana, Hangul and
    Bopomofo count as one East Asian group, which may also stand beside Latin letters.
    """
    scripts = set()
    for ch in text:
        if ch.isalpha():
            script = unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0].split("-", 1)[0]
            scripts.add("EAST_ASIAN" if script in _EAST_ASIAN else script)
    return len(scripts) > 1 and not scripts <= {"LATIN", "EAST_ASIAN"}


def check_password(password: str) -> str:
    """Return *password* if it is acceptable, else raise Invalid."""
    if not password or len(password) < MIN_PASSWORD:
        raise Invalid({"password": _l("Use at least %(n)d characters.", n=MIN_PASSWORD)})
    if len(password) > MAX_PASSWORD or "\x00" in password:
        raise Invalid({"password": _l("That password cannot be used.")})
    return password


def check_name(name: str, field: str = "name", limit: int = MAX_NAME) -> str:
    """Return a trimmed, non-empty name of at most *limit* characters, else raise Invalid."""
    name = (name or "").strip()
    if not name:
        raise Invalid({field: _l("Please fill this in.")})
    if len(name) > limit:
        raise Invalid({field: _l("At most %(n)d characters.", n=limit)})
    if "\x00" in name:
        raise Invalid({field: _l("This contains characters that cannot be stored.")})
    return name


def check_timezone(tz: str) -> str:
    """Return *tz* if it is a known IANA zone, else raise Invalid."""
    if not clock.is_valid_zone(tz):
        raise Invalid({"timezone": _l("Unknown time zone. Please pick one from the list.")})
    return tz


def new_session_token() -> str:
    """Return a fresh random session token."""
    return secrets.token_hex(16)


def end_sessions(user: User) -> None:
    """Rotate the user's session token: every existing login cookie stops working."""
    user.session_token = new_session_token()


def _collect(errors: dict[str, str], check: Callable[..., object], *args, **kwargs) -> object:
    """Run *check*; on Invalid, merge its fields into *errors* and return None."""
    try:
        return check(*args, **kwargs)
    except Invalid as exc:
        errors.update(exc.fields)
        return None


@dataclass(frozen=True)
class Registration:
    """What registering created."""

    organization: Organization
    team: Team
    user: User


def _check_new_user(email: str, password: str, name: str, timezone: str, errors: dict[str, str]) -> str | None:
    """Validate a new user's fields into *errors*; return the normalised e-mail."""
    clean_email = _collect(errors, normalize_email, email)
    _collect(errors, check_name, name)
    _collect(errors, check_password, password)
    _collect(errors, check_timezone, timezone)
    return clean_email  # type: ignore[return-value]


def email_taken(session: Session, email: str) -> bool:
    """Tell whether an account with this (normalised) e-mail exists."""
    return session.scalar(select(User.id).where(func.lower(User.email) == email.lower())) is not None


def create_user(
    session: Session,
    *,
    organization: Organization,
    team: Team | None,
    email: str,
    password: str,
    name: str,
    role: Role = Role.rep,
    timezone: str = "UTC",
    locale: str | None = None,
    now: datetime,
) -> User:
    """Create a user in *organization*; the e-mail must be new. Every bad field is reported at once."""
    errors: dict[str, str] = {}
    clean_email = _check_new_user(email, password, name, timezone, errors)
    if errors:
        raise Invalid(errors)
    return _insert_user(
        session, organization=organization, team=team, email=clean_email, password=password,
        name=name.strip(), role=role, timezone=timezone, locale=locale, now=now,
    )


def _insert_user(session: Session, *, organization, team, email, password, name, role, timezone, locale, now) -> User:
    if email_taken(session, email):
        raise Conflict(_l("An account with this e-mail address already exists."), field="email")
    session.flush()  # a new organisation and team get their ids outside the savepoint below
    user = User(
        organization_id=organization.id,
        team_id=team.id if team is not None else None,
        email=email,
        name=name,
        password_hash=hash_password(password),
        role=Role(role),
        session_token=new_session_token(),
        timezone=timezone,
        locale=locale if locale in LOCALES else None,
        created_at=now,
    )
    try:
        # A concurrent sign-up with the same address can slip past the check above.
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:
        raise Conflict(_l("An account with this e-mail address already exists."), field="email") from None
    return user


def register(
    session: Session,
    *,
    org_name: str,
    email: str,
    password: str,
    name: str,
    timezone: str,
    locale: str | None = None,
    now: datetime,
) -> Registration:
    """Create an organisation with one team; its first user is admin and coach."""
    errors: dict[str, str] = {}
    clean_org = _collect(errors, check_name, org_name, "organization")
    clean_email = _check_new_user(email, password, name, timezone, errors)
    if errors:
        raise Invalid(errors)
    organization = Organization(name=clean_org, created_at=now)
    team = Team(organization=organization, name=clean_org, created_at=now)
    session.add_all([organization, team])
    user = _insert_user(
        session, organization=organization, team=team, email=clean_email, password=password,
        name=name.strip(), role=Role.admin, timezone=timezone, locale=locale, now=now,
    )
    return Registration(organization, team, user)


def team_members(session: Session, user: User) -> list[User]:
    """Return the members of *user*'s team (in the same organisation), by name."""
    if user.team_id is None:
        return [user]
    return list(
        session.scalars(
            select(User)
            .where(User.organization_id == user.organization_id, User.team_id == user.team_id)
            .order_by(func.lower(User.name), User.id)
        )
    )


# -- Settings ---------------------------------------------------------------------------------

_WHOLE = re.compile(r"[+-]?[0-9]{1,6}")
SETTINGS_FIELDS = (
    "name", "timezone", "locale", "workdays", "daily_goal",
    "day_start_hour", "evening_hour", "quiet_start_hour", "quiet_end_hour",
)


def _whole_number(value: object) -> int | None:
    """Return *value* as an int when it is a whole number (int or decimal text), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        return int(value.strip())
    return None


def _in_range(value: object, lo: int, hi: int, field: str, message, errors: dict[str, str]) -> int | None:
    number = _whole_number(value)
    if number is None or not lo <= number <= hi:
        errors[field] = str(message)
        return None
    return number


def _clean_workdays(value: object, errors: dict[str, str]) -> list[int] | None:
    """Return the workdays as sorted weekday numbers (Monday = 0), e.g. ``[0, 1, 2, 3, 4]``."""
    items: Iterable[object]
    if isinstance(value, str):
        items = list(value)
    elif isinstance(value, Iterable):
        items = list(value)
    else:
        items = []
    days: set[int] = set()
    for item in items:
        number = _whole_number(item)
        if number is None or not 0 <= number <= 6:
            errors["workdays"] = str(_l("Please pick days from Monday to Sunday."))
            return None
        days.add(number)
    if not days:
        errors["workdays"] = str(_l("Pick at least one workday."))
        return None
    return sorted(days)


def in_quiet_hours(hour: int, start: int, end: int) -> bool:
    """Tell whether *hour* falls in the quiet hours ``[start, end)``, which may cross midnight."""
    if start == end:
        return False
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end


def update_settings(session: Session, user: User, data: Mapping[str, object], *, now: datetime) -> User:
    """Validate and apply *user*'s settings; a key left out keeps its value.

    Every bad field is reported at once and nothing changes unless all are valid. Quiet hours
    may cross midnight (21 → 8) but may not start and end at the same hour, and the evening
    reminder may not fall inside them, since it could never be sent.
    """
    errors: dict[str, str] = {}
    clean: dict[str, object] = {}
    if "name" in data:
        clean["name"] = _collect(errors, check_name, data["name"] if isinstance(data["name"], str) else "")
    if "timezone" in data:
        clean["timezone"] = _collect(errors, check_timezone, data["timezone"])
    if "locale" in data:
        locale = data["locale"]
        if locale in (None, ""):
            clean["locale"] = None
        elif locale in LOCALES:
            clean["locale"] = locale
        else:
            errors["locale"] = str(_l("Please choose English or German."))
    if "workdays" in data:
        clean["workdays"] = _clean_workdays(data["workdays"], errors)
    if "daily_goal" in data:
        clean["daily_goal"] = _in_range(
            data["daily_goal"], MIN_GOAL, MAX_GOAL, "daily_goal",
            _l("Choose a daily goal between %(lo)d and %(hi)d touches.", lo=MIN_GOAL, hi=MAX_GOAL), errors,
        )
    hour_message = _l("Choose an hour between 0 and 23.")
    for field in ("day_start_hour", "evening_hour", "quiet_start_hour", "quiet_end_hour"):
        if field in data:
            clean[field] = _in_range(data[field], 0, 23, field, hour_message, errors)

    def effective(field: str) -> object:
        return clean[field] if field in clean else getattr(user, field)

    start, end, evening = effective("quiet_start_hour"), effective("quiet_end_hour"), effective("evening_hour")
    if None not in (start, end) and "quiet_end_hour" not in errors and start == end:
        errors["quiet_end_hour"] = str(_l("Quiet hours must end at a different hour than they start."))
    elif None not in (start, end, evening) and in_quiet_hours(evening, start, end):  # type: ignore[arg-type]
        errors["evening_hour"] = str(_l("This reminder falls in your quiet hours, so it would never arrive."))
    if errors:
        raise Invalid(errors)
    streak_relevant = any(
        field in clean and clean[field] != getattr(user, field) for field in ("workdays", "timezone", "day_start_hour")
    )
    for field, value in clean.items():
        setattr(user, field, value)
    session.flush()
    if streak_relevant:
        streak_state.changed(session, user, now=now)
    return user


def change_password(session: Session, user: User, *, current: str, new: str, confirm: str | None = None) -> User:
    """Set a new password after checking the current one; every other session of the user ends."""
    errors: dict[str, str] = {}
    if not verify_password(user, current or ""):
        errors["current_password"] = str(_l("Your current password is not right."))
    try:
        check_password(new)
    except Invalid as exc:
        errors["new_password"] = exc.fields["password"]
    else:
        if confirm is not None and confirm != new:
            errors["confirm_password"] = str(_l("The two new passwords do not match."))
    if errors:
        raise Invalid(errors)
    user.password_hash = hash_password(new)
    end_sessions(user)
    session.flush()
    return user
