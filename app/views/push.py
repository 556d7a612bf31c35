"""Reminders: turn on push on this device, see and remove devices, send a test, switch kinds."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import clock
from ..push import outbox, vapid
from ..extensions import config_limit, db, limiter, user_or_address
from ..htmx import is_partial, render
from ..operations import Invalid
from ..operations import push as push_ops

bp = Blueprint("push", __name__, url_prefix="/settings/reminders")

PARTS = ("devices", "kinds")

#: Label and explanation of each switchable nudge kind, in the order shown.
KIND_TEXT = {
    "streak_at_risk": (_l("Streak at risk"), _l("In the evening of a workday when nothing is logged yet.")),
    "quiet_digest": (_l("Customers going quiet"), _l("One morning digest, never one push per customer.")),
    "pipeline_quiet": (_l("Pipeline quiet"), _l("When you logged no touch on the last two workdays.")),
    "coach_alert": (_l("Coach alerts"), _l("For coaches: someone on your team has been quiet for three workdays.")),
    "badge_earned": (_l("Badges earned"), _l("When you earn a new badge.")),
    "challenge_finished": (_l("Challenges finished"), _l("When a challenge you take part in ends.")),
    "weekly_summary": (_l("Weekly summary"), _l("Your week in one message.")),
    "coach_weekly": (_l("Team week"), _l("For coaches: Monday morning, how your team kept in touch last week.")),
}

_BROWSERS = (("Edg/", "Edge"), ("EdgiOS", "Edge"), ("Firefox/", "Firefox"), ("FxiOS", "Firefox"),
             ("SamsungBrowser", "Samsung Internet"), ("OPR/", "Opera"), ("CriOS", "Chrome"),
             ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("CrOS", "ChromeOS"),
            ("Windows", "Windows"), ("Macintosh", "macOS"), ("Linux", "Linux"))


def device_label(user_agent: str | None) -> str:
    """Return a short, human name for a browser's user agent, e.g. "Chrome on Android"."""
    agent = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in agent), None)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    if browser or system:
        return browser or system
    return _("Unknown device")


def _page(*, block: str | None = None, status: int = 200, **context):
    muted = push_ops.muted_kinds(current_user)
    return render(
        "push/index.html",
        block=block,
        status=status,
        devices=push_ops.list_devices(db.session, current_user),
        device_label=device_label,
        kinds=[(kind, *KIND_TEXT[kind], kind not in muted) for kind in push_ops.SWITCHABLE_KINDS],
        vapid_public_key=vapid.public_key(),
        **context,
    )


@bp.get("/")
@login_required
def index():
    """Show the reminders page; ``?part=devices`` or ``?part=kinds`` for an htmx refresh."""
    part = request.args.get("part")
    return _page(block=part if part in PARTS and is_partial() else None)


@bp.post("/test")
@login_required
@limiter.limit(config_limit("PUSH_TEST_RATE_LIMIT"), key_func=user_or_address)
def test():
    """Send a test push to all of the user's devices right away."""
    report = outbox.send_test(
        db.session, current_user, now=clock.now(),
        title=_("Touchbase test"), body=_("Reminders work on this device."), url=url_for("today.index"),
    )
    if report.sent:
        message = _("Test push sent. It should appear in a moment.")
    elif not push_ops.list_devices(db.session, current_user):
        message = _("No device to send to. Turn on reminders on this device first.")
    elif report.retried or report.pending:
        message = _("The push service is busy. We will try again in a minute.")
    else:
        message = _("The test push could not be delivered.")
    if is_partial():
        return _page(block="devices", message=message)
    flash(message)
    return redirect(url_for("push.index", _anchor="devices"), 303)


@bp.post("/devices/<int:subscription_id>/remove")
@login_required
def remove(subscription_id: int):
    """Remove one of the user's devices; anyone else's is a 404."""
    push_ops.remove_device(db.session, current_user, subscription_id)
    db.session.commit()
    message = _("Device removed. It gets no more reminders.")
    if is_partial():
        return _page(block="devices", message=message)
    flash(message)
    return redirect(url_for("push.index", _anchor="devices"), 303)


@bp.post("/kinds")
@login_required
def kinds():
    """Save which kinds of reminders the user wants."""
    try:
        push_ops.set_enabled_kinds(db.session, current_user, request.form.getlist("kinds"))
    except Invalid as exc:
        db.session.rollback()
        return _page(block="kinds", status=422, kind_errors=exc.fields)
    db.session.commit()
    message = _("Reminder choices saved.")
    if is_partial():
        return _page(block="kinds", kinds_message=message)
    flash(message)
    return redirect(url_for("push.index", _anchor="kinds"), 303)
