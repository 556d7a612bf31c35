"""Mail plumbing (app/mail.py, the MAIL_* settings) against a real SMTP server, a dead port and a silent one."""

from __future__ import annotations

import logging
import time

import pytest
from flask_babel import lazy_gettext as _l

from app import create_app, mail
from smtp_server import SilentServer, closed_port, mail_to
from support import PRODUCTION_MAIL


def _send(to: str = "rita@example.com", locale: str | None = "en", **extra):
    mail.send("password_reset", to=to, user_id=extra.pop("user_id", 7), locale=locale,
              subject=_l("Reset your Touchbase password"), template="password_reset", name="Rita",
              minutes=60, link="https://touchbase.example.com/password/reset/secret-token", **extra)


def test_a_mail_has_a_plain_text_and_an_html_part_from_the_sender(app, smtp_server):
    _send(headers={"List-Unsubscribe": "<https://touchbase.example.com/x>"})
    received = smtp_server.one("rita@example.com")
    assert received.mail_from == "touchbase@example.com"
    assert received.message["To"] == "rita@example.com"
    assert received.message["List-Unsubscribe"] == "<https://touchbase.example.com/x>"
    assert [part.get_content_type() for part in received.message.iter_parts()] == ["text/plain", "text/html"]
    assert "Hello Rita," in received.text and "<!doctype html>" in received.html
    assert received.text.count("/password/reset/secret-token") == 1


def test_the_mail_is_written_in_the_recipients_language_not_the_requests(app, smtp_server):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        _send(locale="de")
        _send(to="other@example.com", locale="fr-CH")  # no catalogue: English
    german = smtp_server.one("rita@example.com")
    assert german.subject == "Dein Touchbase-Passwort zurücksetzen" and "Hallo Rita," in german.text
    assert 'lang="de"' in german.html
    assert smtp_server.one("other@example.com").subject == "Reset your Touchbase password"


def test_names_are_escaped_in_html_and_a_line_break_cannot_add_a_header(app, smtp_server):
    mail.send("invite", to="new@example.com", locale="en",
              subject=_l("%(coach)s invites you to %(team)s on Touchbase", coach="Eve\r\nBcc: x@evil.example",
                         team="<b>Team</b>"),
              template="invite", coach="Eve <script>", team="<b>Team</b>", link="https://t.example/join/x",
              expires_on=__import__("datetime").date(2026, 12, 4))
    received = smtp_server.one("new@example.com")
    assert received.rcpt_tos == ("new@example.com",) and received.message["Bcc"] is None
    assert received.subject == "Eve Bcc: x@evil.example invites you to <b>Team</b> on Touchbase"
    assert "Eve &lt;script&gt;" in received.html and "<script>" not in received.html
    assert "Eve <script> invites you" in received.text  # plain text is not HTML


def test_a_refused_connection_is_a_mail_error_and_is_logged_without_the_link(app, caplog):
    caplog.set_level(logging.INFO, logger="app.mail")
    with mail_to(app, closed_port()), pytest.raises(mail.MailError) as raised:
        _send()
    assert raised.value.kind == "password_reset" and raised.value.reason == "ConnectionRefusedError"
    logged = [r.getMessage() for r in caplog.records]
    assert logged == ["mail password_reset to user 7 not sent: ConnectionRefusedError"]
    assert "secret-token" not in caplog.text and "rita@example.com" not in caplog.text


def test_a_silent_server_times_out_after_the_configured_seconds(app):
    with SilentServer() as silent, mail_to(app, silent.port, timeout=0.5):
        started = time.monotonic()
        with pytest.raises(mail.MailError) as raised:
            _send()
    assert time.monotonic() - started < 3
    assert raised.value.reason in ("TimeoutError", "SMTPServerDisconnected")


def test_a_refused_recipient_is_a_mail_error_logged_with_a_hash_of_the_address(app, smtp_server, caplog):
    smtp_server.refuse("550 5.1.1 No such mailbox")
    with pytest.raises(mail.MailError) as raised:
        _send(to="gone@example.com", user_id=None)
    assert raised.value.reason == "SMTPRecipientsRefused"
    assert "gone@example.com" not in caplog.text
    assert mail.recipient_ref("Gone@Example.com ") in caplog.text and mail.recipient_ref("x", 3) == "user 3"


def test_the_development_default_writes_each_mail_into_a_file(app, tmp_path):
    saved = app.config["MAIL_BACKEND"], app.config["MAIL_FILE_PATH"]
    app.config.update(MAIL_BACKEND="file", MAIL_FILE_PATH=str(tmp_path / "mail"))
    try:
        _send()
    finally:
        app.config["MAIL_BACKEND"], app.config["MAIL_FILE_PATH"] = saved
    files = list((tmp_path / "mail").iterdir())
    assert len(files) == 1 and b"Subject: Reset your Touchbase password" in files[0].read_bytes()


def test_links_use_the_public_url_else_the_request_else_the_development_server(app):
    assert mail.link("auth.forgot_password") == "http://127.0.0.1:5000/password/forgot"
    with app.test_request_context("/", base_url="https://app.example.org"):
        assert mail.link("auth.forgot_password") == "https://app.example.org/password/forgot"
        app.config["PUBLIC_URL"] = "https://touchbase.example.com/"
        try:
            assert mail.link("auth.reset_password", token="t") == "https://touchbase.example.com/password/reset/t"
        finally:
            app.config["PUBLIC_URL"] = None


# -- settings --------------------------------------------------------------------------------------

BASE = {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
PRODUCTION = {**BASE, "ENV": "production", "VAPID_PRIVATE_KEY": None, "RATELIMIT_SINGLE_PROCESS": True}


@pytest.fixture(scope="module")
def vapid_pem():
    from app.push import vapid

    return vapid.new_private_key_pem()


def test_development_writes_mail_into_the_instance_folder_by_default():
    app = create_app(BASE)
    assert app.config["MAIL_BACKEND"] == "file"
    assert app.config["MAIL_FILE_PATH"].endswith("instance/mail")
    assert app.config["MAIL_TIMEOUT"] == 10.0 and app.config["MAIL_DEFAULT_SENDER"]


@pytest.mark.parametrize(("missing", "message"), [
    ("MAIL_SERVER", "TOUCHBASE_MAIL_SERVER must be set"),
    ("MAIL_DEFAULT_SENDER", "TOUCHBASE_MAIL_DEFAULT_SENDER must be set"),
    ("PUBLIC_URL", "TOUCHBASE_PUBLIC_URL must be set"),
])
def test_production_refuses_to_start_without_a_mail_server_a_sender_and_its_address(vapid_pem, missing, message):
    settings = {**PRODUCTION, "VAPID_PRIVATE_KEY": vapid_pem, **PRODUCTION_MAIL, missing: None}
    with pytest.raises(RuntimeError, match=message):
        create_app(settings)
    app = create_app({**PRODUCTION, "VAPID_PRIVATE_KEY": vapid_pem, **PRODUCTION_MAIL})
    assert app.config["MAIL_BACKEND"] == "smtp"


def test_production_starts_with_an_explicit_backend_instead(vapid_pem):
    app = create_app({**PRODUCTION, "VAPID_PRIVATE_KEY": vapid_pem, "MAIL_BACKEND": "console"})
    assert app.config["MAIL_BACKEND"] == "console"


@pytest.mark.parametrize("timeout", [None, 0, -1, "soon", float("inf"), float("nan")])
def test_the_mail_timeout_must_be_a_finite_number_of_seconds(timeout):
    with pytest.raises(RuntimeError, match="TOUCHBASE_MAIL_TIMEOUT"):
        create_app({**BASE, "MAIL_TIMEOUT": timeout})


@pytest.mark.parametrize(("setting", "value", "message"), [
    ("MAIL_BACKEND", "carrier-pigeon", "TOUCHBASE_MAIL_BACKEND must be one of"),
    ("MAIL_USE_SSL", True, "not both"),
])
def test_contradicting_or_unknown_mail_settings_refuse_to_start(setting, value, message):
    with pytest.raises(RuntimeError, match=message):
        create_app({**BASE, "MAIL_USE_TLS": True, setting: value})


def test_mail_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("TOUCHBASE_MAIL_SERVER", "smtp.example.com")
    monkeypatch.setenv("TOUCHBASE_MAIL_PORT", "587")
    monkeypatch.setenv("TOUCHBASE_MAIL_USE_TLS", "true")
    monkeypatch.setenv("TOUCHBASE_MAIL_TIMEOUT", "4")
    app = create_app(BASE)
    assert (app.config["MAIL_SERVER"], app.config["MAIL_PORT"], app.config["MAIL_USE_TLS"],
            app.config["MAIL_TIMEOUT"]) == ("smtp.example.com", 587, True, 4.0)
