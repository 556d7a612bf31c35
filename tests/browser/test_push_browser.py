"""Push in Chromium: DevTools delivers a push to the real service worker; the reminders UI subscribes."""

from __future__ import annotations

import json
import os
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from app.push import vapid
from app.models import PushSubscription
from fake_push import b64url

from .helpers import playwright_expect, sign_in

pytestmark = pytest.mark.browser

NOTIFICATIONS = """async () => {
  const registration = await navigator.serviceWorker.ready;
  const shown = await registration.getNotifications();
  return shown.map(n => ({title: n.title, body: n.body, tag: n.tag, data: n.data}));
}"""


def _sign_in(page, session, user) -> None:
    session.commit()
    sign_in(page, user.email)


def _until(page, check, timeout: float = 10.0):
    """Poll *check* until truthy; waiting through Playwright lets it dispatch CDP events meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        page.wait_for_timeout(100)


def test_a_push_shows_a_notification_from_the_real_service_worker(page, session, make_user, live_server):
    rep = make_user()
    page.context.grant_permissions(["notifications"], origin=live_server)
    _sign_in(page, session, rep)
    state = page.evaluate("navigator.serviceWorker.ready.then(r => r.active.state)")
    assert state in ("activating", "activated")
    assert page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.scope)") == live_server + "/"

    cdp = page.context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    ours = _until(page, lambda: [r for r in registrations if r["scopeURL"] == live_server + "/" and not r["isDeleted"]])
    assert ours, registrations
    registration_id = ours[0]["registrationId"]

    digest = {"id": 41, "title": "Müller AG: 16 days without news", "body": "A coffee this week?",
              "url": "/customers/7", "topic": "quiet-digest", "kind": "quiet_digest", "sig": "abc"}
    cdp.send("ServiceWorker.deliverPushMessage",
             {"origin": live_server, "registrationId": registration_id, "data": json.dumps(digest)})
    shown = _until(page, lambda: page.evaluate(NOTIFICATIONS))
    assert len(shown) == 1
    [notification] = shown
    assert notification["title"] == "Müller AG: 16 days without news"
    assert notification["body"] == "A coffee this week?"
    assert notification["tag"] == "quiet-digest"
    assert notification["data"] == {"url": live_server + "/customers/7", "id": 41, "kind": "quiet_digest", "sig": "abc"}

    # A newer digest with the same topic replaces the stale one; a foreign link is never opened.
    newer = {**digest, "id": 42, "title": "3 customers going quiet", "url": "https://evil.example/phish"}
    cdp.send("ServiceWorker.deliverPushMessage",
             {"origin": live_server, "registrationId": registration_id, "data": json.dumps(newer)})
    shown = _until(page, lambda: [n for n in page.evaluate(NOTIFICATIONS) if n["title"] == "3 customers going quiet"])
    all_shown = page.evaluate(NOTIFICATIONS)
    assert [n["title"] for n in all_shown] == ["3 customers going quiet"]
    assert all_shown[0]["data"]["url"] == live_server + "/"


STUB = """
(() => {
  const keys = %(keys)s;
  window.__subscribeCalls = [];
  let current = null;
  const subscription = {
    endpoint: %(endpoint)s,
    options: {applicationServerKey: null},
    toJSON() { return {endpoint: this.endpoint, expirationTime: null, keys: keys}; },
    unsubscribe() { current = null; return Promise.resolve(true); }
  };
  if (!window.ServiceWorkerRegistration) { return; }
  Object.defineProperty(ServiceWorkerRegistration.prototype, "pushManager", {
    configurable: true,
    get() {
      return {
        getSubscription() { return Promise.resolve(current); },
        subscribe(options) {
          window.__subscribeCalls.push({
            userVisibleOnly: options.userVisibleOnly,
            key: Array.from(new Uint8Array(options.applicationServerKey))
          });
          current = subscription;
          subscription.options = options;
          return Promise.resolve(subscription);
        }
      };
    }
  });
})();
"""


def test_turning_on_reminders_subscribes_with_the_servers_key(page, session, make_user, live_server, live_app):
    expect = playwright_expect()
    rep = make_user()
    public = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    keys = {"p256dh": b64url(public), "auth": b64url(os.urandom(16))}
    endpoint = "https://fcm.googleapis.com/fcm/send/browser-test:APA91b"
    page.add_init_script(STUB % {"keys": json.dumps(keys), "endpoint": json.dumps(endpoint)})
    page.context.grant_permissions(["notifications"], origin=live_server)
    _sign_in(page, session, rep)

    page.goto("/settings/reminders/")
    expect(page.get_by_text("No device gets reminders yet.")).to_be_visible()
    page.get_by_role("button", name="Turn on reminders").click()
    expect(page.get_by_text("Reminders are on for this device.")).to_be_visible()
    # The device list refreshed itself (htmx, on the push-subscribed event).
    expect(page.get_by_test_id("devices")).to_contain_text("Chrome on Linux")
    expect(page.get_by_role("button", name="Turn off on this device")).to_be_visible()

    calls = page.evaluate("window.__subscribeCalls")
    assert len(calls) == 1 and calls[0]["userVisibleOnly"] is True
    assert bytes(calls[0]["key"]) == vapid.b64url_decode(vapid.public_key(live_app))
    session.commit()  # end the read snapshot: SQLite runs real transactions (app/database.py)
    stored = session.scalar(select(PushSubscription))
    assert (stored.user_id, stored.endpoint, stored.p256dh, stored.auth) == (rep.id, endpoint, keys["p256dh"], keys["auth"])

    page.get_by_role("button", name="Turn off on this device").click()
    expect(page.get_by_text("Reminders are off for this device.")).to_be_visible()
    expect(page.get_by_text("No device gets reminders yet.")).to_be_visible()
    session.commit()  # end the read snapshot: SQLite runs real transactions (app/database.py)
    assert session.scalar(select(PushSubscription)) is None


def test_on_an_iphone_outside_the_home_screen_it_explains_first(page, session, make_user, live_server):
    expect = playwright_expect()
    rep = make_user()
    page.add_init_script(
        "Object.defineProperty(navigator, 'userAgent', {get: () => 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)"
        " AppleWebKit/605.1.15 Version/17.4 Mobile/15E148 Safari/604.1'});"
        "window.__asked = 0; if (window.Notification) { Notification.requestPermission = () => { window.__asked++; return Promise.resolve('default'); }; }"
    )
    _sign_in(page, session, rep)
    page.goto("/settings/reminders/")
    page.get_by_role("button", name="Turn on reminders").click()
    expect(page.get_by_text("Add to Home Screen")).to_be_visible()
    assert page.evaluate("window.__asked") == 0
