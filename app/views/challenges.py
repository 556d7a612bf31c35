"""Team challenges: the team's list, a coach's new challenge, a challenge's board, the privacy switch."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import challenges as rules
from .. import clock
from ..extensions import db
from ..htmx import is_partial, render
from ..operations import NotFound
from ..operations import challenges as ops
from . import forms

bp = Blueprint("challenges", __name__, url_prefix="/challenges")


def _defaults() -> dict[str, object]:
    """Return a new challenge's form values: next week, Monday morning to Friday evening, local."""
    now = clock.now()
    local = clock.local_now(now, current_user.timezone)
    monday = (local + timedelta(days=7 - local.weekday())).date()
    return {
        "metric": rules.Metric.team_touches.value,
        "target": "",
        "starts_at": f"{monday.isoformat()}T08:00",
        "ends_at": f"{(monday + timedelta(days=4)).isoformat()}T18:00",
    }


def _form(*, status: int = 200, values: dict | None = None, errors: dict | None = None):
    return render(
        "challenges/new.html",
        block="form",
        status=status,
        values=values if values is not None else _defaults(),
        errors=errors or {},
        metrics=list(rules.Metric),
        ranges=ops.TARGET_RANGES,
        max_days=ops.MAX_DAYS,
    )


@bp.get("/")
@login_required
def index():
    """List the team's current, upcoming and past challenges."""
    now = clock.now()
    return render(
        "challenges/index.html",
        lists=ops.list_challenges(db.session, current_user, now=now),
        coach=current_user.is_coach and current_user.team_id is not None,
        now=now,
    )


@bp.get("/new")
@login_required
def new():
    """Show the new-challenge form; it exists only for a coach with a team."""
    if not current_user.is_coach or current_user.team_id is None:
        abort(404)
    return _form()


@bp.post("/")
@login_required
def create():
    """Create a challenge for the coach's team; bad input re-renders the form with 422."""
    values = {f: request.form.get(f, "") for f in ops.FIELDS}
    return forms.save(
        lambda: ops.create_challenge(db.session, current_user, values, now=clock.now()),
        invalid=lambda errors: _form(status=422, values=values, errors=errors),
        done=lambda challenge: forms.answered(_("Challenge created. Good luck, team!"),
                                              url_for("challenges.show", challenge_id=challenge.id)))


@bp.get("/<int:challenge_id>")
@login_required
def show(challenge_id: int):
    """Show a challenge's team progress, each rep's part and the ranking; finalize one that ended."""
    try:
        challenge = ops.get_challenge(db.session, current_user, challenge_id)
    except NotFound:
        abort(404)
    now = clock.now()
    was_final = challenge.finalized_at is not None
    board = ops.board(db.session, challenge, now=now)
    if not was_final and challenge.finalized_at is not None:
        db.session.commit()
    return render(
        "challenges/show.html",
        block="board" if request.args.get("part") == "board" else None,
        challenge=challenge,
        board=board,
        standings=board.standings,
        names=board.names,
        me=board.standings.rep(current_user.id),
        now=now,
    )


@bp.post("/privacy")
@login_required
def privacy():
    """Hide the user from challenge rankings (they still count for the team), or show them again."""
    hidden = request.form.get("hide_from_rankings") in ("1", "on", "true")
    ops.set_hidden(db.session, current_user, hidden)
    db.session.commit()
    if is_partial():
        return render("challenges/_privacy.html", block="privacy", saved=True)
    flash(_("Hidden from rankings. You still count for your team.") if hidden else _("You are shown in rankings again."))
    return redirect(url_for("settings.index", _anchor="privacy"), 303)
