"""Invites: single-use links that join a person to a coach's team as a rep.

Only the SHA-256 hash of an invite's token is stored; the link is shown once, when it is made,
or mailed to the address the coach gives (``invite.email`` records it once the mail is out).
An invite is *open* while it is unused and ``now < expires_at``. Revoking sets ``expires_at`` to
``now`` (the schema has no revoked column), so a revoked link reads like an expired one.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..kinds import Role
from ..models import Invite, Team, User
from . import Invalid, NotFound, accounts, id_or_404

TOKEN_BYTES = 32
DEFAULT_DAYS = 7
MAX_OPEN = 50


def invite_hash(token: str) -> str:
    """Return the stored hash of an invite token (tokens are random, so a fast hash is enough)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class NewInvite:
    """A freshly made invite: its plain token is only ever available here.

    ``email`` and ``locale``: the checked address to mail the link to and the language of the
    mail, for an invite by mail; None for a link to copy.
    """

    invite: Invite
    token: str
    email: str | None = None
    locale: str | None = None


def _check_mail_fields(email: object, locale: object) -> tuple[str, str]:
    """Return the normalised address and the language of an invite mail, else raise Invalid (all fields at once)."""
    errors: dict[str, str] = {}
    address = None
    try:
        address = accounts.normalize_email(email if isinstance(email, str) else "")
    except Invalid as exc:
        errors.update(exc.fields)
    if locale not in accounts.LOCALES:
        errors["locale"] = str(_l("Please choose English or German."))
    if errors:
        raise Invalid(errors)
    return address, locale  # type: ignore[return-value]


def _team_of_coach(user: User) -> int:
    """Return the team a coach may invite to; anyone else gets NotFound (nothing to reveal)."""
    if not user.is_coach or user.team_id is None:
        raise NotFound()
    return user.team_id


def _open(now: datetime):
    return (Invite.used_at.is_(None), Invite.expires_at > now)


def open_invites(session: Session, user: User, *, now: datetime) -> list[Invite]:
    """Return the open invites of a coach's team, those expiring first at the top."""
    team_id = _team_of_coach(user)
    return list(
        session.scalars(
            select(Invite)
            .where(Invite.organization_id == user.organization_id, Invite.team_id == team_id, *_open(now))
            .order_by(Invite.expires_at, Invite.id)
        )
    )


def create_invite(session: Session, user: User, *, now: datetime, days: int = DEFAULT_DAYS,
                  email: object = None, locale: object = None) -> NewInvite:
    """Make a single-use invite to the coach's team that expires after *days* days.

    With an *email* (anything but None) the invite is meant to be mailed: the address and the
    mail's *locale* ("en" or "de") are checked first, and nothing is made when either is bad.
    """
    team_id = _team_of_coach(user)
    # The team's row is the lock: parallel requests count one after another, never past the cap.
    session.execute(select(Team.id).where(Team.id == team_id).with_for_update())
    address, language = _check_mail_fields(email, locale) if email is not None else (None, None)
    count = session.scalar(
        select(func.count(Invite.id)).where(
            Invite.organization_id == user.organization_id, Invite.team_id == team_id, *_open(now)
        )
    )
    if count >= MAX_OPEN:
        raise Invalid({"invite": _l("There are %(n)d open invites already. Revoke some first.", n=MAX_OPEN)})
    token = secrets.token_urlsafe(TOKEN_BYTES)
    invite = Invite(
        organization_id=user.organization_id,
        team_id=team_id,
        created_by_id=user.id,
        token_hash=invite_hash(token),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(invite)
    session.flush()
    return NewInvite(invite, token, address, language)


def record_mailed(session: Session, invite: Invite, email: str) -> Invite:
    """Record that the invite's link went out by mail to *email* (the open invites list shows it)."""
    invite.email = email
    session.flush()
    return invite


def revoke_invite(session: Session, user: User, invite_id: object, *, now: datetime) -> Invite:
    """Revoke an unused invite of the coach's team; any other invite is NotFound."""
    team_id = _team_of_coach(user)
    iid = id_or_404(invite_id)
    invite = session.scalar(
        select(Invite).where(
            Invite.id == iid,
            Invite.organization_id == user.organization_id,
            Invite.team_id == team_id,
            Invite.used_at.is_(None),
        )
    )
    if invite is None:
        raise NotFound()
    if invite.expires_at > now:
        invite.expires_at = now
    session.flush()
    return invite


def find_invite(session: Session, token: object, *, now: datetime) -> Invite:
    """Return the open invite for *token*; unknown, used, expired or revoked ones are NotFound."""
    if not isinstance(token, str) or not token or len(token) > 200:
        raise NotFound()
    invite = session.scalar(select(Invite).where(Invite.token_hash == invite_hash(token), *_open(now)))
    if invite is None:
        raise NotFound()
    return invite


def accept_invite(
    session: Session,
    token: object,
    *,
    name: str,
    email: str,
    password: str,
    timezone: str,
    locale: str | None = None,
    now: datetime,
) -> User:
    """Create a rep in the invite's team and use the invite up, in the caller's transaction.

    The invite is claimed with a conditional UPDATE, so of two concurrent sign-ups with one link
    only one succeeds; the other gets NotFound. On any error the caller rolls back, which also
    frees the invite again.
    """
    invite = find_invite(session, token, now=now)
    claimed = session.execute(
        update(Invite)
        .where(Invite.id == invite.id, *_open(now))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise NotFound()
    session.expire(invite)
    team = invite.team
    user = accounts.create_user(
        session, organization=team.organization, team=team, email=email, password=password,
        name=name, role=Role.rep, timezone=timezone, locale=locale, now=now,
    )
    invite.used_by_id = user.id
    session.flush()
    return user
