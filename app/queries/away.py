"""Away reads: a rep's away periods merged with their team's holidays, as inclusive day ranges."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date

from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from ..models import AwayPeriod, TeamHoliday, User

Ranges = tuple[tuple[date, date], ...]


def away_ranges(
    session: Session, user: User, *, after: date | None = None, first: date | None = None, last: date | None = None
) -> Ranges:
    """Return *user*'s away periods and their team's holidays, sorted, in one query.

    Only ranges ending after *after*, ending on or after *first* and starting on or before
    *last* are returned, for each bound that is given.
    """
    stmt = select(AwayPeriod.first_day, AwayPeriod.last_day).where(
        AwayPeriod.user_id == user.id, *_window(AwayPeriod, after, first, last)
    )
    if user.team_id is not None:
        team = select(TeamHoliday.first_day, TeamHoliday.last_day).where(
            TeamHoliday.team_id == user.team_id, *_window(TeamHoliday, after, first, last)
        )
        stmt = union_all(stmt, team)
    return tuple(sorted((first_day, last_day) for first_day, last_day in session.execute(stmt)))


def away_ranges_by_user(session: Session, teams: Mapping[int, int | None], *, every_user: bool = False) -> dict[int, Ranges]:
    """Return ``{user_id: ranges}``: each user's away periods plus the holidays of the team *teams* maps them to.

    *teams* maps each wanted user id to the team whose holidays count for them (None: no team
    holidays). With *every_user* the away periods are read without an id filter (for a pass over
    all users), in two queries either way.
    """
    personal = select(AwayPeriod.user_id, AwayPeriod.first_day, AwayPeriod.last_day)
    if not every_user:
        personal = personal.where(AwayPeriod.user_id.in_(list(teams)))
    away: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for user_id, first_day, last_day in session.execute(personal):
        away[user_id].append((first_day, last_day))
    team_ids = {t for t in teams.values() if t is not None}
    holidays: dict[int, list[tuple[date, date]]] = defaultdict(list)
    if team_ids:
        for team_id, first_day, last_day in session.execute(
            select(TeamHoliday.team_id, TeamHoliday.first_day, TeamHoliday.last_day).where(TeamHoliday.team_id.in_(team_ids))
        ):
            holidays[team_id].append((first_day, last_day))
    return {
        user_id: tuple(sorted(away[user_id] + (holidays[team_id] if team_id is not None else [])))
        for user_id, team_id in teams.items()
    }


def _window(model, after: date | None, first: date | None, last: date | None) -> list:
    where = []
    if after is not None:
        where.append(model.last_day > after)
    if first is not None:
        where.append(model.last_day >= first)
    if last is not None:
        where.append(model.first_day <= last)
    return where
