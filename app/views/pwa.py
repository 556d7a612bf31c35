"""Progressive web app plumbing: manifest, service worker, offline page, and the worker's helpers."""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from .. import assets, clock
from ..operations import push as push_ops
from ..push import sender
from ..extensions import csrf, db
from ..web import BadBody, api_error, json_object

bp = Blueprint("pwa", __name__)

THEME_COLOR = "#0f766e"
BACKGROUND_COLOR = "#f6f7f5"
CACHE_PREFIX = "touchbase-shell-"
# Pages a rep can read offline: the customers list and the customer pages opened recently,
# kept per user in a cache named by PAGES_PREFIX and the user's pages key (``pages_key``).
PAGES_PREFIX = "touchbase-pages-"
PAGES_LIST = "/customers/"
PAGES_DETAIL = r"^/customers/[0-9]+$"
PAGES_KEY_HEADER = "X-Touchbase-Pages-Key"
# The app shell the service worker precaches (static files, by their versioned URLs).
SHELL_FILES = (
    "css/app.css",
    "js/vendor/htmx-2.0.11.min.js",
    "js/outbox.js",
    "js/app.js",
    "icons/favicon.svg",
    "icons/sprite.svg",
    "icons/icon-192.png",
)
SCREENSHOTS = (
    ("screenshots/today-narrow.png", "narrow"),
    ("screenshots/customers-narrow.png", "narrow"),
    ("screenshots/today-wide.png", "wide"),
)


@lru_cache(maxsize=32)
def png_size(path: str) -> tuple[int, int]:
    """Return the (width, height) of a PNG file from its header."""
    with open(path, "rb") as handle:
        header = handle.read(24)
    if header[:8] != b"\x89PNG\r\n\x1a\n" or header[12:16] != b"IHDR":
        raise ValueError(f"{path} is not a PNG file")
    return struct.unpack(">II", header[16:24])


def _icon(filename: str, size: int, purpose: str = "any") -> dict:
    return {"src": url_for("static", filename=filename), "sizes": f"{size}x{size}", "type": "image/png",
            "purpose": purpose}


def manifest_document() -> dict:
    """Return the web app manifest, in the request's language."""
    static = Path(current_app.static_folder)
    screenshots = []
    labels = {
        "screenshots/today-narrow.png": _("Today: your streak, your daily goal and whom to touch"),
        "screenshots/customers-narrow.png": _("Customers, most urgent first, with their warmth"),
        "screenshots/today-wide.png": _("Today on a large screen"),
    }
    for filename, form_factor in SCREENSHOTS:
        path = static / filename
        if not path.exists():
            continue
        width, height = png_size(str(path))
        screenshots.append({"src": url_for("static", filename=filename), "sizes": f"{width}x{height}",
                            "type": "image/png", "form_factor": form_factor, "label": labels[filename]})
    return {
        "id": "/",
        "name": "Touchbase",
        "short_name": "Touchbase",
        "description": _("Touchbase helps sales reps keep in touch with every customer, every day."),
        "lang": str(get_locale()),
        "dir": "ltr",
        "start_url": "/?source=pwa",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "categories": ["business", "productivity"],
        "icons": [
            _icon("icons/icon-192.png", 192),
            _icon("icons/icon-512.png", 512),
            _icon("icons/icon-maskable-192.png", 192, "maskable"),
            _icon("icons/icon-maskable-512.png", 512, "maskable"),
        ],
        "shortcuts": [
            {
                "name": _("Log a touch"),
                "short_name": _("Log touch"),
                "description": _("Pick a customer and log a call, a visit, a letter …"),
                "url": url_for("touches.new", source="pwa"),
                "icons": [{"src": url_for("static", filename="icons/shortcut-log-96.png"), "sizes": "96x96",
                           "type": "image/png"}],
            },
            {
                "name": _("Whom to touch"),
                "short_name": _("Whom to touch"),
                "description": _("The customers waiting longest for news from you"),
                "url": url_for("today.index", source="pwa") + "#whom",
                "icons": [{"src": url_for("static", filename="icons/shortcut-whom-96.png"), "sizes": "96x96",
                           "type": "image/png"}],
            },
        ],
        "screenshots": screenshots,
    }


@bp.get("/manifest.webmanifest")
def manifest():
    """Serve the web app manifest (the browser fetches it without cookies: language by header)."""
    body = json.dumps(manifest_document(), ensure_ascii=False, separators=(",", ":"))
    response = Response(body, mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


@bp.get("/offline")
def offline():
    """The page the service worker shows for a page it cannot load; it holds no user's data.

    ``?lang=de`` picks the language, so that the worker can keep the page in the rep's language.
    """
    lang = request.args.get("lang")
    if lang not in current_app.config["LANGUAGES"]:
        lang = str(get_locale())
    with force_locale(lang):
        body = render_template("pwa/offline.html", lang=lang)
    response = Response(body, mimetype="text/html")
    response.headers["Content-Language"] = lang
    return response


def shell_urls() -> list[str]:
    """Return the URLs the service worker precaches: the static shell, then the offline page."""
    return [url_for("static", filename=name) for name in SHELL_FILES] + [url_for("pwa.offline")]


def worker_config(script: bytes) -> dict:
    """Return what the service worker needs to know: its cache name, its shell and its helpers.

    The cache name changes with the content of every shell file, the offline page's template
    and the worker script itself, so a deploy that changes any of them installs a fresh cache.
    """
    versions = assets.versions()
    digest = hashlib.sha256(script)
    for name in SHELL_FILES:
        digest.update(f"{name}={versions.get(name)};".encode())
    template = Path(current_app.template_folder) / "pwa" / "offline.html"
    if template.exists():
        digest.update(template.read_bytes())
    version = digest.hexdigest()[:12]
    return {
        "cache": CACHE_PREFIX + version,
        "cachePrefix": CACHE_PREFIX,
        "shell": shell_urls(),
        "offline": url_for("pwa.offline"),
        "outbox": url_for("static", filename="js/outbox.js"),
        "pagesPrefix": PAGES_PREFIX,
        "pagesList": PAGES_LIST,
        "pagesDetail": PAGES_DETAIL,
        "pagesMax": max(0, int(current_app.config["OFFLINE_PAGES"])),
        "pagesKeyHeader": PAGES_KEY_HEADER,
    }


def pages_key(user) -> str:
    """Return the key of *user*'s offline pages: a MAC of their id and session token under the secret key.

    Nobody else can work it out (not from the user id, which pages show), and it changes when
    the session token does (sign-out, a new password), so a cache left behind is never found.
    """
    secret = current_app.config["SECRET_KEY"]
    secret = secret if isinstance(secret, bytes) else str(secret).encode()
    message = f"offline-pages:{user.id}:{user.session_token}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


@bp.after_app_request
def _name_the_pages_owner(response: Response) -> Response:
    """Tell the service worker whose page this is (``X-Touchbase-Pages-Key``), on every page of a signed-in user.

    The worker keeps the customers pages in that user's cache only, and a page without the
    header (signed out) makes it delete every user's kept pages.
    """
    if (response.mimetype == "text/html" and not request.path.startswith("/static/")
            and current_user.is_authenticated):
        response.headers[PAGES_KEY_HEADER] = pages_key(current_user)
    return response


@bp.get("/sw.js")
def service_worker():
    """Serve the service worker from the site root (scope: the whole app), with its version inlined."""
    script = (Path(current_app.static_folder) / "js" / "sw.js").read_bytes()
    config = json.dumps(worker_config(script), separators=(",", ":"))
    # Right after the "use strict" directive, which must stay the script's first statement.
    directive = b'"use strict";\n'
    head, found, tail = script.partition(directive)
    line = f"self.TOUCHBASE = {config};\n".encode()
    body = head + directive + line + tail if found else line + script
    response = Response(body, mimetype="application/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"  # the browser checks for a new worker every load
    return response


@bp.get("/pwa/session")
def session_info():
    """Tell the offline outbox whose session this is and give it a fresh CSRF token."""
    if not current_user.is_authenticated:
        return api_error(401, "unauthorized", _("Please sign in."))
    response = jsonify(user_id=current_user.id, csrf_token=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/push/opened")
@csrf.exempt
def push_opened():
    """Record that a notification was opened (resets the back-off); the signed id is the credential.

    The service worker cannot read the page's CSRF token, so the notification carries a signature
    of its own id: only the device the push was delivered to can report its open.
    """
    try:
        data = json_object()
    except BadBody as exc:
        return api_error(400, "bad_request", exc.message)
    notification_id, signature = data.get("id"), data.get("sig")
    if (
        not isinstance(notification_id, int)
        or isinstance(notification_id, bool)
        or not isinstance(signature, str)
        or not sender.check_open_signature(notification_id, signature)
    ):
        return api_error(404, "not_found", _("Not found."))
    if not push_ops.record_open(db.session, notification_id=notification_id, now=clock.now()):
        db.session.rollback()
        return api_error(404, "not_found", _("Not found."))
    db.session.commit()
    return "", 204
