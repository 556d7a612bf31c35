"""Time: the only module that reads the clock, and the rep's *local day*.

Everything else receives ``now`` (an aware UTC datetime) or ``today`` (a date) as an argument.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

UTC = timezone.utc


def now() -> datetime:
    """Return the current instant as an aware UTC datetime."""
    return datetime.now(UTC)


@lru_cache(maxsize=512)
def zone(tz: str) -> ZoneInfo:
    """Return the IANA zone *tz*; raise ValueError for an unknown name."""
    if not isinstance(tz, str) or not tz or tz not in all_zones():
        raise ValueError(f"unknown time zone: {tz!r}")
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # pragma: no cover - guarded above
        raise ValueError(f"unknown time zone: {tz!r}") from exc


@lru_cache(maxsize=1)
def all_zones() -> frozenset[str]:
    """Return every IANA zone name this machine knows."""
    return frozenset(available_timezones())


def is_valid_zone(tz: str) -> bool:
    """Tell whether *tz* is a known IANA zone name."""
    return isinstance(tz, str) and tz in all_zones()


def require_aware(instant: datetime) -> datetime:
    """Return *instant* in UTC; reject naive datetimes with ValueError."""
    if instant.tzinfo is None or instant.tzinfo.utcoffset(instant) is None:
        raise ValueError("naive datetime: an aware instant is required")
    return instant.astimezone(UTC)


def local_day(instant: datetime, tz: str, day_start_hour: int = 3) -> date:
    """Return the rep's calendar day of an aware *instant*.

    Convert to the IANA zone *tz*, subtract *day_start_hour* hours of wall-clock time and take
    the date, so a touch at 01:30 local time counts for the evening before (with the default 3).
    Subtracting wall-clock hours (not elapsed hours) keeps the rule exact on daylight-saving
    days: 02:30 on a repeated hour is still before a 03:00 day start.
    """
    if not 0 <= day_start_hour <= 23:
        raise ValueError("day_start_hour must be between 0 and 23")
    local = require_aware(instant).astimezone(zone(tz))
    wall = local.replace(tzinfo=None) - timedelta(hours=day_start_hour)
    return wall.date()


def local_now(instant: datetime, tz: str) -> datetime:
    """Return *instant* as a wall-clock datetime in *tz* (aware, in that zone)."""
    return require_aware(instant).astimezone(zone(tz))


def day_bounds(day: date, tz: str, day_start_hour: int = 3) -> tuple[datetime, datetime]:
    """Return the UTC instants ``[start, end)`` of the rep's local *day*."""
    start_wall = datetime(day.year, day.month, day.day, day_start_hour)
    end_wall = start_wall + timedelta(days=1)
    z = zone(tz)
    return (
        start_wall.replace(tzinfo=z).astimezone(UTC),
        end_wall.replace(tzinfo=z).astimezone(UTC),
    )
