"""A forgotten password in Chromium at phone size: the mail arrives at a real SMTP server, its link sets a new one."""

from __future__ import annotations

import pytest

from smtp_server import SMTPServer, mail_to
from support import PASSWORD

from .helpers import playwright_expect, sign_in

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def live_smtp(live_app):
    """A real SMTP server that the live server sends its mail to."""
    with SMTPServer() as server, mail_to(live_app, server.port):
        yield server


def test_forgot_password_mail_link_new_password_signed_in(page, live_smtp, live_server, session, make_user):
    expect = playwright_expect()
    user = make_user(name="Rita Rep", email="rita@example.com")
    session.commit()

    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.wait_for_url("**/password/forgot")
    page.fill("#f-email", "Rita@Example.com")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_test_id("reset-sent")).to_contain_text("If an account exists for that address")

    received = live_smtp.one(user.email)
    assert received.subject == "Reset your Touchbase password" and received.html
    link = next(url for url in received.links() if "/password/reset/" in url)
    assert link.startswith(live_server)

    page.goto(link)
    expect(page.locator("h1")).to_have_text("Choose a new password")
    page.fill("#f-password", NEW_PASSWORD)
    page.fill("#f-confirm_password", NEW_PASSWORD)
    page.get_by_role("button", name="Set new password").click()
    page.wait_for_url(f"{live_server}/")
    expect(page.locator("#flashes")).to_contain_text("Your new password is set.")
    expect(page.locator(".bottomnav")).to_be_visible()  # signed in
    page.screenshot(path="/tmp/password-reset-signed-in.png")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    page.fill("#f-email", user.email)
    page.fill("#f-password", PASSWORD)
    page.locator("#main form button[type=submit]").first.click()
    expect(page.locator("#login-error")).to_have_text("E-mail or password is wrong.")
    sign_in(page, user.email, NEW_PASSWORD)
    expect(page.locator(".bottomnav")).to_be_visible()
