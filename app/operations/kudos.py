"""Coach kudos: a coach singles out a rep's great touch — scarce on purpose (3 a month).

A coach may give kudos only for a touch of a rep on their own team (anything else does not
exist for them: NotFound), never for their own touch, once per touch, and at most
``badges.KUDOS_PER_COACH_PER_MONTH`` in a calendar month of the coach's local day. The rep
gets the ``coach_kudos`` badge in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from .. import badges
from ..kinds import CREATIVE_KINDS, Direction
from ..models import Kudos, Touch, User
from . import Invalid, NotFound, awards, id_or_404

MAX_NOTE = 500


@dataclass(frozen=True)
class Given:
    """A stored kudos and the badges it earned the rep."""

    kudos: Kudos
    badges: tuple[badges.Badge, ...]


def coach_day(coach: User, now: datetime) -> date:
    """Return the coach's local day at *now*."""
    return coach.today(now)


def month_key(day: date) -> str:
    """Return the month of *day* as stored on a kudos, e.g. "2026-11"."""
    return f"{day.year:04d}-{day.month:02d}"


def given_this_month(session: Session, coach: User, *, now: datetime) -> int:
    """Return how many kudos *coach* gave in their current local month."""
    return session.scalar(
        select(func.count(Kudos.id)).where(Kudos.coach_id == coach.id, Kudos.month == month_key(coach_day(coach, now)))
    ) or 0


def left_this_month(session: Session, coach: User, *, now: datetime) -> int:
    """Return how many kudos *coach* may still give this month."""
    return max(0, badges.KUDOS_PER_COACH_PER_MONTH - given_this_month(session, coach, now=now))


def is_coach(user: User) -> bool:
    """Tell whether *user* coaches a team (and so may give kudos)."""
    return user.is_coach and user.team_id is not None


def team_reps(session: Session, coach: User) -> list[User]:
    """Return the other members of *coach*'s team, by name; nobody for a non-coach."""
    if not is_coach(coach):
        return []
    return list(
        session.scalars(
            select(User)
            .where(User.organization_id == coach.organization_id, User.team_id == coach.team_id, User.id != coach.id)
            .order_by(User.name, User.id)
        )
    )


def team_rep(session: Session, coach: User, rep_id: object) -> User:
    """Return a member of *coach*'s team other than the coach, else raise NotFound."""
    rid = id_or_404(rep_id)
    if not is_coach(coach) or rid == coach.id:
        raise NotFound()
    rep = session.scalar(
        select(User).where(User.id == rid, User.organization_id == coach.organization_id, User.team_id == coach.team_id)
    )
    if rep is None:
        raise NotFound()
    return rep


def rep_touches(session: Session, rep: User, *, limit: int = 30) -> list[Touch]:
    """Return *rep*'s latest non-deleted touches with their customers, newest first."""
    return list(
        session.scalars(
            select(Touch)
            .where(Touch.user_id == rep.id, Touch.deleted_at.is_(None))
            .options(selectinload(Touch.customer))
            .order_by(Touch.local_day.desc(), Touch.created_at.desc(), Touch.id.desc())
            .limit(limit)
        )
    )


def latest_creative_touch(session: Session, coach: User, rep: User) -> Touch | None:
    """Return *rep*'s latest touch to thank for: outgoing, not deleted, of a creative kind, without kudos from *coach*.

    Creative kinds are ``kinds.CREATIVE_KINDS`` (all but a call, an e-mail or a message); the
    newest by local day, then by when it was logged.
    """
    thanked = select(Kudos.touch_id).where(Kudos.coach_id == coach.id)
    return session.scalar(
        select(Touch)
        .where(Touch.user_id == rep.id, Touch.organization_id == coach.organization_id, Touch.deleted_at.is_(None),
               Touch.direction == Direction.out, Touch.kind.in_(sorted(CREATIVE_KINDS)), Touch.id.not_in(thanked))
        .options(selectinload(Touch.customer))
        .order_by(Touch.local_day.desc(), Touch.created_at.desc(), Touch.id.desc())
        .limit(1)
    )


def kudos_by_coach(session: Session, coach: User, touch_ids: list[int]) -> dict[int, Kudos]:
    """Return *coach*'s kudos for the touches *touch_ids*, by touch id."""
    if not touch_ids:
        return {}
    rows = session.scalars(select(Kudos).where(Kudos.coach_id == coach.id, Kudos.touch_id.in_(touch_ids)))
    return {k.touch_id: k for k in rows}


def received(session: Session, rep: User, *, limit: int = 20) -> list[tuple[Kudos, str, Touch]]:
    """Return the kudos *rep* received, newest first, each with the coach's name and the touch."""
    rows = session.execute(
        select(Kudos, User.name, Touch)
        .join(User, User.id == Kudos.coach_id)
        .join(Touch, Touch.id == Kudos.touch_id)
        .where(Kudos.rep_id == rep.id)
        .options(selectinload(Touch.customer))
        .order_by(Kudos.given_at.desc(), Kudos.id.desc())
        .limit(limit)
    )
    return [(k, name, t) for k, name, t in rows]


def _clean_note(note: object) -> str | None:
    if note is None:
        return None
    if not isinstance(note, str):
        raise Invalid({"note": _l("Please enter text.")})
    text = note.strip() or None
    if text and len(text) > MAX_NOTE:
        raise Invalid({"note": _l("A note can have at most %(n)d characters.", n=MAX_NOTE)})
    if text and "\x00" in text:
        raise Invalid({"note": _l("This contains characters that cannot be stored.")})
    return text


def give(
    session: Session, coach: User, touch_id: object, *, note: object = None, now: datetime, rep_id: int | None = None
) -> Given:
    """Give kudos for the touch *touch_id* of a rep on *coach*'s team; award the rep's badge.

    Raises NotFound for anything but a non-deleted touch of a member of the coach's team (of
    the rep *rep_id*, when given), and
    Invalid for the coach's own touch, a second kudos for the same touch, a note over 500
    characters, or a fourth kudos in the coach's local month.
    """
    tid = id_or_404(touch_id)
    if not is_coach(coach):
        raise NotFound()
    touch = session.scalar(
        select(Touch)
        .join(User, User.id == Touch.user_id)
        .where(
            Touch.id == tid,
            Touch.organization_id == coach.organization_id,
            Touch.deleted_at.is_(None),
            User.organization_id == coach.organization_id,
            User.team_id == coach.team_id,
        )
    )
    if touch is None or (rep_id is not None and touch.user_id != rep_id):
        raise NotFound()
    if touch.user_id == coach.id:
        raise Invalid({"touch": _l("Kudos are for your team — not for your own touches.")})
    text = _clean_note(note)
    # One coach's kudos take turns (PostgreSQL), so two at once cannot both be the third.
    session.execute(select(User.id).where(User.id == coach.id).with_for_update())
    if session.scalar(select(Kudos.id).where(Kudos.coach_id == coach.id, Kudos.touch_id == touch.id)):
        raise Invalid({"touch": _l("You already gave kudos for this touch.")})
    day = coach_day(coach, now)
    if not badges.may_give_kudos(given_this_month(session, coach, now=now)):
        _first, last = badges.month_of(day)
        raise Invalid({"kudos": _l(
            "You have given all %(n)d kudos for this month — they are scarce on purpose. "
            "You can give more from %(day)s.",
            n=badges.KUDOS_PER_COACH_PER_MONTH, day=format_date(last + timedelta(days=1), "long"),
        )})
    kudos = Kudos(organization_id=coach.organization_id, coach_id=coach.id, rep_id=touch.user_id,
                  touch_id=touch.id, note=text, month=month_key(day), given_at=now)
    try:
        with session.begin_nested():
            session.add(kudos)
            session.flush()
    except IntegrityError:
        raise Invalid({"touch": _l("You already gave kudos for this touch.")}) from None
    earned = awards.award(session, touch.user, now=now, touch_id=touch.id)
    return Given(kudos, tuple(earned))

