"""Accounts: organisations, teams, users, passwords, sessions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import clock
from ..kinds import Role
from ..models import Organization, Team, User
from . import Conflict, Invalid

_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) defaults
MIN_PASSWORD = 10
MAX_PASSWORD = 256
MAX_NAME = 120


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
    """Return the e-mail address lower-cased; with *check*, raise Invalid when malformed."""
    email = (email or "").strip()
    if check:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            raise Invalid({"email": _l("Please enter a valid e-mail address.")}) from None
    return email.lower()


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


@dataclass(frozen=True)
class Registration:
    """What registering created."""

    organization: Organization
    team: Team
    user: User


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
    """Create a user in *organization*; the e-mail must be new."""
    email = normalize_email(email)
    name = check_name(name)
    check_password(password)
    check_timezone(timezone)
    if session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise Conflict(_l("An account with this e-mail address already exists."), field="email")
    user = User(
        organization=organization,
        team=team,
        email=email,
        name=name,
        password_hash=hash_password(password),
        role=Role(role),
        session_token=new_session_token(),
        timezone=timezone,
        locale=locale if locale in ("en", "de") else None,
        created_at=now,
    )
    session.add(user)
    session.flush()
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
    org_name = check_name(org_name, "organization")
    organization = Organization(name=org_name, created_at=now)
    team = Team(organization=organization, name=org_name, created_at=now)
    session.add_all([organization, team])
    user = create_user(
        session, organization=organization, team=team, email=email, password=password,
        name=name, role=Role.admin, timezone=timezone, locale=locale, now=now,
    )
    return Registration(organization, team, user)
