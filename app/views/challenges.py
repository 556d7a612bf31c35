"""Team challenges: the team's list, a coach's new challenge, a challenge's board, its life cycle, the privacy switch."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import challenges as rules
from .. import clock
from ..database import writes
from ..extensions import db
from ..htmx import is_partial, render
from ..models import Challenge
from ..operations import Conflict, NotFound
from ..operations import challenges as ops
from . import forms

bp = Blueprint("challenges", __name__, url_prefix="/challenges")


@bp.app_template_global("challenge_title")
def challenge_title(challenge: Challenge) -> str:
    """Return a challenge's title in the reader's language (a template's, unless the coach wrote one)."""
    return rules.title_in(challenge.title, challenge.template, str(get_locale() or "en"))


@bp.app_template_global("challenge_description")
def challenge_description(challenge: Challenge) -> str | None:
    """Return a challenge's description in the reader's language, or None."""
    return rules.description_in(challenge.description, challenge.template, str(get_locale() or "en"))


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


def _challenge(challenge_id: int) -> Challenge:
    try:
        return ops.get_challenge(db.session, current_user, challenge_id)
    except NotFound:
        abort(404)


def _managed(challenge_id: int) -> Challenge:
    """Return a challenge of the coach's own team; for anyone else it does not exist."""
    try:
        return ops.get_managed(db.session, current_user, challenge_id)
    except NotFound:
        abort(404)


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
@writes
def show(challenge_id: int):
    """Show a challenge's team progress, each rep's part and the ranking; finalize one that ended.

    Showing a running challenge fixes the own targets of reps who have none yet (committed here).
    The team's coach gets the life cycle: edit while it runs, end it early, delete it while
    nobody has progressed.
    """
    challenge = _challenge(challenge_id)
    now = clock.now()
    board = ops.board(db.session, challenge, now=now)
    if board.written:
        db.session.commit()
    manage = current_user.is_coach and current_user.team_id == challenge.team_id
    return render(
        "challenges/show.html",
        block="board" if request.args.get("part") == "board" else None,
        challenge=challenge,
        board=board,
        standings=board.standings,
        names=board.names,
        me=board.standings.rep(current_user.id),
        now=now,
        manage=manage,
        running=not ops.ended(challenge, now=now),
        deletable=manage and not ops.progressed(db.session, challenge, now=now, standings=board.standings),
    )


def _edit_values(challenge: Challenge) -> dict[str, object]:
    return {"title": challenge_title(challenge), "description": challenge_description(challenge) or "",
            "target": str(challenge.target), "ends_at": ops.local_input(challenge.ends_at, current_user.timezone)}


def _edit_page(challenge: Challenge, *, values: dict | None = None, errors: dict | None = None,
               problem: str | None = None, status: int = 200):
    now = clock.now()
    return render(
        "challenges/edit.html",
        block="form",
        status=status,
        challenge=challenge,
        values=values if values is not None else _edit_values(challenge),
        errors=errors or {},
        problem=problem,
        ended=ops.ended(challenge, now=now),
        started=now >= challenge.starts_at,
        ranges=ops.TARGET_RANGES,
        max_days=ops.MAX_DAYS,
    )


@bp.route("/<int:challenge_id>/edit", methods=["GET", "POST"])
@login_required
def edit(challenge_id: int):
    """Change a challenge's title, description, team target or end until it ends; the team's coach only."""
    challenge = _managed(challenge_id)
    if request.method == "GET":
        return _edit_page(challenge)
    values = {f: request.form.get(f, "") for f in ops.EDIT_FIELDS}
    try:
        return forms.save(
            lambda: ops.edit_challenge(db.session, challenge, current_user, values, now=clock.now()),
            invalid=lambda errors: _edit_page(challenge, values=values, errors=errors, status=422),
            done=lambda saved: forms.answered(_("Challenge saved."),
                                              url_for("challenges.show", challenge_id=saved.id)))
    except Conflict as exc:
        db.session.rollback()
        return _edit_page(challenge, values=values, problem=exc.message, status=422)


def _confirm(challenge: Challenge, action: str, *, problem: str | None = None, status: int = 200):
    return render("challenges/confirm.html", challenge=challenge, action=action, problem=problem, status=status)


def _decided(challenge_id: int, action: str, write, answer):
    """Ask first (GET), then run *write* (POST): a Conflict is the question again with it (422), else *answer*."""
    challenge = _managed(challenge_id)
    if request.method == "GET":
        return _confirm(challenge, action)
    try:
        result = write(challenge)
    except Conflict as exc:
        db.session.rollback()
        return _confirm(challenge, action, problem=exc.message, status=422)
    db.session.commit()
    flash(result)
    return redirect(answer(challenge), 303)


@bp.route("/<int:challenge_id>/end", methods=["GET", "POST"])
@login_required
def end(challenge_id: int):
    """End a running challenge now and freeze its results (GET asks first); the team's coach only."""
    def write(challenge):
        ops.end_challenge(db.session, challenge, current_user, now=clock.now())
        return _("The challenge has ended. Its results are final.")

    return _decided(challenge_id, "end", write, lambda c: url_for("challenges.show", challenge_id=c.id))


@bp.route("/<int:challenge_id>/delete", methods=["GET", "POST"])
@login_required
def delete(challenge_id: int):
    """Delete a challenge nobody has progressed in (GET asks first); the team's coach only."""
    def write(challenge):
        title = challenge_title(challenge)
        ops.delete_challenge(db.session, challenge, current_user, now=clock.now())
        return _("Challenge deleted: %(title)s.", title=title)

    return _decided(challenge_id, "delete", write, lambda _c: url_for("challenges.index"))


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
