"""Team holidays on /team through the client: coach vs rep, full page, htmx partial, 422, 404 across orgs."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from app.kinds import Role
from app.models import Team, TeamHoliday
from app.operations import away
from operations.test_away_operations import NOW, assert_consistent, at, log_workdays

HX = {"HX-Request": "true"}


def holiday(name: str, first: str, last: str) -> dict:
    return {"name": name, "first_day": first, "last_day": last}


pytestmark = pytest.mark.usefixtures("frozen_clock")  # NOW: Friday 27 Nov 2026, 11:00 in Berlin


@pytest.fixture
def team(make_org):
    return make_org("Northwind")


@pytest.fixture
def coach(make_user, team):
    return make_user(team=team, role=Role.coach, name="Cora")


@pytest.fixture
def rep(make_user, team):
    return make_user(team=team, name="Rudi")


def count(session) -> int:
    return session.scalar(select(func.count(TeamHoliday.id)))


def test_a_coach_sees_the_list_and_the_form(client, login, coach, session):
    away.add_team_holiday(session, coach, holiday("Christmas <Eve>", "2026-12-24", "2026-12-26"), now=NOW)
    login(coach)
    html = client.get("/team/").get_data(as_text=True)
    assert 'id="holidays"' in html and "Team holidays" in html
    assert "Christmas &lt;Eve&gt;" in html and '<time datetime="2026-12-24">Dec 24, 2026</time>' in html
    assert "3 days" in html
    assert 'hx-post="/team/holidays"' in html and 'action="/team/holidays#holidays"' in html
    assert "/team/holidays/1/delete" in html


def test_a_rep_sees_the_list_read_only(client, login, coach, rep, session):
    away.add_team_holiday(session, coach, holiday("Christmas", "2026-12-24", "2026-12-26"), now=NOW)
    login(rep)
    html = client.get("/team/").get_data(as_text=True)
    assert "Christmas" in html and "Dec 24, 2026" in html
    assert "/team/holidays" not in html  # no form, no delete buttons
    assert "Add a team holiday" not in html


def test_a_rep_posting_gets_404_and_nothing_changes(client, login, coach, rep, session):
    created = away.add_team_holiday(session, coach, holiday("Christmas", "2026-12-24", "2026-12-26"), now=NOW)
    login(rep)
    assert client.post("/team/holidays", data=holiday("Party", "2026-12-01", "2026-12-01")).status_code == 404
    assert client.post("/team/holidays", data=holiday("Party", "2026-12-01", "2026-12-01"), headers=HX).status_code == 404
    assert client.post("/team/holidays", data={}).status_code == 404  # a 404, not a validation hint
    assert client.post(f"/team/holidays/{created.id}/delete").status_code == 404
    assert count(session) == 1


def test_a_coach_adds_without_javascript(client, login, coach, session):
    login(coach)
    response = client.post("/team/holidays", data=holiday("Retreat", "2026-12-01", "2026-12-02"))
    assert response.status_code == 303 and response.headers["Location"].endswith("/team/#holidays")
    stored = session.scalars(select(TeamHoliday)).one()
    assert (stored.name, stored.first_day, stored.last_day, stored.created_by_id) == (
        "Retreat", date(2026, 12, 1), date(2026, 12, 2), coach.id)
    assert "Team holiday saved." in client.get("/team/").get_data(as_text=True)


def test_a_coach_adds_with_htmx_and_gets_the_section(client, login, coach, session):
    login(coach)
    response = client.post("/team/holidays", data=holiday("Retreat", "2026-12-01", "2026-12-02"), headers=HX)
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section class="card holidays" id="holidays"')
    assert "<html" not in html and 'id="members"' not in html and 'id="invites"' not in html
    assert "Retreat" in html and "Team holiday saved." in html
    assert json.loads(response.headers["HX-Trigger"]) == {"away-changed": {"action": "added"}}


@pytest.mark.parametrize("headers", [{}, HX])
def test_bad_input_gets_422_with_messages(client, login, coach, session, headers):
    login(coach)
    response = client.post("/team/holidays", data=holiday("", "2026-12-02x", "2026-12-01"), headers=headers)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert ("<html" in html) == (not headers)
    assert 'id="name-error"' in html and "Please fill this in." in html
    assert 'id="first_day-error"' in html and "Please enter a date like 2026-12-31." in html
    assert count(session) == 0


def test_an_overlap_gets_422_naming_the_other_holiday(client, login, coach, session):
    away.add_team_holiday(session, coach, holiday("Christmas", "2026-12-24", "2026-12-26"), now=NOW)
    login(coach)
    response = client.post("/team/holidays", data=holiday("Year end", "2026-12-26", "2026-12-31"), headers=HX)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "This overlaps the team holiday “Christmas” (Dec 24, 2026 – Dec 26, 2026)." in html
    assert 'value="Year end"' in html and 'value="2026-12-31"' in html
    assert count(session) == 1


def test_a_coach_deletes_a_holiday(client, login, coach, session):
    first = away.add_team_holiday(session, coach, holiday("Christmas", "2026-12-24", "2026-12-26"), now=NOW)
    second = away.add_team_holiday(session, coach, holiday("Retreat", "2026-12-01", "2026-12-02"), now=NOW)
    login(coach)
    response = client.post(f"/team/holidays/{first.id}/delete")
    assert response.status_code == 303 and response.headers["Location"].endswith("/team/#holidays")
    response = client.post(f"/team/holidays/{second.id}/delete", headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Team holiday deleted." in html and "No team holidays planned." in html
    assert count(session) == 0


def test_another_teams_or_organisations_holiday_is_a_404(client, login, coach, team, make_user, session):
    sister = Team(organization_id=team.organization_id, name="Southwind", created_at=NOW)
    session.add(sister)
    session.flush()
    theirs = [
        away.add_team_holiday(session, make_user(team=sister, role=Role.coach), holiday("Sister", "2026-12-01", "2026-12-01"), now=NOW),
        away.add_team_holiday(session, make_user(role=Role.admin), holiday("Stranger", "2026-12-01", "2026-12-01"), now=NOW),
    ]
    login(coach)
    for item in theirs:
        assert client.post(f"/team/holidays/{item.id}/delete").status_code == 404
    html = client.get("/team/").get_data(as_text=True)
    assert "Sister" not in html and "Stranger" not in html
    assert count(session) == 2


def test_a_holiday_entered_by_the_coach_mends_a_reps_streak(client, login, coach, rep, session, make_customer):
    customer = make_customer(rep, now=at(date(2026, 11, 2)))
    log_workdays(session, rep, customer, date(2026, 11, 9), date(2026, 11, 13))
    log_workdays(session, rep, customer, date(2026, 11, 17), date(2026, 11, 26))
    assert assert_consistent(session, rep).current == 8
    login(coach)
    assert client.post("/team/holidays", data=holiday("Founders' day", "2026-11-16", "2026-11-16")).status_code == 303
    session.expire_all()
    assert assert_consistent(session, rep).current == 13
    assert assert_consistent(session, coach).current == 0
