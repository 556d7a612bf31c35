"""Team admin through the client: the Team page's sections, a member's page (role, customers, remove), restore,
and kudos from the radar with a confirmation (a page without JavaScript, a fragment for htmx)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.kinds import Role
from app.models import Customer, Kudos, User
from app.operations import touches as touch_ops
from support import NOW, PASSWORD

HX = {"HX-Request": "true"}
DE = {"Accept-Language": "de"}

pytestmark = pytest.mark.usefixtures("frozen_clock")  # NOW: Friday 27 Nov 2026, 11:00 in Berlin


@pytest.fixture
def team(make_org):
    return make_org("Nordwind")


@pytest.fixture
def coach(make_user, team):
    return make_user(team=team, role=Role.coach, name="Carla Coach")


@pytest.fixture
def rep(make_user, team):
    user = make_user(team=team, name="Rita Rep")
    user.created_at = NOW - timedelta(days=60)
    return user


@pytest.fixture
def colleague(make_user, team):
    return make_user(team=team, name="Ben Colleague")


def _client(app, session, user):
    session.commit()
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def test_the_team_page_has_sections_a_coach_can_jump_between(app, session, coach, rep, make_customer):
    quiet = make_customer(rep, "Stille GmbH", tier="A", now=NOW - timedelta(days=30))
    html = _client(app, session, coach).get("/team/").get_data(as_text=True)
    nav = html[html.index('data-testid="section-nav"'):html.index("</nav>", html.index('data-testid="section-nav"'))]
    anchors = re.findall(r'href="#([a-z]+)"', nav)
    assert anchors == ["radar", "crisis", "members", "invites", "holidays"]
    for anchor in anchors:
        assert f'id="{anchor}"' in html
    row = html[html.index('data-testid="radar-row"'):]
    assert f'href="/team/reps/{rep.id}/touches"' in row  # the rep's name: their touches
    assert f'href="/customers/{quiet.id}">Stille GmbH</a>' in row  # a quiet customer: its page
    assert f'href="/team/members/{rep.id}"' in html  # Manage
    rep_html = _client(app, session, rep).get("/team/").get_data(as_text=True)
    rep_nav = rep_html[rep_html.index('data-testid="section-nav"'):]
    assert re.findall(r'href="#([a-z]+)"', rep_nav[:rep_nav.index("</nav>")]) == ["members", "holidays"]
    assert "/team/members/" not in rep_html


def test_the_drill_down_links_each_customer_to_its_page(app, session, coach, rep, make_customer):
    quiet = make_customer(rep, "Stille GmbH", tier="A", now=NOW - timedelta(days=30))
    client = _client(app, session, coach)
    html = client.get(f"/team/reps/{rep.id}").get_data(as_text=True)
    assert f'href="/customers/{quiet.id}"' in html
    assert client.get(f"/customers/{quiet.id}").status_code == 200


def test_a_member_page_is_for_coaches_of_the_team_only(app, session, make_user, make_org, coach, rep, colleague):
    assert _client(app, session, coach).get(f"/team/members/{rep.id}").status_code == 200
    assert _client(app, session, colleague).get(f"/team/members/{rep.id}").status_code == 404
    stranger = make_user(team=make_org(), role=Role.admin)
    assert _client(app, session, stranger).get(f"/team/members/{rep.id}").status_code == 404


def test_changing_a_role_without_javascript(app, session, coach, rep):
    client = _client(app, session, coach)
    response = client.post(f"/team/members/{rep.id}/role", data={"role": "coach"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/team/members/{rep.id}")
    assert session.get(User, rep.id).role is Role.coach
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Rita Rep is now: Coach." in page


def test_a_role_a_rule_forbids_is_a_422_next_to_the_field(app, session, coach, rep):
    client = _client(app, session, coach)
    response = client.post(f"/team/members/{rep.id}/role", data={"role": "admin"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="role-error"' in html and "Only an admin can make someone an admin." in html
    assert session.get(User, rep.id).role is Role.rep
    german = client.post(f"/team/members/{rep.id}/role", data={"role": "admin"}, headers=DE)
    assert german.status_code == 422 and "Nur ein Admin" in german.get_data(as_text=True)


def test_a_coach_who_steps_down_lands_on_the_team_page(app, session, make_user, team, coach, rep):
    make_user(team=team, role=Role.coach)
    response = _client(app, session, coach).post(f"/team/members/{coach.id}/role", data={"role": "rep"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/team/")


def test_handing_over_and_removing_a_leaving_rep(app, session, coach, rep, colleague, make_customer):
    customers = [make_customer(rep, f"Kunde {n}", now=NOW - timedelta(days=3)) for n in range(3)]
    touch_ops.log_touch(session, user=rep, customer_id=customers[0].id, kind="letter", now=NOW - timedelta(days=1))
    rep_client = _client(app, session, rep)
    client = _client(app, session, coach)

    page = client.get(f"/team/members/{rep.id}").get_data(as_text=True)
    assert "3 active customers" in page and 'data-testid="remove-form"' in page
    refused = client.post(f"/team/members/{rep.id}/remove", data={"to": ""})
    assert refused.status_code == 422
    assert "Rita Rep still has customers. Choose who takes them over." in refused.get_data(as_text=True)
    assert session.get(User, rep.id).removed_at is None

    removed = client.post(f"/team/members/{rep.id}/remove", data={"to": str(colleague.id)})
    assert removed.status_code == 303 and removed.headers["Location"].endswith("/team/#members")
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Customer).where(Customer.owner_id == colleague.id)) == 3
    team_page = client.get("/team/").get_data(as_text=True)
    assert "Rita Rep was removed from the team and can no longer sign in. 3 customers now belong to Ben Colleague." \
        in team_page
    assert 'data-testid="removed-row"' in team_page
    # Their session ended, and signing in again is refused with a clear word.
    assert rep_client.get("/customers/").status_code == 302
    assert 'data-testid="landing"' in rep_client.get("/").get_data(as_text=True)
    login = app.test_client().post("/login", data={"email": rep.email, "password": PASSWORD})
    assert login.status_code == 422 and "removed from its team" in login.get_data(as_text=True)
    wrong = app.test_client().post("/login", data={"email": rep.email, "password": "not the password"})
    assert "removed" not in wrong.get_data(as_text=True)  # only the password's owner learns it

    restored = client.post(f"/team/members/{rep.id}/restore")
    assert restored.status_code == 303
    assert app.test_client().post("/login", data={"email": rep.email, "password": PASSWORD}).status_code == 302


def test_handing_over_without_removing(app, session, coach, rep, colleague, make_customer):
    make_customer(rep, "Kunde")
    client = _client(app, session, coach)
    refused = client.post(f"/team/members/{rep.id}/customers", data={"to": str(rep.id)})
    assert refused.status_code == 422 and 'aria-invalid="true"' in refused.get_data(as_text=True)
    assert "Please choose someone else from your team." in refused.get_data(as_text=True)
    response = client.post(f"/team/members/{rep.id}/customers", data={"to": str(colleague.id)})
    assert response.status_code == 303
    assert "1 customer of Rita Rep now belongs to Ben Colleague." in client.get(response.headers["Location"]).get_data(
        as_text=True)


def _creative(session, rep, make_customer, kind="coffee", note="Cake with the buyer"):
    customer = make_customer(rep, "Café Kunde", now=NOW - timedelta(days=5))
    touch_ops.log_touch(session, user=rep, customer_id=customer.id, kind="call", now=NOW - timedelta(hours=1))
    return touch_ops.log_touch(session, user=rep, customer_id=customer.id, kind=kind, note=note,
                               now=NOW - timedelta(days=1)).touch


def test_kudos_from_the_radar_without_javascript(app, session, coach, rep, make_customer):
    touch = _creative(session, rep, make_customer)
    client = _client(app, session, coach)
    team_page = client.get("/team/").get_data(as_text=True)
    assert f'href="/team/reps/{rep.id}/kudos"' in team_page
    confirm = client.get(f"/team/reps/{rep.id}/kudos").get_data(as_text=True)
    assert "<html" in confirm and "Give Rita Rep kudos for this touch?" in confirm
    assert "Cake with the buyer" in confirm  # the latest creative touch, not the later call
    assert f'action="/team/reps/{rep.id}/touches/{touch.id}/kudos"' in confirm
    given = client.post(f"/team/reps/{rep.id}/touches/{touch.id}/kudos",
                        data={"source": "radar", "note": "Great idea"})
    assert given.status_code == 303 and given.headers["Location"].endswith("/team/#radar")
    assert session.scalar(select(Kudos.note).where(Kudos.touch_id == touch.id)) == "Great idea"
    # Thanked: the next confirmation has nothing left to thank for.
    again = client.get(f"/team/reps/{rep.id}/kudos").get_data(as_text=True)
    assert "has no creative touch to thank for yet" in again


def test_kudos_from_the_radar_inline_with_htmx(app, session, coach, rep, make_customer):
    touch = _creative(session, rep, make_customer, kind="walk")
    client = _client(app, session, coach)
    fragment = client.get(f"/team/reps/{rep.id}/kudos", headers=HX)
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and 'data-testid="kudos-confirm"' in html and 'hx-post=' in html
    answer = client.post(f"/team/reps/{rep.id}/touches/{touch.id}/kudos", data={"source": "radar"}, headers=HX)
    assert answer.status_code == 200 and "kudos-given" in answer.headers["HX-Trigger"]
    assert 'data-testid="kudos-given"' in answer.get_data(as_text=True)
    assert "<html" not in answer.get_data(as_text=True)
    twice = client.post(f"/team/reps/{rep.id}/touches/{touch.id}/kudos", data={"source": "radar"}, headers=HX)
    assert twice.status_code == 422 and "You already gave kudos for this touch." in twice.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Kudos)) == 1


def test_a_rep_with_only_calls_has_nothing_to_thank_for(app, session, coach, rep, make_customer):
    customer = make_customer(rep, "Nur Anrufe")
    touch_ops.log_touch(session, user=rep, customer_id=customer.id, kind="call", now=NOW)
    touch_ops.log_touch(session, user=rep, customer_id=customer.id, kind="visit", direction="in", now=NOW)
    client = _client(app, session, coach)
    html = client.get(f"/team/reps/{rep.id}/kudos").get_data(as_text=True)
    assert "has no creative touch to thank for yet" in html and "confirm-kudos" not in html
    german = client.get(f"/team/reps/{rep.id}/kudos", headers=DE).get_data(as_text=True)
    assert "Rita Rep" in german and "Lob für Rita Rep" in german
