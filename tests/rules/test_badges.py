"""Badges (DESIGN.md "Gamification"): a registry of rules over a stats snapshot.

June 2024: Mon 3 ... Fri 7, Mon 10 ... Fri 14, Mon 17 ... Fri 21, Mon 24 ... Fri 28.
"""

import re
import xml.etree.ElementTree as ET
from dataclasses import FrozenInstanceError
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import badges
from app.badges import (
    BADGES,
    KUDOS_PER_COACH_PER_MONTH,
    LANGUAGES,
    Badge,
    Stats,
    count_perfect_weeks,
    iso_week,
    may_give_kudos,
    month_of,
    newly_earned,
    week_start,
)
from app.kinds import TouchKind

DESIGN_BADGES = {
    "first_touch", "streak_7", "streak_30", "streak_100", "five_kinds_week", "ten_letters",
    "first_dog_walk", "lifeline", "perfect_week", "storm_rider", "coach_kudos",
}


def june(*days: int) -> list[date]:
    """Return the given days of June 2024."""
    return [date(2024, 6, d) for d in days]


def codes(found: list[Badge]) -> set[str]:
    return {b.code for b in found}


def test_registry_has_at_least_15_badges_including_those_in_the_design():
    assert len(BADGES) >= 15
    assert DESIGN_BADGES <= set(BADGES)
    assert all(code == badge.code for code, badge in BADGES.items())
    assert all(re.fullmatch(r"[a-z0-9_]+", code) for code in BADGES)


@pytest.mark.parametrize("code", list(BADGES))
def test_every_badge_has_name_description_and_unit_in_english_and_german(code):
    badge = BADGES[code]
    for texts in (badge.name, badge.description, badge.unit):
        assert set(LANGUAGES) <= set(texts)
        assert all(texts[lang].strip() for lang in LANGUAGES)
    assert badge.name["en"] != badge.name["de"] or badge.code == "storm_rider"


def test_names_are_unique_per_language():
    for lang in LANGUAGES:
        names = [b.name[lang] for b in BADGES.values()]
        assert len(names) == len(set(names))


@pytest.mark.parametrize("code", list(BADGES))
def test_every_icon_is_a_small_safe_inline_svg(code):
    icon = BADGES[code].icon
    root = ET.fromstring(icon)  # well-formed XML
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 24 24"
    assert "currentColor" in icon
    assert "<script" not in icon.lower()
    assert not re.search(r"\son\w+\s*=", icon)  # no event handlers (CSP)
    assert "href" not in icon
    assert all(el.tag.split("}")[1] in {"svg", "path", "circle", "rect"} for el in root.iter())


@pytest.mark.parametrize(
    ("code", "stats", "earned"),
    [
        ("first_touch", Stats(), False),
        ("first_touch", Stats(total_touches=1), True),
        ("streak_7", Stats(current_streak=6, longest_streak=6), False),
        ("streak_7", Stats(current_streak=7, longest_streak=7), True),
        ("streak_7", Stats(current_streak=0, longest_streak=9), True),  # a past streak counts
        ("streak_30", Stats(current_streak=29, longest_streak=29), False),
        ("streak_30", Stats(current_streak=30, longest_streak=30), True),
        ("streak_100", Stats(current_streak=99, longest_streak=99), False),
        ("streak_100", Stats(current_streak=100, longest_streak=100), True),
        ("five_kinds_week", Stats(kinds_this_week=4), False),
        ("five_kinds_week", Stats(kinds_this_week=5), True),
        ("ten_letters", Stats(touches_by_kind={TouchKind.letter: 9}), False),
        ("ten_letters", Stats(touches_by_kind={"letter": 10}), True),
        ("ten_letters", Stats(touches_by_kind={TouchKind.email: 50}), False),  # never volume
        ("first_dog_walk", Stats(touches_by_kind={TouchKind.walk: 1}), True),
        ("coffee_and_cake", Stats(touches_by_kind={TouchKind.coffee: 1}), True),
        ("on_the_doorstep", Stats(touches_by_kind={TouchKind.visit: 1}), True),
        ("be_creative", Stats(touches_by_kind={TouchKind.other: 1}), True),
        ("kaleidoscope", Stats(touches_by_kind=dict.fromkeys(list(TouchKind)[:7], 1)), False),
        ("kaleidoscope", Stats(touches_by_kind=dict.fromkeys(list(TouchKind)[:8], 1)), True),
        ("kaleidoscope", Stats(touches_by_kind={**dict.fromkeys(list(TouchKind)[:7], 1),
                                               TouchKind.other: 0}), False),
        ("welcome_back", Stats(rescues=1, max_quiet_days_rescued=8), True),
        ("lifeline", Stats(rescues=3, max_quiet_days_rescued=59), False),
        ("lifeline", Stats(rescues=1, max_quiet_days_rescued=60), True),
        ("perfect_week", Stats(perfect_weeks=1), True),
        ("clockwork", Stats(perfect_weeks=3), False),
        ("clockwork", Stats(perfect_weeks=4), True),
        ("storm_rider", Stats(storm_rider=False), False),
        ("storm_rider", Stats(storm_rider=True), True),
        ("coach_kudos", Stats(kudos_received=1), True),
        ("challenge_finisher", Stats(challenges_finished=1), True),
        ("no_one_left_out", Stats(customers=9, quiet_customers=0), False),  # too few to count
        ("no_one_left_out", Stats(customers=12, quiet_customers=1), False),
        ("no_one_left_out", Stats(customers=12, quiet_customers=0), True),
    ],
)
def test_badge_rule(code, stats, earned):
    assert BADGES[code].earned(stats) is earned


@pytest.mark.parametrize(
    ("code", "stats", "locale", "label"),
    [
        ("ten_letters", Stats(touches_by_kind={TouchKind.letter: 7}), "en", "7/10 letters"),
        ("ten_letters", Stats(touches_by_kind={TouchKind.letter: 7}), "de", "7/10 Briefe"),
        ("ten_letters", Stats(touches_by_kind={TouchKind.letter: 7}), "de-AT", "7/10 Briefe"),
        ("ten_letters", Stats(touches_by_kind={TouchKind.letter: 7}), "fr", "7/10 letters"),
        ("ten_letters", Stats(touches_by_kind={TouchKind.letter: 14}), "en", "10/10 letters"),
        # while locked, a streak badge shows the streak being built, not an old record
        ("streak_30", Stats(current_streak=3, longest_streak=12), "en", "3/30 days"),
        ("lifeline", Stats(max_quiet_days_rescued=23), "en", "23/60 quiet days"),
        ("five_kinds_week", Stats(kinds_this_week=2), "de", "2/5 Arten diese Woche"),
        ("no_one_left_out", Stats(customers=4, quiet_customers=1), "en", "3/10 customers in touch"),
        ("no_one_left_out", Stats(customers=20, quiet_customers=5), "en",
         "15/20 customers in touch"),
        ("storm_rider", Stats(), "de", "0/1 Stürme"),
    ],
)
def test_locked_badge_shows_progress(code, stats, locale, label):
    assert BADGES[code].progress_label(stats, locale) == label


@pytest.mark.parametrize("code", list(BADGES))
def test_progress_is_complete_exactly_when_earned_for_plain_badges(code):
    badge = BADGES[code]
    empty = badge.progress(Stats())
    assert empty[0] == 0 and empty[1] >= 1
    assert not badge.earned(Stats())


def test_badge_is_awarded_only_once():
    stats = Stats(total_touches=1, touches_by_kind={TouchKind.walk: 1})
    first = newly_earned(stats, set())
    assert codes(first) == {"first_touch", "first_dog_walk"}
    assert newly_earned(stats, codes(first)) == []


def test_newly_earned_returns_only_what_changed():
    before = Stats(total_touches=9, touches_by_kind={TouchKind.letter: 9})
    after = Stats(total_touches=10, touches_by_kind={TouchKind.letter: 10})
    held = codes(newly_earned(before, set()))
    assert codes(newly_earned(after, held)) == {"ten_letters"}


def test_earned_badge_is_kept_when_stats_drop():
    assert newly_earned(Stats(), {"streak_7", "first_touch"}) == []


def test_newly_earned_ignores_retired_codes_and_keeps_registry_order():
    stats = Stats(total_touches=3, current_streak=7, longest_streak=7, storm_rider=True)
    found = newly_earned(stats, {"retired_badge"})
    order = list(BADGES)
    assert [b.code for b in found] == sorted((b.code for b in found), key=order.index)
    assert codes(found) == {"first_touch", "streak_7", "storm_rider"}


def test_duplicate_code_or_missing_language_cannot_be_registered():
    with pytest.raises(ValueError):
        badges.register(BADGES["first_touch"])
    broken = Badge(code="half_translated", name={"en": "Half"}, description={"en": "x", "de": "x"},
                   unit={"en": "x", "de": "x"}, icon="", target=1, measure=lambda s: 0)
    with pytest.raises(ValueError):
        badges.register(broken)
    assert "half_translated" not in BADGES


def test_stats_are_frozen():
    with pytest.raises(FrozenInstanceError):
        Stats().total_touches = 5


@pytest.mark.parametrize(
    ("given_this_month", "allowed"),
    [(0, True), (1, True), (2, True), (3, False), (7, False)],
)
def test_a_coach_gives_at_most_3_kudos_a_month(given_this_month, allowed):
    assert KUDOS_PER_COACH_PER_MONTH == 3
    assert may_give_kudos(given_this_month) is allowed


@pytest.mark.parametrize(
    ("day", "first", "last"),
    [
        (date(2024, 2, 14), date(2024, 2, 1), date(2024, 2, 29)),
        (date(2024, 12, 31), date(2024, 12, 1), date(2024, 12, 31)),
        (date(2023, 1, 1), date(2023, 1, 1), date(2023, 1, 31)),
    ],
)
def test_kudos_month_is_the_calendar_month(day, first, last):
    assert month_of(day) == (first, last)


@pytest.mark.parametrize(
    ("day", "monday"),
    [(date(2024, 6, 3), date(2024, 6, 3)), (date(2024, 6, 9), date(2024, 6, 3)),
     (date(2024, 12, 31), date(2024, 12, 30))],
)
def test_iso_week_runs_monday_to_sunday(day, monday):
    assert iso_week(day) == (monday, monday + timedelta(days=6))


@pytest.mark.parametrize(
    ("workdays", "start"),
    [
        (frozenset({0, 1, 2, 3, 4}), 0),
        (frozenset({6, 0, 1, 2, 3}), 6),
        (frozenset({1, 2, 3, 4, 5}), 1),
        (frozenset({0, 1, 3, 4}), 0),
        (frozenset(range(7)), 0),
        (frozenset(), 0),
    ],
)
def test_work_week_starts_on_the_first_workday_after_a_day_off(workdays, start):
    assert week_start(workdays) == start


@pytest.mark.parametrize(
    ("active", "today", "away", "workdays", "perfect"),
    [
        (june(3, 4, 5, 6, 7), date(2024, 6, 7), (), None, 1),  # perfect as soon as Friday is logged
        (june(3, 4, 5, 6), date(2024, 6, 6), (), None, 0),  # Friday still ahead
        (june(3, 4, 5, 6), date(2024, 6, 9), (), None, 0),  # Friday missed
        # the weekend does not make up for Wednesday
        (june(3, 4, 6, 7, 8, 9), date(2024, 6, 9), (), None, 0),
        (june(3, 4, 6, 7), date(2024, 6, 9), ((date(2024, 6, 5), date(2024, 6, 5)),), None, 1),
        (june(8), date(2024, 6, 9), ((date(2024, 6, 3), date(2024, 6, 7)),), None, 0),  # all away
        (june(3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 18), date(2024, 6, 30), (), None, 2),
        (june(2, 3, 4, 5, 6), date(2024, 6, 9), (), frozenset({6, 0, 1, 2, 3}), 1),  # Sun–Thu week
        (june(3, 4, 5, 6, 9), date(2024, 6, 9), (), frozenset({6, 0, 1, 2, 3}), 0),  # not Mon–Sun
        ([], date(2024, 6, 9), (), None, 0),
    ],
)
def test_perfect_week_means_every_expected_workday_active(active, today, away, workdays, perfect):
    kwargs = {"workdays": workdays} if workdays else {}
    assert count_perfect_weeks(active, today=today, away=away, **kwargs) == perfect


stats_strategy = st.builds(
    Stats,
    total_touches=st.integers(0, 500),
    touches_by_kind=st.dictionaries(st.sampled_from(list(TouchKind)), st.integers(0, 40)),
    kinds_this_week=st.integers(0, 11),
    current_streak=st.integers(0, 150),
    longest_streak=st.integers(0, 150),
    rescues=st.integers(0, 20),
    max_quiet_days_rescued=st.integers(0, 120),
    perfect_weeks=st.integers(0, 10),
    kudos_received=st.integers(0, 5),
    challenges_finished=st.integers(0, 5),
    storm_rider=st.booleans(),
    customers=st.integers(0, 40),
    quiet_customers=st.integers(0, 40),
)


@settings(max_examples=300)
@given(stats=stats_strategy, already=st.sets(st.sampled_from(list(BADGES) + ["retired"])))
def test_newly_earned_never_returns_an_already_earned_badge(stats, already):
    found = newly_earned(stats, already)
    assert not codes(found) & already
    assert len(found) == len(codes(found))
    assert newly_earned(stats, already | codes(found)) == []


@given(stats=stats_strategy)
def test_progress_stays_within_its_target(stats):
    for badge in BADGES.values():
        value, target = badge.progress(stats)
        assert 0 <= value <= target
