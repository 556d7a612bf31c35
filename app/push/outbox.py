"""The notification outbox: a table nothing due is lost from, and the runs that drain it.

Every enqueuer (the nudge scan, the test push) hands `enqueue_many` rendered `Push`es; the
unique dedup key makes a second enqueue of the same key a no-op. A run claims due rows, sends
each to all of its user's devices (`sender.Sender`) and records the outcome:

- 2xx from any device: sent. 404/410: that subscription is deleted (the notification fails only
  when no device accepted it). 413 and other 4xx: failed, logged, the subscription kept.
- 429: retried after ``Retry-After``; 5xx, timeouts, connection errors: retried after 1, 2, 4 …
  minutes (capped at an hour) — both for up to 24 hours after the notification was created.

Claiming sets ``status='sending'`` with a random claim token in one statement (on PostgreSQL with
``FOR UPDATE SKIP LOCKED``), so concurrent runs never take the same row; a row left in
``sending`` longer than ``PUSH_LEASE_SECONDS`` (a crashed worker) is claimed again. That is also
how sending scales: more senders are more ``flask push send`` (or ``flask nudges run``)
processes, each claiming its own batches.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..database import begin_write, insert_ignoring
from ..kinds import NudgeKind, Urgency
from ..models import Notification, NotificationStatus, PushSubscription, User
from . import sender as sending

log = logging.getLogger(__name__)

TEST_KIND = NudgeKind.test
URGENCIES = tuple(u.value for u in Urgency)
TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")  # RFC 8030: at most 32 base64url characters
MAX_PAYLOAD = 3993  # the largest plaintext that still encrypts into one 4,096-byte record
MAX_TTL = 28 * 24 * 3600
MAX_AGE = timedelta(hours=24)
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
_CHUNK = 1000  # rows per bulk INSERT


@dataclass(frozen=True)
class Push:
    """One notification to enqueue: what the outbox stores and the service worker shows.

    ``key`` is the outbox's unique dedup key; ``url`` the deep link opened on click; ``topic``
    the Web Push ``Topic`` header (≤ 32 characters of the URL-safe base64 alphabet; also the
    notification ``tag``), so a newer push of the same topic replaces a stale, undelivered one;
    ``urgency`` the ``Urgency`` header; ``ttl`` the ``TTL`` header in seconds (never 0); ``refs``
    what the push announces (badge codes, challenge ids), for the enqueuer to mark announced.
    """

    user_id: int
    kind: str
    key: str
    title: str
    body: str
    url: str
    topic: str | None
    urgency: Urgency | str
    ttl: int
    local_day: date | None = None
    refs: tuple[str, ...] = ()

    def payload(self) -> dict[str, str]:
        """Return the JSON-ready payload the service worker reads."""
        return {"title": self.title, "body": self.body, "url": self.url, "tag": self.topic or "",
                "kind": str(self.kind)}


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


def _row(push: Push, now: datetime) -> dict:
    """Return the outbox row for *push*; raise ValueError for headers a push service would reject."""
    if push.urgency not in URGENCIES:
        raise ValueError(f"urgency must be one of {URGENCIES}")
    if push.topic is not None and not TOPIC.fullmatch(push.topic):
        raise ValueError("topic must be 1 to 32 base64url characters")
    if not 0 < int(push.ttl) <= MAX_TTL:
        raise ValueError("ttl must be between 1 second and 28 days")
    payload = _fit({"title": push.title, "body": push.body, "url": push.url})
    return {
        "user_id": push.user_id,
        "kind": str(push.kind),
        "dedup_key": push.key,
        "payload": payload,
        "topic": push.topic,
        "urgency": push.urgency,
        "ttl": int(push.ttl),
        "local_day": push.local_day,
        "status": NotificationStatus.pending,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def enqueue_many(session: Session, pushes: Iterable[Push], *, now: datetime) -> set[str]:
    """Add *pushes* to the outbox; return the keys actually added (a key enqueued before is skipped).

    Every row is checked first, so a bad one adds nothing. Race-safe: one ``INSERT … ON
    CONFLICT (dedup_key) DO NOTHING RETURNING`` per thousand rows on PostgreSQL and SQLite;
    other databases go row by row, each in a savepoint.
    """
    rows = [_row(push, now) for push in pushes]
    if not rows:
        return set()
    table = Notification.__table__
    added: set[str] = set()
    insert = insert_ignoring(session, table, ["dedup_key"])
    if insert is not None:
        # RETURNING, not rowcount: psycopg reports no rowcount for ON CONFLICT DO NOTHING.
        stmt = insert.returning(table.c.dedup_key)
        for start in range(0, len(rows), _CHUNK):
            added.update(session.execute(stmt, rows[start:start + _CHUNK]).scalars())
        return added
    for values in rows:
        try:
            with session.begin_nested():
                session.add(Notification(**values))
        except IntegrityError:
            continue
        added.add(values["dedup_key"])
    return added


@dataclass(frozen=True)
class Claimed:
    """A notification this run claimed: what sending it needs, and the claim's token."""

    id: int
    user_id: int
    kind: NudgeKind
    payload: dict
    topic: str | None
    urgency: Urgency
    ttl: int
    attempts: int
    created_at: datetime
    token: str


def _due(now: datetime, lease: timedelta):
    return or_(
        and_(Notification.status == NotificationStatus.pending, Notification.next_attempt_at <= now),
        and_(Notification.status == NotificationStatus.sending, Notification.claimed_at <= now - lease),
    )


def claim(session: Session, *, now: datetime, limit: int, ids: Sequence[int] | None = None) -> list[Claimed]:
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
        rows = [Claimed(*row, token=token) for row in session.execute(stmt).all()]
        session.commit()
        if rows:  # else another run took all of them in between: look again
            return rows


def count_due(session: Session, *, now: datetime) -> int:
    """Count the notifications a run at *now* would send."""
    lease = timedelta(seconds=current_app.config["PUSH_LEASE_SECONDS"])
    return session.scalar(select(func.count()).select_from(Notification).where(_due(now, lease))) or 0


# --- Sending and recording -------------------------------------------------------------------


@dataclass
class RunReport:
    """What one run did."""

    enqueued: int = 0
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    removed_subscriptions: int = 0
    pending: int = 0  # due rows left untouched (a dry run; a test push left for the next run)
    dry_run: bool = False

    def add(self, other: RunReport) -> None:
        """Add *other*'s counts to this report."""
        for name in ("claimed", "sent", "retried", "failed", "removed_subscriptions"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _backoff(attempts: int) -> timedelta:
    return min(BACKOFF_FIRST * (2 ** max(0, attempts - 1)), BACKOFF_CAP)


def deliver(session: Session, claimed: Sequence[Claimed], *, now: datetime,
            sender: sending.Sender | None = None) -> RunReport:
    """Send claimed notifications to all their users' devices and record the outcomes; commit.

    *sender* carries open connections from one batch to the next; without one, a sender is
    made for this batch alone.
    """
    report = RunReport(claimed=len(claimed))
    if not claimed:
        return report
    config = current_app.config
    user_ids = sorted({row.user_id for row in claimed})
    # Plain rows, not ORM objects: the commit below would expire objects and reload each one.
    subscriptions: dict[int, list] = defaultdict(list)
    columns = (PushSubscription.id, PushSubscription.user_id, PushSubscription.endpoint,
               PushSubscription.p256dh, PushSubscription.auth)
    for start in range(0, len(user_ids), _CHUNK):
        chunk = user_ids[start : start + _CHUNK]
        for sub in session.execute(select(*columns).where(PushSubscription.user_id.in_(chunk))):
            subscriptions[sub.user_id].append(sub)
    jobs, refused = sending.jobs_for(claimed, subscriptions, hosts=config["PUSH_ENDPOINT_HOSTS"],
                                     allow_http=bool(config["PUSH_ALLOW_HTTP"]))

    session.commit()  # the jobs hold plain data: no transaction stays open while the network is slow
    if sender is None:
        with sending.make_sender(config) as own:
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


def process_outbox(session: Session, *, now: datetime, ids: Sequence[int] | None = None) -> RunReport:
    """Claim and send due notifications in batches, in this process, until none is left; return the totals.

    Runs in other processes may drain the same outbox at the same time: claims never overlap.
    """
    report = RunReport()
    config = current_app.config
    batch = int(config["PUSH_BATCH_SIZE"])
    sender: sending.Sender | None = None
    try:
        while True:
            claimed = claim(session, now=now, limit=batch, ids=ids)
            if not claimed:
                return report
            sender = sender or sending.make_sender(config)
            report.add(deliver(session, claimed, now=now, sender=sender))
    finally:
        if sender is not None:
            sender.close()


#: The scan: ``scan(session, *, at, dry_run) -> int`` enqueues the nudges due at *at* (or, on a
#: dry run, only counts them) and returns how many; ``run`` commits what it enqueued.
Scan = Callable[..., int]


def run(session: Session, *, at: datetime, now: datetime | None = None, dry_run: bool = False,
        scan: Scan | None = None) -> RunReport:
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
    report = process_outbox(session, now=now)
    report.enqueued = enqueued
    return report


# --- Test pushes -----------------------------------------------------------------------------


#: Test pushes sent from a request at once, per process; more wait in the outbox for the next run.
_TEST_SENDS = threading.BoundedSemaphore(1)


def send_test(session: Session, user: User, *, now: datetime, title: str, body: str, url: str) -> RunReport:
    """Enqueue a ``test`` push for *user* and try to send it at once, within ``PUSH_TEST_TIMEOUT``.

    A slow push service must not hold the request's worker thread: the attempt gets a short
    deadline, and only one request per process makes one at a time. A test push not sent here
    (another one is on its way, or the service was too slow) stays in the outbox, and the next
    ``flask nudges run`` sends it; ``RunReport.pending`` is 1 then.
    """
    key = f"test:{user.id}:{secrets.token_hex(8)}"
    enqueue_many(session, [Push(user.id, TEST_KIND, key, title, body, url, topic="test", urgency=Urgency.high,
                                       ttl=600)],
                 now=now)
    session.commit()
    notification_id = session.scalar(select(Notification.id).where(Notification.dedup_key == key))
    if not _TEST_SENDS.acquire(blocking=False):
        return RunReport(pending=1)
    try:
        claimed = claim(session, now=now, limit=1, ids=[notification_id])
        config = current_app.config
        with sending.make_sender(config, timeout=float(config["PUSH_TEST_TIMEOUT"])) as sender:
            return deliver(session, claimed, now=now, sender=sender)
    finally:
        _TEST_SENDS.release()
