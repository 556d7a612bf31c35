"""Today's ETag: a reopened page is a 304 only while nothing on it changed, for the same session.

Every request of a ``Device`` runs in an app context of its own, as on a real server, and the
device keeps the last Today page with its ETag and asks with ``If-None-Match``, as a browser
does. The write-path tests first show that Today revalidates (a 304), make one kind of write
the way a user makes it, and then require the next Today page to equal a fresh render
(``/?fresh=1`` is never revalidated) and to differ from the page before the write.
"""

from __future__ import annotations

import os
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session as OrmSession

from app import create_app
from app.extensions import db
from app.kinds import Role
from app.models import AwayPeriod, Customer, FollowUp, PointsEntry, StreakState, Team, TeamHoliday, Touch, User
from app.operations import awards, tokens
from app.operations.customers import CustomerInput, edit_customer_as

from support import NOW, PASSWORD, import_confirm_fields

_TOKEN = re.compile(r'(name="csrf_token" value="|"X-CSRFToken": ")[^"]+')


def _normal(html: str) -> str:
    # The page signs the session's CSRF token with the time: the same token, a different text.
    return _TOKEN.sub(r"\1…", html)


class Device:
    """A signed-in browser: one test client, every request in a fresh app context, a page cache."""

    def __init__(self, app, user: User):
        self.app = app
        self.client = app.test_client()
        self.user_id = user.id
        self.kept: dict[str, tuple[str, str]] = {}  # Accept-Language → (ETag, page)
        self.not_modified = 0
        response = self.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302

    def get(self, path: str = "/", **kwargs):
        with self.app.app_context():
            return self.client.get(path, **kwargs)

    def post(self, path: str, **kwargs):
        with self.app.app_context():
            return self.client.post(path, **kwargs)

    def today(self, headers: dict | None = None) -> str:
        """Show Today as a browser does: revalidate the kept copy, keep what comes back."""
        headers = dict(headers or {})
        language = headers.get("Accept-Language", "")
        if language in self.kept:
            headers["If-None-Match"] = self.kept[language][0]
        response = self.get("/", headers=headers)
        if response.status_code == 304:
            self.not_modified += 1
            return self.kept[language][1]
        assert response.status_code == 200, response.status_code
        page = response.get_data(as_text=True)
        if response.headers.get("ETag"):
            self.kept[language] = (response.headers["ETag"], page)
        else:
            self.kept.pop(language, None)
        return page

    def fresh(self, **kwargs) -> str:
        return self.get("/?fresh=1", **kwargs).get_data(as_text=True)


@pytest.fixture(autouse=True)
def _frozen(frozen_clock):
    """Friday 27 Nov 2026, 11:00 in Berlin; tests move it with ``frozen_clock.now``."""
    return frozen_clock


@pytest.fixture
def team(make_org, session):
    return make_org()


@pytest.fixture
def rep(make_user, team):
    return make_user(team=team, workdays=[0, 1, 2, 3, 4, 5, 6], daily_goal=3, name="Rita Rep")


@pytest.fixture
def coach(make_user, team, session):
    user = make_user(team=team, role=Role.coach, name="Cora Coach")
    session.commit()
    return user


@pytest.fixture
def customers(make_customer, rep, session):
    made = [make_customer(rep, name, now=NOW - timedelta(days=days), tier=tier)
            for name, days, tier in (("Müller AG", 20, "A"), ("Becker GmbH", 9, "B"), ("Schulz KG", 2, "C"))]
    session.commit()
    return made


@pytest.fixture
def device(app, rep, customers, session):
    session.commit()
    return Device(app, rep)


def _kept(device: Device) -> str:
    """Show Today twice: the second time must be a 304 for the same page. Return the page."""
    first = device.today()
    seen = device.not_modified
    second = device.today()
    assert device.not_modified == seen + 1, "the second Today page was not revalidated"
    assert second == first
    return first


def _current(device: Device, before: str) -> str:
    """The Today page after a write: equal to a fresh render, and not the page from before.

    A write that answered with a redirect may have left a message for the next page: that page
    is shown once, and never kept.
    """
    page = device.today()
    if 'class="flash"' in page or 'data-testid="undo-toast"' in page:
        page = device.today()
    assert _normal(page) == _normal(device.fresh())
    assert _normal(page) != _normal(before), "the write changed nothing on Today: the test proves nothing"
    return page


def _log(device: Device, customer: Customer, kind: str = "call", **extra):
    return device.post("/touches/", data={"customer_id": customer.id, "kind": kind, "next": "/", **extra},
                       headers={"HX-Request": "true"})


def _touch_of(session, customer: Customer) -> Touch:
    session.rollback()  # a new snapshot: the device wrote in its own transactions
    return session.execute(db.select(Touch).where(Touch.customer_id == customer.id)).scalars().one()


# --- serving ------------------------------------------------------------------------------------

def test_a_revalidated_page_is_a_304_after_one_query(app, device, count_queries):
    page = _kept(device)
    assert "Müller AG" in page and 'data-testid="streak-count"' in page
    tag = device.kept[""][0]
    with count_queries() as statements:
        response = device.get("/", headers={"If-None-Match": tag})
    assert response.status_code == 304 and response.get_data() == b""
    assert len(statements) == 1, statements  # the user loader's: no page query
    assert response.headers["ETag"] == tag and tag.startswith('W/"')
    rendered = device.get("/")
    for r in (response, rendered):
        assert r.headers["Cache-Control"] == "private, no-cache"
        assert {"HX-Request", "Cookie"} <= {v.strip() for v in r.headers["Vary"].split(",")}
        assert r.headers["Content-Security-Policy"].startswith("default-src 'self'")


@pytest.mark.parametrize("encoding, decompress", [("br", "brotli"), ("gzip", "gzip")])
def test_a_compressed_page_revalidates_with_the_same_tag(device, encoding, decompress):
    import importlib

    page = _kept(device)
    response = device.get("/", headers={"Accept-Encoding": f"{encoding}, identity;q=0.5"})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == encoding
    body = importlib.import_module(decompress).decompress(response.get_data()).decode()
    assert _normal(body) == _normal(page)
    assert response.headers["ETag"] == device.kept[""][0]
    again = device.get("/", headers={"Accept-Encoding": encoding, "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_fragments_carry_no_tag_boosted_navigation_revalidates(device):
    page = _kept(device)
    tag = device.kept[""][0]
    fragment = device.get("/?part=whom", headers={"HX-Request": "true", "If-None-Match": tag})
    assert fragment.status_code == 200 and "ETag" not in fragment.headers
    assert fragment.get_data(as_text=True).lstrip().startswith('<section id="whom"')
    boosted = device.get("/", headers={"HX-Request": "true", "HX-Boosted": "true", "If-None-Match": tag})
    assert boosted.status_code == 304
    assert _normal(device.get("/", headers={"HX-Request": "true", "HX-Boosted": "true"}).get_data(as_text=True)) \
        == _normal(page)


def test_a_signed_out_session_gets_the_front_door_not_a_304(app, device):
    _kept(device)
    stolen = device.client.get_cookie("session").value
    tag = device.kept[""][0]
    assert device.post("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    with app.app_context():
        response = thief.get("/", headers={"If-None-Match": tag})
    assert response.status_code == 200 and "ETag" not in response.headers
    html = response.get_data(as_text=True)
    assert 'data-testid="landing"' in html and 'data-testid="streak-count"' not in html


def test_another_session_of_the_same_rep_gets_its_own_tag(app, device, rep):
    _kept(device)
    other = Device(app, rep)
    response = other.get("/", headers={"If-None-Match": device.kept[""][0]})
    assert response.status_code == 200  # a new session: its own CSRF token, its own tag
    assert _normal(response.get_data(as_text=True)) == _normal(device.today())


def test_another_rep_never_gets_a_304_for_the_page(app, device, make_user, team, make_customer, session):
    _kept(device)
    other_rep = make_user(team=team, workdays=[0, 1, 2, 3, 4, 5, 6])
    make_customer(other_rep, "Only Mine GmbH")
    session.commit()
    other = Device(app, other_rep)
    response = other.get("/", headers={"If-None-Match": device.kept[""][0]})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Only Mine GmbH" in page and "Müller AG" not in page


def test_the_browser_language_is_part_of_the_tag(device):
    english = _kept(device)
    response = device.get("/", headers={"Accept-Language": "de", "If-None-Match": device.kept[""][0]})
    assert response.status_code == 200
    german = response.get_data(as_text=True)
    assert "heute" in german.lower() and _normal(german) != _normal(english)
    assert _normal(german) == _normal(device.fresh(headers={"Accept-Language": "de"}))


def test_a_new_local_day_renders_again(device, frozen_clock):
    before = _kept(device)
    frozen_clock.now = NOW + timedelta(days=1)
    after = _current(device, before)
    assert "Touched today" not in after


def test_a_flash_is_shown_once_and_never_tagged(device, customers):
    before = _kept(device)
    response = device.post("/touches/", data={"customer_id": customers[0].id, "kind": "visit", "next": "/"})
    assert response.status_code == 302
    with_toast = device.get("/", headers={"If-None-Match": device.kept[""][0]})
    assert with_toast.status_code == 200 and "ETag" not in with_toast.headers
    assert 'data-testid="undo-toast"' in with_toast.get_data(as_text=True)
    page = _current(device, before)
    assert 'data-testid="undo-toast"' not in page
    assert 'data-testid="undo-toast"' not in device.today()


def test_a_new_release_never_answers_for_the_old_ones_page(database_url, rep, customers, session):
    session.commit()
    tags = []
    for release in ("one", "two"):
        app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url,
                          "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "RELEASE": release})
        device = Device(app, rep)
        if tags:  # the same session cookie, one release later
            device.client.set_cookie("session", tags[-1][1])
        device.today()
        tags.append((device.kept[""][0], device.client.get_cookie("session").value))
        with app.app_context():
            db.engine.dispose()
    assert tags[0][0] != tags[1][0]


def test_the_default_release_is_a_hash_of_the_code_and_changes_with_it(tmp_path):
    from app.web import release_of

    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text("one")
    first = release_of(tmp_path, {"app.css": "abc"})
    assert release_of(tmp_path, {"app.css": "abc"}) == first
    assert release_of(tmp_path, {"app.css": "abd"}) != first
    (tmp_path / "templates" / "page.html").write_text("two")
    assert release_of(tmp_path, {"app.css": "abc"}) != first


# --- every write that Today shows -----------------------------------------------------------------

def test_logging_a_touch(device, customers):
    before = _kept(device)
    assert _log(device, customers[0]).status_code == 200
    assert "Touched today" in _current(device, before)


@pytest.mark.parametrize("action, data, shown, gone", [
    ("undo", {}, None, "Touched today"),
    ("edit", {"kind": "letter", "direction": "in"}, "They reached out", None),
    ("delete", {}, None, "Touched today"),
])
def test_undoing_editing_and_deleting_a_touch(device, customers, session, action, data, shown, gone):
    _log(device, customers[0], "call")
    before = _kept(device)
    touch = _touch_of(session, customers[0])
    response = device.post(f"/touches/{touch.id}/{action}", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = _current(device, before)
    assert shown is None or shown in page
    assert gone is None or gone not in page


def test_correcting_a_touchs_day(device, customers, session):
    _log(device, customers[0], "call")
    before = _kept(device)
    touch = _touch_of(session, customers[0])
    day = (touch.local_day - timedelta(days=3)).isoformat()
    response = device.post(f"/touches/{touch.id}/edit", data={"kind": "call", "direction": "out", "day": day},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Touched today" not in _current(device, before)


def test_a_touch_from_the_api(app, device, rep, customers, session):
    before = _kept(device)
    token = tokens.create_token(session, rep, name="phone", now=NOW).plaintext
    session.commit()
    with app.app_context():
        response = app.test_client().post("/api/v1/touches", json={"customer_id": customers[2].id, "kind": "coffee"},
                                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert "Touched today" in _current(device, before)


def test_a_follow_up_from_the_api(app, device, rep, customers, session):
    before = _kept(device)
    token = tokens.create_token(session, rep, name="phone", now=NOW).plaintext
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    with app.app_context():
        response = app.test_client().post("/api/v1/follow-ups", headers=headers,
                                          json={"customer_id": customers[1].id, "due_day": "2026-11-27"})
    assert response.status_code == 201, response.get_data(as_text=True)
    page = _current(device, before)
    assert "Planned: a touch · due today" in page
    with app.app_context():
        dropped = app.test_client().delete(f"/api/v1/follow-ups/{response.get_json()['follow_up']['id']}",
                                           headers=headers)
    assert dropped.status_code == 204
    assert "Planned:" not in _current(device, page)


def test_editing_renaming_and_pausing_a_customer(device, customers):
    before = _kept(device)
    response = device.post(f"/customers/{customers[0].id}/edit", data={
        "name": "Müller & Söhne AG", "tier": "A", "cadence_days": "", "paused_until": "2026-12-24"})
    assert response.status_code == 303
    page = _current(device, before)
    assert "Müller &amp; Söhne AG" not in page  # paused: off the list
    response = device.post(f"/customers/{customers[0].id}/edit", data={
        "name": "Müller & Söhne AG", "tier": "A", "cadence_days": "", "paused_until": ""})
    assert "Müller &amp; Söhne AG" in _current(device, page)


def test_adding_archiving_and_importing_customers(device, customers):
    before = _kept(device)
    assert device.post("/customers/", data={"name": "Neu GmbH", "tier": "A"}).status_code == 303
    page = _current(device, before)
    assert device.post(f"/customers/{customers[0].id}/archive").status_code in (302, 303)
    page = _current(device, page)
    assert "Müller AG" not in page
    preview = device.post("/customers/import", data={"text": "name,tier\nImport AG,A\n"},
                          content_type="multipart/form-data")
    assert preview.status_code == 200, preview.status_code
    response = device.post("/customers/import/confirm", data=import_confirm_fields(preview.get_data(as_text=True)),
                           content_type="multipart/form-data")
    assert response.status_code in (302, 303), response.status_code
    _current(device, page)


@pytest.mark.parametrize("change", [{"daily_goal": "5"}, {"locale": "de"}, {"timezone": "America/Los_Angeles"}])
def test_settings(device, change):
    before = _kept(device)
    form = {"name": "Rita Rep", "timezone": "Europe/Berlin", "locale": "en", "workdays": list("0123456"),
            "daily_goal": "3", "day_start_hour": "3", "evening_hour": "18", "quiet_start_hour": "21",
            "quiet_end_hour": "8"}
    assert device.post("/settings/", data={**form, **change}).status_code in (302, 303)
    _current(device, before)


def test_an_away_period_today(device, customers):
    _log(device, customers[0], days_back="1")  # yesterday: a streak, at risk today
    before = _kept(device)
    assert "At risk" in before
    response = device.post("/settings/away", data={"first_day": "2026-11-27", "last_day": "2026-11-30",
                                                   "reason": "sick", "note": ""})
    assert response.status_code in (302, 303)
    assert "At risk" not in _current(device, before)


def test_the_coachs_team_holiday_crisis_and_reassignment(app, device, coach, customers, make_user, team, session):
    as_coach = Device(app, coach)
    before = _kept(device)
    assert as_coach.post("/team/crisis", data={"reason": "Trade fair cancelled", "message": "Call them."}
                         ).status_code in (302, 303)
    page = _current(device, before)
    assert 'data-testid="crisis-banner"' in page
    assert as_coach.post("/team/crisis/end").status_code in (302, 303)
    page = _current(device, page)
    assert 'data-testid="crisis-banner"' not in page
    # The coach hands a customer the rep touched to another rep, then renames it: the rep's
    # recent touches still show it, under its new name.
    _log(device, customers[1])
    page = _kept(device)
    session.rollback()  # a new snapshot: the devices wrote in their own transactions
    other = make_user(team=team, workdays=[0, 1, 2, 3, 4, 5, 6])
    session.commit()
    response = as_coach.post(f"/customers/{customers[1].id}/edit", data={
        "name": "Becker GmbH", "tier": "B", "cadence_days": "", "paused_until": "", "owner_id": str(other.id)})
    assert response.status_code == 303
    page = _current(device, page)
    page = _kept(device)
    response = as_coach.post(f"/customers/{customers[1].id}/edit", data={
        "name": "Becker & Co", "tier": "B", "cadence_days": "", "paused_until": "", "owner_id": str(other.id)})
    assert response.status_code == 303
    assert "Becker &amp; Co" in _current(device, page)


def test_customers_handed_over_from_a_leaving_rep(app, device, coach, customers, make_user, make_customer, team,
                                                  session):
    # The rep who receives them sees them on Today at once.
    leaving = make_user(team=team, name="Lars Leaving")
    make_customer(leaving, "Krause OHG", tier="A", now=NOW - timedelta(days=30))
    session.commit()
    before = _kept(device)
    response = Device(app, coach).post(f"/team/members/{leaving.id}/remove", data={"to": str(device.user_id)})
    assert response.status_code == 303
    assert "Krause OHG" in _current(device, before)


def test_planning_moving_and_dropping_a_follow_up(app, device, coach, customers):
    path = f"/customers/{customers[2].id}/follow-up"
    before = _kept(device)
    assert device.post(path, data={"due_day": "2026-11-27", "kind": "call"}, headers={"HX-Request": "true"}
                       ).status_code == 200
    page = _current(device, before)
    assert "Planned: Call · due today" in page
    page = _kept(device)
    assert device.post(path, data={"due_day": "2026-12-04", "kind": "call"}).status_code == 303  # moved away
    page = _current(device, page)
    assert "Planned:" not in page
    as_coach = Device(app, coach)  # the coach moves the rep's plan back to today
    assert as_coach.post(path, data={"due_day": "2026-11-27", "kind": "visit"}).status_code == 303
    page = _current(device, page)
    assert "Planned: Visit · due today" in page
    page = _kept(device)
    assert device.post(f"{path}/drop").status_code == 303
    assert "Planned:" not in _current(device, page)


def test_a_team_holiday(app, device, coach, customers):
    as_coach = Device(app, coach)
    _log(device, customers[0], days_back="1")  # yesterday: a streak, at risk today
    before = _kept(device)
    assert "At risk" in before
    response = as_coach.post("/team/holidays", data={"name": "Betriebsausflug", "first_day": "2026-11-27",
                                                     "last_day": "2026-11-27"})
    assert response.status_code in (302, 303)
    assert "At risk" not in _current(device, before)


# --- the flush hook ---------------------------------------------------------------------------------

def _revisions(session) -> dict[int, int]:
    session.expire_all()
    return dict(session.execute(select(User.id, User.page_revision)).all())


@pytest.fixture
def people(make_user, make_org, team, session, make_customer):
    a = make_user(team=team)
    b = make_user(team=team)
    stranger = make_user(team=make_org())
    customer = make_customer(a, "Kunde")
    session.add(Touch(organization_id=a.organization_id, user_id=a.id, customer_id=customer.id, kind="call",
                      occurred_at=NOW, local_day=NOW.date(), created_at=NOW))
    session.add(StreakState(user_id=a.id, updated_at=NOW))
    session.add(FollowUp(organization_id=a.organization_id, customer_id=customer.id, user_id=a.id, created_by_id=a.id,
                         due_day=NOW.date(), created_at=NOW))
    session.commit()
    return a, b, stranger, customer


def _raised(session, before: dict[int, int]) -> set[int]:
    after = _revisions(session)
    return {uid for uid, rev in after.items() if rev != before.get(uid)}


def _touch(session, a, customer):
    return session.scalars(select(Touch).where(Touch.user_id == a.id)).first()


WRITES = {
    "touch insert": (lambda s, a, b, c: s.add(Touch(organization_id=a.organization_id, user=a, customer=c, kind="visit",
                                                      occurred_at=NOW, local_day=NOW.date(), created_at=NOW)), {"a"}),
    "touch update": (lambda s, a, b, c: setattr(_touch(s, a, c), "note", "x"), {"a"}),
    "touch delete": (lambda s, a, b, c: s.delete(_touch(s, a, c)), {"a"}),
    "customer insert": (lambda s, a, b, c: s.add(Customer(organization_id=b.organization_id, owner_id=b.id, name="New",
                                                          tier="A", cadence_days=7, created_at=NOW,
                                                          created_day=NOW.date())), {"b"}),
    "customer owner change": (lambda s, a, b, c: setattr(c, "owner", b), {"a", "b"}),
    "customer rename": (lambda s, a, b, c: setattr(c, "name", "Renamed"), {"a"}),
    "streak_state": (lambda s, a, b, c: setattr(s.get(StreakState, a.id), "current", 1), {"a"}),
    "away_period": (lambda s, a, b, c: s.add(AwayPeriod(user_id=b.id, first_day=NOW.date(), last_day=NOW.date(),
                                                        reason="sick", created_at=NOW)), {"b"}),
    "points_entry": (lambda s, a, b, c: s.add(PointsEntry(user_id=a.id, points=5, reason="base",
                                                          local_day=NOW.date(), created_at=NOW)), {"a"}),
    "team_holiday": (lambda s, a, b, c: s.add(TeamHoliday(team_id=a.team_id, first_day=NOW.date(), last_day=NOW.date(),
                                                          name="Off", created_by_id=a.id, created_at=NOW)), {"a", "b"}),
    "team": (lambda s, a, b, c: setattr(s.get(Team, a.team_id), "crisis_reason", "Storm"), {"a", "b"}),
    "user": (lambda s, a, b, c: setattr(b, "daily_goal", 9), {"b"}),
    # A closed one beside the open one of the fixture (one open per customer).
    "follow_up insert": (lambda s, a, b, c: s.add(FollowUp(organization_id=a.organization_id, customer_id=c.id,
                                                             user_id=a.id, created_by_id=b.id, due_day=NOW.date(),
                                                             created_at=NOW, dropped_at=NOW)), {"a"}),
    "follow_up moved": (lambda s, a, b, c: setattr(_follow_up(s, a), "due_day", NOW.date() + timedelta(days=1)), {"a"}),
    "follow_up handed over": (lambda s, a, b, c: setattr(_follow_up(s, a), "user", b), {"a", "b"}),
    "follow_up done": (lambda s, a, b, c: setattr(_follow_up(s, a), "done_at", NOW), {"a"}),
}


def _follow_up(session, a) -> FollowUp:
    return session.scalars(select(FollowUp).where(FollowUp.user_id == a.id)).one()


@pytest.mark.parametrize("write", list(WRITES))
def test_a_write_raises_the_revision_of_exactly_the_users_it_shows_on(session, people, write):
    a, b, stranger, customer = people
    before = _revisions(session)
    change, expected = WRITES[write]
    change(session, a, b, customer)
    session.commit()
    assert _raised(session, before) == {{"a": a.id, "b": b.id}[name] for name in expected}


def test_renaming_a_customer_raises_everyone_who_touched_it(session, people, make_customer):
    a, b, _stranger, _customer = people
    customer = make_customer(b, "Kunde B")
    session.add(Touch(organization_id=a.organization_id, user_id=a.id, customer_id=customer.id, kind="call",
                      occurred_at=NOW, local_day=NOW.date(), created_at=NOW))
    session.commit()
    before = _revisions(session)
    session.get(Customer, customer.id).notes = "x"
    session.commit()
    assert _raised(session, before) == {b.id}  # the owner only: the notes are not on a's page
    before = _revisions(session)
    session.get(Customer, customer.id).name = "Neu"
    session.commit()
    assert _raised(session, before) == {a.id, b.id}


def test_a_rolled_back_write_raises_nothing(session, people):
    a, _b, _stranger, _customer = people
    before = _revisions(session)
    a.daily_goal = 7
    session.flush()
    session.rollback()
    assert _raised(session, before) == set()


def test_a_loaded_user_reads_the_raised_revision(session, people):
    a, _b, _stranger, customer = people
    before = a.page_revision
    customer.name = "Anders"
    session.flush()
    assert a.page_revision == before + 1


def test_an_unchanged_dirty_row_raises_nothing(session, people):
    a, _b, _stranger, customer = people
    before = _revisions(session)
    customer.name = customer.name  # set, but to the same value
    session.commit()
    assert _raised(session, before) == set()


ON_POSTGRES = (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql")


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="row locks: PostgreSQL only (SQLite's writers queue)")
def test_a_coachs_edit_waits_for_the_reps_touch_before_it_locks_the_customer(app, session, rep, coach, customers):
    """A coach's edit raises the rep's revision: it must take the rep's row first, as the rep's
    own touch does, or the two could deadlock (touch: rep, then customer; edit: customer, then rep)."""
    session.commit()
    customer_id, rep_id, coach_id = customers[0].id, rep.id, coach.id
    touch = OrmSession(db.engine)
    touch.execute(text("SET lock_timeout = '3s'"))
    awards.lock_rep(touch, touch.get(User, rep_id))  # a touch of the rep has begun
    finished, errors = threading.Event(), []

    def edit():
        with app.app_context():
            edit_session = OrmSession(db.engine)
            try:
                edit_customer_as(edit_session, edit_session.get(Customer, customer_id),
                                 actor=edit_session.get(User, coach_id),
                                 data=CustomerInput(name="Müller Neu", tier="A"), owner_id=None)
                edit_session.commit()
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                edit_session.close()
                finished.set()

    thread = threading.Thread(target=edit)
    thread.start()
    try:
        assert not finished.wait(0.5), "the edit did not wait for the rep's touch"
        # The touch goes on to update the customer: free, because the edit waits on the rep's row.
        touch.execute(text("UPDATE customer SET last_touch_day = :day WHERE id = :id"),
                      {"day": NOW.date(), "id": customer_id})
        touch.commit()
    finally:
        touch.close()
        thread.join(10)
    assert finished.is_set() and errors == []
    session.expire_all()
    assert session.get(Customer, customer_id).name == "Müller Neu"
