"""The nudge scan: every rep's ``RepSnapshot`` from a constant number of set-based queries.

``scan(session, at=...)`` is what ``flask nudges run`` (and the dev scheduler) plugs into
``outbox.run``. It reads the state of every organisation in nine statements — users with their
kept streak checkpoint, recent touches, away periods, team holidays, each rep's quiet and warming
counts with the most urgent quiet customers (warmth is counted in SQL), today's outbox rows,
unannounced badges and challenge results — never one query per rep or per customer. Everything
else per rep (the local day, the streak fold after the checkpoint, the coach's quiet radar) is
computed in Python; ``nudges.due`` decides, and the due nudges go into the outbox in bulk
(``outbox.enqueue_many``). Badges and challenge results named by an enqueued nudge's
``refs`` are marked announced in the same transaction; ``outbox.run`` commits.

Who is scanned: users with at least one push subscription (nobody else can receive a push),
plus the reps on the team of a subscribed coach, whose quiet days feed the coach alert.

Windows, all relative to each rep's own local day at ``at``:
- touches of the last `WINDOW_DAYS` days (today, active days, pipeline quiet), plus every
  touch after the rep's streak checkpoint (so the kept streak is folded exactly as
  ``streak_state.summary`` does; the whole history only for a rep without a usable checkpoint);
- away periods and team holidays ending at most `AWAY_SPAN_DAYS` days back (or after the
  checkpoint);
- badges and challenge results earned or finished in the last `NEWS_DAYS` days (older news is
  not news: a rep who turns reminders on is not told about last year's badges);
- a coach alert counts a rep's quiet workdays over at most `AWAY_SPAN_DAYS` days.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Float, Integer, and_, bindparam, case, cast, exists, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session, aliased

from . import badges, clock, nudges
from .kinds import Role
from .models import (
    AwayPeriod,
    BadgeAward,
    Challenge,
    ChallengeResult,
    Customer,
    Notification,
    PushSubscription,
    StreakState,
    Team,
    TeamHoliday,
    Touch,
    User,
)
from .operations import streak_state
from .push import outbox as push_outbox

log = logging.getLogger(__name__)

WINDOW_DAYS = nudges.LOOKBACK_DAYS + 1
AWAY_SPAN_DAYS = 366
NEWS_DAYS = 30
COACH_ROLES = (Role.coach, Role.admin)


@dataclass(frozen=True)
class _Checkpoint:
    """A kept streak checkpoint row, as ``streak_state.summary_of`` reads it."""

    through_day: date | None
    current: int
    longest: int
    freezes: int
    run_of_active: int
    started: bool
    frozen_days: str


@dataclass
class _Rep:
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
    state: _Checkpoint | None
    last_touch_ever: date | None
    today: date
    days: dict[date, int] = field(default_factory=dict)  # touches per local day
    rescues: set[date] = field(default_factory=set)
    away: list[tuple[date, date]] = field(default_factory=list)
    _quiet_workdays: int | None = None


def scan(session: Session, *, at: datetime, dry_run: bool = False) -> int:
    """Enqueue the nudges due at the aware instant *at* for every subscribed user; return how many.

    A dry run decides the same but enqueues and marks nothing; it returns how many are due.
    """
    at = clock.require_aware(at)
    session.flush()
    reps = _load_users(session, at)
    if not reps:
        return 0
    todays = [r.today for r in reps.values()]
    min_today, max_today = min(todays), max(todays)
    window_start = min_today - timedelta(days=WINDOW_DAYS)
    subscribed = _subscribed_ids()
    relevant = _relevant_ids()

    _load_touches(session, reps, relevant, window_start=window_start, min_today=min_today)
    _load_away(session, reps, relevant, min_today=min_today)
    quiet, warming = _load_customers(session, reps, subscribed, max_today=max_today)
    outbox = _load_outbox(session, subscribed, min_today=min_today, max_today=max_today)
    new_badges = _load_badges(session, subscribed, since=at - timedelta(days=NEWS_DAYS))
    finished = _load_challenges(session, subscribed, at=at, since=at - timedelta(days=NEWS_DAYS))
    team_reps: dict[int, list[_Rep]] = defaultdict(list)
    for rep in reps.values():
        if rep.role == Role.rep and rep.team_id is not None:
            team_reps[rep.team_id].append(rep)

    due: list[nudges.Nudge] = []
    hours: dict[str, int] = {}
    for rep in reps.values():
        if not rep.subscribed:
            continue
        if rep.timezone not in hours:
            hours[rep.timezone] = clock.local_now(at, rep.timezone).hour
        # The engine's first two rules, checked before building a snapshot: nothing is ever due
        # in quiet hours or on an away day, so most reps at night cost next to nothing.
        if nudges.in_quiet_hours(rep, hours[rep.timezone]) or _is_away(rep.today, rep.away):  # type: ignore[arg-type]
            continue
        try:
            snapshot = _snapshot(rep, at, quiet=quiet.get(rep.id, ()), warming=warming.get(rep.id, 0),
                                 outbox=outbox.get(rep.id, ()), new_badges=new_badges.get(rep.id, ()),
                                 finished=finished.get(rep.id, ()), team=team_reps.get(rep.team_id, ()))
            due.extend(nudges.due(snapshot, at))
        except ValueError as exc:  # a broken setting of one user must not stop everyone's nudges
            log.warning("nudge scan skipped user %s: %s", rep.id, exc)
    if dry_run or not due:
        return len(due)
    added = push_outbox.enqueue_many(session, due, now=at)
    _mark_announced(session, [n for n in due if n.key in added], at=at)
    session.flush()
    log.info("nudge scan at %s: %d users, %d due, %d enqueued", at.isoformat(), len(reps), len(due), len(added))
    return len(added)


# --- who ------------------------------------------------------------------------------------


def _subscribed_ids():
    """Return a subquery of the users with at least one push subscription."""
    return select(PushSubscription.user_id).distinct()


def _relevant_ids():
    """Return a subquery of the users to load: subscribed ones and the reps of subscribed coaches."""
    coach = aliased(User)
    coach_teams = select(coach.team_id).where(
        coach.role.in_(COACH_ROLES), coach.team_id.is_not(None), coach.id.in_(_subscribed_ids())
    )
    return select(User.id).where(
        or_(User.id.in_(_subscribed_ids()), and_(User.role == Role.rep, User.team_id.in_(coach_teams)))
    )


def _load_users(session: Session, at: datetime) -> dict[int, _Rep]:
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
            Team.crisis_since.is_not(None), has_sub, last_touch,
            StreakState.user_id, StreakState.through_day, StreakState.current, StreakState.longest,
            StreakState.freezes, StreakState.run_of_active, StreakState.started, StreakState.frozen_days,
        )
        .outerjoin(Team, Team.id == User.team_id)
        .outerjoin(StreakState, StreakState.user_id == User.id)
        .where(User.id.in_(_relevant_ids()))
    )
    reps: dict[int, _Rep] = {}
    days: dict[tuple[str, int], date] = {}
    for row in _rows(session, stmt):
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
            state = _Checkpoint(through, current or 0, longest or 0, freezes or 0, run_of_active or 0,
                                bool(started), frozen or "")
        reps[uid] = _Rep(
            id=uid, team_id=team_id, role=str(role), name=name, timezone=tz, locale=locale or "en",
            workdays=frozenset(int(c) for c in (workdays or "") if c.isdigit()), day_start_hour=dsh,
            evening_hour=evening, quiet_start_hour=q_start, quiet_end_hour=q_end,
            muted=frozenset(k for k in (muted or "").split(",") if k), ignored_in_a_row=ignored or 0, created_at=created_at,
            crisis=bool(crisis), subscribed=bool(subscribed), state=state, last_touch_ever=last_touch_day,
            today=today,
        )
    return reps


# --- what -----------------------------------------------------------------------------------


def _rows(session: Session, stmt):
    """Execute a plain column SELECT on the session's connection (no ORM row processing: speed)."""
    return session.connection().execute(stmt)


def _load_touches(session: Session, reps: dict[int, _Rep], relevant, *, window_start: date, min_today: date) -> None:
    """Query 2: touches per (user, day) of the window, and all after each user's checkpoint.

    A user without a usable checkpoint (none, or one at or after their today) gets their whole
    history, which is what ``streak_state.summary_of`` needs for a fold from scratch.
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
    for user_id, day, count, rescue in _rows(session, stmt):
        rep = reps.get(user_id)
        if rep is None:
            continue
        rep.days[day] = count
        if rescue:
            rep.rescues.add(day)


def _load_away(session: Session, reps: dict[int, _Rep], relevant, *, min_today: date) -> None:
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
    for user_id, first, last in _rows(session, personal):
        if user_id in reps:
            reps[user_id].away.append((first, last))
    # Team holidays are few: take every one that any loaded user's walk may still reach (all of
    # them when someone with touches has no usable checkpoint and is folded from scratch).
    throughs = [r.state.through_day for r in reps.values() if streak_state.usable(r.state, r.today)]
    whole = any(r.days and not streak_state.usable(r.state, r.today) for r in reps.values())
    team_stmt = select(TeamHoliday.team_id, TeamHoliday.first_day, TeamHoliday.last_day).where(
        TeamHoliday.team_id.in_(select(User.team_id).where(User.id.in_(relevant)))
    )
    if not whole:
        team_stmt = team_stmt.where(TeamHoliday.last_day >= min([floor, *throughs]))
    by_team: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for team_id, first, last in _rows(session, team_stmt):
        by_team[team_id].append((first, last))
    for rep in reps.values():
        if rep.team_id in by_team:
            rep.away.extend(by_team[rep.team_id])
        rep.away.sort()


def _days_before(session: Session, day: date, column):
    """Return the SQL for ``day - column`` in whole days (an integer), on PostgreSQL and SQLite."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.julianday(day.isoformat()) - func.julianday(column), Integer)
    return literal(day) - column


def _warmth_sql(session: Session, reps: dict[int, _Rep], subscribed, *, max_today: date):
    """Return SQL for each active customer of a subscribed user: days since, quiet, warming, urgency.

    The rules of ``app.warmth.status`` on the owner's own local day, in exact integer arithmetic
    (a test checks them against ``warmth.status`` day by day): with ``d`` the days since the last
    touch (or creation) and ``c`` the cadence — or, in crisis mode, ``max(1, 0.7 c)`` as
    ``challenges.crisis_cadence`` gives —

    - quiet: ``d > c``; in crisis ``d > 1 and 10 d > 7 c``;
    - warming (not quiet): ``d ≥ ceil(0.7 c)``, i.e. ``10 d ≥ 7 c``; in crisis ``d ≥ 1 and 100 d ≥ 49 c``;
    - paused (neither) while ``paused_until`` is on or after the owner's day.

    Days are counted against the latest local day of any user and shifted by the owner's offset
    from it, chosen by their (time zone, day start) — a handful of distinct pairs.
    """
    by_offset: dict[int, set[tuple[str, int]]] = defaultdict(set)
    for rep in reps.values():
        by_offset[(max_today - rep.today).days].add((rep.timezone, rep.day_start_hour))
    pair = tuple_(User.timezone, User.day_start_hour)
    whens = [(pair.in_(sorted(pairs)), offset) for offset, pairs in sorted(by_offset.items()) if offset]
    offset = case(*whens, else_=0) if whens else literal(0)
    d = _days_before(session, max_today, func.coalesce(Customer.last_touch_day, Customer.created_day)) - offset
    paused = _days_before(session, max_today, Customer.paused_until)
    c = Customer.cadence_days
    crisis, calm = Team.crisis_since.is_not(None), Team.crisis_since.is_(None)
    quiet = or_(and_(calm, d > c), and_(crisis, d > 1, d * 10 > c * 7))
    warming = and_(~quiet, or_(and_(calm, d * 10 >= c * 7), and_(crisis, d >= 1, d * 100 >= c * 49)))
    urgency = case(
        (calm, cast(d, Float) / c),
        (c * 7 < 10, cast(d, Float)),
        else_=cast(d * 10, Float) / (c * 7),
    )
    where = (
        Customer.owner_id.in_(subscribed),
        Customer.archived_at.is_(None),
        Customer.cadence_days >= 1,
        # a safe superset first (at least warming, even in crisis mode), cheap to test
        _days_before(session, max_today, func.coalesce(Customer.last_touch_day, Customer.created_day)) * 100
        >= Customer.cadence_days * 49,
        or_(paused.is_(None), paused > offset),
    )
    return d, quiet, warming, urgency, where


def _load_customers(session: Session, reps: dict[int, _Rep], subscribed, *, max_today: date):
    """Queries 5 and 6: per subscribed user, the quiet and warming counts and the most urgent quiet.

    Counted in SQL (`_warmth_sql`), so only a few rows per rep reach Python: the `TOP_QUIET`
    most urgent quiet customers (urgency ``days / cadence``, then tier A, B, C, then name, as
    the Today page ranks them). ``RepSnapshot.quiet_customers`` gets those, followed by nameless
    stand-ins for the others, which the messages only count ("+4 more", "Quiet: 7").
    """
    d, quiet, warming, urgency, where = _warmth_sql(session, reps, subscribed, max_today=max_today)
    joined = (
        select()
        .select_from(Customer)
        .join(User, User.id == Customer.owner_id)
        .outerjoin(Team, Team.id == User.team_id)
        .where(*where)
    )
    counts = joined.add_columns(
        Customer.owner_id,
        func.sum(case((quiet, 1), else_=0)),
        func.sum(case((warming, 1), else_=0)),
    ).group_by(Customer.owner_id)
    ranked = joined.add_columns(
        Customer.id, Customer.owner_id, Customer.name, d.label("days"),
        func.row_number().over(
            partition_by=Customer.owner_id,
            order_by=(urgency.desc(), Customer.tier, func.lower(Customer.name), Customer.id),
        ).label("rank"),
    ).where(quiet).subquery()
    top = select(ranked.c.id, ranked.c.owner_id, ranked.c.name, ranked.c.days).where(ranked.c.rank <= TOP_QUIET)
    quiet_count: dict[int, int] = {}
    warming_count: dict[int, int] = {}
    for owner_id, n_quiet, n_warming in _rows(session, counts):
        quiet_count[owner_id] = int(n_quiet or 0)
        warming_count[owner_id] = int(n_warming or 0)
    named: dict[int, list[tuple]] = defaultdict(list)
    for cid, owner_id, name, days in _rows(session, top.order_by(ranked.c.owner_id, ranked.c.rank)):
        named[owner_id].append(nudges.QuietCustomer(cid, name, int(days)))
    quiet_list = {
        owner_id: tuple(named[owner_id]) + (_UNNAMED,) * max(0, n - len(named[owner_id]))
        for owner_id, n in quiet_count.items() if n
    }
    return quiet_list, warming_count


TOP_QUIET = nudges.MAX_LISTED
_UNNAMED = nudges.QuietCustomer(0, "", 0)  # a quiet customer beyond the named ones: only counted


def _load_outbox(session: Session, subscribed, *, min_today: date, max_today: date):
    """Query 6: the outbox rows of the users' possible todays, and the week's weekly summaries."""
    stmt = select(Notification.user_id, Notification.kind, Notification.dedup_key, Notification.local_day).where(
        Notification.user_id.in_(subscribed),
        Notification.local_day >= min_today - timedelta(days=7),
        Notification.local_day <= max_today,
        or_(Notification.local_day >= min_today,
            Notification.kind.in_([nudges.NudgeKind.weekly_summary.value, nudges.NudgeKind.coach_weekly.value])),
    )
    rows: dict[int, list[tuple[str, str, date]]] = defaultdict(list)
    for user_id, kind, key, day in _rows(session, stmt):
        rows[user_id].append((kind, key, day))
    return rows


def _load_badges(session: Session, subscribed, *, since: datetime):
    """Query 7: badges earned lately and not announced yet, oldest first."""
    stmt = (
        select(BadgeAward.user_id, BadgeAward.code)
        .where(BadgeAward.user_id.in_(subscribed), BadgeAward.announced_at.is_(None), BadgeAward.awarded_at >= since)
        .order_by(BadgeAward.awarded_at, BadgeAward.id)
    )
    found: dict[int, list[str]] = defaultdict(list)
    for user_id, code in _rows(session, stmt):
        found[user_id].append(code)
    return found


def _load_challenges(session: Session, subscribed, *, at: datetime, since: datetime):
    """Query 8: challenges finished lately whose result was not announced to the rep yet."""
    stmt = (
        select(ChallengeResult.user_id, Challenge.id, Challenge.title)
        .join(Challenge, Challenge.id == ChallengeResult.challenge_id)
        .where(
            ChallengeResult.user_id.in_(subscribed),
            ChallengeResult.announced_at.is_(None),
            Challenge.ends_at <= at,
            Challenge.ends_at >= since,
        )
        .order_by(Challenge.ends_at, Challenge.id)
    )
    found: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for user_id, challenge_id, title in _rows(session, stmt):
        found[user_id].append((challenge_id, title))
    return found


# --- per rep, in Python ---------------------------------------------------------------------


def _is_away(day: date, ranges: list[tuple[date, date]]) -> bool:
    return any(first <= day <= last for first, last in ranges)


def _last_active(rep: _Rep) -> date | None:
    """Return the rep's last active day up to today (window rows first, else the overall last)."""
    recent = [d for d in rep.days if d <= rep.today]
    if recent:
        return max(recent)
    last = rep.last_touch_ever
    return last if last is not None and last <= rep.today else None


def quiet_workdays(rep: _Rep) -> int:
    """Count the rep's finished workdays without a touch since the last active day (or joining).

    Away days and team holidays do not count; the count looks back at most `AWAY_SPAN_DAYS`.
    """
    if rep._quiet_workdays is not None:
        return rep._quiet_workdays
    last = _last_active(rep)
    start = last + timedelta(days=1) if last else clock.local_day(rep.created_at, rep.timezone, rep.day_start_hour)
    start = max(start, rep.today - timedelta(days=AWAY_SPAN_DAYS))
    count = 0
    day = rep.today - timedelta(days=1)
    while day >= start:
        if day.weekday() in rep.workdays and not _is_away(day, rep.away):
            count += 1
        day -= timedelta(days=1)
    rep._quiet_workdays = count
    return count


def _team_week(team: list[_Rep], today: date) -> nudges.TeamWeek:
    """Sum up the team's previous ISO week (before *today*'s week) from the loaded touch days."""
    monday = today - timedelta(days=today.weekday())
    week = [monday - timedelta(days=i) for i in range(7, 0, -1)]
    counts = {other.id: sum(other.days.get(day, 0) for day in week) for other in team}
    silent = tuple(sorted((other.name for other in team if not counts[other.id]), key=str.lower))
    return nudges.TeamWeek(sum(counts.values()), sum(1 for n in counts.values() if n), len(team), silent)


def _snapshot(rep: _Rep, at: datetime, *, quiet, warming: int, outbox, new_badges, finished, team) -> nudges.RepSnapshot:
    """Build one rep's snapshot from the loaded rows (no queries)."""
    today = rep.today
    away = tuple(rep.away)
    hist = streak_state.History(frozenset(rep.days), frozenset(rep.rescues), away, rep.workdays)
    streak = streak_state.summary_of(rep.state, hist, today=today)  # type: ignore[arg-type]
    lookback = today - timedelta(days=nudges.LOOKBACK_DAYS)
    span = [lookback + timedelta(days=i) for i in range(nudges.LOOKBACK_DAYS)]
    todays = [(kind, key) for kind, key, day in outbox if day == today]
    summaries = [day for kind, _key, day in outbox if kind == nudges.NudgeKind.weekly_summary and day <= today]
    team_summaries = [day for kind, _key, day in outbox if kind == nudges.NudgeKind.coach_weekly and day <= today]
    quiet_reps = ()
    team_week = None
    if rep.role in COACH_ROLES:
        team_week = _team_week([other for other in team if other.id != rep.id], today)
        quiet_reps = tuple(
            nudges.QuietRep(other.id, other.name, n)
            for other in team
            if other.id != rep.id and not _is_away(other.today, other.away)
            and (n := quiet_workdays(other)) >= nudges.COACH_ALERT_WORKDAYS
        )
    return nudges.RepSnapshot(
        user_id=rep.id,
        timezone=rep.timezone,
        locale=rep.locale,
        day_start_hour=rep.day_start_hour,
        workdays=rep.workdays,
        evening_hour=rep.evening_hour,
        quiet_start_hour=rep.quiet_start_hour,
        quiet_end_hour=rep.quiet_end_hour,
        away_today=_is_away(today, rep.away),
        enabled_kinds=frozenset(nudges.DEFAULT_KINDS) - rep.muted,
        streak_current=streak.current,
        today_active=streak.today_active,
        touches_today=rep.days.get(today, 0),
        last_active_day=_last_active(rep),
        active_days=tuple(d for d in span if d in rep.days),
        away_days=tuple(d for d in span if _is_away(d, rep.away)),
        quiet_customers=tuple(quiet),
        warming_count=warming,
        pushes_today=sum(1 for kind, _key in todays if kind != push_outbox.TEST_KIND),
        sent_keys_today=frozenset(key for _kind, key in todays),
        ignored_in_a_row=rep.ignored_in_a_row,
        last_weekly_summary_day=max(summaries, default=None),
        team_week=team_week,
        last_coach_weekly_day=max(team_summaries, default=None),
        new_badges=tuple((code, badges.get(code).name_in(rep.locale)) for code in new_badges if code in badges.BADGES),
        finished_challenges=tuple(finished),
        quiet_reps=quiet_reps,
    )


# --- into the outbox ------------------------------------------------------------------------


def _mark_announced(session: Session, enqueued: list[nudges.Nudge], *, at: datetime) -> None:
    """Mark the badges and challenge results that enqueued nudges announce (one statement each)."""
    badge_rows = [{"b_user": n.user_id, "b_code": ref} for n in enqueued
                  if n.kind is nudges.NudgeKind.badge_earned for ref in n.refs]
    result_rows = [{"b_user": n.user_id, "b_challenge": int(ref)} for n in enqueued
                   if n.kind is nudges.NudgeKind.challenge_finished for ref in n.refs]
    if badge_rows:
        table = BadgeAward.__table__
        session.execute(
            table.update()
            .where(table.c.user_id == bindparam("b_user"), table.c.code == bindparam("b_code"),
                   table.c.announced_at.is_(None))
            .values(announced_at=at),
            badge_rows,
        )
    if result_rows:
        table = ChallengeResult.__table__
        session.execute(
            table.update()
            .where(table.c.user_id == bindparam("b_user"), table.c.challenge_id == bindparam("b_challenge"),
                   table.c.announced_at.is_(None))
            .values(announced_at=at),
            result_rows,
        )
