"""The weekly summary mail's read: a user's last ISO week and, for a coach, their team's.

Each figure comes from the read its page uses, so the mail and the app always agree: the streak
from the kept checkpoint (``streak.summary``), the week's points from the ledger
(``points.totals``), the customers going quiet as Today ranks them (``today.whom_to_touch``),
the team's last week (``team.coach_weekly_summary``) and the quiet radar with its coverage counts
(``team.radar``). Only the week's touches by kind and its badges are counted here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import badges, clock, streaks, warmth, weekly
from ..kinds import TouchKind
from ..models import BadgeAward, Touch, User
from . import common as common_q
from . import points as points_q
from . import streak as streak_q
from . import team as team_q
from . import today as today_q

TOP_QUIET = 5
TOP_REPS = 5


@dataclass(frozen=True)
class RepWeek:
    """A user's own last week: touches (by kind, most first), streak now, points, quiet customers, badges.

    ``freezes_used`` counts the week's missed workdays a freeze covered; ``quiet`` holds the
    `TOP_QUIET` most urgent quiet customers of ``quiet_count``; ``badges`` the codes earned in
    the week, in the order they landed.
    """

    first: date
    last: date
    touches: int
    kinds: tuple[tuple[TouchKind, int], ...]
    active_days: int
    streak: streaks.StreakSummary
    freezes_used: int
    points: int
    quiet: tuple[common_q.CustomerRow, ...]
    quiet_count: int
    badges: tuple[str, ...]


@dataclass(frozen=True)
class TeamWeek:
    """A coach's team: last week's figures, the reps going quiet on the radar now, and coverage.

    ``going_quiet`` holds the radar's first `TOP_REPS` reps (most at risk first) with quiet
    customers or a broken streak; coverage is the share of the reps' A and B customers that
    are not quiet, as a coverage challenge counts it.
    """

    week: team_q.WeeklySummary
    going_quiet: tuple[team_q.RadarRow, ...]
    covered: int
    coverage_customers: int

    @property
    def coverage(self) -> int | None:
        """Return the coverage in whole percent, None without A or B customers."""
        if not self.coverage_customers:
            return None
        return round(100 * self.covered / self.coverage_customers)


@dataclass(frozen=True)
class Summary:
    """What one user's weekly mail says, for the ISO week ``week`` (the week it is sent in)."""

    user: User
    today: date
    week: str
    rep: RepWeek
    team: TeamWeek | None


def _kinds(session: Session, user: User, first: date, last: date) -> tuple[tuple[TouchKind, int], ...]:
    rows = session.execute(
        select(Touch.kind, func.count(Touch.id))
        .where(Touch.user_id == user.id, Touch.deleted_at.is_(None), Touch.local_day >= first, Touch.local_day <= last)
        .group_by(Touch.kind)
    ).all()
    order = {kind: i for i, kind in enumerate(TouchKind)}
    return tuple(sorted(((TouchKind(kind), n) for kind, n in rows), key=lambda item: (-item[1], order[item[0]])))


def _badges(session: Session, user: User, first: date, last: date) -> tuple[str, ...]:
    codes = session.scalars(
        select(BadgeAward.code)
        .where(BadgeAward.user_id == user.id, BadgeAward.local_day >= first, BadgeAward.local_day <= last)
        .order_by(BadgeAward.awarded_at, BadgeAward.id)
    )
    return tuple(code for code in codes if code in badges.BADGES)


def rep_week(session: Session, user: User, *, today: date, first: date, last: date) -> RepWeek:
    """Return *user*'s week ``first..last`` and their streak and quiet customers on *today*."""
    kinds = _kinds(session, user, first, last)
    days = streak_q.touch_counts(session, user, first=first, last=last)
    streak = streak_q.summary(session, user, today=today)
    rows = today_q.whom_to_touch(session, user, today=today, limit=None)
    quiet = [row for row in rows if row.warmth is warmth.Warmth.quiet]
    return RepWeek(
        first=first,
        last=last,
        touches=sum(n for _kind, n in kinds),
        kinds=kinds,
        active_days=len(days),
        streak=streak,
        freezes_used=sum(1 for day in streak.frozen_days if first <= day <= last),
        points=points_q.totals(session, user, today=last).week,
        quiet=tuple(quiet[:TOP_QUIET]),
        quiet_count=len(quiet),
        badges=_badges(session, user, first, last),
    )


def team_week(session: Session, coach: User, *, now: datetime, today: date) -> TeamWeek:
    """Return the coach's team figures: last week's, and the radar's now."""
    radar = team_q.radar(session, coach, now=now)
    going_quiet = [row for row in radar if row.quiet or row.streak_broken]
    return TeamWeek(
        week=team_q.coach_weekly_summary(session, coach, today=today),
        going_quiet=tuple(going_quiet[:TOP_REPS]),
        covered=sum(row.covered for row in radar),
        coverage_customers=sum(row.coverage_customers for row in radar),
    )


def summary(session: Session, user: User, *, now: datetime) -> Summary:
    """Return *user*'s weekly summary at *now*: the ISO week before the current one of their zone.

    A coach or admin with a team also gets the team's part.
    """
    local = clock.local_now(now, user.timezone).date()
    first, last = weekly.previous_week(local)
    today = user.today(now)
    team = team_week(session, user, now=now, today=today) if user.is_coach and user.team_id is not None else None
    return Summary(user=user, today=today, week=weekly.week_key(local),
                   rep=rep_week(session, user, today=today, first=first, last=last), team=team)
