"""The settings page through the test client: form, 422s, language, password, API tokens."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app import clock
from app.models import ApiToken
from app.operations import tokens
from support import PASSWORD

FORM = {
    "name": "Rita Rep", "timezone": "America/New_York", "locale": "en", "workdays": ["0", "1", "2", "3"],
    "daily_goal": "4", "day_start_hour": "2", "evening_hour": "17", "quiet_start_hour": "22",
    "quiet_end_hour": "7",
}


@pytest.fixture
def rep(make_user):
    return make_user(name="Rita", timezone="Europe/Berlin")


def test_settings_need_sign_in(client):
    response = client.get("/settings/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_settings_page_shows_the_current_values(client, login, rep):
    login(rep)
    response = client.get("/settings/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'value="Rita"' in html
    assert '<option value="Europe/Berlin" selected>' in html
    assert html.count("<option value=\"") > 400  # every IANA zone is offered
    zones = re.findall(r'<option value="([A-Za-z_]+/[^"]+)"', html)
    assert zones == sorted(zones)
    assert html.index("> Monday<") < html.index("> Tuesday<") < html.index("> Sunday<")
    assert ">localtime<" not in html
    assert re.search(r'value="0" checked> Monday', html) and re.search(r'value="5" > Saturday', html)
    assert "count for the day before" in html
    assert 'href="/settings/" aria-current="page"' in html


def test_saving_valid_settings_redirects_and_keeps_them(client, login, rep, session):
    login(rep)
    response = client.post("/settings/", data=FORM)
    assert response.status_code == 303
    session.refresh(rep)
    assert (rep.name, rep.timezone, rep.workdays, rep.daily_goal) == ("Rita Rep", "America/New_York", [0, 1, 2, 3], 4)
    assert (rep.day_start_hour, rep.evening_hour, rep.quiet_start_hour, rep.quiet_end_hour) == (2, 17, 22, 7)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Settings saved." in html and '<option value="America/New_York" selected>' in html


def test_bad_settings_get_422_per_field_and_save_nothing(client, login, rep, session):
    login(rep)
    response = client.post("/settings/", data={**FORM, "workdays": [], "daily_goal": "0",
                                                "timezone": "Mars/Olympus", "day_start_hour": "24"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Nothing was saved." in html
    for field in ("workdays", "daily_goal", "timezone", "day_start_hour"):
        assert f'id="{field}-error"' in html, field
    assert "Pick at least one workday." in html
    assert "Unknown time zone. Please pick one from the list." in html
    assert 'value="Rita Rep"' in html  # what was typed stays in the form
    session.refresh(rep)
    assert (rep.name, rep.timezone, rep.workdays) == ("Rita", "Europe/Berlin", [0, 1, 2, 3, 4])


def test_quiet_hours_crossing_midnight_are_fine_but_a_reminder_inside_them_is_not(client, login, rep, session):
    login(rep)
    response = client.post("/settings/", data={**FORM, "evening_hour": "23"})
    assert response.status_code == 422
    assert "quiet hours, so it would never arrive" in response.get_data(as_text=True)


def test_switching_the_language_changes_the_ui_at_once(client, login, rep):
    login(rep)
    response = client.post("/settings/", data={**FORM, "locale": "de"}, follow_redirects=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="de">' in html
    assert "Montag" in html and "Sonntag" in html
    response = client.post("/settings/", data={**FORM, "locale": "en"}, follow_redirects=True)
    assert '<html lang="en">' in response.get_data(as_text=True)


def test_the_browser_language_applies_when_none_is_chosen(client, login, rep):
    login(rep)
    client.post("/settings/", data={**FORM, "locale": ""})
    html = client.get("/settings/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="de">' in html


def test_an_htmx_boosted_post_gets_the_whole_page(client, login, rep):
    login(rep)
    response = client.post("/settings/", data={**FORM, "daily_goal": "99"},
                           headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert response.status_code == 422
    assert "<html" in response.get_data(as_text=True)


# -- Password -------------------------------------------------------------------------------------

def test_changing_the_password_ends_other_sessions_but_keeps_this_one(app, client, login, rep):
    login(rep)
    laptop = app.test_client()
    assert laptop.post("/login", data={"email": rep.email, "password": PASSWORD}).status_code == 302
    response = client.post("/settings/password", data={
        "current_password": PASSWORD, "new_password": "a brand new secret", "confirm_password": "a brand new secret",
    })
    assert response.status_code == 303
    assert client.get("/settings/").status_code == 200
    assert laptop.get("/settings/").status_code == 302
    cookie_only = app.test_client()
    cookie_only.set_cookie("remember_token", client.get_cookie("remember_token").value)
    assert cookie_only.get("/settings/").status_code == 200  # this device's remember cookie was renewed
    client.post("/logout")
    assert app.test_client().post("/login", data={"email": rep.email, "password": PASSWORD}).status_code == 422
    assert app.test_client().post(
        "/login", data={"email": rep.email, "password": "a brand new secret"}).status_code == 302


def test_a_wrong_current_password_gets_422(client, login, rep, session):
    login(rep)
    hashed = rep.password_hash
    response = client.post("/settings/password", data={
        "current_password": "not my password", "new_password": "a brand new secret",
        "confirm_password": "a brand new secret",
    })
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Your current password is not right." in html and 'id="current_password-error"' in html
    session.refresh(rep)
    assert rep.password_hash == hashed
    assert client.get("/settings/").status_code == 200


# -- API tokens -----------------------------------------------------------------------------------

def test_creating_a_token_shows_it_once(client, login, rep, session):
    login(rep)
    response = client.post("/settings/tokens", data={"name": "Phone"})
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    plain = re.search(r'id="new-token-value"[^>]*value="(tb_[^"]+)"', html).group(1)
    assert "it will not be shown again" in html
    later = client.get("/settings/").get_data(as_text=True)
    assert plain not in later
    assert "Phone" in later and plain[:10] in later and "never used" in later
    assert tokens.user_for_token(session, plain, now=clock.now()).id == rep.id


def test_a_used_token_shows_when_it_was_last_used(client, login, rep, session):
    new = tokens.create_token(session, rep, name="CRM sync", now=clock.now())
    tokens.user_for_token(session, new.plaintext, now=clock.now())
    login(rep)
    assert "last used" in client.get("/settings/").get_data(as_text=True)


def test_creating_a_token_over_htmx_returns_the_section(client, login, rep):
    login(rep)
    response = client.post("/settings/tokens", data={"name": "Phone"}, headers={"HX-Request": "true"})
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith('<section class="card" id="tokens"')


def test_a_token_without_a_name_gets_422(client, login, rep, session):
    login(rep)
    response = client.post("/settings/tokens", data={"name": "  "}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "Please name the token" in response.get_data(as_text=True)
    assert session.scalar(select(ApiToken)) is None


def test_revoking_an_own_token(client, login, rep, session):
    new = tokens.create_token(session, rep, name="Phone", now=clock.now())
    login(rep)
    response = client.post(f"/settings/tokens/{new.token.id}/revoke")
    assert response.status_code == 303
    assert tokens.user_for_token(session, new.plaintext, now=clock.now()) is None
    assert "No tokens yet." in client.get("/settings/").get_data(as_text=True)


def test_revoking_over_htmx_returns_the_section(client, login, rep, session):
    new = tokens.create_token(session, rep, name="Phone", now=clock.now())
    login(rep)
    response = client.post(f"/settings/tokens/{new.token.id}/revoke", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and "Token revoked." in html


def test_revoking_another_users_token_is_404(client, login, rep, make_user, session):
    neighbour = make_user(team=rep.team)
    foreign = tokens.create_token(session, neighbour, name="Theirs", now=clock.now())
    login(rep)
    assert client.post(f"/settings/tokens/{foreign.token.id}/revoke").status_code == 404
    assert client.post("/settings/tokens/999999/revoke").status_code == 404
    assert tokens.user_for_token(session, foreign.plaintext, now=clock.now()).id == neighbour.id
