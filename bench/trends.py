"""The Trends page and a rep's 1:1 sheet over 1,000 reps with a year of history each.

A fresh database gets 1,000 reps with a year each: 90 teams of 10 and one team of 100, each
team with a coach, 12 customers per rep (A, B and C), a touch on most workdays (one to three,
of several kinds, now and then a rescue) — about 400,000 touches, inserted in bulk — an ended
crisis period eight to five weeks back in every team and an open one in every tenth, and the
kept streak checkpoints; PostgreSQL then gets an ``ANALYZE``, as autovacuum gives a live
database. A young team of 10 reps with two weeks of history is the control for the history's
length.

Then, alternating the pages in one loop so that machine noise hits them alike, a coach renders
the Trends page (``GET /team/trends``) of a team of 10 (a year), of the team of 100 (a year) and
of the young team, and a rep's 1:1 sheet (``GET /team/reps/<id>/sheet``) of a rep with a year and
of one with two weeks, through the real app (signed in through the login form). Figures: median
and p95 per page, the SQL statements per request (as SQLAlchemy sends them: they must be equal
whatever the team's size and the history's length), and the ratio of the medians a year / two
weeks (goal ≤ 1.5: the work is bounded by the charts' twelve weeks, not the history).
"""

from __future__ import annotations

import random
import time
from datetime import date, datetime, time as clock_time, timedelta

from flask import Flask
from sqlalchemy import insert, select, update

from app import clock
from app.extensions import db
from app.kinds import Role
from app.models import CrisisPeriod, Customer, Organization, Team, User
from app.operations import accounts, streak_state

from . import seed
from .common import (Row, StatementCounter, analyze, bench_app, databases, dispose, machine_note, median, ms, p95,
                     span)
from .streak_history import login

NAME = "trends"
GOAL = 1.5
SMALL_TEAMS = 90
SMALL = 10
BIG = 100
CUSTOMERS = 12
DAYS = 365
YOUNG_DAYS = 14
ITERATIONS = 40
WARMUP = 5
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Auckland")


def build(app: Flask, rng: random.Random) -> dict:
    """Fill the database (see the module docstring); return the coaches and reps to measure, and counts."""
    with app.app_context():
        session = db.session
        now = clock.now()
        password_hash = accounts.hash_password(seed.PASSWORD)
        org = Organization(name="Bench trends", created_at=now)
        session.add(org)
        session.flush()
        sizes = [SMALL] * SMALL_TEAMS + [BIG, SMALL]  # the last team is the young one
        teams = [Team(organization_id=org.id, name=f"Team {t}", created_at=now) for t in range(len(sizes))]
        session.add_all(teams)
        session.flush()
        people = []
        for t, (team, size) in enumerate(zip(teams, sizes)):
            people.append(_person(org.id, team.id, f"coach{t}@bench.example", Role.coach, "Europe/Berlin",
                                  password_hash, now))
            people += [_person(org.id, team.id, f"rep{t}-{i}@bench.example", Role.rep, ZONES[i % len(ZONES)],
                               password_hash, now) for i in range(size)]
        session.execute(insert(User), people)
        users = list(session.scalars(select(User).where(User.role == Role.rep).order_by(User.id)))
        young_team = teams[-1].id
        touches = 0
        for user in users:
            history = YOUNG_DAYS if user.team_id == young_team else DAYS
            touches += _history(session, user, rng, history, now)
        _crises(session, teams, now)
        session.commit()
        streak_state.rebuild_all(session, now=now)
        session.commit()
        analyze(session)
        coaches = {t.id: f"coach{i}@bench.example" for i, t in enumerate(teams)}
        first_rep = {t.id: min(u.id for u in users if u.team_id == t.id) for t in teams}
        db.session.remove()
    return {
        "reps": len(users),
        "touches": touches,
        "small": (coaches[teams[0].id], first_rep[teams[0].id]),
        "big": (coaches[teams[SMALL_TEAMS].id], first_rep[teams[SMALL_TEAMS].id]),
        "young": (coaches[young_team], first_rep[young_team]),
    }


def _person(org_id: int, team_id: int, email: str, role: Role, zone: str, password_hash: str, now: datetime) -> dict:
    return {"organization_id": org_id, "team_id": team_id, "email": email, "name": email.split("@")[0],
            "password_hash": password_hash, "role": role, "session_token": accounts.new_session_token(),
            "timezone": zone, "workdays": [0, 1, 2, 3, 4], "daily_goal": 2, "day_start_hour": 3,
            "evening_hour": 18, "quiet_start_hour": 21, "quiet_end_hour": 8,
            "created_at": now - timedelta(days=DAYS + 10)}


def _history(session, user: User, rng: random.Random, days: int, now: datetime) -> int:
    """Insert the rep's customers and *days* of touches; return how many touches."""
    today = user.today(now)
    created = today - timedelta(days=days + 5)
    created_at = datetime.combine(created, clock_time(12), clock.UTC)
    result = session.execute(insert(Customer).returning(Customer.id), [
        {"organization_id": user.organization_id, "owner_id": user.id, "name": f"Customer {user.id}-{i}",
         "tier": "ABCBCC"[i % 6], "cadence_days": (7, 14, 30, 14, 30, 30)[i % 6], "created_at": created_at,
         "created_day": created}
        for i in range(CUSTOMERS)
    ])
    ids = [row[0] for row in result]
    rows = []
    for day in seed.days_back(today, days):
        if day.weekday() >= 5 or rng.random() < 0.08:
            continue
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            row = seed.touch_row(user, ids[rng.randrange(CUSTOMERS)], day, rng.randrange(100))
            row["rescue"] = rng.random() < 0.01
            rows.append(row)
    seed.insert_touches(session, rows)
    return len(rows)


def _crises(session, teams: list[Team], now: datetime) -> None:
    """Give every team an ended crisis eight to five weeks back, and every tenth an open one since Monday."""
    rows = [{"team_id": t.id, "started_at": now - timedelta(weeks=8), "ended_at": now - timedelta(weeks=5),
             "reason": "Strike"} for t in teams]
    current = [t.id for n, t in enumerate(teams) if n % 10 == 0]
    since = now - timedelta(days=3)
    rows += [{"team_id": team_id, "started_at": since, "ended_at": None, "reason": "Flood"} for team_id in current]
    session.execute(insert(CrisisPeriod), rows)
    session.execute(update(Team).where(Team.id.in_(current)).values(crisis_since=since, crisis_reason="Flood"))


PAGES = ("trends, 10 reps", "trends, 100 reps", "trends, 2 weeks", "sheet, 1 year", "sheet, 2 weeks")


def measure(app: Flask, built: dict) -> dict[str, dict[str, list]]:
    """Alternate the five pages; time each request and count its SQL statements."""
    with app.app_context():
        counter = StatementCounter(db.engine)
    clients = {key: login(app, built[key][0])[0] for key in ("small", "big", "young")}
    plan = {
        "trends, 10 reps": (clients["small"], "/team/trends"),
        "trends, 100 reps": (clients["big"], "/team/trends"),
        "trends, 2 weeks": (clients["young"], "/team/trends"),
        "sheet, 1 year": (clients["small"], f"/team/reps/{built['small'][1]}/sheet"),
        "sheet, 2 weeks": (clients["young"], f"/team/reps/{built['young'][1]}/sheet"),
    }
    results = {page: {"time": [], "sql": []} for page in PAGES}
    for i in range(WARMUP + ITERATIONS):
        order = PAGES if i % 2 == 0 else PAGES[::-1]
        for page in order:
            client, path = plan[page]
            counter.take()
            started = time.perf_counter()
            response = client.get(path)
            elapsed = time.perf_counter() - started
            statements = counter.take()
            assert response.status_code == 200, (page, response.status_code)
            if i >= WARMUP:
                results[page]["time"].append(elapsed)
                results[page]["sql"].append(statements)
    return results


def run() -> list[Row]:
    """Run the benchmark on SQLite (and PostgreSQL when reachable); return the result rows."""
    rows: list[Row] = []
    for database in databases(suffix="trends"):
        with database as (label, url):
            app = bench_app(url)
            try:
                started = time.perf_counter()
                built = build(app, random.Random(11))
                print(f"  {label}: built {built['reps']:,} reps, {built['touches']:,} touches "
                      f"in {time.perf_counter() - started:.1f} s", flush=True)
                results = measure(app, built)
            finally:
                dispose(app)
        for page in PAGES:
            r = results[page]
            print(f"  {label} {page}: median {ms(median(r['time']))}, p95 {ms(p95(r['time']))}, "
                  f"SQL {span(r['sql'])}")
        trends_ratio = median(results["trends, 10 reps"]["time"]) / median(results["trends, 2 weeks"]["time"])
        sheet_ratio = median(results["sheet, 1 year"]["time"]) / median(results["sheet, 2 weeks"]["time"])
        print(f"  {label}: a year / two weeks, median ratio: Trends {trends_ratio:.2f}, sheet {sheet_ratio:.2f}")
        note = machine_note(label)
        timing = {page: f"{ms(median(results[page]['time']))} / {ms(p95(results[page]['time']))}" for page in PAGES}
        sql = {page: span(results[page]["sql"]) for page in PAGES}
        world = f"{built['reps'] - SMALL:,} reps × 1 year and {SMALL} × 2 weeks, {built['touches']:,} touches"
        rows += [
            Row(NAME, f"Trends page, a team of 10 reps with a year each ({world}): median / p95", "report",
                timing["trends, 10 reps"], note),
            Row(NAME, "Trends page, a team of 100 reps with a year each: median / p95", "report",
                timing["trends, 100 reps"], note),
            Row(NAME, "1:1 sheet of a rep with a year: median / p95", "report", timing["sheet, 1 year"], note),
            Row(NAME, "SQL statements per request: Trends page 10 reps / 100 reps / 2 weeks of history; "
                      "sheet 1 year / 2 weeks", "equal",
                f"{sql['trends, 10 reps']} / {sql['trends, 100 reps']} / {sql['trends, 2 weeks']}; "
                f"{sql['sheet, 1 year']} / {sql['sheet, 2 weeks']}", note),
            Row(NAME, f"a year vs two weeks of history, median ratio ({ITERATIONS} each): Trends page / sheet",
                f"≤ {GOAL}", f"{trends_ratio:.2f} / {sheet_ratio:.2f}", note),
        ]
    return rows
