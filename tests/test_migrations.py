"""Migrations and models agree: `flask db upgrade` on an empty database gives the models' schema."""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app import ROOT, create_app
from app.extensions import db


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
        upgrade(directory=str(ROOT / "migrations"))
        assert _revision_triggers() == set()
        assert "page_revision_xact" not in {c["name"] for c in inspect(db.engine).get_columns("user")}
        downgrade(directory=str(ROOT / "migrations"), revision="base")
        db.engine.dispose()


def _revision_triggers() -> set[str]:
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            found = conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        else:
            found = conn.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
        return {name for name in found if name.startswith("page_revision")}
