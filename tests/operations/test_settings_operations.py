"""Settings and password rules, against the database session."""

from __future__ import annotations

import pytest

from app.operations import Invalid, accounts
from support import NOW, PASSWORD

VALID = {
    "name": "Rita Rep", "timezone": "America/New_York", "locale": "de", "workdays": ["0", "2", "4"],
    "daily_goal": "5", "day_start_hour": "4", "evening_hour": "19", "quiet_start_hour": "22",
    "quiet_end_hour": "7",
}

SNAPSHOT = ("name", "timezone", "locale", "workdays", "daily_goal", "day_start_hour", "evening_hour",
            "quiet_start_hour", "quiet_end_hour")


def _snapshot(user) -> dict:
    return {f: getattr(user, f) for f in SNAPSHOT}


def test_valid_settings_are_saved(session, make_user):
    user = make_user()
    accounts.update_settings(session, user, VALID, now=NOW)
    session.expire_all()
    assert _snapshot(user) == {
        "name": "Rita Rep", "timezone": "America/New_York", "locale": "de", "workdays": [0, 2, 4], "daily_goal": 5,
        "day_start_hour": 4, "evening_hour": 19, "quiet_start_hour": 22, "quiet_end_hour": 7,
    }
    assert user.workday_set == frozenset({0, 2, 4})


def test_keys_left_out_keep_their_values(session, make_user):
    user = make_user(daily_goal=7)
    accounts.update_settings(session, user, {"name": "Only the name"}, now=NOW)
    assert user.name == "Only the name" and user.daily_goal == 7


def test_json_style_values_are_accepted(session, make_user):
    user = make_user()
    accounts.update_settings(session, user, {"workdays": [6, 5, 5], "daily_goal": 50, "day_start_hour": 0}, now=NOW)
    assert user.workdays == [5, 6] and user.daily_goal == 50 and user.day_start_hour == 0


def test_an_empty_locale_means_the_browsers_language(session, make_user):
    user = make_user(locale="de")
    accounts.update_settings(session, user, {"locale": ""}, now=NOW)
    assert user.locale is None


@pytest.mark.parametrize("field, value", [
    ("name", ""), ("name", "x" * 121), ("name", "a\x00b"), ("name", None),
    ("timezone", "Mars/Olympus"), ("timezone", ""), ("timezone", "europe/berlin"),
    ("locale", "fr"), ("locale", "EN"),
    ("workdays", []), ("workdays", ["7"]), ("workdays", ["-1"]), ("workdays", ["mon"]), ("workdays", None),
    ("daily_goal", "0"), ("daily_goal", "51"), ("daily_goal", "3.5"), ("daily_goal", ""), ("daily_goal", True),
    ("daily_goal", "9" * 40),
    ("day_start_hour", "24"), ("day_start_hour", "-1"), ("day_start_hour", "three"),
    ("evening_hour", "25"), ("quiet_start_hour", "x"), ("quiet_end_hour", "99"),
])
def test_a_bad_field_is_reported_and_nothing_is_saved(session, make_user, field, value):
    user = make_user()
    before = _snapshot(user)
    with pytest.raises(Invalid) as exc:
        accounts.update_settings(session, user, {**VALID, field: value}, now=NOW)
    assert field in exc.value.fields
    assert exc.value.fields[field]
    assert _snapshot(user) == before


def test_every_bad_field_is_reported_at_once(session, make_user):
    user = make_user()
    with pytest.raises(Invalid) as exc:
        accounts.update_settings(session, user, {**VALID, "name": "", "workdays": [], "daily_goal": "0",
                                                 "timezone": "Nowhere", "locale": "xx", "day_start_hour": "24"}, now=NOW)
    assert set(exc.value.fields) == {"name", "workdays", "daily_goal", "timezone", "locale", "day_start_hour"}
    assert exc.value.fields["workdays"] == "Pick at least one workday."


def test_quiet_hours_may_cross_midnight(session, make_user):
    user = make_user()
    accounts.update_settings(session, user, {"quiet_start_hour": "22", "quiet_end_hour": "6", "evening_hour": "18"}, now=NOW)
    assert (user.quiet_start_hour, user.quiet_end_hour) == (22, 6)


def test_quiet_hours_need_a_different_start_and_end(session, make_user):
    user = make_user()
    with pytest.raises(Invalid) as exc:
        accounts.update_settings(session, user, {"quiet_start_hour": "8", "quiet_end_hour": "8"}, now=NOW)
    assert set(exc.value.fields) == {"quiet_end_hour"}


@pytest.mark.parametrize("evening, start, end", [(22, 21, 8), (2, 21, 8), (13, 12, 14)])
def test_an_evening_reminder_inside_quiet_hours_is_refused(session, make_user, evening, start, end):
    user = make_user()
    with pytest.raises(Invalid) as exc:
        accounts.update_settings(session, user, {"evening_hour": evening, "quiet_start_hour": start,
                                                 "quiet_end_hour": end}, now=NOW)
    assert set(exc.value.fields) == {"evening_hour"}


def test_the_quiet_hours_check_uses_the_saved_values_for_fields_left_out(session, make_user):
    user = make_user(quiet_start_hour=21, quiet_end_hour=8)
    with pytest.raises(Invalid):
        accounts.update_settings(session, user, {"evening_hour": "23"}, now=NOW)


@pytest.mark.parametrize("hour, start, end, quiet", [
    (21, 21, 8, True), (23, 21, 8, True), (0, 21, 8, True), (7, 21, 8, True), (8, 21, 8, False),
    (20, 21, 8, False), (12, 12, 14, True), (14, 12, 14, False), (11, 12, 14, False), (5, 5, 5, False),
])
def test_in_quiet_hours(hour, start, end, quiet):
    assert accounts.in_quiet_hours(hour, start, end) is quiet


# -- Password -------------------------------------------------------------------------------------

def test_changing_the_password_rotates_the_session_token(session, make_user):
    user = make_user()
    token = user.session_token
    accounts.change_password(session, user, current=PASSWORD, new="a brand new secret", confirm="a brand new secret")
    assert accounts.verify_password(user, "a brand new secret")
    assert not accounts.verify_password(user, PASSWORD)
    assert user.session_token != token


@pytest.mark.parametrize("current, new, confirm, fields", [
    ("wrong password", "a brand new secret", "a brand new secret", {"current_password"}),
    (PASSWORD, "short", "short", {"new_password"}),
    (PASSWORD, "a brand new secret", "a different secret", {"confirm_password"}),
    ("", "", "", {"current_password", "new_password"}),
])
def test_a_refused_password_change_changes_nothing(session, make_user, current, new, confirm, fields):
    user = make_user()
    token, hashed = user.session_token, user.password_hash
    with pytest.raises(Invalid) as exc:
        accounts.change_password(session, user, current=current, new=new, confirm=confirm)
    assert set(exc.value.fields) == fields
    assert (user.session_token, user.password_hash) == (token, hashed)
