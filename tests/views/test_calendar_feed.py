"""The calendar feed: made in Settings (shown once, only its hash kept), served as iCalendar, revocable."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from icalendar import Calendar
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.kinds import Role
from app.models import CalendarFeed
from app.operations import customers as customer_ops
from app.operations import follow_ups as ops
from app.operations import touches as touch_ops
from support import NOW

TODAY = date(2026, 11, 27)
HX = {"HX-Request": "true"}
FEED = re.compile(r'value="(http://localhost/calendar/([A-Za-z0-9_-]+)\.ics)"')

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def rep(make_user):
    return make_user(name="Rita Rep")


def _make_feed(client) -> tuple[str, str]:
    """Make the signed-in user's feed through Settings (htmx); return its URL and token."""
    response = client.post("/settings/calendar", headers=HX)
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section class="card" id="calendar"')
    url, token = FEED.search(html).groups()
    assert f'href="webcal://localhost/calendar/{token}.ics"' in html
    return url, token


def _events(app, token: str) -> dict[str, object]:
    """Fetch the feed without a session, parse it back; return the calendar and its events by summary."""
    response = app.test_client().get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar" and response.mimetype_params["charset"] == "utf-8"
    calendar = Calendar.from_ical(response.data)
    return {"calendar": calendar, **{str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}}


def _plan(session, actor, customer, day, **fields):
    return ops.plan_follow_up(session, actor=actor, customer_id=customer.id, due_day=day, now=NOW, **fields).follow_up


def test_a_feed_has_one_all_day_event_per_open_follow_up_of_the_user(app, client, login, session, rep, make_customer):
    mueller = make_customer(rep, "Müller AG")
    schmidt = make_customer(rep, "Schmidt KG")
    planned = _plan(session, rep, mueller, TODAY + timedelta(days=3), kind="call", note="Ask about the\nnew order")
    _plan(session, rep, schmidt, TODAY, kind=None)
    session.commit()
    login(rep)
    url, token = _make_feed(client)
    assert url == f"http://localhost/calendar/{token}.ics"

    parsed = _events(app, token)
    calendar = parsed["calendar"]
    assert str(calendar["X-WR-CALNAME"]) == "Touchbase: next touches of Rita Rep"
    assert calendar["REFRESH-INTERVAL"].to_ical() == b"PT1H" and calendar["X-PUBLISHED-TTL"].to_ical() == b"PT1H"
    assert set(parsed) == {"calendar", "Call Müller AG", "Get in touch with Schmidt KG"}
    event = parsed["Call Müller AG"]
    assert str(event["UID"]) == f"follow-up-{planned.id}@localhost"
    assert event.decoded("DTSTART") == date(2026, 11, 30) and event.decoded("DTEND") == date(2026, 12, 1)
    assert "VALUE=DATE" in event["DTSTART"].to_ical().decode() or event["DTSTART"].params.get("VALUE") == "DATE"
    customer_url = f"http://localhost/customers/{mueller.id}"
    assert str(event["URL"]) == customer_url
    assert str(event["DESCRIPTION"]) == f"Ask about the\nnew order\n\n{customer_url}"
    assert event.decoded("LAST-MODIFIED") == NOW and event.decoded("DTSTAMP") == NOW


def test_moving_a_plan_moves_its_event_and_done_dropped_or_archived_ones_leave(app, client, login, session, rep,
                                                                             make_customer):
    names = ["Moved", "Done", "Dropped", "Archived"]
    customers = {name: make_customer(rep, name) for name in names}
    plans = {name: _plan(session, rep, customers[name], TODAY + timedelta(days=1), kind="visit") for name in names}
    session.commit()
    login(rep)
    _url, token = _make_feed(client)
    uid = str(_events(app, token)["Visit Moved"]["UID"])

    later = NOW + timedelta(hours=2)
    ops.move_follow_up(session, plans["Moved"], due_day=TODAY + timedelta(days=9), now=later)
    touch_ops.log_touch(session, user=rep, customer_id=customers["Done"].id, kind="call", now=NOW)
    ops.drop_follow_up(session, plans["Dropped"], now=NOW)
    customer_ops.archive_customer(session, customers["Archived"], now=NOW)
    session.commit()

    parsed = _events(app, token)
    assert set(parsed) == {"calendar", "Visit Moved"}
    moved = parsed["Visit Moved"]
    assert str(moved["UID"]) == uid and moved.decoded("DTSTART") == date(2026, 12, 6)
    assert moved.decoded("LAST-MODIFIED") == later


def test_another_users_follow_ups_never_appear_and_a_coach_gets_their_own(app, client, login, session, rep,
                                                                          make_user, make_customer):
    coach = make_user(team=rep.team, role=Role.coach, name="Cora Coach")
    teammate = make_user(team=rep.team)
    stranger = make_user()
    _plan(session, rep, make_customer(rep, "Rita's"), TODAY, kind="call")
    _plan(session, coach, make_customer(rep, "Planned by the coach for Rita"), TODAY, kind="call")
    _plan(session, coach, make_customer(coach, "Cora's own"), TODAY, kind="call")
    _plan(session, teammate, make_customer(teammate, "Teammate's"), TODAY, kind="call")
    _plan(session, stranger, make_customer(stranger, "Stranger's"), TODAY, kind="call")
    session.commit()
    login(coach)
    _url, token = _make_feed(client)
    assert set(_events(app, token)) == {"calendar", "Call Cora's own"}
    client.post("/logout")
    login(rep)
    _url, token = _make_feed(client)
    assert set(_events(app, token)) == {"calendar", "Call Rita's", "Call Planned by the coach for Rita"}


def test_the_feed_speaks_the_users_language(app, client, login, session, make_user, make_customer):
    german = make_user(locale="de", name="Lena")
    _plan(session, german, make_customer(german, "Müller AG"), TODAY, kind="call")
    _plan(session, german, make_customer(german, "Weber"), TODAY, kind="coffee")
    session.commit()
    login(german)
    _url, token = _make_feed(client)
    parsed = _events(app, token)
    assert {"Müller AG anrufen", "Kaffee mit Weber"} <= set(parsed)
    assert str(parsed["calendar"]["X-WR-CALNAME"]) == "Touchbase: nächste Kontakte von Lena"


def test_only_the_hash_is_stored_and_the_address_is_shown_once(app, client, login, session, rep):
    login(rep)
    _url, token = _make_feed(client)
    session.expire_all()
    [feed] = session.scalars(select(CalendarFeed)).all()
    assert feed.user_id == rep.id and feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (feed.token_hash,)
    page = client.get("/settings/").get_data(as_text=True)
    assert token not in page and 'data-testid="calendar-on"' in page


def test_a_new_address_replaces_the_old_and_turning_off_ends_it(app, client, login, session, rep):
    login(rep)
    _url, old = _make_feed(client)
    _url, new = _make_feed(client)
    assert old != new
    feed = app.test_client()
    assert feed.get(f"/calendar/{old}.ics").status_code == 404
    assert feed.get(f"/calendar/{new}.ics").status_code == 200
    assert session.scalar(select(db.func.count()).select_from(CalendarFeed)) == 1
    response = client.post("/settings/calendar/revoke", headers=HX)
    assert response.status_code == 200 and "Calendar feed turned off" in response.get_data(as_text=True)
    assert feed.get(f"/calendar/{new}.ics").status_code == 404
    assert session.scalar(select(db.func.count()).select_from(CalendarFeed)) == 0
    # Without JavaScript: the whole page, and a redirect after turning off.
    made = client.post("/settings/calendar")
    assert made.status_code == 201 and "<html" in made.get_data(as_text=True)
    assert client.post("/settings/calendar/revoke").status_code == 303


@pytest.mark.parametrize("token", ["unknown-" + "x" * 40, "short", "a" * 101, "bad.token" + "x" * 40, "%00" * 20])
def test_an_unknown_or_malformed_token_is_a_404(client, token):
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_the_settings_page_offers_the_calendar_section(client, login, rep):
    login(rep)
    html = client.get("/settings/").get_data(as_text=True)
    assert 'id="calendar"' in html and 'action="/settings/calendar"' in html and "Make a calendar address" in html


def test_the_feed_is_rate_limited_per_feed(app, database_url, client, login, session, rep):
    login(rep)
    _url, token = _make_feed(client)
    limited = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": database_url,
                          "RATELIMIT_ENABLED": True, "CALENDAR_RATE_LIMIT": "2 per minute"})
    try:
        with limited.app_context():
            reader = limited.test_client()
            statuses = [reader.get(f"/calendar/{token}.ics").status_code for _ in range(3)]
            other = reader.get(f"/calendar/{'y' * 43}.ics").status_code  # another feed has its own count
    finally:
        with limited.app_context():
            db.session.remove()
            db.engine.dispose()
    assert statuses == [200, 200, 429] and other == 404


def test_dtstamp_is_the_time_of_the_fetch(app, client, login, session, rep, make_customer, frozen_clock):
    _plan(session, rep, make_customer(rep, "Müller AG"), TODAY, kind="call")
    session.commit()
    login(rep)
    _url, token = _make_feed(client)
    frozen_clock.now = datetime(2026, 11, 28, 6, 0, tzinfo=timezone.utc)
    event = _events(app, token)["Call Müller AG"]
    assert event.decoded("DTSTAMP") == frozen_clock.now and event.decoded("LAST-MODIFIED") == NOW
