"""Migrations and models agree: `flask db upgrade` on an empty database gives the models' schema."""

from __future__ import annotations

import json
import os
from datetime import date, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from app import ROOT, create_app
from app.extensions import db
from app.kinds import NudgeKind, Urgency
from app.models import Challenge, Notification, StreakState, User
from app.queries.streak import walker_of


@pytest.fixture
def empty_database_url(tmp_path):
    """Return the URL of a new, empty database of the same kind as the test database."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'drift.sqlite'}"
        return
    base = make_url(url)
    drift = base.set(database=f"{base.database}_drift")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{drift.database}"'))
        conn.execute(text(f'CREATE DATABASE "{drift.database}"'))
    yield drift.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{drift.database}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_on_empty_database_matches_models(empty_database_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        tables = set(inspect(db.engine).get_table_names())
        assert {"user", "customer", "touch"} <= tables
        downgrade(directory=str(ROOT / "migrations"), revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_upgrade_drops_the_page_revision_triggers_of_earlier_releases(empty_database_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="c41e7a2d9b10")
        with db.engine.begin() as conn:  # one trigger as an earlier release installed it
            if conn.dialect.name == "sqlite":
                conn.execute(text('CREATE TRIGGER page_revision_touch_insert AFTER INSERT ON touch BEGIN '
                                  'UPDATE "user" SET page_revision = page_revision + 1 WHERE id = NEW.user_id; END'))
            else:
                conn.execute(text("CREATE FUNCTION page_revision_touch_insert() RETURNS trigger LANGUAGE plpgsql "
                                  "AS $$ BEGIN RETURN NULL; END $$"))
                conn.execute(text("CREATE TRIGGER page_revision_touch_insert AFTER INSERT ON touch "
                                  "FOR EACH STATEMENT EXECUTE FUNCTION page_revision_touch_insert()"))
        assert _revision_triggers() == {"page_revision_touch_insert"}
        at = "2026-12-01 12:00:00"
        with db.engine.begin() as conn:  # a user with a customer and a touch pointing at the row
            conn.execute(text("INSERT INTO organization (id, name, created_at) VALUES (1, 'Acme', :at)"), {"at": at})
            conn.execute(text(
                'INSERT INTO "user" (id, organization_id, email, name, password_hash, role, session_token, '
                "timezone, workdays, daily_goal, day_start_hour, evening_hour, quiet_start_hour, quiet_end_hour, "
                "push_muted_kinds, created_at) VALUES (1, 1, 'r@example.com', 'R', 'x', 'rep', 't', 'UTC', "
                "'01234', 3, 3, 18, 21, 8, '', :at)"), {"at": at})
            conn.execute(text("INSERT INTO customer (id, organization_id, owner_id, name, tier, cadence_days, "
                              "created_at, created_day) VALUES (1, 1, 1, 'K', 'A', 7, :at, '2026-12-01')"), {"at": at})
        upgrade(directory=str(ROOT / "migrations"))
        assert _revision_triggers() == set()
        assert "page_revision_xact" not in {c["name"] for c in inspect(db.engine).get_columns("user")}
        with db.engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM customer WHERE owner_id = 1")) == 1
        downgrade(directory=str(ROOT / "migrations"), revision="c41e7a2d9b10")
        assert "page_revision_xact" in {c["name"] for c in inspect(db.engine).get_columns("user")}
        with db.engine.begin() as conn:  # the older downgrades expect empty tables
            for table in ("customer", '"user"', "organization"):
                conn.execute(text(f"DELETE FROM {table}"))
        downgrade(directory=str(ROOT / "migrations"), revision="base")
        db.engine.dispose()


BEFORE_JSON = "f7a9c3e1b2d4"  # the head before workdays, muted kinds, frozen days and payloads became JSON
PAYLOAD = {"title": "Müller AG: 16 days", "body": "Call \"Schmidt\", then lunch", "url": "/customers/1"}


def test_upgrade_turns_the_old_strings_into_json_and_downgrade_restores_them(empty_database_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": empty_database_url})
    at = "2026-12-01 12:00:00"
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision=BEFORE_JSON)
        with db.engine.begin() as conn:  # rows as the previous release wrote them
            conn.execute(text("INSERT INTO organization (id, name, created_at) VALUES (1, 'Acme', :at)"), {"at": at})
            for uid, workdays, muted in ((1, "01234", "quiet_digest,badge_earned"), (2, "6", "")):
                conn.execute(text(
                    'INSERT INTO "user" (id, organization_id, email, name, password_hash, role, session_token, '
                    "timezone, workdays, daily_goal, day_start_hour, evening_hour, quiet_start_hour, "
                    "quiet_end_hour, push_muted_kinds, created_at) VALUES (:id, 1, :email, 'R', 'x', 'rep', 't', "
                    "'UTC', :workdays, 3, 3, 18, 21, 8, :muted, :at)"),
                    {"id": uid, "email": f"r{uid}@example.com", "workdays": workdays, "muted": muted, "at": at})
            for uid, frozen in ((1, "2026-11-11,2026-11-16"), (2, "")):
                conn.execute(text(
                    "INSERT INTO streak_state (user_id, current, longest, freezes, run_of_active, started, "
                    "frozen_days, updated_at) VALUES (:id, 5, 9, 1, 2, :started, :frozen, :at)"),
                    {"id": uid, "started": True, "frozen": frozen, "at": at})
            conn.execute(text(
                "INSERT INTO notification (id, user_id, kind, dedup_key, payload, urgency, ttl, status, attempts, "
                "next_attempt_at, created_at) VALUES (1, 1, 'quiet_digest', '1:quiet_digest:2026-12-01', :payload, "
                "'very-low', 3600, 'pending', 0, :at, :at)"),
                {"payload": json.dumps(PAYLOAD, ensure_ascii=False, separators=(",", ":")), "at": at})

        upgrade(directory=str(ROOT / "migrations"))
        with db.engine.connect() as conn:
            users = conn.execute(select(User.workdays, User.push_muted_kinds).order_by(User.id)).all()
            frozen = conn.scalars(select(StreakState.frozen_days).order_by(StreakState.user_id)).all()
            notification = conn.execute(select(Notification.kind, Notification.urgency, Notification.payload)).one()
        assert [tuple(row) for row in users] == [([0, 1, 2, 3, 4], ["quiet_digest", "badge_earned"]), ([6], [])]
        assert frozen == [["2026-11-11", "2026-11-16"], []]
        assert tuple(notification) == (NudgeKind.quiet_digest, Urgency.very_low, PAYLOAD)
        assert db.session.get(User, 1).workday_set == frozenset({0, 1, 2, 3, 4})
        assert walker_of(db.session.get(StreakState, 1)).frozen_days == [date(2026, 11, 11), date(2026, 11, 16)]
        db.session.remove()

        downgrade(directory=str(ROOT / "migrations"), revision=BEFORE_JSON)
        with db.engine.connect() as conn:
            users = conn.execute(text('SELECT workdays, push_muted_kinds FROM "user" ORDER BY id')).all()
            frozen = conn.scalars(text("SELECT frozen_days FROM streak_state ORDER BY user_id")).all()
            payload = conn.scalar(text("SELECT payload FROM notification"))
        assert [tuple(row) for row in users] == [("01234", "quiet_digest,badge_earned"), ("6", "")]
        assert frozen == ["2026-11-11,2026-11-16", ""]
        assert json.loads(payload) == PAYLOAD
        with db.engine.begin() as conn:  # the older downgrades expect empty tables
            for table in ("notification", "streak_state", '"user"', "organization"):
                conn.execute(text(f"DELETE FROM {table}"))
        downgrade(directory=str(ROOT / "migrations"), revision="base")
        db.engine.dispose()


def test_challenge_results_become_json_with_results_rows_pointing_at_them(empty_database_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": empty_database_url})
    at = "2026-12-01 12:00:00"
    standings = {"reps": [{"user_id": 1, "value": 3}], "team": 3}
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="e3b5f1a0c7d2")
        with db.engine.begin() as conn:  # a finished challenge, as the previous release stored it
            conn.execute(text("INSERT INTO organization (id, name, created_at) VALUES (1, 'Acme', :at)"), {"at": at})
            conn.execute(text("INSERT INTO team (id, organization_id, name, created_at) VALUES (1, 1, 'T', :at)"),
                         {"at": at})
            conn.execute(text(
                'INSERT INTO "user" (id, organization_id, team_id, email, name, password_hash, role, session_token, '
                "timezone, workdays, daily_goal, day_start_hour, evening_hour, quiet_start_hour, quiet_end_hour, "
                "push_muted_kinds, created_at) VALUES (1, 1, 1, 'c@example.com', 'C', 'x', 'coach', 't', 'UTC', "
                "'01234', 3, 3, 18, 21, 8, '', :at)"), {"at": at})
            conn.execute(text(
                "INSERT INTO challenge (id, organization_id, team_id, created_by_id, title, metric, target, starts_at, "
                "ends_at, crisis, created_at, finalized_at, results) VALUES (1, 1, 1, 1, 'Storm', 'coverage', 80, "
                ":at, :at, false, :at, :at, :results)"), {"at": at, "results": json.dumps(standings)})
            conn.execute(text("INSERT INTO challenge_result (id, challenge_id, user_id, value, target, finished) "
                              "VALUES (1, 1, 1, 3, 5, false)"))
        upgrade(directory=str(ROOT / "migrations"))
        with db.engine.connect() as conn:
            assert conn.scalar(select(Challenge.results)) == standings
            assert conn.scalar(text("SELECT count(*) FROM challenge_result")) == 1
        downgrade(directory=str(ROOT / "migrations"), revision="e3b5f1a0c7d2")
        with db.engine.connect() as conn:
            assert json.loads(conn.scalar(text("SELECT results FROM challenge"))) == standings
        with db.engine.begin() as conn:  # the older downgrades expect empty tables
            for table in ("challenge_result", "challenge", '"user"', "team", "organization"):
                conn.execute(text(f"DELETE FROM {table}"))
        downgrade(directory=str(ROOT / "migrations"), revision="base")
        db.engine.dispose()


def _revision_triggers() -> set[str]:
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            found = conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        else:
            found = conn.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
        return {name for name in found if name.startswith("page_revision")}


def test_upgrade_repairs_zones_babel_cannot_use_and_emails_not_in_nfc(empty_database_url):
    import unicodedata

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": empty_database_url})
    at = "2026-12-01 12:00:00"
    nfd = unicodedata.normalize("NFD", "jürgen@example.com")
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="b8d2e6f4a1c3")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO organization (id, name, created_at) VALUES (1, 'Acme', :at)"), {"at": at})
            for user_id, email, zone in ((1, nfd, "Factory"), (2, "a@example.com", "localtime"),
                                         (3, "b@example.com", "Europe/Berlin")):
                conn.execute(text(
                    'INSERT INTO "user" (id, organization_id, email, name, password_hash, role, session_token, '
                    "timezone, daily_goal, day_start_hour, evening_hour, quiet_start_hour, quiet_end_hour, "
                    "created_at) VALUES (:id, 1, :email, 'U', 'x', 'rep', 't', :zone, 3, 3, 18, 21, 8, :at)"),
                    {"id": user_id, "email": email, "zone": zone, "at": at})
        upgrade(directory=str(ROOT / "migrations"), revision="d4c7a9e2f1b6")
        with db.engine.connect() as conn:
            rows = conn.execute(text('SELECT email, timezone FROM "user" ORDER BY id')).all()
        assert [tuple(row) for row in rows] == [
            ("jürgen@example.com", "UTC"), ("a@example.com", "UTC"), ("b@example.com", "Europe/Berlin")]
        with db.engine.begin() as conn:
            conn.execute(text('DELETE FROM "user"'))
            conn.execute(text("DELETE FROM organization"))
        downgrade(directory=str(ROOT / "migrations"), revision="base")
        db.engine.dispose()


def test_upgrade_opens_a_crisis_period_for_every_team_in_crisis(empty_database_url):
    from app.models import CrisisPeriod

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": empty_database_url})
    at = "2026-12-01 12:00:00"
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="9461ff72cbef")
        with db.engine.begin() as conn:  # one team in crisis mode, one calm, as the previous release stored them
            conn.execute(text("INSERT INTO organization (id, name, created_at) VALUES (1, 'Acme', :at)"), {"at": at})
            conn.execute(text("INSERT INTO team (id, organization_id, name, created_at, crisis_since, crisis_reason) "
                              "VALUES (1, 1, 'Storm', :at, :since, 'Strike')"), {"at": at, "since": "2026-11-20 07:40:00"})
            conn.execute(text("INSERT INTO team (id, organization_id, name, created_at) VALUES (2, 1, 'Calm', :at)"),
                         {"at": at})
        upgrade(directory=str(ROOT / "migrations"))
        with db.engine.connect() as conn:
            rows = conn.execute(select(CrisisPeriod.team_id, CrisisPeriod.started_at, CrisisPeriod.ended_at,
                                       CrisisPeriod.reason)).all()
        from datetime import datetime, timezone

        assert [tuple(r) for r in rows] == [(1, datetime(2026, 11, 20, 7, 40, tzinfo=timezone.utc), None, "Strike")]
        downgrade(directory=str(ROOT / "migrations"), revision="9461ff72cbef")
        assert "crisis_period" not in inspect(db.engine).get_table_names()
        with db.engine.begin() as conn:  # the older downgrades expect empty tables
            for table in ("team", "organization"):
                conn.execute(text(f"DELETE FROM {table}"))
        downgrade(directory=str(ROOT / "migrations"), revision="base")
        db.engine.dispose()


def test_storm_weeks_lose_their_stored_texts_and_running_challenges_keep_the_targets_shown(empty_database_url):
    import sqlalchemy as sa

    from app import challenges, clock
    from app.models import UTCDateTime

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": empty_database_url})
    now = clock.now().replace(microsecond=0)
    start, end = now - timedelta(days=2), now + timedelta(days=2)
    people = sa.table("user", *(sa.column(c) for c in (
        "id", "organization_id", "team_id", "email", "name", "password_hash", "role", "session_token", "timezone",
        "daily_goal", "day_start_hour", "evening_hour", "quiet_start_hour", "quiet_end_hour")),
        sa.column("created_at", UTCDateTime()))
    challenge = sa.table("challenge", *(sa.column(c) for c in (
        "id", "organization_id", "team_id", "created_by_id", "title", "description", "metric", "target", "template",
        "crisis")), *(sa.column(c, UTCDateTime()) for c in ("starts_at", "ends_at", "created_at", "finalized_at")))
    storm = challenges.STORM_WEEK
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="4cac131e1fa5")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO organization (id, name, created_at) VALUES (1, 'Acme', :at)"),
                         {"at": "2026-01-01 12:00:00"})
            conn.execute(text("INSERT INTO team (id, organization_id, name, created_at) VALUES (1, 1, 'T', :at)"),
                         {"at": "2026-01-01 12:00:00"})
            for user_id, role, joined in ((1, "coach", start - timedelta(days=9)), (2, "rep", start - timedelta(days=9)),
                                          (3, "rep", now - timedelta(days=1))):
                conn.execute(people.insert().values(
                    id=user_id, organization_id=1, team_id=1, email=f"u{user_id}@example.com", name="U",
                    password_hash="x", role=role, session_token="t", timezone="UTC", daily_goal=3, day_start_hour=3,
                    evening_hour=18, quiet_start_hour=21, quiet_end_hour=8, created_at=joined))
            common = dict(organization_id=1, team_id=1, created_by_id=1, created_at=start, finalized_at=None)
            conn.execute(challenge.insert(), [
                dict(id=1, title=storm.title["de"], description=storm.description["de"], metric="coverage", target=90,
                     template=storm.code, crisis=True, starts_at=start, ends_at=end, **common),
                dict(id=2, title="Our storm", description="Call them all", metric="coverage", target=90,
                     template=storm.code, crisis=True, starts_at=start, ends_at=end, **common),
                dict(id=3, title="Letters", description=None, metric="team_touches", target=20, template=None,
                     crisis=False, starts_at=start, ends_at=end, **common),
                dict(id=4, title="Next week", description=None, metric="team_touches", target=20, template=None,
                     crisis=False, starts_at=end, ends_at=end + timedelta(days=5), **common),
            ])
        upgrade(directory=str(ROOT / "migrations"))
        with db.engine.connect() as conn:
            texts = conn.execute(text("SELECT id, title, description FROM challenge ORDER BY id")).all()
            targets = conn.execute(text("SELECT challenge_id, user_id, target, split FROM challenge_target "
                                        "ORDER BY challenge_id, user_id")).all()
        assert [tuple(row) for row in texts] == [(1, "", None), (2, "Our storm", "Call them all"),
                                                 (3, "Letters", None), (4, "Next week", None)]
        # As the previous release showed them: 20 split between both reps, the joiner's pro-rated (3 of 4 days).
        assert [tuple(row) for row in targets] == [(1, 2, 90, 2), (1, 3, 90, 2), (2, 2, 90, 2), (2, 3, 90, 2),
                                                   (3, 2, 10, 2), (3, 3, 8, 2)]
        downgrade(directory=str(ROOT / "migrations"), revision="4cac131e1fa5")
        with db.engine.connect() as conn:
            assert tuple(conn.execute(text("SELECT title, description FROM challenge WHERE id = 1")).one()) == (
                storm.title["en"], storm.description["en"])
        with db.engine.begin() as conn:  # the older downgrades expect empty tables
            for table in ("challenge", '"user"', "team", "organization"):
                conn.execute(text(f"DELETE FROM {table}"))
        downgrade(directory=str(ROOT / "migrations"), revision="base")
        db.engine.dispose()
