"""Push subscriptions and reminder switches: store, move, remove; record opens."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..push import endpoints, vapid
from ..models import Notification, PushSubscription, User
from ..nudges.model import NudgeKind
from . import Conflict, Invalid, NotFound

MAX_DEVICES = 20
#: Nudge kinds a user can switch off on the reminders page (``test`` is always allowed), in the order shown.
SWITCHABLE_KINDS = tuple(kind.value for kind in NudgeKind if kind is not NudgeKind.test)
MAX_USER_AGENT = 300


@dataclass(frozen=True)
class Saved:
    """A stored subscription and whether it is new."""

    subscription: PushSubscription
    created: bool


def check_subscription(endpoint, keys, *, hosts, allow_http: bool) -> tuple[str, str, str]:
    """Validate a browser's ``PushSubscription`` JSON; return (endpoint, p256dh, auth) or raise Invalid."""
    errors: dict[str, str] = {}
    if not isinstance(endpoint, str) or not endpoint.strip():
        errors["endpoint"] = _l("The subscription has no endpoint.")
    elif endpoints.endpoint_refusal(endpoint.strip(), hosts=hosts, allow_http=allow_http):
        errors["endpoint"] = _l("This push service is not allowed.")
    if not isinstance(keys, dict):
        keys = {}
        errors["keys"] = _l("The subscription keys are missing.")
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    if "keys" not in errors:
        if not isinstance(p256dh, str) or not endpoints.is_p256_point(vapid.b64url_decode(p256dh)):
            errors["keys.p256dh"] = _l("The key p256dh must be a P-256 public key (65 bytes, base64url).")
        raw_auth = vapid.b64url_decode(auth) if isinstance(auth, str) else None
        if raw_auth is None or len(raw_auth) != 16:
            errors["keys.auth"] = _l("The key auth must be 16 bytes, base64url.")
    if errors:
        raise Invalid(errors)
    # Stored unpadded: the form browsers give and pywebpush accepts.
    return endpoint.strip(), p256dh.rstrip("="), auth.rstrip("=")


def save_subscription(
    session: Session, user: User, *, endpoint, keys, user_agent: str | None, now: datetime,
    hosts, allow_http: bool = False,
) -> Saved:
    """Store a subscription for *user*; the same endpoint again updates it.

    An endpoint stored for someone else moves to *user* only with the same keys: a browser keeps
    its endpoint and keys when another account signs in on it, while whoever merely learnt an
    endpoint does not know its keys (``_move``).
    """
    endpoint, p256dh, auth = check_subscription(endpoint, keys, hosts=hosts, allow_http=allow_http)
    agent = (user_agent or "")[:MAX_USER_AGENT] or None
    existing = session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if existing is None:
        subscription = PushSubscription(
            user_id=user.id, endpoint=endpoint, p256dh=p256dh, auth=auth, user_agent=agent,
            created_at=now, updated_at=now,
        )
        try:
            with session.begin_nested():
                session.add(subscription)
        except IntegrityError:  # the same browser posted twice at once: the other request won
            existing = session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
            if existing is None:
                raise
        else:
            _drop_oldest(session, user)
            return Saved(subscription, True)
    if existing.user_id != user.id:
        return Saved(_move(session, existing, user, p256dh=p256dh, auth=auth, agent=agent, now=now), True)
    existing.p256dh, existing.auth = p256dh, auth
    existing.user_agent = agent or existing.user_agent
    existing.updated_at = now
    existing.last_error = None
    session.flush()
    _drop_oldest(session, user)
    return Saved(existing, False)


def _move(session: Session, existing: PushSubscription, user: User, *, p256dh: str, auth: str,
          agent: str | None, now: datetime) -> PushSubscription:
    """Hand a browser's subscription to *user*, who signed in on it; without its keys, a Conflict.

    Proof of holding the subscription is its ``auth`` secret (16 random bytes only the browser and
    the server know) and ``p256dh`` key. Moved, it starts afresh for *user*: nothing of the
    previous owner's (its creation time, its last delivery or error) carries over.
    """
    if not (hmac.compare_digest(existing.auth, auth) and hmac.compare_digest(existing.p256dh, p256dh)):
        raise Conflict(_l("This device is registered for reminders by another account. Turn reminders off "
                          "there, or sign out of it on this device, then try again."), "endpoint")
    existing.user_id = user.id
    existing.user_agent = agent
    existing.created_at = existing.updated_at = now
    existing.last_success_at = existing.last_failure_at = None
    existing.last_error = None
    session.flush()
    _drop_oldest(session, user)
    return existing


def _drop_oldest(session: Session, user: User) -> None:
    """Keep at most MAX_DEVICES subscriptions a user: the least recently updated go first."""
    stale = session.scalars(
        select(PushSubscription)
        .where(PushSubscription.user_id == user.id)
        .order_by(PushSubscription.updated_at.desc(), PushSubscription.id.desc())
        .offset(MAX_DEVICES)
    ).all()
    for subscription in stale:
        session.delete(subscription)
    session.flush()


def delete_subscription(session: Session, user: User, *, endpoint) -> None:
    """Delete *user*'s subscription with *endpoint*; someone else's or an unknown one is NotFound."""
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise Invalid({"endpoint": _l("The subscription has no endpoint.")})
    subscription = session.scalar(
        select(PushSubscription).where(
            PushSubscription.endpoint == endpoint.strip(), PushSubscription.user_id == user.id
        )
    )
    if subscription is None:
        raise NotFound()
    session.delete(subscription)
    session.flush()


def remove_device(session: Session, user: User, subscription_id: int) -> None:
    """Delete one of *user*'s subscriptions by id; anyone else's is NotFound."""
    subscription = session.get(PushSubscription, subscription_id)
    if subscription is None or subscription.user_id != user.id:
        raise NotFound()
    session.delete(subscription)
    session.flush()


def list_devices(session: Session, user: User) -> list[PushSubscription]:
    """Return *user*'s subscriptions, newest first."""
    return list(
        session.scalars(
            select(PushSubscription)
            .where(PushSubscription.user_id == user.id)
            .order_by(PushSubscription.created_at.desc(), PushSubscription.id.desc())
        )
    )


def set_enabled_kinds(session: Session, user: User, enabled) -> frozenset[str]:
    """Switch the nudge kinds in *enabled* on and every other switchable kind off; return the muted."""
    wanted = {str(kind) for kind in enabled}
    unknown = wanted - set(SWITCHABLE_KINDS)
    if unknown:
        raise Invalid({"kinds": _l("Unknown kind of reminder.")})
    muted = [kind for kind in SWITCHABLE_KINDS if kind not in wanted]
    user.push_muted_kinds = muted
    session.flush()
    return frozenset(muted)


def muted_kinds(user: User) -> frozenset[str]:
    """Return the nudge kinds *user* switched off."""
    return frozenset(user.push_muted_kinds or ())


def record_open(session: Session, *, notification_id: int, now: datetime) -> bool:
    """Note that a notification was opened: the user is paying attention again (resets back-off)."""
    notification = session.get(Notification, notification_id)
    if notification is None:
        return False
    if notification.opened_at is None:
        notification.opened_at = now
    user = session.get(User, notification.user_id)
    user.push_ignored_in_a_row = 0
    user.push_last_opened_at = now
    session.flush()
    return True
