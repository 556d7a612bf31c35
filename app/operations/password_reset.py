"""Password resets: a link by mail that lets its holder set a new password, once, for a while.

The token is random (``secrets``), and only its SHA-256 hash is stored (``PasswordReset``). A
reset link is *open* while unused and ``now < expires_at``. Asking again replaces the user's
earlier links (they stop working), and setting a new password through one ends every session
of the user and every other open link. An unknown, used or expired token all read the same:
``NotFound``, so a link tells nothing about why it no longer works.

Whether an address has an account is never told: ``request_reset`` validates the address and
returns a ``ResetRequest`` either way; only the caller's mail differs, and it goes to that
address.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ..models import PasswordReset, User
from . import Invalid, NotFound, accounts
from .tokens import token_hash

TOKEN_BYTES = 32
MAX_TOKEN = 200


@dataclass(frozen=True)
class ResetRequest:
    """What asking for a reset made: the address to mail, and the account's user and token when there is one."""

    address: str
    user: User | None
    token: str | None


def request_reset(session: Session, email: object, *, now: datetime, lifetime: timedelta) -> ResetRequest:
    """Make a reset link for the account with *email*, replacing its earlier ones; raise Invalid for a malformed address.

    The account is found as ``accounts.authenticate`` finds it (trimmed, case-insensitive).
    Without an account nothing is written and the result has no user and no token; an account
    removed from its team (``members.remove_member``) counts as none, as it cannot sign in.
    """
    text = email if isinstance(email, str) else ""
    address = accounts.normalize_email(text)  # Invalid when malformed
    wanted = accounts.normalize_email(text, check=False)
    user = session.scalar(select(User).where(func.lower(User.email) == wanted, User.removed_at.is_(None)))
    if user is None:
        return ResetRequest(address, None, None)
    session.execute(delete(PasswordReset).where(PasswordReset.user_id == user.id))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(PasswordReset(user_id=user.id, token_hash=token_hash(token), created_at=now,
                              expires_at=now + lifetime))
    session.flush()
    return ResetRequest(user.email, user, token)


def _open(now: datetime):
    return (PasswordReset.used_at.is_(None), PasswordReset.expires_at > now)


def find_reset(session: Session, token: object, *, now: datetime) -> PasswordReset:
    """Return the open reset link of *token*; an unknown, used or expired one is NotFound."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
        raise NotFound()
    reset = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == token_hash(token), *_open(now)))
    if reset is None:
        raise NotFound()
    return reset


def reset_password(session: Session, token: object, *, password: object, confirm: object, now: datetime) -> User:
    """Set a new password through an open reset link and use the link up.

    Raises NotFound for a link that is not open (checked first) and Invalid for a password
    ``accounts.check_password`` refuses or a confirmation that differs; then nothing changes
    and the link stays open. The link is claimed with a conditional UPDATE, so of two
    concurrent uses only one sets a password. Every session of the user ends
    (``accounts.end_sessions``) and their other open links are used up too.
    """
    reset = find_reset(session, token, now=now)
    new = password if isinstance(password, str) else ""
    errors: dict[str, str] = {}
    try:
        accounts.check_password(new)
    except Invalid as exc:
        errors["password"] = exc.fields["password"]
    else:
        if confirm != new:
            errors["confirm_password"] = str(_l("The two passwords do not match."))
    if errors:
        raise Invalid(errors)
    claimed = session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, *_open(now))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise NotFound()
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == reset.user_id, *_open(now))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    session.expire(reset)
    user = reset.user
    user.password_hash = accounts.hash_password(new)
    accounts.end_sessions(user)
    session.flush()
    return user
