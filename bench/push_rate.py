"""Send rate of the outbox next to the raw encryption rate of the same payload, in one run.

A minimal push service — a separate asyncio process on 127.0.0.1 that reads each POST and
answers 201 on the kept-alive connection, like a real push service that accepted the message,
and costs the shared CPUs as little as possible — receives the notifications. The app (SQLite)
gets 4,000 users with one device each (a real P-256 subscriber key pair and auth secret). Each
round enqueues one quiet-customer digest per user and sends them all through the real path:
``outbox.process_outbox`` claims them in batches of 500, encrypts (aes128gcm), adds the VAPID
header and POSTs them, 16 at a time over one HTTP session, then records the outcomes — once
with one sender process, once with one sender process per CPU (separate processes, each with
its own app and connections, claiming its own batches: what several ``flask push send`` under a
process manager do; they are started before the rounds, as a process manager keeps them). The raw rate is pywebpush's ``WebPusher.encode`` of the very same
message for the same subscription, in one thread, on the same machine, measured between the
rounds. The figure is send rate / raw rate (goal: at least 50 %); claiming and recording count
in the send rate.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import time
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pywebpush import WebPusher
from sqlalchemy import insert, select

from app import clock, create_app
from app.push import outbox, sender, vapid
from app.extensions import db
from app.kinds import Role
from app.models import Notification, Organization, PushSubscription, Team, User

from .common import Row, bench_app, dispose, machine_note, median, sqlite_database

NAME = "push_rate"
GOAL = 0.5
USERS = 4000
ROUNDS = 3
RAW_MESSAGES = 2000
TITLE = "Müller AG: 16 days without news"
BODY = ("A short hello is enough to reconnect. Also quiet: Schmidt KG (15 days), Bäckerei Sonnenschein "
        "(12 days), +3 more. Idea: Invite them for coffee and cake.")


async def _handle(reader, writer) -> None:
    """Answer every POST on one keep-alive connection with 201 (read the body, keep nothing)."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            writer.write(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def _serve(port_queue) -> None:
    """Run the minimal push service (a separate process: it must not share the sender's GIL)."""

    async def main() -> None:
        server = await asyncio.start_server(_handle, "127.0.0.1", 0)
        port_queue.put(server.sockets[0].getsockname()[1])
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def _b64(data: bytes) -> str:
    return vapid.b64url(data)


def build(app, base_url: str) -> dict:
    """Create the users and their subscriptions; return one subscription's info for the raw rate."""
    now = clock.now()
    with app.app_context():
        session = db.session
        org = Organization(name="Bench push", created_at=now)
        team = Team(organization=org, name="Bench push", created_at=now)
        session.add_all([org, team])
        session.flush()
        session.execute(insert(User.__table__), [
            {"organization_id": org.id, "team_id": team.id, "email": f"push{i}@bench.example", "name": f"Rep {i}",
             "password_hash": "x", "role": Role.rep, "session_token": f"t{i}", "timezone": "Europe/Berlin",
             "workdays": [0, 1, 2, 3, 4], "daily_goal": 3, "day_start_hour": 3, "evening_hour": 18, "quiet_start_hour": 21,
             "quiet_end_hour": 8, "push_muted_kinds": [], "push_ignored_in_a_row": 0, "hide_from_rankings": False,
             "created_at": now}
            for i in range(USERS)
        ])
        ids = list(session.scalars(select(User.id).order_by(User.id)))
        rows = []
        for uid in ids:
            key = ec.generate_private_key(ec.SECP256R1())
            public = key.public_key().public_bytes(serialization.Encoding.X962,
                                                   serialization.PublicFormat.UncompressedPoint)
            rows.append({"user_id": uid, "endpoint": f"{base_url}/push/{uid}", "p256dh": _b64(public),
                         "auth": _b64(bytes(range(16))), "created_at": now, "updated_at": now})
        session.execute(insert(PushSubscription.__table__), rows)
        session.commit()
        first = rows[0]
        db.session.remove()
    return {"ids": ids, "info": {"endpoint": first["endpoint"], "keys": {"p256dh": first["p256dh"], "auth": first["auth"]}}}


def enqueue_round(app, ids: list[int], n: int) -> None:
    """Enqueue one digest per user for round *n*."""
    now = clock.now()
    with app.app_context():
        pushes = [outbox.Push(uid, "quiet_digest", f"bench:{n}:{uid}", TITLE, BODY, f"/customers/{uid}",
                              topic="tb-quiet-digest", urgency="normal", ttl=4 * 3600) for uid in ids]
        outbox.enqueue_many(db.session, pushes, now=now)
        db.session.commit()
        db.session.remove()


def send_round(app) -> tuple[float, outbox.RunReport]:
    """Send every pending notification through ``process_outbox`` in this process; return (seconds, report)."""
    with app.app_context():
        started = time.perf_counter()
        report = outbox.process_outbox(db.session, now=clock.now() + timedelta(seconds=1))
        elapsed = time.perf_counter() - started
        db.session.remove()
    return elapsed, report


def _sender_process(url: str, config: dict, rounds, reports) -> None:
    """Be one ``flask push send`` process: drain the outbox whenever a round starts, until told to stop."""
    app = create_app({"SECRET_KEY": "bench-secret", "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False,
                      **config})
    reports.put(None)  # ready
    while rounds.get() is not None:
        with app.app_context():
            done = outbox.process_outbox(db.session, now=clock.now() + timedelta(seconds=1))
            db.session.remove()
        reports.put((done.claimed, done.sent, done.failed))


class SenderProcesses:
    """Sender processes of their own, started once and told when a round begins."""

    def __init__(self, context, count: int, url: str, config: dict) -> None:
        self.rounds, self.reports = context.Queue(), context.Queue()
        self.processes = [context.Process(target=_sender_process, args=(url, config, self.rounds, self.reports),
                                          daemon=True) for _ in range(count)]
        for process in self.processes:
            process.start()
        for _ in self.processes:
            self.reports.get(timeout=120)

    def send_round(self) -> tuple[float, outbox.RunReport]:
        """Let every process drain the outbox; return (seconds until all are done, their summed report)."""
        started = time.perf_counter()
        for _ in self.processes:
            self.rounds.put(True)
        report = outbox.RunReport()
        for _ in self.processes:
            claimed, sent, failed = self.reports.get(timeout=600)
            report.add(outbox.RunReport(claimed=claimed, sent=sent, failed=failed))
        return time.perf_counter() - started, report

    def stop(self) -> None:
        """Tell the processes to end and wait for them."""
        for _ in self.processes:
            self.rounds.put(None)
        for process in self.processes:
            process.join(30)


def raw_rate(app, info: dict) -> float:
    """Encrypt the same message for the same subscription RAW_MESSAGES times; return messages per second."""
    with app.app_context():
        notification = db.session.scalar(select(Notification).order_by(Notification.id).limit(1))
        data = sender.message(outbox.Claimed(
            notification.id, notification.user_id, notification.kind, notification.payload, notification.topic,
            notification.urgency, notification.ttl, 0, notification.created_at, "t"), sender.open_signature(notification.id))
        db.session.remove()
    payload = data.encode()
    started = time.perf_counter()
    for _ in range(RAW_MESSAGES):
        WebPusher(info).encode(payload, content_encoding="aes128gcm")
    return RAW_MESSAGES / (time.perf_counter() - started), len(payload)


def run() -> list[Row]:
    """Run the benchmark; return the result rows."""
    processes = max(2, os.cpu_count() or 1)
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    server = context.Process(target=_serve, args=(ports,), daemon=True)
    server.start()
    try:
        base_url = f"http://127.0.0.1:{ports.get(timeout=30)}"
        with sqlite_database() as (label, url):
            app = bench_app(url)
            config = {"PUSH_ENDPOINT_HOSTS": ["127.0.0.1"], "PUSH_ALLOW_HTTP": True,
                      "VAPID_PRIVATE_KEY": vapid.new_private_key_pem()}
            app.config.update(config)
            senders = None
            try:
                built = build(app, base_url)
                senders = SenderProcesses(context, processes, url, config)
                results: dict[int, list[float]] = {1: [], processes: []}
                raws, size, pool = [], 0, app.config["PUSH_POOL_SIZE"]
                enqueue_round(app, built["ids"], -1)
                send_round(app)  # warm-up: connections, imports
                for n in range(ROUNDS):
                    for count in results:
                        enqueue_round(app, built["ids"], n * 100 + count)
                        elapsed, report = send_round(app) if count == 1 else senders.send_round()
                        assert report.sent == USERS and report.failed == 0, report
                        results[count].append(USERS / elapsed)
                        print(f"  round {n + 1}, {count} sender process(es): sent {report.sent} in {elapsed:.2f} s "
                              f"= {USERS / elapsed:.0f}/s")
                    rate, size = raw_rate(app, built["info"])
                    raws.append(rate)
                    print(f"  round {n + 1}: raw encryption {rate:.0f}/s")
            finally:
                if senders is not None:
                    senders.stop()
                dispose(app)
    finally:
        server.terminate()
        server.join(5)
    raw = median(raws)
    single, parallel = median(results[1]), median(results[processes])
    note = machine_note(f"{label}, local push service")
    print(f"  send {parallel:.0f}/s ({processes} processes), {single:.0f}/s (1 process) vs raw encryption "
          f"{raw:.0f}/s: {parallel / raw:.0%} / {single / raw:.0%} (goal ≥ {GOAL:.0%})")
    return [
        Row(NAME, f"send rate with {processes} sender processes (one per CPU) / raw encryption rate of one thread, "
                  f"{size}-byte payload (median of {ROUNDS} rounds)", f"≥ {GOAL:.0%}", f"{parallel / raw:.0%}", note),
        Row(NAME, "the same with one sender process", "report", f"{single / raw:.0%}", note),
        Row(NAME, f"send rate through `process_outbox`, {USERS:,} notifications a round, {pool} connections: "
                  f"{processes} processes / 1 process", "report", f"{parallel:.0f} /s / {single:.0f} /s", note),
        Row(NAME, "raw encryption rate (`WebPusher.encode`, one thread)", "report", f"{raw:.0f} /s", note),
    ]


if __name__ == "__main__":
    print(json.dumps([r.as_dict() for r in run()], indent=1, ensure_ascii=False))
