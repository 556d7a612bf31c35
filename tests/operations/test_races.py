"""Caps and switches under concurrency (PostgreSQL): parallel requests never pass a cap or double a switch.

On SQLite a writing request begins ``IMMEDIATE`` and writers take turns anyway; on PostgreSQL
the operations lock the row that owns the count (the user, the team) before they read it.
"""

from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.kinds import Role
from app.models import ApiToken, Challenge, Invite, Team, User
from app.operations import Invalid, crisis, invites, tokens
from support import NOW

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"),
                       reason="row locks are PostgreSQL's; set TEST_DATABASE_URL"),
]


def _at_once(app, count: int, job) -> list:
    """Run *job(session)* in *count* threads at once, each as a writing request; return outcomes."""
    barrier = threading.Barrier(count)
    outcomes: list = []

    def run():
        with app.test_request_context(method="POST"):
            try:
                barrier.wait(timeout=10)
                job(db.session)
                db.session.commit()
                outcomes.append("ok")
            except Invalid:
                db.session.rollback()
                outcomes.append("refused")
            except Exception as exc:  # noqa: BLE001 - reported by the assertion
                db.session.rollback()
                outcomes.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _count(statement) -> int:
    db.session.expire_all()
    return db.session.scalar(statement)


def test_eight_parallel_crisis_switches_start_one_storm_week(app, session, make_user):
    coach = make_user(role=Role.coach)
    session.commit()
    coach_id, team_id = coach.id, coach.team_id  # read here: the threads must not touch this session

    def switch(s):
        crisis.start_crisis(s, s.get(User, coach_id), reason="Lockdown", message=None, now=NOW)

    outcomes = _at_once(app, 8, switch)
    assert outcomes == ["ok"] * 8
    assert _count(select(func.count()).select_from(Challenge)) == 1
    assert _count(select(Team.crisis_since).where(Team.id == team_id)) is not None


def test_sixteen_parallel_tokens_stop_at_the_cap(app, session, make_user):
    rep = make_user()
    for n in range(tokens.MAX_TOKENS - 6):
        tokens.create_token(session, rep, name=f"t{n}", now=NOW)
    session.commit()
    rep_id = rep.id

    outcomes = _at_once(app, 16, lambda s: tokens.create_token(s, s.get(User, rep_id), name="parallel", now=NOW))
    assert sorted(outcomes) == ["ok"] * 6 + ["refused"] * 10
    assert _count(select(func.count()).where(ApiToken.user_id == rep_id)) == tokens.MAX_TOKENS


def test_sixteen_parallel_invites_stop_at_the_cap(app, session, make_user):
    coach = make_user(role=Role.coach)
    for _ in range(invites.MAX_OPEN - 5):
        invites.create_invite(session, coach, now=NOW)
    session.commit()
    coach_id = coach.id

    outcomes = _at_once(app, 16, lambda s: invites.create_invite(s, s.get(User, coach_id), now=NOW))
    assert sorted(outcomes) == ["ok"] * 5 + ["refused"] * 11
    assert _count(select(func.count()).select_from(Invite)) == invites.MAX_OPEN
