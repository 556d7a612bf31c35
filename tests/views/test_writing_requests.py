"""Which requests begin their SQLite transaction as a writer (BEGIN IMMEDIATE) and which as a reader."""

from datetime import timedelta

import pytest
from sqlalchemy import event

from app import clock
from app.database import writing_request
from app.extensions import db
from app.kinds import Role
from app.models import Challenge

from support import NOW


@pytest.mark.parametrize(("method", "path", "headers", "expected"), [
    ("GET", "/customers/", {}, False),
    ("HEAD", "/customers/", {}, False),
    ("POST", "/customers/", {}, True),
    ("DELETE", "/api/v1/customers/1", {}, True),
    ("GET", "/challenges/7", {}, True),  # showing a challenge fixes its targets
    ("GET", "/challenges/", {}, False),
    ("GET", "/api/v1/customers", {"Authorization": "Bearer tb_x"}, True),  # keeps the token's last use
    ("GET", "/api/v1/customers", {"Authorization": "Basic eDp5"}, False),
])
def test_writing_requests_are_told_by_method_view_and_token(app, method, path, headers, expected):
    with app.test_request_context(path, method=method, headers=headers):
        assert writing_request() is expected


def test_outside_a_request_nothing_writes(app):
    assert writing_request() is False


@pytest.fixture
def begins(app):
    """Record the BEGIN statements the engine sends."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if statement.upper().startswith("BEGIN"):
            seen.append(statement.upper())

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def test_a_challenge_page_takes_the_write_lock_up_front_on_sqlite(app, client, login, make_user, make_org, session,
                                                                  monkeypatch, begins):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    coach = make_user(team=make_org(), role=Role.coach)
    rep = make_user(team=coach.team)
    rep.created_at = NOW - timedelta(days=30)
    challenge = Challenge(organization_id=coach.organization_id, team_id=coach.team_id, created_by_id=coach.id,
                          title="Push week", metric="team_touches", target=4, starts_at=NOW - timedelta(days=1),
                          ends_at=NOW + timedelta(days=2), created_at=NOW - timedelta(days=1))
    session.add(challenge)
    login(coach)
    path = f"/challenges/{challenge.id}"
    session.rollback()  # the test shares the request's session: end its transaction so the request begins one
    begins.clear()
    assert client.get(path).status_code == 200
    session.rollback()
    list_begins = len(begins)
    assert client.get("/challenges/").status_code == 200
    if db.engine.dialect.name == "sqlite":
        assert begins[:list_begins] and set(begins[:list_begins]) == {"BEGIN IMMEDIATE"}
        assert begins[list_begins:] and set(begins[list_begins:]) == {"BEGIN"}
    else:  # PostgreSQL begins implicitly; the lock comes from the row lock in fix_targets
        assert begins == []
