"""What a logged touch says back: the points it scored and why, the badges it earned, and the
moments it reached (a streak milestone, the daily goal) for the page to celebrate."""

from __future__ import annotations

from flask import Response, flash
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from .. import badges, moments, points
from ..htmx import trigger
from ..operations import ledger

EVENT = "badge-earned"
MOMENTS_EVENT = "celebrate"


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


def moment_details(earned=(), reached: moments.Moments = moments.Moments()) -> list[dict]:
    """Return the celebrations for a touch, in the request's language: streak, goal, then each badge.

    Each is ``{kind, title, text}`` plus ``days`` (streak), ``goal`` or ``code`` (badge).
    """
    found: list[dict] = []
    if reached.streak:
        found.append({
            "kind": "streak", "days": reached.streak,
            "title": ngettext("%(num)d-day streak!", "%(num)d-day streak!", reached.streak),
            "text": _("Day after day, your customers hear from you. Keep the flame going."),
        })
    if reached.goal:
        found.append({
            "kind": "goal", "goal": reached.goal,
            "title": _("Daily goal reached!"),
            "text": ngettext("%(num)d touch today — that is your goal.",
                             "%(num)d touches today — that is your goal.", reached.goal),
        })
    for b in earned:
        detail = badge_detail(b)
        found.append({"kind": "badge", "code": detail["code"], "title": _("New badge: %(name)s", name=detail["name"]),
                      "text": detail["description"]})
    return found


def celebrate(response: Response, earned, reached: moments.Moments = moments.Moments()) -> Response:
    """Tell the page what to celebrate: ``HX-Trigger: celebrate`` with every moment and,
    as before, ``badge-earned`` for the badges just *earned* (the first, plus all in ``badges``)."""
    if earned:
        details = [badge_detail(b) for b in earned]
        trigger(response, EVENT, {**details[0], "badges": details})
    found = moment_details(earned, reached)
    if found:
        trigger(response, MOMENTS_EVENT, {"moments": found})
    return response


def flash_badges(earned, reached: moments.Moments = moments.Moments()) -> None:
    """Flash a line per moment and new badge, for browsers without JavaScript."""
    for found in moment_details((), reached):
        flash(f"{found['title']} {found['text']}")
    for b in earned:
        detail = badge_detail(b)
        flash(_("New badge: %(name)s — %(description)s", name=detail["name"], description=detail["description"]))
