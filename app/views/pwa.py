"""Progressive web app plumbing: the service worker script and its reports back to the server."""

from __future__ import annotations

from flask import Blueprint, current_app, request, send_from_directory
from flask_babel import gettext as _

from .. import clock, push
from ..extensions import csrf, db
from ..web import api_error

bp = Blueprint("pwa", __name__)


@bp.get("/sw.js")
def service_worker():
    """Serve the service worker from the site root, so that its scope is the whole app."""
    response = send_from_directory(current_app.static_folder, "js/sw.js", mimetype="application/javascript",
                                   max_age=0)
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"  # the browser checks for a new worker every load
    return response


@bp.post("/push/opened")
@csrf.exempt
def push_opened():
    """Record that a notification was opened (resets the back-off); the signed id is the credential.

    The service worker cannot read the page's CSRF token, so the notification carries a signature
    of its own id: only the device the push was delivered to can report its open.
    """
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        return api_error(400, "bad_request", _("The body must be a JSON object."))
    notification_id, signature = data.get("id"), data.get("sig")
    if (
        not isinstance(notification_id, int)
        or isinstance(notification_id, bool)
        or not isinstance(signature, str)
        or not push.check_open_signature(notification_id, signature)
    ):
        return api_error(404, "not_found", _("Not found."))
    if not push.record_open(db.session, notification_id=notification_id, now=clock.now()):
        db.session.rollback()
        return api_error(404, "not_found", _("Not found."))
    db.session.commit()
    return "", 204
