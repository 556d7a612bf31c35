"""The team page: the coach's quiet radar and crisis mode, members, team holidays, invite links."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import clock
from ..extensions import config_limit, db, limiter, user_or_address
from ..htmx import is_partial, render, trigger
from ..operations import Invalid, accounts, away, crisis, invites
from ..queries import common as common_q
from ..queries import team as team_q

bp = Blueprint("team", __name__, url_prefix="/team")

HOLIDAY_FIELDS = ("name", "first_day", "last_day")
HOLIDAY_EVENT = "away-changed"


def _page(*, status: int = 200, block: str | None = None, **context):
    now = clock.now()
    coach = current_user.is_coach and current_user.team_id is not None
    today = common_q.today_of(current_user, now)
    return render(
        "team/index.html",
        block=block,
        status=status,
        team=current_user.team,
        members=accounts.team_members(db.session, current_user),
        coach=coach,
        invites=invites.open_invites(db.session, current_user, now=now) if coach else [],
        invite_errors=context.pop("invite_errors", {}),
        today=today,
        holidays=away.list_team_holidays(db.session, current_user, today=today),
        holiday_limits=away.limits(today),
        holiday_values=context.pop("holiday_values", {}),
        holiday_errors=context.pop("holiday_errors", {}),
        radar=team_q.radar(db.session, current_user, now=now) if coach else [],
        crisis_values=context.pop("crisis_values", {}),
        crisis_errors=context.pop("crisis_errors", {}),
        **context,
    )


@bp.get("/")
@login_required
def index():
    """Show the team: the quiet radar and crisis mode for coaches, members and holidays for everyone."""
    return _page()


@bp.post("/invites")
@login_required
@limiter.limit(config_limit("INVITE_RATE_LIMIT"), key_func=user_or_address)
def create_invite():
    """Make a single-use invite link and show it once; for anyone but a coach it does not exist."""
    try:
        new = invites.create_invite(
            db.session, current_user, now=clock.now(), days=current_app.config["INVITE_DAYS"]
        )
    except Invalid as exc:
        db.session.rollback()
        return _page(status=422, block="invites", invite_errors=exc.fields)
    db.session.commit()
    link = url_for("auth.join", token=new.token, _external=True)
    return _page(status=201, block="invites", new_link=link, new_invite=new.invite)


@bp.post("/invites/<int:invite_id>/revoke")
@login_required
def revoke_invite(invite_id: int):
    """Revoke an open invite of the coach's team."""
    invites.revoke_invite(db.session, current_user, invite_id, now=clock.now())
    db.session.commit()
    if is_partial():
        return _page(block="invites", revoked=True)
    flash(_("Invite revoked. The link no longer works."))
    return redirect(url_for("team.index", _anchor="invites"), 303)


@bp.post("/holidays")
@login_required
def add_holiday():
    """Add a team holiday; its days are neutral for every member's streak. Coaches only (else 404)."""
    values = {f: request.form.get(f, "") for f in HOLIDAY_FIELDS}
    try:
        holiday = away.add_team_holiday(db.session, current_user, values, now=clock.now())
    except Invalid as exc:
        db.session.rollback()
        return _page(status=422, block="holidays", holiday_errors=exc.fields, holiday_values=values)
    db.session.commit()
    if is_partial():
        return trigger(_page(status=201, block="holidays", holiday_added=holiday), HOLIDAY_EVENT, {"action": "added"})
    flash(_("Team holiday saved. Nobody's streak breaks on those days."))
    return redirect(url_for("team.index", _anchor="holidays"), 303)


@bp.post("/holidays/<int:holiday_id>/delete")
@login_required
def delete_holiday(holiday_id: int):
    """Delete a holiday of the coach's team; anyone else, or another team's holiday, gets a 404."""
    away.delete_team_holiday(db.session, current_user, holiday_id, now=clock.now())
    db.session.commit()
    if is_partial():
        return trigger(_page(block="holidays", holiday_deleted=True), HOLIDAY_EVENT, {"action": "deleted"})
    flash(_("Team holiday deleted."))
    return redirect(url_for("team.index", _anchor="holidays"), 303)


@bp.get("/reps/<int:rep_id>")
@login_required
def rep(rep_id: int):
    """Show a rep's quiet and warming customers to their coach; anyone else gets a 404."""
    detail = team_q.rep_customers(db.session, current_user, rep_id, now=clock.now())
    if detail is None:
        abort(404)
    return render("team/rep.html", detail=detail, crisis=current_user.team.crisis_since is not None)


@bp.post("/crisis")
@login_required
def start_crisis():
    """Switch the coach's team into crisis mode and start a storm week; others get a 404."""
    values = {"reason": request.form.get("reason", ""), "message": request.form.get("message", "")}
    try:
        started = crisis.start_crisis(
            db.session, current_user, reason=values["reason"], message=values["message"],
            now=clock.now(), locale=str(get_locale() or "en"),
        )
    except Invalid as exc:
        db.session.rollback()
        return _page(status=422, crisis_errors=exc.fields, crisis_values=values)
    db.session.commit()
    if started.challenge is not None:
        flash(_("Crisis mode is on. Cadences are tighter and a storm week has started."))
        return redirect(url_for("challenges.show", challenge_id=started.challenge.id), 303)
    flash(_("Crisis message updated."))
    return redirect(url_for("team.index", _anchor="crisis"), 303)


@bp.post("/crisis/end")
@login_required
def end_crisis():
    """Switch the coach's team out of crisis mode; a running storm week runs to its end."""
    crisis.end_crisis(db.session, current_user, now=clock.now())
    db.session.commit()
    flash(_("Crisis mode is off. Cadences are back to normal."))
    return redirect(url_for("team.index", _anchor="crisis"), 303)
