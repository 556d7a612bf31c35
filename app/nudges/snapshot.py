"""The nudge scan: every rep's ``RepSnapshot`` from a constant number of set-based queries.

``scan(session, at=...)`` is what ``flask nudges run`` (and the dev scheduler) plugs into
``outbox.run``. It reads the state of every organisation in ten statements — users with their
kept streak checkpoint, recent touches, away periods, team holidays, each rep's quiet and warming
counts with the most urgent quiet customers (warmth is counted in SQL), today's outbox rows,
unannounced badges and challenge results, the follow-ups due — never one query per rep or per
customer. Everything
else per rep (the local day, the streak fold after the checkpoint, the coach's quiet radar) is
computed in Python; ``rules.due`` decides, ``texts.render`` words each due nudge in the rep's
language, and they go into the outbox in bulk (``outbox.enqueue_many``). Badges and challenge
results named by an enqueued push's ``refs`` are marked announced in the same transaction;
``outbox.run`` commits. The reads are in `reads`; the customers' warmth is counted here.

Who is scanned: users with at least one push subscription (nobody else can receive a push),
plus the reps on the team of a subscribed coach, whose quiet days feed the coach alert.

Windows, all relative to each rep's own local day at ``at``:
- touches of the last `WINDOW_DAYS` days (today, active days, pipeline quiet), plus every
  touch after the rep's streak checkpoint (so the kept streak is folded exactly as
  ``queries.streak.summary`` does; the whole history only for a rep without a usable checkpoint);
- away periods and team holidays ending at most `reads.AWAY_SPAN_DAYS` days back (or after the
  checkpoint);
- badges and challenge results earned or finished in the last `NEWS_DAYS` days (older news is
  not news: a rep who turns reminders on is not told about last year's badges);
- a coach alert counts a rep's quiet workdays over at most `reads.AWAY_SPAN_DAYS` days.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import Float, Integer, and_, bindparam, case, cast, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session

from .. import badges, challenges, clock, follow_ups, streaks
from ..kinds import Role
from ..models import BadgeAward, ChallengeResult, Customer, Team, User
from ..queries import streak as streak_q
from ..push import outbox
from . import model, moment, reads, rules, texts

log = logging.getLogger(__name__)

WINDOW_DAYS = rules.LOOKBACK_DAYS + 1
NEWS_DAYS = 30


def scan(session: Session, *, at: datetime, dry_run: bool = False) -> int:
    """Enqueue the nudges due at the aware instant *at* for every subscribed user; return how many.

    A dry run decides the same but enqueues and marks nothing; it returns how many are due.
    """
    at = clock.require_aware(at)
    session.flush()
    reps = reads.load_users(session, at)
    if not reps:
        return 0
    todays = [r.today for r in reps.values()]
    min_today, max_today = min(todays), max(todays)
    window_start = min_today - timedelta(days=WINDOW_DAYS)
    subscribed = reads.subscribed_ids()
    relevant = reads.relevant_ids()

    reads.load_touches(session, reps, relevant, window_start=window_start, min_today=min_today)
    reads.load_away(session, reps, relevant, min_today=min_today)
    quiet, warming = _load_customers(session, reps, subscribed, max_today=max_today)
    outboxed = reads.load_outbox(session, subscribed, min_today=min_today, max_today=max_today)
    new_badges = reads.load_badges(session, subscribed, since=at - timedelta(days=NEWS_DAYS))
    finished = reads.load_challenges(session, subscribed, at=at, since=at - timedelta(days=NEWS_DAYS))
    planned = reads.load_follow_ups(session, subscribed, max_today=max_today)
    team_reps: dict[int, list[reads.Rep]] = defaultdict(list)
    for rep in reps.values():
        if rep.role == Role.rep and rep.team_id is not None:
            team_reps[rep.team_id].append(rep)

    due: list[model.Nudge] = []
    hours: dict[str, int] = {}
    for rep in reps.values():
        if not rep.subscribed:
            continue
        if rep.timezone not in hours:
            hours[rep.timezone] = clock.local_now(at, rep.timezone).hour
        # The engine's first two rules, checked before building a snapshot: nothing is ever due
        # in quiet hours or on an away day, so most reps at night cost next to nothing.
        if moment.in_quiet_hours(rep, hours[rep.timezone]) or streaks.is_away(rep.today, rep.away):  # type: ignore[arg-type]
            continue
        try:
            snapshot = _snapshot(rep, at, quiet=quiet.get(rep.id, ()), warming=warming.get(rep.id, 0),
                                 outboxed=outboxed.get(rep.id, ()), new_badges=new_badges.get(rep.id, ()),
                                 finished=finished.get(rep.id, ()), team=team_reps.get(rep.team_id, ()),
                                 planned=planned.get(rep.id, ()))
            due.extend(rules.due(snapshot, at))
        except ValueError as exc:  # a broken setting of one user must not stop everyone's nudges
            log.warning("nudge scan skipped user %s: %s", rep.id, exc)
    if dry_run or not due:
        return len(due)
    pushes = [texts.render(nudge) for nudge in due]
    added = outbox.enqueue_many(session, pushes, now=at)
    _mark_announced(session, [push for push in pushes if push.key in added], at=at)
    session.flush()
    log.info("nudge scan at %s: %d users, %d due, %d enqueued", at.isoformat(), len(reps), len(due), len(added))
    return len(added)


# --- warmth, counted in SQL ------------------------------------------------------------------


def _days_before(session: Session, day: date, column):
    """Return the SQL for ``day - column`` in whole days (an integer), on PostgreSQL and SQLite."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.julianday(day.isoformat()) - func.julianday(column), Integer)
    return literal(day) - column


def _warmth_sql(session: Session, reps: dict[int, reads.Rep], subscribed, *, max_today: date):
    """Return SQL for each active customer of a subscribed user: days since, quiet, warming, urgency.

    The rules of ``app.warmth.status`` on the owner's own local day, in exact integer arithmetic
    (tests/operations/test_warmth_sql.py checks them against ``warmth.status`` row by row): with ``d`` the
    days since the last touch (or creation) and ``c`` the cadence — or, in crisis mode,
    ``max(1, 0.7 c)`` as ``challenges.crisis_cadence`` gives —

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
    crisis, calm = Team.in_crisis, ~Team.in_crisis
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


def _load_customers(session: Session, reps: dict[int, reads.Rep], subscribed, *, max_today: date):
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
    for owner_id, n_quiet, n_warming in reads.plain_rows(session, counts):
        quiet_count[owner_id] = int(n_quiet or 0)
        warming_count[owner_id] = int(n_warming or 0)
    named: dict[int, list[tuple]] = defaultdict(list)
    for cid, owner_id, name, days in reads.plain_rows(session, top.order_by(ranked.c.owner_id, ranked.c.rank)):
        named[owner_id].append(model.QuietCustomer(cid, name, int(days)))
    quiet_list = {
        owner_id: tuple(named[owner_id]) + (_UNNAMED,) * max(0, n - len(named[owner_id]))
        for owner_id, n in quiet_count.items() if n
    }
    return quiet_list, warming_count


TOP_QUIET = rules.MAX_LISTED
_UNNAMED = model.QuietCustomer(0, "", 0)  # a quiet customer beyond the named ones: only counted


# --- per rep, in Python ---------------------------------------------------------------------


def _last_active(rep: reads.Rep) -> date | None:
    """Return the rep's last active day up to today (window rows first, else the overall last)."""
    recent = [d for d in rep.days if d <= rep.today]
    if recent:
        return max(recent)
    last = rep.last_touch_ever
    return last if last is not None and last <= rep.today else None


def quiet_workdays(rep: reads.Rep) -> int:
    """Count the rep's finished workdays without a touch since the last active day (or joining).

    Away days and team holidays do not count; the count looks back at most `reads.AWAY_SPAN_DAYS`.
    """
    if rep._quiet_workdays is not None:
        return rep._quiet_workdays
    last = _last_active(rep)
    start = last + timedelta(days=1) if last else clock.local_day(rep.created_at, rep.timezone, rep.day_start_hour)
    start = max(start, rep.today - timedelta(days=reads.AWAY_SPAN_DAYS))
    count = 0
    day = rep.today - timedelta(days=1)
    while day >= start:
        if day.weekday() in rep.workdays and not streaks.is_away(day, rep.away):
            count += 1
        day -= timedelta(days=1)
    rep._quiet_workdays = count
    return count


def _team_week(team: list[reads.Rep], today: date) -> model.TeamWeek:
    """Sum up the team's previous ISO week (before *today*'s week) from the loaded touch days."""
    monday = today - timedelta(days=today.weekday())
    week = [monday - timedelta(days=i) for i in range(7, 0, -1)]
    counts = {other.id: sum(other.days.get(day, 0) for day in week) for other in team}
    silent = tuple(sorted((other.name for other in team if not counts[other.id]), key=str.lower))
    return model.TeamWeek(sum(counts.values()), sum(1 for n in counts.values() if n), len(team), silent)


def due_follow_ups(planned, today: date) -> tuple[model.DueFollowUp, ...]:
    """Return the loaded follow-ups due by *today*, the longest overdue first: `TOP_QUIET` named, the rest stand-ins."""
    due = [(cid, name, follow_ups.days_overdue(day, today=today)) for cid, name, day in planned
           if follow_ups.is_due(day, today=today)]
    return tuple(model.DueFollowUp(*row) for row in due[:TOP_QUIET]) + (_UNPLANNED,) * max(0, len(due) - TOP_QUIET)


_UNPLANNED = model.DueFollowUp(0, "", 0)  # a due follow-up beyond the named ones: only counted


def _snapshot(rep: reads.Rep, at: datetime, *, quiet, warming: int, outboxed, new_badges, finished, team,
              planned=()) -> model.RepSnapshot:
    """Build one rep's snapshot from the loaded rows (no queries)."""
    today = rep.today
    away = tuple(rep.away)
    hist = streak_q.History(frozenset(rep.days), frozenset(rep.rescues), away, rep.workdays)
    streak = streak_q.summary_of(rep.state, hist, today=today)  # type: ignore[arg-type]
    lookback = today - timedelta(days=rules.LOOKBACK_DAYS)
    span = [lookback + timedelta(days=i) for i in range(rules.LOOKBACK_DAYS)]
    todays = [(kind, key) for kind, key, day in outboxed if day == today]
    summaries = [day for kind, _key, day in outboxed if kind == model.NudgeKind.weekly_summary and day <= today]
    team_summaries = [day for kind, _key, day in outboxed if kind == model.NudgeKind.coach_weekly and day <= today]
    quiet_reps = ()
    team_week = None
    if rep.role in reads.COACH_ROLES:
        team_week = _team_week([other for other in team if other.id != rep.id], today)
        quiet_reps = tuple(
            model.QuietRep(other.id, other.name, n)
            for other in team
            if other.id != rep.id and not streaks.is_away(other.today, other.away)
            and (n := quiet_workdays(other)) >= rules.COACH_ALERT_WORKDAYS
        )
    return model.RepSnapshot(
        user_id=rep.id,
        timezone=rep.timezone,
        locale=rep.locale,
        day_start_hour=rep.day_start_hour,
        workdays=rep.workdays,
        evening_hour=rep.evening_hour,
        quiet_start_hour=rep.quiet_start_hour,
        quiet_end_hour=rep.quiet_end_hour,
        away_today=streaks.is_away(today, rep.away),
        enabled_kinds=frozenset(model.DEFAULT_KINDS) - rep.muted,
        streak_current=streak.current,
        today_active=streak.today_active,
        touches_today=rep.days.get(today, 0),
        last_active_day=_last_active(rep),
        active_days=tuple(d for d in span if d in rep.days),
        away_days=tuple(d for d in span if streaks.is_away(d, rep.away)),
        quiet_customers=tuple(quiet),
        due_follow_ups=due_follow_ups(planned, today),
        warming_count=warming,
        pushes_today=sum(1 for kind, _key in todays if kind != outbox.TEST_KIND),
        sent_keys_today=frozenset(key for _kind, key in todays),
        ignored_in_a_row=rep.ignored_in_a_row,
        last_weekly_summary_day=max(summaries, default=None),
        team_week=team_week,
        last_coach_weekly_day=max(team_summaries, default=None),
        new_badges=tuple((code, badges.get(code).name_in(rep.locale)) for code in new_badges if code in badges.BADGES),
        # A template's challenge is named in the rep's language, as the pages name it.
        finished_challenges=tuple((cid, challenges.title_in(title, template, rep.locale))
                                  for cid, title, template in finished),
        quiet_reps=quiet_reps,
    )


# --- into the outbox ------------------------------------------------------------------------


def _mark_announced(session: Session, enqueued: list[outbox.Push], *, at: datetime) -> None:
    """Mark the badges and challenge results that enqueued nudges announce (one statement each)."""
    badge_rows = [{"b_user": n.user_id, "b_code": ref} for n in enqueued
                  if n.kind is model.NudgeKind.badge_earned for ref in n.refs]
    result_rows = [{"b_user": n.user_id, "b_challenge": int(ref)} for n in enqueued
                   if n.kind is model.NudgeKind.challenge_finished for ref in n.refs]
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

