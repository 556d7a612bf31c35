"""The trend charts' reads: a team's weeks, a rep's weeks and a rep's 1:1 sheet, set-based.

**Weeks** are the viewer's local ISO weeks (Monday to Sunday), the last `WEEKS` of them up to the
viewer's today: the coach's on the team page, the rep's own on their streak page and sheet. The
current week is partial ("so far"): its figures run to today. Touches count by their stored
``local_day`` (the day of the rep who logged them), deleted ones never.

**Crisis weeks**: a week is shaded when one of the team's crisis periods (``CrisisPeriod``)
overlaps it, in the viewer's days. Its end state (coverage) is judged with the cadences of that
moment: crisis cadences (``challenges.crisis_cadence``, × 0.7) when a period was open at the
week's end — the end of its Sunday, or now for the current week.

**Coverage of a week** (``coverage``): of the customers of the given owners in the given tiers
that existed at the week's end (created on or before its last day, not archived by then, not
paused on that day as far as ``paused_until`` tells), how many were not ``quiet`` then — by
``warmth.status`` with the last touch on or before that day. One statement for all weeks and all
customers, counted in SQL; ``tests/operations/test_trends_sql.py`` holds it equal to Python.

Every read here runs a fixed number of statements, whatever the team's size or the history's
length (``tests/views/test_trends_views.py`` counts them).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Date, Integer, and_, case, cast, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from .. import badges, clock, follow_ups, streaks, warmth
from ..ids import parse_id
from ..kinds import Role
from ..models import BadgeAward, CrisisPeriod, Customer, FollowUp, Touch, User, UTCDateTime
from . import away as away_q
from . import common as common_q
from . import streak as streak_q
from . import team as team_q

WEEKS = 12
COVERAGE_TIERS = ("A", "B")
ALL_TIERS = ("A", "B", "C")
SHEET_CUSTOMERS = 5
RECENT_BADGE_DAYS = 30
CONSISTENCY_WINDOWS = (28, 84)


@dataclass(frozen=True)
class Week:
    """One week of a chart: its days, the instant its end state is taken at, and whether in crisis.

    ``upto`` is the last day its figures count (Sunday, or today in the current week);
    ``until`` the instant its end state is taken at (the end of ``upto``, or now); ``shaded``
    that a crisis period overlaps it; ``crisis`` that one was open at ``until``.
    """

    index: int
    first: date
    last: date
    upto: date
    until: datetime
    shaded: bool
    crisis: bool
    partial: bool


@dataclass(frozen=True)
class Period:
    """A crisis period in the viewer's days (``last`` None while it runs)."""

    first: date
    last: date | None
    reason: str | None


@dataclass(frozen=True)
class Coverage:
    """A week's end state: per tier, the customers counted and those of them not quiet."""

    counted: dict[str, int]
    warm: dict[str, int]

    def of(self, tiers: Iterable[str]) -> tuple[int, int]:
        """Return (counted, not quiet) over *tiers*."""
        tiers = tuple(tiers)
        return sum(self.counted.get(t, 0) for t in tiers), sum(self.warm.get(t, 0) for t in tiers)

    def percent(self, tiers: Iterable[str]) -> float | None:
        """Return the share not quiet over *tiers* in percent, None without a customer to count."""
        counted, warm = self.of(tiers)
        return 100 * warm / counted if counted else None


# --- weeks and crisis periods ----------------------------------------------------------------


def week_days(today: date, n: int = WEEKS) -> list[tuple[date, date]]:
    """Return the (Monday, Sunday) of the *n* ISO weeks up to the one holding *today*, oldest first."""
    monday = today - timedelta(days=today.weekday())
    mondays = [monday - timedelta(weeks=i) for i in range(n - 1, -1, -1)]
    return [(first, first + timedelta(days=6)) for first in mondays]


def crisis_periods(session: Session, team_id: int | None, *, since: datetime) -> list[CrisisPeriod]:
    """Return the team's crisis periods still open or ended after *since*, oldest first (one query)."""
    if team_id is None:
        return []
    return list(session.scalars(
        select(CrisisPeriod)
        .where(CrisisPeriod.team_id == team_id, or_(CrisisPeriod.ended_at.is_(None), CrisisPeriod.ended_at > since))
        .order_by(CrisisPeriod.started_at, CrisisPeriod.id)
    ))


def weeks_of(viewer: User, periods: Sequence[CrisisPeriod], *, now: datetime, n: int = WEEKS) -> tuple[Week, ...]:
    """Return the viewer's last *n* weeks up to today, each shaded and judged by the crisis *periods*."""
    today = viewer.today(now)
    spans = [(viewer.day_of(p.started_at), viewer.day_of(p.ended_at) if p.ended_at else today, p) for p in periods]
    weeks = []
    for index, (first, last) in enumerate(week_days(today, n)):
        partial = first <= today <= last
        upto = today if partial else last
        until = now if partial else min(now, clock.day_bounds(upto, viewer.timezone, viewer.day_start_hour)[1])
        weeks.append(Week(
            index=index, first=first, last=last, upto=upto, until=until,
            shaded=any(start <= last and end >= first for start, end, _ in spans),
            crisis=any(p.started_at <= until and (p.ended_at is None or p.ended_at > until) for _, _, p in spans),
            partial=partial,
        ))
    return tuple(weeks)


def periods_in_days(viewer: User, periods: Sequence[CrisisPeriod], weeks: Sequence[Week]) -> tuple[Period, ...]:
    """Return the crisis periods overlapping *weeks*, in the viewer's days."""
    found = []
    for p in periods:
        first = viewer.day_of(p.started_at)
        last = viewer.day_of(p.ended_at) if p.ended_at else None
        if weeks and first <= weeks[-1].last and (last is None or last >= weeks[0].first):
            found.append(Period(first, last, p.reason))
    return tuple(found)


# --- coverage, counted in SQL ----------------------------------------------------------------


def _days_between(session: Session, later, earlier):
    """Return the SQL for ``later - earlier`` in whole days (two date expressions), on PostgreSQL and SQLite."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.julianday(later) - func.julianday(earlier), Integer)
    return later - earlier


def _day_literal(session: Session, day: date):
    """Return *day* as an SQL date value (SQLite keeps dates as ISO text; a CAST there would make a number)."""
    if session.get_bind().dialect.name == "sqlite":
        return literal(day, Date)
    return cast(literal(day, Date), Date)


def coverage(session: Session, organization_id: int, owner_ids: Sequence[int], weeks: Sequence[Week],
             *, tiers: Sequence[str] = ALL_TIERS) -> list[Coverage]:
    """Return each week's end state of the customers of *owner_ids* in *tiers* (one statement).

    The weeks go in as a row each (index, last day, end instant, crisis); each customer that
    existed at a week's end is joined with its last touch on or before that day (the newest
    non-deleted one, found through ``ix_touch_customer_day``), and counted as quiet by the rules
    of ``warmth.status`` in exact integer arithmetic, as the nudge scan does: with ``d`` the days
    since that touch (or since creation) and ``c`` the cadence, quiet is ``d > c``; under crisis
    cadences (``max(1, 0.7 c)``) it is ``10 d > max(10, 7 c)``.
    """
    result = [Coverage({}, {}) for _ in weeks]
    if not weeks or not owner_ids:
        return result
    week_rows = union_all(*(
        select(literal(w.index, Integer).label("week"), _day_literal(session, w.upto).label("upto"),
               literal(w.until, UTCDateTime()).label("until"), literal(1 if w.crisis else 0, Integer).label("crisis"))
        for w in weeks
    )).subquery("weeks")
    last_touch = (
        select(Touch.local_day)
        .where(Touch.customer_id == Customer.id, Touch.deleted_at.is_(None), Touch.local_day <= week_rows.c.upto)
        .order_by(Touch.local_day.desc())
        .limit(1)
        .correlate(Customer, week_rows)
        .scalar_subquery()
    )
    # Quiet is "d > cadence": d > c when calm; d > max(1, 0.7 c) in crisis, i.e. 10 d > max(10, 7 c).
    # One comparison with d, so its correlated lookup runs once per customer and week.
    c = Customer.cadence_days
    threshold = case((week_rows.c.crisis == 0, c * 10), (c * 7 > 10, c * 7), else_=10)
    d = _days_between(session, week_rows.c.upto, func.coalesce(last_touch, Customer.created_day))
    rows = session.execute(
        select(week_rows.c.week, Customer.tier, func.count(), func.sum(case((d * 10 > threshold, 0), else_=1)))
        .select_from(week_rows)
        .join(Customer, and_(
            Customer.organization_id == organization_id,
            Customer.owner_id.in_(list(owner_ids)),
            Customer.tier.in_(list(tiers)),
            Customer.created_day <= week_rows.c.upto,
            or_(Customer.archived_at.is_(None), Customer.archived_at > week_rows.c.until),
            or_(Customer.paused_until.is_(None), Customer.paused_until < week_rows.c.upto),
        ))
        .group_by(week_rows.c.week, Customer.tier)
    )
    by_index = {w.index: i for i, w in enumerate(weeks)}
    for week, tier, counted, warm in rows:
        cell = result[by_index[week]]
        tier = getattr(tier, "value", tier)
        cell.counted[tier] = int(counted)
        cell.warm[tier] = int(warm or 0)
    return result


# --- touches per rep and week ----------------------------------------------------------------


@dataclass(frozen=True)
class _RepWeeks:
    """One rep's touches of some weeks: per week, and per day (filled from one grouped query)."""

    touches: list[int]
    rescues: list[int]
    kinds: list[set[str]]
    days: dict[date, int]


def _touched(user_ids: Sequence[int], weeks: Sequence[Week]) -> tuple:
    """Return the filter of the non-deleted touches of *user_ids* in *weeks*.

    *user_ids* come from a read that checked the organisation; the filter goes by user and day
    (``ix_touch_user_day``) — one on the organisation too lets SQLite pick that column's index
    and read every touch of the organisation.
    """
    return (Touch.user_id.in_(list(user_ids)), Touch.deleted_at.is_(None),
            Touch.local_day >= weeks[0].first, Touch.local_day <= weeks[-1].last)


def _rep_weeks(session: Session, rep: User, weeks: Sequence[Week]) -> _RepWeeks:
    """Count one rep's touches, rescues and kinds per week, and touches per day (one query)."""
    n = len(weeks)
    found = _RepWeeks([0] * n, [0] * n, [set() for _ in range(n)], {})
    rows = session.execute(
        select(Touch.local_day, Touch.kind, func.count(), func.sum(case((Touch.rescue.is_(True), 1), else_=0)))
        .where(*_touched([rep.id], weeks))
        .group_by(Touch.local_day, Touch.kind)
    )
    for day, kind, count, rescued in rows:
        i = (day - weeks[0].first).days // 7
        found.touches[i] += count
        found.rescues[i] += int(rescued or 0)
        found.kinds[i].add(getattr(kind, "value", kind))
        found.days[day] = found.days.get(day, 0) + count
    return found


def _team_weeks(session: Session, user_ids: Sequence[int], weeks: Sequence[Week]):
    """Return each rep's touches per week, and the team's rescues and kinds used per week (two queries).

    The week of a touch is computed in SQL (days since the first Monday, divided by 7), so a
    team of a hundred sends a few thousand rows, not one per rep, day and kind.
    """
    n = len(weeks)
    per_rep = {u: [0] * n for u in user_ids}
    rescues, kinds = [0] * n, [0] * n
    if not user_ids:
        return per_rep, rescues, kinds
    week = cast(_days_between(session, Touch.local_day, _day_literal(session, weeks[0].first)), Integer) // 7
    rows = session.execute(
        select(Touch.user_id, week.label("week"), func.count(), func.sum(case((Touch.rescue.is_(True), 1), else_=0)))
        .where(*_touched(user_ids, weeks))
        .group_by(Touch.user_id, week)
    )
    for user_id, i, count, rescued in rows:
        per_rep[user_id][int(i)] += count
        rescues[int(i)] += int(rescued or 0)
    for i, count in session.execute(
        select(week.label("week"), func.count(func.distinct(Touch.kind)))
        .where(*_touched(user_ids, weeks))
        .group_by(week)
    ):
        kinds[int(i)] = count
    return per_rep, rescues, kinds


# --- the team's trends -----------------------------------------------------------------------


@dataclass(frozen=True)
class RepRow:
    """A rep's touches per week, for the team page's small multiples."""

    rep: User
    touches: tuple[int, ...]

    @property
    def total(self) -> int:
        """Return the touches over all the weeks."""
        return sum(self.touches)


@dataclass(frozen=True)
class TeamTrends:
    """What the Trends page shows: the team's weeks, per rep and together."""

    today: date
    weeks: tuple[Week, ...]
    reps: tuple[RepRow, ...]
    touches: tuple[int, ...]
    kinds: tuple[int, ...]
    rescues: tuple[int, ...]
    coverage: tuple[Coverage, ...]
    periods: tuple[Period, ...]

    def coverage_percent(self) -> list[float | None]:
        """Return each week's coverage of A and B customers, in percent (None: none to count)."""
        return [c.percent(COVERAGE_TIERS) for c in self.coverage]


def team_trends(session: Session, coach: User, *, now: datetime, n: int = WEEKS) -> TeamTrends | None:
    """Return the coach's team's last *n* weeks; None for anyone but a coach (or admin) with a team.

    Five statements whatever the team's size and history: the reps, the crisis periods, the
    touches grouped by rep and week, the kinds grouped by week, and the coverage.
    """
    if not coach.is_coach or coach.team_id is None:
        return None
    reps = team_q.team_reps(session, coach)
    today = coach.today(now)
    since = now - timedelta(weeks=n + 1)
    periods = crisis_periods(session, coach.team_id, since=since)
    weeks = weeks_of(coach, periods, now=now, n=n)
    ids = [r.id for r in reps]
    per_rep, rescues, kinds = _team_weeks(session, ids, weeks)
    return TeamTrends(
        today=today,
        weeks=weeks,
        reps=tuple(RepRow(r, tuple(per_rep[r.id])) for r in sorted(reps, key=lambda r: (r.name.lower(), r.id))),
        touches=tuple(sum(values[i] for values in per_rep.values()) for i in range(n)),
        kinds=tuple(kinds),
        rescues=tuple(rescues),
        coverage=tuple(coverage(session, coach.organization_id, ids, weeks, tiers=COVERAGE_TIERS)),
        periods=periods_in_days(coach, periods, weeks),
    )


# --- a rep's own trend -----------------------------------------------------------------------


@dataclass(frozen=True)
class RepTrend:
    """A rep's weeks: touches against the weekly goal, kinds used, rescues, customers kept warm.

    ``goal`` is the daily goal times the week's expected workdays (workdays not away, team
    holidays included), None for a week without any; ``expected``/``active`` count those
    workdays and the ones with a touch (today only once it has one); ``warm``/``customers``
    are the rep's customers (all tiers) not quiet at the week's end, and all counted.
    """

    today: date
    weeks: tuple[Week, ...]
    touches: tuple[int, ...]
    goal: tuple[int | None, ...]
    kinds: tuple[int, ...]
    rescues: tuple[int, ...]
    expected: tuple[int, ...]
    active: tuple[int, ...]
    warm: tuple[int, ...]
    customers: tuple[int, ...]
    days: dict[date, int]
    away: away_q.Ranges

    def warm_percent(self) -> list[float | None]:
        """Return the share of customers kept warm each week, in percent (None: none to count)."""
        return [100 * w / c if c else None for w, c in zip(self.warm, self.customers)]

    @property
    def goal_met(self) -> int:
        """Return how many complete weeks reached their goal."""
        return sum(1 for w, t, g in zip(self.weeks, self.touches, self.goal) if not w.partial and g and t >= g)

    @property
    def goal_weeks(self) -> int:
        """Return how many complete weeks had a goal."""
        return sum(1 for w, g in zip(self.weeks, self.goal) if not w.partial and g)


def rep_trend(session: Session, rep: User, *, now: datetime, n: int = WEEKS) -> RepTrend:
    """Return *rep*'s last *n* weeks in their own days (four statements: periods, touches, away, coverage)."""
    today = rep.today(now)
    periods = crisis_periods(session, rep.team_id, since=now - timedelta(weeks=n + 1))
    weeks = weeks_of(rep, periods, now=now, n=n)
    mine = _rep_weeks(session, rep, weeks)
    away = away_q.away_ranges(session, rep, first=weeks[0].first, last=weeks[-1].last)
    workdays = rep.workday_set
    days = mine.days
    goals, expected, active = [], [], []
    for week in weeks:
        span = [week.first + timedelta(days=i) for i in range(7)]
        due = [d for d in span if d.weekday() in workdays and not streaks.is_away(d, away)]
        counted = [d for d in due if d < today or (d == today and d in days)]
        goals.append(rep.daily_goal * len(due) if due else None)
        expected.append(len(counted))
        active.append(sum(1 for d in counted if d in days))
    warm = coverage(session, rep.organization_id, [rep.id], weeks, tiers=ALL_TIERS)
    return RepTrend(
        today=today,
        weeks=weeks,
        touches=tuple(mine.touches),
        goal=tuple(goals),
        kinds=tuple(len(k) for k in mine.kinds),
        rescues=tuple(mine.rescues),
        expected=tuple(expected),
        active=tuple(active),
        warm=tuple(c.of(ALL_TIERS)[1] for c in warm),
        customers=tuple(c.of(ALL_TIERS)[0] for c in warm),
        days=days,
        away=away,
    )


# --- the 1:1 sheet ---------------------------------------------------------------------------


def sheet_rep(session: Session, viewer: User, rep_id: object) -> User | None:
    """Return the rep whose sheet *viewer* asked for, or None (a 404) when not allowed.

    Allowed: the person themself, and a coach or admin of the same organisation and team for
    a rep of that team. Anyone else — another rep, another team, another organisation — gets None.
    """
    rid = parse_id(rep_id)
    if rid is None:
        return None
    if rid == viewer.id:
        return viewer
    if not viewer.is_coach or viewer.team_id is None:
        return None
    rep = session.get(User, rid)
    if rep is None or rep.organization_id != viewer.organization_id or rep.team_id != viewer.team_id \
            or rep.role != Role.rep:
        return None
    return rep


@dataclass(frozen=True)
class Missed:
    """A follow-up that was not kept: still open past its day, done late, or dropped after its day."""

    customer_id: int
    customer_name: str
    due_day: date
    state: str  # "overdue", "late" or "dropped"
    days: int  # days overdue, days late, or days after its day it was dropped


@dataclass(frozen=True)
class FollowUpRecord:
    """The rep's planned touches due in the sheet's weeks: how many were kept on time, which were missed."""

    due: int
    kept: int
    missed: tuple[Missed, ...]


@dataclass(frozen=True)
class EarnedBadge:
    """A badge the rep holds, with its day, and whether it is recent."""

    badge: badges.Badge
    day: date
    recent: bool


@dataclass(frozen=True)
class Sheet:
    """Everything the 1:1 sheet shows about one rep."""

    rep: User
    today: date
    trend: RepTrend
    streak: streaks.StreakSummary
    runs: tuple[streaks.Run, ...]
    consistency: dict[int, float | None]
    going_quiet: tuple[common_q.CustomerRow, ...]
    quiet: int
    warming: int
    follow_ups: FollowUpRecord
    badges: tuple[EarnedBadge, ...]
    periods: tuple[Period, ...]


def sheet(session: Session, rep: User, *, now: datetime, n: int = WEEKS) -> Sheet:
    """Return *rep*'s 1:1 sheet as of *now*, in the rep's own days; a fixed number of statements.

    - streak now, longest and freezes from the kept checkpoint; the runs of the sheet's weeks
      (``streaks.runs``, with the kept summary's frozen days);
    - consistency: the share of expected workdays with a touch over the last 4 and 12 weeks
      (``streaks.consistency`` without decay; away days and team holidays left out; not before
      the rep joined; today only once it has a touch);
    - customers going quiet: the `SHEET_CUSTOMERS` most urgent of the quiet and warming ones;
    - follow-ups due in the sheet's weeks up to today: kept on time (the touch that did it on or
      before its day) against the rest; missed: still open past its day, done late, dropped after
      its day (one dropped before its day was a change of plan and counts nowhere);
    - badges held, newest first, those of the last `RECENT_BADGE_DAYS` days marked recent.
    """
    trend = rep_trend(session, rep, now=now, n=n)
    today = trend.today
    summary = streak_q.summary(session, rep, today=today)
    workdays = rep.workday_set
    active = frozenset(trend.days)
    joined = rep.day_of(rep.created_at)
    consistency = {
        window: streaks.consistency(active, today=today, workdays=workdays, away=trend.away,
                                    window=max(1, min(window, (today - joined).days + 1)), decay=1.0)
        for window in CONSISTENCY_WINDOWS
    }
    runs = streaks.runs(active, first=trend.weeks[0].first, today=today, workdays=workdays, away=trend.away,
                        frozen_days=frozenset(summary.frozen_days))
    crisis = rep.team_in_crisis
    rows = [common_q.customer_row(c, today, crisis=crisis) for c in session.scalars(
        select(Customer).where(Customer.organization_id == rep.organization_id, Customer.owner_id == rep.id,
                               Customer.archived_at.is_(None))
    )]
    cooling = sorted((r for r in rows if r.warmth in (warmth.Warmth.quiet, warmth.Warmth.warming)),
                     key=lambda r: (-r.urgency, common_q.TIER_ORDER[r.customer.tier], r.customer.name.lower()))
    held = session.execute(
        select(BadgeAward.code, BadgeAward.local_day).where(BadgeAward.user_id == rep.id)
        .order_by(BadgeAward.local_day.desc(), BadgeAward.id.desc())
    ).all()
    recent = today - timedelta(days=RECENT_BADGE_DAYS)
    periods = crisis_periods(session, rep.team_id, since=now - timedelta(weeks=n + 1))
    return Sheet(
        rep=rep,
        today=today,
        trend=trend,
        streak=summary,
        runs=runs,
        consistency=consistency,
        going_quiet=tuple(cooling[:SHEET_CUSTOMERS]),
        quiet=sum(1 for r in rows if r.warmth is warmth.Warmth.quiet),
        warming=sum(1 for r in rows if r.warmth is warmth.Warmth.warming),
        follow_ups=follow_up_record(session, rep, first=trend.weeks[0].first, today=today),
        badges=tuple(EarnedBadge(badges.BADGES[code], day, day > recent) for code, day in held
                     if code in badges.BADGES),
        periods=periods_in_days(rep, periods, trend.weeks),
    )


def follow_up_record(session: Session, rep: User, *, first: date, today: date) -> FollowUpRecord:
    """Return the follow-ups planned for *rep* due in ``first..today``, and the open ones overdue since before.

    One query (each with its customer's name and the day of the touch that did it).
    """
    rows = session.execute(
        select(FollowUp, Customer.name, Customer.archived_at, Touch.local_day)
        .join(Customer, Customer.id == FollowUp.customer_id)
        .outerjoin(Touch, Touch.id == FollowUp.done_touch_id)
        .where(FollowUp.user_id == rep.id, FollowUp.organization_id == rep.organization_id,
               FollowUp.due_day <= today, or_(FollowUp.due_day >= first, FollowUp.is_open))
        .order_by(FollowUp.due_day, FollowUp.id)
    ).all()
    due = kept = 0
    missed: list[Missed] = []
    for plan, name, archived_at, touch_day in rows:
        if plan.is_open:
            if archived_at is not None or not follow_ups.is_due(plan.due_day, today=today):
                continue
            if plan.due_day == today:  # due today: not missed yet, not kept yet
                continue
            due += 1
            missed.append(Missed(plan.customer_id, name, plan.due_day, "overdue",
                                 follow_ups.days_overdue(plan.due_day, today=today)))
        elif plan.done_at is not None:
            due += 1
            done_day = touch_day or rep.day_of(plan.done_at)
            if done_day <= plan.due_day:
                kept += 1
            else:
                missed.append(Missed(plan.customer_id, name, plan.due_day, "late", (done_day - plan.due_day).days))
        else:
            dropped_day = rep.day_of(plan.dropped_at)  # type: ignore[arg-type]
            if dropped_day > plan.due_day:
                due += 1
                missed.append(Missed(plan.customer_id, name, plan.due_day, "dropped",
                                     (dropped_day - plan.due_day).days))
    missed.sort(key=lambda m: (m.state != "overdue", -m.days, m.due_day, m.customer_name.lower()))
    return FollowUpRecord(due, kept, tuple(missed))

