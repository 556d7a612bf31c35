"""Badges and points: the badge page, earned badges with their date, locked ones with progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint
from flask_babel import format_date
from flask_login import current_user, login_required
from markupsafe import Markup

from .. import badges, clock
from ..extensions import db
from ..htmx import render
from ..operations import awards
from ..operations import kudos as kudos_ops
from ..queries import points as points_q
from .celebrate import locale

bp = Blueprint("badges", __name__)


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
    today = current_user.today(now)
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
