"""Log a touch and render Today: a rep with 10 years of daily history against one with a week.

Both reps live in one organisation of one fresh database. Rep A has a touch on every day of the
last 10 years (3,650 touches on 20 customers), rep B on each of the last 7 days (20 customers
too), and the kept streak checkpoint is built once, as ``flask streaks rebuild`` does after an
import. Then, alternating A and B in one loop so that machine noise hits both alike, each
iteration logs a touch through the real app (the htmx fragment path of ``POST /touches/``) and
renders the full Today page (``GET /``). The figure is the ratio of the median times A/B; the
SQL statement counts per request show whether any work grows with the history.

A short control run then bypasses the checkpoint (every Today folds the rep's whole history,
as the app did before the kept state) to show that the benchmark does see history-sized work.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from datetime import date, timedelta

from flask import Flask
from flask.testing import FlaskClient

from app import clock, streaks
from app.extensions import db
from app.operations import accounts, streak_state
from app.queries import streak as streak_q

from . import seed
from .common import Row, StatementCounter, bench_app, databases, dispose, machine_note, median, ms, p95, span

NAME = "streak_history"
GOAL = 1.5
YEARS_DAYS = 3650
WEEK_DAYS = 7
CUSTOMERS = 20
ITERATIONS = 200
WARMUP = 20
CONTROL_ITERATIONS = 40

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_STREAK = re.compile(r'data-testid="streak-count">(\d+)<')


def build(app: Flask) -> dict[str, dict]:
    """Create the two reps with their history and the kept checkpoint; return their logins."""
    with app.app_context():
        session = db.session
        now = clock.now()
        password_hash = accounts.hash_password(seed.PASSWORD)
        team = seed.org_with_team(session, "Bench history", now)
        reps = {}
        for label, email, history_days in (("A", "ten-years@bench.example", YEARS_DAYS),
                                            ("B", "one-week@bench.example", WEEK_DAYS)):
            user = seed.rep(session, team, email, now=now, password_hash=password_hash)
            today = user.today(now)
            days = seed.days_back(today, history_days)
            ids = seed.customers(session, user, CUSTOMERS, created_day=days[0])
            rows = [seed.touch_row(user, ids[n % CUSTOMERS], day, n) for n, day in enumerate(days)]
            seed.insert_touches(session, rows)
            reps[label] = {"email": email, "customers": ids, "touches": len(rows)}
        session.commit()
        streak_state.rebuild_all(session, now=now)
        session.commit()
        db.session.remove()
    return reps


def login(app: Flask, email: str) -> tuple[FlaskClient, str]:
    """Sign in through the login form; return the client and the page's CSRF token."""
    client = app.test_client()
    token = _CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"email": email, "password": seed.PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.status_code
    page = client.get("/").get_data(as_text=True)
    return client, _CSRF.search(page).group(1)


@contextlib.contextmanager
def without_checkpoint() -> Iterator[None]:
    """Make every streak read fold the whole history, as if there were no kept state (control)."""
    kept = streak_q.summary

    def from_scratch(session, user, *, today: date) -> streaks.StreakSummary:
        hist = streak_q.history(session, user)
        walker, _ = streak_q.fold_from_scratch(hist, today - timedelta(days=1))
        return streaks.finish(walker, today, active=hist.active, workdays=hist.workdays,
                              away=hist.away, bonus=hist.bonus)

    streak_q.summary = from_scratch
    try:
        yield
    finally:
        streak_q.summary = kept


def measure(app: Flask, reps: dict[str, dict], *, iterations: int = ITERATIONS,
            warmup: int = WARMUP) -> dict[str, dict[str, list]]:
    """Alternate A and B: log a touch (htmx) and render Today; time and count statements."""
    with app.app_context():
        counter = StatementCounter(db.engine)
    clients = {label: login(app, rep["email"]) for label, rep in reps.items()}
    results = {label: {"post": [], "get": [], "both": [], "post_sql": [], "get_sql": []} for label in reps}
    for i in range(warmup + iterations):
        # Swap the order every iteration, so neither rep always runs right after the other.
        for label in ("A", "B") if i % 2 == 0 else ("B", "A"):
            client, token = clients[label]
            customer_id = reps[label]["customers"][i % CUSTOMERS]
            counter.take()
            start = time.perf_counter()
            posted = client.post(
                "/touches/",
                data={"customer_id": customer_id, "kind": "call", "next": "/", "days_back": "0",
                      "direction": "out", "csrf_token": token},
                headers={"HX-Request": "true", "X-CSRFToken": token},
            )
            middle = time.perf_counter()
            post_sql = counter.take()
            page = client.get("/")
            end = time.perf_counter()
            get_sql = counter.take()
            assert posted.status_code == 200 and "HX-Trigger" in posted.headers, posted.status_code
            assert page.status_code == 200, page.status_code
            if i < warmup:
                continue
            row = results[label]
            row["post"].append(middle - start)
            row["get"].append(end - middle)
            row["both"].append(end - start)
            row["post_sql"].append(post_sql)
            row["get_sql"].append(get_sql)
        if i == warmup + iterations - 1:
            for label, (client, _token) in clients.items():
                streak = _STREAK.search(client.get("/").get_data(as_text=True)).group(1)
                results[label]["streak"] = int(streak)
    return results


def run() -> list[Row]:
    """Run the benchmark on SQLite (and PostgreSQL when reachable); return the result rows."""
    rows: list[Row] = []
    for database in databases():
        with database as (label, url):
            app = bench_app(url)
            try:
                started = time.perf_counter()
                reps = build(app)
                print(f"  {label}: built A ({reps['A']['touches']} touches) and B ({reps['B']['touches']}) "
                      f"in {time.perf_counter() - started:.1f} s")
                results = measure(app, reps)
                with without_checkpoint():
                    control = measure(app, reps, iterations=CONTROL_ITERATIONS, warmup=5)
            finally:
                dispose(app)
        a, b = results["A"], results["B"]
        ratio = median(a["both"]) / median(b["both"])
        note = machine_note(label)
        for rep_label, r in (("A", a), ("B", b)):
            print(f"  {label} rep {rep_label} (streak {r['streak']}): POST+GET median {ms(median(r['both']))}, "
                  f"p95 {ms(p95(r['both']))}; POST {ms(median(r['post']))}, GET {ms(median(r['get']))}; "
                  f"SQL per POST {span(r['post_sql'])}, per GET {span(r['get_sql'])}")
        print(f"  {label}: ratio A/B of medians {ratio:.2f} (goal ≤ {GOAL})")
        control_ratio = median(control["A"]["both"]) / median(control["B"]["both"])
        print(f"  {label} control, checkpoint bypassed: A {ms(median(control['A']['both']))}, "
              f"B {ms(median(control['B']['both']))}, ratio {control_ratio:.2f}")
        rows += [
            Row(NAME, f"10 years vs 1 week: log a touch + render Today, median A/B ({ITERATIONS} each)",
                f"≤ {GOAL}", f"{ratio:.2f}", note),
            Row(NAME, "POST+GET median / p95, 10 years (A)", "—",
                f"{ms(median(a['both']))} / {ms(p95(a['both']))}", note),
            Row(NAME, "POST+GET median / p95, 1 week (B)", "—",
                f"{ms(median(b['both']))} / {ms(p95(b['both']))}", note),
            Row(NAME, "SQL statements per POST / per GET, A vs B", "equal",
                f"{span(a['post_sql'])} / {span(a['get_sql'])} vs "
                f"{span(b['post_sql'])} / {span(b['get_sql'])}", note),
            Row(NAME, f"control: the same with the checkpoint bypassed, median A/B ({CONTROL_ITERATIONS} each)",
                "> 1 (control)", f"{control_ratio:.2f}", note),
        ]
    return rows
