"""Customer warmth: how long a customer has gone without news, against their cadence."""

from __future__ import annotations

import math
from datetime import date
from enum import StrEnum
from fractions import Fraction

TIER_CADENCE = {"A": 7, "B": 14, "C": 30}
MIN_CADENCE = 1
MAX_CADENCE = 365
WARMING_SHARE = Fraction(7, 10)


class Warmth(StrEnum):
    """Warmth of a customer relationship."""

    green = "green"
    warming = "warming"
    quiet = "quiet"
    paused = "paused"


def default_cadence(tier: str) -> int:
    """Return the default cadence in days for a tier (A = 7, B = 14, C = 30)."""
    return TIER_CADENCE[tier]


def days_since(*, last_touch_day: date | None, created_day: date, today: date) -> int:
    """Return the days since the last touch, or since the customer was created."""
    return (today - (last_touch_day or created_day)).days


def warming_after(cadence_days: int | float) -> int:
    """Return the first day count that is ``warming``: ``ceil(0.7 * cadence_days)``."""
    _check_cadence(cadence_days)
    # Exact arithmetic: 0.7 is not a binary float, and a threshold off by one day is a bug.
    return math.ceil(WARMING_SHARE * Fraction(cadence_days))


def status(
    *,
    last_touch_day: date | None,
    created_day: date,
    today: date,
    cadence_days: int,
    paused_until: date | None = None,
) -> Warmth:
    """Return the warmth of a customer on *today*.

    - ``paused`` while *paused_until* is on or after *today* (so still on that very day, and
      no longer the day after), whatever the days since the last touch;
    - ``days = today - (last_touch_day or created_day)``; a new customer's clock starts on
      the day it was created;
    - ``quiet`` when ``days > cadence_days`` (on day ``cadence_days`` itself it is not yet
      quiet);
    - ``warming`` when ``days >= ceil(0.7 * cadence_days)``, computed exactly: 7 → 5, 14 → 10,
      30 → 21, 1 → 1 (a daily customer is warming the day after a touch), 365 → 256;
    - otherwise ``green`` (including a touch logged today, ``days == 0``).
    Any touch counts, outgoing or incoming; deleted touches are not passed in. A cadence below
    1 raises ValueError; crisis mode may pass a shortened, fractional cadence.
    """
    threshold = warming_after(cadence_days)
    if paused_until is not None and paused_until >= today:
        return Warmth.paused
    days = days_since(last_touch_day=last_touch_day, created_day=created_day, today=today)
    if days > cadence_days:
        return Warmth.quiet
    if days >= threshold:
        return Warmth.warming
    return Warmth.green


def urgency(*, last_touch_day: date | None, created_day: date, today: date, cadence_days: int) -> float:
    """Return ``days / cadence_days``, the ranking key for *whom to touch today*."""
    _check_cadence(cadence_days)
    days = days_since(last_touch_day=last_touch_day, created_day=created_day, today=today)
    return days / cadence_days


def _check_cadence(cadence_days: int | float) -> None:
    if isinstance(cadence_days, bool) or not cadence_days >= MIN_CADENCE:
        raise ValueError(f"cadence_days must be at least {MIN_CADENCE}, not {cadence_days!r}")
