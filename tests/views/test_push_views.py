"""The reminders page, the service worker script, open reports and ``flask nudges run``."""

from __future__ import annotations

from sqlalchemy import func, select

from app.operations import push as push_ops
from app.push import outbox, sender, vapid
from app.models import Notification, NotificationStatus, PushSubscription, User
from app.views.push import device_label
from support import NOW
from operations.test_push import add, subscribe

HX = {"HX-Request": "true"}


def test_reminders_page_lists_devices_and_switches(client, session, make_user, login, push_service):
    rep = make_user()
    subscribe(session, rep, push_service, "/phone")
    login(rep)
    response = client.get("/settings/reminders/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'data-vapid-key="{vapid.public_key()}"' in html
    assert 'data-subscribe-url="/api/v1/push/subscriptions"' in html
    assert "Chrome on Android" in html and "Send a test push" in html
    for kind in push_ops.SWITCHABLE_KINDS:
        assert f'value="{kind}" checked' in html
    assert 'value="test"' not in html


def test_switches_save_the_muted_kinds(client, session, make_user, login):
    rep = make_user()
    login(rep)
    wanted = [k for k in push_ops.SWITCHABLE_KINDS if k not in ("weekly_summary", "coach_alert")]
    response = client.post("/settings/reminders/kinds", data={"kinds": wanted}, headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Reminder choices saved." in html and "<html" not in html
    assert 'value="coach_alert" aria' not in html
    session.expire_all()
    assert push_ops.muted_kinds(session.get(User, rep.id)) == {"weekly_summary", "coach_alert"}
    full = client.post("/settings/reminders/kinds", data={"kinds": []})
    assert full.status_code == 303
    session.expire_all()
    assert push_ops.muted_kinds(session.get(User, rep.id)) == set(push_ops.SWITCHABLE_KINDS)
    bad = client.post("/settings/reminders/kinds", data={"kinds": ["nonsense"]}, headers=HX)
    assert bad.status_code == 422


def test_remove_own_device_only(client, session, make_user, login, push_service):
    rep, other = make_user(), make_user()
    subscribe(session, rep, push_service, "/mine")
    subscribe(session, other, push_service, "/theirs")
    mine = session.scalar(select(PushSubscription).where(PushSubscription.user_id == rep.id))
    theirs = session.scalar(select(PushSubscription).where(PushSubscription.user_id == other.id))
    login(rep)
    assert client.post(f"/settings/reminders/devices/{theirs.id}/remove").status_code == 404
    response = client.post(f"/settings/reminders/devices/{mine.id}/remove", headers=HX)
    assert response.status_code == 200 and "Device removed" in response.get_data(as_text=True)
    assert session.scalars(select(PushSubscription.user_id)).all() == [other.id]


def test_send_a_test_push_goes_out_right_away(client, session, make_user, login, push_service, frozen_clock):
    rep = make_user()
    subscribe(session, rep, push_service, "/phone")
    login(rep)
    response = client.post("/settings/reminders/test", headers=HX)
    assert response.status_code == 200
    assert "Test push sent" in response.get_data(as_text=True)
    [received] = push_service.for_path("/phone")
    assert received.payload["kind"] == "test" and received.payload["url"] == "/"
    assert session.scalar(select(Notification.status)) == NotificationStatus.sent
    plain = client.post("/settings/reminders/test")
    assert plain.status_code == 303 and len(push_service.for_path("/phone")) == 2


def test_a_test_push_without_devices_says_so(client, session, make_user, login):
    rep = make_user()
    login(rep)
    response = client.post("/settings/reminders/test", headers=HX)
    assert "No device to send to" in response.get_data(as_text=True)


def test_the_page_needs_a_login(client):
    assert client.get("/settings/reminders/").status_code == 302


def test_the_page_speaks_german(client, session, make_user, login):
    rep = make_user(locale="de")
    login(rep)
    html = client.get("/settings/reminders/").get_data(as_text=True)
    assert "Erinnerungen" in html


def test_service_worker_is_served_from_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response.headers["Cache-Control"]
    body = response.get_data(as_text=True)
    assert 'addEventListener("push"' in body and 'addEventListener("notificationclick"' in body


def test_an_open_report_needs_the_signature(client, session, make_user):
    rep = make_user(push_ignored_in_a_row=3)
    add(session, rep)
    notification = session.scalar(select(Notification))
    assert client.post("/push/opened", json={"id": notification.id, "sig": "forged"}).status_code == 404
    assert client.post("/push/opened", json={"id": notification.id + 1, "sig": sender.open_signature(notification.id)}).status_code == 404
    assert client.post("/push/opened", data="nope").status_code == 400
    session.expire_all()
    assert session.get(User, rep.id).push_ignored_in_a_row == 3
    response = client.post("/push/opened", json={"id": notification.id, "sig": sender.open_signature(notification.id)})
    assert response.status_code == 204
    session.expire_all()
    assert session.get(User, rep.id).push_ignored_in_a_row == 0
    assert session.get(Notification, notification.id).opened_at is not None


def test_nudges_run_sends_the_outbox(runner, session, make_user, push_service):
    rep = make_user()
    subscribe(session, rep, push_service, "/phone")
    add(session, rep, "now", now=NOW)
    dry = runner.invoke(args=["nudges", "run", "--at", "2026-11-27T11:00:00+01:00", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "1 notifications pending" in dry.output and push_service.received == []
    result = runner.invoke(args=["nudges", "run", "--at", "2026-11-27T11:00:00+01:00"])
    assert result.exit_code == 0, result.output
    assert "1 sent" in result.output and len(push_service.received) == 1
    assert session.scalar(select(func.count()).select_from(Notification).where(Notification.status == "sent")) == 1
    naive = runner.invoke(args=["nudges", "run", "--at", "2026-11-27T11:00:00"])
    assert naive.exit_code != 0 and "offset" in naive.output


def test_push_send_sends_the_due_outbox_without_a_scan(runner, session, make_user, push_service):
    rep = make_user()
    subscribe(session, rep, push_service, "/phone")
    add(session, rep, "due", now=NOW)
    result = runner.invoke(args=["push", "send"])
    assert result.exit_code == 0, result.output
    assert "1 sent" in result.output and len(push_service.received) == 1
    again = runner.invoke(args=["push", "send"])
    assert "0 sent" in again.output and len(push_service.received) == 1


def test_device_labels():
    assert device_label("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Version/17.4 Mobile/15E148 Safari/604.1") == "Safari on iPhone"
    assert device_label("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36 Edg/130.0") == "Edge on Windows"
    assert device_label("Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0") == "Firefox on Linux"
    assert device_label(None) == "Unknown device"


def test_the_switchable_kinds_are_the_engines_kinds_but_test():
    from app.nudges.model import NudgeKind

    assert set(push_ops.SWITCHABLE_KINDS) == {k.value for k in NudgeKind} - {outbox.TEST_KIND}
