"""Team challenges: create, edit, end early, delete; evaluate from set-based queries, finalize once, award badges.

The rules live in ``app/challenges.py``; this module only gathers their facts and stores
their results. Who takes part: the team's reps (role ``rep``), each from ``User.created_at``
(the instant they joined Touchbase, and so the team; earlier than the start means "from the
start"). A rep with ``hide_from_rankings`` still counts for the team.

The life cycle, for the team's coach (anyone else gets NotFound):

- *Edit* (``edit_challenge``) the title, description, team target and end while it has not
  ended. The end stays after now and after the start, at most ``MAX_DAYS`` after the start.
  The own targets fixed so far are fixed first, then raised where the edit raises them
  (``challenges.raised_target``), never lowered.
- *End early* (``end_challenge``) a running challenge: its end becomes now and it is finalized
  like any ended challenge (results frozen, badges; the nudge scan announces it).
- *Delete* (``delete_challenge``) one nobody has progressed in: not started yet, or no rep
  with a value above 0. Otherwise Conflict: end it early instead.

Own targets are fixed (``ChallengeTarget``) the first time the challenge is evaluated for its
board at or after the start, and for a rep who joined later the first time after that; a
finalization and an edit fix them too. Reads use the fixed ones, and compute a missing one by
the same rule (``challenges.own_targets``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, inspect, or_, select, update
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import Session, object_session

from .. import challenges as rules
from .. import clock, warmth
from ..kinds import Role, TouchKind
from ..database import insert_ignoring
from ..models import Challenge, ChallengeResult, ChallengeTarget, Customer, PointsEntry, Touch, User
from ..queries import away as away_q
from . import Conflict, Invalid, NotFound, awards, id_or_404

MAX_TITLE = 120
MAX_DESCRIPTION = 2000
MAX_DAYS = 90
MAX_COUNT_TARGET = 10_000
TARGET_RANGES: Mapping[rules.Metric, tuple[int, int]] = {
    rules.Metric.coverage: (1, 100),
    rules.Metric.team_touches: (1, MAX_COUNT_TARGET),
    rules.Metric.kinds_used: (1, len(TouchKind)),
    rules.Metric.active_days: (1, MAX_COUNT_TARGET),
    rules.Metric.rescues: (1, MAX_COUNT_TARGET),
}
FINISHER_BADGE = "challenge_finisher"
STORM_RIDER_BADGE = "storm_rider"
FIELDS = ("title", "description", "metric", "target", "starts_at", "ends_at")
EDIT_FIELDS = ("title", "description", "target", "ends_at")
_MICROSECOND = timedelta(microseconds=1)
MIN_YEAR, MAX_YEAR = 2000, 2999


def parse_local(value: object, tz: str) -> datetime | None:
    """Return the UTC instant of a local ``YYYY-MM-DDTHH:MM`` wall time in *tz*, else None.

    A wall time repeated by a daylight-saving change means its first occurrence; one skipped
    by it is read with the offset before the change (so 02:30 on a spring-forward night is
    03:30 summer time). Years outside ``MIN_YEAR``..``MAX_YEAR`` are None: at the edges of the
    calendar (year 1, year 9999) the conversion to UTC would overflow.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        wall = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if wall.tzinfo is not None or not MIN_YEAR <= wall.year <= MAX_YEAR:
        return None
    return wall.replace(tzinfo=clock.zone(tz), fold=0).astimezone(clock.UTC)


def local_input(instant: datetime, tz: str) -> str:
    """Return *instant* as the ``datetime-local`` value in *tz* (minutes)."""
    return clock.local_now(instant, tz).strftime("%Y-%m-%dT%H:%M")


def _coach_team(coach: User) -> int:
    if not coach.is_coach or coach.team_id is None:
        raise NotFound()
    return coach.team_id


def _clean_texts(values: Mapping[str, object], errors: dict, *, template: str | None = None) -> tuple[str, str | None]:
    """Return the typed title and description; for a template's challenge, its own texts stay "" and None.

    A title may be left empty, or be the template's (in any language), only for a challenge
    started from a template: then readers see the template's texts in their own language.
    """
    found = rules.TEMPLATES.get(template or "")
    title = str(values.get("title") or "").strip()
    description = str(values.get("description") or "").strip() or None
    if found is not None and (not title or rules.template_text(found.title, title)):
        title = ""
    elif not title:
        errors["title"] = _l("Please give the challenge a title.")
    elif len(title) > MAX_TITLE:
        errors["title"] = _l("A title can have at most %(n)d characters.", n=MAX_TITLE)
    if found is not None and description and rules.template_text(found.description, description):
        description = None
    if description and len(description) > MAX_DESCRIPTION:
        errors["description"] = _l("A description can have at most %(n)d characters.", n=MAX_DESCRIPTION)
    for name, text in (("title", title), ("description", description or "")):
        if "\x00" in text:
            errors[name] = _l("This contains characters that cannot be stored.")
    return title, description


def _clean_target(value: object, metric: rules.Metric, errors: dict) -> int | None:
    target = _whole(value)
    lo, hi = TARGET_RANGES[metric]
    if target is None or not lo <= target <= hi:
        errors["target"] = _l("The target must be a whole number from %(lo)d to %(hi)d.", lo=lo, hi=hi)
    return target


def _clean_end(value: object, tz: str, starts_at: datetime | None, errors: dict, *, now: datetime) -> datetime | None:
    """Return the end instant: after the start, after *now*, at most ``MAX_DAYS`` after the start."""
    ends_at = parse_local(value, tz)
    if ends_at is None:
        errors["ends_at"] = _l("Please enter an end date and time.")
    elif starts_at is not None:
        if ends_at <= starts_at:
            errors["ends_at"] = _l("The end must come after the start.")
        elif ends_at - starts_at > timedelta(days=MAX_DAYS):
            errors["ends_at"] = _l("A challenge can last at most %(n)d days.", n=MAX_DAYS)
        elif ends_at <= now:
            errors["ends_at"] = _l("The end must be in the future.")
    return ends_at


def create_challenge(session: Session, coach: User, values: Mapping[str, object], *, now: datetime) -> Challenge:
    """Create a challenge for the coach's team from form *values* (local times in the coach's zone).

    Fields: ``title`` (1–120), ``description`` (optional, ≤ 2000), ``metric``, ``target``
    (``TARGET_RANGES``), ``starts_at`` and ``ends_at`` as ``YYYY-MM-DDTHH:MM`` wall times
    in the coach's zone. The end must come after the start and after *now*, at most 90 days
    after the start. Anyone but a coach with a team gets NotFound.
    """
    team_id = _coach_team(coach)
    errors: dict[str, object] = {}
    title, description = _clean_texts(values, errors)
    try:
        metric = rules.Metric(values.get("metric"))
    except ValueError:
        metric = None
        errors["metric"] = _l("Please choose what the challenge measures.")
    target = _clean_target(values.get("target"), metric, errors) if metric is not None else None
    starts_at = parse_local(values.get("starts_at"), coach.timezone)
    if starts_at is None:
        errors["starts_at"] = _l("Please enter a start date and time.")
    ends_at = _clean_end(values.get("ends_at"), coach.timezone, starts_at, errors, now=now)
    if errors:
        raise Invalid(errors)
    assert metric is not None and target is not None and starts_at is not None and ends_at is not None
    challenge = Challenge(
        organization_id=coach.organization_id,
        team_id=team_id,
        created_by_id=coach.id,
        title=title,
        description=description,
        metric=metric.value,
        target=target,
        starts_at=starts_at,
        ends_at=ends_at,
        created_at=now,
    )
    session.add(challenge)
    session.flush()
    return challenge


def _whole(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value or "").strip()
    if not text.isdigit() or len(text) > 6:
        return None
    return int(text)


@dataclass(frozen=True)
class TeamChallenges:
    """A team's challenges at one instant, each list in the order a person reads it."""

    current: list[Challenge]
    upcoming: list[Challenge]
    past: list[Challenge]


def list_challenges(session: Session, user: User, *, now: datetime, past_limit: int = 20) -> TeamChallenges:
    """Return the current (ending soonest first), upcoming and latest past challenges of *user*'s team."""
    if user.team_id is None:
        return TeamChallenges([], [], [])
    base = select(Challenge).where(
        Challenge.organization_id == user.organization_id, Challenge.team_id == user.team_id
    )
    live = list(session.scalars(base.where(Challenge.ends_at > now).order_by(Challenge.starts_at, Challenge.id)))
    past = list(session.scalars(base.where(Challenge.ends_at <= now).order_by(Challenge.ends_at.desc()).limit(past_limit)))
    current = sorted((c for c in live if c.starts_at <= now), key=lambda c: (c.ends_at, c.id))
    upcoming = [c for c in live if c.starts_at > now]
    return TeamChallenges(current, upcoming, past)


def ended(challenge: Challenge, *, now: datetime) -> bool:
    """Tell whether *challenge* has ended (its end passed, or it was finalized)."""
    return challenge.finalized_at is not None or now >= challenge.ends_at


def get_managed(session: Session, coach: User, challenge_id: object) -> Challenge:
    """Return a challenge of the coach's own team, for the coach to change; anyone else gets NotFound."""
    _coach_team(coach)
    return get_challenge(session, coach, challenge_id)


def edit_challenge(session: Session, challenge: Challenge, coach: User, values: Mapping[str, object], *,
                   now: datetime) -> Challenge:
    """Change a challenge that has not ended: title, description, team target, end (``EDIT_FIELDS``).

    Validated as for a new one (the end as a wall time in the coach's zone: after now and the
    start, at most ``MAX_DAYS`` after the start); a template's challenge may keep the template's
    texts. Own targets are fixed first, then raised where the edit raises them. An ended
    challenge is a Conflict; anyone but the team's coach gets NotFound.
    """
    _managed(challenge, coach)
    if ended(challenge, now=now):
        raise Conflict(_l("This challenge has ended. Its results are final and it can no longer change."))
    errors: dict[str, object] = {}
    title, description = _clean_texts(values, errors, template=challenge.template)
    metric = rules.Metric(challenge.metric)
    target = _clean_target(values.get("target"), metric, errors)
    ends_at = _clean_end(values.get("ends_at"), coach.timezone, challenge.starts_at, errors, now=now)
    if errors:
        raise Invalid(errors)
    assert target is not None and ends_at is not None
    started = now >= challenge.starts_at
    if started:
        fix_targets(session, challenge, now=now)
    challenge.title, challenge.description = title, description
    challenge.target, challenge.ends_at = target, ends_at
    session.flush()
    if started:
        rule = rule_of(challenge)
        for row in session.scalars(select(ChallengeTarget).where(ChallengeTarget.challenge_id == challenge.id)):
            fixed = rules.FixedTarget(row.user_id, row.target, row.split, row.counted_from)
            row.target = rules.raised_target(fixed, rule).target
        session.flush()
    return challenge


def end_challenge(session: Session, challenge: Challenge, coach: User, *, now: datetime) -> Challenge:
    """End a running challenge now and finalize it: results frozen, badges awarded, the push left to the scan.

    One that has not started yet cannot end (delete it instead), one that ended cannot end
    again: both are a Conflict. Anyone but the team's coach gets NotFound.
    """
    _managed(challenge, coach)
    if ended(challenge, now=now):
        raise Conflict(_l("This challenge has already ended."))
    if now <= challenge.starts_at:
        raise Conflict(_l("This challenge has not started yet. Delete it instead, or change its end."))
    fix_targets(session, challenge, now=now)
    challenge.ends_at = now
    session.flush()
    finalize(session, challenge, now=now)
    return challenge


def progressed(session: Session, challenge: Challenge, *, now: datetime,
               standings: rules.Standings | None = None) -> bool:
    """Tell whether anybody has progressed in *challenge*: it started and a rep's value is above 0.

    For coverage, a state, any covered customer counts: a started coverage challenge is nearly
    always progressed in. *standings*: the challenge's at *now*, when the caller has them.
    """
    if now < challenge.starts_at:
        return False
    standings = standings or evaluate(session, challenge, now=now)
    return any(rep.value > 0 for rep in standings.reps)


def delete_challenge(session: Session, challenge: Challenge, coach: User, *, now: datetime) -> None:
    """Delete a challenge nobody has progressed in (``progressed``), with its fixed targets and results.

    One somebody has progressed in is a Conflict: a rep's progress is never thrown away (end it
    early instead). Anyone but the team's coach gets NotFound.
    """
    _managed(challenge, coach)
    if progressed(session, challenge, now=now):
        raise Conflict(_l("Somebody has already made progress in this challenge, so it cannot be deleted. "
                          "End it early instead."))
    session.execute(delete(ChallengeTarget).where(ChallengeTarget.challenge_id == challenge.id))
    session.execute(delete(ChallengeResult).where(ChallengeResult.challenge_id == challenge.id))
    session.delete(challenge)
    session.flush()


def _lock(session: Session, challenge: Challenge) -> None:
    """Lock *challenge*'s row and read it afresh (PostgreSQL); a row deleted meanwhile is NotFound."""
    if challenge not in session or not inspect(challenge).persistent:
        return
    try:
        session.refresh(challenge, with_for_update=True)
    except InvalidRequestError:  # the row is gone: a concurrent delete committed first
        raise NotFound() from None


def _managed(challenge: Challenge, coach: User) -> None:
    """Check that *coach* manages *challenge*, then lock its row and read it afresh (PostgreSQL).

    Changes take turns: an edit that waited for an early end sees the challenge ended.
    """
    if _coach_team(coach) != challenge.team_id or challenge.organization_id != coach.organization_id:
        raise NotFound()
    session = object_session(challenge)
    if session is not None:
        _lock(session, challenge)


def get_challenge(session: Session, user: User, challenge_id: object) -> Challenge:
    """Return a challenge of *user*'s team; anything else raises NotFound."""
    cid = id_or_404(challenge_id)
    if user.team_id is None:
        raise NotFound()
    challenge = session.get(Challenge, cid)
    if challenge is None or challenge.organization_id != user.organization_id or challenge.team_id != user.team_id:
        raise NotFound()
    return challenge


def rule_of(challenge: Challenge) -> rules.Challenge:
    """Return the pure rule of a stored challenge."""
    return rules.Challenge(
        metric=rules.Metric(challenge.metric),
        target=challenge.target,
        starts_at=challenge.starts_at,
        ends_at=challenge.ends_at,
    )


def team_reps(session: Session, challenge: Challenge) -> list[User]:
    """Return the reps of the challenge's team, by id (one query)."""
    return list(
        session.scalars(
            select(User)
            .where(
                User.organization_id == challenge.organization_id,
                User.team_id == challenge.team_id,
                User.role == Role.rep,
            )
            .order_by(User.id)
        )
    )


def _touch_facts(session: Session, challenge: Challenge, rep_ids: list[int]) -> list[rules.TouchFact]:
    """Return the reps' touches in the challenge's span, deleted ones included (one query).

    A touch is *scored* unless the points ledger capped it (its latest score has reason
    ``cap``); a touch the ledger never saw counts as scored.
    """
    if not rep_ids:
        return []
    # Capped: the touch's latest score (its last entry that is no reversal) is the cap's 0 —
    # a touch whose day was corrected was scored afresh.
    latest = (
        select(PointsEntry.reason)
        .where(PointsEntry.touch_id == Touch.id, PointsEntry.reversal_of_id.is_(None),
               PointsEntry.reason != "reversal")
        .order_by(PointsEntry.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    capped = func.coalesce(latest, "") == "cap"
    rows = session.execute(
        select(
            Touch.user_id, Touch.occurred_at, Touch.local_day, Touch.kind, Touch.rescue,
            Touch.created_at, Touch.deleted_at, ~capped,
        ).where(
            Touch.organization_id == challenge.organization_id,
            Touch.user_id.in_(rep_ids),
            Touch.occurred_at >= challenge.starts_at,
            Touch.occurred_at < challenge.ends_at,
        )
    )
    return [
        rules.TouchFact(
            user_id=user_id, occurred_at=occurred_at, local_day=day, kind=str(kind), rescue=bool(rescue),
            scored=bool(scored), recorded_at=created_at, deleted_at=deleted_at,
        )
        for user_id, occurred_at, day, kind, rescue, created_at, deleted_at, scored in rows
    ]


def _customer_facts(
    session: Session, challenge: Challenge, reps: list[User], *, as_of: datetime
) -> list[rules.CustomerFact]:
    """Return the reps' A and B customers with their warmth as of *as_of* (two queries).

    Only what was known at *as_of* counts: customers created before it and not archived by
    then; each one's last touch among the touches recorded before it and not deleted by then.
    Warmth is judged on each owner's local day of the instant just before *as_of* (the
    challenge's last day once it ended), with crisis cadences for a crisis challenge.
    """
    if not reps:
        return []
    by_id = {r.id: r for r in reps}
    customers = session.execute(
        select(Customer.id, Customer.owner_id, Customer.tier, Customer.cadence_days, Customer.created_day,
               Customer.paused_until)
        .where(
            Customer.organization_id == challenge.organization_id,
            Customer.owner_id.in_(by_id),
            Customer.tier.in_(sorted(rules.COVERAGE_TIERS)),
            Customer.created_at < as_of,
            or_(Customer.archived_at.is_(None), Customer.archived_at >= as_of),
        )
    ).all()
    last = dict(
        session.execute(
            select(Touch.customer_id, func.max(Touch.local_day))
            .where(
                Touch.organization_id == challenge.organization_id,
                Touch.user_id.in_(by_id),
                Touch.occurred_at < as_of,
                Touch.created_at < as_of,
                or_(Touch.deleted_at.is_(None), Touch.deleted_at >= as_of),
            )
            .group_by(Touch.customer_id)
        ).all()
    )
    moment = as_of - _MICROSECOND
    facts = []
    for cid, owner_id, tier, cadence, created_day, paused_until in customers:
        owner = by_id[owner_id]
        day = owner.day_of(moment)
        if challenge.crisis:
            cadence = rules.crisis_cadence(cadence)
        state = warmth.status(last_touch_day=last.get(cid), created_day=created_day, today=day,
                              cadence_days=cadence, paused_until=paused_until)
        facts.append(rules.CustomerFact(owner_id=owner_id, tier=str(tier), warmth=state))
    return facts


@dataclass(frozen=True)
class Board:
    """A challenge's standings with the people they name."""

    challenge: Challenge
    standings: rules.Standings
    names: dict[int, str]
    written: bool = False


def _members(reps: list[User]) -> list[rules.Member]:
    return [rules.Member(user_id=r.id, joined_at=r.created_at, hidden=r.hide_from_rankings) for r in reps]


def stored_targets(session: Session, challenge: Challenge) -> dict[int, int]:
    """Return the own targets fixed so far in *challenge*: user id → target (one query)."""
    return dict(session.execute(
        select(ChallengeTarget.user_id, ChallengeTarget.target).where(ChallengeTarget.challenge_id == challenge.id)
    ).all())


def fix_targets(session: Session, challenge: Challenge, *, now: datetime, reps: list[User] | None = None) -> int:
    """Fix the own target of every rep counting in a started challenge who has none yet; return how many.

    As ``challenges.own_targets`` computes them. Race-safe: an insert that finds the rep's
    target already fixed (a concurrent request) does nothing, and both computed the same.
    Before the start nothing is fixed: the team may still change. The challenge's row is
    locked and read afresh first, so fixing waits for a concurrent edit or delete by the coach:
    a challenge deleted meanwhile is NotFound, never a half-written target.
    """
    if now < challenge.starts_at:
        return 0
    _lock(session, challenge)
    reps = team_reps(session, challenge) if reps is None else reps
    known = stored_targets(session, challenge)
    rows = [{"challenge_id": challenge.id, "user_id": f.user_id, "target": f.target, "split": f.split,
             "counted_from": f.counted_from, "fixed_at": now}
            for f in rules.own_targets(rule_of(challenge), _members(reps)).values()
            if f.user_id not in known and f.counted_from <= now]
    if not rows:
        return 0
    insert = insert_ignoring(session, ChallengeTarget, ["challenge_id", "user_id"])
    if insert is not None:
        session.execute(insert, rows)
    else:  # pragma: no cover - other databases
        session.add_all(ChallengeTarget(**row) for row in rows)
    session.flush()
    return len(rows)


def evaluate(session: Session, challenge: Challenge, *, now: datetime) -> rules.Standings:
    """Return the challenge's standings at *now*: the stored snapshot once finalized, else live.

    A constant number of queries: the team's reps, the fixed targets, their touches in the
    span, and for coverage their customers and last touches.
    """
    if challenge.results:
        return rules.Standings.from_dict(challenge.results)
    rule = rule_of(challenge)
    reps = team_reps(session, challenge)
    as_of = min(now, rule.ends_at)
    touches = [] if rule.metric is rules.Metric.coverage else _touch_facts(session, challenge, [r.id for r in reps])
    customers = _customer_facts(session, challenge, reps, as_of=as_of) if rule.metric is rules.Metric.coverage else []
    return rules.evaluate(rule, members=_members(reps), touches=touches, customers=customers,
                          targets=stored_targets(session, challenge), now=now)


def board(session: Session, challenge: Challenge, *, now: datetime) -> Board:
    """Return the standings for the challenge page, finalizing a challenge that has ended.

    While it runs, the own targets of reps counting by now are fixed first (``fix_targets``):
    the caller commits when ``written`` says so.
    """
    written = False
    if challenge.finalized_at is None and now >= challenge.ends_at:
        written = finalize(session, challenge, now=now)
    elif challenge.finalized_at is None:
        written = fix_targets(session, challenge, now=now) > 0
    standings = evaluate(session, challenge, now=now)
    ids = [r.user_id for r in standings.reps]
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}
    return Board(challenge, standings, names, written)


def finalize(session: Session, challenge: Challenge, *, now: datetime) -> bool:
    """Freeze an ended challenge's results once; return whether this call did it.

    Claims the challenge with a conditional UPDATE (``finalized_at IS NULL``), so of two
    concurrent finalizers only one writes; the loser, and every later call, changes nothing.
    Then stores ``results`` (``Standings.to_dict``), one ``ChallengeResult`` per participant
    (``position`` None for a rep hidden from rankings), the finisher badge for every rep who
    reached their own target and, for a crisis challenge, the storm rider badge (see
    ``storm_riders``). The push announcement is left to the nudge scan
    (``ChallengeResult.announced_at IS NULL``). Raises ValueError before the end.
    """
    if now < challenge.ends_at:
        raise ValueError("a challenge can only be finalized once it has ended")
    claimed = session.execute(
        update(Challenge)
        .where(Challenge.id == challenge.id, Challenge.finalized_at.is_(None))
        .values(finalized_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        session.refresh(challenge)
        return False
    fix_targets(session, challenge, now=now)
    standings = evaluate(session, challenge, now=now)
    challenge.finalized_at = now
    challenge.results = standings.to_dict()
    positions = {e.rep.user_id: e.position for e in standings.ranking}
    for rep in standings.reps:
        session.add(
            ChallengeResult(
                challenge_id=challenge.id,
                user_id=rep.user_id,
                value=int(rep.value),
                target=int(rep.target),
                finished=rep.finished,
                position=positions.get(rep.user_id),
            )
        )
    session.flush()
    reps = {r.id: r for r in team_reps(session, challenge)}
    for user_id in standings.finishers:
        if user_id in reps:
            award_badge(session, reps[user_id], FINISHER_BADGE, now=now)
    if challenge.crisis:
        for user_id in storm_riders(session, challenge, standings, reps=list(reps.values())):
            award_badge(session, reps[user_id], STORM_RIDER_BADGE, now=now)
    return True


def finalize_due(session: Session, *, now: datetime) -> int:
    """Finalize every challenge whose end has passed and that is not finalized yet; return how many."""
    due = list(
        session.scalars(
            select(Challenge).where(Challenge.finalized_at.is_(None), Challenge.ends_at <= now).order_by(Challenge.id)
        )
    )
    return sum(finalize(session, c, now=now) for c in due)


def storm_riders(
    session: Session, challenge: Challenge, standings: rules.Standings, *, reps: list[User]
) -> list[int]:
    """Return the reps who kept their streak through the whole crisis challenge.

    Only reps on the team from the start (a rep who joined mid-challenge did not ride the
    whole storm). Each rep's span is their own local days from the start to the last instant
    before the end, judged by ``challenges.kept_streak_through`` with their workdays, away
    periods, team holidays and rescue days; like the results, only touches recorded before
    the end and not deleted by then count. Three queries for the whole team.
    """
    from_start = {r.user_id for r in standings.reps if r.counted_from == challenge.starts_at}
    riders = [r for r in reps if r.id in from_start]
    if not riders:
        return []
    ids = [r.id for r in riders]
    active: dict[int, set[date]] = defaultdict(set)
    bonus: dict[int, set[date]] = defaultdict(set)
    rows = session.execute(
        select(Touch.user_id, Touch.local_day, Touch.rescue)
        .where(
            Touch.user_id.in_(ids),
            Touch.created_at < challenge.ends_at,
            or_(Touch.deleted_at.is_(None), Touch.deleted_at >= challenge.ends_at),
        )
        .distinct()
    )
    for user_id, day, rescue in rows:
        active[user_id].add(day)
        if rescue:
            bonus[user_id].add(day)
    away = away_q.away_ranges_by_user(session, {i: challenge.team_id for i in ids})
    result = []
    for rep in riders:
        first_day = rep.day_of(challenge.starts_at)
        last_day = rep.day_of(challenge.ends_at - _MICROSECOND)
        if rules.kept_streak_through(
            active[rep.id], first_day=first_day, last_day=last_day, workdays=rep.workday_set,
            away=away[rep.id], bonus_freeze_days=bonus[rep.id],
        ):
            result.append(rep.id)
    return result


def award_badge(session: Session, user: User, code: str, *, now: datetime) -> bool:
    """Award badge *code* to *user* once; return whether this call awarded it.

    Delegates to the shared, race-safe ``awards.grant`` (insert on conflict do nothing on the
    unique ``(user_id, code)``), so a repeated or concurrent finalization never awards twice.
    """
    return awards.grant(session, user, code, now=now)


def set_hidden(session: Session, user: User, hidden: bool) -> User:
    """Hide *user* from every ranking (they still count for the team), or show them again."""
    user.hide_from_rankings = bool(hidden)
    session.flush()
    return user


def results_of(session: Session, challenge: Challenge) -> list[ChallengeResult]:
    """Return the stored results of a finalized challenge, by position (hidden reps last)."""
    return list(
        session.scalars(
            select(ChallengeResult)
            .where(ChallengeResult.challenge_id == challenge.id)
            .order_by(ChallengeResult.position.is_(None), ChallengeResult.position, ChallengeResult.user_id)
        )
    )

