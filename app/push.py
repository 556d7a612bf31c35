"""Web push: VAPID keys, endpoint checks, and the notification outbox with its concurrent sender.

The outbox is a table: the scan ``enqueue``s nudges (a unique dedup key makes a second enqueue a
no-op), and ``process_outbox`` claims due rows, sends each to all of its user's devices — many
at a time over one HTTP session with a bounded number of connections (``Sender``) — and records
the outcome:

- 2xx from any device: sent. 404/410: that subscription is deleted (the notification fails only
  when no device accepted it). 413 and other 4xx: failed, logged, the subscription kept.
- 429: retried after ``Retry-After``; 5xx, timeouts, connection errors: retried after 1, 2, 4 …
  minutes (capped at an hour) — both for up to 24 hours after the notification was created.

Claiming sets ``status='sending'`` with a random claim token in one statement (on PostgreSQL with
``FOR UPDATE SKIP LOCKED``), so concurrent runs never take the same row; a row left in
``sending`` longer than ``PUSH_LEASE_SECONDS`` (a crashed worker) is claimed again.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import os
import re
import urllib.request
import secrets
import tempfile
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime
from ipaddress import ip_address
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, current_app
from py_vapid import Vapid
from pywebpush import WebPusher, WebPushException
from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import clock
from .database import begin_write
from .models import Notification, NotificationStatus, PushSubscription, User

log = logging.getLogger(__name__)

#: Nudge kinds a user can switch off on the reminders page (``test`` is always allowed).
SWITCHABLE_KINDS = (
    "streak_at_risk",
    "quiet_digest",
    "pipeline_quiet",
    "coach_alert",
    "badge_earned",
    "challenge_finished",
    "weekly_summary",
    "coach_weekly",
)
TEST_KIND = "test"
URGENCIES = ("very-low", "low", "normal", "high")
TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")  # RFC 8030: at most 32 base64url characters
MAX_PAYLOAD = 3993  # the largest plaintext that still encrypts into one 4,096-byte record
MAX_TTL = 28 * 24 * 3600
MAX_AGE = timedelta(hours=24)
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
ENDPOINT_MAX = 1024
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]|\s")
_KEY_FILE = "vapid_private_key.pem"
_EXTENSION = "touchbase.vapid"


# --- Keys ------------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    """Encode *data* as unpadded base64url (the Push API's format)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes | None:
    """Decode base64url with or without padding; ``None`` when it is not base64url."""
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]*={0,2}", text):
        return None
    stripped = text.rstrip("=")
    try:
        return base64.urlsafe_b64decode(stripped + "=" * (-len(stripped) % 4))
    except (ValueError, TypeError):
        return None


def parse_private_key(text: str) -> Vapid:
    """Read a VAPID private key from PEM text or base64url (raw 32 bytes or DER); P-256 only."""
    text = text.strip().replace("\\n", "\n")  # PEM squeezed into one line of an env file
    if "-----BEGIN" in text:
        key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        vapid = Vapid(key)
    else:
        vapid = Vapid.from_string(text)
    if not isinstance(vapid.private_key, ec.EllipticCurvePrivateKey) or not isinstance(
        vapid.private_key.curve, ec.SECP256R1
    ):
        raise ValueError("a VAPID key must be an EC key on the P-256 curve")
    return vapid


def public_key_of(vapid: Vapid) -> str:
    """Return the public key as the browser's ``applicationServerKey`` (base64url, 65 bytes)."""
    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(raw)


def new_private_key_pem() -> str:
    """Make a new P-256 private key and return it as PEM text."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def _instance_key(instance: Path) -> str:
    """Return the development key in the instance folder, creating it once (atomically)."""
    path = instance / _KEY_FILE
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=instance, prefix=".vapid-")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(new_private_key_pem())
            os.chmod(tmp, 0o600)
            try:
                os.link(tmp, path)  # fails when another process was first: keep theirs
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    return path.read_text()


def vapid(app: Flask | None = None) -> Vapid:
    """Return the app's VAPID key: from configuration, else (development) from ``instance/``."""
    app = app or current_app._get_current_object()
    cached = app.extensions.get(_EXTENSION)
    if cached is None:
        text = app.config.get("VAPID_PRIVATE_KEY")
        if not text:
            if app.config.get("ENV") == "production":
                raise RuntimeError("TOUCHBASE_VAPID_PRIVATE_KEY must be set in production.")
            text = _instance_key(Path(app.instance_path))
        cached = parse_private_key(text)
        configured = app.config.get("VAPID_PUBLIC_KEY")
        if configured and configured.rstrip("=") != public_key_of(cached):
            raise RuntimeError("TOUCHBASE_VAPID_PUBLIC_KEY does not belong to the private key.")
        app.extensions[_EXTENSION] = cached
    return cached


def public_key(app: Flask | None = None) -> str:
    """Return the app's VAPID public key in ``applicationServerKey`` format."""
    return public_key_of(vapid(app))


# --- Subscriptions -----------------------------------------------------------------------------


def endpoint_refusal(endpoint: str, *, hosts: Iterable[str], allow_http: bool = False) -> str | None:
    """Say why the server must not POST to *endpoint*, or ``None`` when it is allowed.

    Only https on the default port to a host on *hosts* (exact, or a subdomain of an entry
    starting with a dot); no user info, no IP literal unless listed exactly. *allow_http* (tests)
    also admits http and any port, still only to listed hosts.
    """
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > ENDPOINT_MAX:
        return "missing or too long"
    if _CONTROL_OR_SPACE.search(endpoint):
        return "control characters or spaces"
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return "not a URL"
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        return f"scheme {parts.scheme!r} not allowed"
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        return "user info not allowed"
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return "no host"
    if port is not None and not allow_http and port != 443:
        return f"port {port} not allowed"
    allowed = [h.strip().lower().rstrip(".") for h in hosts if h and h.strip()]
    try:
        ip_address(host)
        is_ip = True
    except ValueError:
        is_ip = False
    if is_ip:
        return None if host in allowed else "IP address not allowed"
    if not re.fullmatch(r"[a-z0-9.-]+", host):
        return "host name not allowed"
    for entry in allowed:
        if entry.startswith("."):
            if host.endswith(entry) and len(host) > len(entry):
                return None
        elif host == entry:
            return None
    return f"host {host!r} is not a known push service"


def is_p256_point(raw: bytes | None) -> bool:
    """Tell whether *raw* is an uncompressed point on P-256 (a subscription's ``p256dh``)."""
    if not raw or len(raw) != 65 or raw[0] != 4:
        return False
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        return False
    return True


# --- Outbox: enqueue -------------------------------------------------------------------------


def _fit(payload: dict) -> dict:
    """Shorten the body so the payload (with id, topic, kind and signature) stays sendable."""
    payload = dict(payload)
    reserve = 200  # id, kind, topic and the open signature are added at send time
    while len(json.dumps(payload, ensure_ascii=False).encode()) + reserve > MAX_PAYLOAD:
        body = str(payload.get("body") or "")
        if not body:
            raise ValueError("push payload too large")
        payload["body"] = body[: max(0, len(body) - max(16, len(body) // 4))].rstrip() + "…"
        if len(payload["body"]) <= 1:
            payload["body"] = ""
    return payload


def enqueue(
    session: Session,
    *,
    user_id: int,
    kind: str,
    key: str,
    payload: dict,
    topic: str | None,
    urgency: str,
    ttl: int,
    now: datetime,
    local_day: date | None = None,
) -> bool:
    """Add a notification to the outbox; ``False`` (and nothing added) when *key* already exists.

    *payload* holds ``title``, ``body`` and ``url``; the notification's id, kind and topic join it
    at send time. Race-safe: INSERT … ON CONFLICT DO NOTHING on the unique dedup key.
    """
    if urgency not in URGENCIES:
        raise ValueError(f"urgency must be one of {URGENCIES}")
    if topic is not None and not TOPIC.fullmatch(topic):
        raise ValueError("topic must be 1 to 32 base64url characters")
    if not 0 < int(ttl) <= MAX_TTL:
        raise ValueError("ttl must be between 1 second and 28 days")
    values = {
        "user_id": user_id,
        "kind": str(kind),
        "dedup_key": key,
        "payload": json.dumps(_fit(payload), ensure_ascii=False, separators=(",", ":")),
        "topic": topic,
        "urgency": urgency,
        "ttl": int(ttl),
        "local_day": local_day,
        "status": NotificationStatus.pending,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        table = Notification.__table__
        stmt = (
            insert(table).values(**values).on_conflict_do_nothing(index_elements=["dedup_key"])
            .returning(table.c.id)  # psycopg reports no rowcount here; a returned row is certain
        )
        return session.execute(stmt).first() is not None
    try:
        with session.begin_nested():
            session.add(Notification(**values))
    except IntegrityError:
        return False
    return True


def enqueue_nudge(session: Session, nudge, *, now: datetime) -> bool:
    """Enqueue a ``nudges.Nudge`` (duck-typed); ``False`` when its key was enqueued before."""
    return enqueue(
        session,
        user_id=nudge.user_id,
        kind=str(nudge.kind),
        key=nudge.key,
        payload={"title": nudge.title, "body": nudge.body, "url": nudge.url},
        topic=nudge.topic,
        urgency=nudge.urgency,
        ttl=nudge.ttl,
        now=now,
        local_day=getattr(nudge, "local_day", None),
    )


# --- Outbox: claim and send ----------------------------------------------------------------


_REPORT_FIELDS = ("claimed", "sent", "retried", "failed", "removed_subscriptions", "processes")


@dataclass
class RunReport:
    """What one run did."""

    enqueued: int = 0
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    removed_subscriptions: int = 0
    pending: int = 0  # due rows left untouched (a dry run)
    dry_run: bool = False
    processes: int = 0  # sender processes that claimed anything

    def add(self, other: RunReport) -> None:
        """Add *other*'s counts to this report."""
        for name in _REPORT_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class _Claimed:
    id: int
    user_id: int
    kind: str
    payload: str
    topic: str | None
    urgency: str
    ttl: int
    attempts: int
    created_at: datetime
    token: str


@dataclass(frozen=True)
class _Job:
    notification_id: int
    subscription_id: int
    endpoint: str
    audience: str  # scheme://host[:port] of the push service: the VAPID "aud"
    info: dict
    data: bytes
    ttl: int
    headers: dict


@dataclass(frozen=True)
class Outcome:
    """One device's answer: an HTTP status, or none (timeout, connection error)."""

    status: int | None
    retry_after: timedelta | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """The push service accepted the message."""
        return self.status is not None and 200 <= self.status < 300

    @property
    def gone(self) -> bool:
        """The subscription no longer exists."""
        return self.status in (404, 410)

    @property
    def transient(self) -> bool:
        """Worth trying again later: rate limit, server error, timeout, connection error."""
        if self.status is None:
            return self.error != "refused"
        return self.status == 429 or self.status >= 500


def _due(now: datetime, lease: timedelta):
    return or_(
        and_(Notification.status == NotificationStatus.pending, Notification.next_attempt_at <= now),
        and_(Notification.status == NotificationStatus.sending, Notification.claimed_at <= now - lease),
    )


def claim(session: Session, *, now: datetime, limit: int, ids: Sequence[int] | None = None) -> list[_Claimed]:
    """Claim up to *limit* due notifications for this worker and commit; return them."""
    lease = timedelta(seconds=current_app.config["PUSH_LEASE_SECONDS"])
    token = secrets.token_hex(16)
    candidates = select(Notification.id).where(_due(now, lease))
    if ids is not None:
        candidates = candidates.where(Notification.id.in_(list(ids)))
    candidates = candidates.order_by(Notification.next_attempt_at, Notification.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        # Rows another run holds are skipped, not waited for: each row goes to exactly one run.
        candidates = candidates.with_for_update(skip_locked=True)
    # Two statements, not UPDATE … WHERE id IN (SELECT … LIMIT): PostgreSQL may run such a
    # subquery again per row and so claim far more than *limit*.
    while True:
        begin_write(session)
        chosen = list(session.scalars(candidates))
        if not chosen:
            session.commit()
            return []
        stmt = (
            update(Notification)
            # Re-checked here, so a row another run claimed in between is left alone (SQLite).
            .where(Notification.id.in_(chosen), _due(now, lease))
            .values(status=NotificationStatus.sending, claimed_at=now, claim_token=token)
            .returning(
                Notification.id, Notification.user_id, Notification.kind, Notification.payload,
                Notification.topic, Notification.urgency, Notification.ttl, Notification.attempts,
                Notification.created_at,
            )
            .execution_options(synchronize_session=False)
        )
        rows = [_Claimed(*row, token=token) for row in session.execute(stmt).all()]
        session.commit()
        if rows:  # else another run took all of them in between: look again
            return rows


def _open_key(app: Flask | None = None) -> bytes:
    """Return the key of the open signatures: derived from the app's secret key, for this use only."""
    app = app or current_app._get_current_object()
    secret = app.secret_key if isinstance(app.secret_key, bytes) else str(app.secret_key).encode()
    return hashlib.sha256(b"touchbase push-opened\0" + secret).digest()


def _signature(key: bytes, notification_id: int) -> str:
    return b64url(hmac.new(key, str(int(notification_id)).encode("ascii"), hashlib.sha256).digest()[:18])


def open_signature(notification_id: int, app: Flask | None = None) -> str:
    """Return the signature that lets the service worker report an open without a CSRF token."""
    return _signature(_open_key(app), notification_id)


def check_open_signature(notification_id: int, signature: str) -> bool:
    """Tell whether *signature* is the one sent with notification *notification_id*."""
    if not isinstance(signature, str):
        return False
    return hmac.compare_digest(open_signature(notification_id).encode(), signature.encode("utf-8", "replace"))


def _message(row: _Claimed, signature: str) -> str:
    payload = json.loads(row.payload)
    data = {
        "id": row.id,
        "title": payload.get("title") or "Touchbase",
        "body": payload.get("body") or "",
        "url": payload.get("url") or "/",
        "topic": row.topic,
        "kind": row.kind,
        "sig": signature,
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Parse ``Retry-After`` (seconds or an HTTP date) into a delay from *now*."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(timedelta(0), when - now)


class Sender:
    """Encrypts and POSTs push messages for one run, many at a time, on one event loop.

    One aiohttp session keeps at most *pool_size* connections open (kept alive between
    messages and batches) and never follows a redirect, which could point at an internal
    address. Proxies come from the environment (``HTTPS_PROXY``, ``NO_PROXY``), read once per
    push service. The VAPID header is signed once per push service and reused until an hour
    before it expires, instead of once per message. Use it as a context manager; ``send`` may
    be called for several batches.
    """

    #: How long a signed VAPID header is valid (push services accept at most 24 hours).
    VAPID_LIFETIME = timedelta(hours=12)

    def __init__(self, key: Vapid, *, subject: str, timeout: float, pool_size: int) -> None:
        self.key, self.subject, self.timeout = key, subject, timeout
        self.pool_size = max(1, int(pool_size))
        # The loop runs in a thread of its own, started on the first send, so a caller that is
        # itself inside a running event loop (an async framework, a test harness) can still send.
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="push-sender", daemon=True)
        self._http: aiohttp.ClientSession | None = None
        self._vapid: dict[str, tuple[datetime, dict]] = {}
        self._proxies: dict[str, str | None] = {}

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections and the event loop."""
        if self._loop.is_closed():
            return
        try:
            if self._http is not None:
                self._run(self._http.close())
                self._http = None
        finally:
            if self._thread.is_alive():
                self._loop.call_soon_threadsafe(self._loop.stop)
                self._thread.join()
            self._loop.close()

    def send(self, jobs: Sequence[_Job], *, now: datetime) -> dict[tuple[int, int], Outcome]:
        """Send every job (at most *pool_size* at once); return each device's outcome."""
        if not jobs:
            return {}
        return self._run(self._send_all(jobs, now))

    def _run(self, coroutine):
        if not self._thread.is_alive():
            self._thread.start()
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def authorization(self, audience: str) -> dict[str, str]:
        """Return the VAPID header for the push service at *audience*, signed anew when it gets old."""
        current = clock.now()
        cached = self._vapid.get(audience)
        if cached is None or cached[0] - current < timedelta(hours=1):
            expires = current + self.VAPID_LIFETIME
            claims = {"sub": self.subject, "aud": audience, "exp": int(expires.timestamp())}
            cached = (expires, self.key.sign(claims))
            self._vapid[audience] = cached
        return cached[1]

    def proxy(self, audience: str) -> str | None:
        """Return the proxy the environment names for the push service at *audience*, if any."""
        if audience not in self._proxies:
            parts = urlsplit(audience)
            proxies = urllib.request.getproxies()
            bypass = urllib.request.proxy_bypass(parts.hostname or "")
            self._proxies[audience] = None if bypass else proxies.get(parts.scheme)
        return self._proxies[audience]

    async def _send_all(self, jobs: Sequence[_Job], now: datetime) -> dict[tuple[int, int], Outcome]:
        if self._http is None:
            self._http = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.pool_size),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                cookie_jar=aiohttp.DummyCookieJar(),  # a push service's cookies are never sent back
                auto_decompress=False,
            )
        outcomes: dict[tuple[int, int], Outcome] = {}
        pending = iter(jobs)

        async def lane() -> None:
            for job in pending:  # the lanes share one iterator: each job is taken once
                outcomes[(job.notification_id, job.subscription_id)] = await self._send_one(job, now)

        await asyncio.gather(*(lane() for _ in range(min(self.pool_size, len(jobs)))))
        return outcomes

    async def _send_one(self, job: _Job, now: datetime) -> Outcome:
        """Encrypt and POST one message to one device; never raises for the push service's answer."""
        try:
            body = WebPusher(job.info).encode(job.data, content_encoding="aes128gcm")["body"]
        except (ValueError, TypeError, WebPushException) as exc:  # keys the encryption cannot use
            log.warning("push to subscription %s not encryptable: %s", job.subscription_id, exc)
            return Outcome(None, error="refused")
        headers = {"TTL": str(job.ttl), "Content-Encoding": "aes128gcm", **job.headers,
                   **self.authorization(job.audience)}
        try:
            async with self._http.post(job.endpoint, data=body, headers=headers, allow_redirects=False,
                                       proxy=self.proxy(job.audience)) as response:
                status = response.status
                # An error body is read only as far as the log needs it (a connection with an
                # unread rest is closed, not reused).
                text = (await response.content.read(2048)).decode("utf-8", "replace")[:200] if status >= 300 else ""
                if 200 <= status < 300:
                    await response.read()  # drained, so the connection is reused
                retry_after = response.headers.get("Retry-After")
                reason = response.reason or ""
        except TimeoutError:
            return Outcome(None, error="timeout")
        except aiohttp.ClientError as exc:
            return Outcome(None, error=f"connection error: {type(exc).__name__}")
        if 200 <= status < 300:
            return Outcome(status)
        if 300 <= status < 400:
            return Outcome(status, error=f"{status} redirect not followed")
        return Outcome(status, retry_after=_retry_after(retry_after, now),
                       error=f"{status} {reason}: {text}".strip())


def _backoff(attempts: int) -> timedelta:
    return min(BACKOFF_FIRST * (2 ** max(0, attempts - 1)), BACKOFF_CAP)


def _sender(config) -> Sender:
    return Sender(vapid(), subject=config["VAPID_SUBJECT"], timeout=float(config["PUSH_TIMEOUT"]),
                  pool_size=int(config["PUSH_POOL_SIZE"]))


def deliver(session: Session, claimed: Sequence[_Claimed], *, now: datetime, sender: Sender | None = None) -> RunReport:
    """Send claimed notifications to all their users' devices and record the outcomes; commit.

    *sender* carries open connections from one batch to the next; without one, a sender is
    made for this batch alone.
    """
    report = RunReport(claimed=len(claimed))
    if not claimed:
        return report
    config = current_app.config
    hosts, allow_http = config["PUSH_ENDPOINT_HOSTS"], bool(config["PUSH_ALLOW_HTTP"])
    user_ids = sorted({row.user_id for row in claimed})
    # Plain rows, not ORM objects: the commit below would expire objects and reload each one.
    subscriptions: dict[int, list] = defaultdict(list)
    columns = (PushSubscription.id, PushSubscription.user_id, PushSubscription.endpoint,
               PushSubscription.p256dh, PushSubscription.auth)
    for start in range(0, len(user_ids), 1000):
        chunk = user_ids[start : start + 1000]
        for sub in session.execute(select(*columns).where(PushSubscription.user_id.in_(chunk))):
            subscriptions[sub.user_id].append(sub)

    jobs: list[_Job] = []
    refused: dict[int, Outcome] = {}
    open_key = _open_key()
    refusals: dict[str, str | None] = {}
    for row in claimed:
        headers = {"Urgency": row.urgency}
        if row.topic:
            headers["Topic"] = row.topic
        data = _message(row, _signature(open_key, row.id)).encode()
        for sub in subscriptions.get(row.user_id, []):
            if sub.endpoint not in refusals:
                refusals[sub.endpoint] = endpoint_refusal(sub.endpoint, hosts=hosts, allow_http=allow_http)
            reason = refusals[sub.endpoint]
            if reason:  # the allow-list changed since the subscription was stored
                log.warning("push subscription %s refused: %s", sub.id, reason)
                refused[sub.id] = Outcome(None, error="refused")
                continue
            info = {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}
            audience = "/".join(sub.endpoint.split("/", 3)[:3])  # an allowed endpoint is scheme://host/...
            jobs.append(_Job(row.id, sub.id, sub.endpoint, audience, info, data, row.ttl, headers))

    session.commit()  # the jobs hold plain data: no transaction stays open while the network is slow
    if sender is None:
        with _sender(config) as own:
            outcomes = own.send(jobs, now=now)
    else:
        outcomes = sender.send(jobs, now=now)

    begin_write(session)
    _record(session, claimed, subscriptions, outcomes, refused, now=now, report=report)
    session.commit()
    return report


def _record(session, claimed, subscriptions, outcomes, refused, *, now, report) -> None:
    """Write the outcomes in a few set-based statements, guarded by the claim token."""
    sub_success: set[int] = set()
    sub_failure: dict[int, str] = {}
    gone: set[int] = set()
    sent_by_token: dict[str, list[int]] = defaultdict(list)  # one claim, one token
    updates: list[dict] = []
    unopened: Counter[int] = Counter()
    for row in claimed:
        results = []
        for sub in subscriptions.get(row.user_id, []):
            outcome = outcomes.get((row.id, sub.id)) or refused.get(sub.id)
            if outcome is None:
                continue
            results.append(outcome)
            if outcome.ok:
                sub_success.add(sub.id)
            elif outcome.gone:
                gone.add(sub.id)
            else:
                sub_failure[sub.id] = (outcome.error or str(outcome.status))[:300]
                if not outcome.transient:  # 400/401/403/413: a bug or a key problem, worth a look
                    log.warning("push %s to subscription %s failed: %s", row.id, sub.id, outcome.error)
        attempts = row.attempts + 1
        if any(o.ok for o in results):
            sent_by_token[row.token].append(row.id)
            if row.kind != TEST_KIND:
                unopened[row.user_id] += 1
            continue
        transient = [o for o in results if o.transient]
        error = "; ".join(sorted({(o.error or str(o.status))[:120] for o in results})) or "no device to send to"
        values = {"b_id": row.id, "b_token": row.token, "attempts": attempts, "last_error": error[:500]}
        values.update(claimed_at=None, claim_token=None)  # releases the lease
        deadline = row.created_at + MAX_AGE
        if transient and now < deadline:
            waits = [o.retry_after for o in transient if o.retry_after is not None]
            delay = max(waits) if waits else _backoff(attempts)
            values.update(status=NotificationStatus.pending, next_attempt_at=min(now + delay, deadline))
            report.retried += 1
        else:
            if transient:
                error = f"gave up after 24 hours: {error}"
                values["last_error"] = error[:500]
            values.update(status=NotificationStatus.failed, next_attempt_at=now)
            report.failed += 1
            log.warning("push %s (%s) failed: %s", row.id, row.kind, error)
        updates.append(values)

    table = Notification.__table__
    for token, ids in sent_by_token.items():  # a single statement per batch
        session.execute(
            table.update()
            .where(table.c.id.in_(ids), table.c.claim_token == token)
            .values(status=NotificationStatus.sent, sent_at=now, claimed_at=None, claim_token=None,
                    last_error=None, attempts=table.c.attempts + 1)
        )
        report.sent += len(ids)
    by_shape: dict[tuple, list[dict]] = defaultdict(list)
    for values in updates:
        by_shape[tuple(sorted(values))].append(values)
    for shape, rows in by_shape.items():
        columns = [name for name in shape if not name.startswith("b_")]
        session.execute(
            table.update()
            .where(table.c.id == bindparam("b_id"), table.c.claim_token == bindparam("b_token"))
            .values({name: bindparam(name) for name in columns}),
            rows,
        )
    subs = PushSubscription.__table__
    if sub_success:
        session.execute(subs.update().where(subs.c.id.in_(sorted(sub_success - gone))).values(last_success_at=now))
    failures = [{"b_id": sid, "err": err} for sid, err in sub_failure.items() if sid not in gone | sub_success]
    if failures:
        session.execute(
            subs.update().where(subs.c.id == bindparam("b_id")).values(last_failure_at=now, last_error=bindparam("err")),
            failures,
        )
    if gone:
        session.execute(delete(PushSubscription).where(PushSubscription.id.in_(sorted(gone))))
        report.removed_subscriptions += len(gone)
        log.info("deleted %d expired push subscriptions", len(gone))
    if unopened:
        users = User.__table__
        by_count: dict[int, list[int]] = defaultdict(list)
        for uid, n in unopened.items():
            by_count[n].append(uid)
        for n, uids in by_count.items():
            session.execute(
                users.update().where(users.c.id.in_(sorted(uids)))
                .values(push_ignored_in_a_row=users.c.push_ignored_in_a_row + n)
            )


def process_outbox(session: Session, *, now: datetime, ids: Sequence[int] | None = None,
                   senders: int | None = None) -> RunReport:
    """Claim and send due notifications in rounds until none is left; return the totals.

    With *senders* (default ``PUSH_SENDERS``) above 1 and more than one batch due, the work is
    shared by that many processes (this one and forked children): each claims its own batches —
    claims never overlap — and sends them over its own connections, so encryption runs on
    several CPUs. A child that dies leaves its claimed rows to be taken again after the lease.
    """
    config = current_app.config
    senders = int(senders or config["PUSH_SENDERS"])
    if senders > 1 and ids is None and _can_fork(session):
        if count_due(session, now=now) > int(config["PUSH_BATCH_SIZE"]):
            return _process_in_processes(session, now=now, senders=senders)
    return _drain(session, now=now, ids=ids)


def _drain(session: Session, *, now: datetime, ids: Sequence[int] | None = None) -> RunReport:
    """Claim and send batches in this process until none is due."""
    report = RunReport()
    config = current_app.config
    batch = int(config["PUSH_BATCH_SIZE"])
    sender: Sender | None = None
    try:
        while True:
            claimed = claim(session, now=now, limit=batch, ids=ids)
            if not claimed:
                report.processes = 1 if report.claimed else 0
                return report
            sender = sender or _sender(config)
            report.add(deliver(session, claimed, now=now, sender=sender))
    finally:
        if sender is not None:
            sender.close()


def _can_fork(session: Session) -> bool:
    engine = session.get_bind()
    in_memory = engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")
    return hasattr(os, "fork") and not in_memory


def _process_in_processes(session: Session, *, now: datetime, senders: int) -> RunReport:
    """Drain the outbox in *senders* processes: this one plus forked children; add their reports."""
    engine = session.get_bind()
    session.commit()  # hands the connection back to the pool
    # No connection may be shared across the fork: both sides open their own afterwards.
    engine.dispose()
    children: list[tuple[int, int]] = []
    for _ in range(senders - 1):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child ends in os._exit, which coverage cannot follow
            os.close(read)
            code = 1
            try:
                with Session(engine) as own:
                    done = _drain(own, now=now)
                os.write(write, json.dumps({name: getattr(done, name) for name in _REPORT_FIELDS}).encode())
                code = 0
            except BaseException:  # noqa: BLE001 - a child must never return into the parent's code
                log.exception("push sender process failed")
            finally:
                os._exit(code)
        os.close(write)
        children.append((pid, read))
    report = RunReport()
    try:
        report.add(_drain(session, now=now))
    finally:
        for pid, read in children:
            with os.fdopen(read, "rb") as pipe:
                data = pipe.read()
            os.waitpid(pid, 0)
            if data:
                report.add(RunReport(**json.loads(data)))
            else:
                log.error("push sender process %s ended without a report; its claims are taken again "
                          "after the lease", pid)
    return report


def count_due(session: Session, *, now: datetime) -> int:
    """Count the notifications a run at *now* would send."""
    lease = timedelta(seconds=current_app.config["PUSH_LEASE_SECONDS"])
    return session.scalar(select(func.count()).select_from(Notification).where(_due(now, lease))) or 0


#: The scan: ``scan(session, *, at, dry_run) -> int`` enqueues the nudges due at *at* (or, on a
#: dry run, only counts them) and returns how many; ``run`` commits what it enqueued.
Scan = Callable[..., int]


def run(session: Session, *, at: datetime, now: datetime | None = None, dry_run: bool = False,
        scan: Scan | None = None, senders: int | None = None) -> RunReport:
    """One ``flask nudges run``: scan for due nudges as of *at* (when *scan* is given), then send.

    A dry run enqueues and sends nothing: it reports what the scan found and how many
    notifications are due.
    """
    now = now or at
    enqueued = scan(session, at=at, dry_run=dry_run) if scan is not None else 0
    if dry_run:
        session.rollback()
        return RunReport(enqueued=enqueued, pending=count_due(session, now=now), dry_run=True)
    session.commit()
    report = process_outbox(session, now=now, senders=senders)
    report.enqueued = enqueued
    return report


# --- Test pushes and opens ---------------------------------------------------------------------


def send_test(session: Session, user: User, *, now: datetime, title: str, body: str, url: str) -> RunReport:
    """Enqueue a ``test`` push for *user* and send it right away (only that one)."""
    key = f"test:{user.id}:{secrets.token_hex(8)}"
    enqueue(session, user_id=user.id, kind=TEST_KIND, key=key, payload={"title": title, "body": body, "url": url},
            topic="test", urgency="high", ttl=600, now=now)
    session.commit()
    notification_id = session.scalar(select(Notification.id).where(Notification.dedup_key == key))
    return process_outbox(session, now=now, ids=[notification_id])


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


def muted_kinds(user: User) -> frozenset[str]:
    """Return the nudge kinds *user* switched off."""
    return frozenset(k for k in (user.push_muted_kinds or "").split(",") if k)
