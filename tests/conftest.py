"""Shared fixtures: the app on SQLite (default) or PostgreSQL (``TEST_DATABASE_URL``), factories."""

from __future__ import annotations

import contextlib
import itertools
import os
from datetime import datetime

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import event, text

from app import clock, create_app
from app.extensions import db as _db
from app.kinds import Role
from app.models import Customer, Organization, Team, User
from app.operations import accounts
from app.operations.customers import CustomerInput, create_customer

from support import NOW, PASSWORD, csrf_token_from  # noqa: F401  (re-exported for tests)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """Return the test database URL: PostgreSQL when configured, else a fresh SQLite file."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


@pytest.fixture(scope="session")
def _app(database_url, tmp_path_factory):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SERVER_NAME": None,
            # Mail goes into files here; the mail tests point it at a real SMTP server (smtp_server).
            "MAIL_BACKEND": "file",
            "MAIL_FILE_PATH": str(tmp_path_factory.mktemp("mail")),
        }
    )
    app.test_client_class = FreshGClient
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    return app


def _wipe() -> None:
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    if _db.engine.dialect.name == "postgresql":
        _db.session.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            _db.session.execute(text(f'DELETE FROM "{table}"'))
    _db.session.commit()


@pytest.fixture
def app(_app):
    """The application, with an empty database for every test."""
    _app.config.update(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    with _app.app_context():
        yield _app
        _db.session.rollback()
        _wipe()
        _db.session.remove()


class FrozenClock:
    """The app's clock, stopped at ``now`` (NOW unless a test moves it)."""

    def __init__(self, now: datetime = NOW):
        self.now = now

    def advance(self, **delta) -> datetime:
        """Move the clock on by a ``timedelta(**delta)``; return the new time."""
        from datetime import timedelta

        self.now = self.now + timedelta(**delta)
        return self.now


@pytest.fixture
def frozen_clock(monkeypatch) -> FrozenClock:
    """Stop ``app.clock.now`` at NOW (Friday 27 Nov 2026, 11:00 in Berlin); set ``.now`` to move it."""
    frozen = FrozenClock()
    monkeypatch.setattr(clock, "now", lambda: frozen.now)
    return frozen


_TRANSACTION_CONTROL = frozenset({"BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT"})


@pytest.fixture
def count_queries(app):
    """Return a context manager that records the SQL statements run inside it (transaction control aside)."""

    @contextlib.contextmanager
    def counting():
        statements: list[str] = []

        def record(_conn, _cursor, statement, *_args):
            if statement.split(None, 1)[0].upper() not in _TRANSACTION_CONTROL:
                statements.append(statement)

        engine = _db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    """The database session of the app context."""
    return _db.session


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One argon2 hash, shared by all factory users (hashing is slow on purpose)."""
    return accounts.hash_password(PASSWORD)


_seq = itertools.count(1)


@pytest.fixture
def make_org(session):
    """Factory: an organisation with one team."""

    def make(name: str | None = None) -> Team:
        org = Organization(name=name or f"Org {next(_seq)}", created_at=NOW)
        team = Team(organization=org, name=org.name, created_at=NOW)
        session.add_all([org, team])
        session.flush()
        return team

    return make


@pytest.fixture
def make_user(session, make_org, password_hash):
    """Factory: a user (rep by default) in a given team, or in a new organisation."""

    def make(*, team: Team | None = None, role: Role = Role.rep, timezone: str = "Europe/Berlin",
             name: str | None = None, email: str | None = None, **settings) -> User:
        team = team or make_org()
        n = next(_seq)
        user = User(
            organization_id=team.organization_id,
            team_id=team.id,
            email=email or f"user{n}@example.com",
            name=name or f"User {n}",
            password_hash=password_hash,
            role=role,
            session_token=accounts.new_session_token(),
            timezone=timezone,
            created_at=NOW,
            **settings,
        )
        session.add(user)
        session.flush()
        return user

    return make


@pytest.fixture
def make_customer(session):
    """Factory: a customer owned by a rep."""

    def make(owner: User, name: str | None = None, *, now: datetime = NOW, **fields) -> Customer:
        data = CustomerInput(name=name or f"Customer {next(_seq)}", **fields)
        return create_customer(session, owner=owner, data=data, now=now)

    return make


@pytest.fixture
def login(client, session):
    """Sign a user in through the login form."""

    def do(user: User, password: str = PASSWORD):
        session.commit()
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return do


class FreshGClient(FlaskClient):
    """A test client whose every request sees an empty ``flask.g``, as on a real server.

    The ``app`` fixture keeps one app context pushed for the whole test, and Flask reuses it for
    the client's requests, so ``g`` would otherwise carry Flask-Login's cached user, the CSRF
    token and Flask-Limiter's state from one request (and one client) to the next.
    """

    def open(self, *args, **kwargs):  # noqa: D102
        if not has_app_context():
            return super().open(*args, **kwargs)
        saved = dict(g.__dict__)
        g.__dict__.clear()
        try:
            return super().open(*args, **kwargs)
        finally:
            g.__dict__.clear()
            g.__dict__.update(saved)


@pytest.fixture
def push_service(app):
    """A fake push service on 127.0.0.1, with the app allowed to send to it (plain http)."""
    from fake_push import FakePushService

    from app.push import vapid

    saved = {name: app.config[name] for name in ("PUSH_ENDPOINT_HOSTS", "PUSH_ALLOW_HTTP", "PUSH_TIMEOUT")}
    app.config.update(PUSH_ENDPOINT_HOSTS=["127.0.0.1"], PUSH_ALLOW_HTTP=True, PUSH_TIMEOUT=5.0)
    with FakePushService() as service:
        yield service
    app.config.update(saved)
    app.extensions.pop(vapid._EXTENSION, None)


@pytest.fixture
def smtp_server(app):
    """A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port; the app sends its mail there."""
    from smtp_server import SMTPServer, mail_to

    with SMTPServer() as server, mail_to(app, server.port):
        yield server


@pytest.fixture
def mail_down(app):
    """The app's mail server is down: nothing listens on its port, so connecting is refused."""
    from smtp_server import closed_port, mail_to

    with mail_to(app, closed_port()):
        yield
