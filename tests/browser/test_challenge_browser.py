"""A team challenge in a real browser: a coach creates it, a rep logs a touch, the bar moves."""

import re
from datetime import timedelta

import pytest

from app import clock
from app.kinds import Role


from .helpers import playwright_expect, sign_in

pytestmark = pytest.mark.browser


def test_coach_creates_a_challenge_and_the_bar_moves_when_a_rep_logs_a_touch(browser, live_server, session, make_org, make_user, make_customer):
    expect = playwright_expect()
    team = make_org("Storm Sales")
    coach = make_user(team=team, role=Role.coach, email="carla@example.com", name="Carla Coach")
    rep = make_user(team=team, email="rita@example.com", name="Rita Rep")
    rep.created_at = clock.now() - timedelta(days=30)
    make_customer(rep, "Müller AG", tier="A", now=clock.now() - timedelta(days=20))
    session.commit()

    def new_page():
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                      locale="en-US", timezone_id="Europe/Berlin", base_url=live_server)
        context.set_default_timeout(10_000)
        return context, context.new_page()

    coach_context, coach_page = new_page()
    sign_in(coach_page, coach.email)
    coach_page.goto("/challenges/new")
    now_local = clock.local_now(clock.now() - timedelta(hours=1), coach.timezone)
    end_local = now_local + timedelta(days=3)
    coach_page.fill("#f-title", "Two touches")
    coach_page.check('input[name="metric"][value="team_touches"]')
    coach_page.fill("#f-target", "2")
    coach_page.fill("#f-starts_at", now_local.strftime("%Y-%m-%dT%H:%M"))
    coach_page.fill("#f-ends_at", end_local.strftime("%Y-%m-%dT%H:%M"))
    coach_page.get_by_role("button", name="Start challenge").click()
    coach_page.wait_for_url(re.compile(r"/challenges/[0-9]+$"))
    url = coach_page.url
    bar = coach_page.locator("#team-progress")
    expect(bar).to_have_attribute("value", "0")
    expect(coach_page.get_by_test_id("team-progress-text")).to_contain_text("0 of 2")

    rep_context, rep_page = new_page()
    sign_in(rep_page, rep.email)
    rep_page.goto("/")
    row = rep_page.get_by_test_id("whom-row").first
    row.get_by_test_id("log-touch").click()
    row.locator('button[data-kind="letter"]').click()
    expect(rep_page.locator("#recent")).to_contain_text("Letter")
    rep_page.goto(url)
    expect(rep_page.locator("#team-progress")).to_have_attribute("value", "50")
    expect(rep_page.get_by_test_id("my-part")).to_contain_text("your own target: 1 of 2")

    coach_page.reload()
    expect(coach_page.locator("#team-progress")).to_have_attribute("value", "50")
    expect(coach_page.get_by_test_id("team-progress-text")).to_contain_text("1 of 2")
    expect(coach_page.get_by_test_id("ranking")).to_contain_text("Rita Rep")
    coach_page.screenshot(path="/tmp/challenge.png", full_page=True, caret="initial")

    # The radar shows the rep; crisis mode starts a storm week and puts up the banner.
    coach_page.goto("/team/")
    expect(coach_page.get_by_test_id("radar")).to_contain_text("Rita Rep")
    coach_page.fill("#f-reason", "Trade fair cancelled")
    coach_page.get_by_role("button", name="Switch crisis mode on").click()
    coach_page.wait_for_url(re.compile(r"/challenges/[0-9]+$"))
    expect(coach_page.get_by_test_id("crisis-banner")).to_contain_text("Trade fair cancelled")
    expect(coach_page.locator("h1")).to_contain_text("Storm week")
    coach_page.goto("/team/")
    coach_page.screenshot(path="/tmp/team-radar.png", full_page=True, caret="initial")
    coach_context.close()
    rep_context.close()
