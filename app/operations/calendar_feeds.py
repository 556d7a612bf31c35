"""Calendar feeds: a secret address per user for their open follow-ups; only its token's hash is stored.

The token is shown once, when it is made. Making a new one replaces the old (whose address then
answers 404); revoking deletes it.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import CalendarFeed, User
from . import awards
from .tokens import token_hash

TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,100}$")


@dataclass(frozen=True)
class NewFeed:
    """A freshly made feed: the plain token is only ever available here."""

    feed: CalendarFeed
    token: str


def get_feed(session: Session, user: User) -> CalendarFeed | None:
    """Return the user's calendar feed, if they made one."""
    return session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))


def make_feed(session: Session, user: User, *, now: datetime) -> NewFeed:
    """Make the user's feed address, or a new one in place of the old, which stops working at once."""
    awards.lock_rep(session, user)  # two clicks at once: one feed row, the later token wins
    token = secrets.token_urlsafe(32)
    feed = get_feed(session, user)
    if feed is None:
        feed = CalendarFeed(user_id=user.id, token_hash=token_hash(token), created_at=now)
        session.add(feed)
    else:
        feed.token_hash = token_hash(token)
        feed.created_at = now
    session.flush()
    return NewFeed(feed, token)


def revoke_feed(session: Session, user: User) -> bool:
    """Delete the user's feed (its address answers 404 from now on); return whether there was one."""
    feed = get_feed(session, user)
    if feed is None:
        return False
    session.delete(feed)
    session.flush()
    return True


def user_for_feed(session: Session, token: str) -> User | None:
    """Return the user whose feed has *token*, else None (unknown, revoked, replaced or malformed)."""
    if not isinstance(token, str) or not TOKEN.match(token):
        return None
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == token_hash(token)))
    return feed.user if feed is not None and feed.user.removed_at is None else None
