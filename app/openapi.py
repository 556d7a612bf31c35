"""The OpenAPI 3.1 document of the JSON API v1, built from the app's own enums and limits.

Kinds, directions, tiers, warmth and the field limits come from the modules that enforce them,
so the document cannot drift from the code. The text is for developers and stays in English.
"""

from __future__ import annotations

from .badges import BADGES
from .follow_ups import MAX_AHEAD_DAYS, MAX_NOTE as MAX_FOLLOW_UP_NOTE
from .kinds import Direction, Role, Tier, TouchKind
from .points import Reason
from .operations.customers import MAX_NOTES
from .operations.touches import CLIENT_ID, MAX_NOTE
from .push.endpoints import ENDPOINT_MAX
from .statuses import Status
from .warmth import MAX_CADENCE, MIN_CADENCE, Warmth

VERSION = "1.0.0"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    return {**schema, "type": [schema["type"], "null"]}


def _enum(values) -> dict:
    return {"type": "string", "enum": [v.value for v in values]}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(name: str) -> dict:
    return {"$ref": f"#/components/responses/{name}"}


def _schemas() -> dict:
    streak = {
        "type": "object",
        "description": "The rep's daily streak on their local day.",
        "properties": {
            "current": {"type": "integer", "minimum": 0},
            "longest": {"type": "integer", "minimum": 0},
            "freezes": {"type": "integer", "minimum": 0, "maximum": 2},
            "at_risk": {"type": "boolean", "description": "Today is a workday and nothing is logged yet."},
            "today_active": {"type": "boolean"},
        },
        "required": ["current", "longest", "freezes", "at_risk", "today_active"],
        "additionalProperties": False,
    }
    touch = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "customer_id": {"type": "integer"},
            "kind": _ref("TouchKind"),
            "direction": _ref("Direction"),
            "note": _nullable({"type": "string", "maxLength": MAX_NOTE}),
            "occurred_at": {"type": "string", "format": "date-time", "description": "UTC instant."},
            "local_day": {
                "type": "string",
                "format": "date",
                "description": "The rep's calendar day of the touch, in their time zone at logging time.",
            },
            "backfilled": {"type": "boolean", "description": "Logged for an earlier day than the rep's today."},
            "client_id": _nullable({"type": "string", "pattern": CLIENT_ID.pattern}),
        },
        "required": [
            "id", "customer_id", "kind", "direction", "note", "occurred_at", "local_day", "backfilled", "client_id",
        ],
        "additionalProperties": False,
    }
    touch_input = {
        "type": "object",
        "properties": {
            "customer_id": {"type": "integer", "description": "A customer the user may see, not archived."},
            "kind": _ref("TouchKind"),
            "note": _nullable({
                "type": "string",
                "maxLength": MAX_NOTE,
                "description": "Required for the kind `other`.",
            }),
            "occurred_at": _nullable({
                "type": "string",
                "format": "date-time",
                "description": "ISO 8601 with an offset; on the user's today or one of the 6 local days before, "
                               "at most 5 minutes ahead. Default: now.",
            }),
            "direction": {**_ref("Direction"), "default": Direction.out.value},
            "client_id": _nullable({
                "type": "string",
                "pattern": CLIENT_ID.pattern,
                "description": "Idempotency key made by the client: a repeat returns the stored touch with 200.",
            }),
        },
        "required": ["customer_id", "kind"],
    }
    customer = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "company": {"type": ["string", "null"]},
            "tier": _ref("Tier"),
            "cadence_days": {"type": "integer", "minimum": MIN_CADENCE, "maximum": MAX_CADENCE},
            "last_touch_day": {"type": ["string", "null"], "format": "date"},
            "warmth": _ref("Warmth"),
            "status": {**_ref("CustomerStatus"), "description": (
                "What the app's pages show: `new` for a customer never touched whose first cadence has not run "
                "(fewer days since it was added than its cadence, crisis mode's included) and that is not paused; "
                "otherwise the same as `warmth`.")},
            "days_since": {"type": "integer", "description": "Days since the last touch, or since creation."},
            "archived": {"type": "boolean"},
            "next_follow_up": {
                "oneOf": [_ref("NextFollowUp"), {"type": "null"}],
                "description": "The next planned touch (the customer's open follow-up), if any.",
            },
        },
        "required": [
            "id", "name", "company", "tier", "cadence_days", "last_touch_day", "warmth", "status", "days_since",
            "archived", "next_follow_up",
        ],
        "additionalProperties": False,
    }
    day_rule = (f"A local day of the rep who owns the customer: from their today up to {MAX_AHEAD_DAYS} days "
                "ahead; an earlier day is refused (422, \"a date in the past\").")
    follow_up_kind = {"oneOf": [_ref("TouchKind"), {"type": "null"}], "description": "The kind planned, or none."}
    follow_up_note = _nullable({"type": "string", "description": (
        f"At most {MAX_FOLLOW_UP_NOTE} characters after trimming; a longer note is refused (422), never cut.")})
    follow_up = {
        "type": "object",
        "description": "A planned next touch with a customer, for the rep who owns it.",
        "properties": {
            "id": {"type": "integer"},
            "customer_id": {"type": "integer"},
            "customer_name": {"type": "string"},
            "user_id": {"type": "integer", "description": "The rep it is planned for: the customer's owner."},
            "created_by_id": {"type": "integer", "description": "Who planned it: the rep, or a coach."},
            "due_day": {"type": "string", "format": "date"},
            "kind": follow_up_kind,
            "note": _nullable({"type": "string"}),
            "status": {"type": "string", "enum": ["open", "done", "dropped"],
                       "description": "`done` by the next touch with the customer, or `dropped`."},
            "due": {"type": "boolean", "description": "Open, and its day is the rep's today or earlier."},
            "days_overdue": {"type": "integer", "minimum": 0},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": ["string", "null"], "format": "date-time"},
            "done_at": {"type": ["string", "null"], "format": "date-time"},
            "done_touch_id": {"type": ["integer", "null"], "description": "The touch that did it."},
            "dropped_at": {"type": ["string", "null"], "format": "date-time"},
        },
        "required": [
            "id", "customer_id", "customer_name", "user_id", "created_by_id", "due_day", "kind", "note", "status",
            "due", "days_overdue", "created_at", "updated_at", "done_at", "done_touch_id", "dropped_at",
        ],
        "additionalProperties": False,
    }
    follow_up_input = {
        "type": "object",
        "properties": {
            "customer_id": {"type": "integer", "description": "A customer the user may see, not archived."},
            "due_day": {"type": "string", "format": "date", "description": day_rule},
            "kind": follow_up_kind,
            "note": follow_up_note,
        },
        "required": ["customer_id", "due_day"],
    }
    follow_up_patch = {
        "type": "object",
        "description": "The fields to change; those left out stay as they are.",
        "properties": {
            "due_day": {"type": "string", "format": "date", "description": day_rule},
            "kind": follow_up_kind,
            "note": follow_up_note,
        },
    }
    customer_input = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "company": _nullable({"type": "string", "maxLength": 200}),
            "email": _nullable({"type": "string", "format": "email", "maxLength": 254}),
            "phone": _nullable({"type": "string", "maxLength": 64}),
            "tier": {**_ref("Tier"), "default": Tier.B.value},
            "cadence_days": {
                "type": "integer",
                "minimum": MIN_CADENCE,
                "maximum": MAX_CADENCE,
                "description": "Default by tier: A = 7, B = 14, C = 30.",
            },
            "notes": _nullable({"type": "string", "maxLength": MAX_NOTES}),
        },
        "required": ["name"],
    }
    user = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "email": {"type": "string", "format": "email"},
            "role": _enum(Role),
            "timezone": {"type": "string", "description": "IANA time zone."},
            "locale": {"type": ["string", "null"]},
            "workdays": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0, "maximum": 6},
                "description": "Weekday numbers, Monday = 0.",
            },
            "daily_goal": {"type": "integer"},
            "day_start_hour": {"type": "integer", "minimum": 0, "maximum": 23},
        },
        "required": ["id", "name", "email", "role", "timezone", "locale", "workdays", "daily_goal", "day_start_hour"],
        "additionalProperties": False,
    }
    return {
        "TouchKind": _enum(TouchKind),
        "Direction": _enum(Direction),
        "Tier": _enum(Tier),
        "Warmth": _enum(Warmth),
        "CustomerStatus": _enum(Status),
        "Streak": streak,
        "Touch": touch,
        "TouchInput": touch_input,
        "TouchPoints": {
            "type": "object",
            "description": (
                "What the touch scored when it was logged (the same on a replay). `cap`: beyond 2 scored "
                "touches with this customer within 7 days a touch scores 0 — still logged."
            ),
            "properties": {
                "points": {"type": "integer", "minimum": 0},
                "reason": {"type": "string", "enum": [r.value for r in Reason if r is not Reason.reversal]},
            },
            "required": ["points", "reason"],
            "additionalProperties": False,
        },
        "BadgeCode": {"type": "string", "enum": list(BADGES)},
        "Badge": {
            "type": "object",
            "properties": {
                "code": _ref("BadgeCode"),
                "name": {"type": "string", "description": "In the user's language."},
            },
            "required": ["code", "name"],
            "additionalProperties": False,
        },
        "EarnedBadge": {
            "type": "object",
            "properties": {
                "code": _ref("BadgeCode"),
                "name": {"type": "string", "description": "In the user's language."},
                "awarded_at": {"type": "string", "format": "date-time"},
            },
            "required": ["code", "name", "awarded_at"],
            "additionalProperties": False,
        },
        "PointsTotals": {
            "type": "object",
            "description": "Sums of the points ledger; a deleted touch's points drop out of the day it was logged on.",
            "properties": {
                "today": {"type": "integer", "description": "On the user's local day."},
                "week": {"type": "integer", "description": "In the ISO week (Monday–Sunday) of the user's local day."},
                "total": {"type": "integer"},
            },
            "required": ["today", "week", "total"],
            "additionalProperties": False,
        },
        "Moment": {
            "type": "object",
            "properties": {
                "kind": {"type": "string", "enum": ["streak", "goal", "badge"]},
                "title": {"type": "string", "description": "In the user's language."},
                "text": {"type": "string", "description": "In the user's language."},
                "days": {"type": "integer", "description": "The streak milestone reached (kind streak)."},
                "goal": {"type": "integer", "description": "The daily goal reached (kind goal)."},
                "code": {"type": "string", "description": "The badge's code (kind badge)."},
            },
            "required": ["kind", "title", "text"],
            "additionalProperties": False,
        },
        "TouchResult": {
            "type": "object",
            "properties": {
                "touch": _ref("Touch"),
                "streak": _ref("Streak"),
                "points": _ref("TouchPoints"),
                "badges": {
                    "type": "array",
                    "items": _ref("Badge"),
                    "description": "Badges this request earned; always empty on a replay.",
                },
                "moments": {
                    "type": "array",
                    "items": _ref("Moment"),
                    "description": "What to celebrate: a streak milestone, the daily goal reached, each new badge; "
                                   "always empty on a replay.",
                },
            },
            "required": ["touch", "streak", "points", "badges", "moments"],
            "additionalProperties": False,
        },
        "User": user,
        "Me": {
            "type": "object",
            "properties": {
                "user": _ref("User"),
                "today": {"type": "string", "format": "date", "description": "The user's local day."},
                "streak": _ref("Streak"),
                "today_touches": {"type": "integer", "minimum": 0},
                "daily_goal": {"type": "integer"},
                "points": _ref("PointsTotals"),
                "badges": {"type": "array", "items": _ref("EarnedBadge"), "description": "Newest first."},
            },
            "required": ["user", "today", "streak", "today_touches", "daily_goal", "points", "badges"],
            "additionalProperties": False,
        },
        "Customer": customer,
        "NextFollowUp": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "due_day": {"type": "string", "format": "date"},
                "kind": follow_up_kind,
            },
            "required": ["id", "due_day", "kind"],
            "additionalProperties": False,
        },
        "FollowUp": follow_up,
        "FollowUpInput": follow_up_input,
        "FollowUpPatch": follow_up_patch,
        "FollowUpResult": {
            "type": "object",
            "properties": {"follow_up": _ref("FollowUp")},
            "required": ["follow_up"],
            "additionalProperties": False,
        },
        "FollowUpList": {
            "type": "object",
            "properties": {"follow_ups": {"type": "array", "items": _ref("FollowUp")}},
            "required": ["follow_ups"],
            "additionalProperties": False,
        },
        "CustomerInput": customer_input,
        "CustomerResult": {
            "type": "object",
            "properties": {"customer": _ref("Customer")},
            "required": ["customer"],
            "additionalProperties": False,
        },
        "CustomerList": {
            "type": "object",
            "properties": {"customers": {"type": "array", "items": _ref("Customer")}},
            "required": ["customers"],
            "additionalProperties": False,
        },
        "PushSubscriptionInput": {
            "type": "object",
            "description": "The browser's `PushSubscription.toJSON()`.",
            "properties": {
                "endpoint": {
                    "type": "string",
                    "format": "uri",
                    "maxLength": ENDPOINT_MAX,
                    "description": "An https URL of a browser push service on the server's allow-list.",
                },
                "expirationTime": {"type": ["integer", "null"], "description": "Ignored."},
                "keys": {
                    "type": "object",
                    "properties": {
                        "p256dh": {"type": "string", "description": "P-256 public key, 65 bytes, base64url."},
                        "auth": {"type": "string", "description": "Authentication secret, 16 bytes, base64url."},
                    },
                    "required": ["p256dh", "auth"],
                },
            },
            "required": ["endpoint", "keys"],
        },
        "PushSubscriptionDelete": {
            "type": "object",
            "properties": {"endpoint": {"type": "string", "format": "uri"}},
            "required": ["endpoint"],
        },
        "PushSubscription": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "endpoint": {"type": "string", "format": "uri"},
                "created_at": {"type": "string", "format": "date-time"},
                "last_success_at": {"type": ["string", "null"], "format": "date-time"},
            },
            "required": ["id", "endpoint", "created_at", "last_success_at"],
            "additionalProperties": False,
        },
        "PushSubscriptionResult": {
            "type": "object",
            "properties": {"subscription": _ref("PushSubscription")},
            "required": ["subscription"],
            "additionalProperties": False,
        },
        "Error": {
            "type": "object",
            "properties": {
                "error": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string", "description": "In the user's language."},
                        "fields": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                            "description": "Field name to a message in the user's language.",
                        },
                    },
                    "required": ["code", "message"],
                    "additionalProperties": False,
                }
            },
            "required": ["error"],
            "additionalProperties": False,
        },
    }


READ = [{"bearerAuth": []}, {"sessionCookie": []}]
FOLLOW_UP_ID = [{"name": "follow_up_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
WRITE = [{"bearerAuth": []}, {"sessionCookie": [], "csrfHeader": []}]


def _paths() -> dict:
    return {
        "/touches": {
            "post": {
                "operationId": "logTouch",
                "summary": "Log a touch",
                "security": WRITE,
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("TouchInput")}}},
                "responses": {
                    "201": _json(_ref("TouchResult"), "The touch was stored; the rep's new streak."),
                    "200": _json(_ref("TouchResult"), "A touch with this client_id was already stored; nothing new."),
                    "400": _error("BadRequest"),
                    "401": _error("Unauthorized"),
                    "422": _error("Invalid"),
                },
            }
        },
        "/me": {
            "get": {
                "operationId": "getMe",
                "summary": "The signed-in user, their streak, today's progress, points and badges",
                "security": READ,
                "responses": {"200": _json(_ref("Me"), "The user."), "401": _error("Unauthorized")},
            }
        },
        "/customers": {
            "get": {
                "operationId": "listCustomers",
                "summary": "Customers the user sees, most urgent first",
                "security": READ,
                "parameters": [
                    {"name": "warmth", "in": "query", "required": False, "schema": _ref("Warmth")},
                ],
                "responses": {
                    "200": _json(_ref("CustomerList"), "The customers (archived ones left out)."),
                    "401": _error("Unauthorized"),
                    "422": _error("Invalid"),
                },
            },
            "post": {
                "operationId": "createCustomer",
                "summary": "Create a customer owned by the user",
                "security": WRITE,
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("CustomerInput")}}},
                "responses": {
                    "201": _json(_ref("CustomerResult"), "The new customer."),
                    "400": _error("BadRequest"),
                    "401": _error("Unauthorized"),
                    "422": _error("Invalid"),
                },
            },
        },
        "/customers/{customer_id}": {
            "get": {
                "operationId": "getCustomer",
                "summary": "One customer the user may see",
                "security": READ,
                "parameters": [
                    {"name": "customer_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                ],
                "responses": {
                    "200": _json(_ref("CustomerResult"), "The customer."),
                    "401": _error("Unauthorized"),
                    "404": _error("NotFound"),
                },
            }
        },
        "/follow-ups": {
            "get": {
                "operationId": "listFollowUps",
                "summary": "The caller's open follow-ups of active customers, earliest first",
                "security": READ,
                "parameters": [
                    {"name": "filter", "in": "query", "required": False,
                     "description": "`open` (default): every open one; `due`: those due on the caller's today or overdue.",
                     "schema": {"type": "string", "enum": ["open", "due"]}},
                ],
                "responses": {
                    "200": _json(_ref("FollowUpList"), "The follow-ups."),
                    "401": _error("Unauthorized"),
                    "422": _error("Invalid"),
                },
            },
            "post": {
                "operationId": "planFollowUp",
                "summary": "Plan the next touch with a customer (a customer has at most one open: planning moves it)",
                "security": WRITE,
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("FollowUpInput")}}},
                "responses": {
                    "201": _json(_ref("FollowUpResult"), "Planned: a new follow-up."),
                    "200": _json(_ref("FollowUpResult"), "The customer's open follow-up was moved to these values."),
                    "400": _error("BadRequest"),
                    "401": _error("Unauthorized"),
                    "404": _error("NotFound"),
                    "422": _error("Invalid"),
                },
            },
        },
        "/follow-ups/{follow_up_id}": {
            "get": {
                "operationId": "getFollowUp",
                "parameters": FOLLOW_UP_ID,
                "summary": "One follow-up of a customer the user may see, open, done or dropped",
                "security": READ,
                "responses": {
                    "200": _json(_ref("FollowUpResult"), "The follow-up."),
                    "401": _error("Unauthorized"),
                    "404": _error("NotFound"),
                },
            },
            "patch": {
                "operationId": "moveFollowUp",
                "parameters": FOLLOW_UP_ID,
                "summary": "Move an open follow-up: change its day, kind or note",
                "security": WRITE,
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("FollowUpPatch")}}},
                "responses": {
                    "200": _json(_ref("FollowUpResult"), "The moved follow-up."),
                    "400": _error("BadRequest"),
                    "401": _error("Unauthorized"),
                    "404": _error("NotFound"),
                    "409": _error("Conflict"),
                    "422": _error("Invalid"),
                },
            },
            "delete": {
                "operationId": "dropFollowUp",
                "parameters": FOLLOW_UP_ID,
                "summary": "Drop an open follow-up",
                "security": WRITE,
                "responses": {
                    "204": {"description": "Dropped: nothing is planned with the customer any more."},
                    "400": _error("BadRequest"),
                    "401": _error("Unauthorized"),
                    "404": _error("NotFound"),
                    "409": _error("Conflict"),
                },
            },
        },
        "/push/subscriptions": {
            "post": {
                "operationId": "savePushSubscription",
                "summary": "Store this browser's web-push subscription",
                "security": WRITE,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("PushSubscriptionInput")}},
                },
                "responses": {
                    "201": _json(
                        _ref("PushSubscriptionResult"),
                        "The subscription was stored, or the same browser (same endpoint and keys) moved "
                        "to the user from the account signed in on it before.",
                    ),
                    "200": _json(_ref("PushSubscriptionResult"), "The user's known endpoint; its keys were updated."),
                    "400": _error("BadRequest"),
                    "401": _error("Unauthorized"),
                    "409": _error("Conflict"),
                    "422": _error("Invalid"),
                },
            },
            "delete": {
                "operationId": "deletePushSubscription",
                "summary": "Delete one of the user's web-push subscriptions by endpoint",
                "security": WRITE,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("PushSubscriptionDelete")}},
                },
                "responses": {
                    "204": {"description": "Deleted."},
                    "400": _error("BadRequest"),
                    "401": _error("Unauthorized"),
                    "404": _error("NotFound"),
                    "422": _error("Invalid"),
                },
            },
        },
        "/openapi.json": {
            "get": {
                "operationId": "getOpenApiDocument",
                "summary": "This document",
                "security": [],
                "responses": {"200": _json({"type": "object"}, "The OpenAPI 3.1 document.")},
            }
        },
    }


def _responses() -> dict:
    error = _ref("Error")
    return {
        "BadRequest": _json(error, "The body is not a JSON object, or the CSRF token is missing (code `csrf`)."),
        "Unauthorized": _json(error, "Not signed in, or the access token is invalid or revoked."),
        "NotFound": _json(error, "No such object, or one the user may not see."),
        "Conflict": _json(error, "The request conflicts with the current state (e.g. the follow-up is already done or dropped)."),
        "Invalid": _json(error, "A field is invalid; `fields` says which and why."),
    }


def document(*, session_cookie: str = "session") -> dict:
    """Return the OpenAPI 3.1 document of the API v1."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Touchbase API",
            "version": VERSION,
            "description": (
                "Log touches, read your streak and your customers, plan the next touch. Authenticate with a personal access "
                "token (`Authorization: Bearer tb_...`, made in the settings or with `flask tokens create "
                "EMAIL`), or from the browser with the session cookie plus the `X-CSRFToken` header on "
                'writes. Errors are `{"error": {"code", "message", "fields"?}}` with 400, 401, 404, 409 '
                "or 422; another organisation's object is a 404."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": READ,
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "responses": _responses(),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "tb_ personal access token",
                },
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": session_cookie},
                "csrfHeader": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-CSRFToken",
                    "description": "The page's CSRF token; needed with the session cookie on POST and DELETE.",
                },
            },
        },
    }
