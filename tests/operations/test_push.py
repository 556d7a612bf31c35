"""The outbox against a fake push service that checks VAPID and really decrypts every message."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.push import outbox, sender
from app.extensions import db
from app.models import Notification, NotificationStatus, PushSubscription, User
from app.operations import push as push_ops
from support import NOW

MINUTE = timedelta(minutes=1)


def subscribe(session, user, service, path: str | None = None, user_agent: str = "Mozilla/5.0 (Linux; Android 14) Chrome/130.0 Mobile Safari/537.36"):
    """Register a fake browser's subscription for *user*; return the subscriber."""
    subscriber = service.subscriber(path)
    data = subscriber.json()
    push_ops.save_subscription(
        session, user, endpoint=data["endpoint"], keys=data["keys"], user_agent=user_agent, now=NOW,
        hosts=["127.0.0.1"], allow_http=True,
    )
    session.commit()
    return subscriber


def add(session, user, key: str = "k1", *, kind: str = "quiet_digest", now=NOW, topic: str | None = "quiet-digest",
        urgency: str = "normal", ttl: int = 4 * 3600, title: str = "Müller AG: 16 days without news",
        body: str = "Call them about the new catalogue?", url: str = "/customers/7") -> bool:
    """Enqueue one notification and commit."""
    push = outbox.Push(user.id, kind, key, title, body, url, topic=topic, urgency=urgency, ttl=ttl)
    added = outbox.enqueue_many(session, [push], now=now) == {key}
    session.commit()
    return added


def the(session, key: str = "k1") -> Notification:
    """Return the notification with *key*, fresh from the database."""
    session.expire_all()
    return session.scalar(select(Notification).where(Notification.dedup_key == key))


def test_sent_push_decrypts_to_the_payload_with_ttl_urgency_and_topic(session, make_user, push_service):
    rep = make_user()
    subscriber = subscribe(session, rep, push_service, "/phone")
    assert add(session, rep, urgency="high", ttl=7200)

    report = outbox.process_outbox(session, now=NOW)

    assert (report.sent, report.failed, report.retried) == (1, 0, 0)
    [received] = push_service.for_path("/phone")
    notification = the(session)
    payload = json.loads(received.plaintext)
    assert payload == {
        "id": notification.id,
        "title": "Müller AG: 16 days without news",
        "body": "Call them about the new catalogue?",
        "url": "/customers/7",
        "topic": "quiet-digest",
        "kind": "quiet_digest",
        "sig": sender.open_signature(notification.id),
    }
    assert received.headers["ttl"] == "7200"
    assert received.headers["urgency"] == "high"
    assert received.headers["topic"] == "quiet-digest"
    assert received.vapid_valid
    assert received.claims["aud"] == push_service.base_url
    assert received.claims["sub"].startswith("mailto:") and "localhost" not in received.claims["sub"]
    assert notification.status == NotificationStatus.sent and notification.sent_at == NOW
    assert notification.attempts == 1 and notification.claim_token is None
    sub = session.scalar(select(PushSubscription))
    assert sub.last_success_at == NOW and sub.endpoint == subscriber.endpoint
    assert session.get(User, rep.id).push_ignored_in_a_row == 1


def test_one_notification_goes_to_every_device_of_the_user_only(session, make_user, push_service):
    rep, other = make_user(), make_user()
    subscribe(session, rep, push_service, "/phone")
    subscribe(session, rep, push_service, "/laptop")
    subscribe(session, other, push_service, "/someone-else")
    add(session, rep)

    outbox.process_outbox(session, now=NOW)

    assert len(push_service.for_path("/phone")) == 1 and len(push_service.for_path("/laptop")) == 1
    assert push_service.for_path("/someone-else") == []
    assert push_service.for_path("/phone")[0].payload == push_service.for_path("/laptop")[0].payload


def test_the_dedup_key_prevents_a_second_enqueue(session, make_user):
    rep = make_user()
    assert add(session, rep, "streak:1:2026-11-27") is True
    assert add(session, rep, "streak:1:2026-11-27", title="another text") is False
    assert session.scalar(select(func.count()).select_from(Notification)) == 1
    assert the(session, "streak:1:2026-11-27").payload["title"] == "Müller AG: 16 days without news"


def test_enqueue_refuses_bad_headers(session, make_user):
    rep = make_user()
    with pytest.raises(ValueError):
        add(session, rep, urgency="urgent")
    with pytest.raises(ValueError):
        add(session, rep, topic="has spaces")
    with pytest.raises(ValueError):
        add(session, rep, topic="x" * 33)
    with pytest.raises(ValueError):
        add(session, rep, ttl=0)


def test_a_long_body_is_shortened_to_fit_one_push(session, make_user, push_service):
    rep = make_user()
    subscribe(session, rep, push_service, "/phone")
    add(session, rep, body="Lots to say. " * 1000)
    outbox.process_outbox(session, now=NOW)
    [received] = push_service.for_path("/phone")
    assert len(received.plaintext.encode()) <= outbox.MAX_PAYLOAD
    assert received.payload["body"].startswith("Lots to say.") and received.payload["body"].endswith("…")


def test_nothing_is_sent_twice(session, make_user, push_service):
    rep = make_user()
    subscribe(session, rep, push_service, "/phone")
    add(session, rep, "a")
    add(session, rep, "b")
    first = outbox.process_outbox(session, now=NOW)
    second = outbox.process_outbox(session, now=NOW + MINUTE)
    assert (first.sent, second.claimed) == (2, 0)
    assert sorted(push_service.count_by_id().values()) == [1, 1]


def test_410_deletes_the_subscription_and_fails_when_no_device_is_left(session, make_user, push_service):
    rep = make_user()
    subscribe(session, rep, push_service, "/gone")
    push_service.answer("/gone", 410)
    add(session, rep)

    report = outbox.process_outbox(session, now=NOW)

    assert report.removed_subscriptions == 1 and report.failed == 1
    assert session.scalar(select(func.count()).select_from(PushSubscription)) == 0
    notification = the(session)
    assert notification.status == NotificationStatus.failed and "410" in notification.last_error
    assert session.get(User, rep.id).push_ignored_in_a_row == 0


def test_404_on_one_device_still_sends_to_the_other(session, make_user, push_service):
    rep = make_user()
    subscribe(session, rep, push_service, "/old-phone")
    subscribe(session, rep, push_service, "/new-phone")
    push_service.answer("/old-phone", 404)
    add(session, rep)

    report = outbox.process_outbox(session, now=NOW)

    assert (report.sent, report.removed_subscriptions) == (1, 1)
    assert the(session).status == NotificationStatus.sent
    endpoints = session.scalars(select(PushSubscription.endpoint)).all()
    assert endpoints == [push_service.base_url + "/new-phone"]


def test_429_is_retried_after_retry_after(session, make_user, push_service):
    rep = make_user()
    subscribe(session, rep, push_service, "/busy")
    push_service.answer("/busy", (429, {"Retry-After": "300"}))
    add(session, rep)

    first = outbox.process_outbox(session, now=NOW)
    assert first.retried == 1
    notification = the(session)
    assert notification.status == NotificationStatus.pending
    assert notification.next_attempt_at == NOW + timedelta(seconds=300)
    assert notification.attempts == 1 and "429" in notification.last_error

    assert outbox.process_outbox(session, now=NOW + timedelta(seconds=299)).claimed == 0
    assert len(push_service.for_path("/busy")) == 1

    last = outbox.process_outbox(session, now=NOW + timedelta(seconds=300))
    assert last.sent == 1
    assert [r.status for r in push_service.for_path("/busy")] == [429, 201]
    assert the(session).status == NotificationStatus.sent and the(session).attempts == 2


def test_retry_after_as_an_http_date(session, make_user, push_service):
    rep = make_user()
    subscribe(session, rep, push_service, "/busy")
    push_service.answer("/busy", (429, {"Retry-After": "Fri, 27 Nov 2026 10:10:00 GMT"}))
    add(session, rep)
    outbox.process_outbox(session, now=NOW)
    assert the(session).next_attempt_at == NOW + timedelta(minutes=10)


def test_500_backs_off_exponentially_and_fails_after_24_hours(session, make_user, push_service):
    rep = make_user()
    subscribe(session, rep, push_service, "/down")
    push_service.answer("/down", *([500] * 100))
    add(session, rep)

    now, waits = NOW, []
    while True:
        report = outbox.process_outbox(session, now=now)
        assert report.claimed == 1
        notification = the(session)
        if notification.status == NotificationStatus.failed:
            break
        assert notification.status == NotificationStatus.pending
        waits.append(notification.next_attempt_at - now)
        # A run just before the next attempt sends nothing.
        assert outbox.process_outbox(session, now=notification.next_attempt_at - timedelta(seconds=1)).claimed == 0
        now = notification.next_attempt_at

    assert waits[:8] == [MINUTE * m for m in (1, 2, 4, 8, 16, 32, 60, 60)]
    assert now == NOW + timedelta(hours=24)
    assert notification.last_error.startswith("gave up after 24 hours") and "500" in notification.last_error
    assert len(push_service.for_path("/down")) == notification.attempts == len(waits) + 1
    assert session.scalar(select(func.count()).select_from(PushSubscription)) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 413])
def test_client_errors_fail_and_keep_the_subscription(session, make_user, push_service, status, caplog):
    rep = make_user()
    subscribe(session, rep, push_service, "/strict")
    push_service.answer("/strict", status)
    add(session, rep)

    report = outbox.process_outbox(session, now=NOW)

    assert report.failed == 1 and report.retried == 0
    notification = the(session)
    assert notification.status == NotificationStatus.failed and str(status) in notification.last_error
    sub = session.scalar(select(PushSubscription))
    assert sub.last_failure_at == NOW and str(status) in sub.last_error
    assert str(status) in caplog.text
    assert outbox.process_outbox(session, now=NOW + timedelta(hours=1)).claimed == 0


def test_a_timeout_is_retried(app, session, make_user, push_service):
    rep = make_user()
    subscribe(session, rep, push_service, "/slow")
    push_service.delay("/slow", 1.0)
    app.config["PUSH_TIMEOUT"] = 0.2
    add(session, rep)

    report = outbox.process_outbox(session, now=NOW)

    assert report.retried == 1
    notification = the(session)
    assert notification.last_error == "timeout" and notification.next_attempt_at == NOW + MINUTE


def test_a_connection_error_is_retried(session, make_user, push_service):
    rep = make_user()
    subscribe(session, rep, push_service, "/phone")
    push_service.close()  # nobody listens any more
    add(session, rep)
    report = outbox.process_outbox(session, now=NOW)
    assert report.retried == 1 and "connection error" in the(session).last_error


def test_without_a_device_the_notification_fails(session, make_user, push_service):
    rep = make_user()
    add(session, rep)
    report = outbox.process_outbox(session, now=NOW)
    assert report.failed == 1 and the(session).last_error == "no device to send to"


def test_a_subscription_no_longer_on_the_allow_list_is_not_called(app, session, make_user, push_service):
    rep = make_user()
    subscribe(session, rep, push_service, "/phone")
    app.config["PUSH_ENDPOINT_HOSTS"] = ["fcm.googleapis.com"]
    add(session, rep)
    report = outbox.process_outbox(session, now=NOW)
    assert report.failed == 1 and push_service.received == []


def test_a_crashed_workers_claim_is_taken_again_after_the_lease(session, make_user, push_service):
    rep = make_user()
    subscribe(session, rep, push_service, "/phone")
    add(session, rep)
    claimed = outbox.claim(session, now=NOW, limit=10)  # ... and the worker dies before sending
    assert len(claimed) == 1 and the(session).status == NotificationStatus.sending

    assert outbox.process_outbox(session, now=NOW + MINUTE).claimed == 0
    report = outbox.process_outbox(session, now=NOW + timedelta(minutes=5))
    assert report.sent == 1
    assert list(push_service.count_by_id().values()) == [1]


def test_a_late_result_of_a_stolen_claim_is_ignored(session, make_user, push_service):
    rep = make_user()
    subscribe(session, rep, push_service, "/phone")
    add(session, rep)
    stale = outbox.claim(session, now=NOW, limit=10)
    fresh = outbox.claim(session, now=NOW + timedelta(minutes=6), limit=10)
    assert [c.id for c in fresh] == [c.id for c in stale] and fresh[0].token != stale[0].token
    push_service.answer("/phone", 500)
    outbox.deliver(session, stale, now=NOW + timedelta(minutes=6))  # the slow worker's 500 ...
    assert the(session).status == NotificationStatus.sending  # ... changes nothing
    outbox.deliver(session, fresh, now=NOW + timedelta(minutes=6))
    assert the(session).status == NotificationStatus.sent


def test_test_pushes_do_not_count_as_ignored(session, make_user, push_service):
    rep = make_user()
    subscribe(session, rep, push_service, "/phone")
    report = outbox.send_test(session, rep, now=NOW, title="Touchbase test", body="It works.", url="/")
    assert report.sent == 1
    [received] = push_service.for_path("/phone")
    assert received.payload["kind"] == "test" and received.headers["urgency"] == "high"
    assert session.get(User, rep.id).push_ignored_in_a_row == 0


def test_send_test_sends_only_the_test(session, make_user, push_service):
    rep = make_user()
    subscribe(session, rep, push_service, "/phone")
    add(session, rep, "waiting")
    outbox.send_test(session, rep, now=NOW, title="Touchbase test", body="It works.", url="/")
    assert [r.payload["kind"] for r in push_service.received] == ["test"]
    assert the(session, "waiting").status == NotificationStatus.pending


def test_an_open_resets_the_ignored_count(session, make_user, push_service):
    rep = make_user()
    subscribe(session, rep, push_service, "/phone")
    for key in ("a", "b", "c"):
        add(session, rep, key)
    outbox.process_outbox(session, now=NOW)
    assert session.get(User, rep.id).push_ignored_in_a_row == 3
    assert push_ops.record_open(session, notification_id=the(session, "b").id, now=NOW + MINUTE)
    session.commit()
    user = session.get(User, rep.id)
    assert user.push_ignored_in_a_row == 0 and user.push_last_opened_at == NOW + MINUTE
    assert the(session, "b").opened_at == NOW + MINUTE
    assert not push_ops.record_open(session, notification_id=999_999, now=NOW)


def test_run_plugs_in_a_scan_and_sends_what_it_enqueued(session, make_user, push_service):
    rep = make_user()
    subscribe(session, rep, push_service, "/phone")
    seen = []

    def scan(session, *, at, dry_run):
        seen.append((at, dry_run))
        push = outbox.Push(rep.id, "streak_at_risk", f"streak:{rep.id}:{at.date()}", "Streak at risk",
                           "One touch keeps it.", "/", topic="streak", urgency="normal", ttl=3600)
        return len(outbox.enqueue_many(session, [push], now=at))

    dry = outbox.run(session, at=NOW, dry_run=True, scan=scan)
    assert dry.dry_run and dry.enqueued == 1 and dry.pending == 0
    assert session.scalar(select(func.count()).select_from(Notification)) == 0  # a dry run keeps nothing

    report = outbox.run(session, at=NOW, scan=scan)
    assert (report.enqueued, report.sent) == (1, 1)
    assert seen == [(NOW, True), (NOW, False)]
    assert outbox.run(session, at=NOW, scan=scan).enqueued == 0  # the key holds


def test_enqueue_many_stores_the_headers_and_the_local_day(session, make_user):
    from datetime import date

    rep = make_user()
    push = outbox.Push(rep.id, "pipeline_quiet", "pq:1", "Pipeline quiet", "Two days without a touch.", "/",
                       topic="pipeline", urgency="low", ttl=3600, local_day=date(2026, 11, 27))
    assert outbox.enqueue_many(session, [push], now=NOW) == {"pq:1"}
    assert outbox.enqueue_many(session, [push], now=NOW) == set()
    row = the(session, "pq:1")
    assert (row.kind, row.topic, row.urgency, row.ttl, row.local_day) == ("pipeline_quiet", "pipeline", "low", 3600,
                                                                         date(2026, 11, 27))


def test_two_concurrent_runs_send_each_notification_once(app, session, make_user, push_service):
    """Two workers with their own sessions race over 200 notifications: each goes out exactly once."""
    reps = [make_user() for _ in range(20)]
    for rep in reps:
        subscribe(session, rep, push_service)
    for n in range(200):
        add(session, reps[n % len(reps)], f"race:{n}")
    app.config["PUSH_BATCH_SIZE"] = 7  # many small rounds, so the workers interleave
    reports, errors = [], []
    start = threading.Barrier(2)

    def worker():
        try:
            with app.app_context():
                start.wait()
                reports.append(outbox.process_outbox(db.session, now=NOW))
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    app.config["PUSH_BATCH_SIZE"] = 500

    assert errors == []
    counts = push_service.count_by_id()
    assert len(counts) == 200 and set(counts.values()) == {1}
    assert sum(r.sent for r in reports) == 200
    assert all(r.sent > 0 for r in reports), [r.sent for r in reports]  # both really worked
    session.expire_all()
    statuses = session.scalars(select(Notification.status).distinct()).all()
    assert statuses == [NotificationStatus.sent]


def test_a_large_outbox_is_sent_in_batches_each_notification_once(app, session, make_user, push_service):
    """Batch after batch is claimed until none is left: all 60 go out once, and all are recorded."""
    reps = [make_user() for _ in range(12)]
    for n, rep in enumerate(reps):
        subscribe(session, rep, push_service, f"/device-{n}")
        push_service.delay(f"/device-{n}", 0.02)
    for n in range(60):
        add(session, reps[n % len(reps)], f"many:{n}")
    app.config["PUSH_BATCH_SIZE"] = 5

    report = outbox.process_outbox(session, now=NOW)
    app.config["PUSH_BATCH_SIZE"] = 500

    counts = push_service.count_by_id()
    assert len(counts) == 60 and set(counts.values()) == {1}
    assert (report.claimed, report.sent, report.failed, report.retried) == (60, 60, 0, 0)
    session.expire_all()
    assert set(session.scalars(select(Notification.status).distinct())) == {NotificationStatus.sent}
    assert sum(session.scalars(select(User.push_ignored_in_a_row).where(User.id.in_([r.id for r in reps])))) == 60


def test_a_redirect_is_not_followed_and_fails(session, make_user, push_service):
    rep = make_user()
    subscribe(session, rep, push_service, "/moved")
    push_service.answer("/moved", (307, {"Location": push_service.base_url + "/internal"}))
    add(session, rep)

    report = outbox.process_outbox(session, now=NOW)

    assert (report.sent, report.failed, report.retried) == (0, 1, 0)
    assert push_service.for_path("/internal") == []
    assert "307 redirect not followed" in the(session).last_error
    assert session.scalar(select(func.count()).select_from(PushSubscription)) == 1


def test_sending_works_from_inside_a_running_event_loop(app, session, make_user, push_service):
    """The sender's loop has a thread of its own: a caller inside an event loop can still send."""
    rep = make_user()
    subscribe(session, rep, push_service, "/phone")
    add(session, rep)
    reports = []

    def caller_thread():  # a thread of its own: this test must not depend on the main thread's loop
        async def caller():
            with app.app_context():
                reports.append(outbox.process_outbox(db.session, now=NOW))
                db.session.remove()

        asyncio.run(caller())

    thread = threading.Thread(target=caller_thread)
    thread.start()
    thread.join(timeout=60)

    assert [r.sent for r in reports] == [1] and len(push_service.for_path("/phone")) == 1
