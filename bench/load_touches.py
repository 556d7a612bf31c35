"""50 concurrent clients log touches for 60 s through gunicorn, on SQLite and on PostgreSQL.

The real app runs under gunicorn (``bench.server``: 4 gthread workers × 2 threads, production
settings) on 127.0.0.1. Fifty reps, each with a personal access token and a few customers, are
created in bulk first. Each client (one asyncio task on one aiohttp session) POSTs
``/api/v1/touches`` with a fresh ``client_id`` as fast as the server answers, and every fifth
request replays one of its earlier ``client_id``s instead, as a phone replaying its offline
queue would. Afterwards the touches are counted in the database by ``client_id``:

- no errors: every response is 201 (new) or 200 (replay);
- every acknowledged touch is stored exactly once, with the id the server answered;
- a replay never creates a row: it answers 200 with the original touch's id.

The figures are the requests per second and the p50/p95 latency of ``POST /api/v1/touches``
under 50 clients. ``BENCH_LOAD_SECONDS`` shortens the run (default 60 s per database).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import aiohttp
import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.models import Touch
from app.operations import accounts, streak_state, tokens

from . import seed
from .common import Row, bench_app, databases, dispose, machine_note, median, ms, p95
from .server import THREADS, WORKERS, Gunicorn, app_environment

NAME = "load_touches"
CLIENTS = 50
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
CUSTOMERS_EACH = 3
REPLAY_EVERY = 5
TEAMS = 5
PATH = "/api/v1/touches"


@dataclass(frozen=True)
class Rep:
    """A load client's identity: its token and its customers."""

    index: int
    user_id: int
    token: str
    customers: tuple[int, ...]


@dataclass
class Sent:
    """One POST: what was sent and what came back (``status`` None: no answer, e.g. a reset)."""

    client_id: str
    replay: bool
    status: int | None = None
    touch_id: int | None = None
    seconds: float = 0.0
    error: str | None = None
    phase: str = ""
    at: float = 0.0  # time.monotonic() when it was sent


@dataclass
class Load:
    """Everything the clients sent, in order, and the acknowledgements they got."""

    sent: list[Sent] = field(default_factory=list)
    acked: dict[str, int] = field(default_factory=dict)  # client_id -> touch id answered

    @property
    def errors(self) -> list[Sent]:
        """Requests without a 200/201 answer."""
        return [s for s in self.sent if s.status not in (200, 201)]


def build(url: str, *, clients: int = CLIENTS) -> list[Rep]:
    """Create the schema and *clients* reps with a token and customers each; return them."""
    app = bench_app(url)
    try:
        with app.app_context():
            session = db.session
            now = clock.now()
            password_hash = accounts.hash_password(seed.PASSWORD)
            teams = [seed.org_with_team(session, f"Load {n}", now) for n in range(TEAMS)]
            reps = []
            for i in range(clients):
                user = seed.rep(session, teams[i % TEAMS], f"load{i}@bench.example", now=now,
                                password_hash=password_hash)
                today = user.today(now)
                customer_ids = seed.customers(session, user, CUSTOMERS_EACH, created_day=today)
                token = tokens.create_token(session, user, name="load", now=now).plaintext
                reps.append(Rep(i, user.id, token, tuple(customer_ids)))
            session.commit()
            streak_state.rebuild_all(session, now=now)
            session.commit()
    finally:
        dispose(app)
    return reps


async def _post(http: aiohttp.ClientSession, base: str, rep: Rep, client_id: str, replay: bool,
                load: Load, phase: str) -> Sent:
    sent = Sent(client_id, replay, phase=phase, at=time.monotonic())
    load.sent.append(sent)
    body = {"customer_id": rep.customers[hash(client_id) % len(rep.customers)], "kind": "call",
            "client_id": client_id, "note": f"load {client_id}"}
    start = time.perf_counter()
    try:
        async with http.post(base + PATH, json=body, headers={"Authorization": f"Bearer {rep.token}"}) as response:
            sent.status = response.status
            data = await response.json(content_type=None) if response.status in (200, 201) else None
            if data is not None:
                sent.touch_id = data["touch"]["id"]
                if data["touch"]["client_id"] != client_id:
                    sent.error = "answered another client_id"
                    sent.status = -1
            else:
                sent.error = (await response.text())[:200]
    except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError) as exc:
        sent.error = f"{type(exc).__name__}: {exc}"[:200]
    sent.seconds = time.perf_counter() - start
    return sent


async def _client(base: str, rep: Rep, load: Load, *, until: float, prefix: str, phase: str,
                  retry: list[str] | None = None, stop: asyncio.Event | None = None) -> None:
    """Log touches until *until* (monotonic) or *stop*; every REPLAY_EVERY-th is a replay."""
    rng = random.Random(f"{prefix}{rep.index}")  # nosec B311  # which earlier touch to replay
    mine: list[str] = [c for c in load.acked if c.startswith(f"{prefix}-{rep.index}-")]
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        for client_id in retry or ():
            # A request that got no answer (the server died) is sent again, like an offline queue.
            sent = await _post(http, base, rep, client_id, True, load, phase)
            if sent.status in (200, 201):
                load.acked[client_id] = sent.touch_id
                mine.append(client_id)
        n = 0
        while time.monotonic() < until and not (stop and stop.is_set()):
            n += 1
            if mine and n % REPLAY_EVERY == 0:
                client_id, replay = rng.choice(mine), True
            else:
                client_id, replay = f"{prefix}-{rep.index}-{phase}{n}", False
            sent = await _post(http, base, rep, client_id, replay, load, phase)
            if sent.status is None:
                await asyncio.sleep(0.05)  # no server to answer (kill -9): don't spin
            elif sent.status in (200, 201):
                if replay and load.acked.get(client_id) != sent.touch_id:
                    sent.error, sent.status = "replay answered another touch", -2
                elif replay and sent.status != 200:
                    sent.error, sent.status = "replay created a touch", -3
                else:
                    load.acked[client_id] = sent.touch_id
                    if not replay:
                        mine.append(client_id)


def run_clients(base: str, reps: list[Rep], load: Load, *, seconds: float, prefix: str, phase: str,
                retry: dict[int, list[str]] | None = None, kill_after: float | None = None,
                kill=None) -> None:
    """Run one client per rep against *base* for *seconds*; call *kill* after *kill_after* s."""

    async def main() -> None:
        until = time.monotonic() + seconds
        tasks = [asyncio.create_task(_client(base, rep, load, until=until, prefix=prefix, phase=phase,
                                             retry=(retry or {}).get(rep.index)))
                 for rep in reps]
        if kill is not None:
            await asyncio.sleep(kill_after)
            await asyncio.get_running_loop().run_in_executor(None, kill)
        await asyncio.gather(*tasks)

    asyncio.run(main())


@dataclass(frozen=True)
class Stored:
    """What the database holds for the load's client_ids."""

    rows: dict[str, tuple[int, int]]  # client_id -> (rows with it, smallest id)

    def exactly_once(self, acked: dict[str, int]) -> tuple[int, list[str]]:
        """Count acknowledged touches stored once with the answered id; list the others."""
        wrong = [c for c, tid in acked.items() if self.rows.get(c) != (1, tid)]
        return len(acked) - len(wrong), wrong

    @property
    def duplicated(self) -> int:
        """client_ids stored more than once."""
        return sum(1 for count, _ in self.rows.values() if count > 1)


def stored(url: str) -> Stored:
    """Count the touches per client_id in the database at *url*."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            result = conn.execute(
                sa.select(Touch.client_id, sa.func.count(), sa.func.min(Touch.id))
                .where(Touch.client_id.is_not(None)).group_by(Touch.client_id)
            )
            return Stored({cid: (count, first) for cid, count, first in result})
    finally:
        engine.dispose()


def summary(load: Load, store: Stored) -> dict:
    """Check the load against the database; return the figures."""
    new = [s for s in load.sent if not s.replay and s.status == 201]
    replays = [s for s in load.sent if s.replay and s.status in (200, 201)]
    once, wrong = store.exactly_once(load.acked)
    latencies = [s.seconds for s in load.sent if s.status in (200, 201)]
    return {
        "requests": len(load.sent),
        "errors": len(load.errors),
        "error_kinds": Counter((s.status, (s.error or "")[:60]) for s in load.errors).most_common(3),
        "acked": len(load.acked),
        "once": once,
        "wrong": wrong[:5],
        "new": len(new),
        "replays": len(replays),
        "replays_created": sum(1 for s in replays if s.status == 201),
        "duplicated": store.duplicated,
        "unacked_stored": sorted(set(store.rows) - set(load.acked))[:5],
        "p50": median(latencies) if latencies else float("nan"),
        "p95": p95(latencies) if latencies else float("nan"),
    }


def run_one(label: str, url: str, *, seconds: float = SECONDS) -> dict:
    """Build, serve, load and check one database; return the figures."""
    started = time.perf_counter()
    reps = build(url)
    print(f"  {label}: {len(reps)} reps with tokens and {CUSTOMERS_EACH} customers each "
          f"({time.perf_counter() - started:.1f} s)", flush=True)
    load = Load()
    with Gunicorn("wsgi:app", app_environment(url)).start(ready_path="/api/v1/openapi.json") as server:
        began = time.perf_counter()
        run_clients(server.url, reps, load, seconds=seconds, prefix="L", phase="")
        elapsed = time.perf_counter() - began
        log = server.output()
    figures = summary(load, stored(url))
    figures["rps"] = figures["requests"] / elapsed
    figures["elapsed"] = elapsed
    if "database is locked" in log:
        figures["error_kinds"].append(("log", "database is locked"))
    return figures


def rows_for(label: str, f: dict, seconds: float) -> list[Row]:
    """Turn one database's figures into table rows."""
    note = machine_note(label)
    settings = f"gunicorn {WORKERS} gthread workers × {THREADS} threads"
    ok = f["errors"] == 0 and not f["wrong"] and f["replays_created"] == 0 and f["duplicated"] == 0
    return [
        Row(NAME, f"{CLIENTS} clients × {seconds:.0f} s, POST /api/v1/touches ({settings}): requests/s",
            "report", f"{f['rps']:.0f}/s ({f['requests']:,} requests)", note),
        Row(NAME, f"p50 / p95 latency of POST /api/v1/touches under {CLIENTS} clients", "report",
            f"{ms(f['p50'])} / {ms(f['p95'])}", note),
        Row(NAME, "errors; acknowledged touches stored exactly once; replays that created a row",
            "0; all; 0", f"{f['errors']}; {f['once']:,} of {f['acked']:,}; "
            f"{f['replays_created']} of {f['replays']:,}" + ("" if ok else " ✗"), note),
    ]


def report(label: str, f: dict) -> None:
    """Print one database's figures."""
    print(f"  {label}: {f['requests']:,} requests in {f['elapsed']:.1f} s = {f['rps']:.0f}/s; "
          f"p50 {ms(f['p50'])}, p95 {ms(f['p95'])}; errors {f['errors']} {f['error_kinds']}; "
          f"acked {f['acked']:,}, stored exactly once {f['once']:,} {f['wrong']}; "
          f"replays {f['replays']:,} (created {f['replays_created']}); duplicated {f['duplicated']}; "
          f"stored without an answer {f['unacked_stored']}", flush=True)


def run() -> list[Row]:
    """Run the load on SQLite and on PostgreSQL (when reachable); return the rows."""
    rows: list[Row] = []
    for database in databases("load"):
        with database as (label, url):
            figures = run_one(label, url)
        report(label, figures)
        rows += rows_for(label, figures, SECONDS)
    return rows
