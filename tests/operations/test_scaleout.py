"""Scale-out: two gunicorn instances and two ``flask nudges run`` workers on one PostgreSQL and Redis.

Every test but the first needs PostgreSQL (``TEST_DATABASE_URL``), the deployment these
instances share; Redis on 127.0.0.1:6379 (database 7) holds the rate limits of both. The
instances run with production settings, the secret key and VAPID key shared through the
environment, exactly as the README's "Production deployment" describes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from app import create_app, scheduler
from app.models import Notification, NotificationStatus
from app.operations import push as push_ops
from app.push import outbox, vapid
from app.operations import tokens
from bench.server import Gunicorn, app_environment
from support import NOW, PASSWORD, PRODUCTION_MAIL

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))
REDIS_URL = "redis://127.0.0.1:6379/7"
ON_POSTGRES = (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql")
_skip_without_postgres = pytest.mark.skipif(
    not ON_POSTGRES, reason="scale-out shares one PostgreSQL database between processes; set TEST_DATABASE_URL"
)


def needs_postgres(test):
    """Mark *test* as PostgreSQL-only: `make test` runs it in the PostgreSQL pass, never skips it."""
    return pytest.mark.postgres(_skip_without_postgres(test))
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_production_never_starts_the_dev_scheduler_or_any_thread(tmp_path):
    """A production app keeps no background worker: reminders come from ``flask nudges run`` only."""
    before = set(threading.enumerate())
    app = create_app({
        "ENV": "production", "SECRET_KEY": "s" * 32, "VAPID_PRIVATE_KEY": vapid.new_private_key_pem(),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.sqlite'}", "SCHEDULER_ENABLED": True, **PRODUCTION_MAIL,
        "RATELIMIT_SINGLE_PROCESS": True,
    })
    assert scheduler._EXTENSION not in app.extensions
    for thread in set(threading.enumerate()) - before:
        thread.join(timeout=1)  # the in-memory rate limit storage runs a one-off 10 ms expiry timer
    assert [t.name for t in set(threading.enumerate()) - before] == []
    assert not scheduler.wanted(app, {})
    app.config["ENV"] = "development"
    assert scheduler.wanted(app, {})  # the same settings outside production would start it


@pytest.fixture(scope="module")
def instances(_app, database_url):
    """Two gunicorn instances (2 workers each) on the test database, rate limits in Redis DB 7."""
    if not ON_POSTGRES:
        pytest.skip("scale-out shares one PostgreSQL database between processes; set TEST_DATABASE_URL")
    env = app_environment(
        database_url,
        TOUCHBASE_RATELIMIT_ENABLED="true",
        TOUCHBASE_RATELIMIT_STORAGE_URI=REDIS_URL,
        TOUCHBASE_LOGIN_RATE_LIMIT="10 per minute",
    )
    servers = [Gunicorn("wsgi:app", env, workers=2, threads=2) for _ in range(2)]
    try:
        for server in servers:
            server.start(ready_path="/api/v1/openapi.json")
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def redis_limits():
    """Redis database 7, emptied before and after the test."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


class Browser:
    """Carries cookies by hand: they are ``Secure`` (production), and these servers speak http."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        """Send a request with the kept cookies; keep the ones it sets."""
        headers = kwargs.pop("headers", {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = requests.request(method, url, headers=headers, allow_redirects=False, timeout=15, **kwargs)
        self.cookies.update(response.cookies.get_dict())
        return response

    def login(self, base: str, email: str, password: str) -> requests.Response:
        """Fetch the login form for its CSRF token, then post it."""
        token = _CSRF.search(self.request("GET", base + "/login").text).group(1)
        return self.request("POST", base + "/login", data={"email": email, "password": password, "csrf_token": token})


@needs_postgres
def test_the_login_rate_limit_counts_across_instances(instances, session, make_user, redis_limits):
    a, b = instances
    rep = make_user()
    session.commit()
    browser = Browser()
    statuses = [browser.login((a, b)[n % 2].url, rep.email, "wrong password").status_code for n in range(10)]
    assert statuses == [422] * 10  # five on each instance: neither alone reached its limit

    eleventh = browser.login(b.url, rep.email, PASSWORD)

    assert eleventh.status_code == 429
    assert redis_limits.dbsize() > 0  # the counters live in Redis, not in a worker's memory


@needs_postgres
def test_a_session_and_a_touch_from_one_instance_are_seen_by_the_other(instances, session, make_user, make_customer,
                                                                      redis_limits):
    a, b = instances
    rep = make_user()
    customer = make_customer(rep, "Müller AG")
    token = tokens.create_token(session, rep, name="phone", now=NOW).plaintext
    session.commit()
    auth = {"Authorization": f"Bearer {token}"}

    created = requests.post(a.url + "/api/v1/touches", json={"customer_id": customer.id, "kind": "call",
                                                            "client_id": "scale-1"}, headers=auth, timeout=15)
    assert created.status_code == 201, created.text
    touch = created.json()["touch"]

    shown = requests.get(f"{b.url}/api/v1/customers/{customer.id}", headers=auth, timeout=15)
    assert shown.json()["customer"]["last_touch_day"] == touch["local_day"]
    me = requests.get(b.url + "/api/v1/me", headers=auth, timeout=15).json()
    assert me["today_touches"] == 1 and me["streak"]["today_active"] is True
    replayed = requests.post(b.url + "/api/v1/touches", json={"customer_id": customer.id, "kind": "call",
                                                             "client_id": "scale-1"}, headers=auth, timeout=15)
    assert replayed.status_code == 200 and replayed.json()["touch"]["id"] == touch["id"]

    browser = Browser()
    assert browser.login(a.url, rep.email, PASSWORD).status_code == 302
    today = browser.request("GET", b.url + "/")  # signed in on a, served by b
    assert today.status_code == 200 and "Müller AG" in today.text


@needs_postgres
def test_two_nudge_workers_at_once_send_each_notification_once(database_url, session, make_user, push_service):
    reps = [make_user() for _ in range(20)]
    for n, rep in enumerate(reps):
        data = push_service.subscriber(f"/device/{n}").json()
        push_ops.save_subscription(session, rep, endpoint=data["endpoint"], keys=data["keys"], user_agent="test",
                                   now=NOW, hosts=["127.0.0.1"], allow_http=True)
        push_service.delay(f"/device/{n}", 0.01)  # slow enough that the two runs overlap
    for n in range(200):
        outbox.enqueue_many(session, [outbox.Push(reps[n % 20].id, "quiet_digest", f"scale:{n}", f"Nudge {n}", "Call?",
                                                  "/", topic="quiet-digest", urgency="normal", ttl=3600)], now=NOW)
    session.commit()
    ids = set(session.scalars(select(Notification.id).where(Notification.dedup_key.like("scale:%"))))
    env = app_environment(
        database_url,
        TOUCHBASE_PUSH_ENDPOINT_HOSTS='["127.0.0.1"]',
        TOUCHBASE_PUSH_ALLOW_HTTP="true",
        TOUCHBASE_PUSH_BATCH_SIZE="5",
        TOUCHBASE_PUSH_TIMEOUT="5",
    )
    command = [FLASK, "--app", "wsgi", "nudges", "run", "--at", NOW.isoformat()]
    workers = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [worker.communicate(timeout=60)[0] for worker in workers]

    assert [w.returncode for w in workers] == [0, 0], outputs
    sent = [int(re.search(r"(\d+) sent", out).group(1)) for out in outputs]
    counts = push_service.count_by_id()
    assert ids <= set(counts) and set(counts.values()) == {1}, counts.most_common(3)
    assert sum(sent) == len(counts)  # each notification by exactly one of the two workers
    session.expire_all()
    assert set(session.scalars(select(Notification.status).where(Notification.id.in_(ids)))) == {
        NotificationStatus.sent
    }
