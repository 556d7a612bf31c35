"""Crisis mode, switched per team by a coach: a banner, cadences × 0.7, a storm-week challenge.

While ``Team.crisis_since`` is set, every member sees the coach's reason and message on
every page, warmth and whom-to-touch use ``challenges.crisis_cadence`` (see
``queries.common.customer_row``), and the nudge scan reads the same column. Switching it on
starts a coverage challenge from the ``STORM_WEEK`` template, from the start of the coach's
local day (the team's day: the coach's zone and day start hour), its texts the template's in
each reader's language. Switching it off ends that challenge then (finalized like any ended
one), unless the coach chooses to keep it running to its end.

Both switches also keep the team's history of crisis periods (``CrisisPeriod``), in the same
transaction: switching on opens a period, switching off closes it. The trend charts shade the
weeks those periods overlap and judge past weeks by the cadences of their time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import challenges as rules
from ..models import Challenge, CrisisPeriod, Team, User
from . import Invalid, NotFound
from . import challenges as challenge_ops

MAX_REASON = 200
MAX_MESSAGE = 2000


@dataclass(frozen=True)
class CrisisStarted:
    """The team now in crisis mode, and its storm-week challenge (None when it was already on)."""

    team: Team
    challenge: Challenge | None


def _coach_team(session: Session, coach: User) -> Team:
    """Return the coach's team, its row locked (PostgreSQL) and read afresh: switches take turns.

    Without the lock, eight parallel "crisis on" requests all read "not in crisis" and each
    started a storm-week challenge.
    """
    if not coach.is_coach or coach.team_id is None:
        raise NotFound()
    team = session.get(Team, coach.team_id, with_for_update=True, populate_existing=True)
    if team is None or team.organization_id != coach.organization_id:
        raise NotFound()
    return team


def start_crisis(session: Session, coach: User, *, reason: object, message: object, now: datetime) -> CrisisStarted:
    """Switch the coach's team into crisis mode and start a storm-week coverage challenge.

    *reason* is required (≤ 200 characters), *message* optional (≤ 2000). The challenge covers
    ``STORM_WEEK.days`` local days from the start of the coach's today, in the coach's zone with
    the coach's day start hour; it is marked ``crisis`` with template ``storm_week`` and stores
    no texts of its own: every reader sees the template's in their language. When the team is
    already in crisis, only the texts change and no second challenge starts. Anyone but a
    coach with a team gets NotFound.
    """
    team = _coach_team(session, coach)
    errors: dict[str, object] = {}
    reason_text = reason.strip() if isinstance(reason, str) else ""
    message_text = (message.strip() if isinstance(message, str) else "") or None
    if not reason_text:
        errors["reason"] = _l("Please say why the team is in crisis mode.")
    elif len(reason_text) > MAX_REASON:
        errors["reason"] = _l("A reason can have at most %(n)d characters.", n=MAX_REASON)
    if message_text and len(message_text) > MAX_MESSAGE:
        errors["message"] = _l("A message can have at most %(n)d characters.", n=MAX_MESSAGE)
    for name, text in (("reason", reason_text), ("message", message_text or "")):
        if "\x00" in text:
            errors[name] = _l("This contains characters that cannot be stored.")
    if errors:
        raise Invalid(errors)
    already = team.in_crisis
    team.crisis_reason = reason_text
    team.crisis_message = message_text
    if already:
        period = _open_period(session, team)
        if period is None:  # a crisis older than the history: its period starts when it did
            session.add(CrisisPeriod(team_id=team.id, started_at=team.crisis_since, reason=reason_text))
        else:
            period.reason = reason_text
        session.flush()
        return CrisisStarted(team, None)
    team.crisis_since = now
    session.add(CrisisPeriod(team_id=team.id, started_at=now, reason=reason_text))
    template = rules.STORM_WEEK
    first_day = coach.today(now)
    rule = template.schedule(first_day, coach.timezone, coach.day_start_hour)
    challenge = Challenge(
        organization_id=coach.organization_id,
        team_id=team.id,
        created_by_id=coach.id,
        title="",
        description=None,
        metric=rule.metric.value,
        target=rule.target,
        starts_at=rule.starts_at,
        ends_at=rule.ends_at,
        template=template.code,
        crisis=True,
        created_at=now,
    )
    session.add(challenge)
    session.flush()
    return CrisisStarted(team, challenge)


@dataclass(frozen=True)
class CrisisEnded:
    """The team out of crisis mode, and the crisis challenges this ended (none when kept or none ran)."""

    team: Team
    ended: tuple[Challenge, ...] = ()


def end_crisis(session: Session, coach: User, *, now: datetime, keep_challenge: bool = False) -> CrisisEnded:
    """Switch the coach's team out of crisis mode (a no-op when it is not on).

    Cadences return to normal at once. The team's crisis challenges that have not ended end
    now (``challenges.end_challenge``: finalized, still judged with crisis cadences as set up;
    one that has not started yet is deleted), unless *keep_challenge*: then they run to their end.
    The open crisis period ends at *now*.
    """
    team = _coach_team(session, coach)
    period = _open_period(session, team)
    if period is not None:
        period.ended_at = max(now, period.started_at)
    if not team.in_crisis:
        session.flush()
        return CrisisEnded(team)
    team.crisis_since = None
    team.crisis_reason = None
    team.crisis_message = None
    session.flush()
    if keep_challenge:
        return CrisisEnded(team)
    running = session.scalars(
        select(Challenge).where(Challenge.team_id == team.id, Challenge.crisis.is_(True),
                                Challenge.finalized_at.is_(None), Challenge.ends_at > now).order_by(Challenge.id)
    ).all()
    ended = []
    for challenge in running:
        if challenge.starts_at < now:
            ended.append(challenge_ops.end_challenge(session, challenge, coach, now=now))
        else:
            challenge_ops.delete_challenge(session, challenge, coach, now=now)
    return CrisisEnded(team, tuple(ended))


def _open_period(session: Session, team: Team) -> CrisisPeriod | None:
    """Return the team's open crisis period (at most one: a partial unique index), if any."""
    return session.scalar(select(CrisisPeriod).where(CrisisPeriod.team_id == team.id, CrisisPeriod.ended_at.is_(None)))
