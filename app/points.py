"""Points per touch (DESIGN.md "Gamification"): care and variety score, volume does not.

Pure: no clock, no database. The caller gathers two small facts about the rep's earlier touches
with the same customer and passes them in; ``score`` does the arithmetic.

Base points by kind (``BASE_POINTS``)::

    letter, visit, coffee, walk   8   personal, effortful, remembered
    gift, event                   6   personal, but rarer and partly bought
    video                         5   face to face, at a distance
    other                         5   "be creative" (a note is required)
    call                          4   a voice in between
    email, message                2   quick and cheap to send

Rules, in order:

1. *Inbound* (``direction="in"``, the customer reached out): a flat ``INBOUND_POINTS`` (1),
   whatever the kind, and no variety bonus — the rep answered, but chose neither the moment
   nor the channel. It counts in full for warmth and the streak (elsewhere); here it is a
   small thank-you for logging it.
2. *Variety bonus* (outbound only): ``VARIETY_BONUS`` (3) when the kind is not among the kinds
   of the rep's touches with this customer in the variety window.
3. *Unobtrusive cap*: when the rep already has ``CAP_TOUCHES`` (2) or more *scored* touches
   with this customer in the cap window, the touch scores 0 with reason ``cap`` — it is still
   logged, still counts for warmth and the streak, and the rep sees why it scored nothing.
   The cap applies to inbound touches too, so logging incoming calls cannot farm points.

Definitions the caller must follow when building the inputs:

- A *scored* touch is a non-deleted touch whose ledger points are > 0 (net of reversals):
  a capped touch (0 points) does not count towards the cap, so the cap never "fills up" on
  zero-point touches.
- Windows are in the rep's *local days*, inclusive, ending on the day of the touch being
  scored: the cap window is the 7 local days ``day - 6 .. day`` (``cap_window``), the variety
  window the 90 local days ``day - 89 .. day`` (``variety_window``). "Today" is part of both,
  so a second letter the same day is not new.
- Only the same rep's touches with the same customer count (one indexed query on
  ``(user_id, customer_id, local_day)``); a colleague's touch costs nobody points.
- Only touches already stored when this one is written count, and only up to this touch's
  day: a touch is scored once, when written, and re-scored only when its day is corrected
  (its entries reversed, a fresh one appended); a backfilled touch looks at the days up to its
  own day. Inbound and capped touches do mark their kind as used.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType

from .kinds import Direction, TouchKind

BASE_POINTS = MappingProxyType(
    {
        TouchKind.letter: 8,
        TouchKind.visit: 8,
        TouchKind.coffee: 8,
        TouchKind.walk: 8,
        TouchKind.gift: 6,
        TouchKind.event: 6,
        TouchKind.video: 5,
        TouchKind.other: 5,
        TouchKind.call: 4,
        TouchKind.email: 2,
        TouchKind.message: 2,
    }
)
VARIETY_BONUS = 3
INBOUND_POINTS = 1
CAP_TOUCHES = 2
CAP_WINDOW_DAYS = 7
VARIETY_WINDOW_DAYS = 90


class Reason(StrEnum):
    """Why a ledger entry has the points it has; shown to the rep next to the points."""

    base = "base"  # outbound, kind already used with this customer recently
    variety = "variety"  # outbound, base + variety bonus
    inbound = "inbound"  # the customer reached out: flat points
    cap = "cap"  # beyond the unobtrusive cap: 0 points, still logged
    reversal = "reversal"  # the touch was deleted: undoes an earlier entry


@dataclass(frozen=True)
class Score:
    """What one touch scores.

    ``points`` is what goes into the ledger: ``base + variety_bonus``, or 0 when ``capped``.
    ``base`` and ``variety_bonus`` show what the touch is worth uncapped, so the page can say
    "would be 11 — already 2 touches with Müller AG this week".
    """

    points: int
    base: int
    variety_bonus: int
    capped: bool
    reason: Reason


@dataclass(frozen=True)
class LedgerEntry:
    """One row of the append-only points ledger.

    Suggested table ``point_entry``: ``id``, ``user_id``, ``touch_id`` (FK), ``points`` (int,
    may be negative only for a reversal), ``reason`` (``Reason`` value), ``reversal_of``
    (nullable FK to ``point_entry.id``, UNIQUE so a touch is reversed at most once),
    ``local_day`` (the touch's local day, copied onto its reversal too, so "today" and
    "this week" sums by ``local_day`` drop a deleted touch from the day it was logged on), and
    ``created_at``. Rows are never updated or deleted: deleting a touch appends
    ``reversal(entry)``; restoring it appends a fresh ``entry_for``. A user's points are
    ``SUM(points)``; a touch's net points are the sum of its rows.
    """

    touch_id: int
    points: int
    reason: Reason
    reversal_of: int | None = None
    id: int | None = None


def score(
    kind: TouchKind | str,
    *,
    customer_kinds_last_90_days: Collection[TouchKind | str],
    scored_touches_same_customer_last_7_days: int,
    direction: Direction | str = Direction.out,
) -> Score:
    """Score one touch: base by kind, variety bonus, inbound flat rate, unobtrusive cap.

    *customer_kinds_last_90_days*: kinds of the rep's stored, non-deleted touches with this
    customer in ``variety_window(day)`` (any direction, capped ones included).
    *scored_touches_same_customer_last_7_days*: how many of the rep's stored, non-deleted
    touches with this customer in ``cap_window(day)`` have net points > 0.
    See the module docstring for the full rules; an unknown kind or direction, or a negative
    count, raises ValueError. The result is never negative.
    """
    kind = TouchKind(kind)
    direction = Direction(direction)
    if scored_touches_same_customer_last_7_days < 0:
        raise ValueError("scored_touches_same_customer_last_7_days must not be negative")
    if direction is Direction.in_:
        base, bonus, reason = INBOUND_POINTS, 0, Reason.inbound
    else:
        used = {TouchKind(k) for k in customer_kinds_last_90_days}
        base = BASE_POINTS[kind]
        bonus = 0 if kind in used else VARIETY_BONUS
        reason = Reason.variety if bonus else Reason.base
    if scored_touches_same_customer_last_7_days >= CAP_TOUCHES:
        return Score(points=0, base=base, variety_bonus=bonus, capped=True, reason=Reason.cap)
    return Score(points=base + bonus, base=base, variety_bonus=bonus, capped=False, reason=reason)


def cap_window(day: date) -> tuple[date, date]:
    """Return the inclusive local days ``(day - 6, day)`` whose scored touches count for the cap."""
    return day - timedelta(days=CAP_WINDOW_DAYS - 1), day


def variety_window(day: date) -> tuple[date, date]:
    """Return the inclusive local days ``(day - 89, day)`` whose kinds count as already used."""
    return day - timedelta(days=VARIETY_WINDOW_DAYS - 1), day


def entry_for(touch_id: int, result: Score) -> LedgerEntry:
    """Return the ledger entry that records *result* for the touch *touch_id*."""
    return LedgerEntry(touch_id=touch_id, points=result.points, reason=result.reason)


def reversal(entry: LedgerEntry) -> LedgerEntry:
    """Return the entry that undoes a stored *entry* (same touch, negated points).

    The entry must be stored (have an ``id``) and must not itself be a reversal: a deleted
    touch is reversed once, and a restore appends a new ``entry_for`` instead of reversing a
    reversal. Either mistake raises ValueError.
    """
    if entry.id is None:
        raise ValueError("only a stored ledger entry (with an id) can be reversed")
    if entry.reason is Reason.reversal or entry.reversal_of is not None:
        raise ValueError("a reversal is never reversed; append a fresh entry instead")
    return LedgerEntry(
        touch_id=entry.touch_id, points=-entry.points, reason=Reason.reversal, reversal_of=entry.id
    )


def balance(entries: Iterable[LedgerEntry]) -> int:
    """Return the sum of the *entries*' points (a total, a day's or a week's)."""
    return sum(e.points for e in entries)
