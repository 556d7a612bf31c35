"""Settings: profile and day, vacation and sick days, the weekly summary mail, password, API tokens, the calendar feed."""

from __future__ import annotations

from datetime import time

from babel.dates import get_day_names
from flask import Blueprint, current_app, request, url_for
from flask_babel import format_time, get_locale, refresh
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user

from .. import clock
from ..extensions import config_limit, csrf, db, limiter, user_or_address
from ..htmx import render, trigger
from ..operations import NotFound, accounts, away, calendar_feeds, tokens, weekly_mail
from . import forms

bp = Blueprint("settings", __name__, url_prefix="/settings")

AWAY_FIELDS = ("first_day", "last_day", "reason", "note")
AWAY_EVENT = "away-changed"


def _saved_values() -> dict[str, object]:
    values: dict[str, object] = {f: getattr(current_user, f) for f in accounts.SETTINGS_FIELDS}
    values["locale"] = current_user.locale or ""
    values["workdays"] = list(current_user.workdays)
    return values


def _posted_values() -> dict[str, object]:
    values: dict[str, object] = {f: request.form.get(f, "") for f in accounts.SETTINGS_FIELDS}
    values["workdays"] = request.form.getlist("workdays")
    return values


def _shown(values: dict[str, object]) -> dict[str, object]:
    """Return *values* for the form: hours and the goal as ints where they parse, else as typed."""
    shown = dict(values)
    for field in ("daily_goal", "day_start_hour", "evening_hour", "quiet_start_hour", "quiet_end_hour"):
        raw = values.get(field)
        if isinstance(raw, str) and raw.strip().isdigit():
            shown[field] = int(raw)
    shown["workdays"] = [int(d) for d in values.get("workdays", []) if str(d).isdigit()]
    return shown


def _page(*, status: int = 200, block: str | None = None, values: dict | None = None, **context):
    locale = get_locale()
    today = current_user.today(clock.now())
    return render(
        "settings/index.html",
        block=block,
        status=status,
        values=_shown(values if values is not None else _saved_values()),
        errors=context.pop("errors", {}),
        password_errors=context.pop("password_errors", {}),
        token_errors=context.pop("token_errors", {}),
        tokens=tokens.list_tokens(db.session, current_user),
        zones=clock.zone_choices(),
        weekdays=get_day_names("wide", locale=locale),
        hours=[(h, format_time(time(h), "short", rebase=False)) for h in range(24)],
        goal_range=(accounts.MIN_GOAL, accounts.MAX_GOAL),
        today=today,
        away_periods=away.list_away_periods(db.session, current_user, today=today),
        away_limits=away.limits(today),
        away_reasons=away.REASONS,
        away_values=context.pop("away_values", {"reason": "vacation"}),
        away_errors=context.pop("away_errors", {}),
        calendar_feed=calendar_feeds.get_feed(db.session, current_user),
        weekly_errors=context.pop("weekly_errors", {}),
        **context,
    )


@bp.get("/")
@login_required
def index():
    """Show the settings page."""
    return _page()


@bp.post("/")
@login_required
def save():
    """Save profile and day settings; all fields or none."""
    values = _posted_values()

    def done(_user):
        refresh()  # a new language applies from this very response on
        return forms.answered(_("Settings saved."), url_for("settings.index"))

    return forms.save(lambda: accounts.update_settings(db.session, current_user, values, now=clock.now()),
                      invalid=lambda errors: _page(status=422, values=values, errors=errors), done=done)


@bp.post("/password")
@login_required
def password():
    """Change the password; every other session ends, this one stays signed in."""
    user = current_user._get_current_object()
    form = request.form

    revoke = form.get("revoke_tokens") in ("1", "on", "true")

    def change():
        accounts.change_password(db.session, user, current=form.get("current_password", ""),
                                 new=form.get("new_password", ""), confirm=form.get("confirm_password", ""))
        return tokens.revoke_all_tokens(db.session, user, now=clock.now()) if revoke else 0

    def done(revoked: int):
        login_user(user, remember=True)  # the session token changed: carry this session over
        message = _("Password changed. You were signed out on all other devices.")
        if revoke:
            message += " " + ngettext("%(num)d access token was revoked.", "%(num)d access tokens were revoked.",
                                      revoked)
        return forms.answered(message, url_for("settings.index"))

    return forms.save(change, invalid=lambda errors: _page(status=422, password_errors=errors), done=done)


@bp.post("/tokens")
@login_required
@limiter.limit(config_limit("TOKEN_RATE_LIMIT"), key_func=user_or_address)
def create_token():
    """Create an API token and show its plain text once."""
    name = request.form.get("name", "")
    return forms.save(lambda: tokens.create_token(db.session, current_user, name=name, now=clock.now()),
                      invalid=lambda errors: _page(status=422, block="tokens", token_errors=errors, token_name=name),
                      done=lambda new: _page(status=201, block="tokens", new_token=new))


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    """Revoke one of the user's own API tokens; anyone else's is a 404."""
    tokens.revoke_token(db.session, current_user, token_id, now=clock.now())
    db.session.commit()
    return forms.answered(_("Token revoked. Apps using it can no longer sign in with it."),
                          url_for("settings.index", _anchor="tokens"),
                          partial=lambda: _page(block="tokens", revoked=True))


@bp.post("/away")
@login_required
def add_away():
    """Add a vacation, sick or other away period; the streak treats its days as neutral."""
    values = {f: request.form.get(f, "") for f in AWAY_FIELDS}
    return forms.save(
        lambda: away.add_away_period(db.session, current_user, values, now=clock.now()),
        invalid=lambda errors: _page(status=422, block="away", away_errors=errors, away_values=values),
        done=lambda period: forms.answered(
            _("Away period saved. Your streak is safe on those days."), url_for("settings.index", _anchor="away"),
            partial=lambda: trigger(_page(status=201, block="away", away_added=period), AWAY_EVENT,
                                    {"action": "added"})))


@bp.post("/away/<int:period_id>/delete")
@login_required
def delete_away(period_id: int):
    """Delete one of the user's own away periods; anyone else's is a 404."""
    away.delete_away_period(db.session, current_user, period_id, now=clock.now())
    db.session.commit()
    return forms.answered(_("Away period deleted."), url_for("settings.index", _anchor="away"),
                          partial=lambda: trigger(_page(block="away", away_deleted=True), AWAY_EVENT,
                                                  {"action": "deleted"}))


@bp.post("/calendar")
@login_required
def make_calendar():
    """Make the calendar feed's secret address, or a new one in place of the old; show it once."""
    new = calendar_feeds.make_feed(db.session, current_user, now=clock.now())
    db.session.commit()
    return _page(status=201, block="calendar", new_calendar=new)


@bp.post("/calendar/revoke")
@login_required
def revoke_calendar():
    """Turn the calendar feed off: its address answers 404 from now on."""
    calendar_feeds.revoke_feed(db.session, current_user)
    db.session.commit()
    return forms.answered(_("Calendar feed turned off. Its address no longer works."),
                          url_for("settings.index", _anchor="calendar"),
                          partial=lambda: _page(block="calendar", calendar_revoked=True))
@bp.post("/weekly-mail")
@login_required
def weekly_mail_switch():
    """Switch the weekly summary by e-mail on or off (the checkbox; left out means off)."""
    value = request.form.get("weekly_summary_mail")

    def done(user):
        message = _("Weekly summary switched on.") if user.weekly_summary_mail else _("Weekly summary switched off.")
        return forms.answered(message, url_for("settings.index", _anchor="weekly-mail"),
                              partial=lambda: _page(block="weekly_mail", weekly_saved=True))

    return forms.save(lambda: weekly_mail.set_subscribed(db.session, current_user, value),
                      invalid=lambda errors: _page(status=422, block="weekly_mail", weekly_errors=errors), done=done)


@bp.route("/weekly-mail/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the permission; mail programs post here without a form (RFC 8058)
def unsubscribe_weekly(token: str):
    """Stop the weekly summary from the link in the mail, without signing in: GET asks, POST does it.

    A token that is not ours is a 404.
    """
    secret = current_app.secret_key
    try:
        if request.method == "POST":
            user = weekly_mail.unsubscribe(db.session, token, secret=secret)
            db.session.commit()
        else:
            user = weekly_mail.subscriber(db.session, token, secret=secret)
    except NotFound:
        db.session.rollback()
        return render("settings/unsubscribe.html", token=token, email=None, done=False, status=404)
    return render("settings/unsubscribe.html", token=token, email=user.email, done=request.method == "POST")
