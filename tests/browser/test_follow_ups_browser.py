"""Follow-ups in a real browser at phone size: plan the next touch, see it first on Today, a touch does it; move, drop."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.models import FollowUp

from .helpers import playwright_expect, sign_in

pytestmark = pytest.mark.browser

FEED_ADDRESS = re.compile(r"^http://127\.0\.0\.1:\d+/calendar/[A-Za-z0-9_-]{40,}\.ics$")


def test_plan_for_today_see_it_first_on_today_then_a_touch_does_it(page, session, make_user, make_customer):
    expect = playwright_expect()
    rep = make_user(name="Rita Rep", email="rita@example.com", workdays=[0, 1, 2, 3, 4, 5, 6])
    now = clock.now()
    today = rep.today(now)
    make_customer(rep, "Quiet GmbH", tier="A", now=now - timedelta(days=40))  # the most urgent, unplanned
    planned = make_customer(rep, "Müller AG", tier="C", now=now - timedelta(days=1))
    session.commit()
    sign_in(page, rep.email)

    page.goto(f"/customers/{planned.id}")
    page.evaluate("window.__noReload = 'still here'")
    widget = page.get_by_test_id("next-touch")
    expect(widget).to_contain_text("Nothing planned yet")
    # A day in the past: refused next to the field, swapped in without a reload.
    widget.get_by_label("Day").fill((today - timedelta(days=1)).isoformat())
    widget.get_by_test_id("plan-follow-up").click()
    expect(page.locator(f"#due-day-{planned.id}-error")).to_contain_text("a date in the past")
    widget = page.get_by_test_id("next-touch")
    widget.get_by_label("Day").fill(today.isoformat())
    widget.locator("label", has=page.locator('input[name="kind"][value="call"]')).click()
    widget.get_by_label("Note (optional)").fill("Ask about the spring order")
    widget.get_by_test_id("plan-follow-up").click()
    widget = page.get_by_test_id("next-touch")
    expect(widget).to_contain_text("Next touch planned.")
    expect(widget.get_by_test_id("planned-touch")).to_contain_text("Call · due today")
    expect(widget).to_contain_text("Ask about the spring order")
    assert page.evaluate("window.__noReload") == "still here"
    page.screenshot(path="/tmp/follow-up-widget.png", full_page=True, caret="initial")

    # Today: the plan ranks first, before the quiet A customer.
    page.goto("/")
    first = page.get_by_test_id("whom-row").first
    expect(first).to_contain_text("Müller AG")
    expect(first.get_by_test_id("planned")).to_contain_text("Planned: Call · due today")
    expect(page.get_by_test_id("whom-row").nth(1)).to_contain_text("Quiet GmbH")
    page.screenshot(path="/tmp/follow-up-today.png", caret="initial")

    # Log the touch in two taps: the plan is done, the row no longer shows it.
    page.evaluate("window.__noReload = 'still here'")
    first.get_by_test_id("log-touch").click()
    first.locator('button[data-kind="call"]').click()
    expect(page.get_by_test_id("undo-toast")).to_be_visible()
    expect(page.locator('[data-testid="whom-row"]', has_text="Müller AG")).to_contain_text("Touched today")
    expect(page.get_by_test_id("planned")).to_have_count(0)
    assert page.evaluate("window.__noReload") == "still here"
    session.rollback()  # a new snapshot: the live server wrote in its own transactions
    [done] = session.scalars(select(FollowUp)).all()
    assert done.done_at is not None and done.done_touch_id is not None

    page.goto(f"/customers/{planned.id}")
    expect(page.get_by_test_id("next-touch")).to_contain_text("Nothing planned yet")


def test_plan_with_a_quick_pick_move_and_drop_without_reload(page, session, make_user, make_customer):
    expect = playwright_expect()
    rep = make_user(name="Rita Rep", email="rita2@example.com")
    customer = make_customer(rep, "Schmidt KG")
    session.commit()
    today = rep.today(clock.now())
    sign_in(page, rep.email)

    page.goto(f"/customers/{customer.id}")
    page.evaluate("window.__noReload = 'still here'")
    widget = page.get_by_test_id("next-touch")
    widget.locator('button[data-pick="tomorrow"]').click()
    widget = page.get_by_test_id("next-touch")
    expect(widget.get_by_test_id("planned-touch")).to_contain_text("A touch · tomorrow")

    # Move it: the form is folded away under "Change the plan" once something is planned.
    moved_to = today + timedelta(days=9)
    widget.get_by_text("Change the plan").click()
    widget.get_by_label("Day").fill(moved_to.isoformat())
    widget.locator("label", has=page.locator('input[name="kind"][value="visit"]')).click()
    widget.get_by_test_id("plan-follow-up").click()
    widget = page.get_by_test_id("next-touch")
    expect(widget).to_contain_text("Next touch moved.")
    expect(widget.get_by_test_id("planned-touch")).to_contain_text("Visit")
    expect(widget.get_by_test_id("planned-touch").locator("time")).to_have_attribute("datetime", moved_to.isoformat())

    widget.get_by_test_id("drop-follow-up").click()
    widget = page.get_by_test_id("next-touch")
    expect(widget).to_contain_text("Next touch dropped.")
    expect(widget).to_contain_text("Nothing planned yet")
    assert page.evaluate("window.__noReload") == "still here"
    session.rollback()
    [row] = session.scalars(select(FollowUp)).all()
    assert row.dropped_at is not None and row.due_day == moved_to


def test_make_subscribe_and_turn_off_the_calendar_feed(page, session, make_user, make_customer):
    expect = playwright_expect()
    rep = make_user(name="Rita Rep", email="rita3@example.com")
    customer = make_customer(rep, "Weber Druck")
    session.commit()
    sign_in(page, rep.email)
    page.goto(f"/customers/{customer.id}")
    page.get_by_test_id("next-touch").locator('button[data-pick="next_week"]').click()
    expect(page.get_by_test_id("planned-touch")).to_be_visible()

    page.goto("/settings/")
    page.evaluate("window.__noReload = 'still here'")
    section = page.get_by_test_id("calendar-settings")
    section.get_by_role("button", name="Make a calendar address").click()
    address = page.locator("#calendar-url-value")
    expect(address).to_have_value(FEED_ADDRESS)
    url = address.input_value()
    subscribe = page.get_by_role("link", name="Subscribe on this device")
    expect(subscribe).to_have_attribute("href", "webcal://" + url.split("://", 1)[1])
    fetched = page.request.get(url)
    assert fetched.status == 200 and fetched.headers["content-type"].startswith("text/calendar")
    assert "SUMMARY:Get in touch with Weber Druck" in fetched.text()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("calendar-settings").get_by_role("button", name="Turn off").click()
    expect(page.get_by_test_id("calendar-settings")).to_contain_text("Calendar feed turned off.")
    assert page.request.get(url).status == 404
    assert page.evaluate("window.__noReload") == "still here"
