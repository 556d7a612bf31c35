"""Today in a real browser: register, log a touch in two taps, see it counted, undo — no reload."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.models import Touch, User

from .helpers import playwright_expect, register

pytestmark = pytest.mark.browser

PASSWORD = "a long enough password"


def _register(page, email: str) -> None:
    register(page, email, name="Rita Rep", organization="Rita’s Sales GmbH", password=PASSWORD)


def _customer_for(session, make_customer, email: str, name: str):
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None, "registration did not create the user"
    customer = make_customer(user, name, tier="A", now=clock.now() - timedelta(days=20))
    session.commit()
    return user, customer


def test_log_a_touch_in_two_taps_and_undo_without_reload(page, session, make_customer):
    expect = playwright_expect()
    _register(page, "rita@example.com")
    user, customer = _customer_for(session, make_customer, "rita@example.com", "Müller AG")
    make_customer(user, "Schmidt KG", tier="C", now=clock.now() - timedelta(days=3))
    session.commit()

    page.goto("/")
    page.evaluate("window.__noReload = 'still here'")
    streak = page.get_by_test_id("streak-count")
    goal = page.get_by_test_id("goal-count")
    first_row = page.get_by_test_id("whom-row").first
    expect(streak).to_have_text("0")
    expect(goal).to_have_text("0 of 3")
    expect(first_row).to_contain_text("Müller AG")
    expect(first_row).to_contain_text("Quiet")

    # Tap 1: the customer's "Log touch"; tap 2: the kind.
    first_row.get_by_test_id("log-touch").click()
    expect(first_row.locator('button[data-kind="coffee"]')).to_be_visible()
    page.screenshot(path="/tmp/today-open.png", caret="initial")
    first_row.locator('button[data-kind="coffee"]').click()

    expect(streak).to_have_text("1")
    expect(goal).to_have_text("1 of 3")
    expect(page.get_by_test_id("goal-progress")).to_have_attribute("value", "1")
    # Müller AG was touched today: it moves behind Schmidt KG and turns green, by text too.
    expect(page.get_by_test_id("whom-row").first).to_contain_text("Schmidt KG")
    touched = page.get_by_test_id("whom-row").filter(has_text="Müller AG")
    expect(touched).to_contain_text("Touched today")
    expect(touched).to_contain_text("In touch")
    expect(page.locator("#recent")).to_contain_text("Coffee")
    toast = page.get_by_test_id("undo-toast")
    expect(toast).to_be_visible()
    expect(toast).to_contain_text("Coffee with Müller AG")
    assert page.evaluate("window.__noReload") == "still here"
    # caret="initial": hiding the caret injects a style that the strict CSP (rightly) blocks.
    page.screenshot(path="/tmp/today.png", full_page=True, caret="initial")
    page.screenshot(path="/tmp/today-viewport.png", caret="initial")

    toast.get_by_test_id("undo").click()
    expect(streak).to_have_text("0")
    expect(goal).to_have_text("0 of 3")
    expect(page.get_by_test_id("whom-row").first).to_contain_text("Müller AG")
    expect(page.locator("#toasts")).to_contain_text("Undone")
    expect(page.locator("#recent")).not_to_contain_text("Coffee")
    assert page.evaluate("window.__noReload") == "still here"
    session.expire_all()
    assert session.scalars(select(Touch).where(Touch.user_id == user.id, Touch.deleted_at.is_(None))).all() == []


def test_other_needs_a_note_then_logs_with_it(page, session, make_customer, make_user):
    expect = playwright_expect()
    user = make_user(email="otto@example.com")
    make_customer(user, "Bäckerei Otto", now=clock.now() - timedelta(days=10))
    session.commit()
    page.goto("/login")
    page.fill("#f-email", "otto@example.com")
    page.fill("#f-password", "correct horse battery")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto("/")
    page.evaluate("window.__noReload = 1")
    row = page.get_by_test_id("whom-row").first
    row.get_by_test_id("log-touch").click()
    row.locator('button[data-kind="other"]').click()
    expect(row.get_by_role("alert")).to_contain_text("be creative")
    expect(page.get_by_test_id("streak-count")).to_have_text("0")
    row.get_by_label("Note").fill("Brought fresh pretzels for the team")
    row.get_by_text("Yesterday").click()
    row.locator('button[data-kind="other"]').click()
    expect(page.get_by_test_id("streak-count")).to_have_text("1")
    expect(page.locator("#recent")).to_contain_text("Brought fresh pretzels")
    expect(page.locator("#recent")).to_contain_text("Yesterday")
    assert page.evaluate("window.__noReload") == 1


def test_edit_and_delete_a_recent_touch_inline(page, session, make_customer, make_user):
    expect = playwright_expect()
    user = make_user(email="erik@example.com")
    customer = make_customer(user, "Weber & Söhne", now=clock.now() - timedelta(days=10))
    session.commit()
    from app.operations import touches as ops

    ops.log_touch(session, user=user, customer_id=customer.id, kind="email", now=clock.now())
    session.commit()
    page.goto("/login")
    page.fill("#f-email", "erik@example.com")
    page.fill("#f-password", "correct horse battery")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto("/")
    page.evaluate("window.__noReload = 1")
    recent = page.locator("#recent")
    expect(page.get_by_test_id("streak-count")).to_have_text("1")

    recent.get_by_role("link", name="Edit").click()
    form = recent.locator("form.touch-edit")
    expect(form).to_be_visible()
    form.get_by_text("Letter").click()
    form.get_by_label("Note").fill("Thank-you letter for the big order")
    form.get_by_text("They did").click()
    form.get_by_role("button", name="Save").click()
    expect(recent).to_contain_text("Thank-you letter for the big order")
    expect(recent).to_contain_text("They reached out")
    expect(recent.locator("form.touch-edit")).to_have_count(0)

    page.once("dialog", lambda dialog: dialog.accept())
    recent.get_by_role("link", name="Delete").click()
    expect(recent).to_contain_text("No touches yet")
    expect(page.get_by_test_id("streak-count")).to_have_text("0")
    assert page.evaluate("window.__noReload") == 1
    session.expire_all()
    assert customer.last_touch_day is None
