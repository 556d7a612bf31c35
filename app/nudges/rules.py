"""Nudges: which web pushes are due for one rep at one instant (DESIGN.md "Nudges").

Pure: no clock, no database, no Flask. The caller (the scan, `snapshot.scan`) builds one
`RepSnapshot` per rep from the *current* state with set-based SQL and asks `due(snapshot, now)`;
whatever comes back is worded by `texts.render` and enqueued under `Nudge.key`, which is unique
per (rep, kind, local day). Because the snapshot is current, nothing is ever due for work
already done: a customer touched today is no longer in ``quiet_customers``, a rep who logged
something today has ``today_active``. The rep's local day and windows are `moment.Moment`.

Rules, applied in this order (every hour below is the rep's wall-clock hour in their zone):

1. **Away**: on a vacation day or a team holiday (``away_today``) nothing is due at all —
   not even good news; badges and finished challenges stay unannounced and go out on the
   first day back.
2. **Quiet hours**: nothing is due while the wall-clock hour lies in
   ``[quiet_start_hour, quiet_end_hour)``; when start > end the range crosses midnight
   (22 → 7 covers 22:00–06:59). Start == end is rejected when the snapshot is built.
3. **Cap**: at most `MAX_PER_DAY` (2) pushes per rep per local day, counting
   ``pushes_today`` (already enqueued). When more are due at once, `PRIORITY` decides:
   streak at risk > coach alert > quiet digest > pipeline quiet > badge > challenge.
   Because the streak push comes last in the day but first in priority, one slot is
   *reserved* for it while it may still come: on a workday, with a running streak, nothing
   logged yet, before the evening hour (and the evening hour not in quiet hours), the other
   kinds may use only the remaining slot.
4. **Dedup**: a key in ``sent_keys_today`` is never due again that day; tomorrow has new keys.
5. **Back-off**: after `BACKOFF_AFTER` (3) pushes in a row that the rep did not open, only the
   weekly summary is due (once per local week, on the first workday morning), until the rep
   opens a push again (the outbox resets ``ignored_in_a_row``).
6. **Kinds**: a kind the rep switched off (not in ``enabled_kinds``) is never due.

Per kind (the rule's own docstring below has the details): streak at risk in the evening of a
workday; quiet digest (with the follow-ups due) in the morning window of a workday; pipeline
quiet and coach alert from the morning to the evening of a workday; badge and challenge pushes at any time of any day
(weekends too: they are news the rep made, not work asked for); the weekly summary in the
morning window of the week's first workday.

A rule decides *that* a push is due and what it is about — the facts its message states
(``Nudge.params``: names, counts) and whether it carries a touch idea; `texts` words it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any


from .model import DueFollowUp, Nudge, NudgeKind, QuietCustomer, QuietRep, RepSnapshot, TeamWeek
from .moment import Moment, in_quiet_hours, moment

MAX_PER_DAY = 2
BACKOFF_AFTER = 3
COACH_ALERT_WORKDAYS = 3
PIPELINE_QUIET_WORKDAYS = 2
LOOKBACK_DAYS = 14

MAX_LISTED = 3  # names a push lists at most; the rest are counted ("+4 more")

MIN_TTL = 60
NEWS_TTL = 3 * 24 * 3600
TEST_TTL = 3600


PRIORITY: tuple[NudgeKind, ...] = (
    NudgeKind.streak_at_risk,
    NudgeKind.coach_alert,
    NudgeKind.coach_weekly,
    NudgeKind.quiet_digest,
    NudgeKind.pipeline_quiet,
    NudgeKind.badge_earned,
    NudgeKind.challenge_finished,
)

URGENCY = {
    NudgeKind.streak_at_risk: "high",
    NudgeKind.coach_alert: "normal",
    NudgeKind.quiet_digest: "normal",
    NudgeKind.pipeline_quiet: "normal",
    NudgeKind.badge_earned: "low",
    NudgeKind.challenge_finished: "low",
    NudgeKind.weekly_summary: "low",
    NudgeKind.coach_weekly: "low",
    NudgeKind.test: "normal",
}


def dedup_key(user_id: int, kind: NudgeKind | str, day: date) -> str:
    """Return the outbox's unique key for one (rep, kind, local day)."""
    return f"{user_id}:{kind}:{day.isoformat()}"


def backed_off(snapshot: RepSnapshot) -> bool:
    """Tell whether the rep ignored enough pushes in a row to get only the weekly summary."""
    return snapshot.ignored_in_a_row >= BACKOFF_AFTER


# --- the rules -------------------------------------------------------------------------

Rule = Callable[[RepSnapshot, Moment], "Nudge | None"]


def streak_at_risk(snapshot: RepSnapshot, m: Moment) -> Nudge | None:
    """Warn that the streak ends tonight.

    Due from the rep's evening hour to the end of their local day (so after midnight, before
    the day start, it still belongs to the evening before), on a workday, when the streak is
    running (``streak_current > 0``) and nothing was logged today. Names the most urgent quiet
    customer and links to them (else to Today). TTL: until the local day ends.
    Params: ``streak`` (days), ``customer`` (``(name, days since)`` or ``None``).
    """
    if not (m.workday and m.position in m.evening and snapshot.streak_current > 0):
        return None
    if _active_today(snapshot):
        return None
    top = _top_customer(snapshot)
    url = "/" if top is None else f"/customers/{top[0]}"
    params = {"streak": snapshot.streak_current, "customer": None if top is None else (top[1], top[2])}
    return _nudge(snapshot, m, NudgeKind.streak_at_risk, params, url=url, ttl=_until_day_end(m),
                  idea=top is not None)


def coach_alert(snapshot: RepSnapshot, m: Moment) -> Nudge | None:
    """Tell a coach that reps on the team have been quiet for 3 workdays or more.

    Due from the morning to the evening of the coach's workday; names the quietest rep (the
    others in one sentence) and links to the team radar. TTL: until the local day ends.
    Params: ``reps`` (``(name, quiet workdays)``, quietest first).
    """
    reps = sorted(
        (QuietRep(*row) for row in snapshot.quiet_reps if row[2] >= COACH_ALERT_WORKDAYS),
        key=lambda rep: -rep.workdays_quiet,
    )
    if not (reps and m.workday and m.position in m.daytime):
        return None
    params = {"reps": tuple((rep.name, rep.workdays_quiet) for rep in reps)}
    return _nudge(snapshot, m, NudgeKind.coach_alert, params, url="/team", ttl=_until_day_end(m))


def quiet_digest(snapshot: RepSnapshot, m: Moment) -> Nudge | None:
    """Send one morning digest of the touches planned for today and the customers going quiet — never one push per customer.

    Due in the morning window of a workday (from 08:00, or the end of the quiet hours when
    later, until noon — at least two hours) when at least one follow-up is due (today or
    overdue) or one customer is quiet. The due follow-ups come first: the title names the
    longest overdue one and links to their page, the body lists up to `MAX_LISTED` names in
    all and counts the rest, then counts the quiet customers. Without one due, the title names
    the most urgent quiet customer and the body lists up to two more and a count of the rest.
    A customer named as a follow-up is not named again as quiet. TTL: until the local day ends.
    Params: ``follow_ups`` (``(name, days overdue)``, longest overdue first), ``customers``
    (``(name, days since)``, most urgent first).
    """
    planned = [DueFollowUp(*row) for row in snapshot.due_follow_ups]
    named = {p.customer_id for p in planned if p.name}
    customers = [QuietCustomer(*row) for row in snapshot.quiet_customers if not (row[1] and row[0] in named)]
    if not ((planned or customers) and m.workday and m.position in m.morning):
        return None
    first = planned[0].customer_id if planned else customers[0].customer_id
    params = {"follow_ups": tuple((p.name, p.days_overdue) for p in planned),
              "customers": tuple((c.name, c.days_since) for c in customers)}
    return _nudge(snapshot, m, NudgeKind.quiet_digest, params, url=f"/customers/{first}",
                  ttl=_until_day_end(m), idea=True)


def pipeline_quiet(snapshot: RepSnapshot, m: Moment) -> Nudge | None:
    """Say that the whole pipeline went quiet: no touch on the last 2 workdays.

    The last 2 workdays are the two most recent workdays before today that were not away
    days (within two weeks); the rule needs a rep who has logged before (``last_active_day``)
    and nothing logged today. Due from the morning to the evening of a workday; suggests the
    most urgent quiet customer and links to them (else to Today). TTL: until the day ends.
    Params: ``days_since`` (since the last touch), ``start_with`` (``(name, days since)`` or ``None``).
    """
    if not (m.workday and m.position in m.daytime) or _active_today(snapshot):
        return None
    last = snapshot.last_active_day
    recent = _recent_workdays(snapshot, m.day, PIPELINE_QUIET_WORKDAYS)
    if last is None or len(recent) < PIPELINE_QUIET_WORKDAYS:
        return None
    earliest = recent[-1]
    if last >= earliest or any(earliest <= d < m.day for d in snapshot.active_days):
        return None
    top = _top_customer(snapshot)
    url = "/" if top is None else f"/customers/{top[0]}"
    params = {"days_since": (m.day - last).days, "start_with": None if top is None else (top[1], top[2])}
    return _nudge(snapshot, m, NudgeKind.pipeline_quiet, params, url=url, ttl=_until_day_end(m),
                  idea=top is not None)


def badge_earned(snapshot: RepSnapshot, m: Moment) -> Nudge | None:
    """Announce badges earned and not yet announced, all in one push.

    Due at any hour outside quiet hours on any day, workday or not (news the rep made, not
    work asked for). Links to the badges page. TTL: three days. Params: ``badges`` (names).
    """
    if not snapshot.new_badges:
        return None
    params = {"badges": tuple(name for _code, name in snapshot.new_badges)}
    return _nudge(snapshot, m, NudgeKind.badge_earned, params, url="/badges", ttl=NEWS_TTL,
                  refs=tuple(str(code) for code, _ in snapshot.new_badges))


def challenge_finished(snapshot: RepSnapshot, m: Moment) -> Nudge | None:
    """Announce finished team challenges not yet announced, all in one push.

    Due like a badge, at any hour outside quiet hours on any day. Links to the first
    challenge. TTL: three days. Params: ``challenges`` (titles).
    """
    if not snapshot.finished_challenges:
        return None
    first_id = snapshot.finished_challenges[0][0]
    params = {"challenges": tuple(title for _id, title in snapshot.finished_challenges)}
    return _nudge(snapshot, m, NudgeKind.challenge_finished, params, url=f"/challenges/{first_id}", ttl=NEWS_TTL,
                  refs=tuple(str(cid) for cid, _ in snapshot.finished_challenges))


def weekly_summary(snapshot: RepSnapshot, m: Moment) -> Nudge | None:
    """Send the one push a backed-off rep still gets: a summary once per local week.

    Due in the morning window of a workday when no summary went out since this week's
    Monday — so on Monday, or on the first workday after an away or non-working Monday. Counts
    quiet and warming customers, suggests the most urgent one, links to Today. TTL: three days.
    Params: ``quiet``, ``warming`` (counts), ``start_with`` (``(name, days since)`` or ``None``).
    """
    monday = m.day - timedelta(days=m.day.weekday())
    last = snapshot.last_weekly_summary_day
    if not (m.workday and m.position in m.morning) or (last is not None and last >= monday):
        return None
    top = _top_customer(snapshot)
    params = {"quiet": len(snapshot.quiet_customers), "warming": snapshot.warming_count,
              "start_with": None if top is None else (top[1], top[2])}
    return _nudge(snapshot, m, NudgeKind.weekly_summary, params, url="/", ttl=NEWS_TTL, idea=top is not None)


def coach_weekly(snapshot: RepSnapshot, m: Moment) -> Nudge | None:
    """Send a coach the team's last week on Monday morning, their local time.

    Due in the morning window of the coach's first workday of the week (Monday for most), once:
    a coach away that morning hears next week. Reports last week's
    touches and how many reps kept in touch, names reps without a touch, links to the radar.
    TTL: three days. Only coaches get a ``team_week`` in their snapshot.
    Params: ``touches``, ``active`` (reps who logged), ``reps``, ``silent`` (names without a touch).
    """
    if snapshot.team_week is None:
        return None
    week = TeamWeek(*snapshot.team_week)
    monday = m.day - timedelta(days=m.day.weekday())
    last = snapshot.last_coach_weekly_day
    first_workday = m.day.weekday() == min(snapshot.workdays)
    if week.reps == 0 or not (first_workday and m.position in m.morning) or (last is not None and last >= monday):
        return None
    params = {"touches": week.touches, "active": week.active_reps, "reps": week.reps, "silent": tuple(week.silent)}
    return _nudge(snapshot, m, NudgeKind.coach_weekly, params, url="/team", ttl=NEWS_TTL)


RULES: dict[NudgeKind, Rule] = {
    NudgeKind.streak_at_risk: streak_at_risk,
    NudgeKind.coach_alert: coach_alert,
    NudgeKind.coach_weekly: coach_weekly,
    NudgeKind.quiet_digest: quiet_digest,
    NudgeKind.pipeline_quiet: pipeline_quiet,
    NudgeKind.badge_earned: badge_earned,
    NudgeKind.challenge_finished: challenge_finished,
}
WORKDAY_KINDS = frozenset(
    {NudgeKind.streak_at_risk, NudgeKind.coach_alert, NudgeKind.quiet_digest,
     NudgeKind.pipeline_quiet, NudgeKind.weekly_summary, NudgeKind.coach_weekly}
)


def due(snapshot: RepSnapshot, now: datetime) -> list[Nudge]:
    """Return the nudges due for the rep at the aware instant *now*, highest priority first.

    Applies the module's rules: nothing while away or in quiet hours; the weekly summary
    only, once backed off; switched-off kinds and keys already sent skipped; at most
    ``MAX_PER_DAY - pushes_today`` nudges, in `PRIORITY` order, keeping one slot for a
    streak at risk that may still come tonight.
    """
    m = moment(snapshot, now)
    room = MAX_PER_DAY - max(snapshot.pushes_today, 0)
    if snapshot.away_today or m.quiet or room <= 0:
        return []
    if backed_off(snapshot):
        kinds: tuple[NudgeKind, ...] = (NudgeKind.weekly_summary,)
    else:
        kinds = PRIORITY
        if _streak_may_come_tonight(snapshot, m):
            room -= 1
    found = []
    for kind in kinds:
        if len(found) >= room:
            break
        if kind not in snapshot.enabled_kinds or dedup_key(snapshot.user_id, kind, m.day) in snapshot.sent_keys_today:
            continue
        nudge = (weekly_summary if kind is NudgeKind.weekly_summary else RULES[kind])(snapshot, m)
        if nudge is not None:
            found.append(nudge)
    return found


def make_test_nudge(snapshot: RepSnapshot, now: datetime) -> Nudge:
    """Return the push for "send a test push": asked for, so no rule applies; key unique per second."""
    m = moment(snapshot, now)
    nudge = _nudge(snapshot, m, NudgeKind.test, {}, url="/", ttl=TEST_TTL)
    return replace(nudge, key=f"{nudge.key}:{int(m.now.timestamp())}")


# --- helpers ---------------------------------------------------------------------------


def _streak_may_come_tonight(snapshot: RepSnapshot, m: Moment) -> bool:
    """Tell whether a streak-at-risk push may still be due later today (so keep a slot)."""
    return (
        NudgeKind.streak_at_risk in snapshot.enabled_kinds
        and m.workday
        and snapshot.streak_current > 0
        and not _active_today(snapshot)
        and m.position < m.evening.start
        and not in_quiet_hours(snapshot, snapshot.evening_hour)
        and dedup_key(snapshot.user_id, NudgeKind.streak_at_risk, m.day) not in snapshot.sent_keys_today
    )


def _active_today(snapshot: RepSnapshot) -> bool:
    return snapshot.today_active or snapshot.touches_today > 0


def _recent_workdays(snapshot: RepSnapshot, today: date, count: int) -> list[date]:
    """Return up to *count* workdays before *today* that were not away days, newest first."""
    away = set(snapshot.away_days)
    found = []
    for back in range(1, LOOKBACK_DAYS + 1):
        day = today - timedelta(days=back)
        if day.weekday() in snapshot.workdays and day not in away:
            found.append(day)
            if len(found) == count:
                break
    return found


def _top_customer(snapshot: RepSnapshot) -> tuple[int, str, int] | None:
    return tuple(snapshot.quiet_customers[0]) if snapshot.quiet_customers else None  # type: ignore[return-value]


def _nudge(snapshot: RepSnapshot, m: Moment, kind: NudgeKind, params: dict[str, Any], *, url: str, ttl: int,
           idea: bool = False, refs: tuple[str, ...] = ()) -> Nudge:
    """Return the nudge of *kind* for the rep's local day, with its headers."""
    return Nudge(
        user_id=snapshot.user_id,
        kind=kind,
        key=dedup_key(snapshot.user_id, kind, m.day),
        url=url,
        topic=_topic(kind, m.day),
        urgency=URGENCY[kind],
        ttl=max(int(ttl), MIN_TTL),
        local_day=m.day,
        locale=snapshot.locale,
        params=params,
        idea=idea,
        refs=refs,
    )


def _topic(kind: NudgeKind, day: date) -> str:
    """Return the Topic: one per kind, so a newer push replaces a stale undelivered one.

    Badge and challenge pushes carry their day, so yesterday's still-undelivered news is not
    swallowed by today's.
    """
    topic = "tb-" + kind.value.replace("_", "-")
    if kind in (NudgeKind.badge_earned, NudgeKind.challenge_finished):
        topic += day.strftime("-%Y%m%d")
    return topic


def _until_day_end(m: Moment) -> int:
    return math.ceil((m.day_end - m.now).total_seconds())
