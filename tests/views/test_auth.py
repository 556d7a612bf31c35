"""Sign up, sign in, sign out through the browser's eyes: pages, 422s, cookies, rate limits."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db, limiter
from app.kinds import Role
from app.models import Organization, Team, User
from support import PASSWORD


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _set_cookies(response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


# -- Register -------------------------------------------------------------------------------------

def test_register_page_offers_a_time_zone_picker_the_browser_fills(client):
    html = client.get("/register").get_data(as_text=True)
    assert 'name="timezone"' in html
    assert "data-browser-timezone" in html
    assert '<option value="Europe/Berlin"' in html
    assert '<option value="America/Argentina/Buenos_Aires"' in html


def test_register_creates_organisation_team_and_admin_and_signs_in(client, session):
    response = client.post("/register", data={
        "name": "Ada Coach", "organization": "Müller Vertrieb", "email": "Ada@Example.com",
        "password": PASSWORD, "timezone": "Europe/Berlin",
    }, headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/customers/new")
    user = session.scalar(select(User))
    assert user.email == "ada@example.com"
    assert user.role == Role.admin and user.is_coach
    assert user.timezone == "Europe/Berlin"
    assert user.locale == "de"
    assert user.organization.name == "Müller Vertrieb"
    assert user.team.name == "Müller Vertrieb" and user.team.organization_id == user.organization_id
    assert client.get("/settings/").status_code == 200


def test_register_without_a_browser_zone_falls_back_to_utc(client, session):
    response = client.post("/register", data={
        "name": "Ada", "organization": "Acme", "email": "ada@example.com", "password": PASSWORD, "timezone": "",
    })
    assert response.status_code == 302
    assert session.scalar(select(User.timezone)) == "UTC"


def test_register_reports_every_bad_field_at_once_and_writes_nothing(client, session):
    response = client.post("/register", data={
        "name": "", "organization": "  ", "email": "not-an-address", "password": "short", "timezone": "Mars/Olympus",
    })
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for field in ("name", "organization", "email", "password", "timezone"):
        assert f'id="{field}-error"' in html, field
    assert "Please enter a valid e-mail address." in html
    assert "Use at least 10 characters." in html
    assert "Unknown time zone" in html
    assert 'value="not-an-address"' in html  # what was typed is kept
    assert _count(session, Organization) == 0 and _count(session, User) == 0


def test_register_with_a_taken_email_is_refused_without_naming_it_and_creates_no_second_organisation(
    client, session, make_user
):
    make_user(email="taken@example.com")
    session.commit()
    response = client.post("/register", data={
        "name": "Bob", "organization": "Other", "email": "TAKEN@example.com", "password": PASSWORD, "timezone": "UTC",
    })
    assert response.status_code == 422
    assert "We could not create an account with these details." in response.get_data(as_text=True)
    assert "already exists" not in response.get_data(as_text=True)
    assert _count(session, Organization) == 1 and _count(session, Team) == 1


def test_register_when_signed_in_goes_to_today(client, login, make_user):
    login(make_user())
    assert client.get("/register").status_code == 302


# -- Login ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("email, password", [
    ("known", "wrong password!"),
    ("nobody@example.com", PASSWORD),
])
def test_wrong_credentials_get_422_with_one_message_for_both_cases(client, make_user, session, email, password):
    user = make_user()
    session.commit()
    response = client.post("/login", data={"email": user.email if email == "known" else email, "password": password})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "E-mail or password is wrong." in html
    assert "remember_token" not in _set_cookies(response)
    assert client.get("/settings/").status_code == 302


def test_empty_login_form_gets_422(client):
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 422
    assert "Please enter your e-mail and password." in response.get_data(as_text=True)


def test_login_follows_a_local_next(client, make_user, session):
    user = make_user()
    session.commit()
    response = client.post("/login?next=/settings/%23tokens", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings/#tokens"


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "/\t/evil.example", "/\n/evil.example",
    "javascript:alert(1)", "",
])
def test_login_never_redirects_off_site(client, make_user, session, target):
    user = make_user()
    session.commit()
    response = client.post("/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_page_redirects_a_signed_in_user(client, login, make_user):
    login(make_user())
    assert client.get("/login").status_code == 302


def test_email_is_matched_case_insensitively(client, make_user, session):
    make_user(email="mixed@example.com")
    session.commit()
    response = client.post("/login", data={"email": "  MIXED@Example.COM ", "password": PASSWORD})
    assert response.status_code == 302


# -- Cookies and logout ---------------------------------------------------------------------------

def test_login_sets_httponly_samesite_cookies(client, make_user, session):
    user = make_user()
    session.commit()
    cookies = _set_cookies(client.post("/login", data={"email": user.email, "password": PASSWORD}))
    assert "remember_token" in cookies and "session" in cookies
    for name in ("remember_token", "session"):
        assert "HttpOnly" in cookies[name], cookies[name]
        assert "SameSite=Lax" in cookies[name], cookies[name]


def test_logout_rotates_the_session_token(client, login, make_user, session):
    user = make_user()
    login(user)
    before = user.session_token
    response = client.post("/logout")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    session.refresh(user)
    assert user.session_token != before
    assert client.get("/settings/").status_code == 302


def test_a_copied_session_cookie_stops_working_after_logout(app, client, login, make_user):
    login(make_user())
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    assert thief.get("/settings/").status_code == 200  # the copy works while the user is signed in
    client.post("/logout")
    response = thief.get("/settings/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_copied_remember_cookie_stops_working_after_logout(app, client, login, make_user):
    login(make_user())
    remember = client.get_cookie("remember_token")
    assert remember is not None
    thief = app.test_client()
    thief.set_cookie("remember_token", remember.value)
    assert thief.get("/settings/").status_code == 200  # a remember cookie alone signs in
    client.post("/logout")
    fresh_thief = app.test_client()
    fresh_thief.set_cookie("remember_token", remember.value)
    assert fresh_thief.get("/settings/").status_code == 302
    thief.delete_cookie("remember_token")
    assert thief.get("/settings/").status_code == 302  # the session it was given died, too


def test_logout_clears_the_remember_cookie(client, login, make_user):
    login(make_user())
    cookies = _set_cookies(client.post("/logout"))
    assert "remember_token" in cookies
    assert "Expires=Thu, 01 Jan 1970" in cookies["remember_token"] or "Max-Age=0" in cookies["remember_token"]


def test_logout_needs_a_post(client, login, make_user):
    login(make_user())
    assert client.get("/logout").status_code == 405
    assert client.get("/settings/").status_code == 200


# -- Rate limit -----------------------------------------------------------------------------------

@pytest.fixture
def limited_client(app, database_url):
    """A client of a fresh app with the rate limiter on (the shared test app has it off)."""
    # The limiter is one module-level object whose ``enabled`` flag the last init_app wrote,
    # so put it back for the other tests.
    saved = limiter.enabled
    fresh = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "10 per minute",
    })
    try:
        yield fresh.test_client()
    finally:
        limiter.enabled = saved
        with fresh.app_context():
            db.session.remove()
            db.engine.dispose()


def test_the_eleventh_login_attempt_in_a_minute_gets_a_friendly_429(limited_client):
    for attempt in range(10):
        response = limited_client.post("/login", data={"email": "x@example.com", "password": "wrong password"})
        assert response.status_code == 422, attempt
    response = limited_client.post("/login", data={"email": "x@example.com", "password": "wrong password"})
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "<html" in html and "Too many attempts. Please wait a minute and try again." in html
    assert int(response.headers["Retry-After"]) > 0
    assert limited_client.get("/login").status_code == 200  # reading the page is not limited


def test_join_posts_are_rate_limited_too(limited_client):
    for _attempt in range(10):
        limited_client.post("/join/unknown-token", data={"name": "x"})
    assert limited_client.post("/join/unknown-token", data={"name": "x"}).status_code == 429
