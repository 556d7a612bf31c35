"""Badges in a real browser: a new rep's first touch celebrates "First touch"."""

from datetime import timedelta

import pytest

from app import clock

from .helpers import sign_in

pytestmark = pytest.mark.browser


def test_the_first_touch_of_a_new_rep_celebrates_the_badge(page, session, make_customer, make_user):
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

    # It sits in the polite live region, so a screen reader announces it.
    moment = page.locator("#moments[aria-live=polite]").get_by_test_id("moment")
    expect(moment).to_have_count(1)
    expect(moment).to_be_visible()
    expect(moment).to_have_attribute("data-kind", "badge")
    expect(moment).to_contain_text("New badge: First touch")
    expect(moment).to_contain_text("Logged your first touch.")
    expect(moment).to_have_attribute("data-code", "first_touch")
    # The points line on Today followed the touch-logged event: a first call scores 4 + 3.
    expect(page.get_by_test_id("points-line")).to_contain_text("7 points today")
    expect(page.get_by_test_id("undo-toast").get_by_test_id("points-note")).to_contain_text("+7 points")
    page.screenshot(path="/tmp/badge-moment.png", caret="initial")
    expect(moment).to_have_count(0, timeout=4_000)  # gone by itself

    # The second touch earns nothing new: nothing to celebrate.
    row.get_by_test_id("log-touch").click()
    row.locator('button[data-kind="call"]').click()
    expect(page.get_by_test_id("undo-toast")).to_have_count(2)
    page.wait_for_timeout(500)
    expect(moment).to_have_count(0)
    assert page.evaluate("window.__noReload") == "still here"

    page.goto("/badges")
    earned = page.get_by_test_id("badge-earned")
    expect(earned).to_have_count(1)
    expect(earned).to_contain_text("Earned on")
    page.screenshot(path="/tmp/badges.png", full_page=True, caret="initial")
