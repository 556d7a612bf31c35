"""Bulk data for the benchmarks: organisations, reps, customers and years of touches."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session

from app import clock
from app.kinds import Role, Tier, TouchKind
from app.models import Customer, Organization, Team, Touch, User
from app.operations import accounts

PASSWORD = "bench-password-1"
KINDS = [k for k in TouchKind if k is not TouchKind.other]


def org_with_team(session: Session, name: str, now: datetime) -> Team:
    """Create an organisation with one team."""
    org = Organization(name=name, created_at=now)
    team = Team(organization=org, name=name, created_at=now)
    session.add_all([org, team])
    session.flush()
    return team


def rep(session: Session, team: Team, email: str, *, now: datetime, password_hash: str,
        timezone: str = "Europe/Berlin") -> User:
    """Create a rep in *team*."""
    user = User(
        organization_id=team.organization_id, team_id=team.id, email=email, name=email.split("@")[0],
        password_hash=password_hash, role=Role.rep, session_token=accounts.new_session_token(),
        timezone=timezone, created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def customers(session: Session, user: User, count: int, *, created_day: date) -> list[int]:
    """Insert *count* customers of *user*, created on *created_day*; return their ids."""
    created_at = datetime.combine(created_day, time(12), clock.UTC)
    made = []
    for i in range(count):
        customer = Customer(
            organization_id=user.organization_id, owner_id=user.id, name=f"Customer {user.id}-{i}",
            company=f"Company {i}", tier=Tier.B, cadence_days=14, created_at=created_at,
            created_day=created_day,
        )
        session.add(customer)
        made.append(customer)
    session.flush()
    return [c.id for c in made]


def touch_row(user: User, customer_id: int, day: date, n: int) -> dict:
    """Return the insert values of a touch at 10:00 on the rep's local *day*."""
    occurred = datetime.combine(day, time(10), clock.zone(user.timezone)).astimezone(clock.UTC)
    return {
        "organization_id": user.organization_id, "user_id": user.id, "customer_id": customer_id,
        "kind": KINDS[n % len(KINDS)], "direction": "out", "note": None, "occurred_at": occurred,
        "local_day": user.day_of(occurred),
        "backfilled": False, "rescue": False, "client_id": None, "created_at": occurred,
    }


def insert_touches(session: Session, rows: list[dict], *, chunk: int = 20_000) -> None:
    """Insert touch rows in bulk (executemany), then set each customer's last touch day."""
    for start in range(0, len(rows), chunk):
        session.execute(insert(Touch), rows[start:start + chunk])
    last: dict[int, date] = {}
    for row in rows:
        if row["local_day"] > last.get(row["customer_id"], date.min):
            last[row["customer_id"]] = row["local_day"]
    if last:
        table = Customer.__table__
        session.execute(
            update(table).where(table.c.id == bindparam("cid")).values(last_touch_day=bindparam("day")),
            [{"cid": cid, "day": day} for cid, day in last.items()],
        )


def days_back(today: date, count: int) -> list[date]:
    """Return the *count* days before *today*, oldest first."""
    return [today - timedelta(days=i) for i in range(count, 0, -1)]
