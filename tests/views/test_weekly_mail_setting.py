"""The weekly summary switch in Settings, through the test client: full page, htmx section, refusal."""

from __future__ import annotations

import pytest

from app.kinds import Role


@pytest.fixture
def rep(make_user):
    return make_user(name="Rita", email="rita@example.com")


def test_the_settings_page_has_the_switch_off_by_default(client, login, rep):
    login(rep)
    html = client.get("/settings/").get_data(as_text=True)
    assert 'id="weekly-mail"' in html and 'action="/settings/weekly-mail"' in html
    assert 'name="weekly_summary_mail" value="on"' in html and 'value="on" checked' not in html
    assert "To rita@example.com." in html and "your team’s week" not in html


def test_a_coach_is_told_the_team_comes_along(client, login, make_user):
    login(make_user(role=Role.coach))
    assert "your team’s week and quiet radar" in client.get("/settings/").get_data(as_text=True)


def test_switching_on_and_off_without_javascript(client, login, rep, session):
    login(rep)
    on = client.post("/settings/weekly-mail", data={"weekly_summary_mail": "on"})
    assert on.status_code == 303 and on.headers["Location"].endswith("/settings/#weekly-mail")
    session.refresh(rep)
    assert rep.weekly_summary_mail is True
    page = client.get("/settings/").get_data(as_text=True)
    assert "Weekly summary switched on." in page and 'value="on" checked' in page
    off = client.post("/settings/weekly-mail", data={})  # an unticked box is not sent
    assert off.status_code == 303
    session.refresh(rep)
    assert rep.weekly_summary_mail is False


def test_over_htmx_only_the_section_comes_back(client, login, rep, session):
    login(rep)
    response = client.post("/settings/weekly-mail", data={"weekly_summary_mail": "on"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section class="card" id="weekly-mail"')
    assert "Weekly summary switched on." in html and "<html" not in html


def test_a_value_that_is_neither_on_nor_off_gets_422_and_changes_nothing(client, login, rep, session):
    login(rep)
    response = client.post("/settings/weekly-mail", data={"weekly_summary_mail": "maybe"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert 'id="weekly_summary_mail-error"' in response.get_data(as_text=True)
    session.refresh(rep)
    assert rep.weekly_summary_mail is False


def test_the_switch_needs_sign_in(client):
    assert client.post("/settings/weekly-mail", data={"weekly_summary_mail": "on"}).status_code == 302
