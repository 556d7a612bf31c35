"""The points ledger: score a touch when it is written, reverse it when it is deleted.

Rows are only ever appended (``app/points.py`` explains the rules and the table). A touch's
score reads one set-based query: the rep's earlier touches with the same customer in the
variety window, with each touch's net ledger points, through the ``(customer_id, local_day)``
index — bounded by 90 days of one customer, whatever the rep's history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from .. import points
from ..models import PointsEntry, Touch


@dataclass(frozen=True)
class TouchPoints:
    """What a touch scored, and why; ``touches_in_window`` counts this one too (for "3rd touch")."""

    points: int
    reason: points.Reason
    base: int = 0
    variety_bonus: int = 0
    touches_in_window: int = 0

    @property
    def capped(self) -> bool:
        """Tell whether the unobtrusive cap made this touch score 0."""
        return self.reason is points.Reason.cap


def score_touch(session: Session, touch: Touch) -> tuple[points.Score, int]:
    """Score a stored *touch*; return the score and how many touches (this one too) are in its cap window.

    Only the same rep's non-deleted touches with the same customer count, in the windows that
    end on the touch's local day; a touch is *scored* when its net ledger points are > 0.
    """
    first, last = points.variety_window(touch.local_day)
    # Correlated, so it reads only the entries of the few touches in the window (touch_id index).
    net = (
        select(func.coalesce(func.sum(PointsEntry.points), 0))
        .where(PointsEntry.touch_id == Touch.id)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Touch.kind, Touch.local_day, net)
        .where(
            Touch.customer_id == touch.customer_id,
            Touch.user_id == touch.user_id,
            Touch.deleted_at.is_(None),
            Touch.local_day >= first,
            Touch.local_day <= last,
            Touch.id != touch.id,
        )
    ).all()
    return _score_among(touch, rows)


def _score_among(touch: Touch, others: Iterable[tuple[str, date, int]]) -> tuple[points.Score, int]:
    """Score *touch* among the rep's other touches with its customer, given as ``(kind, local_day, net points)``.

    Only the others in the windows that end on the touch's local day count.
    """
    first, last = points.variety_window(touch.local_day)
    cap_first, _ = points.cap_window(touch.local_day)
    rows = [(kind, day, net) for kind, day, net in others if first <= day <= last]
    kinds = {kind for kind, _day, _net in rows}
    in_cap = [n for _kind, day, n in rows if day >= cap_first]
    scored = sum(1 for n in in_cap if n > 0)
    result = points.score(
        touch.kind,
        customer_kinds_last_90_days=kinds,
        scored_touches_same_customer_last_7_days=scored,
        direction=touch.direction,
    )
    return result, len(in_cap) + 1


def record(session: Session, touch: Touch, *, now: datetime) -> TouchPoints:
    """Score a freshly written *touch* and append its ledger entry; call it in the touch's transaction."""
    result, in_window = score_touch(session, touch)
    entry = points.entry_for(touch.id, result)
    session.add(PointsEntry(user_id=touch.user_id, touch_id=touch.id, points=entry.points,
                            reason=entry.reason.value, local_day=touch.local_day, created_at=now))
    session.flush()
    return TouchPoints(result.points, result.reason, result.base, result.variety_bonus, in_window)


def record_history(session: Session, touches: Iterable[Touch]) -> int:
    """Score a history of touches written in bulk, in the order given (oldest first); return how many.

    Each touch scores as ``record`` scored it had it been logged then: among the touches given
    before it (same rep and customer). Their customers must have no other touches, and none is
    deleted or scored yet. One bulk insert, each entry made at its touch's ``created_at``.
    """
    earlier: dict[tuple[int, int], list[tuple[str, date, int]]] = defaultdict(list)
    rows = []
    for touch in touches:
        mine = earlier[(touch.user_id, touch.customer_id)]
        result, _ = _score_among(touch, mine)
        entry = points.entry_for(touch.id, result)
        mine.append((touch.kind, touch.local_day, entry.points))
        rows.append({"user_id": touch.user_id, "touch_id": touch.id, "points": entry.points,
                     "reason": entry.reason.value, "local_day": touch.local_day, "created_at": touch.created_at})
    if rows:
        session.execute(insert(PointsEntry), rows)
    return len(rows)


def rescore(session: Session, touch: Touch, *, now: datetime) -> TouchPoints:
    """Score *touch* afresh after its day was corrected: reverse its open entries, append a new one.

    Nothing is edited: the reversals take the old score off its old day, the new entry puts the
    new score on the new day, scored among the rep's touches with the customer around it.
    """
    reverse(session, touch, now=now)
    return record(session, touch, now=now)


def points_of(session: Session, touch: Touch) -> TouchPoints:
    """Return what *touch* scored when it was written (its latest entry that is not a reversal)."""
    row = session.execute(
        select(PointsEntry.points, PointsEntry.reason)
        .where(PointsEntry.touch_id == touch.id, PointsEntry.reversal_of_id.is_(None))
        .order_by(PointsEntry.id.desc())
        .limit(1)
    ).first()
    if row is None:  # a touch from before the ledger existed
        return TouchPoints(0, points.Reason.base)
    return TouchPoints(row.points, points.Reason(row.reason))


def reverse(session: Session, touch: Touch, *, now: datetime) -> list[PointsEntry]:
    """Append a reversing entry for each of *touch*'s entries not reversed yet (a deleted touch).

    ``reversal_of_id`` is unique, so a second or concurrent reversal of the same entry is
    refused by the database and skipped here: an entry is never reversed twice.
    """
    reversing = aliased(PointsEntry)
    open_entries = session.scalars(
        select(PointsEntry).where(
            PointsEntry.touch_id == touch.id,
            PointsEntry.reversal_of_id.is_(None),
            PointsEntry.reason != points.Reason.reversal.value,
            ~select(reversing.id).where(reversing.reversal_of_id == PointsEntry.id).exists(),
        )
    ).all()
    added = []
    for stored in open_entries:
        undo = points.reversal(points.LedgerEntry(touch_id=touch.id, points=stored.points,
                                                  reason=points.Reason(stored.reason), id=stored.id))
        row = PointsEntry(user_id=stored.user_id, touch_id=touch.id, points=undo.points,
                          reason=undo.reason.value, reversal_of_id=undo.reversal_of,
                          local_day=stored.local_day, created_at=now)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            continue  # reversed meanwhile by a concurrent delete
        added.append(row)
    return added
