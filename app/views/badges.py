"""Badges and points: the badge page, the celebration of a new badge, and coach kudos."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from .. import badges, clock, points
from ..extensions import db
from ..htmx import is_partial, render, trigger
from ..models import Touch
from ..operations import Invalid, NotFound, awards, ledger
from ..operations import kudos as kudos_ops
from ..queries import common as common_q
from ..queries import points as points_q

bp = Blueprint("badges", __name__)

EVENT = "badge-earned"
KUDOS_EVENT = "kudos-given"


def locale() -> str:
    """Return the language of this request: the user's setting, else the browser's."""
    return str(get_locale() or "en")


def ordinal(num: int) -> str:
    """Return *num* as an ordinal in the request's language: "3rd", German "3."."""
    if not locale().startswith("en"):
        return f"{num}."
    suffix = "th" if 10 <= num % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(num % 10, "th")
    return f"{num}{suffix}"


def points_note(scored: ledger.TouchPoints | None, name: str) -> str | None:
    """Say what a touch scored and why — above all why a capped touch scored nothing."""
    if scored is None:
        return None
    if scored.capped:
        return _("%(ordinal)s touch to %(name)s this week — no points, give them some room.",
                 ordinal=ordinal(scored.touches_in_window), name=name)
    if scored.reason is points.Reason.inbound:
        return ngettext("+%(num)d point — they reached out, thanks for logging it.",
                        "+%(num)d points — they reached out, thanks for logging it.", scored.points)
    if scored.reason is points.Reason.variety:
        return _("+%(num)d points, with +%(bonus)d for a new way to reach %(name)s.",
                 num=scored.points, bonus=scored.variety_bonus, name=name)
    return ngettext("+%(num)d point", "+%(num)d points", scored.points)


def badge_detail(earned: badges.Badge) -> dict:
    """Return one badge as the ``badge-earned`` event carries it, in the request's language."""
    lang = locale()
    return {"code": earned.code, "name": earned.name_in(lang), "description": earned.description_in(lang)}


def celebrate(response: Response, earned) -> Response:
    """Add ``HX-Trigger: badge-earned`` for the badges just *earned* (the first, plus all in ``badges``)."""
    if earned:
        details = [badge_detail(b) for b in earned]
        trigger(response, EVENT, {**details[0], "badges": details})
    return response


def flash_badges(earned) -> None:
    """Flash a line per new badge, for browsers without JavaScript."""
    for b in earned:
        detail = badge_detail(b)
        flash(_("New badge: %(name)s — %(description)s", name=detail["name"], description=detail["description"]))


@dataclass(frozen=True)
class BadgeCard:
    """A badge as the badge page shows it, earned or locked with progress."""

    code: str
    name: str
    description: str
    icon: Markup
    earned_on: date | None
    value: int
    target: int
    progress: str

    @property
    def percent(self) -> int:
        """Return the progress in whole percent."""
        return 100 if self.earned_on else int(100 * self.value / self.target) if self.target else 0


def badge_cards(stats: badges.Stats, held: list[awards.Award]) -> tuple[list[BadgeCard], list[BadgeCard]]:
    """Return the earned cards (newest first) and the locked ones (closest first, then registry order)."""
    lang = locale()
    earned_on = {a.badge.code: a.local_day for a in held}
    earned, locked = [], []
    for b in badges.BADGES.values():
        value, target = b.progress(stats)
        card = BadgeCard(b.code, b.name_in(lang), b.description_in(lang), Markup(b.icon),  # nosec B704  # our own SVG (app/badges.py)
                         earned_on.get(b.code), value, target, b.progress_label(stats, lang))
        (earned if card.earned_on else locked).append(card)
    order = {a.badge.code: i for i, a in enumerate(held)}
    earned.sort(key=lambda c: order[c.code])
    locked.sort(key=lambda c: -c.percent)
    return earned, locked


@bp.get("/badges", strict_slashes=False)
@login_required
def index():
    """Show the rep's badges: earned ones with their date, locked ones with progress, kudos, points."""
    now = clock.now()
    today = common_q.today_of(current_user, now)
    held = awards.held_awards(db.session, current_user)
    stats = awards.build_stats(db.session, current_user, today=today, held=[a.badge.code for a in held], full=True)
    earned, locked = badge_cards(stats, held)
    coach = kudos_ops.is_coach(current_user)
    return render(
        "badges/index.html",
        earned=earned,
        locked=locked,
        totals=points_q.totals(db.session, current_user, today=today, with_total=True),
        received=kudos_ops.received(db.session, current_user),
        coach=coach,
        team_reps=kudos_ops.team_reps(db.session, current_user) if coach else [],
        kudos_left=kudos_ops.left_this_month(db.session, current_user, now=now) if coach else 0,
        per_month=badges.KUDOS_PER_COACH_PER_MONTH,
        format_day=lambda day: format_date(day, "long"),
    )


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
        today=common_q.today_of(current_user, now),
        errors=errors or {},
        failed_touch=failed_touch,
        values=values or {},
    )


@bp.get("/team/reps/<int:rep_id>/touches")
@login_required
def rep_touches(rep_id: int):
    """Show a team rep's recent touches to their coach, each with a "Give kudos" button (others: 404)."""
    rep = _team_rep(rep_id)
    part = request.args.get("part")
    return _rep_page(rep, block="left" if part == "left" and is_partial() else None)


@bp.post("/team/reps/<int:rep_id>/touches/<int:touch_id>/kudos")
@login_required
def give_kudos(rep_id: int, touch_id: int):
    """Give kudos for one of the rep's touches: at most 3 a month, once per touch; else 422."""
    rep = _team_rep(rep_id)
    note = request.form.get("note", "")
    try:
        kudos_ops.give(db.session, current_user, touch_id, rep_id=rep.id, note=note, now=clock.now())
    except Invalid as exc:
        db.session.rollback()
        message = next(iter(exc.fields.values()))
        if is_partial():
            return _row(rep, touch_id, status=422, error=message, note=note)
        return _rep_page(rep, status=422, errors=exc.fields, failed_touch=touch_id, values={"note": note})
    db.session.commit()
    if not is_partial():
        flash(_("Kudos given to %(name)s. They will see it on their badge page.", name=rep.name))
        return redirect(url_for("badges.rep_touches", rep_id=rep.id), 303)
    return trigger(_row(rep, touch_id), KUDOS_EVENT, {"touch_id": touch_id, "rep_id": rep.id})


def _row(rep, touch_id: int, *, status: int = 200, error: str | None = None, note: str = "") -> Response:
    now = clock.now()
    touch = db.session.get(Touch, touch_id)
    body = render_template(
        "badges/_kudos_row.html",
        rep=rep,
        touch=touch,
        given=kudos_ops.kudos_by_coach(db.session, current_user, [touch_id]).get(touch_id),
        kudos_left=kudos_ops.left_this_month(db.session, current_user, now=now),
        today=common_q.today_of(current_user, now),
        error=error,
        note=note,
    )
    response = current_app.response_class(body, status=status, mimetype="text/html")
    response.vary.add("HX-Request")
    return response
