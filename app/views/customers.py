"""Customer pages: the list with active search, detail and timeline, the next touch, create, edit, archive,
import, CSV."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, current_app, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from .. import clock, follow_ups, ids, statuses
from ..extensions import db
from ..htmx import is_partial, render, trigger
from ..kinds import Tier
from ..models import Customer
from ..operations import Conflict, Invalid, NotFound
from ..operations import csv_io, imports, vcards
from ..operations import customers as ops
from ..operations import follow_ups as follow_up_ops
from ..queries import common as common_q
from ..queries import customers as customers_q
from ..queries import follow_ups as follow_ups_q
from ..warmth import MAX_CADENCE, MIN_CADENCE, TIER_CADENCE
from . import forms

bp = Blueprint("customers", __name__, url_prefix="/customers")

FORM_FIELDS = ("name", "company", "email", "phone", "tier", "cadence_days", "paused_until", "notes")
DETAIL_PARTS = frozenset({"status", "timeline", "follow_up"})
FOLLOW_UP_FIELDS = ("due_day", "kind", "note")
FOLLOW_UP_EVENT = "follow-up-changed"
IMPORT_ENDPOINTS = frozenset({"customers.import_form", "customers.import_preview", "customers.import_confirm"})


@bp.url_value_preprocessor
def _allow_large_csv_fields(endpoint: str | None, _values) -> None:
    # Runs before CSRFProtect reads the form: pasted CSV and the carried-over content are form
    # fields, which Werkzeug caps at 500 kB by default; allow them up to the upload limit.
    if endpoint in IMPORT_ENDPOINTS:
        request.max_form_memory_size = current_app.config["MAX_CONTENT_LENGTH"]


def _customer_or_404(customer_id: int) -> Customer:
    try:
        return ops.get_customer(db.session, current_user, customer_id)
    except NotFound:
        abort(404)


def _filters() -> tuple[str, str, bool]:
    query = (request.args.get("q") or "").strip()[:200]
    warmth = request.args.get("warmth") or ""
    if warmth not in {s.value for s in statuses.Status}:
        warmth = ""  # an unknown filter shows everything rather than failing
    return query, warmth, request.args.get("archived") in ("1", "true", "on")


@bp.get("/")
@login_required
def index():
    """List the customers the user sees, most urgent first; searchable and filtered by what they show (``?warmth=``).

    The filter is the status the list shows: ``new`` (never touched, first cadence not run)
    or a warmth; ``green`` leaves the new ones out, as they are not labelled "In touch".
    """
    today = current_user.today(clock.now())
    query, warmth, archived = _filters()
    rows = customers_q.customer_rows(db.session, current_user, today=today, search=query or None, archived=archived)
    return render(
        "customers/index.html",
        block="results",
        rows=[row for row in rows if not warmth or row.status == warmth],
        total=len(rows),
        counts=customers_q.status_counts(rows),
        archived_total=customers_q.archived_count(db.session, current_user),
        q=query,
        warmth=warmth,
        archived=archived,
        today=today,
    )


def _form_input() -> ops.CustomerInput:
    return ops.CustomerInput(**{name: request.form.get(name) for name in FORM_FIELDS})


def _form_values(customer: Customer | None) -> dict[str, object]:
    if customer is None:
        return {"tier": Tier.B.value, "owner_id": str(current_user.id)}
    values: dict[str, object] = {name: getattr(customer, name) for name in FORM_FIELDS}
    values["tier"] = customer.tier.value
    # An empty cadence follows the tier, so show the tier default as empty.
    if customer.cadence_days == TIER_CADENCE[customer.tier.value]:
        values["cadence_days"] = ""
    values["paused_until"] = customer.paused_until.isoformat() if customer.paused_until else ""
    values["owner_id"] = str(customer.owner_id)
    return values


def _render_form(customer: Customer | None, values: dict, errors: dict | None = None, status: int = 200):
    return render(
        "customers/form.html",
        customer=customer,
        values=values,
        errors=errors or {},
        owners=ops.team_members(db.session, current_user) if current_user.is_coach else [],
        tiers=[(tier.value, TIER_CADENCE[tier.value]) for tier in Tier],
        min_cadence=MIN_CADENCE,
        max_cadence=MAX_CADENCE,
        status=status,
    )


@bp.get("/new")
@login_required
def new():
    """Show the form for a new customer."""
    return _render_form(None, _form_values(None))


@bp.post("/")
@login_required
def create():
    """Create a customer; 422 with every field's problem."""
    return forms.save(
        lambda: ops.create_customer_as(db.session, actor=current_user, data=_form_input(), now=clock.now(),
                                       owner_id=request.form.get("owner_id")),
        invalid=lambda errors: _render_form(None, request.form.to_dict(), errors, status=422),
        done=lambda customer: forms.answered(_("%(name)s was added.", name=customer.name),
                                             url_for(".detail", customer_id=customer.id)))


@bp.get("/<int:customer_id>")
@login_required
def detail(customer_id: int):
    """Show a customer: contact, warmth, cadence, the next touch, the timeline; ``?part=`` for a fragment."""
    return _detail(_customer_or_404(customer_id), part=request.args.get("part"))


def _detail(customer: Customer, *, part: str | None = None, status: int = 200, **follow_up):
    """Render the customer page, or its block *part* for htmx; *follow_up* fills the next-touch widget."""
    today = current_user.today(clock.now())
    # A plain GET of the same URL always gets the whole page.
    part = part if part in DETAIL_PARTS and is_partial() else None
    context: dict = {"customer": customer, "today": today}
    if part in (None, "status"):
        context.update(row=common_q.customer_row(customer, today), tier_default=TIER_CADENCE[customer.tier.value])
    if part in (None, "timeline"):
        context["timeline"] = customers_q.customer_timeline(db.session, customer)
    if part in (None, "follow_up"):
        context.update(_follow_up_context(customer, **follow_up))
    return render("customers/detail.html", block=part, status=status, **context)


def _follow_up_context(customer: Customer, *, values: dict | None = None, errors: dict | None = None,
                       saved: str | None = None) -> dict:
    """Return what the next-touch widget shows: the open follow-up, the form's values and problems, the quick picks."""
    planned = follow_ups_q.open_for_customer(db.session, customer.id)
    rep_today = customer.owner.today(clock.now())  # the rep's days, also when a coach plans
    if values is None:
        values = {"due_day": planned.due_day.isoformat() if planned else "",
                  "kind": planned.kind.value if planned and planned.kind else "",
                  "note": planned.note or "" if planned else ""}
    return {
        "follow_up": planned,
        "follow_up_values": values,
        "follow_up_errors": errors or {},
        "follow_up_saved": saved,
        "rep_today": rep_today,
        "quick_picks": (("tomorrow", _("Tomorrow"), follow_ups.tomorrow(rep_today)),
                        ("next_week", _("Next week"), follow_ups.next_week(rep_today, customer.owner.workday_set))),
        "latest_day": rep_today + timedelta(days=follow_ups.MAX_AHEAD_DAYS),
    }


@bp.post("/<int:customer_id>/follow-up")
@login_required
def plan_follow_up(customer_id: int):
    """Plan the next touch with a customer, or move the one planned; 422 with the problem next to its field.

    A quick pick ("tomorrow", "next week") is a submit button named ``pick`` carrying its day;
    the date field ``due_day`` counts when no quick pick was pressed.
    """
    customer = _customer_or_404(customer_id)
    values = {name: request.form.get(name, "") for name in FOLLOW_UP_FIELDS}
    day = request.form.get("pick") or values["due_day"]
    existed = follow_ups_q.open_for_customer(db.session, customer.id) is not None

    def done(planned):
        message = (_("Next touch moved.") if existed else _("Next touch planned."))
        return forms.answered(message, url_for(".detail", customer_id=customer.id, _anchor="next-touch"),
                              partial=lambda: trigger(_detail(customer, part="follow_up", saved=message),
                                                      FOLLOW_UP_EVENT, {"customer_id": customer.id}))

    return forms.save(
        lambda: follow_up_ops.plan_follow_up(db.session, actor=current_user, customer_id=customer.id, due_day=day,
                                             kind=values["kind"], note=values["note"], now=clock.now()),
        invalid=lambda errors: _detail(customer, part="follow_up" if is_partial() else None, status=422,
                                       values=values, errors=errors),
        done=done)


@bp.post("/<int:customer_id>/follow-up/drop")
@login_required
def drop_follow_up(customer_id: int):
    """Drop the customer's next planned touch (nothing planned any more: nothing happens)."""
    customer = _customer_or_404(customer_id)
    planned = follow_ups_q.open_for_customer(db.session, customer.id)
    if planned is not None:
        try:
            follow_up_ops.drop_follow_up(db.session, planned, now=clock.now())
        except Conflict:  # a touch did it meanwhile: nothing left to drop
            db.session.rollback()
        else:
            db.session.commit()
    message = _("Next touch dropped.")
    return forms.answered(message, url_for(".detail", customer_id=customer.id, _anchor="next-touch"),
                          partial=lambda: trigger(_detail(customer, part="follow_up", saved=message),
                                                  FOLLOW_UP_EVENT, {"customer_id": customer.id}))


@bp.get("/<int:customer_id>/edit")
@login_required
def edit(customer_id: int):
    """Show the edit form of a customer."""
    customer = _customer_or_404(customer_id)
    return _render_form(customer, _form_values(customer))


@bp.post("/<int:customer_id>/edit")
@login_required
def update(customer_id: int):
    """Save an edited customer; 422 with every field's problem."""
    customer = _customer_or_404(customer_id)
    return forms.save(
        lambda: ops.edit_customer_as(db.session, customer, actor=current_user, data=_form_input(),
                                     owner_id=request.form.get("owner_id")),
        invalid=lambda errors: _render_form(customer, request.form.to_dict(), errors, status=422),
        done=lambda saved: forms.answered(_("Changes to %(name)s were saved.", name=saved.name),
                                          url_for(".detail", customer_id=saved.id)))


@bp.post("/<int:customer_id>/archive")
@login_required
def archive(customer_id: int):
    """Archive a customer: gone from lists and Today, history kept, restorable."""
    customer = _customer_or_404(customer_id)
    ops.archive_customer(db.session, customer, now=clock.now())
    db.session.commit()
    flash(_("%(name)s was archived. You find it under “Archived”, where you can restore it.", name=customer.name))
    return redirect(url_for(".index"), 303)


@bp.post("/<int:customer_id>/restore")
@login_required
def restore(customer_id: int):
    """Bring an archived customer back."""
    customer = _customer_or_404(customer_id)
    ops.restore_customer(db.session, customer)
    db.session.commit()
    flash(_("%(name)s is back in your customers.", name=customer.name))
    return redirect(url_for(".detail", customer_id=customer.id), 303)


def _max_rows() -> int:
    return int(current_app.config.get("CSV_MAX_ROWS", 5000))


def _render_import(preview: imports.ImportPreview | None = None, errors: dict | None = None, status: int = 200,
                   token: str | None = None):
    return render(
        "customers/import.html",
        preview=preview,
        errors=errors or {},
        token=token,
        max_rows=_max_rows(),
        max_mb=(current_app.config.get("MAX_CONTENT_LENGTH") or 0) / (1024 * 1024),
        status=status,
    )


@bp.errorhandler(413)
def _too_large(_error):
    if request.endpoint not in IMPORT_ENDPOINTS:
        return render("errors/error.html", status=413, message=_("The upload is too large."))
    message = _("This file is too large: at most %(mb)d MB per import. Please split it.",
                mb=(current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024))
    return _render_import(errors={"file": message}, status=413)


@bp.get("/import")
@login_required
def import_form():
    """Show the upload form: a file (CSV or vCard), pasted text, or contacts picked on the phone."""
    return _render_import()


def _submitted() -> tuple[str, str | None]:
    """Return the submitted text and, for a file, the encoding it was read in."""
    picked = request.form.get("picked")
    if picked:
        return vcards.picked_to_vcards(picked, max_cards=_max_rows()), None
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        data = upload.read()
        if data:
            decoded = csv_io.decode(data)
            return decoded.text, decoded.encoding
    return request.form.get("text") or "", None


@bp.post("/import")
@login_required
def import_preview():
    """Check an export and show every row with its errors and duplicates; only a one-time token is written."""
    try:
        text, encoding = _submitted()
    except Invalid as exc:
        return _render_import(errors=exc.fields, status=422)
    if not text.strip():
        return _render_import(errors={"file": _("Please choose a file or paste its content.")}, status=422)
    preview = imports.preview(db.session, current_user, text, max_rows=_max_rows(), encoding=encoding)
    if not preview.ok:
        return _render_import(preview, status=422)
    token = imports.issue_token(db.session, current_user, preview.text, now=clock.now())
    db.session.commit()
    return _render_import(preview, token=token)


def _choices() -> dict[int, str]:
    """Return the per-row duplicate choices of the confirm form: line -> skip, merge or new."""
    choices = {}
    for key, value in request.form.items():
        line = ids.parse_id(key.removeprefix("row-")) if key.startswith("row-") else None
        if line is not None:
            choices[line] = value
    return choices


def _imported(result: imports.ImportResult) -> str:
    parts = [ngettext("%(num)d customer was imported.", "%(num)d customers were imported.", result.created)]
    if result.merged:
        parts.append(ngettext("%(num)d duplicate was merged into the existing customer.",
                              "%(num)d duplicates were merged into the existing customers.", result.merged))
    if result.skipped:
        parts.append(ngettext("%(num)d duplicate was skipped.", "%(num)d duplicates were skipped.", result.skipped))
    summary = " ".join(parts)
    return _("This import was already done: %(summary)s", summary=summary) if result.already else summary


@bp.post("/import/confirm")
@login_required
def import_confirm():
    """Import the previewed file once, checked again: every row as chosen or, on any error, none."""
    text = request.form.get("content") or ""
    try:
        result = imports.confirm_import(
            db.session, user=current_user, token=request.form.get("token"), text=text,
            choices=_choices(), every=request.form.get("all") or None, now=clock.now(), max_rows=_max_rows(),
        )
    except imports.ImportRejected as exc:
        db.session.rollback()
        return _render_import(exc.preview, errors=exc.fields, status=422)
    except Invalid as exc:
        db.session.rollback()
        preview = imports.preview(db.session, current_user, text, max_rows=_max_rows())
        return _render_import(preview, errors=exc.fields, status=422)
    db.session.commit()
    flash(_imported(result))
    return redirect(url_for(".index"), 303)


@bp.get("/export.csv")
@login_required
def export():
    """Download the visible active customers as CSV (UTF-8 with BOM, safe to open in Excel), with the next planned touch."""
    today = current_user.today(clock.now())
    rows = customers_q.customer_rows(db.session, current_user, today=today)
    # The importer reads both delimiters.
    delimiter = csv_io.delimiter_for(str(get_locale() or ""))
    body = csv_io.export_csv((csv_io.export_record(r.customer, r.warmth, r.follow_up) for r in rows),
                             delimiter=delimiter)
    response = Response(body.encode("utf-8"), mimetype="text/csv")
    filename = f"touchbase-customers-{today.isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
