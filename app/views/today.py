"""The Today page: streak, daily goal, whom to touch, the idea of the day, my recent touches."""

from flask import Blueprint, request
from flask_login import current_user, login_required

from .. import clock, ideas, page_cache
from ..extensions import db
from ..htmx import is_partial, render
from ..queries import today as queries

bp = Blueprint("today", __name__)

# The blocks of today/index.html that refresh themselves after a touch-logged event.
PARTS = ("summary", "whom", "recent")
RECENT_ON_TODAY = 5


@bp.get("/")
@login_required
def index():
    """Show the rep's day; ``?part=`` names the block an htmx refresh wants."""
    part = request.args.get("part")
    # A plain GET of the same URL always gets the whole page.
    part = part if part in PARTS and is_partial() else None
    now = clock.now()
    today = queries.today_of(current_user, now)
    context: dict = {"today": today, "part": part}
    if part in (None, "summary"):
        day = queries.day_summary(db.session, current_user, today=today)
        context.update(streak=day.streak, done=day.done, goal=current_user.daily_goal, points=day.points)
    if part in (None, "whom"):
        whom = queries.whom_today(db.session, current_user, today=today)
        context.update(whom=whom.rows, customer_count=whom.active_count)
    if part in (None, "recent"):
        context["recent"] = queries.my_recent_touches(db.session, current_user, limit=RECENT_ON_TODAY)
    if part is None:
        context["idea"] = ideas.idea_of_the_day(today, current_user.id)
        return page_cache.keep(render("today/index.html", **context), today=today)
    return render("today/index.html", block=part, **context)
