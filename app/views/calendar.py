"""The calendar feed: ``GET /calendar/<token>.ics``, a user's open follow-ups for any calendar app.

No session: the secret address is the permission (made, replaced and revoked in Settings). An
unknown, replaced or revoked token is a 404. Rate-limited per feed and per client address.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, abort, request, url_for
from flask_babel import force_locale

from .. import clock, ics
from ..extensions import config_limit, db, limiter
from ..i18n import language
from ..operations import calendar_feeds
from ..queries import follow_ups as follow_ups_q

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


def _feed_key() -> str:
    """Key the per-feed limit by a hash of the token (never the token itself: keys may be logged)."""
    token = (request.view_args or {}).get("token", "")
    return "calendar:" + hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@bp.get("/<token>.ics")
@limiter.limit(config_limit("CALENDAR_RATE_LIMIT"), key_func=_feed_key)
@limiter.limit(config_limit("CALENDAR_ADDRESS_RATE_LIMIT"))
def feed(token: str):
    """Return the feed owner's open follow-ups as an iCalendar file, in their language."""
    user = calendar_feeds.user_for_feed(db.session, token)
    if user is None:
        abort(404)
    with force_locale(language(user.locale)):
        body = ics.feed(
            follow_ups_q.own_open(db.session, user),
            owner_name=user.name,
            host=request.host.split(":")[0],
            customer_url=lambda customer_id: url_for("customers.detail", customer_id=customer_id, _external=True),
            now=clock.now(),
        )
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="touchbase.ics"'
    # Private data behind a secret address: no shared cache keeps it, no search engine lists it.
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
