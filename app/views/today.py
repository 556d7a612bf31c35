"""The Today page: streak, daily goal, whom to touch, the idea of the day."""

from flask import Blueprint
from flask_login import current_user, login_required

from .. import clock, ideas, queries
from ..extensions import db
from ..htmx import render

bp = Blueprint("today", __name__)


@bp.get("/")
@login_required
def index():
    """Show the rep's day."""
    now = clock.now()
    today = queries.today_of(current_user, now)
    return render(
        "today/index.html",
        block=None,
        today=today,
        streak=queries.streak_summary(db.session, current_user, today=today),
        done=queries.touches_on(db.session, current_user, today),
        goal=current_user.daily_goal,
        whom=queries.whom_to_touch(db.session, current_user, today=today),
        idea=ideas.idea_of_the_day(today, current_user.id),
    )
