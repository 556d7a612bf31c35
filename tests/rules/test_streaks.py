"""The daily streak (DESIGN.md "Streak"), with explicit dates.

June 2024: Mon 3, Tue 4, Wed 5, Thu 6, Fri 7, Sat 8, Sun 9, Mon 10 ... Fri 14, Sat 15, Sun 16,
Mon 17 ... Fri 21, Sat 22, Sun 23, Mon 24 ... Fri 28, Sat 29, Sun 30; Mon 1 July.
"""

from dataclasses import FrozenInstanceError, replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.streaks import StreakSummary, Walker, summarize


MON_FRI = frozenset({0, 1, 2, 3, 4})
SUN_THU = frozenset({6, 0, 1, 2, 3})


def june(*days: int) -> list[date]:
    """Return the given days of June 2024."""
    return [date(2024, 6, d) for d in days]


def away(first: int, last: int) -> tuple[date, date]:
    """Return an away range from June *first* to June *last* 2024."""
    return (date(2024, 6, first), date(2024, 6, last))


def span(first: date, last: date) -> list[date]:
    """Return every day from *first* to *last*, inclusive."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def test_no_active_day_gives_an_empty_summary():
    assert summarize([], today=date(2024, 6, 5)) == StreakSummary()
    assert summarize(june(6, 7), today=date(2024, 6, 5)) == StreakSummary()


def test_summary_is_frozen():
    with pytest.raises(FrozenInstanceError):
        summarize(june(3), today=date(2024, 6, 3)).current = 5


@pytest.mark.parametrize(
    ("active", "today", "current", "longest"),
    [
        (june(3), date(2024, 6, 3), 1, 1),
        (june(3, 4, 5), date(2024, 6, 5), 3, 3),
        (june(3, 4, 5, 6, 7), date(2024, 6, 7), 5, 5),
        (june(3, 3, 4), date(2024, 6, 4), 2, 2),  # several touches on one day count once
    ],
)
def test_active_day_extends_the_streak(active, today, current, longest):
    summary = summarize(active, today=today)
    assert (summary.current, summary.longest, summary.today_active) == (current, longest, True)


@pytest.mark.parametrize(
    ("active", "bonus", "today", "current", "freezes"),
    [
        # Missed workdays before the first active day are not part of the walk.
        (june(5, 6), (), date(2024, 6, 6), 2, 0),
        # Nor is a bonus freeze earned before it.
        (june(5, 6), june(3), date(2024, 6, 6), 2, 0),
        (june(5, 6), june(5), date(2024, 6, 6), 2, 1),
    ],
)
def test_walk_starts_at_the_first_active_day(active, bonus, today, current, freezes):
    summary = summarize(active, today=today, bonus_freeze_days=bonus)
    assert (summary.current, summary.freezes, summary.frozen_days) == (current, freezes, ())


def test_active_days_after_today_are_ignored():
    summary = summarize(june(3, 4, 5, 6, 7), today=date(2024, 6, 4))
    assert (summary.current, summary.longest, summary.today_active) == (2, 2, True)


@pytest.mark.parametrize(
    ("active", "today", "current"),
    [
        (june(7, 10), date(2024, 6, 10), 2),  # Fri, (Sat, Sun), Mon
        (june(7), date(2024, 6, 9), 1),  # today is Sunday, nothing logged
        (june(6, 7, 8, 9, 10), date(2024, 6, 10), 5),  # an active weekend day still counts
        (june(7, 9, 10), date(2024, 6, 10), 3),
    ],
)
def test_weekend_is_neutral(active, today, current):
    assert summarize(active, today=today).current == current


@pytest.mark.parametrize(
    ("active", "ranges", "today", "current"),
    [
        (june(3, 7), [away(4, 6)], date(2024, 6, 7), 2),
        (june(3, 7), [away(4, 4), away(5, 6)], date(2024, 6, 7), 2),
        (june(3, 7), [away(4, 5), away(5, 6)], date(2024, 6, 7), 2),  # overlapping ranges
        (june(3, 7), [away(4, 5)], date(2024, 6, 7), 1),  # Thu 6 missed
        (june(3, 4, 5, 6, 7), [away(4, 6)], date(2024, 6, 7), 5),  # active while away
        (june(3), [away(4, 14)], date(2024, 6, 17), 1),  # back on Monday
        (june(3), [away(6, 4)], date(2024, 6, 7), 0),  # an empty range
    ],
)
def test_away_day_is_neutral(active, ranges, today, current):
    assert summarize(active, today=today, away=ranges).current == current


@pytest.mark.parametrize(
    ("workdays", "active", "today", "current"),
    [
        (frozenset({1, 2, 3, 4, 5}), june(8, 11), date(2024, 6, 11), 2),  # Tue-Sat: Sun, Mon neutral
        (frozenset({1, 2, 3, 4, 5}), june(7, 10), date(2024, 6, 10), 1),  # Sat 8 missed, Mon 10 restarts
        (frozenset({6, 0, 1, 2, 3}), june(6, 9), date(2024, 6, 9), 2),  # Sun-Thu: Fri, Sat neutral
        (frozenset({0}), june(3, 10, 17), date(2024, 6, 17), 3),  # Mondays only
        (frozenset(), june(3, 20), date(2024, 6, 28), 2),  # no workdays: nothing is ever missed
    ],
)
def test_only_workdays_can_be_missed(workdays, active, today, current):
    assert summarize(active, today=today, workdays=workdays).current == current


@pytest.mark.parametrize(
    ("active", "today", "current", "longest"),
    [
        (june(3, 4, 6), date(2024, 6, 6), 1, 2),  # Wed 5 missed
        (june(3, 4, 5, 10), date(2024, 6, 10), 1, 3),  # Thu 6 missed
        (june(3, 4, 5), date(2024, 6, 7), 0, 3),  # Thu 6 missed, today Fri not yet
    ],
)
def test_missed_workday_without_a_freeze_breaks_the_streak(active, today, current, longest):
    summary = summarize(active, today=today)
    assert (summary.current, summary.longest, summary.frozen_days) == (current, longest, ())


@pytest.mark.parametrize(
    ("active", "today", "current", "freezes", "frozen_days"),
    [
        # Mon 3 - Sun 9: seven in a row earn a freeze, which covers Mon 10.
        (june(3, 4, 5, 6, 7, 8, 9, 11), date(2024, 6, 11), 8, 0, june(10)),
        (june(3, 4, 5, 6, 7, 8, 9), date(2024, 6, 11), 7, 0, june(10)),  # today Tue 11 not over
        # A second missed workday, with no freeze left, breaks the streak.
        (june(3, 4, 5, 6, 7, 8, 9, 12), date(2024, 6, 12), 1, 0, june(10)),
    ],
)
def test_missed_workday_uses_a_freeze(active, today, current, freezes, frozen_days):
    summary = summarize(active, today=today)
    assert (summary.current, summary.freezes, summary.frozen_days) == (current, freezes, tuple(frozen_days))


@pytest.mark.parametrize(
    ("active_count", "freezes"),
    [(1, 0), (6, 0), (7, 1), (8, 1), (13, 1), (14, 2), (20, 2), (21, 2), (28, 2)],
)
def test_every_seventh_consecutive_active_day_earns_a_freeze(active_count, freezes):
    active = span(date(2024, 6, 3), date(2024, 6, 3) + timedelta(days=active_count - 1))
    summary = summarize(active, today=active[-1])
    assert (summary.current, summary.freezes) == (active_count, freezes)


def test_neutral_days_do_not_interrupt_the_run_that_earns_freezes():
    # Mon 3 - Fri 7, (weekend), Mon 10, Tue 11: the 7th active day earns a freeze.
    summary = summarize(june(3, 4, 5, 6, 7, 10, 11), today=date(2024, 6, 11))
    assert (summary.current, summary.freezes) == (7, 1)


@pytest.mark.parametrize(
    ("active", "bonus", "today", "freezes"),
    [
        (span(date(2024, 6, 3), date(2024, 6, 30)), (), date(2024, 6, 30), 2),  # 28 in a row
        (span(date(2024, 6, 3), date(2024, 6, 16)), june(4, 5), date(2024, 6, 16), 2),
        (june(3, 4), june(3, 4, 4), date(2024, 6, 4), 2),
        (june(3, 4, 5), june(3, 4, 5), date(2024, 6, 5), 2),
    ],
)
def test_at_most_two_freezes_are_held(active, bonus, today, freezes):
    assert summarize(active, today=today, bonus_freeze_days=bonus).freezes == freezes


@pytest.mark.parametrize(
    ("active", "today", "current", "freezes", "frozen_days"),
    [
        # Eight in a row (Mon 3 - Mon 10) earn a freeze, Tue 11 is frozen; the run restarts at 0,
        # so Wed 12 - Mon 17 (six days) earn nothing although ``current`` reaches 14, and
        # Tue 18, the seventh, earns one.
        (june(3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17), date(2024, 6, 17), 14, 0, june(11)),
        (june(3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17, 18), date(2024, 6, 18), 15, 1, june(11)),
    ],
)
def test_frozen_day_restarts_the_run_of_active_days(active, today, current, freezes, frozen_days):
    summary = summarize(active, today=today)
    assert (summary.current, summary.freezes, summary.frozen_days) == (current, freezes, tuple(frozen_days))


def test_broken_streak_restarts_the_run_of_active_days():
    # Mon 3 - Sat 8 (six), Mon 10 missed, Tue 11 is the 7th active day but only the 1st of the run.
    summary = summarize(june(3, 4, 5, 6, 7, 8, 11), today=date(2024, 6, 11))
    assert (summary.current, summary.longest, summary.freezes) == (1, 6, 0)


@pytest.mark.parametrize(
    ("active", "bonus", "today", "current", "freezes", "frozen_days"),
    [
        # A bonus earned on a missed workday comes after that day's step: it does not save it.
        (june(3, 4), june(5), date(2024, 6, 6), 0, 1, ()),
        # Earned on an active day, it covers the next missed workday.
        (june(3, 4), june(4), date(2024, 6, 6), 2, 0, june(5)),
        # Earned today, it is held at once.
        (june(3, 4), june(5), date(2024, 6, 5), 2, 1, ()),
        (june(3, 4, 5), june(5), date(2024, 6, 5), 3, 1, ()),
        # On a neutral day.
        (june(7), june(8), date(2024, 6, 11), 1, 0, june(10)),
        # Bonus days after today are ignored.
        (june(3, 4), june(6), date(2024, 6, 5), 2, 0, ()),
    ],
)
def test_bonus_freeze_day_adds_a_freeze_after_the_days_step(
    active, bonus, today, current, freezes, frozen_days
):
    summary = summarize(active, today=today, bonus_freeze_days=bonus)
    assert (summary.current, summary.freezes, summary.frozen_days) == (current, freezes, tuple(frozen_days))


@pytest.mark.parametrize(
    ("active", "today", "workdays", "ranges", "at_risk"),
    [
        (june(3, 4), date(2024, 6, 5), MON_FRI, (), True),  # Wednesday
        (june(7), date(2024, 6, 8), MON_FRI, (), False),  # Saturday
        (june(7), date(2024, 6, 10), MON_FRI, (), True),  # Monday after a weekend
        (june(3, 4), date(2024, 6, 5), MON_FRI, [away(5, 7)], False),  # away today
        (june(3, 4, 5), date(2024, 6, 5), MON_FRI, (), False),  # already logged
        (june(3), date(2024, 6, 5), MON_FRI, (), False),  # broke on Tue 4
        (june(6), date(2024, 6, 7), SUN_THU, (), False),  # Friday, Sun-Thu week
        (june(6), date(2024, 6, 9), SUN_THU, (), True),  # Sunday, Sun-Thu week
        (june(3, 4, 5, 6, 7, 8, 9), date(2024, 6, 11), MON_FRI, (), True),  # kept by a freeze
    ],
)
def test_today_not_active_is_at_risk_only_on_a_workday(active, today, workdays, ranges, at_risk):
    summary = summarize(active, today=today, workdays=workdays, away=ranges)
    assert summary.at_risk is at_risk
    assert summary.today_active is False or not at_risk


@pytest.mark.parametrize(
    ("active", "today", "current", "frozen_days"),
    [
        (june(3, 4), date(2024, 6, 5), 2, ()),  # today is not missed while it lasts
        (june(3, 4, 5, 6, 7, 8, 9), date(2024, 6, 10), 7, ()),  # and spends no freeze
    ],
)
def test_today_not_active_changes_nothing_yet(active, today, current, frozen_days):
    summary = summarize(active, today=today)
    assert (summary.current, summary.frozen_days, summary.today_active) == (current, frozen_days, False)


@pytest.mark.parametrize(
    ("active", "today", "current", "longest"),
    [
        (june(3, 4, 5, 6, 10, 11), date(2024, 6, 11), 2, 4),  # Fri 7 missed
        (june(3, 5, 6, 7), date(2024, 6, 7), 3, 3),  # Tue 4 missed; the new run overtakes
        (june(3, 4, 5, 6, 7), date(2024, 6, 12), 0, 5),  # broken, longest remembered
    ],
)
def test_longest_is_updated_after_each_day(active, today, current, longest):
    summary = summarize(active, today=today)
    assert (summary.current, summary.longest) == (current, longest)


def test_long_history_is_summarized():
    active = span(date(2014, 6, 2), date(2024, 6, 7))
    summary = summarize(active, today=date(2024, 6, 7))
    assert (summary.current, summary.longest, summary.freezes) == (len(active), len(active), 2)


# -- properties ------------------------------------------------------------------------------

BASE = date(2024, 1, 1)  # a Monday
HORIZON = 60


def reference(active, *, today, workdays, away, bonus_freeze_days):
    """Return the summary, computed straight from DESIGN.md without the module's Walker."""
    active = {d for d in active if d <= today}
    if not active:
        return StreakSummary()
    current = longest = freezes = run = 0
    frozen = []
    at_risk = False
    day = min(active)
    while day <= today:
        is_away = any(a <= day <= b for a, b in away)
        if day in active:
            current += 1
            run += 1
            if run % 7 == 0:
                freezes = min(2, freezes + 1)
        elif day == today:
            at_risk = day.weekday() in workdays and not is_away and current > 0
        elif day.weekday() not in workdays or is_away:
            pass
        elif freezes:
            freezes -= 1
            frozen.append(day)
            run = 0
        else:
            current = run = 0
        if day in bonus_freeze_days:
            freezes = min(2, freezes + 1)
        longest = max(longest, current)
        day += timedelta(days=1)
    return StreakSummary(current, longest, freezes, tuple(frozen), at_risk, today in active)


days_st = st.integers(min_value=0, max_value=HORIZON).map(lambda n: BASE + timedelta(days=n))
history_st = st.fixed_dictionaries(
    {
        # Either scattered days, or every day from a start with a few gaps, so that long runs,
        # freezes and frozen days occur often.
        "active": st.sets(days_st, max_size=HORIZON)
        | st.tuples(st.integers(0, 20), st.sets(st.integers(0, HORIZON), max_size=8)).map(
            lambda t: {BASE + timedelta(days=n) for n in range(t[0], HORIZON + 1) if n not in t[1]}
        ),
        "workdays": st.frozensets(st.integers(0, 6)),
        "away": st.lists(
            st.tuples(days_st, st.integers(0, 6)).map(lambda t: (t[0], t[0] + timedelta(days=t[1]))),
            max_size=3,
        ),
        "bonus_freeze_days": st.sets(days_st, max_size=4),
    }
)
PROPERTY = settings(max_examples=120, deadline=None)


def rules(history: dict) -> dict:
    """Return the history's keyword arguments for ``summarize``, all but the active days."""
    return {key: value for key, value in history.items() if key != "active"}


@PROPERTY
@given(history=history_st, today=days_st)
def test_summary_follows_the_rules_as_written(history, today):
    expected = reference(history["active"], today=today, **rules(history))
    assert summarize(history["active"], today=today, **rules(history)) == expected


@PROPERTY
@given(history=history_st, today=days_st)
def test_current_never_exceeds_longest_and_freezes_stay_within_0_to_2(history, today):
    summary = summarize(history["active"], today=today, **rules(history))
    assert 0 <= summary.current <= summary.longest
    assert 0 <= summary.freezes <= 2
    assert list(summary.frozen_days) == sorted(set(summary.frozen_days))
    for day in summary.frozen_days:
        assert day < today and day not in history["active"] and day.weekday() in history["workdays"]
        assert not any(a <= day <= b for a, b in history["away"])


@PROPERTY
@given(history=history_st, today=days_st)
def test_at_risk_implies_an_unlogged_workday_of_a_running_streak(history, today):
    summary = summarize(history["active"], today=today, **rules(history))
    if summary.at_risk:
        assert not summary.today_active
        assert summary.current > 0
        assert today.weekday() in history["workdays"]
    assert summary.today_active == (today in history["active"])


@PROPERTY
@given(history=history_st, today=days_st, extra=days_st)
def test_adding_an_active_day_never_lowers_longest(history, today, extra):
    before = summarize(history["active"], today=today, **rules(history))
    after = summarize(history["active"] | {extra}, today=today, **rules(history))
    assert after.longest >= before.longest
    assert after.current >= before.current


@PROPERTY
@given(history=history_st, today=days_st)
def test_whole_history_equals_the_summary_reached_day_by_day(history, today):
    active, bonus = history["active"], history["bonus_freeze_days"]
    if not active or min(active) > today:
        return
    # A kept state: finished days folded one at a time, today stepped on a copy.
    kept = Walker()
    day = min(active)
    while day <= today:
        is_away = any(a <= day <= b for a, b in history["away"])
        on_the_day = replace(kept, frozen_days=list(kept.frozen_days))
        on_the_day.step(day, active=day in active, expected=False, bonus=day in bonus)
        summary = summarize(active, today=day, **rules(history))
        assert (summary.current, summary.longest, summary.freezes, list(summary.frozen_days)) == (
            on_the_day.current,
            on_the_day.longest,
            on_the_day.freezes,
            on_the_day.frozen_days,
        )
        expected = day.weekday() in history["workdays"] and not is_away
        kept.step(day, active=day in active, expected=expected, bonus=day in bonus)
        day += timedelta(days=1)


@PROPERTY
@given(
    history=history_st,
    today=days_st,
    ahead=st.integers(min_value=1, max_value=10),
    today_is=st.sampled_from(["active", "away", "non-workday"]),
)
def test_moving_today_forward_over_neutral_days_never_changes_current(history, today, ahead, today_is):
    later = today + timedelta(days=ahead)
    active = {d for d in history["active"] if not today < d <= later}
    ranges = list(history["away"])
    workdays = history["workdays"]
    if today_is == "active":
        active.add(today)
        ranges.append((today + timedelta(days=1), later))
    elif today_is == "away":
        active.discard(today)
        ranges.append((today, later))
    else:
        active.discard(today)
        # Neutral because no weekday from today to *later* is a workday.
        workdays = workdays - {d.weekday() for d in span(today, later)}
    kwargs = dict(workdays=workdays, away=ranges, bonus_freeze_days=history["bonus_freeze_days"])
    now = summarize(active, today=today, **kwargs)
    for step in range(1, ahead + 1):
        assert summarize(active, today=today + timedelta(days=step), **kwargs).current == now.current


# --- runs: the streak's stretches in a window, from the kept summary's frozen days ---

from app.streaks import Run, runs  # noqa: E402


@pytest.mark.parametrize(("active", "today", "kw", "expected"), [
    # Mon 3 – Fri 7 active, Mon 10 missed (a break), Tue 11 – Wed 12 active, today Thu 13 not yet.
    (june(3, 4, 5, 6, 7, 11, 12), date(2024, 6, 13), {},
     (Run(date(2024, 6, 3), date(2024, 6, 7), 5, True, False), Run(date(2024, 6, 11), date(2024, 6, 12), 2, False, True))),
    # The same missed Monday covered by a freeze: one run.
    (june(3, 4, 5, 6, 7, 11, 12), date(2024, 6, 13), {"frozen_days": june(10)},
     (Run(date(2024, 6, 3), date(2024, 6, 12), 7, True, True),)),
    # Away Mon 10 – Tue 11: neutral, one run; a weekend is neutral too. Mon 3 – Wed 5 were missed:
    # the run began inside the window.
    (june(6, 7, 12), date(2024, 6, 12), {"away": (away(10, 11),)},
     (Run(date(2024, 6, 6), date(2024, 6, 12), 3, False, True),)),
    # Today without a touch is never a break; yesterday missed is: nothing runs today.
    (june(3, 4), date(2024, 6, 6), {},
     (Run(date(2024, 6, 3), date(2024, 6, 4), 2, True, False),)),
    # A break on the window's first day: the first run began inside the window.
    (june(4, 5), date(2024, 6, 5), {},
     (Run(date(2024, 6, 4), date(2024, 6, 5), 2, False, True),)),
    # Sunday to Thursday workdays: Friday and Saturday are days off.
    (june(6, 9), date(2024, 6, 9), {"workdays": SUN_THU, "away": (away(3, 5),)},
     (Run(date(2024, 6, 6), date(2024, 6, 9), 2, True, True),)),
    ([], date(2024, 6, 7), {}, ()),
])
def test_runs_split_at_missed_workdays_that_no_freeze_covered(active, today, kw, expected):
    first = date(2024, 6, 3)
    assert runs(set(active), first=first, today=today, **kw) == expected


@settings(max_examples=300, deadline=None)
@given(
    offsets=st.sets(st.integers(min_value=0, max_value=60), max_size=45),
    rescues=st.sets(st.integers(min_value=0, max_value=60), max_size=5),
    length=st.integers(min_value=0, max_value=61),
)
def test_runs_over_the_whole_history_agree_with_the_streak_walk(offsets, rescues, length):
    start = date(2024, 6, 3)
    active = {start + timedelta(days=o) for o in offsets}
    bonus = {start + timedelta(days=o) for o in rescues}
    today = start + timedelta(days=length)
    summary = summarize(active, today=today, bonus_freeze_days=bonus)
    found = runs(active, first=start, today=today, frozen_days=set(summary.frozen_days))
    ongoing = [r for r in found if r.ongoing]
    assert (ongoing[0].days if ongoing else 0) == summary.current
    assert max((r.days for r in found), default=0) == summary.longest
    assert sum(r.days for r in found) == len([d for d in active if d <= today])
