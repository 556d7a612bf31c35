"""Away periods against a real session: validation, overlap, 404s, and the kept streak staying exact."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app import streaks
from app.models import AwayPeriod, StreakState, TeamHoliday, Touch
from app.operations import Invalid, NotFound, away, streak_state
from app.operations.touches import log_touch
from app.queries import streak as streak_q

UTC = timezone.utc
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # Friday; 11:00 in Berlin
TODAY = date(2026, 11, 27)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def from_scratch(session, user, today: date) -> streaks.StreakSummary:
    """Summarise the streak straight from the tables, as DESIGN.md states the rule."""
    rows = session.execute(
        select(Touch.local_day, Touch.rescue).where(Touch.user_id == user.id, Touch.deleted_at.is_(None))
    ).all()
    ranges = list(session.execute(select(AwayPeriod.first_day, AwayPeriod.last_day).where(AwayPeriod.user_id == user.id)))
    if user.team_id is not None:
        ranges += list(session.execute(
            select(TeamHoliday.first_day, TeamHoliday.last_day).where(TeamHoliday.team_id == user.team_id)
        ))
    return streaks.summarize(
        {day for day, _ in rows},
        today=today,
        workdays=user.workday_set,
        away=[tuple(r) for r in ranges],
        bonus_freeze_days={day for day, rescue in rows if rescue},
    )


def assert_consistent(session, user, now: datetime = NOW) -> streaks.StreakSummary:
    """The kept checkpoint equals a rebuild, and the shown streak equals one computed from scratch."""
    _count, differences = streak_state.rebuild_all(session, now=now, check=True)
    assert differences == []
    today = user.today(now)
    shown = streak_q.summary(session, user, today=today)
    assert shown == from_scratch(session, user, today)
    return shown


def period(first: date | str, last: date | str, reason: str = "vacation", note: str = "") -> dict:
    return {"first_day": str(first), "last_day": str(last), "reason": reason, "note": note}


@pytest.fixture
def rep(make_user):
    return make_user(timezone="Europe/Berlin")


def log_workdays(session, user, customer, first: date, last: date) -> None:
    """Log a touch on every workday from *first* to *last*, each on its own day (as it happened)."""
    day = first
    while day <= last:
        if day.weekday() < 5:
            log_touch(session, user=user, customer_id=customer.id, kind="call", now=at(day))
        day += timedelta(days=1)


# -- Adding and validation --------------------------------------------------------------------


def test_a_period_is_stored_and_listed_upcoming_or_recent(session, rep):
    planned = away.add_away_period(session, rep, period("2026-12-21", "2027-01-03", note=" Skiing "), now=NOW)
    running = away.add_away_period(session, rep, period("2026-11-26", "2026-11-27", "sick"), now=NOW)
    past = away.add_away_period(session, rep, period("2026-10-05", "2026-10-09", "other"), now=NOW)
    old = away.add_away_period(session, rep, period("2026-01-05", "2026-01-09"), now=NOW)
    assert (planned.reason, planned.note, planned.created_at) == ("vacation", "Skiing", NOW)
    listing = away.list_away_periods(session, rep, today=TODAY)
    assert listing.upcoming == [running, planned]  # running first, then by first day
    assert listing.recent == [past]  # ended within 90 days; older ones drop off the page
    assert old not in listing.recent
    assert_consistent(session, rep)


def test_reason_defaults_to_vacation_and_an_empty_note_is_none(session, rep):
    created = away.add_away_period(session, rep, {"first_day": "2026-12-01", "last_day": "2026-12-01"}, now=NOW)
    assert (created.reason, created.note) == ("vacation", None)


@pytest.mark.parametrize(
    "data, fields",
    [
        ({}, {"first_day", "last_day"}),
        (period("", "2026-12-02"), {"first_day"}),
        (period("01.12.2026", "2026-12-02"), {"first_day"}),
        (period("2026-12-01", "20261202"), {"last_day"}),
        (period("2026-02-30", "2026-03-02"), {"first_day"}),
        (period("2026-12-01\x00", "2026-12-02"), {"first_day"}),
        (period("2026-12-01", "2026-11-30"), {"last_day"}),
        (period("2026-12-01", "2027-12-02"), {"last_day"}),  # 367 days
        (period("2025-11-26", "2025-11-30"), {"first_day"}),  # more than a year back
        (period("2028-11-20", "2028-11-28"), {"last_day"}),  # more than two years ahead
        (period("2026-12-01", "2026-12-02", reason="holiday"), {"reason"}),
        (period("2026-12-01", "2026-12-02", note="x" * 201), {"note"}),
        (period("2026-12-01", "2026-12-02", note="a\x00b"), {"note"}),
        ({"first_day": 5, "last_day": None, "reason": ["sick"], "note": 7}, {"first_day", "last_day", "reason"}),
        (period("bad", "worse", reason="?", note="y" * 300), {"first_day", "last_day", "reason", "note"}),
    ],
)
def test_bad_input_is_refused_per_field_and_nothing_is_written(session, rep, data, fields):
    with pytest.raises(Invalid) as caught:
        away.add_away_period(session, rep, data, now=NOW)
    assert set(caught.value.fields) == fields
    assert all(caught.value.fields.values())
    assert session.scalar(select(func.count(AwayPeriod.id))) == 0


def test_the_limits_themselves_are_allowed(session, rep):
    away.add_away_period(session, rep, period("2025-11-27", "2026-11-27"), now=NOW)  # a year back, 366 days
    away.add_away_period(session, rep, period("2028-11-27", "2028-11-27", note="z" * 200), now=NOW)
    assert session.scalar(select(func.count(AwayPeriod.id))) == 2


def test_limits_follow_the_reps_own_day(session, make_user):
    """At 15:00 UTC on 27 Nov it is 04:00 on the 28th in Auckland, so its year back starts a day later."""
    kiwi = make_user(timezone="Pacific/Auckland")
    now = NOW.replace(hour=15)
    with pytest.raises(Invalid) as caught:
        away.add_away_period(session, kiwi, period("2025-11-27", "2025-11-30"), now=now)
    assert set(caught.value.fields) == {"first_day"}
    away.add_away_period(session, kiwi, period("2025-11-28", "2025-11-30"), now=now)
    away.add_away_period(session, make_user(), period("2025-11-27", "2025-11-30"), now=now)  # Berlin: the 27th


def test_a_leap_day_moves_to_the_28th_for_the_limits():
    assert away.limits(date(2028, 2, 29)) == (date(2027, 2, 28), date(2030, 2, 28))


@pytest.mark.parametrize(
    "first, last",
    [("2026-12-05", "2026-12-07"), ("2026-11-28", "2026-12-01"), ("2026-12-02", "2026-12-03"), ("2026-11-01", "2026-12-31")],
)
def test_an_overlapping_period_is_refused_with_a_clear_message(session, rep, first, last):
    away.add_away_period(session, rep, period("2026-12-01", "2026-12-05"), now=NOW)
    with pytest.raises(Invalid) as caught:
        away.add_away_period(session, rep, period(first, last, "sick"), now=NOW)
    assert "overlaps your away period" in caught.value.fields["first_day"]
    assert "Dec 1, 2026" in caught.value.fields["first_day"]
    assert session.scalar(select(func.count(AwayPeriod.id))) == 1


def test_adjacent_periods_and_other_peoples_periods_do_not_overlap(session, rep, make_user):
    other = make_user(team=rep.team)
    away.add_away_period(session, rep, period("2026-12-01", "2026-12-05"), now=NOW)
    away.add_away_period(session, rep, period("2026-12-06", "2026-12-07", "sick"), now=NOW)
    away.add_away_period(session, rep, period("2026-11-30", "2026-11-30"), now=NOW)
    away.add_away_period(session, other, period("2026-12-01", "2026-12-05"), now=NOW)
    assert session.scalar(select(func.count(AwayPeriod.id))) == 4


def test_a_period_may_overlap_a_team_holiday(session, rep, make_user):
    from app.kinds import Role

    coach = make_user(team=rep.team, role=Role.coach)
    away.add_team_holiday(session, coach, {"name": "Christmas", "first_day": "2026-12-24", "last_day": "2026-12-26"}, now=NOW)
    away.add_away_period(session, rep, period("2026-12-21", "2027-01-01"), now=NOW)
    assert_consistent(session, rep)


# -- Deleting ---------------------------------------------------------------------------------


def test_deleting_ones_own_period(session, rep):
    created = away.add_away_period(session, rep, period("2026-12-01", "2026-12-05"), now=NOW)
    away.delete_away_period(session, rep, created.id, now=NOW)
    assert session.get(AwayPeriod, created.id) is None
    assert_consistent(session, rep)


@pytest.mark.parametrize("bad_id", [None, "abc", "", -1, 0, 2**40, 999999])
def test_unknown_ids_are_not_found(session, rep, bad_id):
    with pytest.raises(NotFound):
        away.delete_away_period(session, rep, bad_id, now=NOW)


def test_another_users_period_is_not_found_and_stays(session, rep, make_user):
    stranger = make_user()  # another organisation
    colleague = make_user(team=rep.team)
    theirs = away.add_away_period(session, stranger, period("2026-12-01", "2026-12-05"), now=NOW)
    colleagues = away.add_away_period(session, colleague, period("2026-12-01", "2026-12-05"), now=NOW)
    for other in (theirs, colleagues):
        with pytest.raises(NotFound):
            away.delete_away_period(session, rep, other.id, now=NOW)
        assert session.get(AwayPeriod, other.id) is not None


# -- The streak -------------------------------------------------------------------------------


def test_a_vacation_entered_afterwards_makes_a_broken_streak_whole_again(session, rep, make_customer):
    """Ten workdays in a row, a week away without a word, back for four days, then the week is entered."""
    customer = make_customer(rep, now=at(date(2026, 10, 26)))
    log_workdays(session, rep, customer, date(2026, 11, 2), date(2026, 11, 13))  # 10 workdays
    log_workdays(session, rep, customer, date(2026, 11, 23), date(2026, 11, 26))  # back Mon–Thu

    before = assert_consistent(session, rep)
    # The freeze earned on the 7th day covered Monday the 16th; Tuesday the 17th broke the streak.
    assert (before.current, before.longest, before.freezes) == (4, 10, 0)
    assert before.frozen_days == (date(2026, 11, 16),)
    state = session.get(StreakState, rep.id)
    # The break (the 17th) is folded into the kept checkpoint, CHECKPOINT_LAG days behind the 26th.
    assert state.through_day == date(2026, 11, 26) - timedelta(days=streak_state.CHECKPOINT_LAG) > date(2026, 11, 17)

    vacation = away.add_away_period(session, rep, period("2026-11-14", "2026-11-22", note="Lisbon"), now=NOW)
    after = assert_consistent(session, rep)
    assert (after.current, after.longest, after.freezes) == (14, 14, 2)  # 14th active day earned the 2nd
    assert after.frozen_days == ()
    assert after.at_risk and not after.today_active
    state = session.get(StreakState, rep.id)
    assert (state.current, state.through_day) == (10, NOW.date() - timedelta(days=streak_state.CHECKPOINT_LAG))

    away.delete_away_period(session, rep, vacation.id, now=NOW)
    assert assert_consistent(session, rep) == before


def test_a_planned_vacation_keeps_the_streak_while_time_passes(session, rep, make_customer):
    customer = make_customer(rep, now=at(date(2026, 10, 26)))
    log_workdays(session, rep, customer, date(2026, 11, 2), date(2026, 11, 6))
    away.add_away_period(session, rep, period("2026-11-09", "2026-11-20"), now=at(date(2026, 11, 6), 12))
    assert_consistent(session, rep, at(date(2026, 11, 6), 12))
    # Two weeks later, with no touch in between, the streak is still there and not yet at risk…
    day_after = at(date(2026, 11, 20), 12)
    summary = assert_consistent(session, rep, day_after)
    assert (summary.current, summary.at_risk) == (5, False)
    # …and on the first workday back it is at risk, not broken.
    monday = at(date(2026, 11, 23), 12)
    log_touch(session, user=rep, customer_id=customer.id, kind="coffee", now=monday)
    summary = assert_consistent(session, rep, monday)
    assert (summary.current, summary.today_active) == (6, True)


def test_sick_days_in_the_middle_of_a_streak_are_neutral(session, rep, make_customer):
    customer = make_customer(rep, now=at(date(2026, 10, 26)))
    log_workdays(session, rep, customer, date(2026, 11, 9), date(2026, 11, 12))
    log_workdays(session, rep, customer, date(2026, 11, 17), date(2026, 11, 26))
    assert assert_consistent(session, rep).current == 8
    away.add_away_period(session, rep, period("2026-11-13", "2026-11-16", "sick"), now=NOW)
    assert assert_consistent(session, rep).current == 12


def test_every_add_and_delete_keeps_the_checkpoint_equal_to_a_rebuild(session, rep, make_customer, make_user):
    customer = make_customer(rep, now=at(date(2026, 9, 1)))
    log_workdays(session, rep, customer, date(2026, 9, 1), date(2026, 9, 30))
    log_workdays(session, rep, customer, date(2026, 10, 12), date(2026, 10, 16))
    log_workdays(session, rep, customer, date(2026, 11, 2), date(2026, 11, 26))
    spans = [
        ("2026-10-01", "2026-10-09", "vacation"),
        ("2026-10-19", "2026-10-30", "sick"),
        ("2026-11-30", "2026-12-04", "vacation"),
        ("2026-11-27", "2026-11-27", "other"),
        ("2026-09-07", "2026-09-08", "other"),
    ]
    added = []
    for first, last, reason in spans:
        added.append(away.add_away_period(session, rep, period(first, last, reason), now=NOW))
        assert_consistent(session, rep)
    assert assert_consistent(session, rep).current == 22 + 5 + 19  # every workday logged or away
    for item in (added[1], added[3], added[0], added[4], added[2]):
        away.delete_away_period(session, rep, item.id, now=NOW)
        assert_consistent(session, rep)


def test_a_period_for_a_rep_without_any_touch_creates_a_zero_state(session, rep):
    away.add_away_period(session, rep, period("2026-11-02", "2026-11-06"), now=NOW)
    assert assert_consistent(session, rep) == streaks.StreakSummary()


# -- away_on ----------------------------------------------------------------------------------


def test_away_on_knows_personal_periods_and_team_holidays(session, rep, make_user):
    from app.kinds import Role

    coach = make_user(team=rep.team, role=Role.coach)
    other_team_rep = make_user()
    away.add_away_period(session, rep, period("2026-12-01", "2026-12-03"), now=NOW)
    away.add_team_holiday(session, coach, {"name": "Retreat", "first_day": "2026-12-10", "last_day": "2026-12-10"}, now=NOW)
    assert away.away_on(session, rep, date(2026, 12, 1)) and away.away_on(session, rep, date(2026, 12, 3))
    assert not away.away_on(session, rep, date(2026, 12, 4))
    assert away.away_on(session, rep, date(2026, 12, 10)) and away.away_on(session, coach, date(2026, 12, 10))
    assert not away.away_on(session, coach, date(2026, 12, 2))
    assert not away.away_on(session, other_team_rep, date(2026, 12, 10))
    assert away.away_users_on(session, [rep, coach, other_team_rep], date(2026, 12, 10)) == {rep.id, coach.id}
    assert away.away_users_on(session, [rep, coach, other_team_rep], date(2026, 12, 2)) == {rep.id}
    assert away.away_users_on(session, [], date(2026, 12, 2)) == set()
