"""Moments through the client: HX-Trigger ``celebrate`` for a streak milestone, the daily goal and new
badges; a flash without JavaScript; the same moments in the API's answer."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import Touch
from support import NOW

HX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/"}

pytestmark = pytest.mark.usefixtures("frozen_clock")  # NOW: Friday 27 Nov 2026, 11:00 in Berlin


@pytest.fixture
def rep(make_user, login):
    """A signed-in rep in Berlin with a daily goal of 2."""
    user = make_user(daily_goal=2, name="Rita Rep")
    login(user)
    return user


@pytest.fixture
def customer(rep, make_customer, session):
    """A customer of the rep, touched by nobody for three days (not quiet: no rescue badge)."""
    c = make_customer(rep, "Müller AG", tier="A", now=NOW - timedelta(days=3))
    session.commit()
    return c


def log(client, customer, kind="call", headers=HX, **data):
    return client.post("/touches/", data={"customer_id": customer.id, "kind": kind, "next": "/", **data},
                       headers=headers)


def celebrated(response) -> list[dict]:
    return json.loads(response.headers.get("HX-Trigger", "{}")).get("celebrate", {}).get("moments", [])


def test_the_touch_that_reaches_the_daily_goal_is_celebrated_once(client, rep, customer):
    first = celebrated(log(client, customer))
    assert [m["kind"] for m in first] == ["badge"]  # the first touch badge, but no goal yet
    assert first[0]["title"] == "New badge: First touch"
    second = celebrated(log(client, customer, "email"))
    goal = [m for m in second if m["kind"] == "goal"]
    assert goal == [{"kind": "goal", "goal": 2, "title": "Daily goal reached!",
                     "text": "2 touches today — that is your goal."}]
    assert not [m for m in celebrated(log(client, customer, "letter")) if m["kind"] == "goal"]


def test_undo_and_log_again_does_not_celebrate_the_goal_twice(client, session, rep, customer):
    log(client, customer)
    reached = log(client, customer, "email")
    assert [m["kind"] for m in celebrated(reached)] == ["goal"]
    touch_id = session.scalar(select(Touch.id).where(Touch.user_id == rep.id).order_by(Touch.id.desc()).limit(1))
    undone = client.post(f"/touches/{touch_id}/undo", data={"next": "/"}, headers=HX)
    assert undone.status_code == 200
    assert celebrated(log(client, customer, "email")) == []


def test_the_third_day_in_a_row_is_a_streak_milestone(client, rep, customer):
    log(client, customer, days_back="2")
    log(client, customer, "email", days_back="1")
    moments = celebrated(log(client, customer, "letter"))
    streak = [m for m in moments if m["kind"] == "streak"]
    assert streak == [{"kind": "streak", "days": 3, "title": "3-day streak!",
                       "text": "Day after day, your customers hear from you. Keep the flame going."}]


def test_moments_speak_the_reps_language(client, session, rep, customer):
    rep.locale = "de"
    session.commit()
    log(client, customer)
    goal = [m for m in celebrated(log(client, customer, "email")) if m["kind"] == "goal"][0]
    assert goal["title"] == "Tagesziel erreicht!"
    assert goal["text"] == "2 Kontakte heute – dein Tagesziel."


def test_without_javascript_the_goal_is_flashed(client, rep, customer):
    log(client, customer, headers={})
    response = log(client, customer, "email", headers={})
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "Daily goal reached! 2 touches today — that is your goal." in page


def test_nothing_to_celebrate_sends_no_celebrate_event(client, rep, customer):
    log(client, customer)
    log(client, customer, "email")
    response = log(client, customer, "letter")
    assert "celebrate" not in json.loads(response.headers.get("HX-Trigger", "{}"))
