"""The Today page cache: served only while nothing on the page changed, for the same session.

Every request of a ``Device`` runs in an app context of its own, as on a real server, so the
cache sees only committed data, like it does in production. The write-path tests keep the
page in the cache first, make one kind of write the way a user makes it, and then require the
next Today page to equal a fresh render (``/?fresh=1`` never comes from the cache) and to
differ from the page before the write.
"""

from __future__ import annotations

import os
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session as OrmSession

from app import clock, page_cache, revisions
from app.extensions import db
from app.kinds import Role
from app.models import Customer, Touch, User
from app.operations import awards, tokens
from app.operations.customers import CustomerInput, edit_customer_as

from support import NOW, PASSWORD

_TOKEN = re.compile(r'(name="csrf_token" value="|"X-CSRFToken": ")[^"]+')


def _normal(html: str) -> str:
    # The page signs the session's CSRF token with the time: the same token, a different text.
    return _TOKEN.sub(r"\1…", html)


class Device:
    """A signed-in browser: one test client, every request in a fresh app context."""

    def __init__(self, app, user: User):
        self.app = app
        self.client = app.test_client()
        self.user_id = user.id
        response = self.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302

    def get(self, path: str = "/", **kwargs):
        with self.app.app_context():
            return self.client.get(path, **kwargs)

    def post(self, path: str, **kwargs):
        with self.app.app_context():
            return self.client.post(path, **kwargs)

    def today(self, **kwargs) -> str:
        response = self.get("/", **kwargs)
        assert response.status_code == 200, response.status_code
        return response.get_data(as_text=True)

    def fresh(self, **kwargs) -> str:
        return self.get("/?fresh=1", **kwargs).get_data(as_text=True)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    """Friday 27 Nov 2026, 11:00 in Berlin; tests move it with ``frozen_clock.now``."""

    class Frozen:
        now = NOW

    monkeypatch.setattr(clock, "now", lambda: Frozen.now)
    return Frozen


@pytest.fixture
def cache(app):
    pages = page_cache.cache()
    assert pages is not None, "the page cache is on by default"
    pages.clear()
    return pages


@pytest.fixture
def team(make_org, session):
    return make_org()


@pytest.fixture
def rep(make_user, team):
    return make_user(team=team, workdays="0123456", daily_goal=3, name="Rita Rep")


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
def device(app, rep, customers, session, cache):
    session.commit()
    return Device(app, rep)


def _kept(device: Device, cache) -> str:
    """Show Today twice: the second time must come from the cache. Return the page."""
    first = device.today()
    hits = cache.hits
    second = device.today()
    assert cache.hits == hits + 1, "the second Today page was not served from the cache"
    assert _normal(second) == _normal(first)
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

def test_a_kept_page_is_one_query_and_the_same_page(app, device, cache):
    page = _kept(device, cache)
    assert "Müller AG" in page and 'data-testid="streak-count"' in page
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = device.get("/")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    # Only the revision check ran (on a raw pooled connection): no user load, no page query.
    assert statements == []
    # Served from the cache, the page has the headers of the page Flask sends, cookies aside.
    rendered = device.get("/?fresh=1")

    def headers(r):
        return sorted((k, v) for k, v in r.headers.items() if k not in ("Set-Cookie", "Content-Length"))

    assert headers(response) == headers(rendered)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["Content-Type"].startswith("text/html")
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("encoding, decompress", [("br", "brotli"), ("gzip", "gzip")])
def test_a_kept_page_is_compressed_as_the_browser_accepts(device, cache, encoding, decompress):
    import importlib

    page = _kept(device, cache)
    for _ in range(2):  # compressed once, then served compressed
        hits = cache.hits
        response = device.get("/", headers={"Accept-Encoding": f"{encoding}, identity;q=0.5"})
        assert cache.hits == hits + 1
        assert response.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in response.headers["Vary"]
        body = importlib.import_module(decompress).decompress(response.get_data()).decode()
        assert _normal(body) == _normal(page)
        assert int(response.headers["Content-Length"]) == len(response.get_data())


def test_fragments_never_come_from_the_cache_boosted_navigation_does(device, cache):
    page = _kept(device, cache)
    hits = cache.hits
    fragment = device.get("/?part=whom", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="whom"')
    device.fresh()
    assert cache.hits == hits
    boosted = device.get("/", headers={"HX-Request": "true", "HX-Boosted": "true"}).get_data(as_text=True)
    assert cache.hits == hits + 1 and _normal(boosted) == _normal(page)


def test_a_signed_out_session_gets_the_login_not_the_kept_page(app, device, cache):
    _kept(device, cache)
    stolen = device.client.get_cookie("session").value
    assert device.post("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    with app.app_context():
        response = thief.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_another_session_of_the_same_rep_gets_its_own_page(app, device, rep, cache):
    _kept(device, cache)
    other = Device(app, rep)
    hits = cache.hits
    page = other.today()
    assert cache.hits == hits  # a new session: its own CSRF token, its own entry
    assert _normal(page) == _normal(device.today())


def test_another_rep_never_gets_the_page(app, device, make_user, team, make_customer, session, cache):
    _kept(device, cache)
    other_rep = make_user(team=team, workdays="0123456")
    make_customer(other_rep, "Only Mine GmbH")
    session.commit()
    page = Device(app, other_rep).today()
    assert "Only Mine GmbH" in page and "Müller AG" not in page


def test_the_browser_language_is_part_of_the_key(device, cache):
    english = _kept(device, cache)
    german = device.today(headers={"Accept-Language": "de"})
    assert "Wen heute kontaktieren" in german or "heute" in german.lower()
    assert _normal(german) != _normal(english)
    assert _normal(german) == _normal(device.fresh(headers={"Accept-Language": "de"}))
    assert _normal(device.today()) == _normal(english)


def test_a_new_local_day_renders_again(device, cache, frozen_clock):
    before = _kept(device, cache)
    frozen_clock.now = NOW + timedelta(days=1)
    after = _current(device, before)
    assert "Touched today" not in after


def test_a_flash_is_shown_once_and_never_kept(device, customers, cache):
    before = _kept(device, cache)
    response = device.post("/touches/", data={"customer_id": customers[0].id, "kind": "visit", "next": "/"})
    assert response.status_code == 302
    with_toast = device.today()
    assert 'data-testid="undo-toast"' in with_toast
    page = _current(device, before)
    assert 'data-testid="undo-toast"' not in page
    assert 'data-testid="undo-toast"' not in device.today()


def test_the_cache_can_be_switched_off(database_url):
    from app import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url,
                      "PAGE_CACHE_SIZE": 0})
    with app.app_context():
        assert page_cache.cache() is None
    assert not isinstance(app.wsgi_app, page_cache.Middleware)
    assert page_cache._capture not in app.after_request_funcs.get(None, [])


def test_behind_a_proxy_the_kept_page_is_the_one_for_the_clients_scheme(database_url, rep, customers, session):
    from app import create_app

    proxied = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url,
                          "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "TRUSTED_PROXIES": 1})
    session.commit()
    with proxied.app_context():
        pages = page_cache.cache()
    device = Device(proxied, rep)
    https = {"X-Forwarded-Proto": "https"}
    first = device.get("/", headers=https)
    second = device.get("/", headers=https)
    assert pages.hits == 1  # the middleware sits inside ProxyFix: it sees the client's scheme
    assert second.headers["Strict-Transport-Security"] == first.headers["Strict-Transport-Security"]
    plain = device.get("/")
    assert pages.hits == 1 and "Strict-Transport-Security" not in plain.headers
    with proxied.app_context():
        db.engine.dispose()


def test_the_cache_is_bounded_least_recently_used_out_first():
    pages = page_cache.PageCache(2)
    entry = page_cache.Entry(1, NOW.date(), b"", ())
    pages.put("a", entry)
    pages.put("b", entry)
    assert pages.get("a") is entry  # "a" is now the most recently used
    pages.put("c", entry)
    assert pages.get("b") is None and pages.get("a") is entry and pages.get("c") is entry
    assert len(pages) == 2


# --- every write that Today shows -----------------------------------------------------------------

def test_logging_a_touch(device, customers, cache):
    before = _kept(device, cache)
    assert _log(device, customers[0]).status_code == 200
    assert "Touched today" in _current(device, before)


@pytest.mark.parametrize("action, data, shown, gone", [
    ("undo", {}, None, "Touched today"),
    ("edit", {"kind": "letter", "direction": "in"}, "They reached out", None),
    ("delete", {}, None, "Touched today"),
])
def test_undoing_editing_and_deleting_a_touch(device, customers, session, cache, action, data, shown, gone):
    _log(device, customers[0], "call")
    before = _kept(device, cache)
    touch = _touch_of(session, customers[0])
    response = device.post(f"/touches/{touch.id}/{action}", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = _current(device, before)
    assert shown is None or shown in page
    assert gone is None or gone not in page


def test_a_touch_from_the_api(app, device, rep, customers, session, cache):
    before = _kept(device, cache)
    token = tokens.create_token(session, rep, name="phone", now=NOW).plaintext
    session.commit()
    with app.app_context():
        response = app.test_client().post("/api/v1/touches", json={"customer_id": customers[2].id, "kind": "coffee"},
                                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert "Touched today" in _current(device, before)


def test_editing_renaming_and_pausing_a_customer(device, customers, cache):
    before = _kept(device, cache)
    response = device.post(f"/customers/{customers[0].id}/edit", data={
        "name": "Müller & Söhne AG", "tier": "A", "cadence_days": "", "paused_until": "2026-12-24"})
    assert response.status_code == 303
    page = _current(device, before)
    assert "Müller &amp; Söhne AG" not in page  # paused: off the list
    response = device.post(f"/customers/{customers[0].id}/edit", data={
        "name": "Müller & Söhne AG", "tier": "A", "cadence_days": "", "paused_until": ""})
    assert "Müller &amp; Söhne AG" in _current(device, page)


def test_adding_archiving_and_importing_customers(device, customers, cache):
    before = _kept(device, cache)
    assert device.post("/customers/", data={"name": "Neu GmbH", "tier": "A"}).status_code == 303
    page = _current(device, before)
    assert device.post(f"/customers/{customers[0].id}/archive").status_code in (302, 303)
    page = _current(device, page)
    assert "Müller AG" not in page
    response = device.post("/customers/import/confirm", data={"content": "name,tier\nImport AG,A\n"},
                           content_type="multipart/form-data")
    assert response.status_code in (302, 303), response.status_code
    _current(device, page)


@pytest.mark.parametrize("change", [{"daily_goal": "5"}, {"locale": "de"}, {"timezone": "America/Los_Angeles"}])
def test_settings(device, cache, change):
    before = _kept(device, cache)
    form = {"name": "Rita Rep", "timezone": "Europe/Berlin", "locale": "en", "workdays": list("0123456"),
            "daily_goal": "3", "day_start_hour": "3", "evening_hour": "18", "quiet_start_hour": "21",
            "quiet_end_hour": "8"}
    assert device.post("/settings/", data={**form, **change}).status_code in (302, 303)
    _current(device, before)


def test_an_away_period_today(device, customers, cache):
    _log(device, customers[0], days_back="1")  # yesterday: a streak, at risk today
    before = _kept(device, cache)
    assert "At risk" in before
    response = device.post("/settings/away", data={"first_day": "2026-11-27", "last_day": "2026-11-30",
                                                   "reason": "sick", "note": ""})
    assert response.status_code in (302, 303)
    assert "At risk" not in _current(device, before)


def test_the_coachs_team_holiday_crisis_and_reassignment(app, device, coach, customers, make_user, team, session,
                                                        cache):
    as_coach = Device(app, coach)
    before = _kept(device, cache)
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
    page = _kept(device, cache)
    session.rollback()  # a new snapshot: the devices wrote in their own transactions
    other = make_user(team=team, workdays="0123456")
    session.commit()
    response = as_coach.post(f"/customers/{customers[1].id}/edit", data={
        "name": "Becker GmbH", "tier": "B", "cadence_days": "", "paused_until": "", "owner_id": str(other.id)})
    assert response.status_code == 303
    page = _current(device, page)
    page = _kept(device, cache)
    response = as_coach.post(f"/customers/{customers[1].id}/edit", data={
        "name": "Becker & Co", "tier": "B", "cadence_days": "", "paused_until": "", "owner_id": str(other.id)})
    assert response.status_code == 303
    assert "Becker &amp; Co" in _current(device, page)


def test_a_team_holiday(app, device, coach, customers, cache):
    as_coach = Device(app, coach)
    _log(device, customers[0], days_back="1")  # yesterday: a streak, at risk today
    before = _kept(device, cache)
    assert "At risk" in before
    response = as_coach.post("/team/holidays", data={"name": "Betriebsausflug", "first_day": "2026-11-27",
                                                     "last_day": "2026-11-27"})
    assert response.status_code in (302, 303)
    assert "At risk" not in _current(device, before)


# --- the triggers ----------------------------------------------------------------------------------

def _revisions(session) -> dict[int, int]:
    session.expire_all()
    return dict(session.execute(text('SELECT id, page_revision FROM "user"')).all())


@pytest.fixture
def people(make_user, make_org, team, session):
    a = make_user(team=team)
    b = make_user(team=team)
    stranger = make_user(team=make_org())
    session.commit()
    return a, b, stranger


def _raised(session, before: dict[int, int]) -> set[int]:
    after = _revisions(session)
    return {uid for uid, rev in after.items() if rev != before.get(uid)}


def test_every_dependency_has_a_trigger_on_both_databases(session):
    names = {name for name, _table in revisions.triggers()}
    if session.get_bind().dialect.name == "sqlite":
        found = set(session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
    else:
        found = set(session.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")))
    assert names <= found, names - found


WRITES = {
    "touch insert": ("INSERT INTO touch (organization_id, user_id, customer_id, kind, direction, occurred_at, "
                     "local_day, backfilled, rescue, created_at) SELECT organization_id, :a, id, 'call', 'out', "
                     ":now, :day, false, false, :now FROM customer WHERE owner_id = :a", {"a"}),
    "touch update": ("UPDATE touch SET note = 'x' WHERE user_id = :a", {"a"}),
    "touch delete": ("DELETE FROM touch WHERE user_id = :a", {"a"}),
    "customer insert": ("INSERT INTO customer (organization_id, owner_id, name, tier, cadence_days, created_at, "
                        "created_day) SELECT organization_id, :b, 'New', 'A', 7, :now, :day FROM \"user\" WHERE id = :b",
                        {"b"}),
    "customer owner change": ("UPDATE customer SET owner_id = :b WHERE owner_id = :a", {"a", "b"}),
    "customer rename": ("UPDATE customer SET name = 'Renamed' WHERE owner_id = :a", {"a"}),
    "streak_state": ("UPDATE streak_state SET current = current + 1 WHERE user_id = :a", {"a"}),
    "away_period": ("INSERT INTO away_period (user_id, first_day, last_day, reason, note, created_at) "
                    "VALUES (:b, :day, :day, 'sick', '', :now)", {"b"}),
    "points_entry": ("INSERT INTO points_entry (user_id, points, reason, local_day, created_at) "
                     "VALUES (:a, 5, 'base', :day, :now)", {"a"}),
    "team_holiday": ("INSERT INTO team_holiday (team_id, first_day, last_day, name, created_by_id, created_at) "
                     "SELECT team_id, :day, :day, 'Off', :a, :now FROM \"user\" WHERE id = :a", {"a", "b"}),
    "team": ("UPDATE team SET crisis_reason = 'Storm' WHERE id = (SELECT team_id FROM \"user\" WHERE id = :a)",
             {"a", "b"}),
    "user": ("UPDATE \"user\" SET daily_goal = 9 WHERE id = :b", {"b"}),
}


def _insert_touch(session, user: User, customer: Customer) -> None:
    session.execute(text("INSERT INTO touch (organization_id, user_id, customer_id, kind, direction, occurred_at, "
                         "local_day, backfilled, rescue, created_at) VALUES (:org, :user, :customer, 'call', 'out', "
                         ":now, :day, false, false, :now)"),
                    {"org": user.organization_id, "user": user.id, "customer": customer.id, "now": NOW,
                     "day": NOW.date()})


@pytest.mark.parametrize("write", list(WRITES))
def test_a_write_raises_the_revision_of_exactly_the_users_it_shows_on(session, people, make_customer, write):
    a, b, stranger = people
    customer = make_customer(a, "Kunde")
    session.execute(text("INSERT INTO streak_state (user_id, through_day, current, longest, freezes, run_of_active, "
                         "started, frozen_days, updated_at) VALUES (:a, NULL, 0, 0, 0, 0, false, '', :now)"),
                    {"a": a.id, "now": NOW})
    _insert_touch(session, a, customer)
    session.commit()
    before = _revisions(session)
    statement, expected = WRITES[write]
    session.execute(text(statement), {"a": a.id, "b": b.id, "now": NOW, "day": NOW.date()})
    session.commit()
    assert _raised(session, before) == {{"a": a.id, "b": b.id}[name] for name in expected}
    assert stranger.id not in _raised(session, before)


def test_renaming_a_customer_raises_everyone_who_touched_it(session, people, make_customer):
    a, b, _stranger = people
    customer = make_customer(b, "Kunde")
    _insert_touch(session, a, customer)
    session.commit()
    before = _revisions(session)
    session.execute(text("UPDATE customer SET notes = 'x' WHERE id = :c"), {"c": customer.id})
    session.commit()
    assert _raised(session, before) == {b.id}  # the owner only: the notes are not on a's page
    before = _revisions(session)
    session.execute(text("UPDATE customer SET name = 'Neu' WHERE id = :c"), {"c": customer.id})
    session.commit()
    assert _raised(session, before) == {a.id, b.id}


def test_a_bulk_write_raises_each_users_revision(session, people, make_customer):
    a, _b, _stranger = people
    for n in range(5):
        make_customer(a, f"K{n}")
    session.commit()
    before = _revisions(session)
    session.execute(text("UPDATE customer SET tier = 'C' WHERE owner_id = :a"), {"a": a.id})
    session.commit()
    raised = _revisions(session)[a.id] - before[a.id]
    # PostgreSQL raises once per statement, SQLite once per row: more than zero is what counts.
    assert raised >= 1


def test_a_rolled_back_write_raises_nothing(session, people):
    a, _b, _stranger = people
    before = _revisions(session)
    session.execute(text("UPDATE \"user\" SET daily_goal = 7 WHERE id = :a"), {"a": a.id})
    session.rollback()
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


def test_a_transaction_raises_a_revision_once_on_postgresql_even_after_a_rolled_back_savepoint(session, people):
    a, _b, _stranger = people
    before = _revisions(session)[a.id]
    nested = session.begin_nested()
    session.execute(text("UPDATE \"user\" SET daily_goal = 4 WHERE id = :a"), {"a": a.id})
    nested.rollback()  # the raise inside it is undone with it
    for goal in (5, 6, 7):
        session.execute(text("UPDATE \"user\" SET daily_goal = :g WHERE id = :a"), {"a": a.id, "g": goal})
    session.execute(text("UPDATE streak_state SET current = 1 WHERE user_id = :a"), {"a": a.id})
    session.commit()
    raised = _revisions(session)[a.id] - before
    if session.get_bind().dialect.name == "postgresql":
        assert raised == 1
    else:
        assert raised >= 1
