"""Team challenges and crisis mode (DESIGN.md "Gamification"): progress, never raw volume.

Pure: the caller passes the challenge, the team's members, the team's touches and (for
coverage) its customers as plain facts — one set-based query each — plus ``now``.

Metrics, and how a rep's *own target* is derived from the team target ``T``
(``n`` = participating members, hidden ones included; ``share`` = the rep's share of the
challenge's duration, 1 for a rep on the team from the start)::

    metric        team value                     rep value                own target
    coverage      % of the team's A+B customers  % of own A+B customers   T (a percentage: no
                  that are not quiet             that are not quiet       split, no pro-rating)
    team_touches  sum of the reps' values        scored touches           ceil(T / n * share)
    kinds_used    distinct kinds across team     distinct kinds           ceil(T * share)
    active_days   sum of the reps' values        distinct local days      ceil(T / n * share)
    rescues       sum of the reps' values        rescue touches           ceil(T / n * share)

Own targets are at least 1. The split is *equal*, not by customers: every rep can be regular,
varied and caring whatever the size of their book; a bigger book is already a head start.

Own targets are *fixed* (``own_targets``, ``FixedTarget``): each rep's target is computed as of
the instant the rep starts to count — the start, or their joining — with ``n`` the
participants who count from that instant or earlier. So the reps on the team from the start
split ``T`` among themselves, and a rep who joins later gets their own (pro-rated, ``n``
counting them) without anybody's target shrinking. The caller stores each rep's fixed target
when the challenge is first evaluated at or after the start (or after the rep joined) and
passes the stored ones to ``evaluate``; one that is not stored yet is computed by the same
rule. A rep who leaves the team changes nobody's target.

Editing a running challenge (team target, end) never lowers a fixed target: each is computed
again with the new rule, with the ``n`` and the instant it was fixed with, and raised when the
new one is higher (``raised_target``). So raising the team target raises everyone's, lowering
it lowers only the targets of reps not fixed yet (and the team's).

Time rules:

- ``starts_at``/``ends_at`` are absolute instants (aware, stored in UTC): the end is one
  instant for everyone, whatever their time zone — 17:00 in Berlin is 08:00 in Chicago.
  A touch counts when ``starts_at <= occurred_at < ends_at``.
- A rep who joins mid-challenge (``Member.joined_at``) counts from the instant they joined;
  their own target is pro-rated by the share of the challenge left at that instant. The team
  target stays as the coach set it. A member who joined at or after the end is not a
  participant. A rep who left the team is simply not passed in (their touches drop out).
- Results are frozen at the end: a touch counts only if it was recorded before ``ends_at``
  (a touch synced or backfilled after the end does not), and a touch deleted at or after
  ``ends_at`` still counts. So ``evaluate`` after the end, and ``finalize``, give the same
  answer however late they run and whatever is deleted later; store ``to_dict()`` of the
  final standings as the snapshot. Before the end, a deleted touch does not count.
- Coverage is a state, not a sum of events: the caller passes each customer's warmth as of
  ``min(now, ends_at)`` (with crisis cadences while crisis mode is on), computed only from
  the touches that count as of that instant. Paused customers are left out; C customers too.

Ranking (``Standings.ranking``): visible reps only (hidden ones still count for the team), by
percent of their own target *capped at 100* — beyond the target, more volume earns no place —
then by ``reached_at``, earliest first: the instant the rep reached their ranked level, i.e.
their own target for a finisher and their current value otherwise, so of two reps at the same
level the one who got there first ranks higher. Reps with the same level and the same
``reached_at`` (or none: nothing counted yet, or coverage, which has no events) share a
position (1, 2, 2, 4), listed by user id. A coverage rep without A or B customers has no
percent and comes last.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from typing import Any

from . import clock
from .kinds import TouchKind
from .streaks import DEFAULT_WORKDAYS, Walker, fold, is_away
from .warmth import Warmth

CRISIS_FACTOR = Fraction(7, 10)
COVERAGE_TIERS = frozenset({"A", "B"})
_MICROSECOND = timedelta(microseconds=1)


class Metric(StrEnum):
    """What a challenge measures."""

    coverage = "coverage"
    team_touches = "team_touches"
    kinds_used = "kinds_used"
    active_days = "active_days"
    rescues = "rescues"


ADDITIVE = frozenset({Metric.team_touches, Metric.active_days, Metric.rescues})


@dataclass(frozen=True)
class Challenge:
    """A challenge's rule: metric, team target and the half-open span ``[starts_at, ends_at)``.

    ``target`` is a count, or for ``coverage`` a percentage from 1 to 100; for ``kinds_used``
    at most the number of touch kinds. Instants must be aware and are normalised to UTC.
    """

    metric: Metric
    target: int
    starts_at: datetime
    ends_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "metric", Metric(self.metric))
        object.__setattr__(self, "starts_at", clock.require_aware(self.starts_at))
        object.__setattr__(self, "ends_at", clock.require_aware(self.ends_at))
        if self.ends_at <= self.starts_at:
            raise ValueError("a challenge must end after it starts")
        if isinstance(self.target, bool) or not isinstance(self.target, int) or self.target < 1:
            raise ValueError("the target must be a whole number of at least 1")
        if self.metric is Metric.coverage and self.target > 100:
            raise ValueError("a coverage target is a percentage from 1 to 100")
        if self.metric is Metric.kinds_used and self.target > len(TouchKind):
            raise ValueError(f"a kinds target is at most {len(TouchKind)}")


@dataclass(frozen=True)
class Member:
    """A rep on the challenge's team; ``joined_at`` None means since before the start."""

    user_id: int
    joined_at: datetime | None = None
    hidden: bool = False


@dataclass(frozen=True)
class TouchFact:
    """One of the team's touches, as the challenge sees it.

    ``scored``: the touch scored points (not capped) — only scored touches count for
    ``team_touches``, so the unobtrusive cap also holds here. ``recorded_at`` is when it was
    written (``created_at``; None means when it occurred); ``deleted_at`` when it was deleted.
    """

    user_id: int
    occurred_at: datetime
    local_day: date
    kind: str
    rescue: bool = False
    scored: bool = True
    recorded_at: datetime | None = None
    deleted_at: datetime | None = None


@dataclass(frozen=True)
class CustomerFact:
    """A customer of a team member, with its warmth as of the evaluation instant."""

    owner_id: int
    tier: str
    warmth: Warmth | str


@dataclass(frozen=True)
class Progress:
    """The team's progress: raw ``value`` against ``target``; ``percent`` is not capped."""

    value: float
    target: float
    percent: float
    reached_at: datetime | None = None

    @property
    def display_percent(self) -> int:
        """Return the percent for a progress bar: whole, at most 100, 100 only when done."""
        return min(100, math.floor(self.percent))

    @property
    def done(self) -> bool:
        """Tell whether the target is reached."""
        return self.percent >= 100


@dataclass(frozen=True)
class RepProgress:
    """One rep's contribution and standing against their own target.

    ``value`` is the rep's metric value (a count, or for coverage a percentage of their A+B
    customers, then ``covered`` of ``customers``); ``percent`` is ``100 * value / target``,
    uncapped, None for a coverage rep without A or B customers; ``reached_at`` as in the module
    docstring; ``counted_from`` is the later of the start and the rep's joining.
    """

    user_id: int
    value: float
    target: float
    percent: float | None
    reached_at: datetime | None
    hidden: bool
    counted_from: datetime
    covered: int = 0
    customers: int = 0

    @property
    def display_percent(self) -> int:
        """Return the percent for a progress bar: whole, 0 to 100."""
        return 0 if self.percent is None else min(100, math.floor(self.percent))

    @property
    def finished(self) -> bool:
        """Tell whether the rep reached their own target."""
        return self.percent is not None and self.percent >= 100


@dataclass(frozen=True)
class Ranked:
    """A place in the ranking; tied reps share ``position``."""

    position: int
    rep: RepProgress


@dataclass(frozen=True)
class Standings:
    """A challenge's state as of ``as_of`` (``min(now, ends_at)``); ``final`` once it ended.

    ``reps`` lists every participant (hidden ones included, by user id) — show a hidden rep's
    line only to that rep; ``ranking`` lists visible reps only.
    """

    challenge: Challenge
    as_of: datetime
    final: bool
    time_elapsed: float
    team: Progress
    reps: tuple[RepProgress, ...]
    ranking: tuple[Ranked, ...]

    @property
    def finishers(self) -> tuple[int, ...]:
        """Return the user ids of every rep who reached their own target (hidden ones too)."""
        return tuple(r.user_id for r in self.reps if r.finished)

    def rep(self, user_id: int) -> RepProgress | None:
        """Return the progress of *user_id*, or None if they do not take part."""
        return next((r for r in self.reps if r.user_id == user_id), None)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready snapshot of these standings (instants as ISO 8601 UTC)."""
        c = self.challenge
        return {
            "challenge": {
                "metric": str(c.metric),
                "target": c.target,
                "starts_at": c.starts_at.isoformat(),
                "ends_at": c.ends_at.isoformat(),
            },
            "as_of": self.as_of.isoformat(),
            "final": self.final,
            "time_elapsed": self.time_elapsed,
            "team": {
                "value": self.team.value,
                "target": self.team.target,
                "percent": self.team.percent,
                "reached_at": _iso(self.team.reached_at),
            },
            "reps": [_rep_dict(r) for r in self.reps],
            "ranking": [{"position": e.position, "user_id": e.rep.user_id} for e in self.ranking],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Standings:
        """Rebuild standings from ``to_dict()`` output (a stored snapshot)."""
        c = data["challenge"]
        reps = tuple(
            RepProgress(
                user_id=r["user_id"],
                value=r["value"],
                target=r["target"],
                percent=r["percent"],
                reached_at=_from_iso(r["reached_at"]),
                hidden=r["hidden"],
                counted_from=_from_iso(r["counted_from"]),
                covered=r["covered"],
                customers=r["customers"],
            )
            for r in data["reps"]
        )
        by_id = {r.user_id: r for r in reps}
        team = data["team"]
        return cls(
            challenge=Challenge(
                metric=Metric(c["metric"]),
                target=c["target"],
                starts_at=_from_iso(c["starts_at"]),
                ends_at=_from_iso(c["ends_at"]),
            ),
            as_of=_from_iso(data["as_of"]),
            final=data["final"],
            time_elapsed=data["time_elapsed"],
            team=Progress(
                value=team["value"],
                target=team["target"],
                percent=team["percent"],
                reached_at=_from_iso(team["reached_at"]),
            ),
            reps=reps,
            ranking=tuple(Ranked(e["position"], by_id[e["user_id"]]) for e in data["ranking"]),
        )


@dataclass(frozen=True)
class ChallengeTemplate:
    """A ready-made challenge a coach starts with one tap; texts in English and German."""

    code: str
    title: Mapping[str, str]
    description: Mapping[str, str]
    metric: Metric
    days: int
    target: int

    def schedule(self, first_day: date, tz: str, day_start_hour: int = 3) -> Challenge:
        """Return the challenge over ``days`` local days from *first_day* in the zone *tz*."""
        starts_at, ends_at = span_for_days(
            first_day, first_day + timedelta(days=self.days - 1), tz, day_start_hour
        )
        return Challenge(
            metric=self.metric, target=self.target, starts_at=starts_at, ends_at=ends_at
        )


@dataclass(frozen=True)
class FixedTarget:
    """A rep's own target as fixed: the target, the ``split`` (``n``) and the instant it counts from."""

    user_id: int
    target: int
    split: int
    counted_from: datetime


STORM_WEEK = ChallengeTemplate(
    code="storm_week",
    title={"en": "Storm week", "de": "Sturmwoche"},
    description={
        "en": "Nobody goes quiet this week: keep 90 % of our A and B customers in touch. "
        "A call, a letter, a coffee — unobtrusive, but again and again.",
        "de": "Diese Woche wird niemand still: Halte 90 % unserer A- und B-Kunden in Kontakt. "
        "Ein Anruf, ein Brief, ein Kaffee – unaufdringlich, aber immer wieder.",
    },
    metric=Metric.coverage,
    days=7,
    target=90,
)

#: The ready-made challenges by code. A challenge started from one stores the code and no texts:
#: its title and description are the template's, in each reader's language (``title_in``).
TEMPLATES: Mapping[str, ChallengeTemplate] = {STORM_WEEK.code: STORM_WEEK}


def _text_in(texts: Mapping[str, str], locale: str | None) -> str:
    lang = (locale or "en").replace("_", "-").split("-")[0].lower()
    return texts.get(lang) or texts["en"]


def title_in(title: str | None, template: str | None, locale: str | None) -> str:
    """Return a challenge's title for a reader in *locale*: the coach's own, else its template's in that language."""
    if title:
        return title
    found = TEMPLATES.get(template or "")
    return _text_in(found.title, locale) if found else ""


def description_in(description: str | None, template: str | None, locale: str | None) -> str | None:
    """Return a challenge's description for a reader in *locale*: the coach's own, else its template's, else None."""
    if description:
        return description
    found = TEMPLATES.get(template or "")
    return _text_in(found.description, locale) if found else None


def template_text(texts: Mapping[str, str], typed: str) -> bool:
    """Tell whether *typed* is one of a template's texts (in any language): then the template's stays."""
    return typed.strip() in {text.strip() for text in texts.values()}


def evaluate(
    challenge: Challenge,
    *,
    members: Iterable[Member],
    touches: Iterable[TouchFact],
    customers: Iterable[CustomerFact] = (),
    targets: Mapping[int, int] | None = None,
    now: datetime,
) -> Standings:
    """Return the challenge's standings at *now* (frozen at the end once *now* passes it).

    *members*: the team's reps; *touches*: the team's touches around the challenge (deleted
    ones with their ``deleted_at`` included, so that late deletes cannot change a finished
    challenge); *customers*: for ``coverage`` only; *targets*: the reps' fixed own targets
    (user id → target; a rep without one gets ``own_targets``'). All rules in the module docstring.
    """
    now = clock.require_aware(now)
    members = list(members)
    as_of = min(now, challenge.ends_at)
    duration = challenge.ends_at - challenge.starts_at
    elapsed = min(max(as_of - challenge.starts_at, timedelta(0)), duration)
    participants = _participants(challenge, members)
    counted = _counted_touches(challenge, participants, touches, as_of)
    fixed = {uid: f.target for uid, f in own_targets(challenge, members).items()} | dict(targets or {})
    if challenge.metric is Metric.coverage:
        reps, team = _coverage(challenge, participants, customers, fixed)
    else:
        reps, team = _events(challenge, participants, counted, fixed)
    reps = tuple(sorted(reps, key=lambda r: r.user_id))
    return Standings(
        challenge=challenge,
        as_of=as_of,
        final=now >= challenge.ends_at,
        time_elapsed=elapsed / duration,
        team=team,
        reps=reps,
        ranking=rank(reps),
    )


def finalize(
    challenge: Challenge,
    *,
    members: Iterable[Member],
    touches: Iterable[TouchFact],
    customers: Iterable[CustomerFact] = (),
    targets: Mapping[int, int] | None = None,
    now: datetime,
) -> Standings:
    """Return the final standings, to be stored as the challenge's snapshot (``to_dict``).

    Raises ValueError before the end. The result does not depend on how late it runs: touches
    deleted after the end still count, touches recorded after the end do not.
    """
    if clock.require_aware(now) < challenge.ends_at:
        raise ValueError("a challenge can only be finalized once it has ended")
    return evaluate(challenge, members=members, touches=touches, customers=customers, targets=targets, now=now)


def own_targets(challenge: Challenge, members: Iterable[Member]) -> dict[int, FixedTarget]:
    """Return each participant's own target as it is fixed: as of the instant the rep starts to count.

    ``n`` (the split) is the number of participants counting from that instant or earlier, so
    the reps from the start share the team target and a later joiner's arrival lowers nobody's.
    """
    participants = _participants(challenge, members)
    froms = sorted(counted_from for _member, counted_from in participants)
    result = {}
    for member, counted_from in participants:
        split = bisect_right(froms, counted_from)
        result[member.user_id] = FixedTarget(
            member.user_id, own_target(challenge, participants=split, counted_from=counted_from), split, counted_from
        )
    return result


def raised_target(fixed: FixedTarget, challenge: Challenge) -> FixedTarget:
    """Return a fixed target after the coach edited the challenge into *challenge*: raised if the edit raises it, never lowered."""
    again = own_target(challenge, participants=fixed.split, counted_from=fixed.counted_from)
    return replace(fixed, target=max(fixed.target, again))


def own_target(challenge: Challenge, *, participants: int, counted_from: datetime) -> int:
    """Return a rep's own target, as in the module docstring's table (at least 1).

    *participants* is the number of reps taking part; *counted_from* the later of the start
    and the instant the rep joined, which pro-rates the target by the time left.
    """
    if challenge.metric is Metric.coverage:
        return challenge.target
    share = Fraction(
        (challenge.ends_at - max(counted_from, challenge.starts_at)) // _MICROSECOND,
        (challenge.ends_at - challenge.starts_at) // _MICROSECOND,
    )
    split = participants if challenge.metric in ADDITIVE else 1
    return max(1, math.ceil(Fraction(challenge.target, max(split, 1)) * share))


def rank(reps: Iterable[RepProgress]) -> tuple[Ranked, ...]:
    """Return the visible *reps* ranked by capped percent, then who got there first.

    Equal level and equal ``reached_at`` share a position, listed by user id; a rep without
    a percent comes last. Hidden reps are left out.
    """
    visible = [r for r in reps if not r.hidden]

    def key(r: RepProgress) -> tuple[float, bool, datetime, int]:
        level = -1.0 if r.percent is None else min(100.0, r.percent)
        late = r.reached_at is None
        return (-level, late, r.reached_at or datetime.max.replace(tzinfo=clock.UTC), r.user_id)

    ordered = sorted(visible, key=key)
    ranking: list[Ranked] = []
    for index, r in enumerate(ordered):
        if ranking and key(ranking[-1].rep)[:3] == key(r)[:3]:
            ranking.append(Ranked(ranking[-1].position, r))
        else:
            ranking.append(Ranked(index + 1, r))
    return tuple(ranking)


def crisis_cadence(cadence_days: int | float) -> float:
    """Return the cadence tightened for crisis mode: ``0.7 * cadence_days``, never below 1.

    Computed exactly (90 days become 63.0, where ``0.7 * 90`` gives 62.99…), so warmth
    thresholds stay on the right day; the floor of 1 day keeps a daily customer valid for
    ``warmth.status``.
    """
    if isinstance(cadence_days, bool) or not cadence_days > 0:
        raise ValueError(f"cadence_days must be positive, not {cadence_days!r}")
    return float(max(Fraction(1), CRISIS_FACTOR * Fraction(cadence_days)))


def span_for_days(
    first_day: date, last_day: date, tz: str, day_start_hour: int = 3
) -> tuple[datetime, datetime]:
    """Return the UTC ``(starts_at, ends_at)`` of the local days *first_day*..*last_day* in *tz*."""
    if last_day < first_day:
        raise ValueError("the last day comes before the first")
    return (
        clock.day_bounds(first_day, tz, day_start_hour)[0],
        clock.day_bounds(last_day, tz, day_start_hour)[1],
    )


def kept_streak_through(
    active_days: Iterable[date],
    *,
    first_day: date,
    last_day: date,
    workdays: frozenset[int] = DEFAULT_WORKDAYS,
    away: Iterable[tuple[date, date]] = (),
    bonus_freeze_days: Iterable[date] = (),
) -> bool:
    """Tell whether a rep kept their streak through the local days *first_day*..*last_day*.

    The storm rider rule: with the streak rules of ``app/streaks.py`` (history before the
    challenge included, so freezes held at the start can be spent), no expected workday in
    the span was missed without a freeze, and at least one day in it was active. The last
    day is treated like "today": still open, so missing it breaks nothing — the badge can be
    judged as soon as the challenge ends. *active_days* are the rep's local days with a
    non-deleted touch; *workdays*, *away* and *bonus_freeze_days* as for ``streaks.summarize``.
    """
    active = {d for d in active_days if d <= last_day}
    if not any(first_day <= d <= last_day for d in active):
        return False
    ranges = tuple(away)
    bonus = set(bonus_freeze_days)
    walker = Walker()
    start = min(active)
    if start < first_day:
        fold(walker, start, first_day - timedelta(days=1), active=active, workdays=workdays,
             away=ranges, bonus=bonus)
    day = first_day
    while day < last_day:
        expected = day.weekday() in workdays and not is_away(day, ranges)
        if expected and day not in active and walker.freezes == 0:
            return False
        walker.step(day, active=day in active, expected=expected, bonus=day in bonus)
        day += timedelta(days=1)
    return True


def _participants(challenge: Challenge, members: Iterable[Member]) -> list[tuple[Member, datetime]]:
    result: dict[int, tuple[Member, datetime]] = {}
    for m in members:
        joined = challenge.starts_at if m.joined_at is None else clock.require_aware(m.joined_at)
        counted_from = max(joined, challenge.starts_at)
        if counted_from < challenge.ends_at:
            result[m.user_id] = (m, counted_from)
    return list(result.values())


def _counted_touches(
    challenge: Challenge,
    participants: list[tuple[Member, datetime]],
    touches: Iterable[TouchFact],
    as_of: datetime,
) -> dict[int, list[TouchFact]]:
    since = {m.user_id: counted_from for m, counted_from in participants}
    counted: dict[int, list[TouchFact]] = {uid: [] for uid in since}
    for t in touches:
        if t.user_id not in since:
            continue
        occurred = clock.require_aware(t.occurred_at)
        recorded = occurred if t.recorded_at is None else clock.require_aware(t.recorded_at)
        deleted = None if t.deleted_at is None else clock.require_aware(t.deleted_at)
        if not since[t.user_id] <= occurred < challenge.ends_at:
            continue
        if recorded >= challenge.ends_at or (deleted is not None and deleted < as_of):
            continue
        counted[t.user_id].append(t)
    return counted


def _milestones(metric: Metric, touches: list[TouchFact]) -> list[datetime]:
    """Return the sorted instants at which the rep's value went up by one."""
    if metric is Metric.team_touches:
        return sorted(t.occurred_at for t in touches if t.scored)
    if metric is Metric.rescues:
        return sorted(t.occurred_at for t in touches if t.rescue)
    first: dict[object, datetime] = {}
    for t in touches:
        group = TouchKind(t.kind) if metric is Metric.kinds_used else t.local_day
        if group not in first or t.occurred_at < first[group]:
            first[group] = t.occurred_at
    return sorted(first.values())


def _events(
    challenge: Challenge,
    participants: list[tuple[Member, datetime]],
    counted: dict[int, list[TouchFact]],
    targets: Mapping[int, int],
) -> tuple[list[RepProgress], Progress]:
    reps = []
    per_rep: list[list[datetime]] = []
    for member, counted_from in participants:
        mine = _milestones(challenge.metric, counted[member.user_id])
        steps = [clock.require_aware(s) for s in mine]
        per_rep.append(steps)
        target = targets[member.user_id]
        value = len(steps)
        reached = steps[min(value, target) - 1] if value else None
        reps.append(
            RepProgress(
                user_id=member.user_id,
                value=value,
                target=target,
                percent=100 * value / target,
                reached_at=reached,
                hidden=member.hidden,
                counted_from=counted_from,
            )
        )
    if challenge.metric in ADDITIVE:
        team_steps = sorted(s for steps in per_rep for s in steps)
    else:  # kinds_used: the union of kinds, each at its first use by anyone
        every = [t for ts in counted.values() for t in ts]
        team_steps = [clock.require_aware(s) for s in _milestones(challenge.metric, every)]
    value = len(team_steps)
    team = Progress(
        value=value,
        target=challenge.target,
        percent=100 * value / challenge.target,
        reached_at=team_steps[challenge.target - 1] if value >= challenge.target else None,
    )
    return reps, team


def _coverage(
    challenge: Challenge,
    participants: list[tuple[Member, datetime]],
    customers: Iterable[CustomerFact],
    targets: Mapping[int, int],
) -> tuple[list[RepProgress], Progress]:
    ids = {m.user_id for m, _ in participants}
    covered = dict.fromkeys(ids, 0)
    total = dict.fromkeys(ids, 0)
    for c in customers:
        warmth = Warmth(c.warmth)
        if c.owner_id not in ids or str(c.tier) not in COVERAGE_TIERS or warmth is Warmth.paused:
            continue
        total[c.owner_id] += 1
        covered[c.owner_id] += warmth is not Warmth.quiet
    reps = []
    for member, counted_from in participants:
        uid = member.user_id
        value = 100 * covered[uid] / total[uid] if total[uid] else 0.0
        reps.append(
            RepProgress(
                user_id=uid,
                value=value,
                target=targets[uid],
                percent=100 * value / targets[uid] if total[uid] else None,
                reached_at=None,
                hidden=member.hidden,
                counted_from=counted_from,
                covered=covered[uid],
                customers=total[uid],
            )
        )
    all_total = sum(total.values())
    value = 100 * sum(covered.values()) / all_total if all_total else 0.0
    percent = 100 * value / challenge.target
    return reps, Progress(value=value, target=challenge.target, percent=percent)


def _rep_dict(r: RepProgress) -> dict[str, Any]:
    return {
        "user_id": r.user_id,
        "value": r.value,
        "target": r.target,
        "percent": r.percent,
        "reached_at": _iso(r.reached_at),
        "hidden": r.hidden,
        "counted_from": _iso(r.counted_from),
        "covered": r.covered,
        "customers": r.customers,
    }


def _iso(instant: datetime | None) -> str | None:
    return None if instant is None else instant.isoformat()


def _from_iso(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
