"""Customer warmth: how long a customer has gone without news, against their cadence."""

from __future__ import annotations

import math
from datetime import date
from enum import StrEnum

TIER_CADENCE = {"A": 7, "B": 14, "C": 30}
MIN_CADENCE = 1
MAX_CADENCE = 365


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


def status(
    *,
    last_touch_day: date | None,
    created_day: date,
    today: date,
    cadence_days: int,
    paused_until: date | None = None,
) -> Warmth:
    """Return the warmth of a customer on *today*.

    - ``paused`` while *paused_until* is on or after *today*;
    - ``days = today - (last_touch_day or created_day)``;
    - ``quiet`` when ``days > cadence_days``;
    - ``warming`` when ``days >= ceil(0.7 * cadence_days)``;
    - otherwise ``green``.
    Any touch counts, outgoing or incoming; deleted touches are not passed in.
    """
    if cadence_days < MIN_CADENCE:
        raise ValueError("cadence_days must be at least 1")
    if paused_until is not None and paused_until >= today:
        return Warmth.paused
    days = days_since(last_touch_day=last_touch_day, created_day=created_day, today=today)
    if days > cadence_days:
        return Warmth.quiet
    if days >= math.ceil(0.7 * cadence_days):
        return Warmth.warming
    return Warmth.green


def urgency(*, last_touch_day: date | None, created_day: date, today: date, cadence_days: int) -> float:
    """Return ``days / cadence_days``, the ranking key for *whom to touch today*."""
    days = days_since(last_touch_day=last_touch_day, created_day=created_day, today=today)
    return days / cadence_days
