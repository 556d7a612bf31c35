"""The look on a laptop in Chromium: a side rail instead of the bottom bar, two columns on Today and Team."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock
from app.kinds import Role

from .helpers import sign_in

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 800}

BOX = "(selector) => { const b = document.querySelector(selector).getBoundingClientRect(); " \
      "return {x: b.x, y: b.y, right: b.right, bottom: b.bottom, width: b.width, height: b.height}; }"
NAV = """() => {
  const nav = document.querySelector('nav.bottomnav');
  const style = getComputedStyle(nav);
  const b = nav.getBoundingClientRect();
  const links = [...nav.querySelectorAll('a')].map(a => {
    const label = a.querySelector('.nav-label').getBoundingClientRect();
    const icon = a.querySelector('svg.icon').getBoundingClientRect();
    return {text: a.innerText.trim(), label: label.width > 0 && label.height > 0, icon: icon.width >= 16};
  });
  return {x: b.x, y: b.y, right: b.right, bottom: b.bottom, height: b.height, visible: nav.checkVisibility(),
          position: style.position, links};
}"""


@pytest.fixture
def coach_and_rep(session, make_org, make_user, make_customer):
    """A coach and a rep with customers to touch."""
    now = clock.now()
    team = make_org("Nordwind")
    coach = make_user(team=team, role=Role.coach, name="Carla Coach")
    rep = make_user(team=team, name="Rita Rep")
    rep.created_at = now - timedelta(days=30)
    for name, tier in (("Stille GmbH", "A"), ("Café Sonne", "B"), ("Müller AG", "C")):
        make_customer(rep, name, tier=tier, now=now - timedelta(days=20))
    session.commit()
    return coach, rep


@pytest.fixture
def laptop(browser, live_server):
    """Return a function that opens *path* at 1280×800, signed in as *email* (or signed out)."""
    contexts = []

    def open_page(path: str, email: str | None = None):
        context = browser.new_context(viewport=LAPTOP, base_url=live_server, service_workers="block")
        contexts.append(context)
        page = context.new_page()
        if email is not None:
            sign_in(page, email)
        page.goto(path)
        return page

    yield open_page
    for context in contexts:
        context.close()


def side_by_side(left: dict, right: dict) -> bool:
    """Whether *right* sits to the right of *left*, the two overlapping in height."""
    return right["x"] >= left["right"] - 1 and right["y"] < left["bottom"] and left["y"] < right["bottom"]


def test_on_a_laptop_the_nav_is_a_side_rail_and_today_has_two_columns(laptop, coach_and_rep):
    _coach, rep = coach_and_rep
    page = laptop("/", rep.email)
    nav = page.evaluate(NAV)
    assert nav["visible"] and nav["x"] == 0 and nav["y"] == 0, nav
    assert nav["height"] >= LAPTOP["height"] - 1 and nav["right"] <= 320, nav  # a rail down the left side
    assert all(link["label"] and link["icon"] for link in nav["links"]), nav["links"]
    whom, summary = page.evaluate(BOX, "#whom"), page.evaluate(BOX, "#summary")
    assert side_by_side(whom, summary), (whom, summary)
    assert whom["x"] >= nav["right"], (whom, nav)  # nothing under the rail
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]


def test_on_a_laptop_the_team_page_shows_the_radar_beside_the_team(laptop, coach_and_rep):
    coach, _rep = coach_and_rep
    page = laptop("/team/", coach.email)
    radar, members = page.evaluate(BOX, "#radar"), page.evaluate(BOX, "#crisis")
    assert side_by_side(radar, members), (radar, members)
    nav = page.evaluate(NAV)
    assert nav["visible"] and nav["bottom"] - nav["y"] > 400 and nav["x"] == 0, nav
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]


def test_on_a_phone_the_nav_is_a_bar_at_the_bottom_with_icons_and_words(page, coach_and_rep):
    _coach, rep = coach_and_rep
    sign_in(page, rep.email)
    page.goto("/")
    nav = page.evaluate(NAV)
    assert nav["position"] == "fixed" and nav["bottom"] == 844 and nav["height"] < 100, nav
    assert [link["text"] for link in nav["links"]] == ["Today", "Customers", "Streak", "Team", "Settings"]
    assert all(link["label"] and link["icon"] for link in nav["links"]), nav["links"]
    # The sprite loaded: the flame's <use> draws something.
    assert page.evaluate("document.querySelector('#streak svg.flame-icon use').getBBox().width") > 0


def test_on_a_laptop_a_signed_out_page_has_no_rail_and_sits_in_the_middle(laptop):
    page = laptop("/login")
    assert page.locator("nav.bottomnav").count() == 0
    main = page.evaluate(BOX, "main")
    assert abs(main["x"] - (LAPTOP["width"] - main["right"])) <= 2 and main["width"] <= 760, main
