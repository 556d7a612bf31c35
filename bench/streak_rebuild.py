"""``flask streaks rebuild``: refold 1,000 reps with a year of touches each.

A fresh database gets 100 teams of 10 reps in four time zones, five customers each, and a year
of history per rep: a touch on every workday, with random gaps, a few weekend touches and
rescues, a vacation for every tenth rep, a sick week for every 25th, and three team holidays
per team — about 250,000 touches, inserted in bulk. Then ``streak_state.rebuild_all`` is timed
as ``flask streaks rebuild`` runs it: fix mode right after the import (no kept state yet), check
mode (must find no difference; then, untimed, it must find the one state the bench spoils), fix
mode again over existing state (repairing that one); and the real CLI runs once
in a subprocess (``flask --app wsgi streaks rebuild --check``) against the same database.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import insert

from app import clock
from app.extensions import db
from app.kinds import Role
from app.models import AwayPeriod, Organization, StreakState, Team, TeamHoliday, User
from app.operations import accounts, streak_state

from . import seed
from .common import Row, bench_app, databases, dispose, machine_note

NAME = "streak_rebuild"
REPS = 1000
TEAM_SIZE = 10
CUSTOMERS = 5
DAYS = 365
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Auckland")
ROOT = Path(__file__).resolve().parent.parent


def build(app: Flask, rng: random.Random) -> int:
    """Fill the database with 1,000 reps and a year of history each; return the touch count."""
    with app.app_context():
        session = db.session
        now = clock.now()
        password_hash = accounts.hash_password(seed.PASSWORD)
        org = Organization(name="Bench rebuild", created_at=now)
        session.add(org)
        session.flush()
        teams = [Team(organization_id=org.id, name=f"Team {t}", created_at=now) for t in range(REPS // TEAM_SIZE)]
        session.add_all(teams)
        session.flush()
        session.execute(insert(User), [
            {"organization_id": org.id, "team_id": teams[i // TEAM_SIZE].id, "email": f"rep{i}@bench.example",
             "name": f"Rep {i}", "password_hash": password_hash, "role": Role.rep,
             "session_token": accounts.new_session_token(), "timezone": ZONES[i % len(ZONES)],
             "workdays": [0, 1, 2, 3, 4], "daily_goal": 3, "day_start_hour": 3, "evening_hour": 18,
             "quiet_start_hour": 21, "quiet_end_hour": 8, "created_at": now}
            for i in range(REPS)
        ])
        users = list(session.scalars(db.select(User).order_by(User.id)))
        team_days: dict[int, set[date]] = {}
        for team in teams:
            today = clock.local_day(now, "Europe/Berlin")
            days = {today - timedelta(days=rng.randrange(10, DAYS)) for _ in range(3)}
            team_days[team.id] = days
            session.add_all(TeamHoliday(team_id=team.id, first_day=d, last_day=d, name="Holiday",
                                        created_by_id=users[0].id, created_at=now) for d in days)
        touches = 0
        for n, user in enumerate(users):
            today = user.today(now)
            days = seed.days_back(today, DAYS)
            away: set[date] = set(team_days[user.team_id])
            if n % 10 == 0:
                first = today - timedelta(days=rng.randrange(30, DAYS - 20))
                away |= _away(session, user, first, first + timedelta(days=13), "vacation", now)
            if n % 25 == 0:
                first = today - timedelta(days=rng.randrange(20, DAYS - 10))
                away |= _away(session, user, first, first + timedelta(days=6), "sick", now)
            ids = seed.customers(session, user, CUSTOMERS, created_day=days[0])
            rows = []
            for day in days:
                workday = day.weekday() < 5 and day not in away
                if (workday and rng.random() >= 0.03) or (not workday and rng.random() < 0.02):
                    row = seed.touch_row(user, ids[len(rows) % CUSTOMERS], day, len(rows))
                    row["rescue"] = rng.random() < 0.005
                    rows.append(row)
            seed.insert_touches(session, rows)
            touches += len(rows)
        session.commit()
        db.session.remove()
    return touches


def _away(session, user: User, first: date, last: date, reason: str, now) -> set[date]:
    session.add(AwayPeriod(user_id=user.id, first_day=first, last_day=last, reason=reason, created_at=now))
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}


def timed_rebuild(app: Flask, *, check: bool) -> tuple[float, int, int]:
    """Time one ``rebuild_all`` with its commit (fix) or rollback (check), as the CLI does."""
    with app.app_context():
        started = time.perf_counter()
        count, differences = streak_state.rebuild_all(db.session, now=clock.now(), check=check)
        if check:
            db.session.rollback()
        else:
            db.session.commit()
        elapsed = time.perf_counter() - started
        db.session.remove()
    return elapsed, count, len(differences)


def spoil_one_state(app: Flask) -> None:
    """Change one kept state behind the app's back, so that a check has something to find."""
    with app.app_context():
        state = db.session.scalars(db.select(StreakState).order_by(StreakState.user_id).limit(1)).one()
        state.current += 1
        db.session.commit()
        db.session.remove()


def run_cli(url: str) -> tuple[float, str, int]:
    """Run ``flask --app wsgi streaks rebuild --check`` on *url*; return wall time, last line, exit code."""
    env = dict(os.environ, TOUCHBASE_SQLALCHEMY_DATABASE_URI=url, TOUCHBASE_SECRET_KEY="bench-secret")
    flask = Path(sys.executable).with_name("flask")
    started = time.perf_counter()
    done = subprocess.run([str(flask), "--app", "wsgi", "streaks", "rebuild", "--check"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - started
    lines = (done.stdout + done.stderr).strip().splitlines()
    return elapsed, lines[-1] if lines else "", done.returncode


def run() -> list[Row]:
    """Run the benchmark on SQLite (and PostgreSQL when reachable); return the result rows."""
    rows: list[Row] = []
    for database in databases():
        with database as (label, url):
            app = bench_app(url)
            try:
                started = time.perf_counter()
                touches = build(app, random.Random(3))
                print(f"  {label}: built {REPS} reps, {touches} touches in {time.perf_counter() - started:.1f} s")
                fresh, count, fresh_diff = timed_rebuild(app, check=False)
                checked, _, check_diff = timed_rebuild(app, check=True)
                spoil_one_state(app)
                _, _, spoiled_diff = timed_rebuild(app, check=True)
                again, _, fixed_diff = timed_rebuild(app, check=False)
                cli_time, cli_line, cli_code = run_cli(url)
            finally:
                dispose(app)
        assert count == REPS, count
        assert check_diff == 0, f"rebuild --check found {check_diff} differences right after a rebuild"
        assert spoiled_diff == fixed_diff == 1, (spoiled_diff, fixed_diff)
        assert cli_code == 0 and re.search(rf"{REPS} users, 0 differences", cli_line), (cli_code, cli_line)
        print(f"  {label}: fix after import {fresh:.2f} s ({fresh_diff} states created), check {checked:.2f} s "
              f"({check_diff} differences), fix again {again:.2f} s "
              f"({fixed_diff} spoiled state repaired); "
              f"CLI --check {cli_time:.2f} s wall: {cli_line!r}")
        note = machine_note(label)
        per_rep = f"{REPS:,} reps × 1 year ({touches:,} touches)"
        rows += [
            Row(NAME, f"`streaks rebuild` (fix) right after an import, {per_rep}", "report", f"{fresh:.2f} s", note),
            Row(NAME, "`streaks rebuild --check`, in process (0 differences)", "report", f"{checked:.2f} s", note),
            Row(NAME, "`streaks rebuild` (fix) over kept state", "report", f"{again:.2f} s", note),
            Row(NAME, "`flask --app wsgi streaks rebuild --check` subprocess, wall time", "report",
                f"{cli_time:.2f} s", note),
        ]
    return rows
