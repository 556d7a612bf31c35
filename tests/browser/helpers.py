"""Steps the browser tests share: signing in and registering through the real forms."""

from __future__ import annotations

from support import PASSWORD


def playwright_expect():
    """Return Playwright's ``expect`` (imported late: Playwright may be missing locally)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form and wait until the app has left it."""
    page.goto("/login")
    page.fill("#f-email", email)
    page.fill("#f-password", password)
    page.locator("#main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login" not in url)


def register(page, email: str, *, name: str, organization: str, password: str) -> None:
    """Create a new team's account through the register form."""
    page.goto("/register")
    page.fill("#f-name", name)
    page.fill("#f-organization", organization)
    page.fill("#f-email", email)
    page.fill("#f-password", password)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(lambda url: "/register" not in url)
