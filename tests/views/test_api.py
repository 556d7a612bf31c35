"""JSON API v1 through the client, with a bearer token and with the browser session.

Every response a test receives is checked against the OpenAPI document's schema for its
path, method and status, so the document and the code cannot drift apart.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from sqlalchemy import func, select

from app.kinds import Direction, Role, Tier, TouchKind
from app.models import Touch
from app.openapi import document
from app.operations import tokens
from app.warmth import Warmth
from support import NOW, PASSWORD, csrf_token_from

DOC = document()


pytestmark = pytest.mark.usefixtures("frozen_clock")  # NOW: Friday 27 Nov 2026, 11:00 in Berlin


def _response_schema(template: str, method: str, status: int) -> dict:
    operation = DOC["paths"][template][method.lower()]
    assert str(status) in operation["responses"], f"{method} {template} answered {status}, undocumented"
    response = operation["responses"][str(status)]
    if "$ref" in response:
        response = DOC["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response["content"]["application/json"]["schema"]


def call(client, method: str, template: str, *, token: str | None = None, params: dict | None = None, **kwargs):
    """Call the API at the documented *template* and check the answer against the document."""
    headers = dict(kwargs.pop("headers", {}))
    if token:
        headers["Authorization"] = f"Bearer {token}"
    url = "/api/v1" + template.format(**(params or {}))
    response = client.open(url, method=method, headers=headers, **kwargs)
    assert response.mimetype == "application/json", response.get_data(as_text=True)[:300]
    _validate(_response_schema(template, method, response.status_code), response.get_json())
    body = DOC["paths"][template][method.lower()].get("requestBody")
    if body and response.status_code < 300:
        # What the server accepted, the document must accept too.
        _validate(body["content"]["application/json"]["schema"], kwargs["json"])
    return response


def _validate(schema: dict, instance) -> None:
    root = {**schema, "components": DOC["components"]}
    Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(instance)


@pytest.fixture
def login(client, session):
    """Sign a user in through the login form (any redirect counts as success)."""

    def do(user):
        session.commit()
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code in (302, 303), response.get_data(as_text=True)[:300]

    return do


@pytest.fixture
def rep(make_user):
    """A rep in Berlin."""
    return make_user(timezone="Europe/Berlin")


@pytest.fixture
def token(session, rep):
    """A bearer token of the rep."""
    new = tokens.create_token(session, rep, name="Phone", now=NOW)
    session.commit()
    return new.plaintext


def touch_count(session, **where) -> int:
    """Count stored touches matching *where*."""
    stmt = select(func.count(Touch.id)).filter_by(**where)
    return session.scalar(stmt)


# --- POST /touches ---------------------------------------------------------------------------


def test_touch_is_created_then_replayed_by_client_id(client, session, rep, token, make_customer):
    customer = make_customer(rep, "Müller AG", tier="A")
    session.commit()
    body = {"customer_id": customer.id, "kind": "coffee", "note": "Cake at Café Frisch", "client_id": "q-1_a"}

    first = call(client, "POST", "/touches", token=token, json=body)
    assert first.status_code == 201
    touch = first.get_json()["touch"]
    assert touch["kind"] == "coffee" and touch["direction"] == "out" and touch["client_id"] == "q-1_a"
    assert touch["local_day"] == "2026-11-27" and touch["backfilled"] is False
    assert touch["occurred_at"] in ("2026-11-27T10:00:00Z", "2026-11-27T10:00:00+00:00")
    assert first.get_json()["streak"] == {
        "current": 1, "longest": 1, "freezes": 0, "at_risk": False, "today_active": True,
    }

    again = call(client, "POST", "/touches", token=token, json={**body, "note": "changed on replay"})
    assert again.status_code == 200
    assert again.get_json()["touch"] == touch
    assert touch_count(session, user_id=rep.id) == 1


def test_touch_result_names_the_moments_to_celebrate_and_a_replay_none(client, session, rep, token, make_customer):
    rep.daily_goal = 1
    customer = make_customer(rep, "Müller AG", tier="A")
    session.commit()
    body = {"customer_id": customer.id, "kind": "call", "client_id": "m-1"}
    first = call(client, "POST", "/touches", token=token, json=body).get_json()
    assert [(m["kind"], m.get("goal"), m.get("code")) for m in first["moments"]] == [
        ("goal", 1, None), ("badge", None, "first_touch")]
    assert first["moments"][0]["title"] == "Daily goal reached!"
    assert call(client, "POST", "/touches", token=token, json=body).get_json()["moments"] == []


def test_touch_with_session_auth(client, session, rep, login, make_customer):
    customer = make_customer(rep)
    login(rep)
    response = call(client, "POST", "/touches", json={"customer_id": customer.id, "kind": "call", "direction": "in"})
    assert response.status_code == 201
    assert response.get_json()["touch"]["direction"] == "in"
    assert touch_count(session, user_id=rep.id, direction=Direction.in_) == 1


def test_local_day_is_the_reps_day_in_auckland(client, session, make_user, make_customer):
    rep = make_user(timezone="Pacific/Auckland")
    customer = make_customer(rep)
    token = tokens.create_token(session, rep, name="t", now=NOW).plaintext
    session.commit()
    # 15:00 UTC on the 26th is 04:00 on the 27th in Auckland (NZDT, +13): past the 03:00 day start.
    response = call(client, "POST", "/touches", token=token,
                    json={"customer_id": customer.id, "kind": "visit", "occurred_at": "2026-11-26T15:00:00Z"})
    assert response.status_code == 201
    assert response.get_json()["touch"]["local_day"] == "2026-11-27"
    # 13:00 UTC on the 26th is 02:00 on the 27th there: still the evening of the 26th.
    response = call(client, "POST", "/touches", token=token,
                    json={"customer_id": customer.id, "kind": "call", "occurred_at": "2026-11-27T02:00:00+13:00"})
    assert response.get_json()["touch"]["local_day"] == "2026-11-26"
    assert response.get_json()["touch"]["backfilled"] is True
    assert response.get_json()["touch"]["occurred_at"].startswith("2026-11-26T13:00:00")


def test_occurred_at_in_range_with_an_offset_is_stored_in_utc(client, session, rep, token, make_customer):
    customer = make_customer(rep)
    session.commit()
    response = call(client, "POST", "/touches", token=token,
                    json={"customer_id": customer.id, "kind": "letter", "occurred_at": "2026-11-25T09:30:00+01:00"})
    assert response.status_code == 201
    touch = response.get_json()["touch"]
    assert touch["occurred_at"].startswith("2026-11-25T08:30:00")
    assert touch["local_day"] == "2026-11-25" and touch["backfilled"] is True


@pytest.mark.parametrize(
    "occurred_at",
    [
        "2026-11-27T09:00:00",  # naive: no offset
        "2026-11-21T02:59:00+01:00",  # too far back: still the 20th in Berlin (the day starts at 03:00)
        (NOW + timedelta(minutes=6)).isoformat(),  # in the future
        "yesterday",
        "2026-13-45T25:00:00Z",
        "0001-01-01T00:00:00+05:00",
        12345,
        "",
    ],
)
def test_occurred_at_is_validated(client, session, rep, token, make_customer, occurred_at):
    customer = make_customer(rep)
    session.commit()
    response = call(client, "POST", "/touches", token=token,
                    json={"customer_id": customer.id, "kind": "call", "occurred_at": occurred_at})
    assert response.status_code == 422
    assert "occurred_at" in response.get_json()["error"]["fields"]
    assert touch_count(session) == 0


def test_occurred_at_limits_are_inclusive(client, session, rep, token, make_customer):
    customer = make_customer(rep)
    session.commit()
    # The first instant of the rep's local day 6 days back (the 21st, from 03:00 in Berlin), and 5 minutes ahead.
    for when in ("2026-11-21T03:00:00+01:00", (NOW + timedelta(minutes=5)).isoformat()):
        response = call(client, "POST", "/touches", token=token,
                        json={"customer_id": customer.id, "kind": "call", "occurred_at": when})
        assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer_id": "abc"}, "customer_id"),
        ({"customer_id": True}, "customer_id"),
        ({"customer_id": None}, "customer_id"),
        ({"customer_id": 10**30}, "customer_id"),
        ({"customer_id": -1}, "customer_id"),
        ({"kind": 5}, "kind"),
        ({"kind": "fax"}, "kind"),
        ({"kind": ["call"]}, "kind"),
        ({"note": 12345}, "note"),
        ({"note": "x" * 2001}, "note"),
        ({"kind": "other", "note": "  "}, "note"),
        ({"direction": "sideways"}, "direction"),
        ({"direction": 1}, "direction"),
        ({"client_id": ""}, "client_id"),
        ({"client_id": "has space"}, "client_id"),
        ({"client_id": "x" * 65}, "client_id"),
        ({"client_id": 7}, "client_id"),
    ],
)
def test_bad_touch_fields_are_422_with_the_field(client, session, rep, token, make_customer, change, field):
    customer = make_customer(rep)
    session.commit()
    body = {"customer_id": customer.id, "kind": "call", **change}
    response = call(client, "POST", "/touches", token=token, json=body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert touch_count(session) == 0


def test_touch_for_another_orgs_customer_is_refused(client, session, rep, token, make_user, make_customer):
    stranger = make_user()
    theirs = make_customer(stranger)
    session.commit()
    response = call(client, "POST", "/touches", token=token, json={"customer_id": theirs.id, "kind": "call"})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["customer_id"] == "No such customer."
    assert touch_count(session) == 0


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("{not json", "application/json"),
        ("[1, 2]", "application/json"),
        ('"just a string"', "application/json"),
        ("", "application/json"),
        ("[" * 100_000, "application/json"),
        ("customer_id=1&kind=call", "application/x-www-form-urlencoded"),
    ],
)
def test_malformed_body_is_400(client, token, data, content_type):
    response = call(client, "POST", "/touches", token=token, data=data, content_type=content_type)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


# --- Auth ------------------------------------------------------------------------------------


def test_without_auth_every_endpoint_is_401(client, session, rep, make_customer):
    customer = make_customer(rep)
    session.commit()
    for method, template, params in [
        ("GET", "/me", None),
        ("GET", "/customers", None),
        ("POST", "/customers", None),
        ("GET", "/customers/{customer_id}", {"customer_id": customer.id}),
        ("POST", "/touches", None),
    ]:
        kwargs = {"json": {"name": "x"}} if method == "POST" else {}
        response = call(client, method, template, params=params, **kwargs)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("header", ["Bearer tb_not-a-real-token", "Bearer ", "bearer x", f"Bearer tb_{'x' * 300}"])
def test_invalid_bearer_token_is_401(client, token, header):
    response = call(client, "GET", "/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "tb_nobearer"])
def test_other_authorization_schemes_leave_the_session_in_charge(client, rep, login, header):
    assert call(client, "GET", "/me", headers={"Authorization": header}).status_code == 401
    login(rep)
    assert call(client, "GET", "/me", headers={"Authorization": header}).status_code == 200


def test_revoked_token_is_401(client, session, rep, token):
    assert call(client, "GET", "/me", token=token).status_code == 200
    stored = tokens.list_tokens(session, rep)[0]
    tokens.revoke_token(session, rep, stored.id, now=NOW)
    session.commit()
    response = call(client, "GET", "/me", token=token)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_token"


def test_bearer_request_starts_no_cookie_session(client, session, rep, token):
    response = call(client, "GET", "/me", token=token)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert call(client, "GET", "/me").status_code == 401
    assert tokens.list_tokens(session, rep)[0].last_used_at == NOW


def test_bearer_token_wins_over_a_session_cookie(client, session, make_user, login):
    signed_in = make_user(name="Cookie Person")
    other = make_user(name="Token Person")
    plaintext = tokens.create_token(session, other, name="t", now=NOW).plaintext
    login(signed_in)
    assert call(client, "GET", "/me").get_json()["user"]["name"] == "Cookie Person"
    assert call(client, "GET", "/me", token=plaintext).get_json()["user"]["name"] == "Token Person"
    assert call(client, "GET", "/me", token="tb_wrong").status_code == 401


def test_csrf_is_required_for_session_writes_only(app, client, session, rep, login, token, make_customer):
    customer = make_customer(rep)
    login(rep)
    app.config["WTF_CSRF_ENABLED"] = True
    body = {"customer_id": customer.id, "kind": "call"}

    refused = call(client, "POST", "/touches", json=body)
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "csrf"
    wrong = call(client, "POST", "/touches", json=body, headers={"X-CSRFToken": "forged"})
    assert wrong.status_code == 400
    assert touch_count(session) == 0

    assert call(client, "GET", "/me").status_code == 200  # reads need no token
    csrf = csrf_token_from(client.get("/").get_data(as_text=True))
    accepted = call(client, "POST", "/touches", json=body, headers={"X-CSRFToken": csrf})
    assert accepted.status_code == 201

    bearer_client = app.test_client()
    by_token = call(bearer_client, "POST", "/touches", token=token, json={**body, "kind": "email"})
    assert by_token.status_code == 201
    assert touch_count(session) == 2


# --- GET /me ---------------------------------------------------------------------------------


def test_me_shows_user_streak_and_today(client, session, make_user, make_customer):
    rep = make_user(timezone="America/New_York", workdays=[0, 1, 2, 4], daily_goal=5, locale="de")
    customer = make_customer(rep)
    token = tokens.create_token(session, rep, name="t", now=NOW).plaintext
    session.commit()
    call(client, "POST", "/touches", token=token, json={"customer_id": customer.id, "kind": "call"})
    call(client, "POST", "/touches", token=token, json={"customer_id": customer.id, "kind": "email"})

    body = call(client, "GET", "/me", token=token).get_json()
    assert body["user"] == {
        "id": rep.id, "name": rep.name, "email": rep.email, "role": "rep", "timezone": "America/New_York",
        "locale": "de", "workdays": [0, 1, 2, 4], "daily_goal": 5, "day_start_hour": 3,
    }
    assert body["today"] == "2026-11-27"
    assert body["today_touches"] == 2 and body["daily_goal"] == 5
    assert body["streak"]["current"] == 1 and body["streak"]["today_active"] is True


def test_me_streak_is_at_risk_on_a_workday_without_touches(client, session, rep, token, make_customer):
    customer = make_customer(rep)
    yesterday = NOW - timedelta(days=1)
    call(client, "POST", "/touches", token=token,
         json={"customer_id": customer.id, "kind": "call", "occurred_at": yesterday.isoformat()})
    streak = call(client, "GET", "/me", token=token).get_json()["streak"]
    assert streak == {"current": 1, "longest": 1, "freezes": 0, "at_risk": True, "today_active": False}


# --- Customers -------------------------------------------------------------------------------


def test_customers_list_and_warmth_filter(client, session, rep, token, make_customer):
    green = make_customer(rep, "Green GmbH", tier="A")
    green.last_touch_day = date(2026, 11, 26)
    make_customer(rep, "Quiet KG", tier="A", now=NOW - timedelta(days=30))
    make_customer(rep, "Paused AG", paused_until="2026-12-10")
    archived = make_customer(rep, "Gone Ltd")
    archived.archived_at = NOW
    session.commit()

    everyone = call(client, "GET", "/customers", token=token).get_json()["customers"]
    assert [c["name"] for c in everyone][0] == "Quiet KG"  # most urgent first
    assert {c["name"] for c in everyone} == {"Green GmbH", "Quiet KG", "Paused AG"}

    quiet = call(client, "GET", "/customers", token=token, query_string={"warmth": "quiet"}).get_json()
    assert [(c["name"], c["warmth"], c["days_since"]) for c in quiet["customers"]] == [("Quiet KG", "quiet", 30)]
    greens = call(client, "GET", "/customers", token=token, query_string={"warmth": "green"}).get_json()
    assert greens["customers"] == [{
        "id": green.id, "name": "Green GmbH", "company": None, "tier": "A", "cadence_days": 7,
        "last_touch_day": "2026-11-26", "warmth": "green", "status": "green", "days_since": 1, "archived": False,
        "next_follow_up": None,
    }]
    paused = call(client, "GET", "/customers", token=token, query_string={"warmth": "paused"}).get_json()
    assert [c["name"] for c in paused["customers"]] == ["Paused AG"]


def test_a_customer_never_touched_has_the_status_new_and_keeps_its_warmth(client, session, rep, token, make_customer):
    fresh = make_customer(rep, "Fresh GmbH", tier="A", now=NOW - timedelta(days=6))
    make_customer(rep, "Due AG", tier="A", now=NOW - timedelta(days=7))
    session.commit()
    listed = {c["name"]: (c["warmth"], c["status"])
              for c in call(client, "GET", "/customers", token=token).get_json()["customers"]}
    # warmth keeps its contract (6 of 7 days is warming); the status says nobody touched it yet
    assert listed == {"Fresh GmbH": ("warming", "new"), "Due AG": ("warming", "warming")}
    one = call(client, "GET", "/customers/{customer_id}", token=token, params={"customer_id": fresh.id}).get_json()["customer"]
    assert (one["warmth"], one["status"]) == ("warming", "new")


@pytest.mark.parametrize("value", ["hot", "GREEN", "quiet'--"])
def test_invalid_warmth_filter_is_422(client, token, value):
    response = call(client, "GET", "/customers", token=token, query_string={"warmth": value})
    assert response.status_code == 422
    assert "warmth" in response.get_json()["error"]["fields"]


def test_customers_are_scoped_to_the_user(client, session, make_org, make_user, make_customer):
    team = make_org()
    rep = make_user(team=team)
    colleague = make_user(team=team)
    coach = make_user(team=team, role=Role.coach)
    stranger = make_user()
    own = make_customer(rep, "Own")
    colleagues = make_customer(colleague, "Colleague's")
    strangers = make_customer(stranger, "Stranger's")
    rep_token = tokens.create_token(session, rep, name="t", now=NOW).plaintext
    coach_token = tokens.create_token(session, coach, name="t", now=NOW).plaintext
    session.commit()

    path = "/customers/{customer_id}"
    assert call(client, "GET", path, token=rep_token, params={"customer_id": own.id}).status_code == 200
    for hidden in (colleagues, strangers):
        response = call(client, "GET", path, token=rep_token, params={"customer_id": hidden.id})
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"
    assert call(client, "GET", path, token=rep_token, params={"customer_id": 10**20}).status_code == 404
    assert [c["name"] for c in call(client, "GET", "/customers", token=rep_token).get_json()["customers"]] == ["Own"]

    # A coach sees the team's customers, never another organisation's.
    assert call(client, "GET", path, token=coach_token, params={"customer_id": colleagues.id}).status_code == 200
    assert call(client, "GET", path, token=coach_token, params={"customer_id": strangers.id}).status_code == 404
    names = {c["name"] for c in call(client, "GET", "/customers", token=coach_token).get_json()["customers"]}
    assert names == {"Own", "Colleague's"}


def test_unknown_api_path_is_json_404(client, token):
    response = client.get("/api/v1/nothing-here", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_create_customer(client, session, rep, token):
    response = call(client, "POST", "/customers", token=token,
                    json={"name": "  Bäckerei Schmidt ", "company": "Schmidt & Söhne", "tier": "C",
                          "email": "info@example.com", "notes": "Likes letters"})
    assert response.status_code == 201
    customer = response.get_json()["customer"]
    assert customer["name"] == "Bäckerei Schmidt" and customer["tier"] == "C" and customer["cadence_days"] == 30
    assert customer["warmth"] == "green" and customer["last_touch_day"] is None and customer["days_since"] == 0
    shown = call(client, "GET", "/customers/{customer_id}", token=token, params={"customer_id": customer["id"]})
    assert shown.get_json()["customer"] == customer

    defaults = call(client, "POST", "/customers", token=token, json={"name": "Plain", "cadence_days": 10})
    assert defaults.get_json()["customer"]["tier"] == "B" and defaults.get_json()["customer"]["cadence_days"] == 10


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"name"}),
        ({"name": ""}, {"name"}),
        ({"name": 5}, {"name"}),
        ({"name": "x" * 201}, {"name"}),
        ({"name": "A", "tier": "Z"}, {"tier"}),
        ({"name": "A", "tier": 1}, {"tier"}),
        ({"name": "A", "cadence_days": 0}, {"cadence_days"}),
        ({"name": "A", "cadence_days": 366}, {"cadence_days"}),
        ({"name": "A", "cadence_days": "often"}, {"cadence_days"}),
        ({"name": "A", "cadence_days": True}, {"cadence_days"}),
        ({"name": "A", "email": "not-an-address"}, {"email"}),
        ({"name": "A", "phone": "call me"}, {"phone"}),
        ({"name": 1, "email": ["x"], "notes": {"a": 1}}, {"name", "email", "notes"}),
    ],
)
def test_create_customer_rejects_bad_fields(client, session, rep, token, body, fields):
    response = call(client, "POST", "/customers", token=token, json=body)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == fields
    assert call(client, "GET", "/customers", token=token).get_json()["customers"] == []


# --- OpenAPI ---------------------------------------------------------------------------------


def test_openapi_document_is_public_and_valid(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate_openapi(spec)
    assert spec["openapi"].startswith("3.1")
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {"type": "http", "scheme": "bearer", "bearerFormat": "tb_ personal access token"}
    assert schemes["sessionCookie"]["in"] == "cookie" and schemes["csrfHeader"]["name"] == "X-CSRFToken"
    assert {"code", "message", "fields"} <= set(spec["components"]["schemas"]["Error"]["properties"]["error"]["properties"])


def test_openapi_enums_come_from_the_domain(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert schemas["TouchKind"]["enum"] == [k.value for k in TouchKind]
    assert schemas["Direction"]["enum"] == ["out", "in"]
    assert schemas["Tier"]["enum"] == [t.value for t in Tier]
    assert schemas["Warmth"]["enum"] == [w.value for w in Warmth]


def test_openapi_documents_every_api_route(app):
    documented = {
        (path, method.upper()) for path, item in DOC["paths"].items() for method in item
    }
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = rule.rule.removeprefix("/api/v1").replace("<int:", "{").replace(">", "}")
            routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed == documented


# --- follow-ups --------------------------------------------------------------------------------


def test_plan_a_follow_up_then_planning_again_moves_it(client, session, rep, token, make_customer):
    customer = make_customer(rep, "Müller AG")
    session.commit()
    body = {"customer_id": customer.id, "due_day": "2026-11-30", "kind": "call", "note": "Ask about 2027"}
    first = call(client, "POST", "/follow-ups", token=token, json=body)
    assert first.status_code == 201
    planned = first.get_json()["follow_up"]
    assert {k: planned[k] for k in ("customer_id", "customer_name", "user_id", "created_by_id", "due_day", "kind",
                                    "note", "status", "due", "days_overdue", "done_touch_id")} == {
        "customer_id": customer.id, "customer_name": "Müller AG", "user_id": rep.id, "created_by_id": rep.id,
        "due_day": "2026-11-30", "kind": "call", "note": "Ask about 2027", "status": "open", "due": False,
        "days_overdue": 0, "done_touch_id": None}
    moved = call(client, "POST", "/follow-ups", token=token,
                 json={"customer_id": customer.id, "due_day": "2026-11-27"})
    assert moved.status_code == 200
    assert moved.get_json()["follow_up"]["id"] == planned["id"]
    assert (moved.get_json()["follow_up"]["due"], moved.get_json()["follow_up"]["kind"]) == (True, None)
    shown = call(client, "GET", "/customers/{customer_id}", token=token, params={"customer_id": customer.id})
    assert shown.get_json()["customer"]["next_follow_up"] == {"id": planned["id"], "due_day": "2026-11-27",
                                                              "kind": None}


def test_list_get_move_and_drop_follow_ups(client, session, rep, token, make_customer):
    soon, later = make_customer(rep, "Soon AG"), make_customer(rep, "Later KG")
    session.commit()
    for customer, day in ((later, "2026-12-20"), (soon, "2026-11-27")):
        assert call(client, "POST", "/follow-ups", token=token,
                    json={"customer_id": customer.id, "due_day": day}).status_code == 201
    listed = call(client, "GET", "/follow-ups", token=token).get_json()["follow_ups"]
    assert [f["customer_name"] for f in listed] == ["Soon AG", "Later KG"]
    due = call(client, "GET", "/follow-ups", token=token, query_string={"filter": "due"}).get_json()["follow_ups"]
    assert [f["customer_name"] for f in due] == ["Soon AG"]
    later_id = listed[1]["id"]
    moved = call(client, "PATCH", "/follow-ups/{follow_up_id}", token=token, params={"follow_up_id": later_id},
                 json={"kind": "letter"})
    assert moved.status_code == 200
    assert (moved.get_json()["follow_up"]["kind"], moved.get_json()["follow_up"]["due_day"]) == ("letter", "2026-12-20")
    dropped = client.delete(f"/api/v1/follow-ups/{later_id}", headers={"Authorization": f"Bearer {token}"})
    assert dropped.status_code == 204
    shown = call(client, "GET", "/follow-ups/{follow_up_id}", token=token, params={"follow_up_id": later_id})
    assert shown.get_json()["follow_up"]["status"] == "dropped" and shown.get_json()["follow_up"]["dropped_at"]
    for method, kwargs in (("PATCH", {"json": {"due_day": "2026-12-01"}}), ("DELETE", {})):
        again = call(client, method, "/follow-ups/{follow_up_id}", token=token, params={"follow_up_id": later_id},
                     **kwargs)
        assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"
    assert [f["customer_name"] for f in call(client, "GET", "/follow-ups", token=token).get_json()["follow_ups"]] \
        == ["Soon AG"]


def test_a_touch_through_the_api_does_the_follow_up(client, session, rep, token, make_customer):
    customer = make_customer(rep, "Müller AG")
    session.commit()
    planned = call(client, "POST", "/follow-ups", token=token,
                   json={"customer_id": customer.id, "due_day": "2026-12-01"}).get_json()["follow_up"]
    touch = call(client, "POST", "/touches", token=token,
                 json={"customer_id": customer.id, "kind": "email", "client_id": "offline-1"}).get_json()["touch"]
    shown = call(client, "GET", "/follow-ups/{follow_up_id}", token=token,
                 params={"follow_up_id": planned["id"]}).get_json()["follow_up"]
    assert (shown["status"], shown["done_touch_id"], shown["due"]) == ("done", touch["id"], False)
    # The offline outbox replays the same touch: nothing changes.
    assert call(client, "POST", "/touches", token=token,
                json={"customer_id": customer.id, "kind": "email", "client_id": "offline-1"}).status_code == 200
    assert call(client, "GET", "/follow-ups", token=token).get_json()["follow_ups"] == []


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"due_day": "2026-11-26"}, "due_day", "a date in the past"),
        ({"due_day": "2027-11-28"}, "due_day", "365"),
        ({"due_day": "27.11.2026"}, "due_day", "like 2026-12-31"),
        ({"due_day": 20261130}, "due_day", "like 2026-12-31"),
        ({}, "due_day", "Please choose a day"),
        ({"due_day": "2026-11-30", "kind": "fax"}, "kind", "Unknown kind"),
        ({"due_day": "2026-11-30", "kind": 3}, "kind", "Unknown kind"),
        ({"due_day": "2026-11-30", "note": "x" * 501}, "note", "500"),
        ({"due_day": "2026-11-30", "customer_id": "1"}, "customer_id", "whole number"),
        ({"due_day": "2026-11-30", "customer_id": None}, "customer_id", "choose a customer"),
    ],
)
def test_bad_follow_up_fields_are_422_with_the_forms_messages(client, session, rep, token, make_customer, body,
                                                              field, message):
    customer = make_customer(rep)
    session.commit()
    response = call(client, "POST", "/follow-ups", token=token, json={"customer_id": customer.id, **body})
    assert response.status_code == 422
    assert message in response.get_json()["error"]["fields"][field]
    assert call(client, "GET", "/follow-ups", token=token).get_json()["follow_ups"] == []


def test_another_organisations_follow_up_or_customer_is_a_404(client, session, rep, token, make_user, make_customer):
    stranger = make_user()
    theirs = make_customer(stranger, "Not yours")
    stranger_token = tokens.create_token(session, stranger, name="x", now=NOW).plaintext
    session.commit()
    planned = call(client, "POST", "/follow-ups", token=stranger_token,
                   json={"customer_id": theirs.id, "due_day": "2026-12-01"}).get_json()["follow_up"]
    assert call(client, "POST", "/follow-ups", token=token,
                json={"customer_id": theirs.id, "due_day": "2026-12-01"}).status_code == 404
    params = {"follow_up_id": planned["id"]}
    assert call(client, "GET", "/follow-ups/{follow_up_id}", token=token, params=params).status_code == 404
    assert call(client, "PATCH", "/follow-ups/{follow_up_id}", token=token, params=params,
                json={"due_day": "2026-12-02"}).status_code == 404
    assert call(client, "DELETE", "/follow-ups/{follow_up_id}", token=token, params=params).status_code == 404
    assert call(client, "GET", "/follow-ups", token=token).get_json()["follow_ups"] == []
    assert call(client, "GET", "/follow-ups/{follow_up_id}", token=stranger_token,
                params=params).get_json()["follow_up"]["due_day"] == "2026-12-01"


def test_follow_ups_with_the_session_need_the_csrf_header(app, client, session, rep, login, make_customer):
    customer = make_customer(rep)
    login(rep)
    app.config["WTF_CSRF_ENABLED"] = True
    body = {"customer_id": customer.id, "due_day": "2026-12-01"}
    assert call(client, "POST", "/follow-ups", json=body).status_code == 400
    token = csrf_token_from(client.get("/settings/").get_data(as_text=True))
    assert call(client, "POST", "/follow-ups", json=body, headers={"X-CSRFToken": token}).status_code == 201


@pytest.mark.parametrize("value", ["all", "DUE", ""])
def test_an_unknown_follow_up_filter_is_422(client, token, value):
    response = call(client, "GET", "/follow-ups", token=token, query_string={"filter": value})
    assert response.status_code == (200 if value == "" else 422)
