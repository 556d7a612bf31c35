"""Team admin in Chromium: the Team page's sections, kudos confirmed inline on the radar, a member removed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.kinds import Role
from app.models import Customer, Kudos, User
from app.operations import touches as touch_ops

from .helpers import playwright_expect, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def crew(session, make_org, make_user, make_customer):
    """A coach, a rep with a creative touch and a quiet customer, and a colleague."""
    now = clock.now()
    team = make_org("Nordwind")
    coach = make_user(team=team, role=Role.coach, name="Carla Coach")
    rep = make_user(team=team, name="Rita Rep")
    rep.created_at = now - timedelta(days=60)
    colleague = make_user(team=team, name="Ben Colleague")
    quiet = make_customer(rep, "Stille GmbH", tier="A", now=now - timedelta(days=30))
    cafe = make_customer(rep, "Café Sonne", tier="B", now=now - timedelta(days=10))
    touch_ops.log_touch(session, user=rep, customer_id=cafe.id, kind="coffee", note="Cake with the buyer",
                        now=now - timedelta(days=1))
    session.commit()
    return coach, rep, colleague, quiet


def test_kudos_from_the_radar_are_confirmed_inline(page, session, crew):
    expect = playwright_expect()
    coach, rep, _colleague, quiet = crew
    sign_in(page, coach.email)
    page.goto("/team/")
    page.evaluate("window.__stayed = true")
    row = page.locator(f'[data-testid="radar-row"][data-rep="{rep.id}"]')
    row.get_by_test_id("radar-kudos").click()
    confirm = row.get_by_test_id("kudos-confirm")
    expect(confirm).to_contain_text("Give Rita Rep kudos for this touch?")
    expect(confirm).to_contain_text("Cake with the buyer")
    confirm.get_by_role("link", name="Cancel").click()  # closes it in place
    expect(confirm).to_have_count(0)
    assert page.evaluate("window.__stayed") is True

    row.get_by_test_id("radar-kudos").click()
    row.locator("textarea[name=note]").fill("Lovely idea")
    row.get_by_test_id("confirm-kudos").click()
    expect(row.get_by_test_id("kudos-given")).to_contain_text("Kudos given to Rita Rep")
    assert page.evaluate("window.__stayed") is True  # no page load: the row answered in place
    session.commit()
    assert session.scalar(select(Kudos.note).where(Kudos.rep_id == rep.id)) == "Lovely idea"

    # The quiet customer's name leads to its page; the rep's name to their touches.
    row.get_by_role("link", name="Stille GmbH").click()
    page.wait_for_url(f"**/customers/{quiet.id}")
    page.go_back()
    page.locator(f'[data-testid="radar-row"][data-rep="{rep.id}"] .radar-name').click()
    page.wait_for_url(f"**/team/reps/{rep.id}/touches")


def test_the_section_links_jump_to_their_sections(page, session, crew):
    coach = crew[0]
    sign_in(page, coach.email)
    page.goto("/team/")
    nav = page.get_by_test_id("section-nav")
    for name, anchor in (("Team holidays", "holidays"), ("Members", "members"), ("Invites", "invites")):
        nav.get_by_role("link", name=name).click()
        page.wait_for_url(f"**/team/#{anchor}")
        top, height = page.evaluate(
            f"[document.getElementById('{anchor}').getBoundingClientRect().top, window.innerHeight]")
        # at the top of the screen, or as far as the page scrolls (the last section)
        assert 0 <= top < height / 2, (anchor, top)


def test_removing_a_leaving_rep_hands_over_their_customers(page, session, crew):
    expect = playwright_expect()
    coach, rep, colleague, quiet = crew
    sign_in(page, coach.email)
    page.goto("/team/#members")
    page.get_by_role("link", name="Manage Rita Rep").click()
    page.wait_for_url(f"**/team/members/{rep.id}")
    expect(page.get_by_test_id("member-customers")).to_contain_text("2 active customers")
    form = page.get_by_test_id("remove-form")
    form.get_by_label("Who takes over their customers?").select_option(label="Ben Colleague (Rep)")
    form.get_by_role("button", name="Remove Rita Rep").click()
    page.wait_for_url(lambda url: url.endswith("/team/") or url.endswith("/team/#members"))
    expect(page.locator(".flash")).to_contain_text("2 customers now belong to Ben Colleague.")
    expect(page.get_by_test_id("removed-row")).to_contain_text("Rita Rep")
    session.commit()
    assert session.get(Customer, quiet.id).owner_id == colleague.id
    assert session.get(User, rep.id).removed_at is not None
