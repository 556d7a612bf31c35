"""Trends: the coach's weeks of the team in pictures, and a rep's 1:1 sheet (printable, and as CSV)."""

from __future__ import annotations

from flask import Blueprint, Response, abort
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import clock
from ..extensions import db
from ..htmx import render
from ..models import User
from ..operations import csv_io
from ..queries import trends as trends_q
from . import trend_charts

bp = Blueprint("trends", __name__, url_prefix="/team")


@bp.get("/trends")
@login_required
def index():
    """Show the coach's team over the last 12 weeks: touches, coverage, kinds, rescues, crisis weeks; else a 404."""
    data = trends_q.team_trends(db.session, current_user, now=clock.now())
    if data is None:
        abort(404)
    return render(
        "trends/team.html",
        data=data,
        figures=trend_charts.team_figures(data),
        sparks=trend_charts.rep_sparks(data),
        periods=[trend_charts.period_text(p) for p in data.periods],
        week_label=trend_charts.week_label,
    )


def _rep_or_404(rep_id: int) -> User:
    rep = trends_q.sheet_rep(db.session, current_user, rep_id)
    if rep is None:
        abort(404)
    return rep


@bp.get("/reps/<int:rep_id>/sheet")
@login_required
def sheet(rep_id: int):
    """Show a rep's 1:1 sheet to the rep and to the team's coach; anyone else gets a 404."""
    rep = _rep_or_404(rep_id)
    data = trends_q.sheet(db.session, rep, now=clock.now())
    return render(
        "trends/sheet.html",
        sheet=data,
        own=rep.id == current_user.id,
        figures=trend_charts.rep_figures(data.trend, prefix="sheet"),
        periods=[trend_charts.period_text(p) for p in data.periods],
        percent=lambda share: trend_charts.percent(None if share is None else 100 * share),
    )


@bp.get("/reps/<int:rep_id>/sheet.csv")
@login_required
def sheet_csv(rep_id: int):
    """Download the sheet's weekly numbers as CSV (headers and values in the user's language)."""
    rep = _rep_or_404(rep_id)
    trend = trends_q.rep_trend(db.session, rep, now=clock.now())
    yes, no = _("yes"), _("no")
    header = (_("Week from"), _("Week to"), _("So far"), _("Crisis week"), _("Touches"), _("Weekly goal"),
              _("Kinds used"), _("Rescues"), _("Workdays with a touch"), _("Expected workdays"),
              _("Customers not quiet"), _("Customers"))
    rows = (
        (w.first, w.upto, yes if w.partial else no, yes if w.shaded else no, touches, goal, kinds, rescues, active,
         expected, warm, customers)
        for w, touches, goal, kinds, rescues, active, expected, warm, customers in zip(
            trend.weeks, trend.touches, trend.goal, trend.kinds, trend.rescues, trend.active, trend.expected,
            trend.warm, trend.customers)
    )
    body = csv_io.table_csv(header, rows, delimiter=csv_io.delimiter_for(str(get_locale() or "")))
    response = Response(body.encode("utf-8"), mimetype="text/csv")
    filename = f"touchbase-sheet-{rep.id}-{trend.today.isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
