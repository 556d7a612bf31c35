"""A coach's reads about their team: the quiet radar, a rep's customers, the weekly summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from .. import challenges, statuses, streaks, warmth
from ..ids import parse_id
from ..kinds import Role
from ..models import Customer, StreakState, Touch, User
from . import away as away_q
from . import common as common_q
from . import streak as streak_q

RADAR_WINDOW_DAYS = 28
RADAR_QUIET_NAMES = 3


@dataclass(frozen=True)
class RadarRow:
    """One rep on the coach's radar, computed from stored data whether or not they open the app.

    ``streak`` is the kept streak on the rep's today; ``week_touches`` counts touches in the
    rep's local ISO week; ``consistency`` is ``streaks.consistency`` over the last 28 days
    since the rep joined (None with no qualifying day); ``warming``/``quiet`` count the rep's
    active customers by the status the pages show them with (crisis cadences while the team is
    in crisis; a new customer is neither). ``new``: the rep joined and no workday of theirs
    has ended since (``statuses.rep_is_new``), so there is no streak to call broken yet.
    ``quiet_customers``: the first ``RADAR_QUIET_NAMES`` quiet customers as ``(id, name)``, the
    longest overdue first (by ``days / cadence``), for links to their pages.
    """

    rep: User
    today: date
    streak: streaks.StreakSummary
    last_touch_day: date | None
    week_touches: int
    consistency: float | None
    customers: int
    warming: int
    quiet: int
    coverage_customers: int = 0
    covered: int = 0
    new: bool = False
    quiet_customers: tuple[tuple[int, str], ...] = ()

    @property
    def streak_broken(self) -> bool:
        """Tell whether the rep has no running streak, and has been with the team long enough to have one."""
        return self.streak.current == 0 and not self.new

    def risk_key(self) -> tuple:
        """Return the radar's sort key: the rep most at risk first.

        Order: most quiet customers first; then a rep already judged before a new one; then a
        broken streak (current 0) before a running one; then a streak at risk today before a
        safe one; then lowest consistency first (no consistency yet counts as 0); then most
        warming customers; then by name.
        """
        return (
            -self.quiet,
            self.new,
            not self.streak_broken,
            not self.streak.at_risk,
            self.consistency or 0.0,
            -self.warming,
            self.rep.name.lower(),
            self.rep.id,
        )


def team_reps(session: Session, coach: User) -> list[User]:
    """Return the reps (role ``rep``) of *coach*'s team, by id (one query)."""
    if coach.team_id is None:
        return []
    return list(
        session.scalars(
            select(User)
            .where(User.organization_id == coach.organization_id, User.team_id == coach.team_id, User.role == Role.rep)
            .order_by(User.id)
        )
    )


def radar(session: Session, coach: User, *, now: datetime) -> list[RadarRow]:
    """Return every rep of the coach's team with their quiet signals, most at risk first.

    A constant number of queries whatever the team's size: the reps, their kept streak
    states, their touches since the oldest checkpoint or the 28-day window (plus the whole
    history of reps without a usable checkpoint), their last touch days, away periods, the
    team's holidays, and their customers. See ``RadarRow.risk_key`` for the order.
    """
    reps = team_reps(session, coach)
    if not reps:
        return []
    ids = [r.id for r in reps]
    todays = {r.id: r.today(now) for r in reps}
    states = {s.user_id: s for s in session.scalars(select(StreakState).where(StreakState.user_id.in_(ids)))}
    cutoff = min(todays.values()) - timedelta(days=RADAR_WINDOW_DAYS + 7)
    whole = []
    for rep in reps:
        state = states.get(rep.id)
        if streak_q.usable(state, todays[rep.id]):
            cutoff = min(cutoff, state.through_day)
        else:
            whole.append(rep.id)
    window = Touch.local_day > cutoff
    rows = session.execute(
        select(Touch.user_id, Touch.local_day, Touch.rescue, func.count(Touch.id))
        .where(
            Touch.organization_id == coach.organization_id,
            Touch.user_id.in_(ids),
            Touch.deleted_at.is_(None),
            or_(window, Touch.user_id.in_(whole)) if whole else window,
        )
        .group_by(Touch.user_id, Touch.local_day, Touch.rescue)
    )
    counts: dict[int, dict[date, int]] = {i: {} for i in ids}
    bonus: dict[int, set[date]] = {i: set() for i in ids}
    for user_id, day, rescue, n in rows:
        counts[user_id][day] = counts[user_id].get(day, 0) + n
        if rescue:
            bonus[user_id].add(day)
    spans = {
        user_id: (first, last)
        for user_id, first, last in session.execute(
            select(Touch.user_id, func.min(Touch.local_day), func.max(Touch.local_day))
            .where(Touch.organization_id == coach.organization_id, Touch.user_id.in_(ids), Touch.deleted_at.is_(None))
            .group_by(Touch.user_id)
        )
    }
    away = away_q.away_ranges_by_user(session, {i: coach.team_id for i in ids})
    crisis = coach.team_in_crisis
    tally = {i: [0, 0, 0, 0, 0] for i in ids}  # customers, warming, quiet, of the coverage tiers, covered
    quiet_ones: dict[int, list[tuple[float, str, int, str]]] = {i: [] for i in ids}
    for customer_id, name, owner_id, cadence, last_touch, created_day, paused_until, tier in session.execute(
        select(Customer.id, Customer.name, Customer.owner_id, Customer.cadence_days, Customer.last_touch_day,
               Customer.created_day, Customer.paused_until, Customer.tier)
        .where(Customer.organization_id == coach.organization_id, Customer.owner_id.in_(ids),
               Customer.archived_at.is_(None))
    ):
        days = common_q.effective_cadence(cadence, crisis=crisis)
        state = statuses.customer_status(
            warmth.status(last_touch_day=last_touch, created_day=created_day, today=todays[owner_id],
                          cadence_days=days, paused_until=paused_until),
            last_touch_day=last_touch, created_day=created_day, today=todays[owner_id], cadence_days=days)
        if state is statuses.Status.paused:
            continue
        tally[owner_id][0] += 1
        tally[owner_id][1] += state is statuses.Status.warming
        tally[owner_id][2] += state is statuses.Status.quiet
        if state is statuses.Status.quiet:
            overdue = warmth.urgency(last_touch_day=last_touch, created_day=created_day, today=todays[owner_id],
                                     cadence_days=days)
            quiet_ones[owner_id].append((-overdue, name.lower(), customer_id, name))
        if str(tier) in challenges.COVERAGE_TIERS:
            tally[owner_id][3] += 1
            tally[owner_id][4] += state is not statuses.Status.quiet
    result = []
    for rep in reps:
        today = todays[rep.id]
        ranges = away[rep.id]
        active = frozenset(counts[rep.id])
        hist = streak_q.History(active, frozenset(bonus[rep.id]), ranges, rep.workday_set)
        monday = today - timedelta(days=today.weekday())
        first_touch, last_touch_day = spans.get(rep.id, (None, None))
        since = joined_day(rep, first_touch)
        result.append(
            RadarRow(
                rep=rep,
                today=today,
                streak=streak_q.summary_of(states.get(rep.id), hist, today=today),
                last_touch_day=last_touch_day,
                week_touches=sum(n for d, n in counts[rep.id].items() if monday <= d <= today),
                consistency=streaks.consistency(active, today=today, workdays=rep.workday_set, away=ranges,
                                                window=RADAR_WINDOW_DAYS, since=since),
                customers=tally[rep.id][0],
                warming=tally[rep.id][1],
                quiet=tally[rep.id][2],
                coverage_customers=tally[rep.id][3],
                covered=tally[rep.id][4],
                new=since is not None and statuses.rep_is_new(joined_day=since, today=today,
                                                              workdays=rep.workday_set, away=ranges),
                quiet_customers=tuple((cid, name) for _o, _k, cid, name in
                                      sorted(quiet_ones[rep.id])[:RADAR_QUIET_NAMES]),
            )
        )
    result.sort(key=RadarRow.risk_key)
    return result


def joined_day(rep: User, first_touch_day: date | None) -> date | None:
    """Return the local day *rep* joined, from which the radar judges them; None when their touches began earlier.

    A rep whose history begins before their account (touches carried over from elsewhere) is
    judged on that history, as before, and is never new.
    """
    day = rep.day_of(rep.created_at)
    if first_touch_day is not None and first_touch_day < day:
        return None
    return day


@dataclass(frozen=True)
class RepCustomers:
    """A rep's quiet and warming customers, most urgent first, as the coach's drill-down shows them."""

    rep: User
    today: date
    quiet: list[common_q.CustomerRow]
    warming: list[common_q.CustomerRow]


def rep_customers(session: Session, coach: User, rep_id: object, *, now: datetime) -> RepCustomers | None:
    """Return a rep's quiet and warming customers for their coach; None when not allowed.

    Only a coach, and only for a rep of the coach's own team; anyone else gets None (a 404).
    """
    rid = parse_id(rep_id)
    if rid is None or not coach.is_coach or coach.team_id is None:
        return None
    rep = session.get(User, rid)
    if rep is None or rep.organization_id != coach.organization_id or rep.team_id != coach.team_id or rep.role != Role.rep:
        return None
    today = rep.today(now)
    crisis = coach.team_in_crisis
    rows = [
        common_q.customer_row(c, today, crisis=crisis)
        for c in session.scalars(
            select(Customer).where(
                Customer.organization_id == rep.organization_id, Customer.owner_id == rep.id,
                Customer.archived_at.is_(None),
            )
        )
    ]
    rows.sort(key=lambda r: (-r.urgency, common_q.TIER_ORDER[r.customer.tier], r.customer.name.lower()))
    return RepCustomers(
        rep=rep,
        today=today,
        quiet=[r for r in rows if r.status is statuses.Status.quiet],
        warming=[r for r in rows if r.status is statuses.Status.warming],
    )


@dataclass(frozen=True)
class WeeklySummary:
    """What a coach's Monday-morning push says about the team's last week.

    ``first``..``last`` is the coach's previous local ISO week; ``touches`` the team's
    non-deleted touches with a local day in it; ``active_reps`` the reps with at least one;
    ``quiet_reps`` the reps (by name) without any touch that week; ``quiet_customers`` the
    team's customers quiet now (crisis cadences while in crisis), ``reps`` the team's size.
    """

    first: date
    last: date
    reps: int
    touches: int
    active_reps: int
    quiet_reps: tuple[str, ...]
    quiet_customers: int


def coach_weekly_summary(session: Session, coach: User, *, today: date) -> WeeklySummary:
    """Return the data for *coach*'s weekly summary push, for the week before *today*'s week.

    *today* is the coach's local day (the push goes out on Monday morning, their time; the
    nudge scan decides when). Reps' touches count by their own ``local_day``. Three queries.
    """
    monday = today - timedelta(days=today.weekday())
    first, last = monday - timedelta(days=7), monday - timedelta(days=1)
    reps = team_reps(session, coach)
    if not reps:
        return WeeklySummary(first, last, 0, 0, 0, (), 0)
    ids = [r.id for r in reps]
    per_rep = dict(
        session.execute(
            select(Touch.user_id, func.count(Touch.id))
            .where(
                Touch.organization_id == coach.organization_id, Touch.user_id.in_(ids), Touch.deleted_at.is_(None),
                Touch.local_day >= first, Touch.local_day <= last,
            )
            .group_by(Touch.user_id)
        ).all()
    )
    crisis = coach.team_in_crisis
    quiet = 0
    for cadence, last_touch, created_day, paused_until in session.execute(
        select(Customer.cadence_days, Customer.last_touch_day, Customer.created_day, Customer.paused_until)
        .where(Customer.organization_id == coach.organization_id, Customer.owner_id.in_(ids),
               Customer.archived_at.is_(None))
    ):
        state = warmth.status(last_touch_day=last_touch, created_day=created_day, today=today,
                              cadence_days=common_q.effective_cadence(cadence, crisis=crisis),
                              paused_until=paused_until)
        quiet += state is warmth.Warmth.quiet
    return WeeklySummary(
        first=first,
        last=last,
        reps=len(reps),
        touches=sum(per_rep.values()),
        active_reps=sum(1 for i in ids if per_rep.get(i)),
        quiet_reps=tuple(sorted((r.name for r in reps if not per_rep.get(r.id)), key=str.lower)),
        quiet_customers=quiet,
    )
