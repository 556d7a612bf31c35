"""Team challenges and crisis mode (DESIGN.md "Gamification"), with explicit instants.

The standard challenge runs from Mon 3 June 2024 08:00 UTC to Mon 10 June 08:00 UTC.
"""

import json
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import clock, warmth
from app.challenges import (
    STORM_WEEK,
    Challenge,
    CustomerFact,
    Member,
    Metric,
    Progress,
    RepProgress,
    Standings,
    TouchFact,
    crisis_cadence,
    evaluate,
    finalize,
    kept_streak_through,
    description_in,
    own_target,
    own_targets,
    raised_target,
    rank,
    span_for_days,
    template_text,
    title_in,
)
from app.kinds import TouchKind
from app.warmth import Warmth

UTC = timezone.utc
START = datetime(2024, 6, 3, 8, tzinfo=UTC)
END = datetime(2024, 6, 10, 8, tzinfo=UTC)
MID = START + (END - START) / 2
TICK = timedelta(microseconds=1)


def at(day: int, hour: int = 12, minute: int = 0) -> datetime:
    """Return an instant in June 2024, UTC."""
    return datetime(2024, 6, day, hour, minute, tzinfo=UTC)


def touch(user_id: int, when: datetime, kind: str = "call", **extra) -> TouchFact:
    """Return a touch fact whose local day is its UTC date."""
    return TouchFact(user_id=user_id, occurred_at=when, local_day=when.astimezone(UTC).date(),
                     kind=kind, **extra)


def challenge(metric: Metric = Metric.team_touches, target: int = 10, **kw) -> Challenge:
    return Challenge(metric=metric, target=target, starts_at=kw.get("starts_at", START),
                     ends_at=kw.get("ends_at", END))


def members(*ids: int) -> list[Member]:
    return [Member(i) for i in ids]


def run(ch, reps, touches, customers=(), now=END, targets=None):
    return evaluate(ch, members=reps, touches=touches, customers=customers, targets=targets, now=now)


def ranked_ids(standings: Standings) -> list[int]:
    return [e.rep.user_id for e in standings.ranking]


# --- the span ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "counts"),
    [
        (START - TICK, False),
        (START, True),
        (END - TICK, True),
        (END, False),  # the end is exclusive
        (at(1), False),
        (at(11), False),
    ],
)
def test_touch_counts_when_it_occurred_in_the_half_open_span(when, counts):
    result = run(challenge(), members(1), [touch(1, when)])
    assert result.team.value == (1 if counts else 0)


def test_end_is_one_instant_in_every_time_zone():
    # A coach in Berlin runs the challenge over the local days Mon 3 – Sun 9 June.
    starts_at, ends_at = span_for_days(date(2024, 6, 3), date(2024, 6, 9), "Europe/Berlin")
    assert ends_at == datetime(2024, 6, 10, 1, tzinfo=UTC)  # Mon 03:00 CEST
    ch = challenge(starts_at=starts_at, ends_at=ends_at)
    la, tokyo = ZoneInfo("America/Los_Angeles"), ZoneInfo("Asia/Tokyo")
    late_sunday_in_la = datetime(2024, 6, 9, 18, 30, tzinfo=la)  # 01:30 UTC Monday: too late
    monday_morning_in_tokyo = datetime(2024, 6, 10, 9, 59, tzinfo=tokyo)  # 00:59 UTC: in time
    result = run(ch, members(1, 2), [
        TouchFact(1, late_sunday_in_la, date(2024, 6, 9), "call"),
        TouchFact(2, monday_morning_in_tokyo, date(2024, 6, 10), "call"),
    ], now=ends_at + timedelta(days=1))
    assert (result.rep(1).value, result.rep(2).value) == (0, 1)
    assert result.challenge.ends_at.tzinfo is UTC


def test_the_same_instant_counts_the_same_whatever_its_zone():
    instant = END - timedelta(minutes=1)
    views = [instant, instant.astimezone(ZoneInfo("Pacific/Auckland")),
             instant.astimezone(ZoneInfo("America/Chicago"))]
    for view in views:
        assert run(challenge(), members(1), [touch(1, view)]).team.value == 1


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"ends_at": START}, "end after"),
        ({"target": 0}, "at least 1"),
        ({"metric": Metric.coverage, "target": 101}, "percentage"),
        ({"metric": Metric.kinds_used, "target": 12}, "kinds"),
    ],
)
def test_invalid_challenge_is_rejected(kw, message):
    with pytest.raises(ValueError, match=message):
        Challenge(metric=kw.get("metric", Metric.team_touches), target=kw.get("target", 10),
                  starts_at=START, ends_at=kw.get("ends_at", END))


def test_naive_instants_are_rejected():
    with pytest.raises(ValueError):
        Challenge(metric=Metric.rescues, target=1, starts_at=START.replace(tzinfo=None),
                  ends_at=END)


# --- metrics ----------------------------------------------------------------------------------


def test_team_progress_keeps_the_raw_percent_and_caps_the_bar():
    touches = [touch(1, at(4, h)) for h in range(9, 24)]  # 15 touches, target 10
    team = run(challenge(target=10), members(1), touches).team
    assert (team.value, team.target, team.percent) == (15, 10, 150.0)
    assert (team.display_percent, team.done) == (100, True)
    assert team.reached_at == at(4, 18)  # the 10th touch


@pytest.mark.parametrize(("value", "target", "bar"), [(199, 200, 99), (1, 3, 33), (0, 5, 0)])
def test_progress_bar_shows_100_only_when_done(value, target, bar):
    assert Progress(value, target, 100 * value / target).display_percent == bar


def test_capped_touches_do_not_count_as_team_touches():
    touches = [touch(1, at(4, 9)), touch(1, at(4, 10)), touch(1, at(4, 11), scored=False)]
    assert run(challenge(), members(1), touches).team.value == 2


@pytest.mark.parametrize(
    ("metric", "team_value", "rep_values"),
    [
        (Metric.team_touches, 6, (4, 2)),
        (Metric.active_days, 4, (2, 2)),  # person-days: both active on the 4th counts twice
        (Metric.kinds_used, 3, (2, 2)),  # the union of kinds, not a sum
        (Metric.rescues, 2, (1, 1)),
    ],
)
def test_each_metric_adds_up_as_documented(metric, team_value, rep_values):
    touches = [
        touch(1, at(4, 9), "call"), touch(1, at(4, 10), "letter", rescue=True),
        touch(1, at(5, 9), "call"), touch(1, at(5, 10), "call"),
        touch(2, at(4, 9), "call"), touch(2, at(6, 9), "coffee", rescue=True),
    ]
    result = run(challenge(metric, target=8), members(1, 2), touches)
    assert result.team.value == team_value
    assert (result.rep(1).value, result.rep(2).value) == rep_values


@pytest.mark.parametrize(
    ("metric", "target", "reps", "own"),
    [
        (Metric.team_touches, 10, 3, 4),  # ceil(10 / 3): an equal split, rounded up
        (Metric.team_touches, 60, 5, 12),
        (Metric.active_days, 25, 5, 5),
        (Metric.rescues, 3, 5, 1),  # never below 1
        (Metric.kinds_used, 6, 5, 6),  # each rep aims for the full variety
        (Metric.coverage, 90, 5, 90),  # a share is a share
    ],
)
def test_own_target_is_an_equal_split_of_the_team_target(metric, target, reps, own):
    result = run(challenge(metric, target), members(*range(1, reps + 1)), [])
    assert {r.target for r in result.reps} == {own}


def test_touches_of_non_members_are_ignored():
    result = run(challenge(), members(1), [touch(1, at(4)), touch(99, at(4))])
    assert result.team.value == 1 and result.rep(99) is None


# --- coverage ---------------------------------------------------------------------------------


def customers(owner: int, **counts: int) -> list[CustomerFact]:
    """Return customers of *owner*, e.g. ``A_green=2`` for two green A customers."""
    found = []
    for key, n in counts.items():
        tier, state = key.split("_")
        found += [CustomerFact(owner, tier, Warmth(state))] * n
    return found


def test_coverage_is_the_share_of_a_and_b_customers_not_quiet():
    book = (
        customers(1, A_green=3, B_warming=3, A_quiet=2, C_quiet=5, B_paused=4)
        + customers(2, B_green=1, B_quiet=1)
    )
    result = run(challenge(Metric.coverage, 90), members(1, 2), [], book)
    assert result.team.value == pytest.approx(70.0)  # 7 of 10: C and paused customers left out
    assert result.rep(1).value == pytest.approx(75.0)
    assert (result.rep(1).covered, result.rep(1).customers) == (6, 8)
    assert result.rep(2).value == pytest.approx(50.0)
    assert result.rep(1).percent == pytest.approx(100 * 75 / 90)
    assert result.team.reached_at is None  # a state has no "reached at"


def test_coverage_rep_without_a_or_b_customers_comes_last():
    book = customers(1, A_green=1, A_quiet=1) + customers(2, C_green=4)
    result = run(challenge(Metric.coverage, 90), members(1, 2), [], book)
    assert result.rep(2).percent is None
    assert result.rep(2).display_percent == 0
    assert ranked_ids(result) == [1, 2]


def test_coverage_of_a_team_without_customers_is_zero():
    result = run(challenge(Metric.coverage, 90), members(1), [])
    assert (result.team.value, result.team.percent) == (0.0, 0.0)


# --- ranking ----------------------------------------------------------------------------------


def test_ranking_is_by_percent_of_own_target_not_by_volume():
    ch = challenge(target=20)  # the rep from the start: 20; the joiner, half-way: 5
    joiner = Member(2, joined_at=MID)
    touches = [touch(1, at(4, h)) for h in range(9, 17)]
    touches += [touch(2, at(8, h)) for h in range(9, 14)]
    result = run(ch, [Member(1), joiner], touches)
    assert (result.rep(1).value, result.rep(2).value) == (8, 5)  # fewer touches ...
    assert ranked_ids(result) == [2, 1]  # ... but 100 % of a smaller target beats 80 %


def test_beyond_the_target_more_volume_earns_no_place():
    ch = challenge(target=4)  # 2 reps: 2 each
    early = [touch(1, at(4, 9)), touch(1, at(4, 10))]
    spam = [touch(2, at(5, h)) for h in range(9, 21)]
    result = run(ch, members(1, 2), early + spam)
    assert result.rep(2).percent == 600.0  # the raw percent is kept ...
    assert ranked_ids(result) == [1, 2]  # ... but the first to reach the target leads


@pytest.mark.parametrize(
    ("touches", "order"),
    [
        # both finish (target 2 each): the one who reached it first leads
        ([touch(1, at(5, 9)), touch(1, at(5, 11)), touch(2, at(5, 9)), touch(2, at(5, 10))],
         [2, 1]),
        ([touch(1, at(4, 9)), touch(1, at(6, 9)), touch(2, at(5, 9)), touch(2, at(7, 9))], [1, 2]),
        # both half-way: the one who got to 1 of 2 first leads
        ([touch(1, at(6, 9)), touch(2, at(4, 9))], [2, 1]),
        # extra touches after finishing do not move the instant of finishing
        ([touch(1, at(4, 9)), touch(1, at(4, 10)), touch(1, at(4, 11)),
          touch(2, at(4, 9)), touch(2, at(4, 10, 30))], [1, 2]),
    ],
)
def test_ranking_ties_go_to_who_got_there_first(touches, order):
    result = run(challenge(target=4), members(1, 2), touches)
    assert ranked_ids(result) == order
    assert [e.position for e in result.ranking] == [1, 2]


def test_first_to_reach_is_by_absolute_instant_not_local_clock():
    berlin, new_york = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
    touches = [
        touch(1, datetime(2024, 6, 4, 15, tzinfo=berlin)),  # 13:00 UTC
        touch(2, datetime(2024, 6, 4, 8, tzinfo=new_york)),  # 12:00 UTC: earlier, though "8 am"
    ]
    result = run(challenge(target=2), members(1, 2), touches)
    assert ranked_ids(result) == [2, 1]
    assert result.rep(2).reached_at == at(4, 12)


def test_exact_ties_share_a_position():
    book = customers(1, A_green=1) + customers(2, A_green=2) + customers(3, A_green=1, A_quiet=1)
    result = run(challenge(Metric.coverage, 50), members(3, 2, 1), [], book)
    assert [(e.position, e.rep.user_id) for e in result.ranking] == [(1, 1), (1, 2), (1, 3)]
    book = customers(1, A_green=1) + customers(2, A_green=1, A_quiet=3) + customers(3, A_green=4)
    result = run(challenge(Metric.coverage, 100), members(1, 2, 3), [], book)
    assert [(e.position, e.rep.user_id) for e in result.ranking] == [(1, 1), (1, 3), (3, 2)]


def test_reps_with_nothing_yet_share_the_last_place():
    result = run(challenge(target=6), members(1, 2, 3), [touch(2, at(4))])
    assert [(e.position, e.rep.user_id) for e in result.ranking] == [(1, 2), (2, 1), (2, 3)]


def test_hidden_rep_contributes_but_is_not_ranked():
    reps = [Member(1), Member(2, hidden=True), Member(3)]
    touches = [touch(1, at(4)), touch(2, at(4, 9)), touch(2, at(4, 10)), touch(3, at(5))]
    result = run(challenge(target=6), reps, touches)
    assert result.team.value == 4  # the hidden rep's 2 touches count for the team
    assert ranked_ids(result) == [1, 3]
    assert result.rep(2).hidden and result.rep(2).value == 2
    assert result.rep(2).target == 2  # hidden reps still count in the split


def test_hidden_finisher_still_gets_the_finisher_badge():
    reps = [Member(1, hidden=True), Member(2)]
    result = run(challenge(target=2), reps, [touch(1, at(4))], now=END)
    assert result.finishers == (1,)


# --- joining, deleting, finishing -------------------------------------------------------------


@pytest.mark.parametrize(
    ("joined_at", "own", "first"),
    [
        (None, 10, 10),
        (START - timedelta(days=30), 10, 10),  # on the team long before: the two split the target
        (MID, 5, 20),  # half the time left: half of an equal split; the first rep keeps all 20
        (START + (END - START) * 3 / 4, 3, 20),  # a quarter left: ceil(2.5)
        (END - timedelta(hours=1), 1, 20),  # never below 1
    ],
)
def test_rep_joining_mid_challenge_gets_prorated_target_and_shrinks_nobodys(joined_at, own, first):
    result = run(challenge(target=20), [Member(1), Member(2, joined_at=joined_at)], [])
    assert result.rep(2).target == own
    assert result.rep(1).target == first
    assert result.rep(2).counted_from == max(START, joined_at or START)


def test_rep_joining_mid_challenge_counts_from_their_join():
    hour = timedelta(hours=1)
    touches = [touch(2, MID - hour), touch(2, MID), touch(2, MID + hour)]
    result = run(challenge(), [Member(2, joined_at=MID)], touches)
    assert result.rep(2).value == 2
    assert own_target(challenge(target=20), participants=2, counted_from=MID) == 5


# --- fixed targets ------------------------------------------------------------------------------

THIRD = (END - START) / 3


@pytest.mark.parametrize(
    ("metric", "target", "joins", "fixed"),
    [
        # user id -> (split, target): three from the start share 30; a fourth joins with 2/3 left
        (Metric.team_touches, 30, {1: None, 2: None, 3: None, 4: START + THIRD}, {1: (3, 10), 2: (3, 10), 3: (3, 10),
                                                                                   4: (4, 5)}),
        # two more join at the same instant: each counts the other (and everyone before)
        (Metric.active_days, 12, {1: None, 2: START + THIRD, 3: START + THIRD}, {1: (1, 12), 2: (3, 3), 3: (3, 3)}),
        # kinds are not split, only pro-rated
        (Metric.kinds_used, 6, {1: None, 2: START + 2 * THIRD}, {1: (1, 6), 2: (2, 2)}),
        # coverage is a percentage: neither split nor pro-rated
        (Metric.coverage, 80, {1: None, 2: START + 2 * THIRD}, {1: (1, 80), 2: (2, 80)}),
    ],
)
def test_own_targets_are_fixed_as_of_each_reps_start(metric, target, joins, fixed):
    found = own_targets(challenge(metric, target), [Member(uid, joined_at=at_) for uid, at_ in joins.items()])
    assert {uid: (f.split, f.target) for uid, f in found.items()} == fixed
    assert all(f.counted_from == max(START, joins[uid] or START) for uid, f in found.items())


def test_stored_targets_win_so_a_rep_leaving_changes_nobodys():
    before = own_targets(challenge(target=30), members(1, 2, 3))
    assert {f.target for f in before.values()} == {10}
    stored = {uid: f.target for uid, f in before.items()}
    after = run(challenge(target=30), members(1, 2), [], targets=stored)  # rep 3 left the team
    assert [r.target for r in after.reps] == [10, 10]
    unstored = run(challenge(target=30), members(1, 2), [])
    assert [r.target for r in unstored.reps] == [15, 15]  # what a recount would have done


@pytest.mark.parametrize(
    ("new_target", "new_end", "expected"),
    [
        (40, END, 14),  # raised: ceil(40 / 3)
        (20, END, 10),  # lowered: the fixed 10 stays
        (30, END, 10),  # unchanged
        (30, END + (END - START), 10),  # a longer challenge: a rep from the start keeps the share 1
    ],
)
def test_an_edit_raises_fixed_targets_and_never_lowers_them(new_target, new_end, expected):
    fixed = own_targets(challenge(target=30), members(1, 2, 3))[1]
    edited = challenge(target=new_target, ends_at=new_end)
    assert raised_target(fixed, edited).target == expected
    assert raised_target(fixed, edited).split == 3


def test_an_edit_of_the_end_raises_a_late_joiners_share():
    joiner = own_targets(challenge(target=20), [Member(1), Member(2, joined_at=MID)])[2]
    assert joiner.target == 5
    longer = challenge(target=20, ends_at=END + (END - START))  # three quarters left at the join
    assert raised_target(joiner, longer).target == 8  # ceil(10 * 0.75)
    shorter = challenge(target=20, ends_at=MID + timedelta(hours=1))
    assert raised_target(joiner, shorter).target == 5  # never lower


def test_member_joining_after_the_end_does_not_take_part():
    result = run(challenge(target=20), [Member(1), Member(2, joined_at=END)], [touch(2, at(5))])
    assert result.rep(2) is None and result.rep(1).target == 20


def test_touch_deleted_during_the_challenge_does_not_count():
    gone = touch(1, at(4), deleted_at=at(5))
    assert run(challenge(), members(1), [gone], now=at(6)).team.value == 0
    assert run(challenge(), members(1), [gone], now=END + timedelta(days=1)).team.value == 0


def test_touch_counts_until_it_is_deleted():
    gone = touch(1, at(4), deleted_at=at(6))
    assert run(challenge(), members(1), [gone], now=at(5)).team.value == 1


@pytest.mark.parametrize("deleted_at", [END, END + timedelta(minutes=5), END + timedelta(days=30)])
def test_touch_deleted_after_the_end_still_counts(deleted_at):
    gone = touch(1, at(4), deleted_at=deleted_at)
    result = finalize(challenge(), members=members(1), touches=[gone], now=END + timedelta(days=31))
    assert result.team.value == 1


def test_touch_recorded_after_the_end_does_not_count():
    late_sync = touch(1, END - timedelta(minutes=5), recorded_at=END + timedelta(minutes=1))
    backfill_in_time = touch(1, at(4), recorded_at=END - TICK)
    result = run(challenge(), members(1), [late_sync, backfill_in_time],
                 now=END + timedelta(hours=2))
    assert result.team.value == 1


def test_finalize_is_not_changed_by_later_deletes():
    reps = [Member(1), Member(2, hidden=True)]
    touches = [touch(1, at(4)), touch(1, at(5)), touch(2, at(6))]
    at_the_end = finalize(challenge(target=4), members=reps, touches=touches, now=END)
    later = [replace(t, deleted_at=END + timedelta(days=2)) for t in touches]
    a_week_on = finalize(challenge(target=4), members=reps, touches=later,
                         now=END + timedelta(days=7))
    assert a_week_on == at_the_end
    assert at_the_end.final and at_the_end.as_of == END and at_the_end.time_elapsed == 1.0
    assert at_the_end.finishers == (1,)


def test_finalize_before_the_end_is_refused():
    with pytest.raises(ValueError):
        finalize(challenge(), members=members(1), touches=[], now=END - TICK)


def test_standings_before_the_end_are_not_final():
    result = run(challenge(), members(1), [touch(1, at(4))], now=MID)
    assert not result.final
    assert result.as_of == MID and result.time_elapsed == 0.5


def test_before_the_start_nothing_has_elapsed():
    result = run(challenge(), members(1), [], now=START - timedelta(days=1))
    assert result.time_elapsed == 0.0 and result.team.value == 0


@pytest.mark.parametrize("metric", list(Metric))
def test_snapshot_round_trips_through_json(metric):
    reps = [Member(1), Member(2, hidden=True), Member(3, joined_at=MID)]
    touches = [touch(1, at(4), "letter", rescue=True), touch(3, at(8), "walk"), touch(2, at(5))]
    book = customers(1, A_green=2, B_quiet=1) + customers(3, B_warming=1)
    target = 90 if metric is Metric.coverage else 3
    result = finalize(challenge(metric, target), members=reps, touches=touches, customers=book,
                      now=END)
    stored = json.loads(json.dumps(result.to_dict()))
    assert Standings.from_dict(stored) == result


# --- crisis mode ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cadence", "crisis"),
    [(7, 4.9), (14, 9.8), (30, 21.0), (90, 63.0), (10, 7.0), (1, 1.0), (365, 255.5)],
)
def test_crisis_tightens_cadence_by_0_7(cadence, crisis):
    assert crisis_cadence(cadence) == crisis


def test_crisis_cadence_is_exact_so_warmth_turns_quiet_on_the_right_day():
    today = date(2024, 6, 10)
    cadence = crisis_cadence(90)
    status = warmth.status(last_touch_day=today - timedelta(days=63), created_day=date(2024, 1, 1),
                           today=today, cadence_days=cadence)
    assert status is Warmth.warming  # day 63 of 63 is not yet quiet
    assert warmth.status(last_touch_day=today - timedelta(days=5), created_day=date(2024, 1, 1),
                         today=today, cadence_days=crisis_cadence(7)) is Warmth.quiet


@pytest.mark.parametrize("bad", [0, -7, True])
def test_crisis_cadence_rejects_nonsense(bad):
    with pytest.raises(ValueError):
        crisis_cadence(bad)


def test_storm_week_template_is_a_90_percent_coverage_week_in_both_languages():
    assert (STORM_WEEK.metric, STORM_WEEK.days, STORM_WEEK.target) == (Metric.coverage, 7, 90)
    for texts in (STORM_WEEK.title, STORM_WEEK.description):
        assert texts["en"] and texts["de"] and texts["en"] != texts["de"]


@pytest.mark.parametrize(
    ("title", "template", "locale", "shown"),
    [
        (None, "storm_week", "en", "Storm week"),
        (None, "storm_week", "de", "Sturmwoche"),
        (None, "storm_week", "de-AT", "Sturmwoche"),
        (None, "storm_week", "fr", "Storm week"),  # a language without texts: English
        (None, "storm_week", None, "Storm week"),
        ("Our own storm", "storm_week", "de", "Our own storm"),  # a title the coach typed wins
        ("Letters week", None, "de", "Letters week"),
        (None, "retired_template", "en", ""),
    ],
)
def test_a_template_challenge_is_titled_in_the_readers_language(title, template, locale, shown):
    assert title_in(title, template, locale) == shown


def test_a_template_description_in_the_readers_language_unless_the_coach_wrote_one():
    assert description_in(None, "storm_week", "de").startswith("Diese Woche wird niemand still")
    assert description_in(None, "storm_week", "en").startswith("Nobody goes quiet this week")
    assert description_in("Call everyone.", "storm_week", "de") == "Call everyone."
    assert description_in(None, None, "de") is None


@pytest.mark.parametrize(("typed", "is_template"), [("Storm week", True), (" Sturmwoche ", True),
                                                    ("Storm week!", False), ("", False)])
def test_a_typed_text_that_is_the_templates_keeps_the_template(typed, is_template):
    assert template_text(STORM_WEEK.title, typed) is is_template


def test_storm_week_runs_seven_local_days_of_the_coach():
    ch = STORM_WEEK.schedule(date(2024, 3, 25), "Europe/Berlin")  # DST starts on Sun 31 March
    assert ch.starts_at == datetime(2024, 3, 25, 2, tzinfo=UTC)  # Mon 03:00 CET
    assert ch.ends_at == datetime(2024, 4, 1, 1, tzinfo=UTC)  # Mon 03:00 CEST
    assert clock.local_day(ch.ends_at - TICK, "Europe/Berlin") == date(2024, 3, 31)
    assert (ch.metric, ch.target) == (Metric.coverage, 90)


def june(*days: int) -> set[date]:
    return {date(2024, 6, d) for d in days}


@pytest.mark.parametrize(
    ("active", "kept"),
    [
        (june(3, 4, 5, 6, 7, 10), True),  # every workday of Mon 3 – Mon 10
        (june(3, 4, 5, 6, 7), True),  # the last day is still open at the end
        (june(3, 4, 6, 7, 10), False),  # Wednesday missed, no freeze held
        # a 7-day run before the crisis earned a freeze that covers the Wednesday
        (june(1, 2) | {date(2024, 5, d) for d in range(27, 32)} | june(3, 4, 6, 7), True),
        (set(), False),
        (june(1, 2), False),  # nothing logged during the crisis
        (june(8, 9), False),  # weekend only: Monday to Friday missed
    ],
)
def test_storm_rider_kept_the_streak_through_the_whole_crisis(active, kept):
    result = kept_streak_through(active, first_day=date(2024, 6, 3), last_day=date(2024, 6, 10))
    assert result is kept


def test_storm_rider_away_days_are_neutral():
    away = [(date(2024, 6, 5), date(2024, 6, 6))]
    assert kept_streak_through(june(3, 4, 7), first_day=date(2024, 6, 3), last_day=date(2024, 6, 9),
                               away=away)


# --- properties -------------------------------------------------------------------------------

instants = st.integers(-2 * 24 * 60, 9 * 24 * 60).map(lambda m: START + timedelta(minutes=m))
member_lists = st.lists(
    st.builds(Member, user_id=st.integers(1, 8), hidden=st.booleans(),
              joined_at=st.none() | instants),
    max_size=8,
    unique_by=lambda m: m.user_id,
)
touch_lists = st.lists(
    st.builds(
        lambda uid, when, kind, rescue, scored: touch(uid, when, kind, rescue=rescue,
                                                      scored=scored),
        st.integers(1, 9), instants, st.sampled_from(list(TouchKind)), st.booleans(), st.booleans(),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(reps=member_lists, touches=touch_lists,
       metric=st.sampled_from([m for m in Metric if m is not Metric.coverage]),
       target=st.integers(1, 11), now=instants)
def test_ranking_is_a_permutation_of_visible_reps(reps, touches, metric, target, now):
    result = run(challenge(metric, target), reps, touches, now=now)
    visible = sorted(r.user_id for r in result.reps if not r.hidden)
    assert sorted(ranked_ids(result)) == visible
    positions = [e.position for e in result.ranking]
    assert positions == sorted(positions)
    assert all(1 <= p <= i + 1 for i, p in enumerate(positions))
    if metric is not Metric.kinds_used:
        assert result.team.value == sum(r.value for r in result.reps)
    assert all(r.target >= 1 and r.value >= 0 for r in result.reps)


@settings(max_examples=100, deadline=None)
@given(reps=st.lists(st.builds(RepProgress, user_id=st.integers(1, 50), value=st.integers(0, 9),
                               target=st.integers(1, 9), percent=st.none() | st.floats(0, 500),
                               reached_at=st.none() | instants, hidden=st.booleans(),
                               counted_from=st.just(START)),
                     unique_by=lambda r: r.user_id, max_size=10))
def test_rank_never_puts_a_lower_level_above_a_higher_one(reps):
    ranking = rank(reps)
    levels = [-1 if e.rep.percent is None else min(100.0, e.rep.percent) for e in ranking]
    assert levels == sorted(levels, reverse=True)
