"""Points and badges through the client: the toast and HX-Trigger, Today, streak and badge pages, the API."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app.models import BadgeAward
from app.operations import tokens
from app.operations import touches as ops
from support import NOW

HX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/"}


pytestmark = pytest.mark.usefixtures("frozen_clock")  # NOW: Friday 27 Nov 2026, 11:00 in Berlin


@pytest.fixture
def rep(make_user, login):
    """A signed-in rep in Berlin who works every day."""
    user = make_user(workdays=[0, 1, 2, 3, 4, 5, 6], name="Rita Rep")
    login(user)
    return user


@pytest.fixture
def customer(rep, make_customer, session):
    """A customer of the rep, created today."""
    c = make_customer(rep, "Müller AG", tier="A", now=NOW)
    session.commit()
    return c


def log(client, customer, kind="call", headers=HX, **data):
    return client.post("/touches/", data={"customer_id": customer.id, "kind": kind, "next": "/", **data},
                       headers=headers)


def events(response) -> dict:
    return json.loads(response.headers.get("HX-Trigger", "{}"))


def test_htmx_log_fires_badge_earned_exactly_when_a_badge_lands(client, rep, customer):
    first = log(client, customer, "call")
    assert first.status_code == 200
    earned = events(first)["badge-earned"]
    assert (earned["code"], earned["name"], earned["description"]) == (
        "first_touch", "First touch", "Logged your first touch.")
    assert [b["code"] for b in earned["badges"]] == ["first_touch"]
    assert "touch-logged" in events(first)
    second = log(client, customer, "call")
    assert "badge-earned" not in events(second) and "touch-logged" in events(second)


def test_several_badges_at_once_are_all_in_the_event(client, rep, customer):
    earned = events(log(client, customer, "walk"))["badge-earned"]
    assert [b["code"] for b in earned["badges"]] == ["first_touch", "first_dog_walk"]


def test_the_logged_fragment_and_toast_say_what_the_touch_scored(client, rep, customer):
    html = log(client, customer, "coffee").get_data(as_text=True)
    assert "+11 points, with +3 for a new way to reach Müller AG." in html
    assert 'data-testid="logged-points"' in html and 'data-testid="points-note"' in html


def test_a_capped_touch_says_why_it_scored_nothing(client, rep, customer):
    log(client, customer, "call")
    log(client, customer, "email")
    html = log(client, customer, "letter").get_data(as_text=True)
    assert "3rd touch to Müller AG this week — no points, give them some room." in html


def test_the_cap_message_in_german(client, session, rep, customer):
    rep.locale = "de"
    session.commit()
    log(client, customer, "call")
    log(client, customer, "email")
    response = log(client, customer, "letter")
    assert "badge-earned" not in events(response)
    assert "3. Kontakt mit Müller AG diese Woche – keine Punkte, lass ihnen etwas Luft." in response.get_data(as_text=True)


def test_badge_names_in_the_event_follow_the_users_language(client, session, rep, customer):
    rep.locale = "de"
    session.commit()
    assert events(log(client, customer, "call"))["badge-earned"]["name"] == "Erster Kontakt"


def test_without_javascript_the_badge_and_the_points_are_flashed(client, rep, customer):
    response = log(client, customer, "coffee", headers={})
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "New badge: First touch — Logged your first touch." in page
    assert "New badge: Coffee and cake" in page
    assert "+11 points, with +3 for a new way to reach Müller AG." in page


def test_an_htmx_edit_that_earns_a_badge_fires_the_event(client, session, rep, customer):
    touch = ops.log_touch(session, user=rep, customer_id=customer.id, kind="call", now=NOW).touch
    session.commit()
    response = client.post(f"/touches/{touch.id}/edit", data={"kind": "visit", "direction": "out"}, headers=HX)
    assert response.status_code == 200
    assert events(response)["badge-earned"]["code"] == "on_the_doorstep"


def test_today_shows_todays_and_this_weeks_points(client, session, rep, customer, make_customer):
    log(client, customer, "coffee")  # 11 today
    log(client, make_customer(rep, now=NOW), "call", days_back="2")  # 7 on Wednesday
    html = client.get("/").get_data(as_text=True)
    assert "11 points today" in html and "18 this week" in html
    assert 'href="/badges"' in html
    fragment = client.get("/?part=summary", headers=HX).get_data(as_text=True)
    assert "11 points today" in fragment


def test_the_streak_page_has_a_points_card_and_links_the_badges(client, rep, customer):
    log(client, customer, "coffee")
    html = client.get("/streak").get_data(as_text=True)
    assert 'data-testid="points-card"' in html
    assert 'data-testid="points-total">11<' in html
    assert 'href="/badges"' in html


def test_the_badge_page_shows_earned_with_date_and_locked_with_progress(client, session, rep, customer):
    for _ in range(7):
        log(client, customer, "letter")
    html = client.get("/badges").get_data(as_text=True)
    assert html.count('data-testid="badge-earned"') == 1  # first touch (Pen pal needs 10)
    assert "Earned on November 27, 2026" in html
    assert 'data-code="ten_letters"' in html
    assert "7/10 letters" in html and '<progress max="10" value="7"' in html
    assert "Locked" in html
    assert "<svg" in html  # icons, inline
    assert html.count('data-testid="badge-locked"') == 18


def test_the_badge_page_in_german(client, session, rep, customer):
    rep.locale = "de"
    session.commit()
    log(client, customer, "letter")
    html = client.get("/badges").get_data(as_text=True)
    assert "Erster Kontakt" in html and "1/10 Briefe" in html


def test_the_badge_page_needs_a_sign_in(app):
    response = app.test_client().get("/badges")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- API ---------------------------------------------------------------------------------------


@pytest.fixture
def token(session, rep):
    """A bearer token of the rep."""
    new = tokens.create_token(session, rep, name="Phone", now=NOW)
    session.commit()
    return new.plaintext


def test_api_touch_answers_points_and_badges_and_a_replay_the_same_points(client, rep, token, customer):
    from views.test_api import call

    body = {"customer_id": customer.id, "kind": "coffee", "client_id": "api-1"}
    first = call(client, "POST", "/touches", token=token, json=body).get_json()
    assert first["points"] == {"points": 11, "reason": "variety"}
    assert first["badges"] == [{"code": "first_touch", "name": "First touch"},
                               {"code": "coffee_and_cake", "name": "Coffee and cake"}]
    again = call(client, "POST", "/touches", token=token, json=body)
    assert again.status_code == 200
    assert again.get_json()["points"] == {"points": 11, "reason": "variety"}
    assert again.get_json()["badges"] == []


def test_api_capped_touch_scores_zero_with_reason_cap(client, rep, token, customer):
    from views.test_api import call

    for kind in ("call", "email"):
        call(client, "POST", "/touches", token=token, json={"customer_id": customer.id, "kind": kind})
    third = call(client, "POST", "/touches", token=token, json={"customer_id": customer.id, "kind": "visit"})
    assert third.get_json()["points"] == {"points": 0, "reason": "cap"}


def test_api_me_adds_points_and_earned_badges(client, session, rep, token, customer):
    from views.test_api import call

    call(client, "POST", "/touches", token=token, json={"customer_id": customer.id, "kind": "walk"})
    session.add(BadgeAward(user_id=rep.id, code="retired_badge", awarded_at=NOW, local_day=NOW.date()))
    session.commit()
    body = call(client, "GET", "/me", token=token).get_json()
    assert body["points"] == {"today": 11, "week": 11, "total": 11}
    assert {b["code"] for b in body["badges"]} == {"first_touch", "first_dog_walk"}  # unknown codes left out
    assert all(b["awarded_at"] in ("2026-11-27T10:00:00Z",) for b in body["badges"])


def test_api_me_names_badges_in_the_users_language(client, session, rep, token, customer):
    from views.test_api import call

    rep.locale = "de"
    session.commit()
    call(client, "POST", "/touches", token=token, json={"customer_id": customer.id, "kind": "call"})
    assert call(client, "GET", "/me", token=token).get_json()["badges"] == [
        {"code": "first_touch", "name": "Erster Kontakt", "awarded_at": "2026-11-27T10:00:00Z"}]


def test_openapi_lists_every_badge_code(client):
    from app import badges

    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert schemas["BadgeCode"]["enum"] == list(badges.BADGES)
    assert schemas["TouchPoints"]["properties"]["reason"]["enum"] == ["base", "variety", "inbound", "cap"]


def test_a_deleted_touch_drops_out_of_todays_points(client, session, rep, customer):
    log(client, customer, "coffee")
    touch_id = session.query(BadgeAward).filter_by(user_id=rep.id, code="first_touch").one().touch_id
    assert client.post(f"/touches/{touch_id}/delete", headers=HX).status_code == 200
    assert "0 points today" in client.get("/").get_data(as_text=True)
    assert "badge-earned" not in events(log(client, customer, "coffee"))  # badges are kept, not re-awarded


def test_points_shown_today_use_the_reps_local_week(client, session, make_user, login, make_customer):
    # 10:00 UTC on Friday is already Saturday 00:00 in Kiritimati (UTC+14) — with day start 3,
    # still Friday there; the week is the same ISO week either way.
    rep = make_user(timezone="Pacific/Kiritimati", workdays=[0, 1, 2, 3, 4, 5, 6])
    login(rep)
    customer = make_customer(rep, now=NOW - timedelta(days=1))
    session.commit()
    log(client, customer, "call")
    assert "7 points today" in client.get("/").get_data(as_text=True)
