"""Installability in Chromium: a persistent profile (an incognito-like context is never installable)."""

from __future__ import annotations

import time

import pytest

from support import PASSWORD

from .conftest import CHROMIUM, CHROMIUM_ARGS, PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def profile(browser, live_server, tmp_path):
    """A page in a persistent Chromium profile of its own, on the live server."""
    # A second Playwright cannot start inside the session's: its browser type launches the profile.
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
        viewport=PHONE, is_mobile=True, has_touch=True, locale="en-US", base_url=live_server,
    )
    context.set_default_timeout(10_000)
    page = context.pages[0] if context.pages else context.new_page()
    yield page
    context.close()


def _installability(page) -> list[dict]:
    cdp = page.context.new_cdp_session(page)
    try:
        return cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    finally:
        cdp.detach()


def test_the_app_is_installable_with_a_clean_manifest(profile, live_server):
    page = profile
    page.goto("/login")
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    cdp = page.context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"] == live_server + "/manifest.webmanifest"
    assert manifest["errors"] == []
    # The manifest as Chromium understood it.
    understood = manifest["manifest"]
    assert understood["display"] == "kStandalone"
    assert understood["startUrl"] == live_server + "/?source=pwa"
    assert understood["scope"] == live_server + "/"
    assert {icon["sizes"] for icon in understood["icons"]} == {"192x192", "512x512"}
    assert [s["name"] for s in understood["shortcuts"]] == ["Log a touch", "Whom to touch"]

    deadline = time.monotonic() + 10
    errors = _installability(page)
    while errors and time.monotonic() < deadline:
        page.wait_for_timeout(250)
        errors = _installability(page)
    assert errors == []


def test_the_app_opens_to_today_after_signing_in_from_the_start_url(profile, session, make_user):
    page = profile
    rep = make_user()
    session.commit()
    page.goto("/?source=pwa")
    page.wait_for_url(lambda url: "/login" in url)
    page.fill("#f-email", rep.email)
    page.fill("#f-password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)
    assert page.locator("h1").first.text_content() == "Today"
    assert page.get_by_role("heading", name="Whom to touch today").is_visible()
