"""Touches: log in two taps (for a day of the last 7, too), undo for a few seconds, find a customer to log
with, and page through, filter, edit (its day too) or delete one's own touches later."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import clock, redirects
from ..extensions import db
from ..htmx import fragment, is_partial, removed, render, trigger
from ..kinds import TouchKind
from ..labels import kind_label
from ..models import Touch
from ..operations import Invalid, NotFound
from ..operations import touches as ops
from ..operations.customers import get_customer
from ..queries import customers as customers_q
from ..queries import touches as touches_q
from . import celebrate, forms

bp = Blueprint("touches", __name__, url_prefix="/touches")

EVENT = "touch-logged"
PAGE_SIZE = 50
PICK_LIMIT = 30  # customers /touches/new lists without a search: the most urgent


@bp.app_template_global("log_days")
def log_days() -> tuple[date, date]:
    """Return the first and the last local day the signed-in rep can log a touch for (the date picker's range)."""
    window = g.get("log_days")
    if window is None:
        window = g.log_days = ops.backfill_window(current_user.today(clock.now()))
    return window


def safe_next(target: str | None, default: str | None = None) -> str:
    """Return *target* when it is a path on this site (``redirects.local_path``), else *default* (Today)."""
    return redirects.local_path(target) or default or url_for("today.index")


def _days_back(raw: str | None) -> object:
    """Turn the form's "when" into a day count; anything odd is passed on for the operation to refuse."""
    raw = (raw or "").strip()
    if not raw:
        return 0
    return int(raw) if raw.isdigit() and len(raw) < 4 else raw


def _own_touch(touch_id: int) -> Touch:
    try:
        return ops.get_own_touch(db.session, current_user, touch_id)
    except NotFound:
        abort(404)


def _summary(touch: Touch) -> str:
    """Describe a touch in one short line, e.g. "Coffee with Müller AG"."""
    return _("%(kind)s with %(name)s", kind=kind_label(touch.kind), name=touch.customer.name)


@bp.get("/")
@login_required
def index():
    """List the rep's own touches, newest first, 50 a page, filtered by customer and kind, to edit or delete them.

    Query parameters (all optional, a form without script sends them): ``customer`` (an id),
    ``kind``, and ``before`` (the id of the last touch of the page before: the next page starts
    after it). An htmx request gets the list block only; ``part=more`` just the next page's rows.
    """
    now = clock.now()
    filters = touches_q.TouchFilters.parse(request.args, kinds={kind.value for kind in TouchKind})
    page = touches_q.my_touches(db.session, current_user, filters, limit=PAGE_SIZE)
    part = request.args.get("part")
    return render(
        "touches/index.html",
        block="more" if part == "more" else "recent",
        page=page,
        filters=filters,
        filter_args={"customer": filters.customer, "kind": filters.kind},
        customers=touches_q.touched_customers(db.session, current_user),
        today=current_user.today(now),
    )


@bp.get("/new")
@login_required
def new():
    """Log a touch on a page of its own: for one customer, or found among the rep's customers.

    ``q`` searches the rep's active customers by name, company and e-mail (active search: the
    results block for htmx, the whole page without script); without it the most urgent ones
    come first. Customers with the same name are told apart (``customers_q.tell_apart``).
    """
    next_url = safe_next(request.args.get("next"))
    customer, rows, more = None, [], 0
    query = (request.args.get("q") or "").strip()
    if request.args.get("customer_id"):
        try:
            customer = get_customer(db.session, current_user, request.args["customer_id"], include_archived=False)
        except NotFound:
            abort(404)
    else:
        today = current_user.today(clock.now())
        found = customers_q.customer_rows(db.session, current_user, today=today, search=query or None, mine=True)
        rows = found if query else found[:PICK_LIMIT]
        more = len(found) - len(rows)
    return render("touches/new.html", block="results" if customer is None else None, customer=customer, rows=rows,
                  more=more, q=query, apart=customers_q.tell_apart([r.customer for r in rows]), log_open=True,
                  log_next=next_url, next_url=next_url, log_values={}, log_errors={})


@bp.post("/")
@login_required
def create():
    """Log a touch: the second tap. Answers htmx with a fresh widget, an undo toast and an event."""
    form = request.form
    next_url = safe_next(form.get("next"))
    try:
        customer = get_customer(db.session, current_user, form.get("customer_id"), include_archived=False)
    except NotFound:
        abort(404)
    values = {
        "kind": form.get("kind", ""),
        "note": form.get("note", ""),
        "days_back": form.get("days_back", "0"),
        "day": form.get("day", ""),
        "direction": form.get("direction", "out"),
    }

    def invalid(errors):
        context = dict(customer=customer, log_errors=errors, log_values=values, log_open=True, log_next=next_url)
        if is_partial():
            return fragment("touches/_log_form.html", 422, **context)
        return render("touches/new.html", status=422, **context)

    def done(logged):
        touch = logged.touch
        message = _("Logged: %(what)s.", what=_summary(touch))
        points = celebrate.points_note(logged.points, customer.name)
        if not is_partial():
            flash({"text": message, "detail": points, "undo": url_for("touches.undo", touch_id=touch.id),
                   "next": next_url}, "undo")
            celebrate.flash_badges(logged.badges, logged.moments)
            return redirect(next_url)
        toast = {"message": message, "touch": touch, "next_url": next_url, "detail": points,
                 "seconds": current_app.config["UNDO_SECONDS"]}
        response = fragment("touches/_log_form.html", customer=customer, log_open=False, log_next=next_url,
                            logged=touch, logged_points=points,
                            logged_capped=bool(logged.points and logged.points.capped),
                            oob=(("touches/_undo_toast.html", toast),))
        trigger(response, EVENT, {"id": touch.id, "customer_id": customer.id, "action": "logged"})
        return celebrate.celebrate(response, logged.badges, logged.moments)

    return forms.save(
        lambda: ops.log_touch(
            db.session,
            user=current_user,
            customer_id=customer.id,
            kind=values["kind"],
            note=values["note"],
            direction=values["direction"] or "out",
            days_back=_days_back(values["days_back"]),
            day=values["day"] or None,
            # Set by app.js, so a lost request replayed from the offline outbox is not doubled.
            client_id=form.get("client_id") or None,
            now=clock.now(),
        ),
        invalid=invalid,
        done=done,
    )


@bp.post("/<int:touch_id>/undo")
@login_required
def undo(touch_id: int):
    """Take back a touch within the undo window; the counts go back through the same event."""
    touch = _own_touch(touch_id)
    next_url = safe_next(request.form.get("next"))
    what = _summary(touch)
    try:
        ops.undo_touch(db.session, touch, now=clock.now(), window_seconds=current_app.config["UNDO_SECONDS"])
    except Invalid as exc:
        db.session.rollback()
        message, status = exc.fields["touch"], 422
    else:
        db.session.commit()
        message, status = _("Undone: %(what)s.", what=what), 200
    if not is_partial():
        flash(message)
        return redirect(next_url)
    response = fragment("touches/_toast.html", status, message=message, failed=status != 200)
    if status == 200:
        trigger(response, EVENT, {"id": touch_id, "action": "undone"})
    return response


@bp.get("/<int:touch_id>")
@login_required
def show(touch_id: int):
    """Show one of the rep's touches (htmx: just its row, e.g. to cancel an edit)."""
    touch = _own_touch(touch_id)
    now = clock.now()
    return render("touches/show.html", block="row", touch=touch, today=current_user.today(now),
                  next_url=safe_next(request.args.get("next"), url_for("touches.index")))


@bp.route("/<int:touch_id>/edit", methods=["GET", "POST"])
@login_required
def edit(touch_id: int):
    """Change a touch's kind, note or direction, or correct its day within the last 7 days."""
    touch = _own_touch(touch_id)
    source = request.form if request.method == "POST" else request.args
    next_url = safe_next(source.get("next"), url_for("touches.index"))
    today = current_user.today(clock.now())
    errors: dict[str, str] = {}
    values = {"kind": touch.kind.value, "note": touch.note or "", "direction": touch.direction.value,
              "day": touch.local_day.isoformat()}
    if request.method == "POST":
        values = {
            "kind": request.form.get("kind", ""),
            "note": request.form.get("note", ""),
            "direction": request.form.get("direction", "out"),
            "day": request.form.get("day", ""),
        }
        try:
            now = clock.now()
            ops.update_touch(db.session, touch, kind=values["kind"], note=values["note"],
                             direction=values["direction"], day=values["day"] or ops.KEEP, now=now)
            earned = ops.award_after_edit(db.session, touch, now=now)
        except Invalid as exc:
            db.session.rollback()
            errors = exc.fields
            touch = _own_touch(touch_id)
        else:
            db.session.commit()
            if not is_partial():
                flash(_("Saved: %(what)s.", what=_summary(touch)))
                celebrate.flash_badges(earned)
                return redirect(next_url)
            response = render("touches/show.html", block="row", touch=touch, today=today, next_url=next_url)
            trigger(response, EVENT, {"id": touch.id, "action": "edited"})
            return celebrate.celebrate(response, earned)
    return render("touches/edit.html", block="edit_form", touch=touch, values=values, errors=errors,
                  today=today, movable=touch.local_day >= ops.backfill_window(today)[0],
                  next_url=next_url, inline=is_partial(), status=422 if errors else 200)


@bp.route("/<int:touch_id>/delete", methods=["GET", "POST"])
@login_required
def delete(touch_id: int):
    """Delete a touch (GET asks to confirm, for browsers without JavaScript)."""
    touch = _own_touch(touch_id)
    source = request.form if request.method == "POST" else request.args
    next_url = safe_next(source.get("next"), url_for("touches.index"))
    if request.method == "GET":
        return render("touches/delete.html", touch=touch, next_url=next_url,
                      today=current_user.today(clock.now()))
    what = _summary(touch)
    ops.delete_touch(db.session, touch, now=clock.now())
    db.session.commit()
    if not is_partial():
        flash(_("Deleted: %(what)s.", what=what))
        return redirect(next_url)
    return trigger(removed(), EVENT, {"id": touch_id, "action": "deleted"})
