"""The scan's reads: who is scanned, and their rows, each kind in one set-based statement.

Every read here loads all relevant users at once, never one per rep: the users with their kept
streak checkpoint and last touch day (query 1), their touches (2), away periods and team
holidays (3, 4) of the windows, the outbox rows of their todays, unannounced badges and
challenge results, and the follow-ups due. The customers' warmth is counted in `snapshot`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Integer, and_, cast, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from .. import clock
from ..kinds import Role
from ..models import (
    AwayPeriod,
    BadgeAward,
    Challenge,
    ChallengeResult,
    Customer,
    FollowUp,
    Notification,
    PushSubscription,
    StreakState,
    Team,
    TeamHoliday,
    Touch,
    User,
)
from ..queries import streak as streak_q
from . import model

log = logging.getLogger(__name__)

AWAY_SPAN_DAYS = 366
COACH_ROLES = (Role.coach, Role.admin)


@dataclass(frozen=True)
class Checkpoint:
    """A kept streak checkpoint row, as ``queries.streak.summary_of`` reads it."""

    through_day: date | None
    current: int
    longest: int
    freezes: int
    run_of_active: int
    started: bool
    frozen_days: list[str]


@dataclass
class Rep:
    """One scanned user's settings and the rows loaded for them."""

    id: int
    team_id: int | None
    role: str
    name: str
    timezone: str
    locale: str
    workdays: frozenset[int]
    day_start_hour: int
    evening_hour: int
    quiet_start_hour: int
    quiet_end_hour: int
    muted: frozenset[str]
    ignored_in_a_row: int
    created_at: datetime
    crisis: bool
    subscribed: bool
    state: Checkpoint | None
    last_touch_ever: date | None
    today: date
    days: dict[date, int] = field(default_factory=dict)  # touches per local day
    rescues: set[date] = field(default_factory=set)
    away: list[tuple[date, date]] = field(default_factory=list)
    _quiet_workdays: int | None = None


# --- who ------------------------------------------------------------------------------------


def subscribed_ids():
    """Return a subquery of the users with at least one push subscription."""
    return select(PushSubscription.user_id).distinct()


def relevant_ids():
    """Return a subquery of the users to load: subscribed ones and the reps of subscribed coaches."""
    coach = aliased(User)
    coach_teams = select(coach.team_id).where(
        coach.role.in_(COACH_ROLES), coach.team_id.is_not(None), coach.id.in_(subscribed_ids())
    )
    return select(User.id).where(
        or_(User.id.in_(subscribed_ids()), and_(User.role == Role.rep, User.team_id.in_(coach_teams)))
    )


def load_users(session: Session, at: datetime) -> dict[int, Rep]:
    """Query 1: the relevant users, their team's crisis flag, their checkpoint and last touch day."""
    last_touch = (
        select(Touch.local_day)
        .where(Touch.user_id == User.id, Touch.deleted_at.is_(None))
        .order_by(Touch.local_day.desc())
        .limit(1)
        .correlate(User)
        .scalar_subquery()
    )
    has_sub = exists().where(PushSubscription.user_id == User.id)
    stmt = (
        select(
            User.id, User.team_id, User.role, User.name, User.timezone, User.locale, User.workdays,
            User.day_start_hour, User.evening_hour, User.quiet_start_hour, User.quiet_end_hour,
            User.push_muted_kinds, User.push_ignored_in_a_row, User.created_at,
            Team.in_crisis, has_sub, last_touch,
            StreakState.user_id, StreakState.through_day, StreakState.current, StreakState.longest,
            StreakState.freezes, StreakState.run_of_active, StreakState.started, StreakState.frozen_days,
        )
        .outerjoin(Team, Team.id == User.team_id)
        .outerjoin(StreakState, StreakState.user_id == User.id)
        .where(User.id.in_(relevant_ids()))
    )
    reps: dict[int, Rep] = {}
    days: dict[tuple[str, int], date] = {}
    for row in plain_rows(session, stmt):
        (uid, team_id, role, name, tz, locale, workdays, dsh, evening, q_start, q_end, muted, ignored,
         created_at, crisis, subscribed, last_touch_day, state_uid, through, current, longest, freezes,
         run_of_active, started, frozen) = row
        try:
            today = days.get((tz, dsh))
            if today is None:
                today = days[(tz, dsh)] = clock.local_day(at, tz, dsh)
        except ValueError as exc:
            log.warning("nudge scan skipped user %s: %s", uid, exc)
            continue
        state = None
        if state_uid is not None:
            state = Checkpoint(through, current or 0, longest or 0, freezes or 0, run_of_active or 0,
                                bool(started), frozen or [])
        reps[uid] = Rep(
            id=uid, team_id=team_id, role=str(role), name=name, timezone=tz, locale=locale or "en",
            workdays=frozenset(workdays or ()), day_start_hour=dsh,
            evening_hour=evening, quiet_start_hour=q_start, quiet_end_hour=q_end,
            muted=frozenset(muted or ()), ignored_in_a_row=ignored or 0, created_at=created_at,
            crisis=bool(crisis), subscribed=bool(subscribed), state=state, last_touch_ever=last_touch_day,
            today=today,
        )
    return reps


# --- what -----------------------------------------------------------------------------------


def plain_rows(session: Session, stmt):
    """Execute a plain column SELECT on the session's connection (no ORM row processing: speed)."""
    return session.connection().execute(stmt)


def load_touches(session: Session, reps: dict[int, Rep], relevant, *, window_start: date, min_today: date) -> None:
    """Query 2: touches per (user, day) of the window, and all after each user's checkpoint.

    A user without a usable checkpoint (none, or one at or after their today) gets their whole
    history, which is what ``queries.streak.summary_of`` needs for a fold from scratch.
    """
    stmt = (
        select(Touch.user_id, Touch.local_day, func.count(), func.max(cast(Touch.rescue, Integer)))
        .outerjoin(StreakState, StreakState.user_id == Touch.user_id)
        .where(
            Touch.deleted_at.is_(None),
            Touch.user_id.in_(relevant),
            or_(
                Touch.local_day >= window_start,
                StreakState.user_id.is_(None),
                StreakState.through_day.is_(None),
                Touch.local_day > StreakState.through_day,
                StreakState.through_day >= min_today,
            ),
        )
        .group_by(Touch.user_id, Touch.local_day)
    )
    for user_id, day, count, rescue in plain_rows(session, stmt):
        rep = reps.get(user_id)
        if rep is None:
            continue
        rep.days[day] = count
        if rescue:
            rep.rescues.add(day)


def load_away(session: Session, reps: dict[int, Rep], relevant, *, min_today: date) -> None:
    """Queries 3 and 4: away periods and team holidays that matter for today, the radar and the streak."""
    floor = min_today - timedelta(days=AWAY_SPAN_DAYS)
    personal = (
        select(AwayPeriod.user_id, AwayPeriod.first_day, AwayPeriod.last_day)
        .outerjoin(StreakState, StreakState.user_id == AwayPeriod.user_id)
        .where(
            AwayPeriod.user_id.in_(relevant),
            or_(
                AwayPeriod.last_day >= floor,
                StreakState.user_id.is_(None),
                StreakState.through_day.is_(None),
                AwayPeriod.last_day > StreakState.through_day,
                StreakState.through_day >= min_today,
            ),
        )
    )
    for user_id, first, last in plain_rows(session, personal):
        if user_id in reps:
            reps[user_id].away.append((first, last))
    # Team holidays are few: take every one that any loaded user's walk may still reach (all of
    # them when someone with touches has no usable checkpoint and is folded from scratch).
    throughs = [r.state.through_day for r in reps.values() if streak_q.usable(r.state, r.today)]
    whole = any(r.days and not streak_q.usable(r.state, r.today) for r in reps.values())
    team_stmt = select(TeamHoliday.team_id, TeamHoliday.first_day, TeamHoliday.last_day).where(
        TeamHoliday.team_id.in_(select(User.team_id).where(User.id.in_(relevant)))
    )
    if not whole:
        team_stmt = team_stmt.where(TeamHoliday.last_day >= min([floor, *throughs]))
    by_team: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for team_id, first, last in plain_rows(session, team_stmt):
        by_team[team_id].append((first, last))
    for rep in reps.values():
        if rep.team_id in by_team:
            rep.away.extend(by_team[rep.team_id])
        rep.away.sort()


def load_outbox(session: Session, subscribed, *, min_today: date, max_today: date):
    """Query 6: the outbox rows of the users' possible todays, and the week's weekly summaries."""
    stmt = select(Notification.user_id, Notification.kind, Notification.dedup_key, Notification.local_day).where(
        Notification.user_id.in_(subscribed),
        Notification.local_day >= min_today - timedelta(days=7),
        Notification.local_day <= max_today,
        or_(Notification.local_day >= min_today,
            Notification.kind.in_([model.NudgeKind.weekly_summary.value, model.NudgeKind.coach_weekly.value])),
    )
    rows: dict[int, list[tuple[str, str, date]]] = defaultdict(list)
    for user_id, kind, key, day in plain_rows(session, stmt):
        rows[user_id].append((kind, key, day))
    return rows


def load_badges(session: Session, subscribed, *, since: datetime):
    """Query 7: badges earned lately and not announced yet, oldest first."""
    stmt = (
        select(BadgeAward.user_id, BadgeAward.code)
        .where(BadgeAward.user_id.in_(subscribed), BadgeAward.announced_at.is_(None), BadgeAward.awarded_at >= since)
        .order_by(BadgeAward.awarded_at, BadgeAward.id)
    )
    found: dict[int, list[str]] = defaultdict(list)
    for user_id, code in plain_rows(session, stmt):
        found[user_id].append(code)
    return found


def load_challenges(session: Session, subscribed, *, at: datetime, since: datetime):
    """Query 8: challenges finished lately whose result was not announced to the rep yet (id, title, template)."""
    stmt = (
        select(ChallengeResult.user_id, Challenge.id, Challenge.title, Challenge.template)
        .join(Challenge, Challenge.id == ChallengeResult.challenge_id)
        .where(
            ChallengeResult.user_id.in_(subscribed),
            ChallengeResult.announced_at.is_(None),
            Challenge.ends_at <= at,
            Challenge.ends_at >= since,
        )
        .order_by(Challenge.ends_at, Challenge.id)
    )
    found: dict[int, list[tuple[int, str, str | None]]] = defaultdict(list)
    for user_id, challenge_id, title, template in plain_rows(session, stmt):
        found[user_id].append((challenge_id, title, template))
    return found


def load_follow_ups(session: Session, subscribed, *, max_today: date):
    """Query 10: the open follow-ups of active customers due by the latest today, the longest overdue first.

    Each rep keeps those due by their own today (``snapshot`` filters): a day later in another
    zone is not due yet.
    """
    stmt = (
        select(FollowUp.user_id, FollowUp.customer_id, Customer.name, FollowUp.due_day)
        .join(Customer, Customer.id == FollowUp.customer_id)
        .where(FollowUp.user_id.in_(subscribed), FollowUp.is_open, FollowUp.due_day <= max_today,
               Customer.archived_at.is_(None))
        .order_by(FollowUp.user_id, FollowUp.due_day, func.lower(Customer.name), FollowUp.id)
    )
    found: dict[int, list[tuple[int, str, date]]] = defaultdict(list)
    for user_id, customer_id, name, due_day in plain_rows(session, stmt):
        found[user_id].append((customer_id, name, due_day))
    return found
