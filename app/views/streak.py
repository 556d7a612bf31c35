"""The Streak page: current and longest streak, freezes, consistency, a 26-week heatmap and the rep's weeks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from babel.dates import get_day_names
from flask import Blueprint
from flask_babel import format_date, format_percent, get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import clock, heatmap, streaks
from ..extensions import db
from ..htmx import render
from ..queries import points as points_q
from ..queries import streak as streak_q
from ..queries import trends as trends_q
from . import trend_charts

bp = Blueprint("streak", __name__)

WEEKS = 26
FROZEN_LISTED = 10
CONSISTENCY_DAYS = 28
# A month label needs about two columns of room, or it runs into the next one.
MONTH_GAP = 2 * (heatmap.CELL + heatmap.GAP)


@dataclass(frozen=True)
class DayCell:
    """A heatmap cell as drawn: its layout, its screen-reader label, and whether it is today."""

    cell: heatmap.Cell
    label: str
    today: bool


def cell_label(cell: heatmap.Cell, *, today: date) -> str:
    """Return a cell's screen-reader label, e.g. "12 Nov: 3 touches, weekend"."""
    # The CLDR date pattern is translated like a string: German "d. MMM" gives "12. Nov.".
    day = format_date(cell.day, _("d MMM"))
    label = ngettext("%(day)s: %(num)d touch", "%(day)s: %(num)d touches", cell.count, day=day)
    notes = []
    if cell.type is heatmap.DayType.frozen:
        notes.append(_("saved by a freeze"))
    elif cell.type is heatmap.DayType.away:
        notes.append(_("away"))
    elif cell.type is heatmap.DayType.neutral:
        notes.append(_("weekend") if cell.day.weekday() >= 5 else _("day off"))
    if cell.day == today:
        notes.append(_("today"))
    for note in notes:
        label = _("%(label)s, %(note)s", label=label, note=note)
    return label


def month_labels(months: tuple[tuple[int, date], ...]) -> list[tuple[int, str]]:
    """Return (x, localised month) for the columns where a month begins, skipping crowded ones."""
    shown: list[tuple[int, str]] = []
    for x, monday in months:
        if shown and x - shown[-1][0] < MONTH_GAP:
            continue
        shown.append((x, format_date(monday, "LLL")))
    return shown


def next_freeze_in(run_of_active: int) -> int:
    """Return how many more active days in a row earn the next freeze (1–7)."""
    return streaks.FREEZE_EVERY - run_of_active % streaks.FREEZE_EVERY


@bp.get("/streak", strict_slashes=False)
@login_required
def index():
    """Show the rep's own streak, freezes, consistency, the last 26 weeks as a heatmap, and their weeks in charts."""
    now = clock.now()
    today = current_user.today(now)
    data = streak_q.streak_page(db.session, current_user, today=today, weeks=WEEKS)
    summary = data.summary
    workdays = current_user.workday_set
    grid = heatmap.build(today=today, counts=data.counts, workdays=workdays, away=data.away,
                         frozen_days=summary.frozen_days, weeks=WEEKS)
    cells = [DayCell(c, cell_label(c, today=today), c.day == today) for c in grid.cells]
    # Workdays before the rep's first day with Touchbase were never missed (nor, unless they
    # logged on it, that day itself): the radar judges them the same way.
    score = streaks.consistency(frozenset(data.counts), today=today, workdays=workdays, away=data.away,
                                window=CONSISTENCY_DAYS, since=current_user.day_of(current_user.created_at))
    away_today = streaks.is_away(today, data.away)
    frozen = sorted(summary.frozen_days, reverse=True)
    return render(
        "streak/index.html",
        today=today,
        summary=summary,
        run_of_active=data.run_of_active,
        next_freeze_in=next_freeze_in(data.run_of_active),
        max_freezes=streaks.MAX_FREEZES,
        freeze_every=streaks.FREEZE_EVERY,
        frozen_days=frozen[:FROZEN_LISTED],
        frozen_more=max(0, len(frozen) - FROZEN_LISTED),
        workday_today=today.weekday() in workdays,
        away_today=away_today,
        score=score,
        score_text=format_percent(score) if score is not None else None,
        grid=grid,
        cells=cells,
        months=month_labels(grid.months),
        weekday_initials=get_day_names("narrow", locale=get_locale()),
        active_in_window=sum(1 for d, n in data.counts.items() if n),
        touches_in_window=sum(data.counts.values()),
        points=points_q.totals(db.session, current_user, today=today, with_total=True),
        trend_figures=trend_charts.rep_figures(trends_q.rep_trend(db.session, current_user, now=now), prefix="mine"),
    )
