"""Moments and the front door in Chromium at 390×844: celebrations (and none of their motion when
reduced motion is asked for), toasts one at a time and never over a field, the badge page's
colours, the landing page (EN and DE, axe clean), the install prompt."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock
from app.models import Customer
from app.operations import touches as touch_ops

from .conftest import PHONE
from .helpers import playwright_expect, sign_in
from .test_a11y_browser import AXE, RUN_AXE, SERIOUS

pytestmark = pytest.mark.browser

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.5 Mobile/15E148 Safari/604.1")

# A real Event named beforeinstallprompt, with the prompt() that Chromium's own event has.
OFFER_INSTALL = """() => {
  const event = new Event('beforeinstallprompt', {cancelable: true});
  event.prompt = () => { window.__prompted = (window.__prompted || 0) + 1; return Promise.resolve({outcome: 'accepted'}); };
  event.userChoice = Promise.resolve({outcome: 'accepted'});
  window.dispatchEvent(event);
  return event.defaultPrevented;
}"""

ANIMATIONS = """() => [...document.querySelectorAll('#moments, #moments *')]
  .map(el => getComputedStyle(el).animationName).filter(name => name !== 'none')"""


@pytest.fixture
def new_page(browser, live_server):
    """Open phone-sized pages with extra context options (reduced motion, another user agent).

    As with ``page``, any error the browser reports fails the test.
    """
    contexts, errors = [], []

    def make(**options):
        options = {"locale": "en-US", **options}
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=1,
                                      timezone_id="Europe/Berlin", base_url=live_server, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert errors == [], f"the browser reported errors: {errors}"


@pytest.fixture
def rep(session, make_user, make_customer):
    """A rep with a daily goal of one and a customer: the first touch reaches the goal and a badge."""
    user = make_user(email="mia@example.com", workdays=[0, 1, 2, 3, 4, 5, 6], daily_goal=1)
    make_customer(user, "Müller AG", tier="A", now=clock.now() - timedelta(days=1))
    session.commit()
    return user


def _log_first(page):
    row = page.get_by_test_id("whom-row").first
    row.get_by_test_id("log-touch").click()
    row.locator('button[data-kind="call"]').click()


def test_the_goal_then_the_badge_are_celebrated_one_after_the_other_and_go(page, rep):
    expect = playwright_expect()
    sign_in(page, rep.email)
    page.goto("/")
    page.locator("body").focus()
    _log_first(page)
    moment = page.locator("#moments[aria-live=polite]").get_by_test_id("moment")
    expect(moment).to_have_count(1)
    expect(moment).to_have_attribute("data-kind", "goal")
    expect(moment).to_contain_text("Daily goal reached!")
    expect(moment).to_contain_text("1 touch today — that is your goal.")
    assert page.evaluate("getComputedStyle(document.querySelector('.moment-ring')).animationName") == "ring-draw"
    # Announced, never focused: the focus stays where the rep left it.
    assert page.evaluate("!document.activeElement.closest('#moments')")
    page.wait_for_timeout(900)
    page.screenshot(path="/tmp/moment-goal.png")
    # Then the badge, with confetti, alone; each is gone after 2.5 s.
    expect(moment).to_have_attribute("data-kind", "badge", timeout=4_000)
    expect(moment).to_have_count(1)
    expect(moment).to_have_attribute("data-code", "first_touch")
    assert page.locator(".moment .confetti-bit").count() == 36
    page.wait_for_timeout(500)
    page.screenshot(path="/tmp/moment-badge.png", clip={"x": 0, "y": 0, "width": 390, "height": 300})
    assert page.evaluate("getComputedStyle(document.querySelector('.confetti-bit')).animationName") == "confetti-fly"
    expect(moment).to_have_count(0, timeout=4_000)


def test_a_celebration_goes_at_a_tap_and_the_streak_gets_a_growing_flame(page, rep):
    expect = playwright_expect()
    sign_in(page, rep.email)
    page.goto("/")
    page.evaluate("""() => TouchbaseMoments.celebrate([
      {kind: 'streak', days: 7, title: '7-day streak!', text: 'Day after day.'},
      {kind: 'goal', goal: 3, title: 'Daily goal reached!', text: '3 touches today.'}])""")
    moment = page.get_by_test_id("moment")
    expect(moment).to_have_attribute("data-kind", "streak")
    expect(moment.locator(".moment-days")).to_have_text("7")
    assert page.evaluate("getComputedStyle(document.querySelector('.moment-flame')).animationName").startswith(
        "flame-grow")
    page.wait_for_timeout(1_200)
    page.screenshot(path="/tmp/moment-streak.png", clip={"x": 0, "y": 0, "width": 390, "height": 200})
    moment.get_by_role("button", name="Close").click()
    expect(moment).to_have_attribute("data-kind", "goal")  # the next one, at once
    page.keyboard.press("Escape")
    expect(moment).to_have_count(0)


def test_with_reduced_motion_the_celebration_shows_its_text_without_any_animation(new_page, rep):
    expect = playwright_expect()
    page = new_page(reduced_motion="reduce")
    sign_in(page, rep.email)
    page.goto("/")
    _log_first(page)
    moment = page.get_by_test_id("moment")
    expect(moment).to_contain_text("Daily goal reached!")
    expect(moment).to_be_visible()
    assert page.evaluate(ANIMATIONS) == []
    expect(moment).to_have_attribute("data-kind", "badge", timeout=4_000)
    assert page.evaluate(ANIMATIONS) == []
    assert page.locator(".moment-confetti").evaluate("el => getComputedStyle(el).display") == "none"
    expect(moment).to_have_count(0, timeout=4_000)


def _visible_toasts(page) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll('#toasts .toast')]
      .filter(t => t.checkVisibility({visibilityProperty: true})).map(t => t.textContent.trim())""")


def test_toasts_show_one_at_a_time_in_order(page, rep):
    sign_in(page, rep.email)
    page.goto("/")
    page.evaluate("() => ['one', 'two', 'three'].forEach(t => TouchbaseToast(t, 1))")
    seen = []
    for _ in range(60):
        visible = _visible_toasts(page)
        assert len(visible) <= 1, visible
        if visible and (not seen or seen[-1] != visible[0]):
            seen.append(visible[0])
        if seen == ["one", "two", "three"] and not visible:
            break
        page.wait_for_timeout(100)
    assert seen == ["one", "two", "three"]
    assert page.locator("#toasts .toast").count() == 0


def _overlap(a: dict, b: dict) -> bool:
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and \
        a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


def test_a_toast_never_covers_the_field_being_filled_in(page, rep):
    sign_in(page, rep.email)
    page.goto("/customers/new")
    field = page.locator("#main input:not([type=hidden]), #main textarea").last
    # The field low on the screen, where toasts usually sit.
    field.evaluate("el => { el.scrollIntoView({block: 'end'}); el.focus(); }")
    page.evaluate("() => TouchbaseToast('Saved elsewhere', 5)")
    toast = page.locator("#toasts .toast").first
    box, field_box = toast.bounding_box(), field.bounding_box()
    assert field_box["y"] + field_box["height"] > PHONE["height"] / 2
    assert box["y"] < PHONE["height"] / 2, box  # moved to the top
    assert not _overlap(box, field_box)
    # The field at the top: the toast does not cover it there either (it waits).
    field.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(100)
    field_box = field.bounding_box()
    hidden = toast.evaluate("t => !t.checkVisibility({visibilityProperty: true})")
    assert hidden or not _overlap(toast.bounding_box(), field_box)
    # Focus gone: back at the bottom, shown.
    page.evaluate("document.activeElement.blur()")
    page.wait_for_timeout(100)
    assert toast.evaluate("t => t.checkVisibility({visibilityProperty: true})")
    assert toast.bounding_box()["y"] > PHONE["height"] / 2


def test_earned_badges_are_colourful_and_locked_ones_grey_with_their_progress(page, session, rep):
    expect = playwright_expect()
    customer = session.query(Customer).filter_by(owner_id=rep.id).one()
    touch_ops.log_touch(session, user=rep, customer_id=customer.id, kind="walk", now=clock.now())
    session.commit()
    sign_in(page, rep.email)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.goto("/badges")
        first = page.locator('[data-testid=badge-earned][data-code=first_touch] .badge-icon')
        walk = page.locator('[data-testid=badge-earned][data-code=first_dog_walk] .badge-icon')
        style = "el => { const s = getComputedStyle(el); return [s.backgroundImage, s.filter]; }"
        first_bg, first_filter = first.evaluate(style)
        walk_bg, _ = walk.evaluate(style)
        assert "linear-gradient" in first_bg and first_filter == "none"
        assert first_bg != walk_bg  # each badge its own colours
        locked = page.locator('[data-testid=badge-locked][data-code=ten_letters]')
        assert "grayscale(1)" in locked.locator(".badge-icon").evaluate("el => getComputedStyle(el).filter")
        assert "conic-gradient" in locked.get_by_test_id("badge-ring").evaluate(
            "el => getComputedStyle(el).backgroundImage")
        expect(locked.get_by_test_id("badge-to-go")).to_have_text("10 more to go")
        page.screenshot(path=f"/tmp/badges-{scheme}.png", full_page=True, clip={"x": 0, "y": 250, "width": 390, "height": 700})


@pytest.mark.parametrize(("language", "scheme"), [("en", "light"), ("en", "dark"), ("de", "light"), ("de", "dark")])
def test_the_landing_page_for_signed_out_visitors_passes_axe(new_page, language, scheme):
    expect = playwright_expect()
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing (run npm ci)")
    # The context may bypass the CSP only so that Playwright can inject axe-core.
    axe_page = new_page(locale={"en": "en-US", "de": "de-DE"}[language], bypass_csp=True, color_scheme=scheme)
    axe_page.goto("/")
    expect(axe_page.locator("html")).to_have_attribute("lang", language)
    sign_in_text, register_text = ("Sign in", "Start a team") if language == "en" else ("Anmelden", "Team gründen")
    expect(axe_page.get_by_test_id("landing-sign-in")).to_have_text(sign_in_text)
    expect(axe_page.get_by_test_id("landing-register")).to_have_text(register_text)
    expect(axe_page.locator(".landing-shot img")).to_have_attribute("loading", "lazy")
    axe_page.add_script_tag(path=str(AXE))
    assert [v for v in axe_page.evaluate(RUN_AXE) if v["impact"] in SERIOUS] == []
    assert not axe_page.get_by_test_id("install-box").count()  # nothing to install before signing in
    axe_page.screenshot(path=f"/tmp/landing-{language}-{scheme}.png", full_page=True)
    axe_page.get_by_test_id("landing-register").click()
    axe_page.wait_for_url("**/register")


def test_nothing_offers_installing_by_default(page, rep):
    expect = playwright_expect()
    sign_in(page, rep.email)
    page.goto("/")
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("install-box")).to_be_hidden()
    expect(page.get_by_test_id("install-button")).to_have_count(0)  # still an inert template


def test_the_browsers_install_prompt_is_offered_on_today_and_gone_once_installed(page, rep):
    expect = playwright_expect()
    sign_in(page, rep.email)
    page.goto("/")
    assert page.evaluate(OFFER_INSTALL) is True  # preventDefault: the browser's own mini-bar stays away
    button = page.get_by_test_id("install-button")
    expect(button).to_be_visible()
    expect(page.get_by_test_id("install-ios-hint")).to_be_hidden()
    button.click()
    assert page.evaluate("window.__prompted") == 1
    expect(button).to_be_hidden()  # a kept prompt works once
    page.evaluate(OFFER_INSTALL)
    expect(button).to_be_visible()
    page.evaluate("window.dispatchEvent(new Event('appinstalled'))")
    expect(page.get_by_test_id("install-box")).to_be_hidden()


def test_closing_the_install_box_is_remembered(page, rep):
    expect = playwright_expect()
    sign_in(page, rep.email)
    page.goto("/")
    page.evaluate(OFFER_INSTALL)
    page.get_by_test_id("install-dismiss").click()
    expect(page.get_by_test_id("install-box")).to_be_hidden()
    page.reload()
    page.evaluate(OFFER_INSTALL)
    page.wait_for_timeout(200)
    expect(page.get_by_test_id("install-box")).to_be_hidden()


def test_on_an_iphone_the_hint_says_how_to_add_it_to_the_home_screen(new_page, rep):
    expect = playwright_expect()
    page = new_page(user_agent=IPHONE)
    sign_in(page, rep.email)
    page.goto("/")
    hint = page.get_by_test_id("install-ios-hint")
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("tap Share, then “Add to Home Screen”")
    expect(page.get_by_test_id("install-button")).to_be_hidden()
