"""Moments: streak milestones and the daily goal reached, from the state before and after a touch."""

from datetime import UTC, datetime, timedelta

import pytest

from app import moments

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("before", "after", "reached"),
    [
        (2, 3, 3),
        (6, 7, 7),
        (7, 8, None),
        (3, 3, None),
        (0, 1, None),
        (364, 365, 365),
        (365, 366, None),
        (2, 8, 7),  # a backfill closing a gap jumps two milestones: the highest one counts
        (29, 30, 30),
        (49, 50, 50),
        (8, 7, None),  # a streak going down reaches nothing
    ],
)
def test_milestone_between_is_the_highest_milestone_crossed(before, after, reached):
    assert moments.milestone_between(before, after) == reached


def test_the_milestones_are_the_documented_ones():
    assert moments.MILESTONES == (3, 7, 14, 21, 30, 50, 75, 100, 150, 200, 365)


@pytest.mark.parametrize(
    ("spans", "expected"),
    [
        ([], 0),
        ([(at(0), None)], 1),
        ([(at(0), None), (at(5), None)], 2),
        ([(at(0), at(1)), (at(5), None)], 1),  # undone before the next: never two at once
        ([(at(0), at(5)), (at(5), None)], 2),  # deleted at the instant the next was created: a tie overlaps
        ([(at(0), at(0))], 1),
        ([(at(0), None), (at(1), at(2)), (at(3), None)], 2),
        ([(at(0), None), (at(1), None), (at(2), at(3)), (at(4), None)], 3),
    ],
)
def test_peak_is_the_most_touches_alive_at_one_instant(spans, expected):
    assert moments.peak(spans) == expected


def detect(**kwargs):
    defaults = {"streak_before": 0, "streak_after": 0, "earlier": (), "goal": 3, "counts_for_today": True}
    return moments.detect(**{**defaults, **kwargs})


def test_first_touch_of_the_seventh_day_reaches_the_seven_day_milestone():
    assert detect(streak_before=6, streak_after=7) == moments.Moments(streak=7)


def test_second_touch_of_a_day_reaches_no_milestone():
    assert detect(streak_before=7, streak_after=7, earlier=[(at(0), None)]).streak is None


def test_undo_and_log_again_on_the_same_day_does_not_celebrate_the_milestone_twice():
    # The first touch of day 7 was undone: the streak fell back to 6 and grows to 7 again.
    assert detect(streak_before=6, streak_after=7, earlier=[(at(0), at(1))]).streak is None


def test_third_touch_reaches_a_daily_goal_of_three():
    assert detect(earlier=[(at(0), None), (at(1), None)]).goal == 3


def test_the_touch_after_the_goal_does_not_reach_it_again():
    assert detect(earlier=[(at(0), None), (at(1), None), (at(2), None)]).goal is None


def test_undo_and_log_again_after_the_goal_does_not_reach_it_again():
    earlier = [(at(0), None), (at(1), None), (at(2), at(3))]
    assert detect(earlier=earlier).goal is None


def test_undo_before_the_goal_then_log_again_still_reaches_it_first_time():
    # Two touches, the second undone, then two more: the count first reaches 3 with the last.
    earlier = [(at(0), None), (at(1), at(2)), (at(3), None)]
    assert detect(earlier=earlier).goal == 3


def test_a_deleted_touch_does_not_count_towards_the_goal():
    earlier = [(at(0), None), (at(1), at(2))]
    assert detect(earlier=earlier).goal is None


def test_a_backfilled_touch_reaches_no_daily_goal():
    assert detect(earlier=[(at(0), None), (at(1), None)], counts_for_today=False).goal is None


def test_a_backfill_can_reach_a_streak_milestone():
    assert detect(streak_before=2, streak_after=14, counts_for_today=False) == moments.Moments(streak=14)


@pytest.mark.parametrize("goal", [0, -1])
def test_no_goal_is_never_reached(goal):
    assert detect(goal=goal).goal is None


def test_a_goal_of_one_is_reached_by_the_first_touch_with_the_milestone():
    assert detect(streak_before=2, streak_after=3, goal=1) == moments.Moments(streak=3, goal=1)


def test_no_moment_is_false():
    assert not moments.Moments()
    assert moments.Moments(goal=3)
