"""The moments a logged touch reaches, against a real session: the rep's zone, day start hour, undo."""

from datetime import UTC, datetime, timedelta

from app.operations import touches as ops

from support import NOW


def _log(session, user, customer, *, now=NOW, **kwargs):
    return ops.log_touch(session, user=user, customer_id=customer.id, kind=kwargs.pop("kind", "call"), now=now,
                         **kwargs)


def test_the_third_touch_of_the_day_reaches_a_goal_of_three_and_the_fourth_does_not(session, make_user,
                                                                                   make_customer):
    rep = make_user(daily_goal=3)
    customer = make_customer(rep, now=NOW - timedelta(days=30))
    reached = [_log(session, rep, customer, now=NOW + timedelta(minutes=i)).moments.goal for i in range(4)]
    assert reached == [None, None, 3, None]


def test_undo_of_the_goal_touch_then_a_new_one_does_not_reach_the_goal_again(session, make_user, make_customer):
    rep = make_user(daily_goal=2)
    customer = make_customer(rep, now=NOW - timedelta(days=30))
    _log(session, rep, customer)
    second = _log(session, rep, customer, now=NOW + timedelta(minutes=1))
    assert second.moments.goal == 2
    ops.undo_touch(session, second.touch, now=NOW + timedelta(minutes=1, seconds=3), window_seconds=10)
    again = _log(session, rep, customer, now=NOW + timedelta(minutes=2))
    assert again.moments.goal is None


def test_a_touch_after_midnight_before_the_day_start_hour_counts_for_the_evening_before(session, make_user,
                                                                                       make_customer):
    # Berlin, the day starts at 03:00: 01:30 on the 28th still belongs to the 27th.
    rep = make_user(timezone="Europe/Berlin", day_start_hour=3, daily_goal=3)
    customer = make_customer(rep, now=NOW - timedelta(days=30))
    evening = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)  # 20:00 in Berlin
    _log(session, rep, customer, now=evening)
    _log(session, rep, customer, now=evening + timedelta(minutes=30))
    late = _log(session, rep, customer, now=datetime(2026, 11, 28, 0, 30, tzinfo=UTC))  # 01:30 in Berlin
    assert late.touch.local_day.isoformat() == "2026-11-27"
    assert late.moments.goal == 3
    morning = _log(session, rep, customer, now=datetime(2026, 11, 28, 3, 0, tzinfo=UTC))  # 04:00: a new day
    assert morning.touch.local_day.isoformat() == "2026-11-28"
    assert morning.moments.goal is None


def test_the_same_instant_is_another_day_in_another_zone(session, make_user, make_customer):
    # 02:00 UTC on the 28th is the 27th in New York (21:00) but the 28th in Tokyo (11:00).
    instant = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    results = {}
    for zone in ("America/New_York", "Asia/Tokyo"):
        rep = make_user(timezone=zone, day_start_hour=3, daily_goal=2)
        customer = make_customer(rep, now=NOW - timedelta(days=30))
        _log(session, rep, customer, now=datetime(2026, 11, 27, 15, 0, tzinfo=UTC))
        results[zone] = _log(session, rep, customer, now=instant).moments.goal
    assert results == {"America/New_York": 2, "Asia/Tokyo": None}


def test_the_third_day_in_a_row_reaches_the_three_day_milestone_once(session, make_user, make_customer):
    rep = make_user(daily_goal=5)
    customer = make_customer(rep, now=NOW - timedelta(days=30))
    assert _log(session, rep, customer, days_back=2).moments.streak is None  # Wednesday
    assert _log(session, rep, customer, days_back=1).moments.streak is None  # Thursday: 2 days
    friday = _log(session, rep, customer, now=NOW + timedelta(minutes=1))
    assert friday.moments.streak == 3
    second = _log(session, rep, customer, now=NOW + timedelta(minutes=2))
    assert second.moments.streak is None
    # Undo both of Friday's touches (the streak falls back to 2), then log again: the day was celebrated.
    ops.undo_touch(session, friday.touch, now=NOW + timedelta(minutes=1, seconds=2), window_seconds=10)
    ops.undo_touch(session, second.touch, now=NOW + timedelta(minutes=2, seconds=2), window_seconds=10)
    assert _log(session, rep, customer, now=NOW + timedelta(minutes=3)).moments.streak is None


def test_a_backfill_that_closes_the_gap_reaches_the_milestone(session, make_user, make_customer):
    rep = make_user(daily_goal=5)
    customer = make_customer(rep, now=NOW - timedelta(days=30))
    _log(session, rep, customer, days_back=2)
    _log(session, rep, customer)  # Friday; Thursday missed, no freeze held: the streak is 1
    closing = _log(session, rep, customer, days_back=1)
    assert closing.moments.streak == 3
    assert closing.moments.goal is None


def test_a_replayed_client_id_reaches_nothing(session, make_user, make_customer):
    rep = make_user(daily_goal=1)
    customer = make_customer(rep, now=NOW - timedelta(days=30))
    first = _log(session, rep, customer, client_id="abc")
    assert first.moments.goal == 1
    replay = _log(session, rep, customer, client_id="abc", now=NOW + timedelta(minutes=1))
    assert not replay.created
    assert not replay.moments
