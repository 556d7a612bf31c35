"""Real-browser fixtures: a live server on the test database and Debian's Chromium at phone size."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}


def _unavailable(reason: str) -> None:
    """Skip locally; in CI (``CI=true``) a browser test that cannot run is a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(reason)


LIVE_SECRET = "live-test-secret"


@pytest.fixture(scope="session")
def live_app(_app, database_url, tmp_path_factory):
    """An app on the same test database as ``_app``, with CSRF on, as a real browser meets it."""
    return create_app(
        {
            "SECRET_KEY": LIVE_SECRET,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": True,
            "RATELIMIT_ENABLED": False,
            "SERVER_NAME": None,
            "MAIL_BACKEND": "file",
            "MAIL_FILE_PATH": str(tmp_path_factory.mktemp("live-mail")),
        }
    )


@pytest.fixture(scope="session")
def live_server(live_app):
    """Serve ``live_app`` on 127.0.0.1 and a free port in a thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (headless)."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -r requirements-dev.txt)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, app, live_server):
    """A fresh phone-sized page (390×844, touch) whose console errors fail the test."""
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2,
        locale="en-US", timezone_id="Europe/Berlin", base_url=live_server,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []

    def on_console(msg) -> None:
        # A 422 is the app's answer to bad input (htmx swaps it in), not a browser error.
        if msg.type == "error" and "status of 422" not in msg.text:
            errors.append(msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], f"the browser reported errors: {errors}"
