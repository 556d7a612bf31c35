"""The Streak page in a real browser: the heatmap renders, scales to a small phone, follows Today."""

from datetime import datetime, timedelta, timezone

import pytest
from babel.dates import format_date

from app import clock
from app.models import Touch
from app.operations import streak_state

from .helpers import playwright_expect, sign_in

pytestmark = pytest.mark.browser


def _rep_with_a_streak(session, make_user, make_customer, email: str, days: int):
    """A rep who works every day and touched a customer on each of the last *days* days."""
    rep = make_user(email=email, workdays=[0, 1, 2, 3, 4, 5, 6])
    rep.created_at = clock.now() - timedelta(days=60)
    customer = make_customer(rep, "Müller AG", tier="A", now=clock.now() - timedelta(days=60))
    today = rep.today(clock.now())
    for back in range(1, days + 1):
        day = today - timedelta(days=back)
        at = datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc)
        session.add(Touch(organization_id=rep.organization_id, user_id=rep.id, customer_id=customer.id,
                          kind="call", occurred_at=at, local_day=day, created_at=at))
    session.flush()
    streak_state.rebuild(session, rep, now=clock.now())
    session.commit()
    return rep, today


def test_a_touch_on_today_lights_the_flame_and_shows_on_the_streak_heatmap(page, session, make_user, make_customer):
    expect = playwright_expect()
    rep, today = _rep_with_a_streak(session, make_user, make_customer, "sina@example.com", days=2)
    sign_in(page, "sina@example.com")
    page.goto("/")
    page.evaluate("window.__noReload = 'still here'")
    expect(page.get_by_test_id("streak-count")).to_have_text("2")
    expect(page.locator("#streak")).to_have_class("flame at-risk")

    row = page.get_by_test_id("whom-row").first
    row.get_by_test_id("log-touch").click()
    row.locator('button[data-kind="letter"]').click()
    expect(page.get_by_test_id("streak-count")).to_have_text("3")
    expect(page.locator("#streak")).to_have_class("flame lit")

    # The bottom nav is boosted: the streak page arrives without a reload, marked as current.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Streak").click()
    page.wait_for_url("**/streak")
    assert page.evaluate("window.__noReload") == "still here"
    expect(page.get_by_role("link", name="Streak")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("streak-current")).to_have_text("3")
    expect(page.get_by_test_id("streak-status")).to_contain_text("Done for today")

    heatmap = page.get_by_test_id("heatmap")
    expect(heatmap).to_be_visible()
    expect(heatmap).to_have_accessible_name("Last 26 weeks")
    expect(heatmap.locator("g.hm-day")).to_have_count(182)
    label = f"{format_date(today, 'd MMM', locale='en')}: 1 touch, today"
    today_cell = page.get_by_role("img", name=label)
    expect(today_cell).to_have_count(1)
    expect(today_cell).to_have_attribute("data-day", today.isoformat())
    yesterday = today - timedelta(days=1)
    expect(page.get_by_role("img", name=f"{format_date(yesterday, 'd MMM', locale='en')}: 1 touch")).to_have_count(1)
    # Shaded through CSS (the strict CSP allows no inline styles): a touched day is not the empty shade.
    fills = page.evaluate(
        """() => [...document.querySelectorAll('g.hm-day')].map(g => getComputedStyle(g.querySelector('.hm-box')).fill)"""
    )
    assert len(set(fills)) >= 2, fills
    page.screenshot(path="/tmp/streak.png", full_page=True, caret="initial")


def test_the_heatmap_fits_a_360px_phone(page, session, make_user, make_customer):
    expect = playwright_expect()
    _rep_with_a_streak(session, make_user, make_customer, "pia@example.com", days=9)
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, "pia@example.com")
    page.goto("/streak")
    heatmap = page.get_by_test_id("heatmap")
    expect(heatmap).to_be_visible()
    box = heatmap.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert box["height"] > 60  # scaled down, still drawn
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    expect(page.get_by_test_id("freezes")).to_contain_text("1 of 2 freezes held")
    page.get_by_text("How is it computed?").click()
    expect(page.get_by_text("0.9 times")).to_be_visible()
    page.screenshot(path="/tmp/streak-360.png", full_page=True, caret="initial")
