"""A fake web-push service on 127.0.0.1 that checks VAPID, decrypts every message and answers on demand.

Each subscriber (an endpoint path) gets its own P-256 key pair and 16-byte auth secret, made here
like a browser would; the service decrypts the aes128gcm body with them (http_ece), so a test
sees exactly what a phone would show. ``answer(path, 429, ...)`` queues the next answers for a
path; after the queue runs out it answers 201.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02


def b64url(data: bytes) -> str:
    """Encode unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without padding."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Received:
    """One POST the service got, with what it found inside."""

    path: str
    status: int
    headers: dict
    plaintext: str | None
    vapid_valid: bool
    claims: dict | None

    @property
    def payload(self) -> dict:
        """The decrypted JSON payload."""
        return json.loads(self.plaintext)


@dataclass
class Subscriber:
    """A browser's side of a subscription: the private key stays here, the JSON goes to the server."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes

    def json(self) -> dict:
        """Return the subscription as ``PushSubscription.toJSON()`` would."""
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": self.endpoint, "keys": {"p256dh": b64url(public), "auth": b64url(self.auth_secret)}}


class FakePushService:
    """A threaded HTTP push service for tests; use as a context manager or call ``close()``."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.subscribers: dict[str, Subscriber] = {}
        self._answers: dict[str, deque] = defaultdict(deque)
        self._delays: dict[str, float] = {}
        self._lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the sender's pooled session expects

            def do_POST(self):  # noqa: N802
                service._handle(self)

            def log_message(self, *_args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-push", daemon=True)
        self.thread.start()

    def __enter__(self) -> FakePushService:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the server."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def subscriber(self, path: str | None = None) -> Subscriber:
        """Make a browser-side key pair for a new endpoint path and return the subscriber."""
        path = path or f"/push/{b64url(os.urandom(9))}"
        subscriber = Subscriber(
            endpoint=self.base_url + path,
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth_secret=os.urandom(16),
        )
        with self._lock:
            self.subscribers[path] = subscriber
        return subscriber

    def answer(self, path: str, *statuses: int | tuple[int, dict]) -> None:
        """Queue the next answers for *path*: a status, or (status, extra headers)."""
        with self._lock:
            self._answers[path].extend(statuses)

    def delay(self, path: str, seconds: float) -> None:
        """Answer *path* only after *seconds* (to make the sender time out)."""
        self._delays[path] = seconds

    def for_path(self, path: str) -> list[Received]:
        """Return what *path* received, in order."""
        with self._lock:
            return [r for r in self.received if r.path == path]

    def count_by_id(self) -> Counter:
        """Count the decrypted messages per notification id (answered 2xx only)."""
        with self._lock:
            return Counter(r.payload["id"] for r in self.received if r.plaintext and 200 <= r.status < 300)

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length)
        headers = {k.lower(): v for k, v in request.headers.items()}
        if path in self._delays:
            time.sleep(self._delays[path])
        with self._lock:
            queued = self._answers[path].popleft() if self._answers[path] else 201
            subscriber = self.subscribers.get(path)
        status, extra = queued if isinstance(queued, tuple) else (queued, {})
        vapid_valid, claims = self._check_vapid(headers.get("authorization", ""))
        plaintext = None
        if subscriber is not None and headers.get("content-encoding") == "aes128gcm":
            plaintext = http_ece.decrypt(
                body, private_key=subscriber.private_key, auth_secret=subscriber.auth_secret, version="aes128gcm"
            ).decode("utf-8")
        with self._lock:
            self.received.append(Received(path, status, headers, plaintext, vapid_valid, claims))
        request.send_response(status)
        for name, value in extra.items():
            request.send_header(name, str(value))
        request.send_header("Content-Length", "0")
        request.end_headers()

    @staticmethod
    def _check_vapid(authorization: str) -> tuple[bool, dict | None]:
        """Verify the ``vapid t=…,k=…`` header's signature; return it with the JWT claims."""
        if not authorization.lower().startswith("vapid "):
            return False, None
        try:
            valid = bool(Vapid02.verify(authorization))
            token = dict(part.split("=", 1) for part in authorization.split(" ", 1)[1].split(","))["t"]
            claims = json.loads(b64url_decode(token.split(".")[1]))
        except Exception:  # noqa: BLE001 - any malformed header is simply invalid
            return False, None
        return valid, claims
