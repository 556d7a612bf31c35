"""Vacation & sick days and team holidays in a real browser: htmx swaps the section, no reload."""

from datetime import timedelta

import pytest

from app import clock

from .helpers import playwright_expect, register

pytestmark = pytest.mark.browser

PASSWORD = "a long enough password"


def _register(page, email: str) -> None:
    register(page, email, name="Cora Coach", organization="Cora’s Sales GmbH", password=PASSWORD)


def test_add_refuse_and_delete_away_periods_and_holidays_without_reload(page):
    expect = playwright_expect()
    _register(page, "cora@example.com")
    today = clock.local_day(clock.now(), "Europe/Berlin")
    first, last = today + timedelta(days=10), today + timedelta(days=16)

    page.goto("/settings/")
    page.evaluate("window.__noReload = 'still here'")
    section = page.locator("#away")
    expect(section).to_contain_text("Nothing planned.")
    section.locator("#f-first_day").fill(first.isoformat())
    section.locator("#f-last_day").fill(last.isoformat())
    section.get_by_label("Sick").check()
    section.locator("#f-away-note").fill("Knee")
    section.get_by_role("button", name="Add days away").click()
    section = page.locator("#away")
    expect(section).to_contain_text("Away period saved.")
    expect(section.get_by_test_id("range-row")).to_have_count(1)
    expect(section.get_by_test_id("range-row")).to_contain_text("7 days")
    expect(section.get_by_test_id("range-row")).to_contain_text("Knee")
    section.screenshot(path="/tmp/away-section.png", caret="initial")

    # The same days again: a 422, swapped in, with what was typed kept.
    section.locator("#f-first_day").fill(last.isoformat())
    section.locator("#f-last_day").fill((last + timedelta(days=2)).isoformat())
    section.get_by_role("button", name="Add days away").click()
    expect(page.locator("#first_day-error")).to_contain_text("This overlaps your away period")
    expect(page.locator("#f-last_day")).to_have_value((last + timedelta(days=2)).isoformat())

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#away").get_by_role("button", name="Delete").click()
    expect(page.locator("#away")).to_contain_text("Away period deleted.")
    expect(page.locator("#away").get_by_test_id("range-row")).to_have_count(0)

    assert page.evaluate("window.__noReload") == "still here"

    page.goto("/team/")
    page.evaluate("window.__noReload = 'still here'")
    holidays = page.locator("#holidays")
    holidays.locator("#f-holiday-name").fill("Team retreat")
    holidays.locator("#f-first_day").fill(first.isoformat())
    holidays.locator("#f-last_day").fill(first.isoformat())
    holidays.get_by_role("button", name="Add team holiday").click()
    expect(page.locator("#holidays")).to_contain_text("Team holiday saved.")
    expect(page.locator("#holidays").get_by_test_id("range-row")).to_contain_text("Team retreat")
    page.locator("#holidays").screenshot(path="/tmp/holidays-section.png", caret="initial")
    assert page.evaluate("window.__noReload") == "still here"
