"""Hypothesis over every route of the URL map: hostile path values, query and form fields, JSON bodies.

Each route and method is requested as a rep, a coach, an admin and signed out, with ids of the
user's own objects, another organisation's, and impossible ones, and with the field names the
app reads (collected from the views, the templates and the operations' field lists, so a new
field is fuzzed too) set to hostile values: NUL bytes, lone surrogates in JSON, very long and
odd Unicode text, impossible dates and numbers, unknown time zones, markup. No answer may be a
5xx, nothing may log a traceback, and an answer of 4xx must leave every table as it was. The
number of examples per route is ``FUZZ_EXAMPLES`` (default 6), so it runs inside ``make test``.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import ImmutableMultiDict

from app import ROOT, clock
from app.extensions import db
from app.kinds import Role
from app.operations import away, challenges, follow_ups, invites, push as push_ops, tokens
from app.operations import touches as touch_ops
from views.test_fuzz_forms import NASTY, TEXT, row_counts

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
SKIP = {"static"}  # files from disk, no code of the app's
# A value of a path argument by its name: the world's own object, another organisation's, none.
PATH_ARGS = {
    "customer_id": ("customer", "other_customer"),
    "touch_id": ("touch", "rep_touch", "other_touch"),
    "challenge_id": ("challenge", "other_challenge"),
    "rep_id": ("rep_id", "other_rep"),
    "member_id": ("rep_id", "other_rep"),
    "member_id": ("rep_id", "other_rep"),
    "subscription_id": ("subscription",),
    "token_id": ("token",),
    "period_id": ("period",),
    "holiday_id": ("holiday",),
    "invite_id": ("invite_id",),
    "token": ("invite",),
    "follow_up_id": ("follow_up", "other_follow_up"),
}
IMPOSSIBLE_IDS = ["0", "2147483647", "2147483648", "99999999999999999999", "-1"]


def _field_names() -> list[str]:
    """Return every field name the app reads from a query, a form or a JSON body."""
    names: set[str] = set()
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        names.update(re.findall(r'name="([a-z_]+)"', text))
        names.update(re.findall(r"\b(?:text|field|select)\('([a-z_]+)'", text))
    for folder in ("app/views", "app/operations"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            names.update(re.findall(r'\.get(?:list)?\(\s*"([a-z_]+)"', text))
            for group in re.findall(r"[A-Z_]*FIELDS\s*=\s*\(([^)]*)\)", text):
                names.update(re.findall(r'"([a-z_]+)"', group))
    return sorted(names - {"csrf_token", "viewport"})


FIELD_NAMES = _field_names()
HOSTILE = st.one_of(st.sampled_from(NASTY), TEXT, st.integers(-(10**20), 10**20).map(str))
JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False),
              st.sampled_from(NASTY + ["\ud800", "a\udfffb", "2026-11-27T10:00:00Z", "call", "A"]), st.text(max_size=50)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELD_NAMES), inner, max_size=3),
    max_leaves=8,
)


def _routes(app) -> list[tuple[str, str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP:
            continue
        for method in sorted(set(rule.methods) & set(METHODS)):
            found.append((rule.rule, method, rule.endpoint))
    return sorted(found)


@pytest.fixture
def world(session, make_org, make_user, make_customer, frozen_clock):
    """An organisation with an admin, a coach and a rep, each with data; and another organisation's."""
    now = clock.now()
    team = make_org()
    admin = make_user(team=team, role=Role.admin)
    coach = make_user(team=team, role=Role.coach)
    rep = make_user(team=team)
    customer = make_customer(rep, "Fuzz customer", now=now)
    touch = touch_ops.log_touch(session, user=rep, customer_id=customer.id, kind="call", now=now).touch
    coach_customer = make_customer(coach, "Coach's customer", now=now)
    rep_touch = touch_ops.log_touch(session, user=coach, customer_id=coach_customer.id, kind="visit", now=now).touch
    other = make_user(role=Role.coach)
    other_customer = make_customer(other, "Elsewhere AG", now=now)
    other_touch = touch_ops.log_touch(session, user=other, customer_id=other_customer.id, kind="email", now=now).touch
    values = {"title": "Storm", "metric": "team_touches", "target": "5",
              "starts_at": "2026-11-23T08:00", "ends_at": "2026-12-04T18:00"}
    challenge = challenges.create_challenge(session, coach, values, now=now)
    other_challenge = challenges.create_challenge(session, other, values, now=now)
    new_invite = invites.create_invite(session, coach, now=now)
    token = tokens.create_token(session, rep, name="phone", now=now).token
    period = away.add_away_period(session, rep, {"first_day": "2026-12-20", "last_day": "2026-12-24"}, now=now)
    holiday = away.add_team_holiday(session, coach, {"first_day": "2026-12-25", "last_day": "2026-12-26",
                                                     "name": "Christmas"}, now=now)
    subscription = push_ops.save_subscription(
        session, rep, endpoint="https://fcm.googleapis.com/fcm/send/fuzz", now=now, user_agent=None,
        keys={"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
              "auth": "tBHItJI5svbpez7KI4CCXg"}, hosts=["fcm.googleapis.com"]).subscription
    follow_up = follow_ups.plan_follow_up(session, actor=rep, customer_id=customer.id, due_day="2026-11-30",
                                          kind="call", now=now).follow_up
    other_follow_up = follow_ups.plan_follow_up(session, actor=other, customer_id=other_customer.id,
                                                due_day="2026-11-30", now=now).follow_up
    session.commit()
    return {
        "follow_up": follow_up.id, "other_follow_up": other_follow_up.id,
        "admin": admin, "coach": coach, "rep": rep, "customer": customer.id, "touch": touch.id,
        "rep_touch": rep_touch.id, "other_customer": other_customer.id, "other_touch": other_touch.id,
        "challenge": challenge.id, "other_challenge": other_challenge.id, "other_rep": other.id,
        "rep_id": rep.id, "invite": new_invite.token, "invite_id": new_invite.invite.id, "token": token.id,
        "period": period.id, "holiday": holiday.id, "subscription": subscription.id,
    }


def _path_values(world, rule: str):
    """Return a strategy for the URL of *rule* with its arguments filled in."""
    parts = []
    for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", rule):
        keys = PATH_ARGS.get(name, ())
        known = [str(world[key]) for key in keys]
        if converter == "int":
            parts.append(st.sampled_from(known + IMPOSSIBLE_IDS) if known else st.sampled_from(IMPOSSIBLE_IDS))
        else:
            parts.append(st.one_of(st.sampled_from(known or ["x"]), HOSTILE))

    def fill(values):
        url = rule
        for value in values:
            url = re.sub(r"<[^>]+>", lambda _m: _quote(value), url, count=1)
        return url

    return st.tuples(*parts).map(fill) if parts else st.just(rule)


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def _client(app, world, role):
    client = app.test_client()
    if role is not None:
        user = world[role]
        db.session.refresh(user)  # a changed password rotates the session token
        with client.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
    return client


ROUTES = None


def pytest_generate_tests(metafunc):
    if "route" in metafunc.fixturenames:
        from app import create_app

        probe = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
        routes = _routes(probe)
        metafunc.parametrize("route", routes, ids=[f"{method} {rule}" for rule, method, _e in routes])


def _plausible(world) -> dict[str, object]:
    """Return a value for each common field that passes validation, so requests get past the first check."""
    return {
        "name": "Acme", "company": "Acme AG", "email": "new@example.com", "phone": "+49 30 1234", "tier": "A",
        "cadence_days": "14", "notes": "Met at the fair", "note": "Coffee", "kind": "call", "direction": "out",
        "days_back": "1", "customer_id": world["customer"], "client_id": "0b5f1c1e-9a53-4a8e-8a80-8b0f1f6c0a11",
        "timezone": "Europe/Berlin", "locale": "de", "workdays": ["0", "1", "2"], "daily_goal": "3",
        "day_start_hour": "3", "evening_hour": "18", "quiet_start_hour": "21", "quiet_end_hour": "8",
        "title": "Storm", "description": "Keep calling", "metric": "team_touches", "target": "5",
        "starts_at": "2026-11-30T08:00", "ends_at": "2026-12-04T18:00", "first_day": "2026-12-01",
        "last_day": "2026-12-02", "reason": "Flood", "message": "Call them", "q": "Acme", "warmth": "quiet",
        "part": "summary", "next": "/customers/", "password": "correct horse battery", "organization": "Acme",
        "paused_until": "2026-12-24", "owner_id": world["rep_id"], "kinds": ["badge_earned"],
        "endpoint": "https://fcm.googleapis.com/fcm/send/fuzz-2", "occurred_at": "2026-11-27T09:00:00Z",
        "current_password": "correct horse battery", "new_password": "a much newer password",
        "confirm_password": "a much newer password", "due_day": "2026-12-01", "filter": "due",
    }


def _fields(plausible: dict[str, object], hostile, *, as_json: bool = False):
    """Return a strategy of request fields: plausible values, some replaced by hostile ones, plus strays."""
    def keep(value):
        if as_json:
            return value
        return [str(v) for v in value] if isinstance(value, list) else str(value)

    base = st.fixed_dictionaries(
        {}, optional={name: st.one_of(st.just(keep(value)), st.just(keep(value)), hostile)
                      for name, value in plausible.items()})
    strays = st.dictionaries(st.sampled_from(FIELD_NAMES), hostile, max_size=2)
    return st.tuples(base, strays).map(lambda pair: {**pair[1], **pair[0]})


# The values that broke something once: a NUL (PostgreSQL refuses it in text), a lone surrogate
# (JSON only: no valid UTF-8 carries one), far too long text, the calendar's edges, huge numbers.
KILLERS = ["a\x00b", "\ud800", "x" * 100_000, "0001-01-01T00:00", "9999-12-31T23:59", "0001-01-01",
           "99999999999999999999", "-1", "Factory", "/\t/evil.test", "<script>alert(1)</script>"]


class _Recording(ImmutableMultiDict):
    """A query or form whose reads are noted in ``READ``: the fields a route really looks at."""

    def __getitem__(self, key):
        READ.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's name
        READ.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        READ.add(key)
        return super().getlist(key, type)

    def __contains__(self, key):
        READ.add(key)
        return super().__contains__(key)


class _RecordingDict(dict):
    def get(self, key, default=None):
        READ.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        READ.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        READ.add(key)
        return super().__contains__(key)


READ: set[str] = set()


@pytest.fixture
def recording(app, monkeypatch):
    """Note the names of the query, form and JSON fields the app reads while the test runs."""

    class RecordingRequest(app.request_class):
        parameter_storage_class = _Recording

        def get_json(self, *args, **kwargs):
            data = super().get_json(*args, **kwargs)
            return _RecordingDict(data) if isinstance(data, dict) else data

    monkeypatch.setattr(app, "request_class", RecordingRequest)
    READ.clear()
    return READ


def _send(app, world, method, url, role, query, form, body):
    """Send one request: a form, or for the JSON endpoints *body* as JSON; return the response."""
    client = _client(app, world, role)
    kwargs: dict = {"query_string": _as_sent(query)}
    form = _as_sent(form)
    if method != "GET":
        if url.startswith("/api/") or url == "/push/opened":
            text = body if isinstance(body, str) else json.dumps(body)
            kwargs["data"] = text.encode("utf-8", "surrogatepass")
            kwargs["content_type"] = "application/json"
        else:
            kwargs["data"] = form
    return client.open(url, method=method, **kwargs)


def _as_sent(fields: dict) -> dict:
    """Return *fields* as a browser sends them: a lone surrogate arrives as invalid UTF-8, read as U+FFFD."""
    def sent(value):
        if isinstance(value, list):
            return [sent(v) for v in value]
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")

    return {sent(name): sent(value) for name, value in fields.items()}


def _check(app, world, caplog, method, url, role, query, form, body):
    """Send one request and hold it to the rules: no 5xx, no traceback, a 4xx writes nothing."""
    before = row_counts()
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        response = _send(app, world, method, url, role, query, form, body)
    shown = (method, url, role, query, form if method != "GET" else None,
             body if method != "GET" and url.startswith(("/api/", "/push/")) else None, response.status_code)
    assert response.status_code < 500, (shown, response.get_data(as_text=True)[:400])
    tracebacks = [r.getMessage() for r in caplog.records if r.exc_info]
    assert not tracebacks, (shown, tracebacks)
    if 400 <= response.status_code < 500:
        db.session.expire_all()
        assert row_counts() == before, shown
    return response.status_code


def test_every_route_survives_hostile_requests(app, world, route, caplog, recording):
    """First learn which fields the route reads, then break each of them alone, then mix at random."""
    rule, method, _endpoint = route
    plausible = _plausible(world)
    own_url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: _quote(str(world[PATH_ARGS[m.group(1)][0]])), rule)
    text_values = {name: ([str(v) for v in value] if isinstance(value, list) else str(value))
                   for name, value in plausible.items()}
    for role in ("rep", "coach", "admin"):  # which fields does it read?
        _check(app, world, caplog, method, own_url, role, text_values, text_values, plausible)
    read = sorted(name for name in recording if isinstance(name, str))

    for name in read:  # each field it reads, alone, with each value that broke something once
        for number, killer in enumerate(KILLERS):
            for role in (("rep", "coach", "admin")[number % 3],):
                query = {**text_values, name: killer} if method == "GET" else text_values
                _check(app, world, caplog, method, own_url, role, query, {**text_values, name: killer},
                       {**plausible, name: killer})

    form_values = st.one_of(HOSTILE, st.lists(HOSTILE, min_size=2, max_size=3))
    fields = _fields(plausible, form_values)
    json_body = _fields(plausible, JSON_VALUE, as_json=True)

    @given(role=st.sampled_from(["rep", "coach", "admin", None]), url=_path_values(world, rule), query=fields,
           form=fields, body=st.one_of(json_body, json_body, st.sampled_from(['{"a": ' * 50 + "1" + "}" * 50, "[]"])))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def random_requests(role, url, query, form, body):
        _check(app, world, caplog, method, url, role, query, form, body)

    random_requests()
