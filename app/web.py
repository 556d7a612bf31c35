"""Request plumbing: user loading, security headers, error pages, template helpers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from flask import Flask, Response, current_app, jsonify, render_template, request, session
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_compress import Compress
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from . import assets, labels
from .extensions import db, login_manager
from .ids import MAX_ID
from .models import User
from .operations import NotFound

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; worker-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)
# Powerful features the app never uses, switched off for it and anything it might embed.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class IdConverter(IntegerConverter):
    """The ``int`` URL converter, limited to ids the database can hold (``ids.MAX_ID``): a bigger one is a 404."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def init_url_map(app: Flask) -> None:
    """Make ``<int:...>`` in every route refuse numbers beyond ``MAX_ID``; call before adding routes."""
    app.url_map.converters["int"] = IdConverter


# Built once: every signed-in request runs it, and building the statement with its options
# cost more than running it. The team comes along: every page's crisis banner reads it.
_USER_WITH_TEAM = select(User).options(joinedload(User.team)).where(User.id == bindparam("user_id"))


@login_manager.user_loader
def load_user(login_id: str) -> User | None:
    """Load the user of a session; a rotated session token makes old cookies worthless."""
    user_id, _sep, token = login_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.scalars(_USER_WITH_TEAM, {"user_id": int(user_id)}).one_or_none()
    if user is None or user.session_token != token or user.removed_at is not None:
        return None
    return user


def wants_json() -> bool:
    """Tell whether the request is for the JSON API."""
    return request.path.startswith("/api/")


def api_error(status: int, code: str, message: str, fields: dict | None = None):
    """Return the API's JSON error body with *status*."""
    body: dict = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return jsonify(error=body), status


MAX_JSON_DEPTH = 32


class BadBody(Exception):
    """A request body that is no usable JSON object; ``message`` says why, in the user's language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def unstorable(text: str) -> bool:
    """Tell whether *text* holds a character no database column can store: NUL or a lone surrogate."""
    return "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text)


def json_object() -> dict:
    """Return the request's body as a JSON object; raise BadBody for anything else.

    Refused with a message of its own: a body that is not JSON or not an object, nesting deeper
    than ``MAX_JSON_DEPTH`` (the parser would run out of stack long before a real client needs
    it), and strings (keys too) with a NUL or a lone surrogate (``"\\ud800"`` is valid JSON
    but no valid text: PostgreSQL and UTF-8 refuse it).
    """
    try:
        data = request.get_json(force=True, silent=True)
    except RecursionError:
        raise BadBody(_("The body is nested too deeply.")) from None
    if not isinstance(data, dict):
        raise BadBody(_("The body must be a JSON object."))
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadBody(_("The body is nested too deeply."))
        if isinstance(value, dict):
            for key, item in value.items():
                if unstorable(key):
                    raise BadBody(_("The body contains characters that cannot be stored."))
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str) and unstorable(value):
            raise BadBody(_("The body contains characters that cannot be stored."))
    return data


def init_app(app: Flask) -> None:
    """Install headers, error handlers and template helpers."""
    # Compression (brotli or gzip) and content-hashed static URLs with long cache lifetimes.
    Compress(app)
    assets.init_app(app)
    app.extensions[RELEASE] = app.config.get("RELEASE") or release_of(Path(app.root_path).parent, assets.versions(app))
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    @login_manager.unauthorized_handler
    def _unauthorized():
        from flask import redirect, url_for

        if wants_json():
            return api_error(401, "unauthorized", _("Please sign in."))
        if request.headers.get("HX-Request") == "true":
            response = app.response_class(status=401)
            response.headers["HX-Redirect"] = url_for("auth.login")
            return response
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))

    if app.config.get("TRUSTED_PROXIES"):
        # Behind a TLS-terminating proxy: the client's address (rate limits) and https (HSTS,
        # secure cookies) come from its X-Forwarded-* headers, trusted for that many hops only.
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    @app.before_request
    def _refuse_unstorable_fields():
        # PostgreSQL cannot store or even compare a NUL in text: refuse it in any query or form
        # field before a view reads it, so no view writes half or fails on it.
        fields = [*request.args.lists()]
        if request.method not in ("GET", "HEAD", "OPTIONS") and not wants_json():
            fields += request.form.lists()
        for name, values in fields:
            if unstorable(name) or any(unstorable(value) for value in values):
                return _error(400, "bad_request", _("The request contains characters that cannot be stored."))
        return None

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        # The path first: a static file must not load the user from the database. A page
        # revalidated by its ETag (``conditional``) stays in the browser's private cache.
        if (not request.path.startswith("/static/") and current_user.is_authenticated
                and "private" not in response.headers.get("Cache-Control", "")):
            response.headers["Cache-Control"] = "no-store"
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=63072000")
        # A boosted form answered with a page (its form again with the problems, 422) keeps the
        # address of the page the form was on: htmx would otherwise show the POST's own URL, a
        # stale address to reload (often no page at all). A saved form answers 303 instead, and
        # the address becomes the page it leads to.
        if (request.method not in ("GET", "HEAD") and request.headers.get("HX-Boosted") == "true"
                and not 300 <= response.status_code < 400):
            response.headers.setdefault("HX-Push-Url", "false")
        return response

    def _error(status: int, code: str, message: str):
        if wants_json():
            return api_error(status, code, message)
        return render_template("errors/error.html", status=status, message=message), status

    @app.errorhandler(400)
    def _bad_request(_e):
        return _error(400, "bad_request", _("The request could not be understood."))

    @app.errorhandler(CSRFError)
    def _csrf(_e):
        return _error(400, "csrf", _("Your form expired. Please reload the page and try again."))

    @app.errorhandler(404)
    @app.errorhandler(NotFound)
    def _not_found(_e):
        # An operation's NotFound (another organisation's or another rep's object) is a 404
        # like any other: nothing it began is kept.
        db.session.rollback()
        return _error(404, "not_found", _("Not found."))

    @app.errorhandler(405)
    def _method(_e):
        return _error(405, "method_not_allowed", _("That action is not allowed here."))

    @app.errorhandler(413)
    def _too_large(_e):
        return _error(413, "too_large", _("The upload is too large."))

    @app.errorhandler(429)
    def _too_many(_e):
        return _error(429, "rate_limited", _("Too many attempts. Please wait a minute and try again."))

    @app.errorhandler(500)
    def _server_error(_e):
        db.session.rollback()
        return _error(500, "server_error", _("Something went wrong on our side. Nothing was saved."))

    app.jinja_env.globals.update(
        kind_label=labels.kind_label,
        kind_icon=labels.kind_icon,
        kind_choices=labels.kind_choices,
        warmth_label=labels.warmth_label,
        follow_up_when=labels.follow_up_when,
        touch_kinds=labels.KINDS,
        get_locale=get_locale,
        icon=_icon,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def _icon(*args, **kwargs):
    """Render the ``icon`` macro of templates/macros/icons.html."""
    # A global, because a block drawn alone (render_block) does not see its template's imports.
    return current_app.jinja_env.get_template("macros/icons.html").module.icon(*args, **kwargs)


def current_org_users():
    """Return a select of the users in the current user's organisation."""
    return select(User).where(User.organization_id == current_user.organization_id)


RELEASE = "touchbase.release"
_RELEASE_PARTS = ("app/**/*.py", "app/translations/*/LC_MESSAGES/*.mo", "templates/**/*")


def release_of(root: Path, static_versions: dict[str, str]) -> str:
    """Return a hash of what a page is made of: code, templates, translations and static files."""
    digest = hashlib.sha256(repr(sorted(static_versions.items())).encode())
    for pattern in _RELEASE_PARTS:
        for path in sorted(root.glob(pattern)):
            if path.is_file():
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def page_tag(*parts: object) -> str | None:
    """Return the ETag of a page of the signed-in session made of *parts*; None before it has a CSRF token.

    The page embeds the session's CSRF token and depends on the release: both are part of the tag.
    """
    token = session.get("csrf_token")
    if not token:
        return None
    text = "\x1f".join(str(part) for part in (current_app.extensions[RELEASE], token, *parts))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def conditional(tag: Callable[[], str | None], render: Callable[[], Response]) -> Response:
    """Answer 304 when the browser's copy carries the page's ETag, else render the page and tag it.

    The tag is weak (the page signs its CSRF token anew each time: the same page, other bytes)
    and the browser must ask again each time (``private, no-cache``). A page that shows a
    one-time message is never tagged: its next render would be the same tag without the message.
    """
    if "_flashes" in session:
        return render()
    before = tag()
    if before is not None:
        probe = _revalidated(current_app.response_class(), before)
        if probe.make_conditional(request).status_code == 304:
            return probe
    response = render()
    after = tag()
    return _revalidated(response, after) if after is not None and response.status_code == 200 else response


def _revalidated(response: Response, tag: str) -> Response:
    response.set_etag(tag, weak=True)
    response.cache_control.private = True
    response.cache_control.no_cache = True
    response.vary.update(("HX-Request", "Cookie"))
    return response
