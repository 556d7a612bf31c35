"""Team holidays against a real session: coaches only, validation, overlap, 404s, every member's streak."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.kinds import Role
from app.models import StreakState, Team, TeamHoliday
from app.operations import Invalid, NotFound, away, streak_state
from operations.test_away_operations import NOW, TODAY, assert_consistent, at, log_workdays


def holiday(name: str, first: str, last: str) -> dict:
    return {"name": name, "first_day": first, "last_day": last}


@pytest.fixture
def team(make_org):
    return make_org("Northwind")


@pytest.fixture
def coach(make_user, team):
    return make_user(team=team, role=Role.coach, name="Cora Coach")


def test_a_coach_adds_a_holiday_and_the_team_sees_it(session, coach, team, make_user):
    rep = make_user(team=team)
    created = away.add_team_holiday(session, coach, holiday("  Christmas ", "2026-12-24", "2026-12-26"), now=NOW)
    assert (created.name, created.team_id, created.created_by_id, created.created_at) == ("Christmas", team.id, coach.id, NOW)
    for member in (coach, rep):
        assert away.list_team_holidays(session, member, today=TODAY).upcoming == [created]
    assert away.list_team_holidays(session, make_user(), today=TODAY).upcoming == []  # another organisation


def test_an_admin_may_add_holidays_too(session, team, make_user):
    admin = make_user(team=team, role=Role.admin)
    away.add_team_holiday(session, admin, holiday("Retreat", "2026-12-01", "2026-12-02"), now=NOW)
    assert session.scalar(select(func.count(TeamHoliday.id))) == 1


def test_a_rep_cannot_add_or_delete_holidays(session, coach, team, make_user):
    rep = make_user(team=team)
    created = away.add_team_holiday(session, coach, holiday("Christmas", "2026-12-24", "2026-12-26"), now=NOW)
    with pytest.raises(NotFound):
        away.add_team_holiday(session, rep, holiday("Party", "2026-12-01", "2026-12-01"), now=NOW)
    with pytest.raises(NotFound):
        away.delete_team_holiday(session, rep, created.id, now=NOW)
    assert session.scalar(select(func.count(TeamHoliday.id))) == 1


def test_a_coach_without_a_team_gets_not_found(session, make_user):
    lonely = make_user(role=Role.coach)
    lonely.team_id = None
    session.flush()
    with pytest.raises(NotFound):
        away.add_team_holiday(session, lonely, holiday("Off", "2026-12-01", "2026-12-01"), now=NOW)
    assert away.list_team_holidays(session, lonely, today=TODAY).upcoming == []


def test_another_teams_or_organisations_holiday_is_not_found(session, coach, team, make_user, make_org):
    sister = Team(organization_id=team.organization_id, name="Southwind", created_at=NOW)
    session.add(sister)
    session.flush()
    sister_coach = make_user(team=sister, role=Role.coach)
    stranger_coach = make_user(role=Role.coach)
    theirs = [
        away.add_team_holiday(session, sister_coach, holiday("Sister day", "2026-12-01", "2026-12-01"), now=NOW),
        away.add_team_holiday(session, stranger_coach, holiday("Elsewhere", "2026-12-01", "2026-12-01"), now=NOW),
    ]
    for item in theirs:
        with pytest.raises(NotFound):
            away.delete_team_holiday(session, coach, item.id, now=NOW)
        assert session.get(TeamHoliday, item.id) is not None
    assert away.list_team_holidays(session, coach, today=TODAY).upcoming == []


@pytest.mark.parametrize(
    "data, fields",
    [
        ({}, {"name", "first_day", "last_day"}),
        (holiday("", "2026-12-01", "2026-12-01"), {"name"}),
        (holiday("x" * 121, "2026-12-01", "2026-12-01"), {"name"}),
        (holiday("Bad\x00name", "2026-12-01", "2026-12-01"), {"name"}),
        (holiday("Party", "2026-12-01\x00", "2026-12-01"), {"first_day"}),
        (holiday("Party", "2026-12-02", "2026-12-01"), {"last_day"}),
        (holiday("Party", "2026-01-01", "2027-01-02"), {"last_day"}),  # 367 days
        (holiday("Party", "2025-11-01", "2025-11-02"), {"first_day"}),
        (holiday("Party", "2029-01-01", "2029-01-02"), {"last_day"}),
        ({"name": 3, "first_day": [], "last_day": "tomorrow"}, {"name", "first_day", "last_day"}),
    ],
)
def test_bad_input_is_refused_per_field(session, coach, data, fields):
    with pytest.raises(Invalid) as caught:
        away.add_team_holiday(session, coach, data, now=NOW)
    assert set(caught.value.fields) == fields
    assert session.scalar(select(func.count(TeamHoliday.id))) == 0


def test_overlapping_holidays_of_one_team_are_refused_but_other_teams_are_free(session, coach, make_user):
    away.add_team_holiday(session, coach, holiday("Christmas", "2026-12-24", "2026-12-26"), now=NOW)
    with pytest.raises(Invalid) as caught:
        away.add_team_holiday(session, coach, holiday("Year end", "2026-12-26", "2027-01-01"), now=NOW)
    assert "“Christmas”" in caught.value.fields["first_day"]
    away.add_team_holiday(session, coach, holiday("Year end", "2026-12-27", "2027-01-01"), now=NOW)
    away.add_team_holiday(session, make_user(role=Role.coach), holiday("Christmas", "2026-12-24", "2026-12-26"), now=NOW)
    assert session.scalar(select(func.count(TeamHoliday.id))) == 3


def test_a_holiday_on_a_workday_keeps_every_members_streak(session, coach, team, make_user, make_customer):
    """Everyone worked Mon 9 – Fri 13 Nov and Tue 17 – Thu 26 Nov; Monday the 16th was a team holiday."""
    reps = [make_user(team=team), make_user(team=team), coach]
    stranger = make_user()  # another organisation: must not be touched
    for person in reps + [stranger]:
        customer = make_customer(person, now=at(date(2026, 11, 2)))
        log_workdays(session, person, customer, date(2026, 11, 9), date(2026, 11, 13))
        log_workdays(session, person, customer, date(2026, 11, 17), date(2026, 11, 26))
    for person in reps:
        before = assert_consistent(session, person)
        assert (before.current, before.longest) == (8, 8)  # Monday the 16th broke it
    stranger_state = session.get(StreakState, stranger.id)
    stranger_updated = stranger_state.updated_at

    created = away.add_team_holiday(session, coach, holiday("Founders' day", "2026-11-16", "2026-11-16"), now=NOW)
    for person in reps:
        after = assert_consistent(session, person)
        assert (after.current, after.longest, after.freezes, after.frozen_days) == (13, 13, 1, ())
        assert session.get(StreakState, person.id).through_day == TODAY - timedelta(days=streak_state.CHECKPOINT_LAG)
    assert session.get(StreakState, stranger.id).updated_at == stranger_updated
    assert assert_consistent(session, stranger).current == 8

    away.delete_team_holiday(session, coach, created.id, now=NOW)
    for person in reps:
        assert assert_consistent(session, person).current == 8


def test_members_in_other_zones_are_refolded_on_their_own_day(session, coach, team, make_user, make_customer):
    west = make_user(team=team, timezone="America/Los_Angeles")
    east = make_user(team=team, timezone="Pacific/Kiritimati")
    for person in (west, east):
        customer = make_customer(person, now=at(date(2026, 11, 2)))
        log_workdays(session, person, customer, date(2026, 11, 2), date(2026, 11, 20))
    for first, last in (("2026-11-23", "2026-11-24"), ("2026-11-10", "2026-11-10"), ("2026-12-24", "2026-12-31")):
        away.add_team_holiday(session, coach, holiday(f"Off {first}", first, last), now=NOW)
        for person in (west, east, coach):
            assert_consistent(session, person)
    for holiday_row in session.scalars(select(TeamHoliday)).all():
        away.delete_team_holiday(session, coach, holiday_row.id, now=NOW)
        for person in (west, east, coach):
            assert_consistent(session, person)


def test_a_new_member_later_inherits_the_teams_holidays(session, coach, team, make_user, make_customer):
    away.add_team_holiday(session, coach, holiday("Retreat", "2026-11-16", "2026-11-16"), now=NOW)
    newcomer = make_user(team=team)
    assert away.away_on(session, newcomer, date(2026, 11, 16))
    customer = make_customer(newcomer, now=at(date(2026, 11, 2)))
    log_workdays(session, newcomer, customer, date(2026, 11, 13), date(2026, 11, 13))
    log_workdays(session, newcomer, customer, date(2026, 11, 17), date(2026, 11, 18))
    assert assert_consistent(session, newcomer, at(date(2026, 11, 18))).current == 3


def test_recent_holidays_are_listed_latest_first(session, coach):
    old = away.add_team_holiday(session, coach, holiday("Autumn", "2026-10-01", "2026-10-02"), now=NOW)
    older = away.add_team_holiday(session, coach, holiday("Summer", "2026-09-01", "2026-09-02"), now=NOW)
    listing = away.list_team_holidays(session, coach, today=TODAY)
    assert listing.recent == [old, older] and listing.upcoming == []
    assert away.list_team_holidays(session, coach, today=TODAY + timedelta(days=365)).recent == []
