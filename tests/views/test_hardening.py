"""What a hostile probe found: user-given redirect targets, inputs that failed with a 500,
the test push, push subscription takeover, e-mail spellings, sessions at sign-in."""

from __future__ import annotations

import json
import unicodedata

import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.kinds import Role
from app.models import ApiToken, Challenge, Customer, Notification, NotificationStatus, PushSubscription, Touch, User
from app.operations import push as push_ops
from app.operations import tokens
from app.push import outbox
from fake_push import b64url
from support import NOW, PASSWORD, csrf_token_from

pytestmark = pytest.mark.usefixtures("frozen_clock")  # NOW: Friday 27 Nov 2026, 11:00 in Berlin

EVIL = ["/\t/evil.test", "/\n/evil.test", "/\r\nX-Evil: 1", "//evil.test", "/\\evil.test", "https://evil.test/"]


@pytest.fixture
def rep(make_user):
    return make_user(name="Rita")


@pytest.fixture
def customer(make_customer, rep):
    return make_customer(rep, "Müller AG")


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


# -- 1. One check of redirect targets, before anything is written ----------------------------------

@pytest.mark.parametrize("target", EVIL)
def test_a_touch_with_a_hostile_next_is_saved_once_and_returns_to_today(client, login, rep, customer, target):
    login(rep)
    response = client.post("/touches/", data={"customer_id": customer.id, "kind": "call", "next": target})
    assert response.status_code in (302, 303)
    assert response.headers["Location"] == "/"
    assert _count(Touch) == 1


@pytest.mark.parametrize("target", EVIL)
def test_pages_never_link_to_a_hostile_next(client, login, rep, customer, target):
    login(rep)
    for query in ({}, {"customer_id": customer.id}):
        html = client.get("/touches/new", query_string={**query, "next": target}).get_data(as_text=True)
        assert "evil" not in html.lower()


@pytest.mark.parametrize("target", EVIL)
def test_sign_in_with_a_hostile_next_lands_on_today(client, rep, session, target):
    session.commit()
    page = client.get("/login", query_string={"next": target}).get_data(as_text=True)
    assert "evil" not in page.lower()
    response = client.post("/login", query_string={"next": target}, data={"email": rep.email, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_sign_in_keeps_a_next_on_this_site(client, rep, session):
    session.commit()
    response = client.post("/login?next=/customers/%3Fq%3Dm", data={"email": rep.email, "password": PASSWORD})
    assert response.headers["Location"] == "/customers/?q=m"


# -- 3. Inputs that failed with a 500 ------------------------------------------------------------

@pytest.mark.parametrize("zone", ["Factory", "localtime", "posixrules"])
def test_a_zone_only_zoneinfo_knows_is_refused(client, login, rep, zone):
    login(rep)
    response = client.post("/settings/", data={"name": "Rita", "timezone": zone, "locale": "en", "workdays": ["0"],
                                               "daily_goal": "3", "day_start_hour": "3"})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(User, rep.id).timezone == "Europe/Berlin"
    for page in ("/settings/", "/badges/", "/challenges/", "/settings/reminders/"):
        assert client.get(page).status_code == 200


@pytest.mark.parametrize("body", [
    '{"name": "\\ud800"}', '{"name": "ok", "company": "a\\udfffb"}', '{"name": "a\\u0000b"}', '{"\\ud800": 1}',
])
def test_unstorable_text_in_json_is_a_400_and_nothing_is_written(client, login, rep, body):
    login(rep)
    response = client.post("/api/v1/customers", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "The body contains characters that cannot be stored."
    assert _count(Customer) == 0


def test_unstorable_text_in_a_touch_or_a_subscription_is_a_400(client, login, rep, customer):
    login(rep)
    touch = client.post("/api/v1/touches", content_type="application/json",
                        data=json.dumps({"customer_id": customer.id, "kind": "call"})[:-1] + ', "note": "\\ud83d"}')
    assert touch.status_code == 400 and _count(Touch) == 0
    endpoint = client.post("/api/v1/push/subscriptions", content_type="application/json",
                           data='{"endpoint": "https://fcm.googleapis.com/fcm/send/a\\u0000b", "keys": {}}')
    assert endpoint.status_code == 400 and _count(PushSubscription) == 0


def test_json_nested_100000_deep_is_a_400(client):
    body = '{"id": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = client.post("/push/opened", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "The body is nested too deeply."


@pytest.mark.parametrize("where", ["login", "search", "form-name"])
def test_a_nul_byte_in_a_field_is_a_400_in_the_users_language(client, login, rep, session, where):
    if where == "login":
        session.commit()
        response = client.post("/login", data={"email": "rita\x00@example.com", "password": "x"},
                               headers={"Accept-Language": "de"})
    else:
        login(rep)
        rep.locale = "de"
        session.commit()
        response = (client.get("/customers/", query_string={"q": "M\x00"}) if where == "search"
                    else client.post("/customers/", data={"name\x00": "x", "name": "Acme"}))
    assert response.status_code == 400
    assert "Die Anfrage enthält Zeichen, die nicht gespeichert werden können." in response.get_data(as_text=True)
    assert _count(Customer) == 0


@pytest.mark.parametrize("start", ["0001-01-01T00:00", "9999-12-31T23:59", "1999-12-31T10:00"])
def test_a_challenge_at_the_edge_of_the_calendar_is_a_422(client, login, make_user, start):
    coach = make_user(role=Role.coach, timezone="America/Los_Angeles")
    login(coach)
    response = client.post("/challenges/", data={"title": "Year one", "metric": "team_touches", "target": "5",
                                                  "starts_at": start, "ends_at": "2026-12-04T18:00"})
    assert response.status_code == 422
    assert _count(Challenge) == 0


# -- 4. The test push: limited, with a short deadline, through the outbox --------------------------

def _subscribe(session, user, service, path="/phone"):
    data = service.subscriber(path).json()
    push_ops.save_subscription(session, user, endpoint=data["endpoint"], keys=data["keys"], user_agent="test",
                               now=NOW, hosts=["127.0.0.1"], allow_http=True)
    session.commit()


def test_a_slow_push_service_leaves_the_test_push_in_the_outbox(app, client, login, rep, session, push_service):
    _subscribe(session, rep, push_service)
    push_service.delay("/phone", 2.0)
    app.config["PUSH_TEST_TIMEOUT"] = 0.3
    login(rep)
    response = client.post("/settings/reminders/test")
    assert response.status_code == 303
    assert "busy" in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    notification = db.session.scalar(select(Notification))
    assert notification.status == NotificationStatus.pending and notification.attempts == 1
    assert notification.next_attempt_at > NOW  # the next `flask nudges run` sends it


def test_only_one_test_push_per_process_is_sent_from_a_request_at_a_time(client, login, rep, session, push_service):
    _subscribe(session, rep, push_service)
    login(rep)
    assert outbox._TEST_SENDS.acquire(blocking=False)  # another request is sending one right now
    try:
        response = client.post("/settings/reminders/test")
    finally:
        outbox._TEST_SENDS.release()
    assert response.status_code == 303
    assert push_service.for_path("/phone") == []
    db.session.expire_all()
    assert db.session.scalar(select(Notification)).status == NotificationStatus.pending
    assert client.post("/settings/reminders/test").status_code == 303
    assert len(push_service.for_path("/phone")) == 1


def test_test_pushes_are_limited_per_user(database_url, make_user, session):
    limited = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": database_url,
                          "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True, "PUSH_TEST_RATE_LIMIT": "2 per minute"})
    first, second = make_user(), make_user()
    session.commit()
    try:
        clients = []
        for user in (first, second):
            browser = limited.test_client()
            assert browser.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
            clients.append(browser)
        one, two = clients
        assert [one.post("/settings/reminders/test").status_code for _ in range(3)] == [303, 303, 429]
        assert two.post("/settings/reminders/test").status_code == 303  # the same address, another user
    finally:
        with limited.app_context():
            db.session.remove()
            db.engine.dispose()


# -- 6. A known endpoint is not handed to someone else ---------------------------------------------

def _keys():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    import os

    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    raw = public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"p256dh": b64url(raw), "auth": b64url(os.urandom(16))}


ENDPOINT = "https://fcm.googleapis.com/fcm/send/victim-device"


def test_someone_elses_endpoint_without_its_keys_is_refused(client, login, make_user, session):
    victim, attacker = make_user(), make_user()  # another organisation each
    victim_keys = _keys()
    push_ops.save_subscription(session, victim, endpoint=ENDPOINT, keys=victim_keys, user_agent="v", now=NOW,
                               hosts=["fcm.googleapis.com"])
    session.commit()
    login(attacker)
    response = client.post("/api/v1/push/subscriptions", json={"endpoint": ENDPOINT, "keys": _keys()})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "created_at" not in body and "victim" not in body.replace(ENDPOINT, "")
    db.session.expire_all()
    assert db.session.scalar(select(PushSubscription.user_id)) == victim.id


def test_the_same_browser_moves_to_the_account_signed_in_on_it(client, login, make_user, session):
    first, second = make_user(), make_user()
    browser_keys = _keys()
    push_ops.save_subscription(session, first, endpoint=ENDPOINT, keys=browser_keys, user_agent="v",
                               now=NOW.replace(year=2025), hosts=["fcm.googleapis.com"])
    session.commit()
    login(second)
    response = client.post("/api/v1/push/subscriptions", json={"endpoint": ENDPOINT, "keys": browser_keys})
    assert response.status_code == 201
    assert response.get_json()["subscription"]["created_at"].startswith("2026-11-27")
    db.session.expire_all()
    assert db.session.scalar(select(PushSubscription.user_id)) == second.id


# -- 7. Accounts ----------------------------------------------------------------------------------

def test_an_nfd_spelling_of_the_address_signs_in(client, make_user, session):
    make_user(email="jürgen@example.com")
    session.commit()
    nfd = unicodedata.normalize("NFD", "JÜRGEN@example.com")
    assert nfd != "JÜRGEN@example.com"
    assert client.post("/login", data={"email": nfd, "password": PASSWORD}).status_code == 302


def test_an_address_stored_from_an_nfd_spelling_is_nfc(client, session):
    response = client.post("/register", data={
        "name": "Jürgen", "email": unicodedata.normalize("NFD", "Jürgen@Example.com"), "password": PASSWORD,
        "organization": "Acme", "timezone": "Europe/Berlin"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert db.session.scalar(select(User.email)) == "jürgen@example.com"


@pytest.mark.parametrize("email", ["pаypal@example.com", "anna@exаmple.com", "jοhn@example.com"])
def test_a_look_alike_address_is_refused(client, email):
    response = client.post("/register", data={"name": "Eve", "email": email, "password": PASSWORD,
                                              "organization": "Acme", "timezone": "Europe/Berlin"})
    assert response.status_code == 422
    assert "mixes letters of different alphabets" in response.get_data(as_text=True)
    assert _count(User) == 0


def test_a_password_change_can_revoke_the_api_tokens(client, login, rep, session):
    tokens.create_token(session, rep, name="phone", now=NOW)
    tokens.create_token(session, rep, name="crm", now=NOW)
    session.commit()
    login(rep)
    html = client.get("/settings/").get_data(as_text=True)
    assert 'name="revoke_tokens"' in html
    response = client.post("/settings/password", data={
        "current_password": PASSWORD, "new_password": "a much newer password", "confirm_password":
        "a much newer password", "revoke_tokens": "1"})
    assert response.status_code == 303
    assert "2 access tokens were revoked." in client.get("/settings/").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(ApiToken.revoked_at.is_(None))) == 0


def test_a_password_change_without_the_box_keeps_the_tokens(client, login, rep, session):
    tokens.create_token(session, rep, name="phone", now=NOW)
    session.commit()
    login(rep)
    client.post("/settings/password", data={"current_password": PASSWORD, "new_password": "a much newer password",
                                            "confirm_password": "a much newer password"})
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(ApiToken.revoked_at.is_(None))) == 1


def test_the_csrf_token_of_a_session_changes_at_sign_in(app, client, rep, session):
    session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    planted = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": rep.email, "password": PASSWORD, "csrf_token": planted})
    assert response.status_code == 302
    after = csrf_token_from(client.get("/settings/").get_data(as_text=True))
    with client.session_transaction() as stored:
        assert stored["csrf_token"]
    assert after != planted
    stale = client.post("/settings/tokens", data={"name": "x", "csrf_token": planted})
    assert stale.status_code == 400
    assert client.post("/settings/tokens", data={"name": "x", "csrf_token": after}).status_code == 201
