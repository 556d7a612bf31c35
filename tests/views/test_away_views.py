"""Vacation & sick days in settings, through the client: full page, htmx partial, 422, 404."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from app.models import AwayPeriod, StreakState
from app.operations import away
from operations.test_away_operations import NOW, assert_consistent, at, log_workdays, period

HX = {"HX-Request": "true"}


pytestmark = pytest.mark.usefixtures("frozen_clock")  # NOW: Friday 27 Nov 2026, 11:00 in Berlin


@pytest.fixture
def rep(make_user):
    return make_user(name="Rita", timezone="Europe/Berlin")


def count(session) -> int:
    return session.scalar(select(func.count(AwayPeriod.id)))


def test_the_section_needs_sign_in(client):
    response = client.post("/settings/away", data=period("2026-12-01", "2026-12-02"))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_settings_page_lists_periods_with_localised_dates(client, login, rep, session):
    away.add_away_period(session, rep, period("2026-12-21", "2027-01-03", note="Skiing <3"), now=NOW)
    away.add_away_period(session, rep, period("2026-11-02", "2026-11-03", "sick"), now=NOW)
    login(rep)
    html = client.get("/settings/").get_data(as_text=True)
    assert "Vacation & sick days" in html
    assert 'method="post" action="/settings/away#away"' in html and 'hx-post="/settings/away"' in html
    upcoming, recent = html.split("Now and coming up")[1].split("Recently")
    assert '<time datetime="2026-12-21">Dec 21, 2026</time>' in upcoming
    assert "14 days" in upcoming and "Skiing &lt;3" in upcoming and "Vacation" in upcoming
    assert '<time datetime="2026-11-02">Nov 2, 2026</time>' in recent and "Sick" in recent
    assert 'min="2025-11-27"' in html and 'max="2028-11-27"' in html


def test_dates_follow_the_users_language(client, login, rep, session):
    rep.locale = "de"
    away.add_away_period(session, rep, period("2026-12-21", "2026-12-21"), now=NOW)
    login(rep)
    html = client.get("/settings/").get_data(as_text=True)
    assert "21.12.2026" in html and "1 Tag" in html
    assert "Urlaub" in html


def test_adding_without_javascript_redirects_back_to_the_section(client, login, rep, session):
    login(rep)
    response = client.post("/settings/away", data=period("2026-12-01", "2026-12-04", "sick", "Flu"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/settings/#away")
    stored = session.scalars(select(AwayPeriod)).one()
    assert (stored.user_id, stored.first_day, stored.last_day, stored.reason, stored.note) == (
        rep.id, date(2026, 12, 1), date(2026, 12, 4), "sick", "Flu")
    html = client.get("/settings/").get_data(as_text=True)
    assert "Away period saved." in html and "4 days" in html


def test_adding_with_htmx_returns_only_the_section_and_an_event(client, login, rep, session):
    login(rep)
    response = client.post("/settings/away", data=period("2026-12-01", "2026-12-04"), headers=HX)
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section class="card away" id="away"')
    assert "<html" not in html and 'id="profile"' not in html
    assert "Away period saved." in html and '<time datetime="2026-12-01">' in html
    assert json.loads(response.headers["HX-Trigger"]) == {"away-changed": {"action": "added"}}
    assert "HX-Request" in response.headers["Vary"]
    assert count(session) == 1


def test_a_boosted_post_gets_the_full_page_flow(client, login, rep):
    login(rep)
    response = client.post("/settings/away", data=period("2026-12-01", "2026-12-04"),
                           headers={**HX, "HX-Boosted": "true"})
    assert response.status_code == 303


@pytest.mark.parametrize(
    "data, field, message",
    [
        (period("", "2026-12-04"), "first_day", "Please enter a date."),
        (period("2026-12-05", "2026-12-04"), "last_day", "The last day cannot be before the first day."),
        (period("2026-12-01", "2027-12-31"), "last_day", "at most 366 days long"),
        (period("2025-01-01", "2025-01-02"), "first_day", "at most one year ago"),
        (period("2029-01-01", "2029-01-02"), "last_day", "at most two years ahead"),
        (period("2026-12-01x", "2026-12-04"), "first_day", "Please enter a date like 2026-12-31."),
        (period("2026-12-01", "2026-12-04", reason="beach"), "reason", "Please choose vacation, sick or other."),
        (period("2026-12-01", "2026-12-04", note="n" * 201), "note", "At most 200 characters."),
    ],
)
def test_bad_input_gets_422_with_the_fields_message(client, login, rep, session, data, field, message):
    login(rep)
    response = client.post("/settings/away", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<html" in html  # without JavaScript: the whole page, the form filled in
    assert f'id="{field}-error"' in html and message in html
    assert 'data-testid="away-errors"' in html
    assert count(session) == 0


@pytest.mark.parametrize("data", [period("2026-12-01\x00", "2026-12-04"), period("2026-12-01", "2026-12-04", note="\x00")])
def test_a_nul_byte_is_refused_before_anything_is_read(client, login, rep, session, data):
    login(rep)
    response = client.post("/settings/away", data=data)
    assert response.status_code == 400
    assert "The request contains characters that cannot be stored." in response.get_data(as_text=True)
    assert count(session) == 0


def test_missing_fields_get_422_not_500(client, login, rep, session):
    login(rep)
    response = client.post("/settings/away", data={})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="first_day-error"' in html and 'id="last_day-error"' in html
    assert count(session) == 0


def test_an_overlap_gets_422_in_the_htmx_partial_and_keeps_what_was_typed(client, login, rep, session):
    away.add_away_period(session, rep, period("2026-12-01", "2026-12-05"), now=NOW)
    login(rep)
    response = client.post("/settings/away", data=period("2026-12-04", "2026-12-09", "other", "Moving"), headers=HX)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<section") and "<html" not in html
    assert "This overlaps your away period Dec 1, 2026 – Dec 5, 2026." in html
    assert 'value="2026-12-04"' in html and 'value="Moving"' in html
    assert 'value="other" checked' in html
    assert "HX-Trigger" not in response.headers
    assert count(session) == 1


def test_deleting_ones_own_period(client, login, rep, session):
    created = away.add_away_period(session, rep, period("2026-12-01", "2026-12-05"), now=NOW)
    login(rep)
    response = client.post(f"/settings/away/{created.id}/delete")
    assert response.status_code == 303 and response.headers["Location"].endswith("/settings/#away")
    assert count(session) == 0
    assert "Away period deleted." in client.get("/settings/").get_data(as_text=True)


def test_deleting_with_htmx_returns_the_section(client, login, rep, session):
    created = away.add_away_period(session, rep, period("2026-12-01", "2026-12-05"), now=NOW)
    login(rep)
    response = client.post(f"/settings/away/{created.id}/delete", headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<section") and "Away period deleted." in html and "Nothing planned." in html
    assert json.loads(response.headers["HX-Trigger"]) == {"away-changed": {"action": "deleted"}}


def test_someone_elses_period_is_a_404(client, login, rep, session, make_user):
    colleague = make_user(team=rep.team)
    stranger = make_user()
    theirs = [away.add_away_period(session, person, period("2026-12-01", "2026-12-05"), now=NOW)
              for person in (colleague, stranger)]
    login(rep)
    for item in theirs:
        assert client.post(f"/settings/away/{item.id}/delete").status_code == 404
        assert client.post(f"/settings/away/{item.id}/delete", headers=HX).status_code == 404
    assert client.post("/settings/away/99999999999/delete").status_code == 404
    assert client.get(f"/settings/away/{theirs[0].id}/delete").status_code == 405
    assert count(session) == 2
    html = client.get("/settings/").get_data(as_text=True)
    assert "Dec 1, 2026" not in html  # nobody else's periods are listed


def test_a_vacation_entered_afterwards_mends_the_streak_shown_on_today(client, login, rep, session, make_customer):
    customer = make_customer(rep, now=at(date(2026, 10, 26)))
    log_workdays(session, rep, customer, date(2026, 11, 2), date(2026, 11, 13))
    log_workdays(session, rep, customer, date(2026, 11, 23), date(2026, 11, 26))
    assert assert_consistent(session, rep).current == 4
    login(rep)
    response = client.post("/settings/away", data=period("2026-11-14", "2026-11-22"))
    assert response.status_code == 303
    session.expire_all()
    assert assert_consistent(session, rep).current == 14
    assert session.get(StreakState, rep.id).current == 10  # the checkpoint through Sunday the 22nd
