"""Points from the ledger: a rep's totals today, this week and all time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..badges import iso_week
from ..models import PointsEntry, User


@dataclass(frozen=True)
class Totals:
    """A rep's points: on their local today, in the ISO week of today, and all time (or None)."""

    today: int
    week: int
    total: int | None = None


def totals(session: Session, user: User, *, today: date, with_total: bool = False) -> Totals:
    """Return the rep's points today and this ISO week (one bounded query), and all time if asked."""
    monday, sunday = iso_week(today)
    day_sum = func.coalesce(func.sum(case((PointsEntry.local_day == today, PointsEntry.points), else_=0)), 0)
    week_sum = func.coalesce(func.sum(PointsEntry.points), 0)
    today_points, week_points = session.execute(
        select(day_sum, week_sum).where(
            PointsEntry.user_id == user.id, PointsEntry.local_day >= monday, PointsEntry.local_day <= sunday
        )
    ).one()
    total = None
    if with_total:
        total = session.scalar(
            select(func.coalesce(func.sum(PointsEntry.points), 0)).where(PointsEntry.user_id == user.id)
        )
    return Totals(int(today_points), int(week_points), int(total) if total is not None else None)
