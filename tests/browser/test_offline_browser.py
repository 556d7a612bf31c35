"""Offline in Chromium: the service worker's offline page, and touches logged without a connection.

These tests run their own server (the same app and database as ``live_server``) behind a small
WSGI wrapper that counts the POSTs to ``/api/v1/touches`` — from the page and from the service
worker alike — and can cut the connection right after the app answered one, as a dropped
mobile connection does.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app import clock
from app.models import Customer, Touch

from .conftest import PHONE

from .helpers import playwright_expect, sign_in

pytestmark = pytest.mark.browser

API = "/api/v1/touches"


class Wire:
    """WSGI wrapper: counts touch POSTs and drops the connection after the next *drop* answers."""

    def __init__(self, app) -> None:
        self.app = app
        self.posts: list[int] = []
        self.drop = 0
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] != "POST" or environ.get("PATH_INFO") != API:
            return self.app(environ, start_response)
        status_holder: list[str] = []

        def remember(status, headers, exc_info=None):
            status_holder.append(status)
            return start_response(status, headers, exc_info)

        with self.lock:
            drop = self.drop > 0
            if drop:
                self.drop -= 1
        if not drop:
            body = b"".join(self.app(environ, remember))
            self.posts.append(int(status_holder[0].split()[0]))
            return [body]
        # The app stores the touch, but the answer never reaches the browser.
        body = b"".join(self.app(environ, lambda status, headers, exc_info=None: status_holder.append(status)))
        self.posts.append(int(status_holder[0].split()[0]))
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        raise ConnectionAbortedError("dropped on purpose by the test")


@pytest.fixture(scope="module")
def wired(live_app):
    """A server for ``live_app`` behind a ``Wire``; yields ``(base_url, wire)``."""
    wire = Wire(live_app)
    server = make_server("127.0.0.1", 0, wire, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="wired-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", wire
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def net(browser, app, wired):
    """A phone-sized page on the wired server; network errors are expected, script errors are not."""
    base_url, wire = wired
    wire.posts.clear()
    wire.drop = 0
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2,
        locale="en-US", timezone_id="Europe/Berlin", base_url=base_url,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []

    def on_console(msg) -> None:
        text = msg.text
        expected = ("net::ERR_" in text or "status of 422" in text or "status of 404" in text
                    or "Failed to fetch" in text or "status of 503" in text
                    or text.startswith(("htmx:sendError", "htmx:afterRequest")))
        if msg.type == "error" and not expected:
            errors.append(text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page, wire, base_url
    context.close()
    assert errors == [], f"the browser reported errors: {errors}"


def _sign_in(page, session, user) -> None:
    session.commit()
    sign_in(page, user.email)


SHELL_READY = """async () => {
  const registration = await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller) { return false; }
  const names = await caches.keys();
  const shell = names.filter(n => n.startsWith('touchbase-shell-'));
  if (shell.length !== 1) { return false; }
  const cache = await caches.open(shell[0]);
  return !!(await cache.match('/offline', {ignoreVary: true}));
}"""


def _until(page, check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        page.wait_for_timeout(100)


def _ready(page) -> None:
    """Wait until the service worker controls the page and holds the app shell."""
    if not _until(page, lambda: page.evaluate(SHELL_READY), timeout=15):
        page.reload()  # the first load is not controlled yet; clients.claim() makes the next one
        assert _until(page, lambda: page.evaluate(SHELL_READY), timeout=15), "no service worker shell"


def _count(session, user) -> int:
    session.commit()  # end the read snapshot: SQLite runs real transactions (app/database.py)
    return session.scalar(select(func.count()).select_from(Touch).where(Touch.user_id == user.id))


def _rep_with_customer(session, make_user, make_customer, name: str = "Müller AG"):
    rep = make_user()
    customer = make_customer(rep, name, tier="A", now=clock.now() - timedelta(days=20))
    session.commit()
    return rep, customer


def _log_offline(page, kind: str = "coffee") -> None:
    row = page.get_by_test_id("whom-row").first
    row.get_by_test_id("log-touch").click()
    row.locator(f'button[data-kind="{kind}"]').click()


def test_the_offline_page_stands_in_for_a_page_that_cannot_load(net, session, make_user, make_customer):
    expect = playwright_expect()
    page, _wire, _base = net
    rep, _customer = _rep_with_customer(session, make_user, make_customer)
    _sign_in(page, session, rep)
    _ready(page)

    page.context.set_offline(True)
    page.goto("/customers/")
    expect(page.get_by_test_id("offline")).to_be_visible()
    expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
    # Pages themselves are never cached: Today, just seen, is the offline page too.
    page.goto("/")
    expect(page.get_by_test_id("offline")).to_be_visible()
    # The static shell still comes from the cache (the offline page is styled).
    assert page.evaluate("getComputedStyle(document.querySelector('.card')).borderRadius") == "18px"

    page.context.set_offline(False)
    page.get_by_role("link", name="Try again").click()
    expect(page.get_by_test_id("whom-row").first).to_contain_text("Müller AG")


def test_a_touch_logged_offline_arrives_exactly_once(net, session, make_user, make_customer):
    expect = playwright_expect()
    page, wire, _base = net
    rep, customer = _rep_with_customer(session, make_user, make_customer)
    _sign_in(page, session, rep)
    _ready(page)

    page.context.set_offline(True)
    _log_offline(page, "coffee")
    outbox = page.locator("#outbox")
    expect(outbox).to_be_visible()
    expect(page.get_by_test_id("outbox-item")).to_have_count(1)
    expect(page.get_by_test_id("outbox-item")).to_contain_text("Coffee")
    expect(page.get_by_test_id("outbox-item")).to_contain_text("Müller AG")
    expect(page.get_by_test_id("outbox-item")).to_contain_text("Waiting for a connection")
    # the kind's icon from the sprite, as on the button
    assert page.get_by_test_id("outbox-item").locator("svg.icon use").get_attribute("href").endswith("#coffee")
    assert _count(session, rep) == 0
    stored = page.evaluate("TouchbaseOutbox.all()")
    assert len(stored) == 1 and stored[0]["body"]["occurred_at"][-6:] in ("+01:00", "+02:00")

    page.context.set_offline(False)
    expect(outbox).to_be_hidden(timeout=15_000)
    assert _count(session, rep) == 1
    # The page and the service worker (Background Sync) both try; a second send would show here.
    page.wait_for_timeout(1500)
    assert _count(session, rep) == 1
    # Exactly one POST: the Web Lock let one sender go first, the other found the outbox empty.
    assert wire.posts == [201], wire.posts
    touch = session.scalar(select(Touch).where(Touch.user_id == rep.id))
    assert (touch.customer_id, touch.kind.value) == (customer.id, "coffee")
    assert touch.client_id and touch.client_id == stored[0]["client_id"]
    # Today counted it (the page refreshed its blocks).
    expect(page.get_by_test_id("goal-count")).to_have_text("1 of 3")


def test_a_touch_for_a_picked_day_logged_offline_arrives_for_that_day(net, session, make_user, make_customer):
    expect = playwright_expect()
    page, wire, _base = net
    rep, customer = _rep_with_customer(session, make_user, make_customer)
    today = rep.today(clock.now())
    _sign_in(page, session, rep)
    _ready(page)

    page.context.set_offline(True)
    row = page.get_by_test_id("whom-row").first
    row.get_by_test_id("log-touch").click()
    row.locator("details.extras > summary").click()
    row.locator('input[name="day"]').fill((today - timedelta(days=5)).isoformat())
    row.locator('button[data-kind="letter"]').click()
    expect(page.get_by_test_id("outbox-item")).to_have_count(1)
    assert row.locator('input[name="day"]').input_value() == ""  # the next touch starts from today again

    page.context.set_offline(False)
    expect(page.locator("#outbox")).to_be_hidden(timeout=15_000)
    assert _count(session, rep) == 1 and wire.posts == [201]
    touch = session.scalar(select(Touch).where(Touch.user_id == rep.id))
    assert (touch.customer_id, touch.local_day, touch.backfilled) == (customer.id, today - timedelta(days=5), True)


def test_an_interrupted_replay_is_retried_and_still_arrives_once(net, session, make_user, make_customer):
    expect = playwright_expect()
    page, wire, _base = net
    rep, _customer = _rep_with_customer(session, make_user, make_customer)
    _sign_in(page, session, rep)
    _ready(page)

    page.context.set_offline(True)
    _log_offline(page, "letter")
    expect(page.get_by_test_id("outbox-item")).to_have_count(1)

    # The first replay reaches the server, which stores the touch, but the answer is lost.
    wire.drop = 1
    page.context.set_offline(False)
    assert _until(page, lambda: len(wire.posts) >= 1, timeout=15), "no replay was sent"
    assert _count(session, rep) == 1
    # The retry: the next page load sends it again; the server knows its client_id.
    _until(page, lambda: page.evaluate("TouchbaseOutbox.all().then(a => a.length)") == 0, timeout=3)
    page.reload()
    expect(page.locator("#outbox")).to_be_hidden(timeout=15_000)
    assert page.evaluate("TouchbaseOutbox.all().then(a => a.length)") == 0
    assert len(wire.posts) >= 2, wire.posts
    assert 200 in wire.posts[1:], wire.posts  # the repeat answered "already stored"
    page.wait_for_timeout(1000)
    assert _count(session, rep) == 1


def test_a_touch_lost_in_flight_online_is_queued_with_the_same_client_id(net, session, make_user, make_customer):
    expect = playwright_expect()
    page, wire, _base = net
    rep, _customer = _rep_with_customer(session, make_user, make_customer)
    _sign_in(page, session, rep)
    _ready(page)

    # Online, but the htmx request dies: the touch goes to the outbox and is replayed at once.
    page.route("**/touches/", lambda route: route.abort("connectionreset") if route.request.method == "POST"
               else route.continue_())
    _log_offline(page, "visit")
    # The replay's answer says what the touch reached: the page celebrates the rep's first badge.
    expect(page.locator('#moments [data-testid=moment][data-code="first_touch"]')).to_be_visible(timeout=15_000)
    expect(page.get_by_test_id("outbox-toast").filter(has_text="Touches logged offline have been sent.")).to_be_visible(
        timeout=15_000)
    expect(page.locator("#outbox")).to_be_hidden()
    assert _count(session, rep) == 1
    assert wire.posts == [201]


def test_a_rejected_touch_stays_with_the_reason_until_dismissed(net, session, make_user, make_customer):
    expect = playwright_expect()
    page, _wire, _base = net
    rep, customer = _rep_with_customer(session, make_user, make_customer)
    _sign_in(page, session, rep)
    _ready(page)

    page.context.set_offline(True)
    _log_offline(page, "call")
    expect(page.get_by_test_id("outbox-item")).to_have_count(1)
    # Meanwhile the customer is archived.
    session.get(Customer, customer.id).archived_at = clock.now()
    session.commit()

    page.context.set_offline(False)
    item = page.get_by_test_id("outbox-item")
    expect(item).to_have_attribute("data-state", "rejected", timeout=15_000)
    expect(page.get_by_test_id("outbox-reason")).to_contain_text("Not saved:")
    expect(page.get_by_test_id("outbox-reason")).to_contain_text("No such customer.")
    assert _count(session, rep) == 0

    page.reload()  # kept on the device, never dropped silently
    expect(page.get_by_test_id("outbox-reason")).to_contain_text("No such customer.")
    page.get_by_role("button", name="Dismiss").click()
    expect(page.locator("#outbox")).to_be_hidden()
    assert page.evaluate("TouchbaseOutbox.all().then(a => a.length)") == 0


def test_signing_out_deletes_the_caches(net, session, make_user, make_customer):
    page, _wire, _base = net
    rep, _customer = _rep_with_customer(session, make_user, make_customer)
    _sign_in(page, session, rep)
    _ready(page)
    # Something a signed-in rep's session might have left in a cache.
    page.evaluate("""async () => {
      const name = (await caches.keys()).find(n => n.startsWith('touchbase-shell-'));
      await (await caches.open(name)).put('/customers/1', new Response('private'));
    }""")
    page.get_by_role("link", name="Customers", exact=True).click()  # a boosted visit: htmx keeps a snapshot
    page.wait_for_url(lambda url: "/customers/" in url)
    assert "Müller AG" in (page.evaluate("sessionStorage.getItem('htmx-history-cache')") or "")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(lambda url: "/login" in url)
    assert page.evaluate("sessionStorage.getItem('htmx-history-cache')") is None
    leftovers = page.evaluate("""async () => {
      const found = [];
      for (const name of await caches.keys()) {
        if (await (await caches.open(name)).match('/customers/1')) { found.push(name); }
      }
      return found;
    }""")
    assert leftovers == []


def test_background_sync_sends_the_outbox_with_no_page_open(net, session, make_user, make_customer):
    page, wire, base = net
    rep, _customer = _rep_with_customer(session, make_user, make_customer)
    _sign_in(page, session, rep)
    _ready(page)
    cdp = page.context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    ours = _until(page, lambda: [r for r in registrations if r["scopeURL"] == base + "/" and not r["isDeleted"]])
    assert ours

    page.context.set_offline(True)
    _log_offline(page, "walk")
    playwright_expect()(page.get_by_test_id("outbox-item")).to_have_count(1)
    # No page of the app is left to send it: only the service worker can.
    page.goto("about:blank")
    page.context.set_offline(False)
    cdp.send("ServiceWorker.dispatchSyncEvent", {"origin": base, "registrationId": ours[0]["registrationId"],
                                                 "tag": "touch-queue", "lastChance": False})
    assert _until(page, lambda: _count(session, rep) == 1, timeout=15)
    page.wait_for_timeout(500)
    assert _count(session, rep) == 1
    # Chromium may also fire the sync itself when the network comes back; should one replay's
    # answer not reach the worker, the next one is recognised by its client_id ("already stored").
    assert wire.posts[0] == 201 and set(wire.posts[1:]) <= {200}, wire.posts


# -- Pages read offline: the customers list and the customer pages opened recently --------------

KEPT = """async (path) => {
  for (const name of await caches.keys()) {
    if (name.startsWith('touchbase-pages-') && await (await caches.open(name)).match(path)) { return name; }
  }
  return null;
}"""

PAGE_CACHES = "caches.keys().then(names => names.filter(n => n.startsWith('touchbase-pages-')))"


def _kept(page, path: str):
    """Wait until the service worker has kept *path* for reading offline; return its cache's name."""
    return _until(page, lambda: page.evaluate(KEPT, path), timeout=10)


def test_a_customer_opened_online_is_read_offline_with_a_banner(net, session, make_user, make_customer):
    expect = playwright_expect()
    page, _wire, _base = net
    rep, customer = _rep_with_customer(session, make_user, make_customer)
    other = make_customer(rep, "Nie Geöffnet KG", now=clock.now() - timedelta(days=3))
    session.commit()
    _sign_in(page, session, rep)
    _ready(page)
    page.get_by_role("link", name="Customers", exact=True).click()  # a boosted load is kept too
    page.wait_for_url("**/customers/")
    page.get_by_role("link", name="Müller AG").click()
    page.wait_for_url(f"**/customers/{customer.id}")
    name = _kept(page, f"/customers/{customer.id}")
    assert name and _kept(page, "/customers/") == name
    cached = page.evaluate("""async ([name, path]) => (await (await caches.open(name)).match(path)).text()""",
                           [name, f"/customers/{customer.id}"])
    assert "Müller AG" in cached
    assert '"X-CSRFToken": ""' in cached and 'name="csrf_token" value=""' in cached  # no token is kept
    assert re.search(r'name="csrf_token" value="[^"]', cached) is None

    page.context.set_offline(True)
    page.reload()
    banner = page.get_by_test_id("offline-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(re.compile(r"Offline — saved at \d\d:\d\d"))
    expect(page.get_by_test_id("customer-status")).to_contain_text("Müller AG")
    page.goto("/customers/")
    expect(page.get_by_test_id("offline-banner")).to_be_visible()
    expect(page.get_by_test_id("customer-row").first).to_be_visible()
    # A customer never opened is not kept: the offline page says so.
    page.goto(f"/customers/{other.id}")
    expect(page.get_by_test_id("offline")).to_be_visible()
    page.context.set_offline(False)
    page.goto(f"/customers/{customer.id}")  # online again: the network's page, no banner
    expect(page.get_by_test_id("customer-status")).to_be_visible()
    expect(page.get_by_test_id("offline-banner")).to_be_hidden()


def test_a_touch_logged_on_a_saved_page_is_sent_once_back_online(net, session, make_user, make_customer):
    expect = playwright_expect()
    page, wire, _base = net
    rep, customer = _rep_with_customer(session, make_user, make_customer)
    _sign_in(page, session, rep)
    _ready(page)
    page.goto(f"/customers/{customer.id}")
    assert _kept(page, f"/customers/{customer.id}")

    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_test_id("offline-banner")).to_be_visible()
    page.get_by_test_id("log-touch").click()
    page.locator('button[data-kind="letter"]').click()
    expect(page.get_by_test_id("outbox-item")).to_have_count(1)
    expect(page.get_by_test_id("outbox-item")).to_contain_text("Müller AG")
    assert _count(session, rep) == 0

    page.context.set_offline(False)
    expect(page.locator("#outbox")).to_be_hidden(timeout=15_000)
    assert _count(session, rep) == 1
    page.wait_for_timeout(1500)
    assert _count(session, rep) == 1 and wire.posts == [201], wire.posts
    touch = session.scalar(select(Touch).where(Touch.user_id == rep.id))
    assert (touch.customer_id, touch.kind.value) == (customer.id, "letter")
    # Online on the saved copy, it took the session's token: its forms work again.
    token = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']")
    assert token


def _shared_phone(net, session, make_user, make_customer):
    """A rep who opened a customer (kept for reading offline) and a colleague who will use the same phone."""
    page, _wire, _base = net
    rep, customer = _rep_with_customer(session, make_user, make_customer)
    colleague = make_user(team=rep.team, name="Ben Colleague")
    session.commit()
    _sign_in(page, session, rep)
    _ready(page)
    page.goto(f"/customers/{customer.id}")
    kept = _kept(page, f"/customers/{customer.id}")
    assert kept
    return page, customer, colleague, kept


def test_signing_out_and_in_as_another_user_leaves_none_of_the_first_users_pages(net, session, make_user,
                                                                                 make_customer):
    expect = playwright_expect()
    page, customer, colleague, first = _shared_phone(net, session, make_user, make_customer)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(lambda url: "/login" in url)
    assert _until(page, lambda: page.evaluate(PAGE_CACHES) == [], timeout=5)

    _sign_in(page, session, colleague)
    page.goto("/customers/")
    second = _kept(page, "/customers/")
    assert second and second != first
    page.context.set_offline(True)
    page.goto(f"/customers/{customer.id}")
    expect(page.get_by_test_id("offline")).to_be_visible()  # not the first rep's page
    page.goto("/customers/")
    expect(page.get_by_test_id("offline-banner")).to_be_visible()
    assert "Müller AG" not in page.content()  # the colleague's own (empty) list
    assert page.evaluate(KEPT, f"/customers/{customer.id}") is None


def test_a_shared_phone_without_a_sign_out_shows_the_next_user_nothing_of_the_last(net, session, make_user,
                                                                                  make_customer):
    expect = playwright_expect()
    page, customer, colleague, _kept_cache = _shared_phone(net, session, make_user, make_customer)
    page.context.clear_cookies()  # the session ended without "Sign out" (it expired, say)

    _sign_in(page, session, colleague)  # the sign-in page belongs to nobody: every kept page goes
    assert page.evaluate(KEPT, f"/customers/{customer.id}") is None
    page.context.set_offline(True)
    page.goto(f"/customers/{customer.id}")
    expect(page.get_by_test_id("offline")).to_be_visible()


def test_only_the_customer_pages_opened_last_are_kept(net, session, make_user, make_customer, live_app):
    page, _wire, _base = net
    rep, first = _rep_with_customer(session, make_user, make_customer)
    later = [make_customer(rep, f"Kunde {n}", now=clock.now() - timedelta(days=3)) for n in range(2)]
    session.commit()
    saved = live_app.config["OFFLINE_PAGES"]
    live_app.config["OFFLINE_PAGES"] = 2  # the worker this context installs keeps two customer pages
    try:
        _sign_in(page, session, rep)
        _ready(page)
        page.goto("/customers/")
        for customer in (first, *later):
            page.goto(f"/customers/{customer.id}")
            assert _kept(page, f"/customers/{customer.id}")
        assert _until(page, lambda: page.evaluate(KEPT, f"/customers/{first.id}") is None, timeout=5)
        assert page.evaluate(KEPT, "/customers/")  # the list stays
        page.goto(f"/customers/{later[0].id}")  # opened again: now the newest, so it stays
        page.goto(f"/customers/{first.id}")
        assert _kept(page, f"/customers/{first.id}")
        assert _until(page, lambda: page.evaluate(KEPT, f"/customers/{later[1].id}") is None, timeout=5)
        assert page.evaluate(KEPT, f"/customers/{later[0].id}")
    finally:
        live_app.config["OFFLINE_PAGES"] = saved
