"""Security: headers and CSP, htmx under a strict CSP, cookies (``__Host-`` in production),
sessions that end, ``no-store`` on signed-in pages, and no account enumeration."""

from __future__ import annotations

import json
import re
import statistics
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import create_app
from app.push import vapid
from app.extensions import db
from app.kinds import Role
from app.models import Organization, User
from support import PASSWORD, PRODUCTION_MAIL, csrf_token_from

ROOT = Path(__file__).resolve().parents[2]
HTTPS = "https://localhost"


def set_cookies(response) -> dict[str, str]:
    """Return the response's Set-Cookie headers by cookie name."""
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


def csp_directives(response) -> dict[str, list[str]]:
    """Return the Content-Security-Policy of *response* as directive -> sources."""
    policy = response.headers["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


# -- Headers --------------------------------------------------------------------------------------

def test_csp_allows_only_own_scripts_and_styles_and_no_framing(client):
    csp = csp_directives(client.get("/login"))
    assert csp["script-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    for directive in ("script-src", "style-src", "default-src"):
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(csp[directive]), directive
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"] and csp["form-action"] == ["'self'"]


@pytest.mark.parametrize("path", ["/login", "/register", "/no-such-page", "/api/v1/openapi.json", "/sw.js"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    assert "Content-Security-Policy" in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # plain http: HSTS means nothing


def test_hsts_only_over_https(client):
    response = client.get("/login", base_url=HTTPS)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(response.headers["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= 31536000


def test_a_trusted_proxy_tells_the_client_address_and_https(app, database_url):
    behind = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": database_url, "TRUSTED_PROXIES": 1,
    })
    try:
        response = behind.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "Strict-Transport-Security" in response.headers
        # Without a trusted proxy the same header is ignored: anyone could send it.
        assert "Strict-Transport-Security" not in app.test_client().get(
            "/login", headers={"X-Forwarded-Proto": "https"}).headers
    finally:
        _dispose(behind)


# -- htmx under a strict CSP; no inline code in templates -----------------------------------------

def test_htmx_is_configured_for_a_strict_csp(client):
    html = client.get("/login").get_data(as_text=True)
    match = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", html)
    assert match, "no htmx-config meta"
    config = json.loads(match.group(1))
    assert config["allowEval"] is False  # hx-on and js: values would need 'unsafe-eval'
    assert config["includeIndicatorStyles"] is False  # would inject an inline <style>
    assert config["allowScriptTags"] is False  # swapped-in <script> would run
    assert config["historyRestoreAsHxRequest"] is False
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all(" src=" in tag for tag in scripts)
    version = re.search(r"htmx-(\d+)\.(\d+)\.(\d+)\.min\.js", html)
    assert version and tuple(map(int, version.groups())) >= (2, 0, 5)


INLINE_CODE = {
    "inline event handler": re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "hx-on handler": re.compile(r"\shx-on[:\-]", re.IGNORECASE),
    "inline script": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE),
    "style element": re.compile(r"<style\b", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "js: expression": re.compile(r"hx-(?:vals|vars)\s*=\s*['\"]\s*(?:js|javascript):", re.IGNORECASE),
}


def test_no_template_has_inline_scripts_handlers_or_styles():
    templates = sorted((ROOT / "templates").rglob("*.html"))
    assert len(templates) > 10
    found = []
    for path in templates:
        text = path.read_text(encoding="utf-8")
        for what, pattern in INLINE_CODE.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {what}: {match.group(0)[:60]!r}")
    assert not found, "inline code is blocked by the CSP:\n" + "\n".join(found)


def test_the_scanner_catches_what_it_must():
    samples = {
        "inline event handler": '<button onclick="go()">',
        "hx-on handler": '<form hx-on::after-request="x()">',
        "inline script": "<script>alert(1)</script>",
        "style attribute": '<p class="a" style="color:red">',
        "style element": "<style>p{}</style>",
        "javascript: URL": '<a href="javascript:alert(1)">',
        "js: expression": "<div hx-vals='js:{a: 1}'>",
    }
    for what, sample in samples.items():
        assert INLINE_CODE[what].search(sample), what
    assert not any(p.search('<script src="/static/js/app.js" defer></script>') for p in INLINE_CODE.values())
    assert not any(p.search('<button data-online="1" class="onward">') for p in INLINE_CODE.values())


def test_scripts_never_evaluate_strings():
    for path in [*(ROOT / "static" / "js").glob("*.js")]:
        text = path.read_text(encoding="utf-8")
        for pattern in (r"\beval\s*\(", r"new\s+Function\s*\(", r"set(?:Timeout|Interval)\s*\(\s*['\"`]"):
            assert not re.search(pattern, text), f"{path.name}: {pattern}"


# -- Cookies ----------------------------------------------------------------------------------------

def test_development_cookies_are_httponly_and_samesite_lax_but_not_secure_over_http(client, make_user, session):
    user = make_user()
    session.commit()
    cookies = set_cookies(client.post("/login", data={"email": user.email, "password": PASSWORD}))
    assert {"session", "remember_token"} <= set(cookies)
    for header in cookies.values():
        assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
        assert "Secure" not in header


def _dispose(other_app) -> None:
    with other_app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def vapid_pem() -> str:
    """A VAPID private key, as production requires one."""
    return vapid.new_private_key_pem()


@pytest.fixture
def production(app, database_url, vapid_pem):
    """An app configured as in production (CSRF and rate limits on), on the test database."""
    prod = create_app({
        "ENV": "production", "SECRET_KEY": "production-secret-for-tests", "SQLALCHEMY_DATABASE_URI": database_url,
        "VAPID_PRIVATE_KEY": vapid_pem, "TESTING": True, "RATELIMIT_SINGLE_PROCESS": True, **PRODUCTION_MAIL,
    })
    yield prod
    _dispose(prod)


def _production_login(prod, user, password: str = PASSWORD):
    browser = prod.test_client()
    token = csrf_token_from(browser.get("/login", base_url=HTTPS).get_data(as_text=True))
    response = browser.post("/login", base_url=HTTPS, headers={"Referer": f"{HTTPS}/login"},
                            data={"email": user.email, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return browser, response


def test_production_cookies_use_the_host_prefix_and_every_flag(production, make_user, session):
    user = make_user()
    session.commit()
    _browser, response = _production_login(production, user)
    cookies = set_cookies(response)
    assert set(cookies) == {"__Host-touchbase", "__Host-touchbase-remember"}
    for header in cookies.values():
        attributes = [a.strip() for a in header.split(";")[1:]]
        assert "Secure" in attributes and "HttpOnly" in attributes
        assert "SameSite=Lax" in attributes and "Path=/" in attributes
        assert not any(a.lower().startswith("domain=") for a in attributes)  # __Host- forbids a Domain


def test_production_logout_clears_the_remember_cookie_with_flags_a_browser_accepts(production, make_user, session):
    user = make_user()
    session.commit()
    browser, _response = _production_login(production, user)
    page = browser.get("/settings/", base_url=HTTPS)
    assert page.status_code == 200
    token = csrf_token_from(page.get_data(as_text=True))
    response = browser.post("/logout", base_url=HTTPS, headers={"Referer": f"{HTTPS}/settings/"},
                            data={"csrf_token": token})
    assert response.status_code == 302
    cleared = set_cookies(response)["__Host-touchbase-remember"]
    # A browser ignores a __Host- Set-Cookie without Secure: the deletion must carry it too.
    assert "Secure" in cleared and "Path=/" in cleared and ("Max-Age=0" in cleared or "1970" in cleared)
    assert browser.get("/settings/", base_url=HTTPS).status_code == 302


def test_production_refuses_a_cookie_domain(database_url, vapid_pem):
    with pytest.raises(RuntimeError, match="__Host-"):
        create_app({
            "ENV": "production", "SECRET_KEY": "s", "SQLALCHEMY_DATABASE_URI": database_url,
            "VAPID_PRIVATE_KEY": vapid_pem, "SESSION_COOKIE_DOMAIN": "example.com",
        })


def test_production_forms_need_the_csrf_token(production, make_user, session):
    user = make_user()
    session.commit()
    response = production.test_client().post("/login", base_url=HTTPS, headers={"Referer": f"{HTTPS}/login"},
                                              data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400


# -- Sessions end -----------------------------------------------------------------------------------

def _copies(app, client) -> list:
    """Return two thieves: one with a copy of the session cookie, one with the remember cookie."""
    session_thief, remember_thief = app.test_client(), app.test_client()
    session_thief.set_cookie("session", client.get_cookie("session").value)
    remember_thief.set_cookie("remember_token", client.get_cookie("remember_token").value)
    return [session_thief, remember_thief]


def test_logout_ends_every_other_session_of_the_user(app, client, login, make_user):
    user = make_user()
    login(user)
    phone = app.test_client()
    assert phone.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    thieves = _copies(app, client)
    assert all(t.get("/settings/").status_code == 200 for t in [phone, *thieves])
    client.post("/logout")
    for other in [client, phone, *thieves]:
        assert other.get("/settings/").status_code == 302


def test_a_password_change_ends_every_other_session_and_copied_cookie(app, client, login, make_user):
    user = make_user()
    login(user)
    phone = app.test_client()
    assert phone.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    thieves = _copies(app, phone)
    response = client.post("/settings/password", data={
        "current_password": PASSWORD, "new_password": "another long secret", "confirm_password": "another long secret",
    })
    assert response.status_code == 303
    assert client.get("/settings/").status_code == 200  # this session carries on
    for other in [phone, *thieves]:
        assert other.get("/settings/").status_code == 302


# -- Cache-Control ----------------------------------------------------------------------------------

def _plain_get_rules(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static":
            yield rule


# Today is kept by the browser alone and revalidated by its ETag every time (tests/test_today_revalidation.py).
REVALIDATED = {"/": "private, no-cache"}


def test_every_page_of_a_signed_in_user_is_no_store(app, client, login, make_user):
    # Routes with an id are checked with the owner's own objects in test_authz_matrix.py.
    login(make_user(role=Role.coach))
    checked = []
    for rule in _plain_get_rules(app):
        response = client.get(rule.rule)
        assert response.status_code < 500, rule.rule
        wanted = REVALIDATED.get(rule.rule, "no-store")
        assert response.headers.get("Cache-Control") == wanted, (rule.rule, response.headers.get("Cache-Control"))
        checked.append(rule.rule)
    assert {"/", "/customers/", "/settings/", "/team/", "/api/v1/me"} <= set(checked)


def test_an_htmx_fragment_of_a_signed_in_user_is_no_store_too(client, login, make_user):
    login(make_user())
    response = client.get("/customers/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"


def test_the_api_with_a_token_is_no_store(client, make_user, session):
    from app.operations import tokens

    user = make_user()
    new = tokens.create_token(session, user, name="cli", now=user.created_at)
    session.commit()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {new.plaintext}"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


# -- No account enumeration -------------------------------------------------------------------------

def _login_time(client, email: str, password: str) -> tuple[int, str, float]:
    started = time.perf_counter()
    response = client.post("/login", data={"email": email, "password": password})
    elapsed = time.perf_counter() - started
    # The typed e-mail and the CSRF token (form field and hx-headers) differ; the rest may not.
    body = re.sub(r'value="[^"]*"|hx-headers=\'[^\']*\'', "", response.get_data(as_text=True))
    return response.status_code, body, elapsed


def test_login_answers_an_unknown_email_like_a_wrong_password_in_body_and_time(client, make_user, session):
    user = make_user(email="known@example.com")
    session.commit()
    unknown = [_login_time(client, "nobody@example.com", "wrong password") for _ in range(5)]
    wrong = [_login_time(client, user.email, "wrong password") for _ in range(5)]
    assert {s for s, _b, _t in unknown + wrong} == {422}
    assert unknown[0][1] == wrong[0][1]  # byte for byte, the typed e-mail aside
    ratio = statistics.median(t for *_x, t in unknown) / statistics.median(t for *_x, t in wrong)
    assert 0.33 < ratio < 3, ratio  # both verify one argon2 hash


def _register(client, email: str):
    return client.post("/register", data={
        "name": "Eve", "organization": "Probe", "email": email, "password": PASSWORD, "timezone": "UTC",
    })


def test_registration_with_a_taken_email_names_neither_the_email_nor_the_account(client, make_user, session):
    make_user(email="taken@example.com")
    session.commit()
    response = _register(client, "Taken@Example.com")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "We could not create an account with these details." in html
    assert "already exists" not in html and "taken" not in html
    assert session.scalar(select(func.count(Organization.id))) == 1


def test_joining_with_a_taken_email_gets_the_same_generic_answer(client, make_user, session, frozen_clock):
    from app.operations import invites
    from support import NOW

    coach = make_user(role=Role.coach, email="coach@example.com")
    link = invites.create_invite(session, coach, now=NOW)
    session.commit()
    response = client.post(f"/join/{link.token}", data={
        "name": "Eve", "email": "COACH@example.com", "password": PASSWORD, "timezone": "UTC",
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "We could not create an account with these details." in html
    assert "already exists" not in html and "taken" not in html
    assert session.scalar(select(func.count(User.id))) == 1


def test_another_organisations_object_looks_exactly_like_a_missing_one(client, make_user, make_customer, session):
    from app.operations import tokens

    mine, theirs = make_user(), make_user()
    customer = make_customer(theirs)
    new = tokens.create_token(session, mine, name="cli", now=mine.created_at)
    session.commit()
    auth = {"Authorization": f"Bearer {new.plaintext}"}
    foreign = client.get(f"/api/v1/customers/{customer.id}", headers=auth)
    missing = client.get(f"/api/v1/customers/{customer.id + 1000}", headers=auth)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_data() == missing.get_data()
