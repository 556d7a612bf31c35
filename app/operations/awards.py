"""Badges: build a rep's ``Stats`` snapshot with set-based queries and award new badges once.

Awarding runs in the transaction of the touch write that earns the badge. It is idempotent
twice over: the rep's user row is locked first (``lock_rep``, PostgreSQL), so two concurrent
touches of one rep take turns and the second sees the first's touch; and every award is an
``INSERT … ON CONFLICT (user_id, code) DO NOTHING``, so a replay or any race never awards a
badge twice and only the transaction whose row landed celebrates it.

Cost: most of the snapshot is a few grouped counts; the fields that need a pass over the
rep's whole history (``COSTLY``) are only computed while a badge that reads them is locked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, distinct, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from .. import badges, warmth
from ..database import insert_ignoring
from ..kinds import Direction
from ..models import BadgeAward, ChallengeResult, Customer, Kudos, Touch, User
from ..queries import common as common_q
from ..queries import streak as streak_q

# Stats fields read only by these badges; computed only while one of them is locked.
COSTLY: dict[str, frozenset[str]] = {
    "perfect_weeks": frozenset({"perfect_week", "clockwork"}),
    "max_quiet_days_rescued": frozenset({"lifeline"}),
    "customers": frozenset({"no_one_left_out"}),
}


@dataclass(frozen=True)
class Award:
    """A badge the rep holds, and when it landed."""

    badge: badges.Badge
    awarded_at: datetime
    local_day: date


def held_codes(session: Session, user: User) -> set[str]:
    """Return the codes of the badges *user* holds."""
    return set(session.scalars(select(BadgeAward.code).where(BadgeAward.user_id == user.id)))


def held_awards(session: Session, user: User) -> list[Award]:
    """Return the registered badges *user* holds, newest first."""
    rows = session.execute(
        select(BadgeAward.code, BadgeAward.awarded_at, BadgeAward.local_day)
        .where(BadgeAward.user_id == user.id)
        .order_by(BadgeAward.awarded_at.desc(), BadgeAward.id.desc())
    )
    return [Award(badges.BADGES[code], at, day) for code, at, day in rows if code in badges.BADGES]


def _needed(field: str, held: Iterable[str], full: bool) -> bool:
    return full or not COSTLY[field] <= set(held)


def build_stats(
    session: Session, user: User, *, today: date, held: Iterable[str] = (), full: bool = False
) -> badges.Stats:
    """Return *user*'s snapshot on *today* (see ``badges.Stats``) from grouped, set-based queries.

    With *full* every field is computed (the badge page shows progress); otherwise a
    ``COSTLY`` field whose badges are all in *held* is left at 0 — no held badge needs it.
    """
    held = set(held)
    mine = (Touch.user_id == user.id, Touch.deleted_at.is_(None))
    total = rescues = 0
    by_kind: dict[str, int] = {}
    rows = session.execute(
        select(Touch.kind, Touch.direction, func.count(), func.sum(case((Touch.rescue.is_(True), 1), else_=0)))
        .where(*mine)
        .group_by(Touch.kind, Touch.direction)
    )
    for kind, direction, count, rescued in rows:
        total += count
        rescues += int(rescued or 0)
        if direction == Direction.out:
            by_kind[kind] = by_kind.get(kind, 0) + count
    monday, sunday = badges.iso_week(today)
    kinds_this_week = session.scalar(
        select(func.count(distinct(Touch.kind))).where(*mine, Touch.local_day >= monday, Touch.local_day <= sunday)
    ) or 0
    streak = streak_q.summary(session, user, today=today)
    kudos = session.scalar(select(func.count(Kudos.id)).where(Kudos.rep_id == user.id)) or 0
    finished = session.scalar(
        select(func.count(ChallengeResult.id)).where(
            ChallengeResult.user_id == user.id, ChallengeResult.finished.is_(True)
        )
    ) or 0
    perfect = 0
    if _needed("perfect_weeks", held, full) and total:
        hist = streak_q.history(session, user)
        perfect = badges.count_perfect_weeks(hist.active, today=today, workdays=hist.workdays, away=hist.away)
    longest_silence = 0
    if _needed("max_quiet_days_rescued", held, full) and rescues:
        longest_silence = max_quiet_days_rescued(session, user)
    customers = quiet = 0
    if _needed("customers", held, full):
        customers, quiet = customer_warmth(session, user, today=today)
    return badges.Stats(
        total_touches=total,
        touches_by_kind=by_kind,
        kinds_this_week=kinds_this_week,
        current_streak=streak.current,
        longest_streak=max(streak.longest, streak.current),
        rescues=rescues,
        max_quiet_days_rescued=longest_silence,
        perfect_weeks=perfect,
        kudos_received=kudos,
        challenges_finished=finished,
        storm_rider="storm_rider" in held,
        customers=customers,
        quiet_customers=quiet,
    )


def max_quiet_days_rescued(session: Session, user: User) -> int:
    """Return the longest silence one of *user*'s rescues ended, in days.

    For each non-deleted rescue touch: its local day minus the customer's latest earlier
    touch (any rep's, logged before it, on or before its day), or minus the customer's
    creation day when there was none.
    """
    earlier = aliased(Touch)
    previous = (
        select(func.max(earlier.local_day))
        .where(
            earlier.customer_id == Touch.customer_id,
            earlier.deleted_at.is_(None),
            earlier.local_day <= Touch.local_day,
            earlier.id < Touch.id,
        )
        .scalar_subquery()
    )
    rows = session.execute(
        select(Touch.local_day, previous, Customer.created_day)
        .join(Customer, Customer.id == Touch.customer_id)
        .where(Touch.user_id == user.id, Touch.deleted_at.is_(None), Touch.rescue.is_(True))
    )
    return max(((day - (before or created)).days for day, before, created in rows), default=0)


def customer_warmth(session: Session, user: User, *, today: date) -> tuple[int, int]:
    """Return how many active (not archived, not paused) customers *user* owns, and how many are quiet.

    Quiet as the pages show it: by the crisis cadence while the user's team is in crisis mode.
    """
    rows = session.execute(
        select(Customer.last_touch_day, Customer.created_day, Customer.cadence_days, Customer.paused_until).where(
            Customer.organization_id == user.organization_id,
            Customer.owner_id == user.id,
            Customer.archived_at.is_(None),
            or_(Customer.paused_until.is_(None), Customer.paused_until < today),
        )
    ).all()
    quiet = sum(
        1
        for last, created, cadence, paused in rows
        if warmth.status(last_touch_day=last, created_day=created, today=today,
                         cadence_days=common_q.effective_cadence(cadence, crisis=user.team_in_crisis),
                         paused_until=paused) is warmth.Warmth.quiet
    )
    return len(rows), quiet


def lock_rep(session: Session, user: User) -> None:
    """Make the rep's concurrent writes take turns until this transaction ends (PostgreSQL).

    ``FOR NO KEY UPDATE`` on the user row: it does not conflict with the key-share locks that
    inserting a touch or a ledger row (foreign keys to the user) takes, so it cannot deadlock
    with them. SQLite ignores it; its writers queue anyway.
    """
    session.execute(select(User.id).where(User.id == user.id).with_for_update(key_share=True))


def grant(session: Session, user: User, code: str, *, now: datetime, touch_id: int | None = None) -> bool:
    """Give *user* the badge *code* unless held; return whether this call awarded it (race-safe)."""
    badges.get(code)  # an unknown code is a programming error: KeyError
    values = dict(user_id=user.id, code=code, touch_id=touch_id, awarded_at=now,
                  local_day=user.today(now))
    insert = insert_ignoring(session, BadgeAward, ["user_id", "code"])
    if insert is not None:
        return session.execute(insert.values(**values).returning(BadgeAward.id)).scalar() is not None
    try:  # pragma: no cover - other databases
        with session.begin_nested():
            session.add(BadgeAward(**values))
            session.flush()
    except IntegrityError:  # pragma: no cover
        return False
    return True  # pragma: no cover


def award(session: Session, user: User, *, now: datetime, touch_id: int | None = None) -> list[badges.Badge]:
    """Award the badges *user* newly earns right now; return those this call awarded, in registry order.

    Call it in the transaction of the write that may earn them (a touch, a kudos).
    """
    lock_rep(session, user)
    held = held_codes(session, user)
    if len(held) >= len(badges.BADGES) and set(badges.BADGES) <= held:
        return []
    today = user.today(now)
    stats = build_stats(session, user, today=today, held=held)
    return [b for b in badges.newly_earned(stats, held) if grant(session, user, b.code, now=now, touch_id=touch_id)]
