"""``flask nudges run``'s scan over 10,000 reps and 500,000 customers, dry run (nothing sent).

A fresh database gets 1,000 teams (one in ten in crisis mode), each with a coach and 10 reps in
four time zones — 11,000 users, every one with a push device, so every one is scanned — and 50
customers per rep (tiers A/B/C, last touches spread so that about half are warming or quiet, a
few never touched, paused or archived), 30 days of touches, the kept streak checkpoints
(``streak_state.rebuild_all``), vacations, team holidays, two weeks of outbox history and some
unannounced badges. All of it is inserted in bulk (executemany), in bounded time; PostgreSQL then
gets an ``ANALYZE``, as autovacuum gives a live database.

Then ``snapshot.scan(session, at=..., dry_run=True)`` — exactly what ``flask nudges run --dry-run``
runs — is timed at a weekday morning in Berlin, three times; the figure is the slowest run, and
the SQL statement count shows that the work is set-based. One enqueueing scan (rolled back) is
timed too.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.engine import make_url

from app import clock
from app.nudges import snapshot
from app.extensions import db
from app.kinds import Role, Tier, TouchKind
from app.models import (
    AwayPeriod,
    BadgeAward,
    Customer,
    Notification,
    Organization,
    PushSubscription,
    Team,
    TeamHoliday,
    Touch,
    User,
)
from app.operations import accounts, streak_state
from app.warmth import TIER_CADENCE

from . import seed
from .common import Row, StatementCounter, analyze, bench_app, dispose, machine_note, postgres_database, \
    postgres_reachable, postgres_url, sqlite_database

NAME = "nudge_scan"
GOAL_SECONDS = 5.0
TEAMS = 1000
REPS_PER_TEAM = 10
CUSTOMERS_PER_REP = 50
HISTORY_DAYS = 30
OUTBOX_DAYS = 14
RUNS = 3
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Auckland")
KINDS = [k for k in TouchKind if k is not TouchKind.other]


def scan_instant() -> datetime:
    """Return 08:30 UTC (09:30 in Berlin) of the last weekday before today."""
    day = clock.now().date() - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return datetime(day.year, day.month, day.day, 8, 30, tzinfo=clock.UTC)


def _chunks(session, model, rows: list[dict], size: int = 20_000) -> None:
    for start in range(0, len(rows), size):
        session.execute(insert(model.__table__), rows[start:start + size])


def build(app, at: datetime, rng: random.Random) -> dict[str, int]:
    """Fill the database in bulk; return the row counts."""
    with app.app_context():
        session = db.session
        org = Organization(name="Bench nudges", created_at=at - timedelta(days=400))
        session.add(org)
        session.flush()
        session.execute(insert(Team.__table__), [
            {"organization_id": org.id, "name": f"Team {t}", "created_at": org.created_at,
             "crisis_since": at - timedelta(days=3) if t % 10 == 0 else None}
            for t in range(TEAMS)
        ])
        team_ids = list(session.scalars(select(Team.id).order_by(Team.id)))
        password_hash = accounts.hash_password(seed.PASSWORD)
        users = []
        for t, team_id in enumerate(team_ids):
            for r in range(REPS_PER_TEAM + 1):
                n = t * (REPS_PER_TEAM + 1) + r
                users.append({
                    "organization_id": org.id, "team_id": team_id, "email": f"user{n}@bench.example",
                    "name": f"User {n}", "password_hash": password_hash,
                    "role": Role.coach if r == 0 else Role.rep, "session_token": f"token{n}",
                    "timezone": ZONES[n % len(ZONES)], "locale": ("de", "en")[n % 2], "workdays": [0, 1, 2, 3, 4],
                    "daily_goal": 3, "day_start_hour": 3, "evening_hour": 18, "quiet_start_hour": 21,
                    "quiet_end_hour": 8, "push_muted_kinds": [], "push_ignored_in_a_row": rng.choice((0, 0, 0, 1, 3)),
                    "hide_from_rankings": False, "created_at": org.created_at,
                })
        _chunks(session, User, users)
        people = session.execute(select(User.id, User.team_id, User.role, User.timezone).order_by(User.id)).all()
        reps = [p for p in people if p.role == Role.rep]
        _chunks(session, PushSubscription, [
            {"user_id": p.id, "endpoint": f"https://fcm.googleapis.com/fcm/send/bench-{p.id}",
             "p256dh": "B" + "A" * 86, "auth": "A" * 22, "created_at": at, "updated_at": at}
            for p in people
        ])
        today = {p.id: clock.local_day(at, p.timezone) for p in people}

        customers, tiers = [], [Tier.A] * 2 + [Tier.B] * 5 + [Tier.C] * 3
        for p in reps:
            for i in range(CUSTOMERS_PER_REP):
                tier = rng.choice(tiers)
                cadence = TIER_CADENCE[tier.value]
                roll = rng.random()
                last = None if roll < 0.03 else today[p.id] - timedelta(days=rng.randrange(0, int(cadence * 1.6) + 1))
                customers.append({
                    "organization_id": org.id, "owner_id": p.id, "name": f"Customer {p.id}-{i}",
                    "company": None, "tier": tier, "cadence_days": cadence,
                    "paused_until": today[p.id] + timedelta(days=5) if 0.03 <= roll < 0.05 else None,
                    "created_at": org.created_at, "created_day": today[p.id] - timedelta(days=200),
                    "last_touch_day": last, "archived_at": at if 0.05 <= roll < 0.07 else None,
                })
        _chunks(session, Customer, customers)
        first_customer = {owner: cid for cid, owner in session.execute(
            select(Customer.id, Customer.owner_id).order_by(Customer.id.desc()))}

        touches = []
        for p in reps:
            for back in range(HISTORY_DAYS, 0, -1):
                day = today[p.id] - timedelta(days=back)
                if day.weekday() < 5 and rng.random() < 0.8:
                    for k in range(rng.choice((1, 1, 2))):
                        occurred = datetime.combine(day, datetime.min.time().replace(hour=10 + k),
                                                    clock.zone(p.timezone)).astimezone(clock.UTC)
                        touches.append({
                            "organization_id": org.id, "user_id": p.id, "customer_id": first_customer[p.id],
                            "kind": KINDS[(back + k) % len(KINDS)], "direction": "out", "note": None,
                            "occurred_at": occurred, "local_day": day, "backfilled": False,
                            "rescue": rng.random() < 0.01, "client_id": None, "created_at": occurred,
                        })
        _chunks(session, Touch, touches)

        away = [{"user_id": p.id, "first_day": today[p.id] - timedelta(days=rng.randrange(0, 40)),
                 "last_day": today[p.id] + timedelta(days=rng.randrange(0, 10)), "reason": "vacation",
                 "created_at": at} for n, p in enumerate(reps) if n % 10 == 0]
        for row in away:
            row["last_day"] = max(row["last_day"], row["first_day"])
        _chunks(session, AwayPeriod, away)
        coach_of = {p.team_id: p.id for p in people if p.role == Role.coach}
        holidays = [{"team_id": team_id, "first_day": at.date() - timedelta(days=d), "last_day": at.date() - timedelta(days=d),
                     "name": "Holiday", "created_by_id": coach_of[team_id], "created_at": at}
                    for team_id in team_ids for d in (5 + team_id % 7, 20 + team_id % 9, 60)]
        _chunks(session, TeamHoliday, holidays)

        outbox = [{"user_id": p.id, "kind": "quiet_digest",
                   "dedup_key": f"{p.id}:quiet_digest:{(today[p.id] - timedelta(days=back)).isoformat()}",
                   "payload": {"title": "t", "body": "b", "url": "/"}, "topic": "tb-quiet-digest", "urgency": "normal",
                   "ttl": 3600, "local_day": today[p.id] - timedelta(days=back), "status": "sent", "attempts": 1,
                   "next_attempt_at": at - timedelta(days=back), "sent_at": at - timedelta(days=back),
                   "created_at": at - timedelta(days=back)}
                  for p in people for back in range(1, OUTBOX_DAYS + 1)]
        outbox += [{**outbox[n * OUTBOX_DAYS], "kind": "pipeline_quiet", "local_day": today[p.id],
                    "dedup_key": f"{p.id}:pipeline_quiet:{today[p.id].isoformat()}"}
                   for n, p in enumerate(people) if n % 10 == 0]  # one in ten already had a push today
        _chunks(session, Notification, outbox)
        badges = [{"user_id": p.id, "code": "first_touch", "touch_id": None, "awarded_at": at - timedelta(hours=20),
                   "local_day": today[p.id] - timedelta(days=1)} for n, p in enumerate(reps) if n % 5 == 0]
        _chunks(session, BadgeAward, badges)
        session.commit()
        streak_state.rebuild_all(session, now=at)
        session.commit()
        analyze(session)
        db.session.remove()
    return {"users": len(people), "reps": len(reps), "customers": len(customers), "touches": len(touches),
            "notifications": len(outbox)}


def measure(app, at: datetime) -> dict:
    """Time the dry-run scan RUNS times and one enqueueing scan (rolled back)."""
    times, statements, due = [], [], 0
    with app.app_context():
        counter = StatementCounter(db.engine)
        for _ in range(RUNS):
            counter.take()
            started = time.perf_counter()
            due = snapshot.scan(db.session, at=at, dry_run=True)
            times.append(time.perf_counter() - started)
            statements.append(counter.take())
            db.session.rollback()
            db.session.remove()
        started = time.perf_counter()
        enqueued = snapshot.scan(db.session, at=at)
        db.session.flush()
        enqueue_time = time.perf_counter() - started
        enqueue_statements = counter.take()
        db.session.rollback()
        db.session.remove()
    return {"times": times, "statements": statements, "due": due, "enqueued": enqueued,
            "enqueue_time": enqueue_time, "enqueue_statements": enqueue_statements}


def _databases():
    yield sqlite_database()
    url = make_url(postgres_url()).set(database="touchbase_bench_nudge").render_as_string(hide_password=False)
    if postgres_reachable(url):
        yield postgres_database(url)
    else:
        print("  PostgreSQL is not reachable: skipped")


def run() -> list[Row]:
    """Run the benchmark on SQLite and PostgreSQL; return the result rows."""
    rows: list[Row] = []
    at = scan_instant()
    for database in _databases():
        with database as (label, url):
            app = bench_app(url)
            try:
                started = time.perf_counter()
                counts = build(app, at, random.Random(20261127))
                print(f"  {label}: built {counts} in {time.perf_counter() - started:.0f} s")
                result = measure(app, at)
            finally:
                dispose(app)
        worst = max(result["times"])
        note = machine_note(label)
        print(f"  {label}: dry-run scans {', '.join(f'{t:.2f} s' for t in result['times'])} "
              f"({result['due']} due, {result['statements'][0]} statements); enqueueing scan "
              f"{result['enqueue_time']:.2f} s ({result['enqueued']} enqueued, {result['enqueue_statements']} statements)")
        rows += [
            Row(NAME, f"`nudges run --dry-run` scan, {counts['reps']:,} reps + {counts['users'] - counts['reps']:,} "
                f"coaches, {counts['customers']:,} customers, {counts['touches']:,} touches; slowest of {RUNS}",
                f"≤ {GOAL_SECONDS:.0f} s", f"{worst:.2f} s ({result['due']:,} due)", note),
            Row(NAME, "SQL statements per scan (dry run / enqueueing)", "constant",
                f"{result['statements'][0]} / {result['enqueue_statements']}", note),
            Row(NAME, "scan that enqueues (bulk insert, rolled back)", "report",
                f"{result['enqueue_time']:.2f} s ({result['enqueued']:,} enqueued)", note),
        ]
    return rows
