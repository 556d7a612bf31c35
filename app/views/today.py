"""The Today page: streak, daily goal, whom to touch, the idea of the day, my recent touches."""

from flask import Blueprint, request
from flask_babel import get_locale
from flask_login import current_user

from .. import clock, ideas, web
from ..extensions import db, login_manager
from ..htmx import is_partial, render
from ..queries import today as today_q

bp = Blueprint("today", __name__)

# The blocks of today/index.html that refresh themselves after a touch-logged event.
PARTS = ("summary", "whom", "recent")
RECENT_ON_TODAY = 5


@bp.get("/")
def index():
    """Show the rep's day; ``?part=`` names the block an htmx refresh wants.

    Signed out: the front door, or the sign-in page for the installed app (``?source=pwa``).

    The whole page is tagged with the user's page revision, local day and language: a reopened
    Today whose ETag still holds is a 304, rendered again only after a write that it shows.
    """
    if not current_user.is_authenticated:
        if request.args.get("source") == "pwa":  # the installed app's start URL: straight to signing in
            return login_manager.unauthorized()
        return landing()
    part = request.args.get("part")
    # A plain GET of the same URL always gets the whole page.
    part = part if part in PARTS and is_partial() else None
    today = current_user.today(clock.now())
    if part is not None:
        return _render(today, part)
    # Read before rendering: a write that lands during the render must not be tagged as shown.
    revision = current_user.page_revision
    return web.conditional(
        lambda: web.page_tag("today", current_user.id, revision, today, get_locale()),
        lambda: _render(today, None),
    )


def landing():
    """Show the front door to a signed-out visitor: what Touchbase is, sign in, start a team.

    The same for everyone in a language, so it varies only with the browser's language.
    """
    response = render("front/landing.html")
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


def _render(today, part: str | None):
    context: dict = {"today": today, "part": part}
    if part in (None, "summary"):
        day = today_q.day_summary(db.session, current_user, today=today)
        context.update(streak=day.streak, done=day.done, goal=current_user.daily_goal, points=day.points)
    if part in (None, "whom"):
        whom = today_q.whom_today(db.session, current_user, today=today)
        context.update(whom=whom.rows, customer_count=whom.active_count)
    if part in (None, "recent"):
        context["recent"] = today_q.my_recent_touches(db.session, current_user, limit=RECENT_ON_TODAY)
    if part is None:
        context["idea"] = ideas.idea_of_the_day(today, current_user.id)
    return render("today/index.html", block=part, **context)
