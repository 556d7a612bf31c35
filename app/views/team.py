"""The team page: the coach's quiet radar and crisis mode, members and their admin, team holidays, invites, kudos."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import badges, clock, mail
from ..extensions import config_limit, db, limiter, user_or_address
from ..htmx import fragment, is_partial, render, trigger
from ..kinds import Role
from ..models import Touch
from ..operations import NotFound, accounts, away, crisis, invites
from ..operations import kudos as kudos_ops
from ..operations import members as members_ops
from ..queries import team as team_q
from . import forms

bp = Blueprint("team", __name__, url_prefix="/team")

HOLIDAY_FIELDS = ("name", "first_day", "last_day")
HOLIDAY_EVENT = "away-changed"
KUDOS_EVENT = "kudos-given"
ROLE_LABELS = {Role.rep: _l("Rep"), Role.coach: _l("Coach"), Role.admin: _l("Admin")}


def _page(*, status: int = 200, block: str | None = None, **context):
    now = clock.now()
    coach = current_user.is_coach and current_user.team_id is not None
    today = current_user.today(now)
    return render(
        "team/index.html",
        block=block,
        status=status,
        team=current_user.team,
        members=accounts.team_members(db.session, current_user),
        coach=coach,
        invites=invites.open_invites(db.session, current_user, now=now) if coach else [],
        invite_errors=context.pop("invite_errors", {}),
        invite_values=context.pop("invite_values", {"locale": current_user.locale or str(get_locale() or "en")}),
        today=today,
        holidays=away.list_team_holidays(db.session, current_user, today=today),
        holiday_limits=away.limits(today),
        holiday_values=context.pop("holiday_values", {}),
        holiday_errors=context.pop("holiday_errors", {}),
        radar=team_q.radar(db.session, current_user, now=now) if coach else [],
        removed=members_ops.removed_members(db.session, current_user),
        role_labels=ROLE_LABELS,
        crisis_values=context.pop("crisis_values", {}),
        crisis_errors=context.pop("crisis_errors", {}),
        **context,
    )


@bp.get("/")
@login_required
def index():
    """Show the team: the quiet radar and crisis mode for coaches, members and holidays for everyone."""
    return _page()


# Links made to copy and links sent by mail count against one limit per coach.
_invite_limit = limiter.shared_limit(config_limit("INVITE_RATE_LIMIT"), scope="invites", key_func=user_or_address)


@bp.post("/invites")
@login_required
@_invite_limit
def create_invite():
    """Make a single-use invite link and show it once; for anyone but a coach it does not exist."""
    return forms.save(
        lambda: invites.create_invite(db.session, current_user, now=clock.now(), days=current_app.config["INVITE_DAYS"]),
        invalid=lambda errors: _page(status=422, block="invites", invite_errors=errors),
        done=lambda new: _page(status=201, block="invites", new_invite=new.invite,
                               new_link=url_for("auth.join", token=new.token, _external=True)))


@bp.post("/invites/mail")
@login_required
@_invite_limit
def mail_invite():
    """Make an invite and mail its link in the chosen language; for anyone but a coach it does not exist.

    The invite is committed before the mail goes out. When the mail server does not take the
    mail, the invite is kept and its link shown to the coach to send by hand, with a clear
    message. An address that already has an account is treated like any other (the answer
    never tells whether someone, maybe in another organisation, has one).
    """
    values = {"email": request.form.get("email", ""), "locale": request.form.get("locale", "")}

    def done(new: invites.NewInvite):
        team = current_user.team
        try:
            mail.send("invite", to=new.email, locale=new.locale,
                      subject=_l("%(coach)s invites you to %(team)s on Touchbase", coach=current_user.name,
                                 team=team.name),
                      template="invite", coach=current_user.name, team=team.name,
                      link=mail.link("auth.join", token=new.token),
                      expires_on=clock.local_now(new.invite.expires_at, current_user.timezone).date())
        except mail.MailError:
            return _page(status=201, block="invites", new_invite=new.invite, mail_failed=new.email,
                         new_link=url_for("auth.join", token=new.token, _external=True), invite_values=values)
        invites.record_mailed(db.session, new.invite, new.email)
        db.session.commit()
        return forms.answered(_("Invite sent to %(email)s.", email=new.email), url_for("team.index", _anchor="invites"),
                              partial=lambda: _page(status=201, block="invites", mailed_to=new.email))

    return forms.save(
        lambda: invites.create_invite(db.session, current_user, now=clock.now(), days=current_app.config["INVITE_DAYS"],
                                      email=values["email"], locale=values["locale"]),
        invalid=lambda errors: _page(status=422, block="invites", invite_errors=errors, invite_values=values),
        done=done)


@bp.post("/invites/<int:invite_id>/revoke")
@login_required
def revoke_invite(invite_id: int):
    """Revoke an open invite of the coach's team."""
    invites.revoke_invite(db.session, current_user, invite_id, now=clock.now())
    db.session.commit()
    return forms.answered(_("Invite revoked. The link no longer works."), url_for("team.index", _anchor="invites"),
                          partial=lambda: _page(block="invites", revoked=True))


@bp.post("/holidays")
@login_required
def add_holiday():
    """Add a team holiday; its days are neutral for every member's streak. Coaches only (else 404)."""
    values = {f: request.form.get(f, "") for f in HOLIDAY_FIELDS}
    return forms.save(
        lambda: away.add_team_holiday(db.session, current_user, values, now=clock.now()),
        invalid=lambda errors: _page(status=422, block="holidays", holiday_errors=errors, holiday_values=values),
        done=lambda holiday: forms.answered(
            _("Team holiday saved. Nobody's streak breaks on those days."), url_for("team.index", _anchor="holidays"),
            partial=lambda: trigger(_page(status=201, block="holidays", holiday_added=holiday), HOLIDAY_EVENT,
                                    {"action": "added"})))


@bp.post("/holidays/<int:holiday_id>/delete")
@login_required
def delete_holiday(holiday_id: int):
    """Delete a holiday of the coach's team; anyone else, or another team's holiday, gets a 404."""
    away.delete_team_holiday(db.session, current_user, holiday_id, now=clock.now())
    db.session.commit()
    return forms.answered(_("Team holiday deleted."), url_for("team.index", _anchor="holidays"),
                          partial=lambda: trigger(_page(block="holidays", holiday_deleted=True), HOLIDAY_EVENT,
                                                  {"action": "deleted"}))


@bp.get("/reps/<int:rep_id>")
@login_required
def rep(rep_id: int):
    """Show a rep's quiet and warming customers to their coach; anyone else gets a 404."""
    detail = team_q.rep_customers(db.session, current_user, rep_id, now=clock.now())
    if detail is None:
        abort(404)
    return render("team/rep.html", detail=detail, crisis=current_user.team.in_crisis)


@bp.post("/crisis")
@login_required
def start_crisis():
    """Switch the coach's team into crisis mode and start a storm week; others get a 404."""
    values = {"reason": request.form.get("reason", ""), "message": request.form.get("message", "")}

    def done(started):
        if started.challenge is not None:
            return forms.answered(_("Crisis mode is on. Cadences are tighter and a storm week has started."),
                                  url_for("challenges.show", challenge_id=started.challenge.id))
        return forms.answered(_("Crisis message updated."), url_for("team.index", _anchor="crisis"))

    return forms.save(
        lambda: crisis.start_crisis(db.session, current_user, reason=values["reason"], message=values["message"],
                                    now=clock.now()),
        invalid=lambda errors: _page(status=422, crisis_errors=errors, crisis_values=values), done=done)


@bp.post("/crisis/end")
@login_required
def end_crisis():
    """Switch the coach's team out of crisis mode; the storm week ends too, unless the coach keeps it running."""
    keep = request.form.get("keep_challenge") in ("1", "on", "true")
    ended = crisis.end_crisis(db.session, current_user, now=clock.now(), keep_challenge=keep)
    db.session.commit()
    if ended.ended:
        flash(_("Crisis mode is off. Cadences are back to normal, and the storm week has ended: its results are final."))
    else:
        flash(_("Crisis mode is off. Cadences are back to normal."))
    return redirect(url_for("team.index", _anchor="crisis"), 303)


# --- kudos: a coach's thanks for a rep's great touch ---

def _team_rep(rep_id: int):
    try:
        return kudos_ops.team_rep(db.session, current_user, rep_id)
    except NotFound:
        abort(404)


def _rep_page(rep, *, status: int = 200, errors: dict | None = None, failed_touch: int | None = None,
              values: dict | None = None, block: str | None = None):
    now = clock.now()
    touches = kudos_ops.rep_touches(db.session, rep)
    return render(
        "badges/rep_touches.html",
        block=block,
        status=status,
        rep=rep,
        touches=touches,
        given=kudos_ops.kudos_by_coach(db.session, current_user, [t.id for t in touches]),
        kudos_left=kudos_ops.left_this_month(db.session, current_user, now=now),
        per_month=badges.KUDOS_PER_COACH_PER_MONTH,
        today=current_user.today(now),
        errors=errors or {},
        failed_touch=failed_touch,
        values=values or {},
    )


@bp.get("/reps/<int:rep_id>/touches")
@login_required
def rep_touches(rep_id: int):
    """Show a team rep's recent touches to their coach, each with a "Give kudos" button (others: 404)."""
    rep = _team_rep(rep_id)
    part = request.args.get("part")
    return _rep_page(rep, block="left" if part == "left" and is_partial() else None)


@bp.post("/reps/<int:rep_id>/touches/<int:touch_id>/kudos")
@login_required
def give_kudos(rep_id: int, touch_id: int):
    """Give kudos for one of the rep's touches: at most 3 a month, once per touch; else 422."""
    rep = _team_rep(rep_id)
    note = request.form.get("note", "")

    # From the radar's confirmation (``source=radar``) the answers are that confirmation's.
    radar = request.form.get("source") == "radar"

    def invalid(errors):
        error = next(iter(errors.values()))
        if radar:
            return _kudos_confirm(rep, status=422, error=error, note=note, touch_id=touch_id)
        if is_partial():
            return _row(rep, touch_id, status=422, error=error, note=note)
        return _rep_page(rep, status=422, errors=errors, failed_touch=touch_id, values={"note": note})

    def partial():
        answer = _kudos_confirm(rep, touch_id=touch_id, given=True) if radar else _row(rep, touch_id)
        return trigger(answer, KUDOS_EVENT, {"touch_id": touch_id, "rep_id": rep.id})

    return forms.save(
        lambda: kudos_ops.give(db.session, current_user, touch_id, rep_id=rep.id, note=note, now=clock.now()),
        invalid=invalid,
        done=lambda _kudos: forms.answered(
            _("Kudos given to %(name)s. They will see it on their badge page.", name=rep.name),
            url_for("team.index", _anchor="radar") if radar else url_for("team.rep_touches", rep_id=rep.id),
            partial=partial))


def _row(rep, touch_id: int, *, status: int = 200, error: str | None = None, note: str = "") -> Response:
    now = clock.now()
    return fragment(
        "badges/_kudos_row.html",
        status,
        rep=rep,
        touch=db.session.get(Touch, touch_id),
        given=kudos_ops.kudos_by_coach(db.session, current_user, [touch_id]).get(touch_id),
        kudos_left=kudos_ops.left_this_month(db.session, current_user, now=now),
        today=current_user.today(now),
        error=error,
        note=note,
    )


# --- members: role, customers handed over, removed, restored (coaches and admins) ---

def _member(member_id: int):
    try:
        return members_ops.team_member(db.session, current_user, member_id)
    except NotFound:
        abort(404)


def _member_page(member, *, status: int = 200, errors: dict | None = None, values: dict | None = None):
    active, archived = members_ops.customer_count(db.session, member)
    others = [m for m in accounts.team_members(db.session, current_user) if m.id != member.id]
    return render(
        "team/member.html",
        status=status,
        member=member,
        active=active,
        archived=archived,
        others=others,
        roles=[r for r in Role if r is not Role.admin or current_user.role is Role.admin or member.role is Role.admin],
        role_labels=ROLE_LABELS,
        errors=errors or {},
        values=values or {},
    )


@bp.get("/members/<int:member_id>")
@login_required
def member(member_id: int):
    """Show a member's admin page to a coach or admin of their team: role, customers, remove (others: 404)."""
    return _member_page(_member(member_id))


@bp.post("/members/<int:member_id>/role")
@login_required
def change_role(member_id: int):
    """Change a member's role (rep ↔ coach; admin only by an admin); 422 when a rule forbids it."""
    person = _member(member_id)
    role = request.form.get("role", "")

    def done(changed):
        message = _("%(name)s is now: %(role)s.", name=changed.name, role=ROLE_LABELS[changed.role])
        if changed.id == current_user.id and not changed.is_coach:
            return forms.answered(message, url_for("team.index"))
        return forms.answered(message, url_for("team.member", member_id=changed.id))

    return forms.save(lambda: members_ops.change_role(db.session, current_user, person.id, role),
                      invalid=lambda errors: _member_page(person, status=422, errors=errors, values={"role": role}),
                      done=done)


@bp.post("/members/<int:member_id>/customers")
@login_required
def hand_over(member_id: int):
    """Hand all of a member's customers to another member of the team; their touches stay theirs."""
    person = _member(member_id)
    to = request.form.get("to", "")
    return forms.save(
        lambda: members_ops.hand_over_customers(db.session, current_user, person.id, to),
        invalid=lambda errors: _member_page(person, status=422, errors=errors, values={"to": to, "form": "hand"}),
        done=lambda moved: forms.answered(
            ngettext("%(num)d customer of %(name)s now belongs to %(to)s.",
                     "%(num)d customers of %(name)s now belong to %(to)s.", moved.customers,
                     name=person.name, to=moved.to.name),
            url_for("team.member", member_id=person.id)))


@bp.post("/members/<int:member_id>/remove")
@login_required
def remove_member(member_id: int):
    """Remove a member from the team and close their account, their customers handed over first; history stays."""
    person = _member(member_id)
    to = request.form.get("to", "")

    def done(removed):
        message = _("%(name)s was removed from the team and can no longer sign in.", name=removed.member.name)
        if removed.to is not None:
            message += " " + ngettext("%(num)d customer now belongs to %(to)s.", "%(num)d customers now belong to %(to)s.",
                                      removed.customers, to=removed.to.name)
        return forms.answered(message, url_for("team.index", _anchor="members"))

    return forms.save(lambda: members_ops.remove_member(db.session, current_user, person.id, to_id=to, now=clock.now()),
                      invalid=lambda errors: _member_page(person, status=422, errors=errors,
                                                          values={"to": to, "form": "remove"}),
                      done=done)


@bp.post("/members/<int:member_id>/restore")
@login_required
def restore_member(member_id: int):
    """Bring a removed member back into the team as a rep (others: 404)."""
    try:
        person = members_ops.restore_member(db.session, current_user, member_id)
    except NotFound:
        abort(404)
    db.session.commit()
    flash(_("%(name)s is back in the team as a rep and can sign in again.", name=person.name))
    return redirect(url_for("team.index", _anchor="members"), 303)


# --- kudos from the radar: a confirmation, then the kudos for the rep's latest creative touch ---

def _kudos_confirm(rep, *, status: int = 200, error: str | None = None, note: str = "", touch_id: int | None = None,
                   given: bool = False):
    """Render the radar's kudos confirmation for *rep*: their latest creative touch, or *touch_id* once given or refused."""
    now = clock.now()
    touch = (db.session.get(Touch, touch_id) if touch_id is not None
             else kudos_ops.latest_creative_touch(db.session, current_user, rep))
    return render(
        "team/kudos.html",
        block="confirm",
        status=status,
        rep=rep,
        touch=touch if touch is not None and touch.user_id == rep.id else None,
        given=given,
        kudos_left=kudos_ops.left_this_month(db.session, current_user, now=now),
        per_month=badges.KUDOS_PER_COACH_PER_MONTH,
        today=current_user.today(now),
        error=error,
        note=note,
    )


@bp.get("/reps/<int:rep_id>/kudos")
@login_required
def kudos(rep_id: int):
    """Ask the coach to confirm kudos for the rep's latest creative touch: a page, or inline on the radar (htmx)."""
    return _kudos_confirm(_team_rep(rep_id))
