"""The authorization matrix: every route that takes an object id, tried by people who must not reach it.

The routes come from the app's URL map. A route whose URL takes an id (an ``int`` converter, a
parameter named ``*_id``, ``id`` or ``token``) must have an entry in ``CASES`` that says which
object fills each parameter, or in ``EXEMPT`` with the reason; a new route without one fails
``test_every_route_with_an_id_is_in_the_matrix``, so none can be forgotten.

Two organisations, A and B, are built alike: a coach, a rep and a second rep in one team, and one
object of every kind. For each route and each of its methods:

- a coach and a rep of B, with A's object, get a 404 (never a 403, which would tell it exists);
- where a route takes several ids, B's owner with one of them swapped for A's gets a 404;
- a private object (customer, touch, follow-up, away period, API token, push device) is a 404 for the
  other rep of the same team; a coach's object (invite, team holiday, a rep's coach pages) is a 404
  for a rep of the same team;
- then the owner gets through (no 404, no 500), which proves the URL was right and that the
  attempts above changed nothing; a GET must be a 200 with ``Cache-Control: no-store``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from werkzeug.routing import IntegerConverter

from app import clock
from app.kinds import Role
from app.models import Challenge
from app.operations import away, invites, members, tokens
from app.operations import follow_ups as follow_up_ops
from app.operations import push as push_ops
from app.operations import touches as touch_ops
from fake_push import b64url

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Case:
    """How to reach one route: which object of a world fills each URL parameter, and who owns it."""

    params: dict[str, str]  # URL parameter -> attribute of World holding the value
    owner: str = "rep"  # the member of the world who may use it: "rep" or "coach"
    private: bool = False  # the other rep of the same team must get a 404
    coach_only: bool = False  # a rep of the same team must get a 404
    form: dict = field(default_factory=dict)


CUSTOMER = {"customer_id": "customer"}
TOUCH = {"touch_id": "touch"}
FOLLOW_UP = {"follow_up_id": "follow_up"}

CASES: dict[str, Case] = {
    "api.show_customer": Case(CUSTOMER, private=True),
    "customers.detail": Case(CUSTOMER, private=True),
    "customers.edit": Case(CUSTOMER, private=True),
    "customers.update": Case(CUSTOMER, private=True, form={"name": "Renamed"}),
    "customers.archive": Case(CUSTOMER, private=True),
    "customers.restore": Case({"customer_id": "archived_customer"}, private=True),
    "touches.show": Case(TOUCH, private=True),
    "touches.edit": Case(TOUCH, private=True, form={"kind": "call"}),
    "touches.delete": Case(TOUCH, private=True),
    "touches.undo": Case(TOUCH, private=True),
    "settings.delete_away": Case({"period_id": "away"}, private=True),
    "settings.revoke_token": Case({"token_id": "token"}, private=True),
    "push.remove": Case({"subscription_id": "subscription"}, private=True),
    "team.revoke_invite": Case({"invite_id": "invite"}, owner="coach", coach_only=True),
    "team.delete_holiday": Case({"holiday_id": "holiday"}, owner="coach", coach_only=True),
    "team.rep": Case({"rep_id": "rep"}, owner="coach", coach_only=True),
    "team.rep_touches": Case({"rep_id": "rep"}, owner="coach", coach_only=True),
    "team.give_kudos": Case({"rep_id": "rep", "touch_id": "touch"}, owner="coach", coach_only=True,
                              form={"note": "Well done"}),
    "team.kudos": Case({"rep_id": "rep"}, owner="coach", coach_only=True),
    "team.member": Case({"member_id": "rep"}, owner="coach", coach_only=True),
    "team.change_role": Case({"member_id": "rep"}, owner="coach", coach_only=True, form={"role": "rep"}),
    "team.hand_over": Case({"member_id": "rep"}, owner="coach", coach_only=True, form={"to": ""}),
    "team.remove_member": Case({"member_id": "rep"}, owner="coach", coach_only=True, form={"to": ""}),
    "team.restore_member": Case({"member_id": "removed"}, owner="coach", coach_only=True),
    "challenges.show": Case({"challenge_id": "challenge"}),
    # A rep's 1:1 sheet: their coach, and the rep themself (tests/views/test_trends_views.py), nobody else.
    "trends.sheet": Case({"rep_id": "rep"}, owner="coach", private=True),
    "trends.sheet_csv": Case({"rep_id": "rep"}, owner="coach", private=True),
    "challenges.edit": Case({"challenge_id": "challenge"}, owner="coach", coach_only=True, form={"title": "Renamed"}),
    "challenges.end": Case({"challenge_id": "challenge"}, owner="coach", coach_only=True),
    "challenges.delete": Case({"challenge_id": "challenge"}, owner="coach", coach_only=True),
    "customers.plan_follow_up": Case(CUSTOMER, private=True, form={"due_day": "", "kind": "call"}),
    "customers.drop_follow_up": Case(CUSTOMER, private=True),
    "api.show_follow_up": Case(FOLLOW_UP, private=True),
    "api.move_follow_up": Case(FOLLOW_UP, private=True),
    "api.drop_follow_up": Case(FOLLOW_UP, private=True),
}

EXEMPT = {
    "static": "serves files by name; no object behind it",
    "auth.join": "the invite token is itself the permission (a secret link); tests/test_invites.py "
                 "checks that unknown, used, expired and revoked tokens are a 404",
    "calendar.feed": "the feed token is itself the permission (a secret address); tests/views/test_calendar_feed.py "
                     "checks that unknown, replaced and revoked tokens are a 404 and that nobody else's "
                     "follow-ups appear",
    "auth.reset_password": "the reset token is itself the permission (a secret link by mail); "
                           "tests/views/test_password_reset.py checks that unknown, used and expired tokens are a 410",
    "settings.unsubscribe_weekly": "the signed token in the weekly mail is itself the permission (it only switches "
                                   "the mail off); tests/operations/test_weekly_mail.py checks that a forged one "
                                   "is a 404",
}


def _takes_an_id(rule) -> bool:
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter) or name == "id" or name.endswith("_id") or name == "token":
            return True
    return False


def test_every_route_with_an_id_is_in_the_matrix(app):
    with_ids = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules() if _takes_an_id(rule) or rule.arguments}
    unknown = sorted(f"{rule} ({endpoint})" for endpoint, rule in with_ids.items()
                     if endpoint not in CASES and endpoint not in EXEMPT)
    assert not unknown, (
        "These routes take an object id, but the authorization matrix does not know how to fill them. "
        "Add each to CASES in tests/test_authz_matrix.py (which object, who owns it, is it private), "
        "or to EXEMPT with the reason:\n  " + "\n  ".join(unknown)
    )
    stale = sorted(set(CASES) - set(with_ids))
    assert not stale, f"CASES names routes that no longer exist: {stale}"


# -- Two organisations, built alike ---------------------------------------------------------------

@dataclass
class World:
    """One organisation: its people and one object of every kind, as ids."""

    coach: object
    rep: object
    rep2: object
    values: dict[str, object]
    bearer: dict[int, str]


def _device_keys() -> dict[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"p256dh": b64url(public), "auth": b64url(b"0123456789abcdef")}


def _build(session, make_org, make_user, make_customer, label: str) -> World:
    now = clock.now()
    team = make_org(f"Org {label}")
    coach = make_user(team=team, role=Role.coach, name=f"Coach {label}")
    rep = make_user(team=team, name=f"Rep {label}")
    rep2 = make_user(team=team, name=f"Second rep {label}")
    customer = make_customer(rep, f"Customer {label}", now=now)
    archived = make_customer(rep, f"Archived {label}", now=now)
    archived.archived_at = now
    touch = touch_ops.log_touch(session, user=rep, customer_id=customer.id, kind="call", now=now).touch
    today = rep.today(now)
    follow_up = follow_up_ops.plan_follow_up(session, actor=rep, customer_id=customer.id,
                                             due_day=today + timedelta(days=3), now=now).follow_up
    period = away.add_away_period(session, rep, {
        "first_day": (today + timedelta(days=20)).isoformat(), "last_day": (today + timedelta(days=22)).isoformat(),
        "reason": "vacation", "note": "",
    }, now=now)
    holiday = away.add_team_holiday(session, coach, {
        "name": f"Holiday {label}", "first_day": (today + timedelta(days=30)).isoformat(),
        "last_day": (today + timedelta(days=30)).isoformat(),
    }, now=now)
    invite = invites.create_invite(session, coach, now=now).invite
    token = tokens.create_token(session, rep, name=f"Phone {label}", now=now).token
    subscription = push_ops.save_subscription(
        session, rep, endpoint=f"https://fcm.googleapis.com/fcm/send/{label}-device", keys=_device_keys(),
        user_agent="test", now=now, hosts=["fcm.googleapis.com"],
    ).subscription
    challenge = Challenge(
        organization_id=coach.organization_id, team_id=coach.team_id, created_by_id=coach.id,
        title=f"Challenge {label}", description=None, metric="team_touches", target=10,
        starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=6), created_at=now,
    )
    session.add(challenge)
    removed = make_user(team=team, name=f"Removed rep {label}")
    members.remove_member(session, coach, removed.id, now=now)
    session.flush()
    bearer = {u.id: tokens.create_token(session, u, name="matrix", now=now).plaintext for u in (coach, rep, rep2)}
    session.commit()
    values = {
        "customer": customer.id, "archived_customer": archived.id, "touch": touch.id, "away": period.id,
        "holiday": holiday.id, "invite": invite.id, "token": token.id, "subscription": subscription.id,
        "challenge": challenge.id, "rep": rep.id, "follow_up": follow_up.id, "removed": removed.id,
    }
    return World(coach, rep, rep2, values, bearer)


@pytest.fixture
def worlds(session, make_org, make_user, make_customer):
    """Organisations A and B, each with one object of every kind."""
    return (_build(session, make_org, make_user, make_customer, "A"),
            _build(session, make_org, make_user, make_customer, "B"))


# -- Requests as someone ---------------------------------------------------------------------------

def _request(app, world: World, user, path: str, method: str, form: dict):
    """Send *method* to *path* as *user*: bearer token for the API, a signed-in session otherwise."""
    client = app.test_client()
    headers = {}
    if path.startswith("/api/"):
        headers["Authorization"] = f"Bearer {world.bearer[user.id]}"
    else:
        with client.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
    kwargs = {"headers": headers}
    if method != "GET":
        kwargs["data"] = form
    return client.open(path, method=method, **kwargs)


def _path(app, endpoint: str, params: dict) -> str:
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **params)


def _values(case: Case, world: World) -> dict:
    return {param: world.values[attr] for param, attr in case.params.items()}


def _methods(app, endpoint: str) -> list[str]:
    methods = set()
    for rule in app.url_map.iter_rules(endpoint):
        methods |= rule.methods
    return [m for m in METHODS if m in methods]


@pytest.mark.parametrize("endpoint", sorted(CASES))
def test_nobody_but_the_owner_reaches_the_object(app, worlds, endpoint):
    if endpoint not in app.view_functions:
        pytest.fail(f"{endpoint} is in CASES but not in the app")
    a, b = worlds
    case = CASES[endpoint]
    methods = _methods(app, endpoint)
    assert methods, endpoint
    path_a = _path(app, endpoint, _values(case, a))

    intruders = [("coach of another organisation", b, b.coach), ("rep of another organisation", b, b.rep)]
    if case.private:
        intruders.append(("another rep of the same team", a, a.rep2))
    if case.coach_only:
        intruders.append(("a rep of the same team", a, a.rep2))
    attempts = [(who, world, user, path_a) for who, world, user in intruders]
    if len(case.params) > 1:  # each id swapped in alone, the others the intruder's own
        own = getattr(b, case.owner)
        for param in case.params:
            mixed = {**_values(case, b), param: a.values[case.params[param]]}
            attempts.append((f"{case.owner} of B with A's {param}", b, own, _path(app, endpoint, mixed)))

    for method in methods:
        for who, world, user, path in attempts:
            response = _request(app, world, user, path, method, case.form)
            assert response.status_code == 404, f"{method} {path} as {who}: {response.status_code}"

    owner = getattr(a, case.owner)
    for method in methods:  # GET first, so that a POST that deletes comes last
        response = _request(app, a, owner, path_a, method, case.form)
        assert response.status_code != 404 and response.status_code < 500, (
            f"{method} {path_a} as its owner: {response.status_code}")
        if method == "GET":
            assert response.status_code == 200, f"GET {path_a} as its owner: {response.status_code}"
            assert response.headers.get("Cache-Control") == "no-store", f"GET {path_a}: not no-store"


@pytest.mark.parametrize("endpoint", sorted(CASES))
def test_an_id_beyond_what_the_database_holds_is_a_404(app, worlds, endpoint):
    # Ids are 32-bit integers: a bigger one (which the int converter parses) must not reach the
    # database, where PostgreSQL would fail the query (a 500) rather than find nothing.
    a, _b = worlds
    case = CASES[endpoint]
    owner = getattr(a, case.owner)
    for param in case.params:
        for huge in (2**31, 2**63 - 1, 2**64 + 7):
            path = _path(app, endpoint, {**_values(case, a), param: huge})
            for method in _methods(app, endpoint):
                response = _request(app, a, owner, path, method, case.form)
                # 405 where another route has the same path for another method (werkzeug checks the
                # method before the converter); either way nothing is looked up.
                assert response.status_code in (404, 405), f"{method} {path}: {response.status_code}"
