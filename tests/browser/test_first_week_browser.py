"""The first week of a new rep and a new coach, in Chromium at 390×844: what only a browser shows.

A coach edits a challenge and ends it early (English and German); a rep back from the road logs
for a day of the last 7 with the date picker and corrects a touch's day; finds a customer before
logging; pages through the history; types a note too long (counted, never cut); forms keep the
address of the page they show.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.kinds import Role
from app.models import Challenge, Customer, Touch
from app.operations import invites
from app.operations import touches as touch_ops

from .conftest import PHONE
from .helpers import playwright_expect, sign_in

pytestmark = pytest.mark.browser

WORDS = {
    "en": {"edit": "Edit", "save": "Save changes", "end": "End now", "ended": "The challenge has ended. Its results "
           "are final.", "final": "Final result", "saved": "Challenge saved.", "after": "The end must come after the "
           "start.", "manage": "Manage this challenge"},
    "de": {"edit": "Bearbeiten", "save": "Änderungen speichern", "end": "Jetzt beenden", "ended": "Die Challenge ist "
           "beendet. Ihre Ergebnisse stehen fest.", "final": "Endergebnis", "saved": "Challenge gespeichert.",
           "after": "Das Ende muss nach dem Start liegen.", "manage": "Diese Challenge verwalten"},
}


def _phone(browser, live_server, locale: str = "en-US"):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2,
                                  locale=locale, timezone_id="Europe/Berlin", base_url=live_server)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "status of 422" not in msg.text
            else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, errors


@pytest.mark.parametrize("lang", ["en", "de"])
def test_a_coach_edits_a_challenge_and_ends_it_early(browser, live_server, session, make_org, make_user,
                                                     make_customer, lang):
    expect = playwright_expect()
    words = WORDS[lang]
    team = make_org("Storm Sales")
    coach = make_user(team=team, role=Role.coach, name="Carla Coach", locale=lang)
    rep = make_user(team=team, name="Rita Rep")
    rep.created_at = clock.now() - timedelta(days=30)
    now = clock.now()
    challenge = Challenge(organization_id=coach.organization_id, team_id=team.id, created_by_id=coach.id,
                          title="Two touches", metric="team_touches", target=2, starts_at=now - timedelta(days=1),
                          ends_at=now + timedelta(days=3), created_at=now - timedelta(days=2))
    session.add(challenge)
    touch_ops.log_touch(session, user=rep, customer_id=make_customer(rep, "Müller AG", now=now - timedelta(days=9)).id,
                        kind="letter", now=now)
    session.commit()
    context, page, errors = _phone(browser, live_server, "de-DE" if lang == "de" else "en-US")
    sign_in(page, coach.email)
    page.goto(f"/challenges/{challenge.id}")
    manage = page.get_by_test_id("manage-challenge")
    expect(manage).to_contain_text(words["manage"])
    expect(manage.locator(f'a[href="/challenges/{challenge.id}/delete"]')).to_have_count(0)  # Rita progressed
    manage.get_by_role("link", name=words["edit"]).click()
    page.wait_for_url(f"**/challenges/{challenge.id}/edit")

    # An end before the start: the form again, the problem next to the field, the address kept.
    page.fill("#f-ends_at", "2020-01-01T10:00")
    page.get_by_role("button", name=words["save"]).click()
    expect(page.locator("#ends_at-error")).to_have_text(words["after"])
    assert page.url.endswith(f"/challenges/{challenge.id}/edit")
    page.screenshot(path=f"/tmp/challenge-edit-{lang}.png", full_page=True, caret="initial")

    later = clock.local_now(now + timedelta(days=5), coach.timezone).strftime("%Y-%m-%dT%H:%M")
    page.fill("#f-title", "Four touches")
    page.fill("#f-target", "4")
    page.fill("#f-ends_at", later)
    page.get_by_role("button", name=words["save"]).click()
    page.wait_for_url(f"**/challenges/{challenge.id}")
    expect(page.locator("#flashes")).to_contain_text(words["saved"])
    expect(page.locator("h1")).to_have_text("Four touches")
    expect(page.get_by_test_id("team-progress-text")).to_contain_text("1")
    expect(page.get_by_test_id("team-progress-text")).to_contain_text("4")

    page.get_by_test_id("manage-challenge").get_by_role("link", name=words["end"]).click()
    page.wait_for_url(f"**/challenges/{challenge.id}/end")
    page.screenshot(path=f"/tmp/challenge-end-{lang}.png", full_page=True, caret="initial")
    page.locator("main form").get_by_role("button", name=words["end"]).click()
    page.wait_for_url(f"**/challenges/{challenge.id}")
    expect(page.locator("#flashes")).to_contain_text(words["ended"])
    expect(page.locator("#team-progress-title")).to_have_text(words["final"])
    expect(page.get_by_test_id("ranking")).to_contain_text("Rita Rep")
    page.screenshot(path=f"/tmp/challenge-ended-{lang}.png", full_page=True, caret="initial")
    session.rollback()  # a fresh snapshot: the live server wrote meanwhile
    stored = session.get(Challenge, challenge.id)
    assert stored.finalized_at is not None and stored.title == "Four touches" and stored.target == 4
    # Phone width: nothing sticks out sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
    assert errors == []


def test_back_from_the_road_a_rep_logs_for_a_picked_day_and_corrects_another(page, session, make_user,
                                                                            make_customer):
    expect = playwright_expect()
    rep = make_user(name="Rita Rep", workdays=[0, 1, 2, 3, 4, 5, 6])
    make_customer(rep, "Müller AG", tier="A", now=clock.now() - timedelta(days=20))
    session.commit()
    today = rep.today(clock.now())
    sign_in(page, rep.email)
    page.goto("/")
    row = page.get_by_test_id("whom-row").first
    row.get_by_test_id("log-touch").click()
    row.locator("details.extras > summary").click()
    picker = row.locator('input[name="day"]')
    assert picker.get_attribute("min") == (today - timedelta(days=6)).isoformat()
    assert picker.get_attribute("max") == today.isoformat()
    expect(row.locator('input[name="days_back"][value="0"]')).to_be_checked()
    picker.fill((today - timedelta(days=4)).isoformat())
    picker.dispatch_event("change")
    expect(row.locator('input[name="days_back"]:checked')).to_have_count(0)  # the picked day wins, visibly
    page.screenshot(path="/tmp/log-picked-day.png", caret="initial")
    row.locator('button[data-kind="visit"]').click()
    expect(page.locator("#recent")).to_contain_text("Visit")
    session.rollback()  # a fresh snapshot: the live server wrote meanwhile
    touch = session.scalar(select(Touch).where(Touch.user_id == rep.id))
    assert touch.local_day == today - timedelta(days=4) and touch.backfilled

    # The day was wrong: three days ago, not four. Edit it in the list, without leaving the page.
    page.goto("/touches/")
    page.get_by_test_id("touch-row").get_by_role("link", name=re.compile("Edit")).click()
    day = page.locator(f"#edit-day-{touch.id}")
    expect(day).to_have_value((today - timedelta(days=4)).isoformat())
    day.fill((today - timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("touch-row")).to_be_visible()
    session.rollback()
    assert session.get(Touch, touch.id).local_day == today - timedelta(days=3)
    assert session.scalar(select(Customer.last_touch_day)) == today - timedelta(days=3)


def test_find_before_you_log_searches_as_you_type_and_tells_namesakes_apart(page, session, make_user,
                                                                           make_customer):
    expect = playwright_expect()
    rep = make_user(name="Rita Rep")
    make_customer(rep, "Anna Schmidt", company="Bäckerei Schmidt", email="anna@baeckerei.example")
    make_customer(rep, "Anna Schmidt", company="Bäckerei Schmidt", email="a.schmidt@example.com")
    make_customer(rep, "Bernd Meier", company="Meier & Co")
    session.commit()
    sign_in(page, rep.email)
    page.goto("/touches/new")
    page.evaluate("window.__noReload = 'still here'")
    expect(page.get_by_test_id("log-pick-row")).to_have_count(3)
    page.locator("#log-q").press_sequentially("schmi", delay=30)
    expect(page.get_by_test_id("log-pick-row")).to_have_count(2)
    assert page.evaluate("window.__noReload") == "still here"
    assert "q=schmi" in page.url
    rows = page.get_by_test_id("log-pick-row")
    expect(rows.first).to_contain_text("Bäckerei Schmidt")
    details = sorted(rows.get_by_test_id("tell-apart").all_inner_texts())
    assert details == ["a.schmidt@example.com", "anna@baeckerei.example"]
    page.screenshot(path="/tmp/find-before-log.png", full_page=True, caret="initial")
    second = rows.filter(has_text="a.schmidt@example.com")
    second.get_by_test_id("log-touch").click()
    second.locator('button[data-kind="call"]').click()
    expect(second.locator(".logged")).to_contain_text("Logged")
    session.rollback()
    logged = session.scalar(select(Touch).where(Touch.user_id == rep.id))
    assert session.get(Customer, logged.customer_id).email == "a.schmidt@example.com"


def test_the_history_pages_and_filters_without_leaving_the_page(page, session, make_user, make_customer):
    expect = playwright_expect()
    rep = make_user(name="Rita Rep")
    shop = make_customer(rep, "Müller AG", now=clock.now() - timedelta(days=60))
    other = make_customer(rep, "Schmidt KG", now=clock.now() - timedelta(days=60))
    for n in range(60):
        touch_ops.log_touch(session, user=rep, customer_id=(shop if n % 3 else other).id,
                            kind="letter" if n % 5 == 0 else "call", now=clock.now() - timedelta(days=n // 2))
    session.commit()
    sign_in(page, rep.email)
    page.goto("/touches/")
    page.evaluate("window.__noReload = 'still here'")
    items = page.locator("#recent .touch-item")
    expect(items).to_have_count(50)
    page.get_by_test_id("older-touches").click()
    expect(items).to_have_count(60)
    expect(page.get_by_test_id("older-touches")).to_have_count(0)
    page.select_option("#filter-kind", "letter")
    expect(items).to_have_count(12)
    assert "kind=letter" in page.url and page.evaluate("window.__noReload") == "still here"
    page.select_option("#filter-customer", str(other.id))
    expect(items).to_have_count(4)  # letters with Schmidt KG: n = 0, 15, 30, 45
    expect(page.get_by_test_id("touch-history")).not_to_contain_text("Müller AG")


def test_a_note_too_long_is_counted_never_cut(page, session, make_user, make_customer):
    expect = playwright_expect()
    rep = make_user(name="Rita Rep")
    customer = make_customer(rep, "Müller AG")
    session.commit()
    sign_in(page, rep.email)
    page.goto(f"/customers/{customer.id}/edit")
    notes = page.locator("#f-notes")
    counter = page.locator("#f-notes-count")
    expect(counter).to_have_text("0 of 5,000 characters")
    notes.focus()
    page.keyboard.insert_text("n" * 5100)  # as a paste: the browser must keep all of it
    assert len(notes.input_value()) == 5100
    expect(counter).to_have_text("5,100 of 5,000 characters: 100 too many. Please shorten it.")
    expect(counter).to_have_class(re.compile(r"\bover\b"))
    expect(page.locator("#counter-live")).to_have_text("5,100 of 5,000 characters: 100 too many. Please shorten it.")
    assert notes.get_attribute("aria-describedby").split()[0] == "f-notes-count"
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#notes-error")).to_have_text("At most 5000 characters.")
    assert len(page.locator("#f-notes").input_value()) == 5100  # nothing was cut on the way back either
    assert page.url.endswith(f"/customers/{customer.id}/edit")
    page.keyboard.press("End")
    page.locator("#f-notes").fill("n" * 4995)
    expect(page.locator("#f-notes-count")).to_have_text("4,995 of 5,000 characters")
    expect(page.locator("#counter-live")).to_have_text("5 characters left")


def test_the_address_bar_shows_the_page_a_form_shows(page, session, make_user, make_org):
    expect = playwright_expect()
    rep = make_user(name="Rita Rep")
    coach = make_user(team=make_org("Nordlicht"), role=Role.coach)
    token = invites.create_invite(session, coach, now=clock.now()).token
    session.commit()
    sign_in(page, rep.email)
    page.goto("/customers/new")
    page.fill("#f-name", "Weber Druck")
    page.fill("#f-phone", "call me maybe")
    page.get_by_role("button", name="Add customer").click()
    expect(page.locator("#phone-error")).to_be_visible()
    assert page.url.endswith("/customers/new")  # the form again: not /customers/, the list
    page.reload()  # reloading shows the same page, and posts nothing
    expect(page.locator("h1")).to_have_text("New customer")
    page.fill("#f-name", "Weber Druck")
    page.get_by_role("button", name="Add customer").click()
    page.wait_for_url(re.compile(r"/customers/[0-9]+$"))
    expect(page.locator("h1")).to_contain_text("Weber Druck")
    page.reload()
    expect(page.locator("h1")).to_contain_text("Weber Druck")

    # A new rep joins through an invite: the address is the page shown after it, not the invite link.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    page.goto(f"/join/{token}")
    page.fill("#f-name", "Nina New")
    page.fill("#f-email", "nina@example.com")
    page.fill("#f-password", "a long enough password")
    page.get_by_role("button", name="Join the team").click()
    page.wait_for_url("**/customers/new")
    page.reload()
    expect(page.locator("h1")).to_have_text("New customer")
