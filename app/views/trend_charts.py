"""The trend charts as pages show them: weeks labelled, the main finding worded, the numbers as a table.

Shared by the Trends page and the 1:1 sheet (``views/trends.py``) and the streak page; no
blueprint here. ``charts`` lays the charts out, ``templates/charts/_chart.html`` draws them.
A chart's description states its main finding in a sentence — crisis weeks against the other
weeks when the weeks hold both, else the last complete week against the average — and the same
numbers are in a table behind a disclosure, for screen readers and for anyone who wants them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import format_date, format_decimal, format_percent, ngettext
from flask_babel import gettext as _

from .. import charts
from ..queries import trends as trends_q


@dataclass(frozen=True)
class Figure:
    """One chart ready to draw: its ids' prefix, title, finding, layout and table."""

    key: str
    title: str
    desc: str
    kind: str  # "bar" or "line"
    chart: charts.Chart
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    goal: bool = False


@dataclass(frozen=True)
class Spark:
    """A rep's touches per week as a small bar chart, with its label for screen readers."""

    label: str
    chart: charts.Chart


def number(value: float) -> str:
    """Format a count or a mean in the request's language (at most one decimal)."""
    return format_decimal(value, format="#,##0.#")


def percent(value: float | None) -> str:
    """Format a percentage (0–100) in the request's language; a dash for none."""
    return "–" if value is None else format_percent(value / 100)


def week_label(week: trends_q.Week) -> str:
    """Return the short label under a week: its Monday, e.g. "24 Nov"."""
    return format_date(week.first, _("d MMM"))


def week_span(week: trends_q.Week) -> str:
    """Return a week as a table row names it: "16 Nov – 22 Nov", "24 Nov – today (so far)", "…, crisis"."""
    if week.partial:
        text = _("%(first)s – today (so far)", first=week_label(week))
    else:
        text = _("%(first)s – %(last)s", first=week_label(week), last=format_date(week.last, _("d MMM")))
    return _("%(week)s, crisis", week=text) if week.shaded else text


def _layout(weeks: Sequence[trends_q.Week]) -> dict:
    return {"shaded": [w.shaded for w in weeks], "partial_last": bool(weeks) and weeks[-1].partial,
            "band_label": _("Crisis")}


def count_finding(metric: str, values: Sequence[float], weeks: Sequence[trends_q.Week]) -> str:
    """Say what a weekly count shows: crisis weeks against the others, else last week against the mean."""
    split = charts.split_means(values, [w.shaded for w in weeks], partial_last=weeks[-1].partial)
    if split.shaded is not None and split.other is not None:
        crisis, other = number(split.shaded), number(split.other)
        if crisis == other:
            return _("%(metric)s held at %(crisis)s a week during the crisis, as outside it.",
                     metric=metric, crisis=crisis)
        if split.shaded > split.other:
            return _("%(metric)s rose from %(other)s a week outside the crisis to %(crisis)s a week during it.",
                     metric=metric, other=other, crisis=crisis)
        return _("%(metric)s fell from %(other)s a week outside the crisis to %(crisis)s a week during it.",
                 metric=metric, other=other, crisis=crisis)
    complete = [v for v, w in zip(values, weeks) if not w.partial]
    if complete:
        return ngettext("%(metric)s: %(last)s last week, %(average)s a week on average over %(num)d week.",
                        "%(metric)s: %(last)s last week, %(average)s a week on average over %(num)d weeks.",
                        len(complete), metric=metric, last=number(complete[-1]),
                        average=number(sum(complete) / len(complete)))
    return _("%(metric)s: %(now)s so far this week.", metric=metric, now=number(values[-1] if values else 0))


def coverage_finding(values: Sequence[float | None], weeks: Sequence[trends_q.Week]) -> str:
    """Say what the team's coverage shows: crisis weeks against the others, else its range."""
    split = charts.split_means(values, [w.shaded for w in weeks], partial_last=weeks[-1].partial)
    if split.shaded is not None and split.other is not None:
        return _("Coverage of A and B customers was %(crisis)s in crisis weeks and %(other)s in the other weeks.",
                 crisis=percent(split.shaded), other=percent(split.other))
    complete = [v for v, w in zip(values, weeks) if not w.partial and v is not None]
    if complete:
        return ngettext(
            "Coverage of A and B customers: %(last)s last week, between %(low)s and %(high)s over %(num)d week.",
            "Coverage of A and B customers: %(last)s last week, between %(low)s and %(high)s over %(num)d weeks.",
            len(complete), last=percent(complete[-1]), low=percent(min(complete)), high=percent(max(complete)))
    if values and values[-1] is not None:
        return _("Coverage of A and B customers: %(now)s so far this week.", now=percent(values[-1]))
    return _("No A or B customers to measure yet.")


def _count_figure(key: str, title: str, metric: str, values: Sequence[int], weeks, *, column: str,
                  goal: Sequence[int | None] | None = None, desc: str | None = None) -> Figure:
    chart = charts.bar_chart(values, [week_label(w) for w in weeks], goal=goal, tick_label=number, **_layout(weeks))
    columns = (_("Week"), column) + ((_("Weekly goal"),) if goal is not None else ())
    rows = tuple(
        (week_span(w), number(v)) + ((number(goal[i]) if goal[i] is not None else "–",) if goal is not None else ())
        for i, (w, v) in enumerate(zip(weeks, values))
    )
    return Figure(key, title, desc or count_finding(metric, values, weeks), "bar", chart, columns, rows,
                  goal=goal is not None)


def team_figures(data: trends_q.TeamTrends) -> list[Figure]:
    """Return the Trends page's charts: team touches, coverage of A and B customers, kinds used, rescues."""
    weeks = data.weeks
    shares = data.coverage_percent()
    coverage_rows = []
    for w, cell, share in zip(weeks, data.coverage, shares):
        cells = [week_span(w)]
        for tier in trends_q.COVERAGE_TIERS:
            counted, warm = cell.of((tier,))
            cells.append(_("%(warm)s of %(counted)s", warm=number(warm), counted=number(counted)))
        coverage_rows.append((*cells, percent(share)))
    return [
        _count_figure("team-touches", _("Team touches per week"), _("Team touches"), data.touches, weeks,
                      column=_("Touches")),
        Figure("team-coverage", _("Coverage of A and B customers"), coverage_finding(shares, weeks), "line",
               charts.line_chart(shares, [week_label(w) for w in weeks], high=100, tick_label=percent,
                                 **_layout(weeks)),
               (_("Week"), _("A customers not quiet"), _("B customers not quiet"), _("Coverage")),
               tuple(coverage_rows)),
        _count_figure("team-kinds", _("Kinds of touch used per week"), _("Kinds used"), data.kinds, weeks,
                      column=_("Kinds used")),
        _count_figure("team-rescues", _("Rescues per week"), _("Rescues"), data.rescues, weeks,
                      column=_("Rescues")),
    ]


def rep_sparks(data: trends_q.TeamTrends) -> list[tuple[trends_q.RepRow, Spark]]:
    """Return each rep's row with a small bar chart of their touches per week."""
    layout = _layout(data.weeks)
    return [
        (row, Spark(ngettext("%(name)s: %(num)d touch in these weeks", "%(name)s: %(num)d touches in these weeks",
                             row.total, name=row.rep.name),
                    charts.sparkline(row.touches, shaded=layout["shaded"], partial_last=layout["partial_last"])))
        for row in data.reps
    ]


def rep_figures(trend: trends_q.RepTrend, *, prefix: str) -> list[Figure]:
    """Return a rep's charts: touches against the weekly goal, kinds used, customers kept warm."""
    weeks = trend.weeks
    goal_weeks = trend.goal_weeks
    touches_text = count_finding(_("Touches"), trend.touches, weeks)
    if goal_weeks:
        touches_text = ngettext("Weekly goal reached in %(met)d of %(num)d complete week.",
                                "Weekly goal reached in %(met)d of %(num)d complete weeks.",
                                goal_weeks, met=trend.goal_met) + " " + touches_text
    shares = trend.warm_percent()
    complete = [(w, c) for w, c, week in zip(trend.warm, trend.customers, weeks) if not week.partial and c]
    if complete:
        warm, total = complete[-1]
        warm_text = ngettext("Kept warm at the end of last week: %(warm)d of %(num)d customer.",
                             "Kept warm at the end of last week: %(warm)d of %(num)d customers.",
                             total, warm=warm)
    elif trend.customers[-1]:
        warm_text = ngettext("Warm so far this week: %(warm)d of %(num)d customer.",
                             "Warm so far this week: %(warm)d of %(num)d customers.",
                             trend.customers[-1], warm=trend.warm[-1])
    else:
        warm_text = _("No customers to keep warm yet.")
    return [
        _count_figure(f"{prefix}-touches", _("Touches per week against the weekly goal"), _("Touches"),
                      trend.touches, weeks, column=_("Touches"), goal=trend.goal, desc=touches_text),
        _count_figure(f"{prefix}-kinds", _("Kinds of touch used per week"), _("Kinds used"), trend.kinds, weeks,
                      column=_("Kinds used")),
        Figure(f"{prefix}-warm", _("Customers kept warm"), warm_text, "line",
               charts.line_chart(shares, [week_label(w) for w in weeks], high=100, tick_label=percent,
                                 **_layout(weeks)),
               (_("Week"), _("Customers not quiet"), _("Share")),
               tuple((week_span(w), _("%(warm)s of %(counted)s", warm=number(warm), counted=number(total)),
                      percent(share))
                     for w, warm, total, share in zip(weeks, trend.warm, trend.customers, shares))),
    ]


def period_text(period: trends_q.Period) -> str:
    """Return a crisis period as a line: "12 Oct 2026 – 2 Nov 2026: Supplier strike", "since …"."""
    first = format_date(period.first, "medium")
    span = (_("since %(first)s", first=first) if period.last is None
            else _("%(first)s – %(last)s", first=first, last=format_date(period.last, "medium")))
    return _("%(span)s: %(reason)s", span=span, reason=period.reason) if period.reason else span
