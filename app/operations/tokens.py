"""Personal access tokens for the JSON API: shown once, stored as a SHA-256 hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import ApiToken, User
from . import Invalid, NotFound, accounts, id_or_404

PREFIX = "tb_"
MAX_TOKENS = 20


def token_hash(token: str) -> str:
    """Return the stored hash of a token (tokens are random, so a fast hash is enough)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class NewToken:
    """A freshly made token: the plain text is only ever available here."""

    token: ApiToken
    plaintext: str


def create_token(session: Session, user: User, *, name: str, now: datetime) -> NewToken:
    """Create a token for *user*; return it with its plain text, which is never stored."""
    name = (name or "").strip()
    if not name:
        raise Invalid({"name": _l("Please name the token, e.g. “Phone” or “CRM sync”.")})
    if len(name) > 80 or "\x00" in name:
        raise Invalid({"name": _l("At most %(n)d characters.", n=80)})
    # The user's row is the lock: parallel requests count one after another, never past the cap.
    session.execute(select(User.id).where(User.id == user.id).with_for_update())
    if len(list_tokens(session, user)) >= MAX_TOKENS:
        raise Invalid({"name": _l("You have too many tokens. Revoke one first.")})
    plaintext = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, name=name, prefix=plaintext[:10], token_hash=token_hash(plaintext), created_at=now
    )
    session.add(token)
    session.flush()
    return NewToken(token, plaintext)


def create_token_for_email(session: Session, email: str, *, name: str, now: datetime) -> NewToken:
    """Create a token for the user with *email* (any case); an unknown address is NotFound."""
    user = session.scalar(select(User).where(func.lower(User.email) == accounts.normalize_email(email, check=False)))
    if user is None:
        raise NotFound()
    return create_token(session, user, name=name, now=now)


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    """Return the user's tokens that are not revoked, newest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(session: Session, user: User, token_id: object, *, now: datetime) -> ApiToken:
    """Revoke one of the user's tokens; another user's token is NotFound."""
    tid = id_or_404(token_id)
    token = session.scalar(
        select(ApiToken).where(ApiToken.id == tid, ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    )
    if token is None:
        raise NotFound()
    token.revoked_at = now
    session.flush()
    return token


def revoke_all_tokens(session: Session, user: User, *, now: datetime) -> int:
    """Revoke every token of *user* that is not revoked yet; return how many."""
    tokens = list_tokens(session, user)
    for token in tokens:
        token.revoked_at = now
    session.flush()
    return len(tokens)


def user_for_token(session: Session, plaintext: str, *, now: datetime) -> User | None:
    """Return the user a valid, unrevoked token belongs to, noting its use; else None."""
    if not plaintext or not plaintext.startswith(PREFIX) or len(plaintext) > 200:
        return None
    token = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == token_hash(plaintext), ApiToken.revoked_at.is_(None))
    )
    if token is None or token.user.removed_at is not None:
        return None
    token.last_used_at = now
    return token.user
