"""Read side: what the pages and the API show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select, union_all
from sqlalchemy.orm import Session, joinedload, object_session

from . import challenges, clock, streaks, warmth
from .kinds import Role, Tier
from .models import AwayPeriod, Customer, StreakState, Team, TeamHoliday, Touch, User
from .operations import ledger, streak_state
from .operations.customers import visible_customers

TIER_ORDER = {Tier.A: 0, Tier.B: 1, Tier.C: 2}


@dataclass(frozen=True)
class CustomerRow:
    """A customer with its warmth on a given day."""

    customer: Customer
    warmth: warmth.Warmth
    days_since: int
    urgency: float


def today_of(user: User, now: datetime) -> date:
    """Return *user*'s local day at *now*."""
    return clock.local_day(now, user.timezone, user.day_start_hour)


def customer_row(customer: Customer, today: date, *, crisis: bool | None = None) -> CustomerRow:
    """Return *customer* with its warmth on *today*.

    *crisis*: whether the owner's team is in crisis mode, which tightens the cadence to
    ``challenges.crisis_cadence`` (× 0.7) for warmth and urgency; None looks it up (one query).
    """
    if crisis is None:
        crisis = owner_in_crisis(object_session(customer), customer.owner_id)
    cadence = effective_cadence(customer.cadence_days, crisis=crisis)
    kwargs = dict(last_touch_day=customer.last_touch_day, created_day=customer.created_day, today=today)
    return CustomerRow(
        customer=customer,
        warmth=warmth.status(**kwargs, cadence_days=cadence, paused_until=customer.paused_until),
        days_since=warmth.days_since(**kwargs),
        urgency=warmth.urgency(**kwargs, cadence_days=cadence),
    )


def effective_cadence(cadence_days: int, *, crisis: bool) -> float:
    """Return the cadence warmth uses: the customer's own, or × 0.7 in crisis mode."""
    return challenges.crisis_cadence(cadence_days) if crisis else cadence_days


def crisis_owner_ids(session: Session, organization_id: int) -> frozenset[int]:
    """Return the ids of the users of the organisation whose team is in crisis mode (one query)."""
    return frozenset(
        session.scalars(
            select(User.id)
            .join(Team, Team.id == User.team_id)
            .where(User.organization_id == organization_id, Team.crisis_since.is_not(None))
        )
    )


def owner_in_crisis(session: Session | None, owner_id: int) -> bool:
    """Tell whether the team of the user *owner_id* is in crisis mode."""
    if session is None:
        return False
    return session.scalar(
        select(Team.crisis_since).join(User, User.team_id == Team.id).where(User.id == owner_id)
    ) is not None


def customer_rows(
    session: Session,
    user: User,
    *,
    today: date,
    search: str | None = None,
    warmth_filter: str | None = None,
    archived: bool = False,
) -> list[CustomerRow]:
    """Return the customers *user* sees, most urgent first, optionally searched and filtered.

    Warmth follows crisis mode per owner: a customer whose owner's team is in crisis is
    judged by the tightened cadence.
    """
    stmt = visible_customers(user)
    stmt = stmt.where(Customer.archived_at.is_not(None) if archived else Customer.archived_at.is_(None))
    if search:
        pattern = "%" + search.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                func.lower(Customer.name).like(pattern, escape="\\"),
                func.lower(Customer.company).like(pattern, escape="\\"),
                func.lower(Customer.email).like(pattern, escape="\\"),
            )
        )
    in_crisis = crisis_owner_ids(session, user.organization_id)
    rows = [customer_row(c, today, crisis=c.owner_id in in_crisis) for c in session.scalars(stmt)]
    if warmth_filter:
        rows = [r for r in rows if r.warmth == warmth_filter]
    # Most urgent first; paused customers asked for space, so they go last.
    rows.sort(key=lambda r: (r.warmth == warmth.Warmth.paused, -r.urgency, TIER_ORDER[r.customer.tier],
                             r.customer.name.lower()))
    return rows


def whom_to_touch(session: Session, user: User, *, today: date, limit: int | None = 5) -> list[CustomerRow]:
    """Return the rep's customers to touch today.

    Active customers of the rep, not paused, ranked by urgency ``days / cadence_days``, tier A
    before B before C on ties, customers already touched today last. While the rep's team is
    in crisis mode, warmth and urgency use the tightened cadence (× 0.7).
    """
    return whom_today(session, user, today=today, limit=limit).rows


@dataclass(frozen=True)
class Whom:
    """Today's list of whom to touch, and how many active customers the rep has (paused ones too)."""

    rows: list[CustomerRow]
    active_count: int


def whom_today(session: Session, user: User, *, today: date, limit: int | None = 5) -> Whom:
    """Return ``whom_to_touch`` and the rep's count of active customers, from one query."""
    customers = list(session.scalars(select(Customer).where(
        Customer.organization_id == user.organization_id,
        Customer.owner_id == user.id,
        Customer.archived_at.is_(None),
    )))
    waiting = [c for c in customers if c.paused_until is None or c.paused_until < today]
    # The rep's own team decides crisis mode for their own customers; the user loader has
    # loaded the team with the user.
    crisis = user.team is not None and user.team.crisis_since is not None
    rows = [customer_row(c, today, crisis=crisis) for c in waiting]
    rows.sort(
        key=lambda r: (
            r.customer.last_touch_day == today,
            -r.urgency,
            TIER_ORDER[r.customer.tier],
            r.customer.name.lower(),
        )
    )
    return Whom(rows[:limit], len(customers))


def active_days(session: Session, user: User) -> list[date]:
    """Return the local days on which *user* logged at least one touch that is not deleted."""
    return list(
        session.scalars(
            select(Touch.local_day).where(Touch.user_id == user.id, Touch.deleted_at.is_(None)).distinct()
        )
    )


def streak_summary(session: Session, user: User, *, today: date) -> streaks.StreakSummary:
    """Return *user*'s streak summary on *today*, from the kept checkpoint."""
    return streak_state.summary(session, user, today=today)


def touches_on(session: Session, user: User, day: date) -> int:
    """Return how many touches *user* logged for *day*."""
    return session.scalar(
        select(func.count(Touch.id)).where(
            Touch.user_id == user.id, Touch.local_day == day, Touch.deleted_at.is_(None)
        )
    ) or 0


@dataclass(frozen=True)
class DaySummary:
    """Today's summary: the streak, the touches logged today, the points."""

    streak: streaks.StreakSummary
    done: int
    points: ledger.Totals


def day_summary(session: Session, user: User, *, today: date) -> DaySummary:
    """Return the rep's streak, count of touches today and points, in four queries.

    The same as ``streak_summary``, ``touches_on`` and ``ledger.totals``: with a usable
    checkpoint (before today), the touches after it are read once, grouped by day, for the
    streak's walk and for today's count alike.
    """
    state = session.get(StreakState, user.id)
    if not streak_state.usable(state, today):
        return DaySummary(streak_summary(session, user, today=today), touches_on(session, user, today),
                          ledger.totals(session, user, today=today))
    assert state is not None and state.through_day is not None
    rows = session.execute(
        select(Touch.local_day, Touch.rescue, func.count(Touch.id))
        .where(Touch.user_id == user.id, Touch.deleted_at.is_(None), Touch.local_day > state.through_day)
        .group_by(Touch.local_day, Touch.rescue)
    ).all()
    hist = streak_state.History(
        active=frozenset(day for day, _rescue, _n in rows),
        bonus=frozenset(day for day, rescue, _n in rows if rescue),
        away=streak_state.away_ranges(session, user, after=state.through_day),
        workdays=user.workday_set,
    )
    done = sum(n for day, _rescue, n in rows if day == today)
    return DaySummary(streak_state.summary_of(state, hist, today=today), done,
                      ledger.totals(session, user, today=today))


def recent_touches(session: Session, user: User, *, limit: int = 10) -> list[Touch]:
    """Return *user*'s latest touches that are not deleted, newest first."""
    return list(
        session.scalars(
            select(Touch)
            .where(Touch.user_id == user.id, Touch.deleted_at.is_(None))
            .order_by(Touch.occurred_at.desc(), Touch.id.desc())
            .limit(limit)
        )
    )


def customer_timeline(session: Session, customer: Customer, *, limit: int = 200) -> list[Touch]:
    """Return a customer's touches that are not deleted, newest first."""
    return list(
        session.scalars(
            select(Touch)
            .where(Touch.customer_id == customer.id, Touch.deleted_at.is_(None))
            .order_by(Touch.occurred_at.desc(), Touch.id.desc())
            .limit(limit)
        )
    )


def my_recent_touches(session: Session, user: User, *, limit: int = 10) -> list[Touch]:
    """Return *user*'s latest touches that are not deleted, newest logged first, with their customers."""
    return list(
        session.scalars(
            select(Touch)
            .where(Touch.user_id == user.id, Touch.deleted_at.is_(None))
            .options(joinedload(Touch.customer, innerjoin=True))
            .order_by(Touch.local_day.desc(), Touch.created_at.desc(), Touch.id.desc())
            .limit(limit)
        )
    )


def warmth_counts(rows: list[CustomerRow]) -> dict[warmth.Warmth, int]:
    """Return how many of *rows* are in each warmth, every warmth present (zero when none)."""
    counts = {w: 0 for w in warmth.Warmth}
    for row in rows:
        counts[row.warmth] += 1
    return counts


def archived_count(session: Session, user: User) -> int:
    """Return how many archived customers *user* sees."""
    visible = visible_customers(user).where(Customer.archived_at.is_not(None)).subquery()
    return session.scalar(select(func.count()).select_from(visible)) or 0


def touch_counts(session: Session, user: User, *, first: date, last: date) -> dict[date, int]:
    """Return how many touches *user* logged per local day in ``first..last``, in one grouped query."""
    rows = session.execute(
        select(Touch.local_day, func.count(Touch.id))
        .where(
            Touch.user_id == user.id,
            Touch.deleted_at.is_(None),
            Touch.local_day >= first,
            Touch.local_day <= last,
        )
        .group_by(Touch.local_day)
    )
    return {day: count for day, count in rows}


def away_between(session: Session, user: User, *, first: date, last: date) -> tuple[tuple[date, date], ...]:
    """Return the rep's away periods and team holidays that overlap ``first..last``, in one query."""
    stmt = select(AwayPeriod.first_day, AwayPeriod.last_day).where(
        AwayPeriod.user_id == user.id, AwayPeriod.last_day >= first, AwayPeriod.first_day <= last
    )
    if user.team_id is not None:
        stmt = union_all(
            stmt,
            select(TeamHoliday.first_day, TeamHoliday.last_day).where(
                TeamHoliday.team_id == user.team_id, TeamHoliday.last_day >= first, TeamHoliday.first_day <= last
            ),
        )
    return tuple(sorted((first_day, last_day) for first_day, last_day in session.execute(stmt)))


@dataclass(frozen=True)
class StreakPage:
    """What the streak page shows: the kept summary, the walk's run, the heatmap's inputs."""

    summary: streaks.StreakSummary
    run_of_active: int
    counts: dict[date, int]
    away: tuple[tuple[date, date], ...]
    first_day: date


def streak_page(session: Session, user: User, *, today: date, weeks: int = 26) -> StreakPage:
    """Return the rep's streak page data without reading the whole history.

    The summary comes from the kept checkpoint; the touch counts of the last *weeks* weeks
    from one grouped query, their away ranges from one more. ``run_of_active`` (active days
    since the last missed workday, what earns the next freeze) is the checkpoint's run walked
    forward over the days after it, which the window already holds; only a checkpoint older
    than the window, or none at all, falls back to the kept-state history path.
    """
    # Held here first, so the summary's own lookup finds it in the (weak) identity map.
    state = session.get(StreakState, user.id)
    summary = streak_summary(session, user, today=today)
    first = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    counts = touch_counts(session, user, first=first, last=today)
    away = away_between(session, user, first=first, last=today)
    through = state.through_day if state is not None else None
    if through is None or through >= today:
        hist = streak_state.history(session, user)
        run, start = 0, min(hist.active, default=today)
        active, away_after = hist.active, hist.away
    elif through >= first - timedelta(days=1):
        run, start = state.run_of_active, through + timedelta(days=1)
        active, away_after = frozenset(counts), away
    else:
        hist = streak_state.history(session, user, after=through)
        run, start = state.run_of_active, through + timedelta(days=1)
        active, away_after = hist.active, hist.away
    run = _run_of_active(run, start, today, active=active, workdays=user.workday_set, away=away_after)
    return StreakPage(summary, run, counts, away, first)


def _run_of_active(
    run: int, first: date, today: date, *, active, workdays: frozenset[int], away: tuple[tuple[date, date], ...]
) -> int:
    # The same rule as streaks.Walker.step: an active day extends the run, a missed expected
    # workday (frozen or not) resets it, neutral days and today-not-yet-logged leave it alone.
    day = first
    while day <= today:
        if day in active:
            run += 1
        elif day < today and day.weekday() in workdays and not any(a <= day <= b for a, b in away):
            run = 0
        day += timedelta(days=1)
    return run


# -- Coach's quiet radar -----------------------------------------------------------------------

RADAR_WINDOW_DAYS = 28


@dataclass(frozen=True)
class RadarRow:
    """One rep on the coach's radar, computed from stored data whether or not they open the app.

    ``streak`` is the kept streak on the rep's today; ``week_touches`` counts touches in the
    rep's local ISO week; ``consistency`` is ``streaks.consistency`` over the last 28 days
    (None with no qualifying day); ``warming``/``quiet`` count the rep's active customers
    (with crisis cadences while the team is in crisis).
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

    @property
    def streak_broken(self) -> bool:
        """Tell whether the rep has no running streak."""
        return self.streak.current == 0

    def risk_key(self) -> tuple:
        """Return the radar's sort key: the rep most at risk first.

        Order: most quiet customers first; then a broken streak (current 0) before a running
        one; then a streak at risk today before a safe one; then lowest consistency first (no
        consistency yet counts as 0); then most warming customers; then by name.
        """
        return (
            -self.quiet,
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
    todays = {r.id: today_of(r, now) for r in reps}
    states = {s.user_id: s for s in session.scalars(select(StreakState).where(StreakState.user_id.in_(ids)))}
    cutoff = min(todays.values()) - timedelta(days=RADAR_WINDOW_DAYS + 7)
    whole = []
    for rep in reps:
        state = states.get(rep.id)
        if streak_state.usable(state, todays[rep.id]):
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
    last_days = dict(
        session.execute(
            select(Touch.user_id, func.max(Touch.local_day))
            .where(Touch.organization_id == coach.organization_id, Touch.user_id.in_(ids), Touch.deleted_at.is_(None))
            .group_by(Touch.user_id)
        ).all()
    )
    away: dict[int, list[tuple[date, date]]] = {i: [] for i in ids}
    for user_id, first, last in session.execute(
        select(AwayPeriod.user_id, AwayPeriod.first_day, AwayPeriod.last_day).where(AwayPeriod.user_id.in_(ids))
    ):
        away[user_id].append((first, last))
    holidays = [
        (first, last)
        for first, last in session.execute(
            select(TeamHoliday.first_day, TeamHoliday.last_day).where(TeamHoliday.team_id == coach.team_id)
        )
    ]
    crisis = coach.team is not None and coach.team.crisis_since is not None
    tally = {i: [0, 0, 0] for i in ids}  # customers, warming, quiet
    for owner_id, cadence, last_touch, created_day, paused_until in session.execute(
        select(Customer.owner_id, Customer.cadence_days, Customer.last_touch_day, Customer.created_day,
               Customer.paused_until)
        .where(Customer.organization_id == coach.organization_id, Customer.owner_id.in_(ids),
               Customer.archived_at.is_(None))
    ):
        state = warmth.status(last_touch_day=last_touch, created_day=created_day, today=todays[owner_id],
                              cadence_days=effective_cadence(cadence, crisis=crisis), paused_until=paused_until)
        if state is warmth.Warmth.paused:
            continue
        tally[owner_id][0] += 1
        tally[owner_id][1] += state is warmth.Warmth.warming
        tally[owner_id][2] += state is warmth.Warmth.quiet
    result = []
    for rep in reps:
        today = todays[rep.id]
        ranges = tuple(sorted(away[rep.id] + holidays))
        active = frozenset(counts[rep.id])
        hist = streak_state.History(active, frozenset(bonus[rep.id]), ranges, rep.workday_set)
        monday = today - timedelta(days=today.weekday())
        result.append(
            RadarRow(
                rep=rep,
                today=today,
                streak=streak_state.summary_of(states.get(rep.id), hist, today=today),
                last_touch_day=last_days.get(rep.id),
                week_touches=sum(n for d, n in counts[rep.id].items() if monday <= d <= today),
                consistency=streaks.consistency(active, today=today, workdays=rep.workday_set, away=ranges,
                                                window=RADAR_WINDOW_DAYS),
                customers=tally[rep.id][0],
                warming=tally[rep.id][1],
                quiet=tally[rep.id][2],
            )
        )
    result.sort(key=RadarRow.risk_key)
    return result


@dataclass(frozen=True)
class RepCustomers:
    """A rep's quiet and warming customers, most urgent first, as the coach's drill-down shows them."""

    rep: User
    today: date
    quiet: list[CustomerRow]
    warming: list[CustomerRow]


def rep_customers(session: Session, coach: User, rep_id: object, *, now: datetime) -> RepCustomers | None:
    """Return a rep's quiet and warming customers for their coach; None when not allowed.

    Only a coach, and only for a rep of the coach's own team; anyone else gets None (a 404).
    """
    try:
        rid = int(rep_id)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not coach.is_coach or coach.team_id is None or not 0 < rid < 2**63:
        return None
    rep = session.get(User, rid)
    if rep is None or rep.organization_id != coach.organization_id or rep.team_id != coach.team_id or rep.role != Role.rep:
        return None
    today = today_of(rep, now)
    crisis = coach.team is not None and coach.team.crisis_since is not None
    rows = [
        customer_row(c, today, crisis=crisis)
        for c in session.scalars(
            select(Customer).where(
                Customer.organization_id == rep.organization_id, Customer.owner_id == rep.id,
                Customer.archived_at.is_(None),
            )
        )
    ]
    rows.sort(key=lambda r: (-r.urgency, TIER_ORDER[r.customer.tier], r.customer.name.lower()))
    return RepCustomers(
        rep=rep,
        today=today,
        quiet=[r for r in rows if r.warmth is warmth.Warmth.quiet],
        warming=[r for r in rows if r.warmth is warmth.Warmth.warming],
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
    crisis = coach.team is not None and coach.team.crisis_since is not None
    quiet = 0
    for cadence, last_touch, created_day, paused_until in session.execute(
        select(Customer.cadence_days, Customer.last_touch_day, Customer.created_day, Customer.paused_until)
        .where(Customer.organization_id == coach.organization_id, Customer.owner_id.in_(ids),
               Customer.archived_at.is_(None))
    ):
        state = warmth.status(last_touch_day=last_touch, created_day=created_day, today=today,
                              cadence_days=effective_cadence(cadence, crisis=crisis), paused_until=paused_until)
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
