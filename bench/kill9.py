"""kill -9 of the server mid-load: no acknowledged touch is lost, and the database opens cleanly.

For SQLite and PostgreSQL each: 50 clients log touches through gunicorn (as in
``bench.load_touches``); after a few seconds the gunicorn master and all its workers get SIGKILL
at once (their process group), while requests are in flight. Then, with the server dead:

- the database opens cleanly (SQLite: ``PRAGMA integrity_check`` is ``ok`` after the WAL is
  recovered; PostgreSQL: a new connection works);
- every touch acknowledged before the kill (a 201/200 received) is stored exactly once; a
  request whose answer was lost may or may not be stored (it committed or it did not).

gunicorn is restarted on the same database; every client first replays the requests that got
no answer (as a phone's offline queue would), then goes on logging for a few seconds. At the
end every acknowledged touch is stored exactly once, no replay created a second row, and no
stored touch is left unacknowledged.
"""

from __future__ import annotations

import sqlite3
import time
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from .common import Row, databases, machine_note
from .load_touches import Load, build, run_clients, stored
from .server import Gunicorn, app_environment, free_port

NAME = "kill9"
BEFORE_KILL = 4.0  # seconds of load before the kill
AFTER_KILL = 0.5  # clients keep trying against the dead server
RECOVERY = 4.0  # seconds of load after the restart


def opens_cleanly(url: str) -> str:
    """Open the database the way a fresh process would; return ``ok`` or what went wrong."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        with sqlite3.connect(parsed.database) as conn:
            return ", ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT count(*) FROM touch"))
        return "ok"
    except sa.exc.SQLAlchemyError as exc:
        return f"{type(exc).__name__}: {exc}"[:200]
    finally:
        engine.dispose()


def run_one(label: str, url: str) -> dict:
    """Load, kill -9, check, restart, replay, check again; return the figures."""
    reps = build(url)
    env = app_environment(url)
    port = free_port()
    load = Load()
    server = Gunicorn("wsgi:app", env, port=port).start(ready_path="/api/v1/openapi.json")
    killed_at: list[float] = []

    def kill() -> None:
        killed_at.append(time.monotonic())
        server.kill9()

    try:
        run_clients(server.url, reps, load, seconds=BEFORE_KILL + AFTER_KILL, prefix="K", phase="",
                    kill_after=BEFORE_KILL, kill=kill)
    finally:
        server.stop()
    killed = server.process.returncode
    integrity = opens_cleanly(url)
    after_kill = stored(url)
    acked_before = dict(load.acked)
    once_before, wrong_before = after_kill.exactly_once(acked_before)
    http_errors = [s for s in load.sent if s.status is not None and s.status not in (200, 201)]
    lost = [s for s in load.sent if s.status is None]
    unanswered = {s.client_id for s in lost if s.client_id not in load.acked}
    in_flight = {s.client_id for s in lost if s.at < killed_at[0] and s.client_id not in load.acked}
    stored_unanswered = len(unanswered & set(after_kill.rows))

    retry: dict[int, list[str]] = defaultdict(list)
    for client_id in sorted(unanswered):
        retry[int(client_id.split("-")[1])].append(client_id)
    started = time.perf_counter()
    with Gunicorn("wsgi:app", env, port=port).start(ready_path="/api/v1/openapi.json") as again:
        restart = time.perf_counter() - started
        sent_before = len(load.sent)
        run_clients(again.url, reps, load, seconds=RECOVERY, prefix="K", phase="r", retry=retry)
    recovery = load.sent[sent_before:]
    final = stored(url)
    once_after, wrong_after = final.exactly_once(load.acked)
    return {
        "killed": killed,
        "integrity": integrity,
        "acked_before": len(acked_before),
        "once_before": once_before,
        "wrong_before": wrong_before[:5],
        "http_errors": len(http_errors) + sum(1 for s in recovery if s.status not in (200, 201)),
        "lost": len(unanswered),
        "in_flight": len(in_flight),
        "stored_unanswered": stored_unanswered,
        # Distinct touches: a replay whose answer timed out is sent again, and counts once.
        "replayed_ok": len({s.client_id for s in recovery if s.client_id in unanswered and s.status in (200, 201)}),
        "restart": restart,
        "recovery_requests": len(recovery),
        "acked": len(load.acked),
        "once_after": once_after,
        "wrong_after": wrong_after[:5],
        "duplicated": final.duplicated,
        "unacked_stored": len(set(final.rows) - set(load.acked)),
        "integrity_after": opens_cleanly(url),
    }


def report(label: str, f: dict) -> None:
    """Print one database's figures."""
    print(f"  {label}: killed (exit {f['killed']}) after {BEFORE_KILL:.0f} s; database opens: {f['integrity']}; "
          f"acknowledged before the kill {f['acked_before']:,}, stored exactly once {f['once_before']:,} "
          f"{f['wrong_before']}; in flight at the kill {f['in_flight']}, unanswered in all {f['lost']} "
          f"(stored anyway {f['stored_unanswered']}); "
          f"restart {f['restart']:.1f} s; after {RECOVERY:.0f} s more ({f['recovery_requests']:,} requests): "
          f"lost ones replayed {f['replayed_ok']}/{f['lost']}, acknowledged {f['acked']:,}, exactly once "
          f"{f['once_after']:,} {f['wrong_after']}, duplicated {f['duplicated']}, stored unacknowledged "
          f"{f['unacked_stored']}, HTTP errors {f['http_errors']}; database: {f['integrity_after']}", flush=True)


def rows_for(label: str, f: dict) -> list[Row]:
    """Turn one database's figures into table rows."""
    note = machine_note(label)
    ok_before = f["once_before"] == f["acked_before"] and f["integrity"] == "ok"
    ok_after = (f["once_after"] == f["acked"] and f["duplicated"] == 0 and f["unacked_stored"] == 0
                and f["http_errors"] == 0 and f["replayed_ok"] == f["lost"])
    return [
        Row(NAME, "kill -9 of gunicorn (master + workers) mid-load, 50 clients: database opens; "
            "acknowledged touches stored exactly once", "ok; all",
            f"{f['integrity']}; {f['once_before']:,} of {f['acked_before']:,}" + ("" if ok_before else " ✗"), note),
        Row(NAME, "after the restart: lost answers replayed; all acknowledged stored once; duplicates; HTTP errors",
            "all; all; 0; 0",
            f"{f['replayed_ok']} of {f['lost']}; {f['once_after']:,} of {f['acked']:,}; {f['duplicated']}; "
            f"{f['http_errors']}" + ("" if ok_after else " ✗"), note),
        Row(NAME, "restart until gunicorn answers", "report", f"{f['restart']:.1f} s", note),
    ]


def run() -> list[Row]:
    """Run the kill on SQLite and on PostgreSQL (when reachable); return the rows."""
    rows: list[Row] = []
    for database in databases("kill9"):
        with database as (label, url):
            figures = run_one(label, url)
        report(label, figures)
        rows += rows_for(label, figures)
    return rows
