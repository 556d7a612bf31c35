"""Rate limits on sign-in, sign-up, joining, API tokens and invites: in memory and in Redis.

The Redis tests use database 11 of the Redis on 127.0.0.1:6379 (or ``TEST_REDIS_URL``) and flush
only that. Without a Redis they are skipped on a developer's machine, but fail in CI
(``CI=true``), which starts one.
"""

from __future__ import annotations

import os

import pytest

from app import create_app
from app.extensions import db, limiter
from app.kinds import Role
from app.operations import invites
from support import NOW, PASSWORD, PRODUCTION_MAIL

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
LIMITS = {
    "LOGIN_RATE_LIMIT": "3 per minute",
    "REGISTER_RATE_LIMIT": "3 per minute",
    "TOKEN_RATE_LIMIT": "3 per minute",
    "INVITE_RATE_LIMIT": "3 per minute",
}


def _redis():
    """Return a client of the test Redis database, skipping (or failing in CI) when there is none."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail("Redis on 127.0.0.1:6379 is not reachable, and CI must test the Redis rate limits")
        pytest.skip("Redis on 127.0.0.1:6379 is not reachable")
    return client


@pytest.fixture
def redis_db():
    """The test Redis database, empty before and after the test."""
    client = _redis()
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def make_app(app, database_url):
    """Factory: a fresh app on the test database with the rate limiter on (the shared app has it off)."""
    made = []

    def make(**config):
        fresh = create_app({
            "TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True, **LIMITS, **config,
        })
        made.append(fresh)
        return fresh

    yield make
    for fresh in made:
        with fresh.app_context():
            db.session.remove()
            db.engine.dispose()


def _signed_in(limited_app, user):
    client = limited_app.test_client()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def _join_link(session, coach) -> str:
    return f"/join/{invites.create_invite(session, coach, now=NOW).token}"


ENDPOINTS = ["login", "register", "join", "token", "invite"]


def _hit(endpoint: str, client, context) -> int:
    """POST once to *endpoint*; return the status code."""
    if endpoint == "login":
        return client.post("/login", data={"email": "x@example.com", "password": "wrong password"}).status_code
    if endpoint == "register":
        return client.post("/register", data={"name": "", "email": "bad"}).status_code
    if endpoint == "join":
        return client.post(context["join"], data={"name": ""}).status_code
    if endpoint == "token":
        return client.post("/settings/tokens", data={"name": "cli"}).status_code
    return client.post("/team/invites").status_code


@pytest.fixture
def context(session, make_user):
    """A coach with an open invite link."""
    coach = make_user(role=Role.coach)
    link = _join_link(session, coach)
    session.commit()
    return {"coach": coach, "join": link}


def _client_for(endpoint, limited_app, context):
    if endpoint in ("token", "invite"):
        return _signed_in(limited_app, context["coach"])
    return limited_app.test_client()


def _assert_limited(endpoint, client, context):
    statuses = [_hit(endpoint, client, context) for _ in range(3)]
    assert 429 not in statuses and max(statuses) < 500, statuses
    response_status = _hit(endpoint, client, context)
    assert response_status == 429


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_fourth_post_in_a_minute_is_refused_in_memory(make_app, context, endpoint):
    limited = make_app()
    client = _client_for(endpoint, limited, context)
    _assert_limited(endpoint, client, context)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_fourth_post_in_a_minute_is_refused_with_redis(make_app, context, redis_db, endpoint):
    limited = make_app(RATELIMIT_STORAGE_URI=REDIS_URL)
    client = _client_for(endpoint, limited, context)
    _assert_limited(endpoint, client, context)
    assert redis_db.dbsize() > 0  # the counts really live in Redis


def test_two_instances_count_together_in_redis_but_not_in_memory(make_app, context, redis_db):
    shared = {"RATELIMIT_STORAGE_URI": REDIS_URL}
    first, second = make_app(**shared), make_app(**shared)
    for _ in range(2):
        assert _hit("login", first.test_client(), context) == 422
    assert _hit("login", second.test_client(), context) == 422
    assert _hit("login", second.test_client(), context) == 429  # 4th attempt, whichever instance
    alone, apart = make_app(), make_app()
    for _ in range(3):
        assert _hit("login", alone.test_client(), context) == 422
    assert _hit("login", apart.test_client(), context) == 422  # memory: each process counts its own


def test_a_limited_page_says_so_in_the_page_and_when_to_retry(make_app, context):
    client = make_app().test_client()
    for _ in range(3):
        _hit("register", client, context)
    response = client.post("/register", data={})
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0
    assert client.get("/register").status_code == 200  # reading the form is never limited


def test_token_and_invite_limits_count_per_user_not_per_address(make_app, make_user, session):
    limited = make_app()
    first, second = make_user(), make_user()
    session.commit()
    one, two = _signed_in(limited, first), _signed_in(limited, second)
    for _ in range(3):
        assert one.post("/settings/tokens", data={"name": "cli"}).status_code == 201
    assert one.post("/settings/tokens", data={"name": "cli"}).status_code == 429
    assert two.post("/settings/tokens", data={"name": "cli"}).status_code == 201  # same address


def test_one_app_with_limits_off_does_not_switch_them_off_for_another(make_app, context, client):
    limited = make_app()
    make_app(RATELIMIT_ENABLED=False)  # the last init_app used to decide for every app
    _assert_limited("login", limited.test_client(), context)
    for _ in range(5):  # and the shared test app, with limits off, stays unlimited
        assert _hit("login", client, context) == 422
    assert limiter.enabled


def test_an_unreachable_redis_lets_sign_in_work_instead_of_failing(make_app, make_user, session):
    user = make_user()
    session.commit()
    broken = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    client = broken.test_client()
    assert client.post("/login", data={"email": user.email, "password": "wrong password"}).status_code == 422
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def test_guessing_one_accounts_password_from_many_addresses_is_limited(make_app, make_user, session):
    user = make_user()
    session.commit()
    limited = make_app(LOGIN_RATE_LIMIT="100 per minute", LOGIN_ACCOUNT_RATE_LIMIT="3 per minute")
    client = limited.test_client()

    def attempt(email: str, address: str) -> int:
        return client.post("/login", data={"email": email, "password": "wrong password"},
                           environ_base={"REMOTE_ADDR": address}).status_code

    assert [attempt(user.email, f"10.0.0.{n}") for n in range(3)] == [422, 422, 422]
    assert attempt(user.email.upper(), "10.0.0.9") == 429  # the same account, however it is spelt
    assert attempt("someone.else@example.com", "10.0.0.9") == 422


@pytest.mark.parametrize("storage", [None, "memory://"])
def test_production_refuses_per_process_limits(database_url, storage):
    from app.push import vapid

    settings = {"ENV": "production", "SECRET_KEY": "s" * 32, "SQLALCHEMY_DATABASE_URI": database_url,
                "VAPID_PRIVATE_KEY": vapid.new_private_key_pem(), **PRODUCTION_MAIL}
    if storage:
        settings["RATELIMIT_STORAGE_URI"] = storage
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
        create_app(settings)
    shared = create_app({**settings, "RATELIMIT_STORAGE_URI": REDIS_URL})
    single = create_app({**settings, "RATELIMIT_SINGLE_PROCESS": True})
    for made in (shared, single):
        with made.app_context():
            db.engine.dispose()
