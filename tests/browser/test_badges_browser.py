"""Badges in a real browser: a new rep's first touch celebrates "First touch" with a toast."""

from datetime import timedelta

import pytest

from app import clock

from .helpers import sign_in

pytestmark = pytest.mark.browser


def test_the_first_touch_of_a_new_rep_shows_the_badge_toast(page, session, make_customer, make_user):
    from playwright.sync_api import expect

    user = make_user(email="nina@example.com", workdays=[0, 1, 2, 3, 4, 5, 6])
    make_customer(user, "Müller AG", tier="A", now=clock.now() - timedelta(days=1))
    session.commit()
    sign_in(page, "nina@example.com")
    page.goto("/")
    page.evaluate("window.__noReload = 'still here'")
    row = page.get_by_test_id("whom-row").first
    row.get_by_test_id("log-touch").click()
    row.locator('button[data-kind="call"]').click()

    toast = page.get_by_test_id("badge-toast")
    expect(toast).to_have_count(1)
    expect(toast).to_be_visible()
    expect(toast).to_contain_text("First touch")
    expect(toast).to_contain_text("Logged your first touch.")
    expect(toast).to_have_attribute("data-code", "first_touch")
    # It sits in the polite live region, so a screen reader announces it.
    expect(page.locator("#toasts").get_by_test_id("badge-toast")).to_have_count(1)
    # The points line on Today followed the touch-logged event: a first call scores 4 + 3.
    expect(page.get_by_test_id("points-line")).to_contain_text("7 points today")
    expect(page.get_by_test_id("undo-toast").get_by_test_id("points-note")).to_contain_text("+7 points")
    page.screenshot(path="/tmp/badge-toast.png", caret="initial")

    # The second touch earns nothing new: no second toast.
    row.get_by_test_id("log-touch").click()
    row.locator('button[data-kind="call"]').click()
    expect(page.get_by_test_id("undo-toast")).to_have_count(2)
    expect(page.get_by_test_id("badge-toast")).to_have_count(1)
    assert page.evaluate("window.__noReload") == "still here"

    page.goto("/badges")
    earned = page.get_by_test_id("badge-earned")
    expect(earned).to_have_count(1)
    expect(earned).to_contain_text("Earned on")
    page.screenshot(path="/tmp/badges.png", full_page=True, caret="initial")
