"""The team page and joining through an invite link, through the test client."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import clock
from app.kinds import Role
from app.models import Invite, User
from app.operations import invites
from support import PASSWORD

INVALID = "This invite link is no longer valid"


@pytest.fixture
def coach(make_user):
    return make_user(role=Role.coach, name="Carla Coach", timezone="Europe/Berlin")


def _link_from(html: str) -> str:
    match = re.search(r'id="new-invite-link"[^>]*value="(http://localhost/join/[^"]+)"', html)
    assert match, "no invite link shown"
    return match.group(1).removeprefix("http://localhost")


def _make_link(session, coach, *, now=None) -> str:
    new = invites.create_invite(session, coach, now=now or clock.now())
    session.commit()
    return f"/join/{new.token}"


def _join(client, path, **overrides):
    data = {"name": "Rita Rep", "email": "rita@example.com", "password": PASSWORD, "timezone": "Europe/Zurich"}
    data.update(overrides)
    return client.post(path, data=data)


# -- Team page ------------------------------------------------------------------------------------

def test_coach_sees_members_with_role_and_zone_and_the_invite_section(client, login, make_user, coach):
    make_user(team=coach.team, name="Rita Rep", timezone="America/New_York")
    make_user(name="Stranger")  # another organisation
    login(coach)
    response = client.get("/team/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Rita Rep" in html and "Carla Coach" in html and "Stranger" not in html
    assert "America/New York" in html and "Coach" in html and ">Rep<" in html
    assert "Invite a rep" in html and 'action="/team/invites"' in html
    assert 'href="/team/" aria-current="page"' in html


def test_rep_sees_only_member_names(client, login, make_user, coach, session):
    rep = make_user(team=coach.team, name="Rita Rep", timezone="America/New_York")
    invites.create_invite(session, coach, now=clock.now())
    login(rep)
    html = client.get("/team/").get_data(as_text=True)
    assert "Rita Rep" in html and "Carla Coach" in html
    assert "America/New York" not in html and "Europe/Berlin" not in html
    assert "Invite a rep" not in html and "/team/invites" not in html


def test_rep_creating_an_invite_gets_404_and_nothing_is_made(client, login, make_user, coach, session):
    login(make_user(team=coach.team))
    assert client.post("/team/invites").status_code == 404
    assert session.scalar(select(func.count(Invite.id))) == 0


def test_team_page_needs_sign_in(client):
    assert client.get("/team/").status_code == 302


def test_coach_creates_an_invite_and_sees_the_link_once(client, login, coach, session):
    login(coach)
    response = client.post("/team/invites")
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    assert "<html" in html  # a plain form post gets the whole page
    link = _link_from(html)
    assert "it will not be shown again" in html and "data-copy" in html
    invite = session.scalar(select(Invite))
    assert invite.token_hash == invites.invite_hash(link.removeprefix("/join/"))
    assert invite.expires_at - invite.created_at == timedelta(days=7)
    again = client.get("/team/").get_data(as_text=True)
    assert link not in again and "Expires" in again


def test_creating_an_invite_over_htmx_returns_only_the_section(client, login, coach):
    login(coach)
    response = client.post("/team/invites", headers={"HX-Request": "true"})
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith('<section class="card" id="invites"')
    assert _link_from(html)


def test_revoking_an_invite_from_the_team_page(client, login, coach, session):
    login(coach)
    path = _link_from(client.post("/team/invites").get_data(as_text=True))
    invite = session.scalar(select(Invite))
    response = client.post(f"/team/invites/{invite.id}/revoke")
    assert response.status_code == 303
    assert "No open invites." in client.get("/team/").get_data(as_text=True)
    client.post("/logout")
    assert client.get(path).status_code == 404


def test_revoking_over_htmx_returns_the_section(client, login, coach, session):
    login(coach)
    client.post("/team/invites")
    invite = session.scalar(select(Invite))
    response = client.post(f"/team/invites/{invite.id}/revoke", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and "Invite revoked." in html and "No open invites." in html


def test_revoking_another_organisations_invite_is_404(client, login, coach, make_user, session):
    other_coach = make_user(role=Role.coach)
    foreign = invites.create_invite(session, other_coach, now=clock.now()).invite
    login(coach)
    assert client.post(f"/team/invites/{foreign.id}/revoke").status_code == 404
    session.refresh(foreign)
    assert foreign.expires_at > clock.now()


def test_a_rep_revoking_an_invite_gets_404(client, login, coach, make_user, session):
    invite = invites.create_invite(session, coach, now=clock.now()).invite
    login(make_user(team=coach.team))
    assert client.post(f"/team/invites/{invite.id}/revoke").status_code == 404


# -- Joining --------------------------------------------------------------------------------------

def test_the_join_page_names_the_team_and_preselects_the_browser_zone(client, coach, session):
    path = _make_link(session, coach)
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"Join {coach.team.name}" in html
    assert "data-browser-timezone" in html and 'name="password"' in html


def test_joining_creates_a_rep_in_the_team_and_signs_in(client, coach, session):
    path = _make_link(session, coach)
    response = _join(client, path)
    assert response.status_code == 302
    user = session.scalar(select(User).where(User.email == "rita@example.com"))
    assert user.role == Role.rep and user.team_id == coach.team_id and user.timezone == "Europe/Zurich"
    invite = session.scalar(select(Invite))
    assert invite.used_by_id == user.id and invite.used_at is not None
    assert "Rita Rep" in client.get("/team/").get_data(as_text=True)


def test_an_invite_link_works_only_once(app, client, coach, session):
    path = _make_link(session, coach)
    assert _join(client, path).status_code == 302
    other = app.test_client()
    response = _join(other, path, email="second@example.com")
    assert response.status_code == 404
    assert INVALID in response.get_data(as_text=True)
    assert other.get(path).status_code == 404
    assert session.scalar(select(func.count(User.id)).where(User.email == "second@example.com")) == 0


def test_an_expired_invite_shows_a_clear_page(client, coach, session):
    path = _make_link(session, coach, now=clock.now() - timedelta(days=7, minutes=1))
    for response in (client.get(path), _join(client, path)):
        assert response.status_code == 404
        html = response.get_data(as_text=True)
        assert INVALID in html and "ask your coach for a new link" in html
    assert session.scalar(select(func.count(User.id))) == 1


@pytest.mark.parametrize("token", ["unknown", "x" * 300, "%00", "a.b-c_d~"])
def test_an_unknown_invite_shows_the_same_page(client, token):
    response = client.get(f"/join/{token}")
    assert response.status_code == 404
    assert INVALID in response.get_data(as_text=True)


def test_joining_with_bad_fields_gets_422_and_keeps_the_invite_open(client, coach, session):
    path = _make_link(session, coach)
    response = _join(client, path, name="", email="rita", password="short", timezone="Nowhere/Land")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for field in ("name", "email", "password", "timezone"):
        assert f'id="{field}-error"' in html, field
    assert session.scalar(select(Invite.used_at)) is None
    assert _join(client, path).status_code == 302


def test_joining_with_a_taken_email_gets_422_and_keeps_the_invite_open(client, coach, session):
    path = _make_link(session, coach)
    response = _join(client, path, email=coach.email.upper())
    assert response.status_code == 422
    assert "We could not create an account with these details." in response.get_data(as_text=True)
    assert "already exists" not in response.get_data(as_text=True)
    assert session.scalar(select(Invite.used_at)) is None


def test_a_signed_in_visitor_is_told_so_and_nothing_is_created(client, login, make_user, coach, session):
    path = _make_link(session, coach)
    visitor = make_user(name="Vera Visitor")
    login(visitor)
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "You are already signed in as Vera Visitor" in html and 'name="password"' not in html
    assert _join(client, path).status_code == 409
    assert session.scalar(select(Invite.used_at)) is None
    assert session.scalar(select(func.count(User.id)).where(User.email == "rita@example.com")) == 0
