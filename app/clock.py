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


# Files in the zoneinfo folder that are no zone a person lives in. ``Factory`` and ``localtime``
# are also unknown to pytz, which Babel uses to format times: a user set to one of them could
# not open a page that shows a time.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@lru_cache(maxsize=1)
def all_zones() -> frozenset[str]:
    """Return every IANA zone a person can live in that this machine knows."""
    return frozenset(available_timezones()) - _NOT_ZONES


@lru_cache(maxsize=1)
def zone_choices() -> list[str]:
    """Return every IANA zone a person can live in, sorted, for a time zone picker."""
    return sorted(all_zones())


def is_valid_zone(tz: str) -> bool:
    """Tell whether *tz* is a known IANA zone a person can live in (``all_zones``)."""
    return isinstance(tz, str) and tz in all_zones()


def require_aware(instant: datetime) -> datetime:
    """Return *instant* in UTC; reject naive datetimes (and non-datetimes) with ValueError."""
    if not isinstance(instant, datetime):
        raise ValueError(f"an aware datetime is required, not {instant!r}")
    if instant.tzinfo is None or instant.tzinfo.utcoffset(instant) is None:
        raise ValueError("naive datetime: an aware instant is required")
    return instant.astimezone(UTC)


def local_day(instant: datetime, tz: str, day_start_hour: int = 3) -> date:
    """Return the rep's calendar day of an aware *instant*.

    Convert to the IANA zone *tz*, subtract *day_start_hour* hours of wall-clock time and take
    the date. With the default 3, a touch at 01:30 local time counts for the evening before and
    one at 03:00 for the new day; with 0 the day is the plain calendar date.

    Edge cases:
    - wall-clock hours, not elapsed hours, are subtracted, so daylight-saving days stay exact:
      a touch in a repeated hour (either occurrence) reads its wall time, and the skipped hour
      simply never occurs;
    - the zone is the rep's zone *when the touch is written*; the stored day never moves later;
    - naive datetimes, unknown zones and a *day_start_hour* outside 0..23 (or not a whole
      number) raise ValueError.
    """
    _check_day_start_hour(day_start_hour)
    local = require_aware(instant).astimezone(zone(tz))
    wall = local.replace(tzinfo=None) - timedelta(hours=day_start_hour)
    return wall.date()


def local_now(instant: datetime, tz: str) -> datetime:
    """Return *instant* as a wall-clock datetime in *tz* (aware, in that zone)."""
    return require_aware(instant).astimezone(zone(tz))


def day_bounds(day: date, tz: str, day_start_hour: int = 3) -> tuple[datetime, datetime]:
    """Return the UTC instants ``[start, end)`` of the rep's local *day*.

    ``start`` is the first instant whose wall-clock time in *tz* reaches *day_start_hour* on
    *day*, ``end`` the same on the next day, so ``local_day(start) == day`` and
    ``local_day(end - 1µs) == day``. On daylight-saving days the span is 23 or 25 hours. When the
    day start falls in a skipped hour (01:00 in St John's on 11 Mar 2007, when clocks jumped
    from 00:01 to 01:01), the day starts at the jump itself; in a repeated hour, at its first occurrence. Of a calendar
    day a zone skipped entirely (Pacific/Apia, 30 Dec 2011) only the hours before the next
    day start remain, and with a day start of 0 the span is empty (``start == end``).
    """
    _check_day_start_hour(day_start_hour)
    z = zone(tz)
    start_wall = datetime(day.year, day.month, day.day, day_start_hour)
    return _first_instant_at(start_wall, z), _first_instant_at(start_wall + timedelta(days=1), z)


def _first_instant_at(wall: datetime, z: ZoneInfo) -> datetime:
    """Return the first UTC instant whose wall-clock time in *z* is *wall* or later."""
    # fold=0 reads a repeated wall time as its first occurrence, which is what we want.
    first = wall.replace(tzinfo=z, fold=0).astimezone(UTC)
    if first.astimezone(z).replace(tzinfo=None) == wall:
        return first
    # *wall* lies in a gap: fold=1 lands before the transition, fold=0 after it, and the
    # transition is the answer. tzdata transitions fall on whole seconds, so bisect seconds.
    before = wall.replace(tzinfo=z, fold=1).astimezone(UTC)
    after = first
    second = timedelta(seconds=1)
    while after - before > second:
        middle = before + (after - before) // second // 2 * second
        if middle.astimezone(z).replace(tzinfo=None) >= wall:
            after = middle
        else:
            before = middle
    return after


def _check_day_start_hour(day_start_hour: int) -> None:
    if (
        not isinstance(day_start_hour, int)
        or isinstance(day_start_hour, bool)
        or not 0 <= day_start_hour <= 23
    ):
        raise ValueError(f"day_start_hour must be a whole hour from 0 to 23, not {day_start_hour!r}")
