"""A forgotten password, through the test client and a real SMTP server: the mail, the link, the new password.

Every mail is read as it arrived at the aiosmtpd server of the ``smtp_server`` fixture.
"""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import PasswordReset, User
from app.operations import accounts
from smtp_server import SilentServer, mail_to
from support import PASSWORD, without_csrf_tokens

NEW_PASSWORD = "a brand new passphrase"
SENT = "If an account exists for that address, we sent a link"
UNAVAILABLE = "We cannot send mail right now"
INVALID = "This reset link no longer works"


def _ask(client, email: str, **kwargs):
    """Ask for a link as a browser does: a sent request lands on the "sent" page (303, then GET)."""
    return client.post("/password/forgot", data={"email": email}, follow_redirects=True, **kwargs)


def _reset_path(received) -> str:
    links = [link for link in received.links() if "/password/reset/" in link]
    assert len(links) == 1, received.text
    return re.sub(r"^https?://[^/]+", "", links[0])


def _set(client, path: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    return client.post(path, data={"password": password, "confirm_password": password if confirm is None else confirm})


def _can_sign_in(app, email: str, password: str) -> bool:
    return app.test_client().post("/login", data={"email": email, "password": password}).status_code == 302


def _resets(session) -> int:
    return session.scalar(select(func.count(PasswordReset.id)))


@pytest.fixture
def rita(make_user, session):
    user = make_user(name="Rita Rep", email="rita@example.com")
    session.commit()
    return user


def test_the_sign_in_page_links_to_the_forgot_password_page(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'href="/password/forgot"' in html and "Forgot your password?" in html
    page = client.get("/password/forgot")
    assert page.status_code == 200
    assert 'action="/password/forgot"' in page.get_data(as_text=True)


def test_the_mailed_link_sets_a_new_password_once_and_signs_in(app, client, rita, session, smtp_server):
    response = _ask(client, "rita@example.com")
    assert response.status_code == 200
    assert SENT in response.get_data(as_text=True)
    received = smtp_server.one("rita@example.com")
    assert received.subject == "Reset your Touchbase password"
    assert received.message["From"] == "Touchbase <touchbase@example.com>"
    assert received.message.get_content_type() == "multipart/alternative"
    assert "Hello Rita Rep," in received.text and "60 minutes" in received.text
    path = _reset_path(received)
    assert path in received.html and "Choose a new password" in received.html
    token = path.rsplit("/", 1)[1]
    stored = session.scalar(select(PasswordReset))
    assert stored.user_id == rita.id and token not in stored.token_hash and len(stored.token_hash) == 64

    form = client.get(path)
    assert form.status_code == 200 and form.headers["Cache-Control"] == "no-store"
    assert "For the account rita@example.com" in form.get_data(as_text=True)
    done = _set(client, path)
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert client.get("/settings/").status_code == 200  # signed in
    assert not _can_sign_in(app, "rita@example.com", PASSWORD)
    assert _can_sign_in(app, "rita@example.com", NEW_PASSWORD)

    again = app.test_client()
    for answer in (again.get(path), _set(again, path, "yet another passphrase")):
        assert answer.status_code == 410
        assert INVALID in answer.get_data(as_text=True)
    assert _can_sign_in(app, "rita@example.com", NEW_PASSWORD)


def test_setting_the_new_password_ends_every_other_session(app, client, rita, session, smtp_server, login):
    elsewhere = app.test_client()
    assert elsewhere.post("/login", data={"email": rita.email, "password": PASSWORD}).status_code == 302
    assert elsewhere.get("/settings/").status_code == 200
    _ask(client, rita.email)
    _set(client, _reset_path(smtp_server.one(rita.email)))
    assert elsewhere.get("/settings/").status_code == 302  # back to sign-in
    assert client.get("/settings/").status_code == 200


def test_a_sent_request_redirects_to_a_page_that_is_safe_to_reload(client, rita, session, smtp_server):
    response = client.post("/password/forgot", data={"email": rita.email})
    assert response.status_code == 303 and response.headers["Location"] == "/password/forgot?sent=1"
    for _ in range(2):  # reloading the page it leads to asks for nothing and sends nothing
        page = client.get(response.headers["Location"])
        assert page.status_code == 200 and SENT in page.get_data(as_text=True)
    assert len(smtp_server.messages) == 1 and _resets(session) == 1


def test_known_and_unknown_addresses_get_the_same_answer(client, rita, session, smtp_server):
    known = _ask(client, "rita@example.com")
    unknown = _ask(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert without_csrf_tokens(known.get_data(as_text=True)) == without_csrf_tokens(unknown.get_data(as_text=True))
    assert _resets(session) == 1  # only the account got a link
    notice = smtp_server.one("nobody@example.com")
    assert "There is no Touchbase account with this address" in notice.text
    assert "/password/reset/" not in notice.text and "/password/reset/" not in notice.html
    assert "/password/forgot" in notice.text and "/register" in notice.html


def test_addresses_are_compared_as_sign_in_compares_them(client, make_user, session, smtp_server):
    make_user(email="Mixed.Case@Example.com")
    session.commit()
    assert _ask(client, "  mixed.case@EXAMPLE.com ").status_code == 200
    received = smtp_server.one("Mixed.Case@Example.com")
    assert "/password/reset/" in received.text
    assert _resets(session) == 1


@pytest.mark.parametrize("email", ["", "rita", "rita@", "a b@example.com", "x" * 300 + "@example.com"])
def test_a_malformed_address_gets_422_and_no_mail(client, rita, session, smtp_server, email):
    response = _ask(client, email)
    assert response.status_code == 422
    assert 'id="email-error"' in response.get_data(as_text=True)
    assert smtp_server.messages == [] and _resets(session) == 0


def test_a_link_expires_after_its_lifetime(app, client, rita, session, smtp_server, frozen_clock):
    _ask(client, rita.email)
    path = _reset_path(smtp_server.one(rita.email))
    frozen_clock.advance(minutes=59)
    assert client.get(path).status_code == 200
    frozen_clock.advance(minutes=1)
    response = _set(client, path)
    assert response.status_code == 410 and INVALID in response.get_data(as_text=True)
    assert _can_sign_in(app, rita.email, PASSWORD)


def test_the_lifetime_comes_from_the_settings(app, client, rita, smtp_server, frozen_clock):
    app.config["PASSWORD_RESET_MINUTES"] = 15
    try:
        _ask(client, rita.email)
        received = smtp_server.one(rita.email)
        assert "15 minutes" in received.text
        frozen_clock.advance(minutes=15)
        assert client.get(_reset_path(received)).status_code == 410
    finally:
        app.config["PASSWORD_RESET_MINUTES"] = 60


def test_asking_again_replaces_the_earlier_link(client, rita, session, smtp_server):
    _ask(client, rita.email)
    _ask(client, rita.email)
    first, second = (_reset_path(m) for m in smtp_server.to(rita.email))
    assert first != second
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200
    assert _resets(session) == 1


@pytest.mark.parametrize("token", ["unknown", "x" * 300, "a.b-c_d~"])
def test_an_unknown_link_is_the_same_clear_page(client, token):
    response = client.get(f"/password/reset/{token}")
    assert response.status_code == 410
    html = response.get_data(as_text=True)
    assert INVALID in html and 'href="/password/forgot"' in html


def test_a_refused_new_password_keeps_the_link_open(app, client, rita, smtp_server):
    _ask(client, rita.email)
    path = _reset_path(smtp_server.one(rita.email))
    short = _set(client, path, "short")
    assert short.status_code == 422 and 'id="password-error"' in short.get_data(as_text=True)
    mismatch = _set(client, path, NEW_PASSWORD, confirm="something else entirely")
    assert mismatch.status_code == 422 and 'id="confirm_password-error"' in mismatch.get_data(as_text=True)
    assert _can_sign_in(app, rita.email, PASSWORD)
    assert _set(client, path).status_code == 302


def test_a_german_user_gets_the_mail_in_german(client, make_user, session, smtp_server):
    make_user(email="greta@example.com", name="Greta", locale="de")
    session.commit()
    _ask(client, "greta@example.com", headers={"Accept-Language": "en"})  # the page in English, the mail not
    received = smtp_server.one("greta@example.com")
    assert received.subject == "Dein Touchbase-Passwort zurücksetzen"
    assert "Hallo Greta," in received.text and "60 Minuten" in received.text
    assert 'lang="de"' in received.html and "Neues Passwort wählen" in received.html


def test_an_unknown_address_gets_the_notice_in_the_browsers_language(client, smtp_server):
    _ask(client, "niemand@example.com", headers={"Accept-Language": "de-DE,de;q=0.9"})
    received = smtp_server.one("niemand@example.com")
    assert "Es gibt kein Touchbase-Konto mit dieser Adresse" in received.text


def test_when_the_mail_server_is_down_the_user_is_told_and_nothing_is_kept(client, rita, session, mail_down, caplog):
    caplog.set_level(logging.INFO, logger="app.mail")
    known = _ask(client, rita.email)
    unknown = _ask(client, "nobody@example.com")
    assert known.status_code == 503
    # The form is shown again with what was typed; apart from that, the answers are the same.
    assert (known.status_code, _typed(known, rita.email)) == (unknown.status_code, _typed(unknown, "nobody@example.com"))
    html = known.get_data(as_text=True)
    assert UNAVAILABLE in html and SENT not in html and 'value="rita@example.com"' in html
    assert _resets(session) == 0
    failures = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert failures == [f"mail password_reset to user {rita.id} not sent: ConnectionRefusedError",
                        f"mail password_reset_no_account to address {_hash('nobody@example.com')} not sent: "
                        "ConnectionRefusedError"]


def test_a_mail_server_that_hangs_times_out_into_the_same_message(app, client, rita, session):
    with SilentServer() as silent, mail_to(app, silent.port, timeout=0.5):
        response = _ask(client, rita.email)
    assert response.status_code == 503 and UNAVAILABLE in response.get_data(as_text=True)
    assert _resets(session) == 0


def test_a_refused_recipient_is_a_failed_send_too(client, rita, session, smtp_server):
    smtp_server.refuse("550 5.1.1 No such mailbox")
    response = _ask(client, rita.email)
    assert response.status_code == 503 and _resets(session) == 0


def test_links_are_built_on_the_public_url_not_the_hosts_header(app, client, rita, smtp_server):
    app.config["PUBLIC_URL"] = "https://touchbase.example.com"
    try:
        _ask(client, rita.email, headers={"Host": "evil.example"})
    finally:
        app.config["PUBLIC_URL"] = None
    links = smtp_server.one(rita.email).links()
    assert links and all(link.startswith("https://touchbase.example.com/password/reset/") for link in links)


def _typed(response, address: str) -> str:
    html = response.get_data(as_text=True)
    assert f'value="{address}"' in html
    return without_csrf_tokens(html.replace(address, "ADDRESS"))


def _hash(address: str) -> str:
    import hashlib

    return hashlib.sha256(address.encode()).hexdigest()[:12]


# -- rate limits -----------------------------------------------------------------------------------

@pytest.fixture
def limited(app, database_url, tmp_path):
    """A fresh app with the rate limiter on and small reset limits, sending to a real SMTP server."""
    from smtp_server import SMTPServer

    with SMTPServer() as server:
        fresh = create_app({
            "TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True,
            "PASSWORD_RESET_RATE_LIMIT": "3 per minute", "PASSWORD_RESET_EMAIL_RATE_LIMIT": "2 per hour",
            "MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": server.port,
            "MAIL_FILE_PATH": str(tmp_path),
        })
        yield fresh, server
        with fresh.app_context():
            db.session.remove()
            db.engine.dispose()


def test_too_many_requests_from_one_address_get_a_clear_429_in_the_users_language(limited, rita):
    fresh, server = limited
    client = fresh.test_client()
    german = {"Accept-Language": "de"}
    for n in range(3):
        assert _ask(client, f"someone{n}@example.com", headers=german).status_code == 200
    response = _ask(client, "someone9@example.com", headers=german)
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert '<html lang="de">' in html and "Zu viele Versuche" in html
    assert server.to("someone9@example.com") == []
    other = fresh.test_client()
    assert _ask(other, "someone9@example.com", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 200


def test_too_many_requests_for_one_address_are_refused_from_any_client(limited, rita, session):
    fresh, server = limited
    for n in range(2):
        client = fresh.test_client()
        ip = {"REMOTE_ADDR": f"10.0.1.{n}"}
        assert _ask(client, "Rita@Example.com", environ_base=ip).status_code == 200
    blocked = _ask(fresh.test_client(), " rita@example.com", environ_base={"REMOTE_ADDR": "10.0.1.99"})
    assert blocked.status_code == 429
    assert len(server.to("rita@example.com")) == 2
    fine = _ask(fresh.test_client(), "someone@example.com", environ_base={"REMOTE_ADDR": "10.0.1.99"})
    assert fine.status_code == 200


def test_the_user_row_is_not_changed_by_asking(client, rita, session, smtp_server):
    before = (rita.password_hash, rita.session_token)
    _ask(client, rita.email)
    session.expire_all()
    user = session.get(User, rita.id)
    assert (user.password_hash, user.session_token) == before
    assert accounts.verify_password(user, PASSWORD)
