"""JSON API v1: touches, the signed-in rep, customers, follow-ups; described by ``/api/v1/openapi.json``.

Two ways in: the browser session (Flask-Login) with the ``X-CSRFToken`` header on writes, or a
personal access token in ``Authorization: Bearer tb_...``, which needs no CSRF token (no
browser attaches it on its own) and never starts a cookie session.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import refresh as refresh_locale
from flask_login import current_user

from .. import badges, clock, follow_ups, openapi
from ..extensions import csrf, db, login_manager
from ..models import Customer, FollowUp, PushSubscription, Touch, User
from ..operations import Conflict, Invalid, NotFound
from ..operations import awards, ledger
from ..operations import customers as customer_ops
from ..operations import follow_ups as follow_up_ops
from ..operations import push as push_ops
from ..operations import tokens as token_ops
from ..operations import touches as touch_ops
from ..queries import common as common_q
from ..queries import customers as customers_q
from ..queries import follow_ups as follow_ups_q
from ..queries import points as points_q
from ..queries import streak as streak_q
from ..queries import today as today_q
from ..streaks import StreakSummary
from ..warmth import Warmth
from ..web import BadBody, api_error, json_object
from . import celebrate

bp = Blueprint("api", __name__)
# The blueprint checks CSRF itself, and only for cookie sessions (see ``_authenticate``).
csrf.exempt(bp)

PUBLIC_ENDPOINTS = {"api.openapi_document"}
CUSTOMER_FIELDS = ("name", "company", "email", "phone", "tier", "cadence_days", "notes")


def _unauthorized(code: str, message: str):
    response, status = api_error(401, code, message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="touchbase"'
    return response, status


@bp.before_request
def _authenticate():
    """Authenticate by bearer token or by the cookie session; check CSRF for the latter."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    # Another scheme (say, Basic auth of a proxy in front of the app) leaves the session in charge.
    scheme, _sep, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer":
        user = token_ops.user_for_token(db.session, token.strip(), now=clock.now())
        if user is None:
            db.session.rollback()
            return _unauthorized("invalid_token", _("This access token is not valid or has been revoked."))
        db.session.commit()  # keeps last_used_at
        # Set the user for this request only: login_user() would start a cookie session.
        login_manager._update_request_context_with_user(user)
        refresh_locale()  # answer in the token owner's language
        g.api_auth = "bearer"
        return None
    if not current_user.is_authenticated:
        return _unauthorized("unauthorized", _("Please sign in or send an access token."))
    g.api_auth = "session"
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    return None


@bp.teardown_request
def _forget_bearer_user(_exc):
    """Drop a token's user, so that it never outlives its request (an app context can)."""
    if g.pop("api_auth", None) == "bearer":
        g.pop("_login_user", None)


@bp.errorhandler(BadBody)
def _bad_body(exc: BadBody):
    return api_error(400, "bad_request", exc.message)


@bp.errorhandler(Invalid)
def _invalid(exc: Invalid):
    db.session.rollback()
    return api_error(422, "invalid", exc.message or _("Some fields are not valid."), exc.fields)


@bp.errorhandler(NotFound)
def _not_found(_exc):
    db.session.rollback()
    return api_error(404, "not_found", _("Not found."))


@bp.errorhandler(Conflict)
def _conflict(exc: Conflict):
    db.session.rollback()
    return api_error(409, "conflict", exc.message, {exc.field: exc.message} if exc.field else None)


def _user() -> User:
    return current_user._get_current_object()


def _instant(value: datetime) -> str:
    return value.astimezone(clock.UTC).isoformat().replace("+00:00", "Z")


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def touch_json(touch: Touch) -> dict:
    """Return a touch as the API shows it."""
    return {
        "id": touch.id,
        "customer_id": touch.customer_id,
        "kind": touch.kind.value,
        "direction": touch.direction.value,
        "note": touch.note,
        "occurred_at": _instant(touch.occurred_at),
        "local_day": touch.local_day.isoformat(),
        "backfilled": bool(touch.backfilled),
        "client_id": touch.client_id,
    }


def streak_json(summary: StreakSummary) -> dict:
    """Return a streak summary as the API shows it."""
    return {
        "current": summary.current,
        "longest": summary.longest,
        "freezes": summary.freezes,
        "at_risk": summary.at_risk,
        "today_active": summary.today_active,
    }


def _locale() -> str:
    return str(get_locale() or "en")


def points_json(scored: ledger.TouchPoints | None) -> dict:
    """Return what one touch scored as the API shows it."""
    if scored is None:
        return {"points": 0, "reason": "base"}
    return {"points": scored.points, "reason": scored.reason.value}


def badge_json(badge: badges.Badge, locale: str) -> dict:
    """Return a badge as the API shows it (name in the user's language)."""
    return {"code": badge.code, "name": badge.name_in(locale)}


def customer_json(row: common_q.CustomerRow) -> dict:
    """Return a customer with its warmth as the API shows it."""
    customer: Customer = row.customer
    return {
        "id": customer.id,
        "name": customer.name,
        "company": customer.company,
        "tier": customer.tier.value,
        "cadence_days": customer.cadence_days,
        "last_touch_day": _day(customer.last_touch_day),
        "warmth": row.warmth.value,
        "status": row.status.value,
        "days_since": row.days_since,
        "archived": customer.archived_at is not None,
        "next_follow_up": None if row.follow_up is None else {
            "id": row.follow_up.id,
            "due_day": row.follow_up.due_day.isoformat(),
            "kind": row.follow_up.kind.value if row.follow_up.kind else None,
        },
    }


def follow_up_json(follow_up: FollowUp, *, now: datetime) -> dict:
    """Return a follow-up as the API shows it; due and overdue on its rep's today."""
    today = follow_up.user.today(now)
    status = "open" if follow_up.is_open else "done" if follow_up.done_at else "dropped"
    return {
        "id": follow_up.id,
        "customer_id": follow_up.customer_id,
        "customer_name": follow_up.customer.name,
        "user_id": follow_up.user_id,
        "created_by_id": follow_up.created_by_id,
        "due_day": follow_up.due_day.isoformat(),
        "kind": follow_up.kind.value if follow_up.kind else None,
        "note": follow_up.note,
        "status": status,
        "due": status == "open" and follow_ups.is_due(follow_up.due_day, today=today),
        "days_overdue": follow_ups.days_overdue(follow_up.due_day, today=today) if status == "open" else 0,
        "created_at": _instant(follow_up.created_at),
        "updated_at": _instant(follow_up.updated_at) if follow_up.updated_at else None,
        "done_at": _instant(follow_up.done_at) if follow_up.done_at else None,
        "done_touch_id": follow_up.done_touch_id,
        "dropped_at": _instant(follow_up.dropped_at) if follow_up.dropped_at else None,
    }


def user_json(user: User) -> dict:
    """Return the user's profile and settings as the API shows them."""
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "role": user.role.value,
        "timezone": user.timezone,
        "locale": user.locale,
        "workdays": sorted(user.workday_set),
        "daily_goal": user.daily_goal,
        "day_start_hour": user.day_start_hour,
    }


def _parse_touch(data: dict) -> dict:
    """Check the JSON types of a touch; the operation checks the values."""
    errors: dict[str, str] = {}
    customer_id = data.get("customer_id")
    if customer_id is None:
        errors["customer_id"] = _("Please choose a customer.")
    elif not isinstance(customer_id, int) or isinstance(customer_id, bool):
        errors["customer_id"] = _("customer_id must be a whole number.")
    kind = data.get("kind")
    if not isinstance(kind, str):
        errors["kind"] = _("Unknown kind of touch.")
    for name in ("note", "direction", "client_id"):
        if data.get(name) is not None and not isinstance(data[name], str):
            errors[name] = _("Please enter text.")
    occurred_at = None
    raw = data.get("occurred_at")
    if raw is not None:
        try:
            if not isinstance(raw, str):
                raise ValueError
            occurred_at = datetime.fromisoformat(raw.strip())
            if occurred_at.tzinfo is None or occurred_at.utcoffset() is None:
                errors["occurred_at"] = _(
                    "The time needs a time zone offset, like 2026-11-27T09:30:00+01:00."
                )
                occurred_at = None
            else:
                occurred_at = occurred_at.astimezone(clock.UTC)
        except (ValueError, OverflowError):
            errors["occurred_at"] = _("Please send a time like 2026-11-27T09:30:00+01:00.")
            occurred_at = None
    if errors:
        raise Invalid(errors)
    return {
        "customer_id": customer_id,
        "kind": kind,
        "note": data.get("note"),
        "direction": data.get("direction"),
        "client_id": data.get("client_id"),
        "occurred_at": occurred_at,
    }


@bp.post("/touches")
def create_touch():
    """Log a touch; a repeated ``client_id`` answers 200 with the touch already stored."""
    user = _user()
    fields = _parse_touch(json_object())
    now = clock.now()
    result = touch_ops.log_touch(db.session, user=user, now=now, **fields)
    db.session.commit()
    summary = streak_q.summary(db.session, user, today=user.today(now))
    locale = _locale()
    body = {
        "touch": touch_json(result.touch),
        "streak": streak_json(summary),
        "points": points_json(result.points),
        "badges": [badge_json(b, locale) for b in result.badges],
        # What the page that sent it (the offline outbox's replay) celebrates, in the user's language.
        "moments": celebrate.moment_details(result.badges, result.moments),
    }
    return jsonify(body), 201 if result.created else 200


@bp.get("/me")
def me():
    """Return the signed-in user, their streak, today's progress, points and badges."""
    user = _user()
    now = clock.now()
    today = user.today(now)
    totals = points_q.totals(db.session, user, today=today, with_total=True)
    locale = _locale()
    return jsonify(
        user=user_json(user),
        today=today.isoformat(),
        streak=streak_json(streak_q.summary(db.session, user, today=today)),
        today_touches=today_q.touches_on(db.session, user, today),
        daily_goal=user.daily_goal,
        points={"today": totals.today, "week": totals.week, "total": totals.total},
        badges=[
            {**badge_json(a.badge, locale), "awarded_at": _instant(a.awarded_at)}
            for a in awards.held_awards(db.session, user)
        ],
    )


@bp.get("/customers")
def list_customers():
    """List the customers the user sees, most urgent first, optionally by warmth."""
    user = _user()
    warmth = request.args.get("warmth") or None
    if warmth is not None and warmth not in {w.value for w in Warmth}:
        raise Invalid(
            {"warmth": _("Warmth must be one of: %(values)s.", values=", ".join(w.value for w in Warmth))}
        )
    today = user.today(clock.now())
    rows = customers_q.customer_rows(db.session, user, today=today, warmth_filter=warmth)
    return jsonify(customers=[customer_json(row) for row in rows])


@bp.post("/customers")
def create_customer():
    """Create a customer owned by the user."""
    user = _user()
    data = json_object()
    values = {name: data.get(name) for name in CUSTOMER_FIELDS}
    provided = frozenset(name for name in CUSTOMER_FIELDS if name in data)
    now = clock.now()
    customer = customer_ops.create_customer(
        db.session, owner=user, data=customer_ops.CustomerInput(**values, provided=provided), now=now
    )
    db.session.commit()
    row = common_q.customer_row(customer, user.today(now))
    return jsonify(customer=customer_json(row)), 201


@bp.get("/customers/<int:customer_id>")
def show_customer(customer_id: int):
    """Return one customer the user may see, with its next planned touch; anything else is a 404."""
    user = _user()
    customer = customer_ops.get_customer(db.session, user, customer_id)
    row = common_q.customer_row(customer, user.today(clock.now()),
                                follow_up=follow_ups_q.open_for_customer(db.session, customer.id))
    return jsonify(customer=customer_json(row))


FOLLOW_UP_FILTERS = ("open", "due")
FOLLOW_UP_FIELDS = ("due_day", "kind", "note")


def _follow_up_fields(data: dict) -> dict:
    """Check the JSON types of a follow-up's fields that were sent; the operation checks the values."""
    errors: dict[str, str] = {}
    if "due_day" in data and not isinstance(data["due_day"], str):
        errors["due_day"] = _("Please enter a date like 2026-12-31.")
    for name in ("kind", "note"):
        if data.get(name) is not None and not isinstance(data[name], str):
            errors[name] = _("Please enter text.") if name == "note" else _("Unknown kind of touch.")
    if errors:
        raise Invalid(errors)
    return {name: data[name] for name in FOLLOW_UP_FIELDS if name in data}


@bp.get("/follow-ups")
def list_follow_ups():
    """List the caller's open follow-ups of active customers, earliest first; ``filter=due`` for those due today."""
    user = _user()
    wanted = request.args.get("filter") or "open"
    if wanted not in FOLLOW_UP_FILTERS:
        raise Invalid({"filter": _("Filter must be one of: %(values)s.", values=", ".join(FOLLOW_UP_FILTERS))})
    now = clock.now()
    rows = follow_ups_q.own_open(db.session, user, due_on=user.today(now) if wanted == "due" else None)
    return jsonify(follow_ups=[follow_up_json(row, now=now) for row in rows])


@bp.post("/follow-ups")
def plan_follow_up():
    """Plan the next touch with a customer: 201 when new; 200 when the customer's open one was moved."""
    data = json_object()
    customer_id = data.get("customer_id")
    if customer_id is None or not isinstance(customer_id, int) or isinstance(customer_id, bool):
        raise Invalid({"customer_id": _("Please choose a customer.") if customer_id is None
                       else _("customer_id must be a whole number.")})
    fields = _follow_up_fields(data)
    now = clock.now()
    planned = follow_up_ops.plan_follow_up(db.session, actor=_user(), customer_id=customer_id,
                                           due_day=fields.get("due_day"), kind=fields.get("kind"),
                                           note=fields.get("note"), now=now)
    db.session.commit()
    return jsonify(follow_up=follow_up_json(planned.follow_up, now=now)), 201 if planned.created else 200


@bp.get("/follow-ups/<int:follow_up_id>")
def show_follow_up(follow_up_id: int):
    """Return one follow-up of a customer the user may see, in any state; anything else is a 404."""
    follow_up = follow_up_ops.get_follow_up(db.session, _user(), follow_up_id)
    return jsonify(follow_up=follow_up_json(follow_up, now=clock.now()))


@bp.patch("/follow-ups/<int:follow_up_id>")
def move_follow_up(follow_up_id: int):
    """Move an open follow-up: change the fields sent (day, kind, note); a done or dropped one is a 409."""
    follow_up = follow_up_ops.get_follow_up(db.session, _user(), follow_up_id)
    fields = _follow_up_fields(json_object())
    now = clock.now()
    follow_up_ops.move_follow_up(db.session, follow_up, now=now, **fields)
    db.session.commit()
    return jsonify(follow_up=follow_up_json(follow_up, now=now))


@bp.delete("/follow-ups/<int:follow_up_id>")
def drop_follow_up(follow_up_id: int):
    """Drop an open follow-up: 204; a done or dropped one is a 409."""
    follow_up = follow_up_ops.get_follow_up(db.session, _user(), follow_up_id)
    follow_up_ops.drop_follow_up(db.session, follow_up, now=clock.now())
    db.session.commit()
    return "", 204


def subscription_json(subscription: PushSubscription) -> dict:
    """Return a push subscription as the API shows it (never its keys)."""
    return {
        "id": subscription.id,
        "endpoint": subscription.endpoint,
        "created_at": _instant(subscription.created_at),
        "last_success_at": _instant(subscription.last_success_at) if subscription.last_success_at else None,
    }


@bp.post("/push/subscriptions")
def save_push_subscription():
    """Store this browser's push subscription: 201 when new, 200 when the endpoint was known."""
    config = current_app.config
    data = json_object()
    saved = push_ops.save_subscription(
        db.session, _user(), endpoint=data.get("endpoint"), keys=data.get("keys"),
        user_agent=request.headers.get("User-Agent"), now=clock.now(),
        hosts=config["PUSH_ENDPOINT_HOSTS"], allow_http=bool(config["PUSH_ALLOW_HTTP"]),
    )
    db.session.commit()
    return jsonify(subscription=subscription_json(saved.subscription)), 201 if saved.created else 200


@bp.delete("/push/subscriptions")
def delete_push_subscription():
    """Delete one of the user's push subscriptions by its endpoint; 204, or 404 when unknown."""
    data = json_object()
    push_ops.delete_subscription(db.session, _user(), endpoint=data.get("endpoint"))
    db.session.commit()
    return "", 204


@bp.get("/openapi.json")
def openapi_document():
    """Return the OpenAPI 3.1 document of this API (public)."""
    return jsonify(openapi.document(session_cookie=current_app.config["SESSION_COOKIE_NAME"]))
