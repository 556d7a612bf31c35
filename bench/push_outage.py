"""The push service down for 10 minutes, then back: every due nudge is delivered exactly once.

Simulated time, real sending: a fake push service on 127.0.0.1 (tests/fake_push.py, which
checks VAPID and decrypts every message) and the real outbox (``app.push``). 100 reps with one
device each get 200 notifications at T0; the push service answers 503 for the first five minutes,
then refuses connections (it is gone) for five more, and is back at T0+10 min. Another 100
notifications become due at T0+5 min, in the middle of the outage. ``process_outbox`` runs every
30 simulated seconds, as a ``flask nudges run`` timer would, until T0+30 min, and once more a day
later. The fake counts the delivered messages per notification id: each must arrive exactly
once, and every notification must end ``sent``.
"""

from __future__ import annotations

import sys
import threading
import time
from datetime import timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import func, select

from app import clock, create_app
from app.extensions import db
from app.models import Notification, NotificationStatus
from app.operations import accounts
from app.operations import push as push_ops
from app.push import outbox, vapid

from . import seed
from .common import Row, databases, dispose, machine_note

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from fake_push import FakePushService  # noqa: E402  (the tests' fake push service)

NAME = "push_outage"
REPS = 100
AT_START = 200
DURING = 100
STEP = timedelta(seconds=30)
OUTAGE_503 = timedelta(minutes=5)
OUTAGE = timedelta(minutes=10)
UNTIL = timedelta(minutes=30)


class OutagePushService(FakePushService):
    """The fake push service, able to answer 503 to everything or to be gone altogether."""

    def __init__(self) -> None:
        super().__init__()
        self.failing = False
        self.failed = 0
        self._port = self.server.server_port
        self._handler = self.server.RequestHandlerClass

    def _handle(self, request) -> None:
        if not self.failing:
            return super()._handle(request)
        request.rfile.read(int(request.headers.get("Content-Length") or 0))
        with self._lock:
            self.failed += 1
        request.send_response(503)
        request.send_header("Content-Length", "0")
        request.end_headers()
        return None

    def go_away(self) -> None:
        """Stop listening: connections are refused."""
        self.close()

    def come_back(self) -> None:
        """Listen again on the same port, answering 201."""
        self.failing = False
        self.server = ThreadingHTTPServer(("127.0.0.1", self._port), self._handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-push", daemon=True)
        self.thread.start()


def run_one(label: str, url: str) -> dict:
    """Run the outage on one database; return the figures."""
    app = create_app({
        "SECRET_KEY": "bench-secret", "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False,
        "VAPID_PRIVATE_KEY": vapid.new_private_key_pem(), "PUSH_ENDPOINT_HOSTS": ["127.0.0.1"],
        "PUSH_ALLOW_HTTP": True, "PUSH_TIMEOUT": 5.0,
    })
    service = OutagePushService()
    started = time.perf_counter()
    try:
        with app.app_context():
            db.create_all()
            session = db.session
            t0 = clock.now()
            team = seed.org_with_team(session, "Outage", t0)
            password_hash = accounts.hash_password(seed.PASSWORD)
            users = []
            for i in range(REPS):
                user = seed.rep(session, team, f"outage{i}@bench.example", now=t0, password_hash=password_hash)
                data = service.subscriber(f"/device/{i}").json()
                push_ops.save_subscription(session, user, endpoint=data["endpoint"], keys=data["keys"],
                                           user_agent="bench", now=t0, hosts=["127.0.0.1"], allow_http=True)
                users.append(user)
            session.commit()

            def enqueue(count: int, tag: str, now) -> None:
                for n in range(count):
                    push = outbox.Push(users[n % REPS].id, "quiet_digest", f"{tag}:{n}", f"Nudge {tag} {n}",
                                       "Time to call?", "/", topic="quiet-digest", urgency="normal", ttl=4 * 3600)
                    outbox.enqueue_many(session, [push], now=now)
                session.commit()

            enqueue(AT_START, "start", t0)
            service.failing = True
            rounds = attempts = 0
            now = t0
            while now <= t0 + UNTIL:
                if now == t0 + OUTAGE_503:
                    service.go_away()
                    enqueue(DURING, "during", now)
                if now == t0 + OUTAGE:
                    service.come_back()
                report = outbox.process_outbox(session, now=now)
                rounds += 1
                attempts += report.claimed
                now += STEP
            outbox.process_outbox(session, now=t0 + timedelta(days=1))  # nothing may go out twice
            session.expire_all()
            statuses = dict(session.execute(
                select(Notification.status, func.count()).group_by(Notification.status)).all())
            delivered_by = session.scalar(select(func.max(Notification.sent_at)))
            max_attempts = session.scalar(select(func.max(Notification.attempts)))
            db.session.remove()
    finally:
        service.close()
        dispose(app)
    counts = service.count_by_id()
    total = AT_START + DURING
    return {
        "total": total,
        "delivered": len(counts),
        "once": sum(1 for c in counts.values() if c == 1),
        "twice": sum(1 for c in counts.values() if c > 1),
        "sent": statuses.get(NotificationStatus.sent, 0),
        "statuses": {str(k): v for k, v in statuses.items()},
        "failed_answers": service.failed,
        "rounds": rounds,
        "attempts": attempts,
        "max_attempts": max_attempts,
        "back_after": (delivered_by - (t0 + OUTAGE)) if delivered_by else None,
        "wall": time.perf_counter() - started,
    }


def report(label: str, f: dict) -> None:
    """Print one database's figures."""
    print(f"  {label}: {f['total']} due notifications, {f['rounds']} runs over {UNTIL} simulated "
          f"({f['attempts']} claims, {f['failed_answers']} answered 503, at most {f['max_attempts']} attempts "
          f"each); delivered {f['delivered']}, exactly once {f['once']}, more than once {f['twice']}; "
          f"statuses {f['statuses']}; last delivery {f['back_after']} after the service came back; "
          f"{f['wall']:.1f} s wall time", flush=True)


def rows_for(label: str, f: dict) -> list[Row]:
    """Turn one database's figures into table rows."""
    ok = f["once"] == f["total"] == f["sent"] and f["twice"] == 0
    minutes = f["back_after"].total_seconds() / 60 if f["back_after"] is not None else float("nan")
    return [
        Row(NAME, f"push service down 10 min (503, then refused), {f['total']} due nudges: delivered exactly "
            "once; more than once", "all; 0",
            f"{f['once']} of {f['total']}; {f['twice']}" + ("" if ok else " ✗"), machine_note(label)),
        Row(NAME, "last delivery after the service came back (simulated; back-off 1, 2, 4, 8 min)", "report",
            f"{minutes:.1f} min", machine_note(label)),
    ]


def run() -> list[Row]:
    """Run the outage on SQLite and on PostgreSQL (when reachable); return the rows."""
    rows: list[Row] = []
    for database in databases("push"):
        with database as (label, url):
            figures = run_one(label, url)
        report(label, figures)
        rows += rows_for(label, figures)
    return rows
