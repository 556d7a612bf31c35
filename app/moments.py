"""Moments worth a celebration when a touch is logged: a streak milestone, the daily goal reached.

Pure: computed from the rep's state just before and just after the touch; reads no clock and no
database.

- A **streak milestone** is one of ``MILESTONES`` (days in a row). A touch reaches it when the
  streak before the touch was below it and the streak after is at or above it (a backfill that
  closes a gap can jump several: the highest one counts). A touch for a day that already had a
  touch earlier — even one taken back since (undo, then log again) — reaches none: that day's
  step was celebrated by its first touch.
- The **daily goal** is reached by the touch that makes today's count (touches that count for
  today, not deleted) reach the goal for the *first time today*. "First time" is judged by the
  most touches that were alive at any one instant today before this one (the *peak*): after an
  undo and a new touch the count reaches the goal again, but the peak already had.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

MILESTONES = (3, 7, 14, 21, 30, 50, 75, 100, 150, 200, 365)

Span = tuple[datetime, datetime | None]  # a touch's (created_at, deleted_at or None)


@dataclass(frozen=True)
class Moments:
    """What one touch reached: ``streak`` (the milestone's days) and ``goal`` (the daily goal), each or None."""

    streak: int | None = None
    goal: int | None = None

    def __bool__(self) -> bool:
        return self.streak is not None or self.goal is not None


def milestone_between(before: int, after: int) -> int | None:
    """Return the highest milestone with ``before < m <= after``, else None."""
    reached = [m for m in MILESTONES if before < m <= after]
    return reached[-1] if reached else None


def peak(spans: Iterable[Span]) -> int:
    """Return the most of *spans* alive at one instant (a span is alive from created_at until deleted_at).

    A touch deleted at the very instant another is created counts as overlapping it: in a tie
    the rule leans towards "already reached", so that nothing is celebrated twice.
    """
    events: list[tuple[datetime, int]] = []
    for created, deleted in spans:
        events.append((created, 1))
        if deleted is not None:
            events.append((deleted, -1))
    # At the same instant, a creation counts before a deletion.
    events.sort(key=lambda e: (e[0], -e[1]))
    alive = best = 0
    for _when, step in events:
        alive += step
        best = max(best, alive)
    return best


def detect(*, streak_before: int, streak_after: int, earlier: Iterable[Span], goal: int,
           counts_for_today: bool) -> Moments:
    """Return the moments a touch reached.

    *earlier*: the spans of the rep's other touches on the touch's local day, deleted ones
    included. *counts_for_today*: the touch is for the rep's today (a backfill reaches no daily
    goal). *goal*: the rep's daily goal (0 or less: no goal).
    """
    spans = list(earlier)
    had_touch = peak(spans) if spans else 0
    alive = sum(1 for _created, deleted in spans if deleted is None)
    streak = None if had_touch else milestone_between(streak_before, streak_after)
    reached_goal = None
    if counts_for_today and goal > 0 and had_touch < goal <= alive + 1:
        reached_goal = goal
    return Moments(streak=streak, goal=reached_goal)
