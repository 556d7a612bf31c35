"""Trends in Chromium: the charts fit a phone, their numbers open, the 1:1 sheet prints without navigation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from babel.dates import format_date

from app import clock
from app.kinds import Role
from app.models import CrisisPeriod, Touch
from app.operations import streak_state

from .helpers import playwright_expect, sign_in

pytestmark = pytest.mark.browser

# Every chart's text, as drawn: its font size times the SVG's scale (rendered width ÷ viewBox width).
TEXT_SIZES = """() => [...document.querySelectorAll('svg.chart:not(.spark)')].flatMap(svg => {
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return [...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
})"""
# Anything wider than the viewport, or reaching past its right edge.
OVERFLOW = """() => ({
  scroll: document.documentElement.scrollWidth,
  charts: [...document.querySelectorAll('svg.chart')].map(svg => svg.getBoundingClientRect())
    .filter(box => box.left < 0 || box.right > window.innerWidth).length,
})"""


@pytest.fixture
def team(session, make_org, make_user, make_customer):
    """A coach and three reps with twelve weeks of touches; a crisis four to two weeks ago."""
    team = make_org("Nordlicht GmbH")
    coach = make_user(team=team, role=Role.coach, name="Katrin Coach", email="katrin@example.com")
    now = clock.now()
    reps = [make_user(team=team, name=name, email=f"{name.split()[0].lower()}@example.com")
            for name in ("Lena Hoffmann", "Luca Brunner", "Emma Clarke")]
    today = now.date()
    for n, rep in enumerate(reps):
        rep.created_at = now - timedelta(days=120)
        customers = [make_customer(rep, f"Kunde {n}-{i}", tier="ABC"[i % 3], now=now - timedelta(days=110))
                     for i in range(5)]
        for back in range(1, 84):
            day = today - timedelta(days=back)
            if day.weekday() >= 5:
                continue
            crisis = 14 <= back <= 28
            for i in range((back + n) % 3 + (2 if crisis else 1)):
                customer = customers[(back + i) % 5]
                at = datetime(day.year, day.month, day.day, 9 + i, tzinfo=timezone.utc)
                session.add(Touch(organization_id=rep.organization_id, user_id=rep.id, customer_id=customer.id,
                                  kind=("call", "email", "letter", "visit")[(back + i) % 4], occurred_at=at,
                                  local_day=day, created_at=at))
                customer.last_touch_day = max(day, customer.last_touch_day or day)
    session.add(CrisisPeriod(team_id=team.id, started_at=now - timedelta(days=28), ended_at=now - timedelta(days=14),
                             reason="Supplier strike"))
    session.flush()
    for rep in reps:
        streak_state.rebuild(session, rep, now=now)
    session.commit()
    return coach, reps


@pytest.mark.parametrize("width", [390, 360])
def test_the_charts_fit_a_phone_and_their_numbers_open(page, team, width):
    expect = playwright_expect()
    coach, reps = team
    page.set_viewport_size({"width": width, "height": 844})
    sign_in(page, coach.email)
    page.goto("/team/")
    page.get_by_test_id("trends-link").click()
    page.wait_for_url("**/team/trends")
    expect(page.get_by_role("heading", name="Team trends", level=1)).to_be_visible()

    touches = page.get_by_role("img", name="Team touches per week")
    expect(touches).to_be_visible()
    assert "rose from" in page.locator("#team-touches-desc").text_content()
    expect(page.locator("svg.chart:not(.spark)")).to_have_count(4)
    expect(page.locator("svg.chart.spark")).to_have_count(3)
    assert page.locator(".chart-shade").count() >= 4  # the crisis weeks, in every chart
    overflow = page.evaluate(OVERFLOW)
    assert overflow == {"scroll": width, "charts": 0}
    sizes = page.evaluate(TEXT_SIZES)
    assert sizes and min(sizes) >= 12, min(sizes)

    # The numbers behind the picture: a real table, opened from its disclosure, still no sideways scroll.
    figure = page.get_by_test_id("team-touches")
    table = figure.get_by_role("table", name="Team touches per week")
    expect(table).to_be_hidden()
    figure.get_by_text("Show the numbers").click()
    expect(table).to_be_visible()
    expect(table.get_by_role("row")).to_have_count(13)
    today = clock.local_day(clock.now(), coach.timezone)
    monday = format_date(today - timedelta(days=today.weekday()), "d MMM", locale="en")
    expect(table.get_by_role("rowheader").last).to_have_text(f"{monday} – today (so far)")
    assert page.evaluate("document.documentElement.scrollWidth") == width


def test_the_sheet_prints_without_navigation_and_its_print_button_prints(page, team):
    expect = playwright_expect()
    coach, reps = team
    sign_in(page, coach.email)
    page.goto("/team/trends")
    page.get_by_role("link", name="Lena Hoffmann 1:1 sheet").click()
    page.wait_for_url(f"**/team/reps/{reps[0].id}/sheet")
    expect(page.get_by_role("heading", name="1:1 sheet: Lena Hoffmann")).to_be_visible()

    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    button = page.get_by_role("button", name="Print")
    expect(button).to_be_visible()  # app.js shows it
    button.click()
    assert page.evaluate("window.__printed") == 1
    for name in ("Touches per week against the weekly goal", "Kinds of touch used per week", "Customers kept warm"):
        expect(page.get_by_role("img", name=name)).to_be_visible()

    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.locator(".topbar")).to_be_hidden()
    expect(button).to_be_hidden()
    expect(page.get_by_test_id("sheet-csv")).to_be_hidden()
    expect(page.get_by_role("img", name="Touches per week against the weekly goal")).to_be_visible()
    body = "getComputedStyle(document.body)"
    assert page.evaluate(f"() => [{body}.backgroundColor, {body}.color]") == ["rgb(255, 255, 255)", "rgb(0, 0, 0)"]
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


def test_the_csv_link_downloads_the_sheet(page, team):
    coach, reps = team
    sign_in(page, reps[1].email)
    page.goto("/streak")
    page.get_by_role("link", name="Your 1:1 sheet, to print or download").click()
    page.wait_for_url(f"**/team/reps/{reps[1].id}/sheet")
    with page.expect_download() as download:
        page.get_by_test_id("sheet-csv").click()
    path = download.value.path()
    text = open(path, encoding="utf-8-sig").read()
    assert text.splitlines()[0].startswith("Week from,Week to,So far,Crisis week,Touches")
    assert len(text.splitlines()) == 13


def test_the_charts_follow_the_colour_scheme(page, team):
    coach, _reps = team
    sign_in(page, coach.email)
    fills = {}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.goto("/team/trends")
        fills[scheme] = page.evaluate("""() => {
          const bar = document.querySelector('svg.chart .chart-bar:not(.partial)');
          const text = document.querySelector('svg.chart text');
          return [getComputedStyle(bar).fill, getComputedStyle(text).fill];
        }""")
    assert fills["light"][0] != fills["dark"][0] and fills["light"][1] != fills["dark"][1]
