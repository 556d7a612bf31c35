"""The rep's local day (DESIGN.md "Local day"): zones, daylight saving, day start hour."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import clock
from app.streaks import summarize

UTC = timezone.utc
MICROSECOND = timedelta(microseconds=1)


def utc(*args: int) -> datetime:
    """Return an aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)


# Each instant is given in UTC, with its local wall-clock reading in the comment.
@pytest.mark.parametrize(
    ("instant", "tz", "expected"),
    [
        # Pacific/Auckland, winter +12:00 and summer +13:00
        (utc(2024, 7, 10, 11, 30), "Pacific/Auckland", date(2024, 7, 10)),  # Wed 23:30
        (utc(2024, 7, 10, 13, 30), "Pacific/Auckland", date(2024, 7, 10)),  # Thu 01:30
        (utc(2024, 7, 10, 15, 0), "Pacific/Auckland", date(2024, 7, 11)),  # Thu 03:00
        (utc(2024, 1, 15, 10, 30), "Pacific/Auckland", date(2024, 1, 15)),  # Mon 23:30
        (utc(2024, 1, 15, 12, 30), "Pacific/Auckland", date(2024, 1, 15)),  # Tue 01:30
        # America/Los_Angeles, -08:00 in January
        (utc(2024, 1, 16, 7, 30), "America/Los_Angeles", date(2024, 1, 15)),  # Mon 23:30
        (utc(2024, 1, 16, 9, 30), "America/Los_Angeles", date(2024, 1, 15)),  # Tue 01:30
        (utc(2024, 1, 16, 11, 0), "America/Los_Angeles", date(2024, 1, 16)),  # Tue 03:00
        # Asia/Kolkata, +05:30
        (utc(2024, 3, 5, 18, 0), "Asia/Kolkata", date(2024, 3, 5)),  # Tue 23:30
        (utc(2024, 3, 5, 20, 0), "Asia/Kolkata", date(2024, 3, 5)),  # Wed 01:30
        (utc(2024, 3, 5, 21, 29, 59), "Asia/Kolkata", date(2024, 3, 5)),  # Wed 02:59:59
        (utc(2024, 3, 5, 21, 30), "Asia/Kolkata", date(2024, 3, 6)),  # Wed 03:00
        # Pacific/Chatham, +12:45 in July
        (utc(2024, 7, 10, 10, 45), "Pacific/Chatham", date(2024, 7, 10)),  # Wed 23:30
        (utc(2024, 7, 10, 12, 45), "Pacific/Chatham", date(2024, 7, 10)),  # Thu 01:30
        (utc(2024, 7, 10, 14, 14, 59), "Pacific/Chatham", date(2024, 7, 10)),  # Thu 02:59:59
        (utc(2024, 7, 10, 14, 15), "Pacific/Chatham", date(2024, 7, 11)),  # Thu 03:00
        # Pacific/Kiritimati, +14:00: the local day runs ahead of the UTC date
        (utc(2024, 5, 1, 9, 30), "Pacific/Kiritimati", date(2024, 5, 1)),  # Wed 23:30
        (utc(2024, 5, 1, 11, 30), "Pacific/Kiritimati", date(2024, 5, 1)),  # Thu 01:30
        (utc(2024, 5, 1, 13, 0), "Pacific/Kiritimati", date(2024, 5, 2)),  # Thu 03:00
    ],
)
def test_touch_at_0130_counts_for_the_evening_before(instant, tz, expected):
    assert clock.local_day(instant, tz) == expected


@pytest.mark.parametrize(
    ("tz", "expected"),
    [
        ("Pacific/Kiritimati", date(2024, 5, 2)),  # Thu 03:00 +14
        ("Pacific/Auckland", date(2024, 5, 1)),  # Thu 01:00 +12, the evening before
        ("Asia/Kolkata", date(2024, 5, 1)),  # Wed 18:30
        ("Europe/Zurich", date(2024, 5, 1)),  # Wed 15:00
        ("America/Los_Angeles", date(2024, 5, 1)),  # Wed 06:00
    ],
)
def test_same_instant_is_a_different_day_in_different_zones(tz, expected):
    assert clock.local_day(utc(2024, 5, 1, 13, 0), tz) == expected


@pytest.mark.parametrize(
    ("instant", "tz", "day_start_hour", "expected"),
    [
        # Europe/Zurich, 31 Mar 2024: 02:00 CET jumps to 03:00 CEST at 01:00Z
        (utc(2024, 3, 31, 0, 30), "Europe/Zurich", 3, date(2024, 3, 30)),  # 01:30 CET
        (utc(2024, 3, 31, 0, 59, 59), "Europe/Zurich", 3, date(2024, 3, 30)),  # 01:59:59 CET
        (utc(2024, 3, 31, 1, 0), "Europe/Zurich", 3, date(2024, 3, 31)),  # 03:00 CEST
        (utc(2024, 3, 31, 0, 59, 59), "Europe/Zurich", 2, date(2024, 3, 30)),  # start in the gap
        (utc(2024, 3, 31, 1, 0), "Europe/Zurich", 2, date(2024, 3, 31)),
        # Europe/Zurich, 27 Oct 2024: 03:00 CEST falls back to 02:00 CET at 01:00Z
        (utc(2024, 10, 27, 0, 30), "Europe/Zurich", 3, date(2024, 10, 26)),  # 02:30 CEST
        (utc(2024, 10, 27, 1, 30), "Europe/Zurich", 3, date(2024, 10, 26)),  # 02:30 CET (again)
        (utc(2024, 10, 27, 1, 59, 59), "Europe/Zurich", 3, date(2024, 10, 26)),  # 02:59:59 CET
        (utc(2024, 10, 27, 2, 0), "Europe/Zurich", 3, date(2024, 10, 27)),  # 03:00 CET
        (utc(2024, 10, 27, 0, 30), "Europe/Zurich", 2, date(2024, 10, 27)),  # 02:30 CEST
        (utc(2024, 10, 27, 1, 30), "Europe/Zurich", 2, date(2024, 10, 27)),  # 02:30 CET
        # America/New_York, 10 Mar 2024: 02:00 EST jumps to 03:00 EDT at 07:00Z
        (utc(2024, 3, 10, 6, 30), "America/New_York", 3, date(2024, 3, 9)),  # 01:30 EST
        (utc(2024, 3, 10, 6, 59, 59), "America/New_York", 3, date(2024, 3, 9)),  # 01:59:59 EST
        (utc(2024, 3, 10, 7, 0), "America/New_York", 3, date(2024, 3, 10)),  # 03:00 EDT
        (utc(2024, 3, 10, 4, 59, 59), "America/New_York", 0, date(2024, 3, 9)),  # 23:59:59 EST
        (utc(2024, 3, 10, 5, 0), "America/New_York", 0, date(2024, 3, 10)),  # 00:00 EST
        # America/New_York, 3 Nov 2024: 02:00 EDT falls back to 01:00 EST at 06:00Z
        (utc(2024, 11, 3, 5, 30), "America/New_York", 3, date(2024, 11, 2)),  # 01:30 EDT
        (utc(2024, 11, 3, 6, 30), "America/New_York", 3, date(2024, 11, 2)),  # 01:30 EST (again)
        (utc(2024, 11, 3, 7, 59, 59), "America/New_York", 3, date(2024, 11, 2)),  # 02:59:59 EST
        (utc(2024, 11, 3, 8, 0), "America/New_York", 3, date(2024, 11, 3)),  # 03:00 EST
        (utc(2024, 11, 3, 4, 59, 59), "America/New_York", 1, date(2024, 11, 2)),  # 00:59:59 EDT
        (utc(2024, 11, 3, 5, 0), "America/New_York", 1, date(2024, 11, 3)),  # 01:00 EDT
        (utc(2024, 11, 3, 6, 0), "America/New_York", 1, date(2024, 11, 3)),  # 01:00 EST (again)
    ],
)
def test_daylight_saving_days_subtract_wall_clock_hours(instant, tz, day_start_hour, expected):
    assert clock.local_day(instant, tz, day_start_hour) == expected


@pytest.mark.parametrize(
    ("wall", "fold", "tz", "expected"),
    [
        (datetime(2024, 10, 27, 2, 30), 0, "Europe/Zurich", date(2024, 10, 26)),
        (datetime(2024, 10, 27, 2, 30), 1, "Europe/Zurich", date(2024, 10, 26)),
        (datetime(2024, 11, 3, 1, 30), 0, "America/New_York", date(2024, 11, 2)),
        (datetime(2024, 11, 3, 1, 30), 1, "America/New_York", date(2024, 11, 2)),
    ],
)
def test_touch_in_the_repeated_hour_counts_by_its_wall_clock_time(wall, fold, tz, expected):
    instant = wall.replace(tzinfo=ZoneInfo(tz), fold=fold)
    assert clock.local_day(instant, tz) == expected


@pytest.mark.parametrize(
    ("instant", "tz", "day_start_hour", "expected"),
    [
        (utc(2024, 1, 16, 9, 30), "America/Los_Angeles", 0, date(2024, 1, 16)),  # 01:30
        (utc(2024, 1, 16, 7, 59, 59), "America/Los_Angeles", 0, date(2024, 1, 15)),  # 23:59:59
        (utc(2024, 1, 16, 8, 0), "America/Los_Angeles", 0, date(2024, 1, 16)),  # 00:00
        (utc(2024, 6, 12, 2, 59, 59), "Europe/Zurich", 5, date(2024, 6, 11)),  # 04:59:59 CEST
        (utc(2024, 6, 12, 3, 0), "Europe/Zurich", 5, date(2024, 6, 12)),  # 05:00 CEST
        (utc(2024, 6, 12, 1, 30), "Europe/Zurich", 5, date(2024, 6, 11)),  # 03:30 CEST
        (utc(2024, 6, 12, 1, 30), "Europe/Zurich", 3, date(2024, 6, 12)),  # 03:30 CEST
        (utc(2024, 6, 12, 0, 0), "UTC", 0, date(2024, 6, 12)),
        (utc(2024, 6, 12, 22, 59, 59), "UTC", 23, date(2024, 6, 11)),
        (utc(2024, 6, 12, 23, 0), "UTC", 23, date(2024, 6, 12)),
    ],
)
def test_day_starts_at_day_start_hour(instant, tz, day_start_hour, expected):
    assert clock.local_day(instant, tz, day_start_hour) == expected


@pytest.mark.parametrize(
    "instant",
    [
        datetime(2024, 6, 12, 1, 30, tzinfo=timezone(timedelta(hours=-7))),
        datetime(2024, 6, 12, 10, 30, tzinfo=timezone(timedelta(hours=2))),
        datetime(2024, 6, 12, 8, 30, tzinfo=UTC),
        datetime(2024, 6, 12, 10, 30, tzinfo=ZoneInfo("Europe/Zurich")),
    ],
)
def test_local_day_depends_on_the_instant_not_on_its_offset(instant):
    # All four are 08:30Z, i.e. 10:30 in Zurich.
    assert clock.local_day(instant, "Europe/Zurich") == date(2024, 6, 12)


@pytest.mark.parametrize(
    "instant",
    [datetime(2024, 6, 12, 10, 30), datetime(2024, 6, 12), date(2024, 6, 12), "2024-06-12T10:30Z"],
)
def test_naive_datetime_is_rejected(instant):
    with pytest.raises(ValueError):
        clock.local_day(instant, "Europe/Zurich")


@pytest.mark.parametrize("day_start_hour", [-1, 24, 3.5, "3", None, True])
def test_invalid_day_start_hour_is_rejected(day_start_hour):
    with pytest.raises(ValueError):
        clock.local_day(utc(2024, 6, 12, 10), "Europe/Zurich", day_start_hour)
    with pytest.raises(ValueError):
        clock.day_bounds(date(2024, 6, 12), "Europe/Zurich", day_start_hour)


@pytest.mark.parametrize("tz", ["Mars/Olympus_Mons", "", "Europe/Zurich ", "CEST", None, "../etc/passwd"])
def test_unknown_zone_is_rejected(tz):
    assert not clock.is_valid_zone(tz)
    with pytest.raises(ValueError):
        clock.local_day(utc(2024, 6, 12, 10), tz)


# A rep in Zurich logs Mon-Wed, flies to Los Angeles on Thursday and switches zones; the
# touches' days were computed when written, with the zone of that moment.
TRAVEL_TOUCHES = [
    (utc(2024, 6, 10, 7, 0), "Europe/Zurich"),  # Mon 09:00 CEST
    (utc(2024, 6, 11, 7, 0), "Europe/Zurich"),  # Tue 09:00 CEST
    (utc(2024, 6, 12, 7, 0), "Europe/Zurich"),  # Wed 09:00 CEST
    (utc(2024, 6, 14, 3, 0), "America/Los_Angeles"),  # Thu 20:00 PDT = Fri 05:00 CEST
    (utc(2024, 6, 15, 3, 0), "America/Los_Angeles"),  # Fri 20:00 PDT = Sat 05:00 CEST
]


def test_rep_who_changes_time_zone_keeps_the_days_written_at_the_time():
    days = [clock.local_day(instant, tz) for instant, tz in TRAVEL_TOUCHES]
    assert days == [date(2024, 6, d) for d in (10, 11, 12, 13, 14)]
    summary = summarize(days, today=date(2024, 6, 14))
    assert (summary.current, summary.longest, summary.frozen_days) == (5, 5, ())


@pytest.mark.parametrize(
    ("zone_now", "expected_days", "expected_current"),
    [
        # Recomputing the whole history in one zone would move it, which is why days are kept:
        # in Zurich, Thursday disappears and the streak on Friday is broken; in Los Angeles,
        # Monday-Wednesday slide onto Sunday-Tuesday and Wednesday is a missed workday.
        ("Europe/Zurich", [date(2024, 6, d) for d in (10, 11, 12, 14, 15)], 1),
        ("America/Los_Angeles", [date(2024, 6, d) for d in (9, 10, 11, 13, 14)], 2),
    ],
)
def test_recomputing_history_in_the_new_zone_would_move_it(zone_now, expected_days, expected_current):
    days = [clock.local_day(instant, zone_now) for instant, _ in TRAVEL_TOUCHES]
    assert days == expected_days
    assert summarize(days, today=date(2024, 6, 14)).current == expected_current


def test_rep_flying_west_logs_one_local_day_twice():
    # Thursday 20:00 in Auckland, then Thursday 20:00 again in Los Angeles after the flight.
    days = [
        clock.local_day(utc(2024, 6, 13, 8, 0), "Pacific/Auckland"),
        clock.local_day(utc(2024, 6, 14, 3, 0), "America/Los_Angeles"),
    ]
    assert days == [date(2024, 6, 13), date(2024, 6, 13)]
    assert summarize(days, today=date(2024, 6, 13)).current == 1


@pytest.mark.parametrize(
    ("day", "tz", "day_start_hour", "start", "end"),
    [
        (date(2024, 6, 12), "Europe/Zurich", 3, utc(2024, 6, 12, 1), utc(2024, 6, 13, 1)),
        (date(2024, 6, 12), "Asia/Kolkata", 0, utc(2024, 6, 11, 18, 30), utc(2024, 6, 12, 18, 30)),
        # 23-hour and 25-hour days
        (date(2024, 3, 30), "Europe/Zurich", 3, utc(2024, 3, 30, 2), utc(2024, 3, 31, 1)),
        (date(2024, 10, 26), "Europe/Zurich", 3, utc(2024, 10, 26, 1), utc(2024, 10, 27, 2)),
        (date(2024, 3, 9), "America/New_York", 3, utc(2024, 3, 9, 8), utc(2024, 3, 10, 7)),
        (date(2024, 11, 2), "America/New_York", 3, utc(2024, 11, 2, 7), utc(2024, 11, 3, 8)),
        # a day start in the repeated hour begins at its first occurrence
        (date(2024, 11, 3), "America/New_York", 1, utc(2024, 11, 3, 5), utc(2024, 11, 4, 6)),
        # a day start in the skipped hour begins at the jump
        (date(2024, 3, 31), "Europe/Zurich", 2, utc(2024, 3, 31, 1), utc(2024, 4, 1, 0)),
        (date(2024, 3, 10), "America/New_York", 2, utc(2024, 3, 10, 7), utc(2024, 3, 11, 6)),
        # St John's jumped from 00:01 to 01:01, so 01:00 never happened
        (date(2007, 3, 11), "America/St_Johns", 1, utc(2007, 3, 11, 3, 31), utc(2007, 3, 12, 3, 30)),
        (date(2007, 3, 10), "America/St_Johns", 1, utc(2007, 3, 10, 4, 30), utc(2007, 3, 11, 3, 31)),
        # Troll jumps two hours, from 01:00 to 03:00
        (date(2024, 3, 31), "Antarctica/Troll", 2, utc(2024, 3, 31, 1), utc(2024, 4, 1, 0)),
        (date(2024, 3, 30), "Antarctica/Troll", 2, utc(2024, 3, 30, 2), utc(2024, 3, 31, 1)),
        # Samoa skipped 30 Dec 2011; only its hours before the next day start remain
        (date(2011, 12, 30), "Pacific/Apia", 3, utc(2011, 12, 30, 10), utc(2011, 12, 30, 13)),
    ],
)
def test_day_bounds_span_the_local_day(day, tz, day_start_hour, start, end):
    assert clock.day_bounds(day, tz, day_start_hour) == (start, end)
    assert clock.local_day(start, tz, day_start_hour) == day
    assert clock.local_day(end - MICROSECOND, tz, day_start_hour) == day
    assert clock.local_day(start - MICROSECOND, tz, day_start_hour) == day - timedelta(days=1)
    assert clock.local_day(end, tz, day_start_hour) == day + timedelta(days=1)


DST_DAYS = [
    ("Europe/Zurich", date(2024, 3, 31)),
    ("Europe/Zurich", date(2024, 10, 27)),
    ("America/New_York", date(2024, 3, 10)),
    ("America/New_York", date(2024, 11, 3)),
    ("Pacific/Auckland", date(2024, 4, 7)),
    ("Pacific/Auckland", date(2024, 9, 29)),
    ("Pacific/Chatham", date(2024, 4, 7)),
    ("Pacific/Chatham", date(2024, 9, 29)),
    ("Australia/Lord_Howe", date(2024, 4, 7)),
    ("Australia/Lord_Howe", date(2024, 10, 6)),
    ("America/St_Johns", date(2007, 3, 11)),
    ("Antarctica/Troll", date(2024, 3, 31)),
    ("Asia/Kolkata", date(2024, 3, 31)),
    ("Pacific/Kiritimati", date(2024, 3, 31)),
]


@settings(max_examples=150, deadline=None)
@given(
    place=st.sampled_from(DST_DAYS),
    shift=st.integers(min_value=-1, max_value=1),
    day_start_hour=st.integers(min_value=0, max_value=23),
)
def test_day_bounds_round_trip_with_local_day(place, shift, day_start_hour):
    tz, dst_day = place
    day = dst_day + timedelta(days=shift)
    start, end = clock.day_bounds(day, tz, day_start_hour)
    assert start.tzinfo is UTC and end.tzinfo is UTC
    assert timedelta(hours=21) <= end - start <= timedelta(hours=27)
    assert clock.local_day(start, tz, day_start_hour) == day
    assert clock.local_day(end - MICROSECOND, tz, day_start_hour) == day
    assert clock.local_day(start - MICROSECOND, tz, day_start_hour) == day - timedelta(days=1)
    # Consecutive days tile time without gaps or overlaps.
    assert clock.day_bounds(day + timedelta(days=1), tz, day_start_hour)[0] == end


@settings(max_examples=150, deadline=None)
@given(
    instant=st.datetimes(datetime(2000, 1, 1), datetime(2037, 12, 31), timezones=st.just(UTC)),
    # Not Troll: its two-hour fall-back makes a day with a start inside the fold two spans.
    tz=st.sampled_from(sorted({tz for tz, _ in DST_DAYS if tz != "Antarctica/Troll"} | {"UTC"})),
    day_start_hour=st.integers(min_value=0, max_value=23),
)
def test_every_instant_lies_within_the_bounds_of_its_local_day(instant, tz, day_start_hour):
    day = clock.local_day(instant, tz, day_start_hour)
    start, end = clock.day_bounds(day, tz, day_start_hour)
    assert start <= instant < end
    local = instant.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    assert day in {local.date(), local.date() - timedelta(days=1)}
