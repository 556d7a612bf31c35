"""Push subscriptions through the JSON API, the endpoint allow-list, and the VAPID keys."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select

from app import ROOT, create_app
from app.push import endpoints, vapid
from app.config import Defaults
from app.models import PushSubscription
from fake_push import b64url
from support import NOW, PRODUCTION_MAIL
from views.test_api import call

DEFAULT_HOSTS = Defaults.PUSH_ENDPOINT_HOSTS


pytestmark = pytest.mark.usefixtures("frozen_clock")  # NOW: Friday 27 Nov 2026, 11:00 in Berlin


@pytest.fixture
def rep(make_user):
    """A rep in Berlin."""
    return make_user()


@pytest.fixture
def token(session, rep):
    """A personal API token of ``rep``."""
    from app.operations import tokens

    new = tokens.create_token(session, rep, name="phone", now=NOW)
    session.commit()
    return new.plaintext


def keys() -> dict:
    """Return a browser-like key pair's public half and an auth secret."""
    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    raw = public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"p256dh": b64url(raw), "auth": b64url(os.urandom(16))}


FCM = "https://fcm.googleapis.com/fcm/send/dJ3kqXyz:APA91bH"


def test_subscribe_201_then_200_for_the_same_endpoint(client, session, rep, token):
    first = call(client, "POST", "/push/subscriptions", token=token, json={"endpoint": FCM, "keys": keys()},
                 headers={"User-Agent": "Mozilla/5.0 (Linux; Android 14) Chrome/130.0 Mobile"})
    assert first.status_code == 201
    body = first.get_json()["subscription"]
    assert body["endpoint"] == FCM and body["last_success_at"] is None
    new_keys = keys()
    again = call(client, "POST", "/push/subscriptions", token=token, json={"endpoint": FCM, "keys": new_keys},
                 headers={"User-Agent": "Mozilla/5.0 (Linux; Android 15) Chrome/131.0 Mobile"})
    assert again.status_code == 200 and again.get_json()["subscription"]["id"] == body["id"]
    stored = session.scalar(select(PushSubscription))
    assert stored.p256dh == new_keys["p256dh"] and stored.auth == new_keys["auth"]
    assert "Android 15" in stored.user_agent and stored.created_at == NOW


def test_the_same_browser_moves_to_whoever_signs_in_on_it(client, session, make_user, rep, token):
    browser = keys()
    call(client, "POST", "/push/subscriptions", token=token, json={"endpoint": FCM, "keys": browser})
    other = make_user(team=None)
    from app.operations import tokens

    other_token = tokens.create_token(session, other, name="x", now=NOW).plaintext
    session.commit()
    refused = call(client, "POST", "/push/subscriptions", token=other_token, json={"endpoint": FCM, "keys": keys()})
    assert refused.status_code == 409  # the endpoint alone proves nothing
    moved = call(client, "POST", "/push/subscriptions", token=other_token, json={"endpoint": FCM, "keys": browser})
    assert moved.status_code == 201
    session.expire_all()
    assert session.scalar(select(PushSubscription.user_id)) == other.id
    # The first user no longer owns it.
    assert call(client, "DELETE", "/push/subscriptions", token=token, json={"endpoint": FCM}).status_code == 404


def test_delete_by_endpoint(client, session, rep, token):
    call(client, "POST", "/push/subscriptions", token=token, json={"endpoint": FCM, "keys": keys()})
    response = client.delete("/api/v1/push/subscriptions", json={"endpoint": FCM}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 204 and response.get_data() == b""
    assert session.scalar(select(func.count()).select_from(PushSubscription)) == 0
    assert call(client, "DELETE", "/push/subscriptions", token=token, json={"endpoint": FCM}).status_code == 404


def test_another_users_endpoint_cannot_be_deleted(client, session, make_user, rep, token):
    other = make_user()
    session.add(PushSubscription(user_id=other.id, endpoint=FCM, p256dh=keys()["p256dh"], auth="x" * 22,
                                 created_at=NOW, updated_at=NOW))
    session.commit()
    response = call(client, "DELETE", "/push/subscriptions", token=token, json={"endpoint": FCM})
    assert response.status_code == 404
    assert session.scalar(select(func.count()).select_from(PushSubscription)) == 1


def test_subscriptions_need_auth(client):
    assert call(client, "POST", "/push/subscriptions", json={"endpoint": FCM, "keys": keys()}).status_code == 401
    assert call(client, "DELETE", "/push/subscriptions", json={"endpoint": FCM}).status_code == 401


def test_session_writes_need_the_csrf_header(app, client, session, rep, login):
    login(rep)
    app.config["WTF_CSRF_ENABLED"] = True
    response = call(client, "POST", "/push/subscriptions", json={"endpoint": FCM, "keys": keys()})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "csrf"


def _point_off_the_curve() -> str:
    return b64url(b"\x04" + b"\x01" * 64)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"keys": None}, "keys"),
        ({"keys": {"auth": b64url(os.urandom(16))}}, "keys.p256dh"),
        ({"keys": {"p256dh": "not base64!", "auth": b64url(os.urandom(16))}}, "keys.p256dh"),
        ({"keys": {"p256dh": b64url(os.urandom(64)), "auth": b64url(os.urandom(16))}}, "keys.p256dh"),
        ({"keys": {"p256dh": _point_off_the_curve(), "auth": b64url(os.urandom(16))}}, "keys.p256dh"),
        ({"keys": {"p256dh": b64url(b"\x02" + os.urandom(32)), "auth": b64url(os.urandom(16))}}, "keys.p256dh"),
        ({"keys": {"p256dh": keys()["p256dh"], "auth": b64url(os.urandom(15))}}, "keys.auth"),
        ({"keys": {"p256dh": keys()["p256dh"], "auth": 12345}}, "keys.auth"),
        ({"endpoint": None}, "endpoint"),
        ({"endpoint": 7}, "endpoint"),
    ],
)
def test_bad_keys_are_422(client, session, rep, token, change, field):
    body = {"endpoint": FCM, "keys": keys(), **change}
    response = call(client, "POST", "/push/subscriptions", token=token, json=body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert session.scalar(select(func.count()).select_from(PushSubscription)) == 0


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://fcm.googleapis.com/fcm/send/x",  # not https
        "https://127.0.0.1/push",  # an internal address
        "https://localhost/push",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/push",
        "https://10.0.0.5:8443/push",
        "https://evil.example.com/push",
        "https://fcm.googleapis.com.evil.com/push",
        "https://fcm.googleapis.com:8443/fcm/send/x",  # an odd port
        "https://user:pw@fcm.googleapis.com/fcm/send/x",  # user info
        "https://evil.com@fcm.googleapis.com/x",
        "https://notify.windows.com/w/x",  # only subdomains are listed
        "https://xnotify.windows.com/w/x",
        "ftp://fcm.googleapis.com/x",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "https://fcm.googleapis.com/" + "x" * 1100,
        "https://fcm.googleapis.com/a b",
        "",
    ],
)
def test_the_endpoint_must_be_a_known_push_service(client, session, rep, token, endpoint):
    response = call(client, "POST", "/push/subscriptions", token=token, json={"endpoint": endpoint, "keys": keys()})
    assert response.status_code == 422
    assert "endpoint" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAA",
        "https://web.push.apple.com/QGxq",
        "https://wns2-par02p.notify.windows.com/w/?token=BQYAAA",
        "https://api.push.apple.com/3/device/x",
        "https://FCM.googleapis.com:443/fcm/send/abc",
        "https://fcm.googleapis.com./fcm/send/abc",
    ],
)
def test_the_browsers_push_services_are_allowed(endpoint):
    assert endpoints.endpoint_refusal(endpoint, hosts=DEFAULT_HOSTS) is None


def test_http_and_local_addresses_only_when_configured():
    local = "http://127.0.0.1:8123/push/abc"
    assert endpoints.endpoint_refusal(local, hosts=["127.0.0.1"]) is not None  # http needs the switch
    assert endpoints.endpoint_refusal(local, hosts=DEFAULT_HOSTS, allow_http=True) is not None  # not listed
    assert endpoints.endpoint_refusal(local, hosts=["127.0.0.1"], allow_http=True) is None
    assert endpoints.endpoint_refusal("http://127.0.0.2:8123/x", hosts=["127.0.0.1"], allow_http=True) is not None
    assert endpoints.endpoint_refusal("https://[::1]/x", hosts=["127.0.0.1"], allow_http=True) is not None


def test_a_user_keeps_at_most_twenty_devices(client, session, rep, token):
    for n in range(22):
        call(client, "POST", "/push/subscriptions", token=token, json={"endpoint": f"{FCM}{n}", "keys": keys()})
    assert session.scalar(select(func.count()).select_from(PushSubscription)) == 20


# --- Keys --------------------------------------------------------------------------------------


def test_private_key_formats(tmp_path):
    pem = vapid.new_private_key_pem()
    from_pem = vapid.parse_private_key(pem)
    from_one_line = vapid.parse_private_key(pem.strip().replace("\n", "\\n"))
    number = from_pem.private_key.private_numbers().private_value.to_bytes(32, "big")
    from_raw = vapid.parse_private_key(b64url(number))
    public = vapid.public_key_of(from_pem)
    assert vapid.public_key_of(from_one_line) == vapid.public_key_of(from_raw) == public
    assert len(vapid.b64url_decode(public)) == 65 and vapid.b64url_decode(public)[0] == 4
    with pytest.raises(ValueError):
        vapid.parse_private_key(
            ec.generate_private_key(ec.SECP384R1()).private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode()
        )


def test_development_key_is_made_once_and_reused(tmp_path):
    first = vapid._instance_key(tmp_path)
    assert vapid._instance_key(tmp_path) == first
    assert (tmp_path / "vapid_private_key.pem").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["vapid_private_key.pem"]


def test_configured_keys_win_and_must_match(app):
    pem = vapid.new_private_key_pem()
    expected = vapid.public_key_of(vapid.parse_private_key(pem))
    configured = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                             "VAPID_PRIVATE_KEY": pem, "VAPID_PUBLIC_KEY": expected})
    assert vapid.public_key(configured) == expected
    wrong = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                        "VAPID_PRIVATE_KEY": pem, "VAPID_PUBLIC_KEY": vapid.public_key(app)})
    with pytest.raises(RuntimeError):
        vapid.public_key(wrong)


def test_production_refuses_to_start_without_vapid_keys():
    settings = {"ENV": "production", "SECRET_KEY": "x" * 32, "SQLALCHEMY_DATABASE_URI": "sqlite://", **PRODUCTION_MAIL,
                "RATELIMIT_SINGLE_PROCESS": True}
    with pytest.raises(RuntimeError, match="VAPID"):
        create_app(settings)
    app = create_app({**settings, "VAPID_PRIVATE_KEY": vapid.new_private_key_pem()})
    assert len(vapid.b64url_decode(vapid.public_key(app))) == 65


def test_flask_push_keys_prints_the_public_key(app, runner):
    result = runner.invoke(args=["push", "keys"])
    assert result.exit_code == 0 and result.output.strip() == vapid.public_key(app)
    new = runner.invoke(args=["push", "keys", "--new"])
    private = new.output.split("TOUCHBASE_VAPID_PRIVATE_KEY='", 1)[1].split("'", 1)[0]
    public = new.output.split("TOUCHBASE_VAPID_PUBLIC_KEY=", 1)[1].strip()
    assert vapid.public_key_of(vapid.parse_private_key(private)) == public


def test_the_development_key_lives_in_the_instance_folder(app):
    assert app.instance_path == str(ROOT / "instance")
    if not app.config.get("VAPID_PRIVATE_KEY"):
        vapid.public_key(app)
        assert (ROOT / "instance" / "vapid_private_key.pem").exists()
