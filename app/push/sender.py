"""The HTTP sender: encrypts push messages and POSTs them to the push services, many at a time."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import threading
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import aiohttp
from py_vapid import Vapid
from flask import Flask, current_app
from pywebpush import WebPusher, WebPushException

from .. import clock
from . import vapid
from .endpoints import endpoint_refusal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One message for one device, ready to encrypt and POST."""

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

# --- The message: payload and open signature ---------------------------------------------------


def _open_key(app: Flask | None = None) -> bytes:
    """Return the key of the open signatures: derived from the app's secret key, for this use only."""
    app = app or current_app._get_current_object()
    secret = app.secret_key if isinstance(app.secret_key, bytes) else str(app.secret_key).encode()
    return hashlib.sha256(b"touchbase push-opened\0" + secret).digest()


def _signature(key: bytes, notification_id: int) -> str:
    return vapid.b64url(hmac.new(key, str(int(notification_id)).encode("ascii"), hashlib.sha256).digest()[:18])


def open_signature(notification_id: int, app: Flask | None = None) -> str:
    """Return the signature that lets the service worker report an open without a CSRF token."""
    return _signature(_open_key(app), notification_id)


def check_open_signature(notification_id: int, signature: str) -> bool:
    """Tell whether *signature* is the one sent with notification *notification_id*."""
    if not isinstance(signature, str):
        return False
    return hmac.compare_digest(open_signature(notification_id).encode(), signature.encode("utf-8", "replace"))


def message(row, signature: str) -> str:
    """Return the JSON the service worker receives for a claimed outbox *row*."""
    payload = row.payload
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


def jobs_for(claimed: Sequence, subscriptions: Mapping[int, Sequence], *, hosts, allow_http: bool,
             app: Flask | None = None) -> tuple[list[Job], dict[int, Outcome]]:
    """Turn claimed rows into one job per device; return the jobs and the refused subscriptions.

    The endpoint is checked again: the allow-list may have changed since it was stored.
    """
    jobs: list[Job] = []
    refused: dict[int, Outcome] = {}
    open_key = _open_key(app)
    refusals: dict[str, str | None] = {}
    for row in claimed:
        headers = {"Urgency": row.urgency}
        if row.topic:
            headers["Topic"] = row.topic
        data = message(row, _signature(open_key, row.id)).encode()
        for sub in subscriptions.get(row.user_id, []):
            if sub.endpoint not in refusals:
                refusals[sub.endpoint] = endpoint_refusal(sub.endpoint, hosts=hosts, allow_http=allow_http)
            reason = refusals[sub.endpoint]
            if reason:
                log.warning("push subscription %s refused: %s", sub.id, reason)
                refused[sub.id] = Outcome(None, error="refused")
                continue
            info = {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}
            audience = "/".join(sub.endpoint.split("/", 3)[:3])  # an allowed endpoint is scheme://host/...
            jobs.append(Job(row.id, sub.id, sub.endpoint, audience, info, data, row.ttl, headers))
    return jobs, refused


# --- Sending -----------------------------------------------------------------------------------


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

    def send(self, jobs: Sequence[Job], *, now: datetime) -> dict[tuple[int, int], Outcome]:
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

    async def _send_all(self, jobs: Sequence[Job], now: datetime) -> dict[tuple[int, int], Outcome]:
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

    async def _send_one(self, job: Job, now: datetime) -> Outcome:
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


def make_sender(config, *, timeout: float | None = None) -> Sender:
    """Return a sender configured by the app's ``VAPID_SUBJECT``, ``PUSH_TIMEOUT`` (or *timeout*) and ``PUSH_POOL_SIZE``."""
    return Sender(vapid.vapid(), subject=config["VAPID_SUBJECT"],
                  timeout=float(config["PUSH_TIMEOUT"] if timeout is None else timeout),
                  pool_size=int(config["PUSH_POOL_SIZE"]))
