"""Today's requests per second under wrk, against the bare Flask "hello" app with the same gunicorn.

A demo-like rep (10 customers, a touch on most workdays of the last year, the kept streak
checkpoint built as after an import) signs in through the login form; wrk then requests the
full Today page (``GET /``) with that session cookie from 2 threads over 16 connections, two ways:

- *304*: with the page's ETag in ``If-None-Match``, as a browser reopening Today while nothing
  on it changed — the user loader's one query, then ``304 Not Modified``;
- *render*: without it, as after every write — every request renders the page.

The same wrk run against ``bench.hello_app`` — a Flask app that answers "hello" — under identical
gunicorn settings (``bench.server``) is the yardstick; the figures are the ratios to it (goal for
the 304 path ≥ 0.35). All servers run at once (hello, Today on PostgreSQL, Today on SQLite) and
wrk takes the targets in turns, 3 × 5 s each after a 2 s warm-up, so that the noise of a shared
machine falls on all of them alike.

wrk comes from Debian (``apt-get install -y wrk``); without it the benchmark says so and
reports nothing.
"""

from __future__ import annotations

import contextlib
import random
import re
import shutil
import subprocess  # nosec B404  # runs wrk against our own server on loopback

import requests

from app import clock
from app.extensions import db
from app.operations import accounts, streak_state

from . import seed
from .common import (Row, bench_app, database_url_for, dispose, machine_note, postgres_database,
                     postgres_reachable, postgres_url, sqlite_database)
from .server import THREADS, WORKERS, Gunicorn, app_environment

NAME = "today_throughput"
GOAL = 0.35
ROUNDS = 3
SLICE = 5  # seconds per wrk run; ROUNDS runs per target, in turns
WARMUP = 2
CONNECTIONS = 16
WRK_THREADS = 2
CUSTOMERS = 10
EMAIL = "today@bench.example"
MODES = ("304", "render")

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def build(url: str) -> None:
    """Create the schema and one rep with 10 customers and a year of touches."""
    app = bench_app(url)
    try:
        with app.app_context():
            session = db.session
            now = clock.now()
            team = seed.org_with_team(session, "Today bench", now)
            user = seed.rep(session, team, EMAIL, now=now, password_hash=accounts.hash_password(seed.PASSWORD))
            today = user.today(now)
            days = [d for d in seed.days_back(today, 365) if d.isoweekday() <= 5]
            ids = seed.customers(session, user, CUSTOMERS, created_day=days[0])
            rng = random.Random(7)  # nosec B311  # reproducible history, not a secret
            rows, n = [], 0
            for day in days:
                if rng.random() < 0.9:  # a few missed days, as in real life
                    for _ in range(rng.randint(1, 3)):
                        rows.append(seed.touch_row(user, ids[rng.randrange(CUSTOMERS)], day, n))
                        n += 1
            seed.insert_touches(session, rows)
            session.commit()
            streak_state.rebuild_all(session, now=now)
            session.commit()
    finally:
        dispose(app)


def sign_in(base: str) -> str:
    """Sign in through the login form; return the ``Cookie`` header value of the session.

    The cookies are ``Secure`` in production, so ``requests`` would not send them back over
    plain http: they are carried by hand.
    """
    cookies: dict[str, str] = {}

    def header() -> dict:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}

    page = requests.get(base + "/login", timeout=10)
    cookies.update(page.cookies.get_dict())
    token = _CSRF.search(page.text).group(1)
    response = requests.post(base + "/login", data={"email": EMAIL, "password": seed.PASSWORD, "csrf_token": token},
                             headers=header(), allow_redirects=False, timeout=10)
    assert response.status_code == 302, (response.status_code, response.text[:300])
    cookies.update(response.cookies.get_dict())
    # Signing in rotates the CSRF token: the first page afterwards stores the new one in the session cookie.
    home = requests.get(base + "/", headers=header(), allow_redirects=False, timeout=10)
    cookies.update(home.cookies.get_dict())
    return header()["Cookie"]


def check_today(base: str, cookie: str) -> str:
    """Make sure the cookie shows the rep's Today page, and that its ETag revalidates; return the ETag."""
    response = requests.get(base + "/", headers={"Cookie": cookie}, allow_redirects=False, timeout=10)
    assert response.status_code == 200 and 'data-testid="streak-count"' in response.text, response.status_code
    tag = response.headers["ETag"]
    again = requests.get(base + "/", headers={"Cookie": cookie, "If-None-Match": tag}, allow_redirects=False,
                         timeout=10)
    assert again.status_code == 304, again.status_code
    return tag


def wrk(url: str, *, seconds: int, headers: dict[str, str]) -> dict:
    """Run wrk against *url* with *headers*; return requests/s, latency and the count of bad answers."""
    command = ["wrk", "-t", str(WRK_THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--latency", url]
    for name, value in headers.items():
        command[1:1] = ["-H", f"{name}: {value}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 30).stdout  # nosec B603
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE)
    return {"rps": rps, "bad": int(bad.group(1)) if bad else 0, "socket": errors.group(1) if errors else "",
            "p99": p99.group(1) if p99 else "?"}


def alternate(targets: dict[str, tuple[str, dict[str, str]]]) -> dict[str, dict]:
    """Warm every target up, then measure them in turns, ROUNDS × SLICE s each; return the totals.

    Taking turns spreads the noise of a shared machine over all of them alike.
    """
    for url, headers in targets.values():
        wrk(url, seconds=WARMUP, headers=headers)
    runs: dict[str, list[dict]] = {name: [] for name in targets}
    for _ in range(ROUNDS):
        for name, (url, headers) in targets.items():
            runs[name].append(wrk(url, seconds=SLICE, headers=headers))
    return {name: {"rps": sum(r["rps"] for r in results) / len(results),
                   "bad": sum(r["bad"] for r in results),
                   "socket": "; ".join(r["socket"] for r in results if r["socket"]),
                   "p99": max(results, key=lambda r: _seconds(r["p99"]))["p99"]}
            for name, results in runs.items()}


def _seconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        return 0.0
    return float(match.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[match.group(2)]


def run() -> list[Row]:
    """Measure the hello app and Today (PostgreSQL, SQLite) in turns; return the rows."""
    if shutil.which("wrk") is None:
        print("  wrk is not installed (apt-get install -y wrk): skipped")
        return [Row(NAME, "Today requests/s ÷ bare Flask hello requests/s", f"≥ {GOAL}",
                    "not measured: wrk missing", machine_note("—"))]
    with contextlib.ExitStack() as stack:
        targets: dict[str, tuple[str, dict[str, str]]] = {}
        hello = stack.enter_context(Gunicorn("bench.hello_app:app", app_environment("sqlite://")).start())
        targets["hello"] = (hello.url + "/", {})
        databases = [stack.enter_context(sqlite_database())]
        if postgres_reachable():
            databases.insert(0, stack.enter_context(postgres_database(database_url_for(postgres_url(), "today"))))
        servers = {}
        for label, url in databases:
            build(url)
            server = stack.enter_context(Gunicorn("wsgi:app", app_environment(url)).start(ready_path="/login"))
            cookie = sign_in(server.url)
            tag = check_today(server.url, cookie)
            servers[label] = (server.url, cookie)
            targets[f"{label}, 304"] = (server.url + "/", {"Cookie": cookie, "If-None-Match": tag})
            targets[f"{label}, render"] = (server.url + "/", {"Cookie": cookie})
        results = alternate(targets)
        for base, cookie in servers.values():
            check_today(base, cookie)
    for name, result in results.items():
        print(f"  {name}: {result['rps']:.0f} requests/s, worst p99 {result['p99']}, non-2xx {result['bad']} "
              f"{result['socket']}", flush=True)
    hello_result = results.pop("hello")
    settings = (f"gunicorn {WORKERS} gthread workers × {THREADS} threads; wrk {WRK_THREADS} threads, "
                f"{CONNECTIONS} connections, {ROUNDS} × {SLICE} s in turns")
    rows = []
    for name, today in results.items():
        label, mode = name.rsplit(", ", 1)
        ratio = today["rps"] / hello_result["rps"]
        print(f"  {name}: Today/hello = {ratio:.3f}")
        note = machine_note(label)
        clean = today["bad"] == 0 and hello_result["bad"] == 0
        if mode == "304":
            what, goal = f"Today reopened unchanged (304) requests/s ÷ bare Flask hello requests/s ({settings})", f"≥ {GOAL}"
        else:
            what, goal = "Today rendered (after a write) requests/s ÷ bare Flask hello requests/s", "report"
        rows += [
            Row(NAME, what, goal, f"{ratio:.3f}" + ("" if clean else " ✗ non-2xx"), note),
            Row(NAME, f"Today ({mode}) / hello requests/s (worst p99 latency)", "report",
                f"{today['rps']:.0f}/s ({today['p99']}) / {hello_result['rps']:.0f}/s ({hello_result['p99']})", note),
        ]
    return rows
