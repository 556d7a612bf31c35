"""The nudge engine (DESIGN.md "Nudges"), with explicit instants, and the words of its pushes.

June 2024: Sat 1, Sun 2, Mon 3, Tue 4, Wed 5, Thu 6, Fri 7, Sat 8, Sun 9, Mon 10, Tue 11.
Every instant is given in UTC with the rep's wall-clock reading in a comment; Europe/Berlin is
UTC+2 in June.
"""

import json
import re
from dataclasses import FrozenInstanceError, replace
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext

from app import ROOT, clock, ideas
from app.nudges import rules, texts
from app.nudges.model import Nudge, NudgeKind, RepSnapshot
from app.nudges.moment import in_quiet_hours
from app.nudges.rules import MAX_PER_DAY, PRIORITY, dedup_key, make_test_nudge
from app.nudges.texts import TEMPLATES, clip

UTC = timezone.utc
MON = date(2024, 6, 3)
ALL_DAYS = frozenset(range(7))
TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@pytest.fixture(scope="module", autouse=True)
def _catalogue(_app):
    """Word the pushes inside an app context, as the scan does: the texts are in the catalogue."""
    with _app.app_context():
        yield


def due(snapshot: RepSnapshot, now: datetime) -> list:
    """Return the nudges the rules find due, worded as the scan words them before enqueueing."""
    return [texts.render(nudge) for nudge in rules.due(snapshot, now)]


def touch_ideas(lang: str) -> list[str]:
    """Return the touch ideas of `app.ideas` in *lang*."""
    with force_locale(lang):
        return [str(idea) for idea in ideas.IDEAS]


def placeholders(template: str) -> frozenset[str]:
    """Return the names of the ``%(placeholders)s`` in a template."""
    return frozenset(re.findall(r"%\((\w+)\)", template))


def utc(*args: int) -> datetime:
    """Return an aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    """Return the instant of June *day* 2024, *hour*:*minute* wall clock in Berlin."""
    return utc(2024, 6, day, hour, minute) - timedelta(hours=2)


def rep(**changes) -> RepSnapshot:
    """Return a Berlin rep (quiet hours 22→7) with nothing due, changed by *changes*."""
    base = RepSnapshot(user_id=7, timezone="Europe/Berlin", quiet_start_hour=22, quiet_end_hour=7)
    return replace(base, **changes)


def kinds(nudges: list[Nudge]) -> list[NudgeKind]:
    """Return the kinds of *nudges*, in order."""
    return [n.kind for n in nudges]


MUELLER = (3, "Müller AG", 16)
SCHMIDT = (4, "Schmidt GmbH", 12)
AT_RISK = {"streak_current": 12, "quiet_customers": (MUELLER,)}
BADGE = {"new_badges": (("first_touch", "First touch"),)}
EVERYTHING = {
    "streak_current": 12,
    "quiet_customers": (MUELLER, SCHMIDT),
    "last_active_day": date(2024, 5, 29),
    "quiet_reps": ((21, "Anna", 4),),
    "new_badges": (("first_touch", "First touch"),),
    "finished_challenges": ((5, "Spring coverage"),),
}


# --- streak at risk: the rep's evening hour, in every zone -----------------------------


@pytest.mark.parametrize(
    ("tz", "evening"),
    [
        ("Europe/Berlin", utc(2024, 6, 3, 16, 0)),  # Mon 18:00 CEST
        ("America/Los_Angeles", utc(2024, 6, 4, 1, 0)),  # Mon 18:00 PDT
        ("Asia/Kolkata", utc(2024, 6, 3, 12, 30)),  # Mon 18:00 IST
        ("Pacific/Auckland", utc(2024, 6, 3, 6, 0)),  # Mon 18:00 NZST
    ],
)
def test_streak_at_risk_is_due_from_the_local_evening_hour(tz, evening):
    snapshot = rep(timezone=tz, **AT_RISK)
    assert due(snapshot, evening - timedelta(minutes=1)) == []
    [nudge] = due(snapshot, evening)
    assert nudge.kind is NudgeKind.streak_at_risk
    assert nudge.local_day == MON
    assert nudge.key == "7:streak_at_risk:2024-06-03"
    assert nudge.url == "/customers/3"


def test_streak_at_risk_is_not_due_once_something_was_logged_today():
    assert due(rep(**AT_RISK, today_active=True), berlin(3, 19)) == []
    assert due(rep(**AT_RISK, touches_today=1), berlin(3, 19)) == []


def test_streak_at_risk_needs_a_running_streak():
    assert due(rep(streak_current=0, quiet_customers=(MUELLER,)), berlin(3, 19)) == []


def test_streak_at_risk_after_midnight_still_belongs_to_the_evening_before():
    snapshot = rep(**AT_RISK, quiet_start_hour=3, quiet_end_hour=9)
    [nudge] = due(snapshot, berlin(3, 23, 30) + timedelta(hours=2))  # Tue 01:30
    assert nudge.kind is NudgeKind.streak_at_risk
    assert nudge.local_day == MON


def test_streak_at_risk_without_quiet_customers_links_to_today():
    [nudge] = due(rep(streak_current=1), berlin(3, 18))
    assert nudge.url == "/"
    assert "1-day streak" in nudge.title


def test_streak_at_risk_lives_until_the_end_of_the_local_day():
    [nudge] = due(rep(**AT_RISK), berlin(3, 18))
    # the day ends at Tue 03:00 CEST = Tue 01:00 UTC, nine hours after Mon 18:00
    assert nudge.ttl == 9 * 3600
    assert nudge.urgency == "high"


# --- daylight saving: the evening hour is wall-clock time --------------------------------


@pytest.mark.parametrize(
    ("tz", "evening"),
    [
        ("Europe/Zurich", utc(2024, 3, 30, 17, 0)),  # Sat 18:00 CET, the day before spring forward
        ("Europe/Zurich", utc(2024, 3, 31, 16, 0)),  # Sun 18:00 CEST, clocks went forward at 02:00
        ("Europe/Zurich", utc(2024, 10, 27, 17, 0)),  # Sun 18:00 CET, clocks went back at 03:00
        ("America/New_York", utc(2024, 3, 10, 22, 0)),  # Sun 18:00 EDT, spring forward
        ("America/New_York", utc(2024, 11, 3, 23, 0)),  # Sun 18:00 EST, fall back
    ],
)
def test_streak_at_risk_on_daylight_saving_days_follows_the_wall_clock(tz, evening):
    # Clocks change on Sundays, so this rep works every day.
    snapshot = rep(timezone=tz, workdays=ALL_DAYS, **AT_RISK)
    assert due(snapshot, evening - timedelta(minutes=1)) == []
    [nudge] = due(snapshot, evening)
    assert nudge.kind is NudgeKind.streak_at_risk
    assert nudge.local_day == evening.date()
    _, day_end = clock.day_bounds(nudge.local_day, tz, 3)
    assert nudge.ttl == (day_end - evening).total_seconds()


# --- quiet hours -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "hour", "quiet"),
    [
        (22, 7, 21, False),
        (22, 7, 22, True),
        (22, 7, 23, True),
        (22, 7, 0, True),
        (22, 7, 6, True),
        (22, 7, 7, False),
        (12, 14, 11, False),
        (12, 14, 12, True),
        (12, 14, 13, True),
        (12, 14, 14, False),
        (23, 0, 23, True),
        (23, 0, 0, False),
    ],
)
def test_quiet_hours_include_the_start_and_exclude_the_end(start, end, hour, quiet):
    assert in_quiet_hours(rep(quiet_start_hour=start, quiet_end_hour=end), hour) is quiet


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (berlin(3, 21, 59), True),
        (berlin(3, 22, 0), False),
        (berlin(3, 23, 59), False),
        (berlin(4, 0, 30), False),
        (berlin(4, 3, 0), False),
        (berlin(4, 6, 59), False),
        (berlin(4, 7, 0), True),
    ],
)
def test_no_push_in_quiet_hours_across_midnight(instant, expected):
    assert bool(due(rep(**BADGE), instant)) is expected


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (berlin(3, 11, 59), True),
        (berlin(3, 12, 0), False),
        (berlin(3, 13, 59), False),
        (berlin(3, 14, 0), True),
    ],
)
def test_no_push_in_quiet_hours_at_lunchtime(instant, expected):
    snapshot = rep(**BADGE, quiet_start_hour=12, quiet_end_hour=14)
    assert bool(due(snapshot, instant)) is expected


def test_an_evening_hour_inside_quiet_hours_never_warns_and_keeps_no_slot():
    snapshot = rep(**EVERYTHING, evening_hour=22, quiet_start_hour=21, quiet_end_hour=8)
    assert kinds(due(snapshot, berlin(3, 9))) == [NudgeKind.coach_alert, NudgeKind.quiet_digest]
    assert due(snapshot, berlin(3, 22, 30)) == []


def test_quiet_hours_equal_start_and_end_are_rejected():
    with pytest.raises(ValueError):
        rep(quiet_start_hour=8, quiet_end_hour=8)
    with pytest.raises(ValueError):
        rep(evening_hour=24)


# --- the morning digest ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("quiet", "instant", "expected"),
    [
        ((22, 7), berlin(3, 7, 59), False),
        ((22, 7), berlin(3, 8, 0), True),
        ((22, 7), berlin(3, 11, 59), True),
        ((22, 7), berlin(3, 12, 0), False),
        ((22, 9), berlin(3, 8, 30), False),  # the morning opens when the quiet hours end
        ((22, 9), berlin(3, 9, 0), True),
        ((0, 13), berlin(3, 13, 0), True),  # late risers still get two hours of morning
        ((0, 13), berlin(3, 14, 59), True),
        ((0, 13), berlin(3, 15, 0), False),
    ],
)
def test_the_quiet_digest_comes_in_the_morning_after_quiet_hours(quiet, instant, expected):
    snapshot = rep(quiet_customers=(MUELLER,), quiet_start_hour=quiet[0], quiet_end_hour=quiet[1])
    assert (NudgeKind.quiet_digest in kinds(due(snapshot, instant))) is expected


def test_the_quiet_digest_is_one_push_naming_the_top_customers():
    customers = (MUELLER, SCHMIDT, (5, "Meier KG", 9), (6, "Bäckerei Huber", 8))
    [nudge] = due(rep(quiet_customers=customers, locale="en", user_id=_user_for(0, MON)), berlin(3, 8))
    assert nudge.title == "Müller AG: 16 days without news"
    assert "Also quiet: Schmidt GmbH (12 days), Meier KG (9 days), +1 more." in nudge.body
    assert nudge.url == "/customers/3"
    assert nudge.topic == "tb-quiet-digest"


def test_no_digest_when_no_customer_is_quiet():
    assert due(rep(warming_count=4), berlin(3, 8)) == []


# --- follow-ups due: in the morning digest ------------------------------------------------

BERGER = (8, "Berger OHG", 0)
KRAUS = (9, "Kraus KG", 0)


def test_due_follow_ups_lead_the_digest_with_three_names_at_most_and_the_quiet_counted():
    planned = ((3, "Müller AG", 2), BERGER, KRAUS, (0, "", 0))  # a fourth, beyond the named ones
    snapshot = rep(due_follow_ups=planned, quiet_customers=(SCHMIDT, (5, "Meier KG", 9)), user_id=_user_for(0, MON))
    [nudge] = due(snapshot, berlin(3, 8))
    assert nudge.kind == NudgeKind.quiet_digest and nudge.url == "/customers/3"
    assert nudge.title == "Your next touch: Müller AG"
    assert nudge.body.startswith("You planned it, and it is 2 days overdue. A short hello keeps your word. "
                                 "Also planned: Berger OHG (due today), Kraus KG (due today), +1 more. "
                                 "2 customers are going quiet.")
    assert "Schmidt" not in nudge.body and _has_idea(nudge)


def test_a_rep_with_a_follow_up_due_and_nobody_quiet_gets_the_digest_too():
    [nudge] = due(rep(due_follow_ups=(BERGER,), user_id=_user_for(1, MON)), berlin(3, 9))
    assert nudge.title == "Planned: Berger OHG" and nudge.url == "/customers/8"
    assert nudge.body.startswith("It is due today — one touch and it is done.")
    assert "going quiet" not in nudge.body and "Also" not in nudge.body


def test_a_customer_planned_and_quiet_is_named_once():
    planned_and_quiet = (3, "Müller AG", 1)
    [nudge] = due(rep(due_follow_ups=(planned_and_quiet,), quiet_customers=(MUELLER,), user_id=_user_for(2, MON)),
                  berlin(3, 9))
    assert nudge.title == "Time for Müller AG" and "going quiet" not in nudge.body
    assert nudge.body.startswith("You planned this touch yourself; it is 1 day overdue.")


@pytest.mark.parametrize(
    ("changes", "instant"),
    [
        ({}, berlin(1, 9)),  # Saturday: no digest on a day off
        ({}, berlin(3, 6)),  # quiet hours
        ({}, berlin(3, 13)),  # the morning is over
        ({"enabled_kinds": frozenset({"streak_at_risk"})}, berlin(3, 9)),  # switched off
        ({"ignored_in_a_row": 3, "last_weekly_summary_day": MON}, berlin(3, 9)),  # backed off
        ({"pushes_today": 2}, berlin(3, 9)),  # the cap
        ({"sent_keys_today": frozenset({"7:quiet_digest:2024-06-03"})}, berlin(3, 9)),  # sent today already
        ({"away_today": True}, berlin(3, 9)),
    ],
)
def test_a_follow_up_due_follows_the_digests_rules(changes, instant):
    assert due(rep(due_follow_ups=(BERGER,), **changes), instant) == []


def test_the_follow_up_digest_in_german():
    [nudge] = due(rep(due_follow_ups=((3, "Müller AG", 2), BERGER), quiet_customers=(SCHMIDT,), locale="de",
                      user_id=_user_for(1, MON)), berlin(3, 9))
    assert nudge.title == "Geplant: Müller AG"
    assert nudge.body.startswith("Der Kontakt ist 2 Tage überfällig – einmal melden, und er ist erledigt. "
                                 "Ebenfalls geplant: Berger OHG (heute fällig). 1 Kunde wird still.")


# --- pipeline quiet and coach alert ----------------------------------------------------


@pytest.mark.parametrize(
    ("last_active", "expected"),
    [
        (date(2024, 5, 29), True),  # Wed: nothing on Thu 30 and Fri 31
        (date(2024, 5, 30), False),  # Thu: one of the last two workdays was active
        (date(2024, 5, 31), False),
        (None, False),  # a rep who never logged has no pipeline going quiet yet
    ],
)
def test_pipeline_quiet_after_no_touch_on_the_last_two_workdays(last_active, expected):
    result = due(rep(last_active_day=last_active), berlin(3, 10))
    assert (kinds(result) == [NudgeKind.pipeline_quiet]) is expected


def test_pipeline_quiet_skips_away_days_so_coming_back_is_not_punished():
    vacation = tuple(date(2024, 5, 27) + timedelta(days=n) for n in range(5))  # Mon 27 – Fri 31
    snapshot = rep(last_active_day=date(2024, 5, 24), away_days=vacation)
    assert due(snapshot, berlin(3, 10)) == []
    assert kinds(due(snapshot, berlin(5, 10))) == [NudgeKind.pipeline_quiet]  # Wed, after Mon+Tue


def test_pipeline_quiet_names_the_days_and_suggests_a_customer():
    snapshot = rep(last_active_day=date(2024, 5, 29), quiet_customers=(MUELLER,), user_id=_user_for(0, MON))
    [nudge] = due(snapshot, berlin(3, 14))
    assert nudge.title == "Your pipeline has gone quiet"
    assert nudge.body.startswith("No touch in 5 days. ")
    assert "Start with Müller AG — 16 days without news." in nudge.body
    assert nudge.url == "/customers/3"


@pytest.mark.parametrize(("workdays_quiet", "expected"), [(2, False), (3, True), (9, True)])
def test_coach_alert_for_a_rep_quiet_for_three_workdays(workdays_quiet, expected):
    snapshot = rep(quiet_reps=((21, "Anna", workdays_quiet),))
    result = due(snapshot, berlin(3, 10))
    assert (kinds(result) == [NudgeKind.coach_alert]) is expected
    if expected:
        assert result[0].url == "/team"
        assert "Anna" in result[0].title


def test_coach_alert_names_the_quietest_rep_first():
    snapshot = rep(quiet_reps=((21, "Anna", 3), (22, "Ben", 6), (23, "Cem", 4)), user_id=_user_for(0, MON))
    [nudge] = due(snapshot, berlin(3, 10))
    assert nudge.title == "Ben has gone quiet"
    assert "No touch logged in 6 workdays." in nudge.body
    assert "Also quiet: Cem (4 workdays), Anna (3 workdays)." in nudge.body


# --- away days, team holidays, non-workdays ---------------------------------------------


@pytest.mark.parametrize("instant", [berlin(3, 8), berlin(3, 10), berlin(3, 18), berlin(3, 21)])
def test_nothing_at_all_while_away_on_vacation_or_a_team_holiday(instant):
    # away_today is true for a vacation day and for a team holiday alike.
    assert due(rep(**EVERYTHING, away_today=True), instant) == []
    assert due(rep(**EVERYTHING), instant) != []


@pytest.mark.parametrize("instant", [berlin(8, 8), berlin(8, 10), berlin(9, 18)])
def test_non_workdays_only_bring_badge_and_challenge_news(instant):
    result = due(rep(**EVERYTHING), instant)
    assert kinds(result) == [NudgeKind.badge_earned, NudgeKind.challenge_finished]


def test_a_sunday_worker_gets_workday_nudges_on_sunday():
    snapshot = rep(**AT_RISK, workdays=frozenset({6, 0, 1, 2, 3}))
    assert kinds(due(snapshot, berlin(9, 18))) == [NudgeKind.streak_at_risk]
    assert due(snapshot, berlin(7, 18)) == []  # Friday is off


# --- the cap of 2, its priority order and the streak's reserved slot --------------------


def test_at_most_two_pushes_in_priority_order():
    snapshot = rep(**{**EVERYTHING, "streak_current": 0})
    assert kinds(due(snapshot, berlin(3, 9))) == [NudgeKind.coach_alert, NudgeKind.quiet_digest]
    assert kinds(due(snapshot, berlin(3, 18))) == [NudgeKind.badge_earned, NudgeKind.challenge_finished]


@pytest.mark.parametrize(
    ("pushes_today", "expected"),
    [
        (0, [NudgeKind.streak_at_risk, NudgeKind.badge_earned]),
        (1, [NudgeKind.streak_at_risk]),
        (2, []),
        (5, []),
    ],
)
def test_pushes_already_sent_today_count_against_the_cap(pushes_today, expected):
    assert kinds(due(rep(**EVERYTHING, pushes_today=pushes_today), berlin(3, 18))) == expected


def test_priority_order_is_streak_coach_digest_pipeline_badge_challenge():
    assert PRIORITY == (
        NudgeKind.streak_at_risk,
        NudgeKind.coach_alert,
        NudgeKind.coach_weekly,
        NudgeKind.quiet_digest,
        NudgeKind.pipeline_quiet,
        NudgeKind.badge_earned,
        NudgeKind.challenge_finished,
    )
    # Switch kinds off from the top: the next two in line take the slots.
    snapshot = rep(**{**EVERYTHING, "streak_current": 0})
    expected_pairs = [
        [NudgeKind.coach_alert, NudgeKind.quiet_digest],
        [NudgeKind.quiet_digest, NudgeKind.pipeline_quiet],  # no team week in this snapshot
        [NudgeKind.quiet_digest, NudgeKind.pipeline_quiet],
        [NudgeKind.pipeline_quiet, NudgeKind.badge_earned],
        [NudgeKind.badge_earned, NudgeKind.challenge_finished],
        [NudgeKind.challenge_finished],
    ]
    enabled = set(PRIORITY)
    for off, expected in zip(PRIORITY[1:], expected_pairs, strict=True):
        assert kinds(due(replace(snapshot, enabled_kinds=frozenset(enabled)), berlin(3, 9))) == expected
        enabled.discard(off)


def test_a_slot_is_kept_for_the_evening_streak_warning():
    snapshot = rep(**EVERYTHING)
    assert kinds(due(snapshot, berlin(3, 9))) == [NudgeKind.coach_alert]
    morning = due(snapshot, berlin(3, 9))
    later = replace(snapshot, pushes_today=1, sent_keys_today=frozenset(n.key for n in morning))
    assert kinds(due(later, berlin(3, 14))) == []
    assert kinds(due(later, berlin(3, 18))) == [NudgeKind.streak_at_risk]


def test_no_slot_is_kept_once_the_rep_logged_something():
    snapshot = rep(**EVERYTHING, today_active=True)
    assert kinds(due(snapshot, berlin(3, 9))) == [NudgeKind.coach_alert, NudgeKind.quiet_digest]


def test_switched_off_kinds_are_never_due():
    snapshot = rep(**AT_RISK, enabled_kinds=frozenset({"quiet_digest"}))
    assert due(snapshot, berlin(3, 18)) == []
    assert kinds(due(snapshot, berlin(3, 8))) == [NudgeKind.quiet_digest]


# --- dedup -----------------------------------------------------------------------------


def test_a_key_already_sent_today_is_not_due_again_but_tomorrow_it_is():
    [first] = due(rep(**AT_RISK), berlin(3, 18))
    sent = rep(**AT_RISK, pushes_today=1, sent_keys_today=frozenset({first.key}))
    assert due(sent, berlin(3, 20)) == []
    # Tomorrow the outbox passes tomorrow's keys; even yesterday's key would not block it.
    [again] = due(sent, berlin(4, 18))
    assert again.key == "7:streak_at_risk:2024-06-04" != first.key


def test_dedup_key_names_rep_kind_and_local_day():
    assert dedup_key(7, NudgeKind.quiet_digest, MON) == "7:quiet_digest:2024-06-03"


# --- back-off --------------------------------------------------------------------------


def test_after_three_ignored_pushes_only_the_weekly_summary_comes():
    snapshot = rep(**EVERYTHING, ignored_in_a_row=3, warming_count=4, user_id=_user_for(0, MON))
    [summary] = due(snapshot, berlin(3, 9))  # Monday morning
    assert summary.kind is NudgeKind.weekly_summary
    assert summary.key == f"{snapshot.user_id}:weekly_summary:2024-06-03"
    assert summary.body.startswith("Quiet: 2 · warming: 4. ")
    assert "Start with Müller AG — 16 days without news." in summary.body
    assert summary.url == "/"
    assert due(snapshot, berlin(3, 18)) == []  # no streak warning while backed off
    assert due(snapshot, berlin(3, 14)) == []  # nor badge news


def test_the_weekly_summary_comes_once_per_local_week():
    sent = rep(**EVERYTHING, ignored_in_a_row=5, last_weekly_summary_day=MON)
    assert due(sent, berlin(4, 9)) == []
    assert due(sent, berlin(7, 9)) == []
    assert kinds(due(sent, berlin(10, 9))) == [NudgeKind.weekly_summary]


def test_the_weekly_summary_waits_for_the_first_workday_of_the_week():
    snapshot = rep(ignored_in_a_row=3, last_weekly_summary_day=date(2024, 5, 27))
    assert due(replace(snapshot, away_today=True), berlin(3, 9)) == []
    assert kinds(due(snapshot, berlin(4, 9))) == [NudgeKind.weekly_summary]  # Tuesday, back
    tue_thu = rep(ignored_in_a_row=3, workdays=frozenset({1, 2, 3}))
    assert due(tue_thu, berlin(3, 9)) == []
    assert kinds(due(tue_thu, berlin(4, 9))) == [NudgeKind.weekly_summary]


def test_after_an_open_the_normal_nudges_return():
    assert kinds(due(rep(**EVERYTHING, ignored_in_a_row=2), berlin(3, 18))) == [
        NudgeKind.streak_at_risk,
        NudgeKind.badge_earned,
    ]
    assert kinds(due(rep(**EVERYTHING, ignored_in_a_row=0), berlin(3, 18)))[0] is NudgeKind.streak_at_risk


# --- nothing for work already done -----------------------------------------------------


def test_nothing_for_work_already_done():
    done = rep(
        streak_current=12,
        today_active=True,
        touches_today=2,
        last_active_day=MON,
        quiet_customers=(),
    )
    for hour in range(7, 22):
        assert due(done, berlin(3, hour)) == []


# --- messages --------------------------------------------------------------------------


def _user_for(index: int, day: date, count: int = 3) -> int:
    """Return a user id whose template on *day* is number *index* of *count*."""
    return (index - day.toordinal()) % count + 3 * count


def test_the_streak_message_names_the_customer_like_the_design():
    [nudge] = due(rep(**AT_RISK, user_id=_user_for(0, MON)), berlin(3, 18))
    assert nudge.title == "Your 12-day streak ends tonight"
    assert nudge.body.startswith("Müller AG hasn't heard from you in 16 days — one touch keeps it going.")


@pytest.mark.parametrize("locale", ["de", "de-CH", "DE"])
def test_messages_come_in_the_reps_language(locale):
    user_id = _user_for(0, MON)
    [streak] = due(rep(**AT_RISK, user_id=user_id, locale=locale), berlin(3, 18))
    assert streak.title == "Deine Serie von 12 Tagen endet heute Abend"
    assert streak.body.startswith("Müller AG hat seit 16 Tagen nichts von dir gehört")
    [digest] = due(rep(quiet_customers=(MUELLER, SCHMIDT), user_id=user_id, locale=locale), berlin(3, 8))
    assert digest.title == "Müller AG: seit 16 Tagen ohne Nachricht"
    assert "Ebenfalls still: Schmidt GmbH (12 Tage)." in digest.body
    assert any(f"Idee: {idea}" in digest.body for idea in touch_ideas("de"))


@pytest.mark.parametrize("locale", ["fr", "", "en-GB"])
def test_other_languages_fall_back_to_english(locale):
    [nudge] = due(rep(**AT_RISK, locale=locale, user_id=_user_for(0, MON)), berlin(3, 18))
    assert nudge.title == "Your 12-day streak ends tonight"


def test_german_plurals_in_the_dative():
    [nudge] = due(rep(streak_current=1, locale="de", user_id=_user_for(0, MON)), berlin(3, 18))
    assert nudge.title == "Deine Serie von 1 Tag endet heute Abend"


def test_templates_rotate_by_day_and_stay_put_within_a_day():
    snapshot = rep(**AT_RISK, workdays=ALL_DAYS)
    titles = [due(snapshot, berlin(d, 18))[0].title for d in (3, 4, 5)]
    assert len(set(titles)) == 3
    assert due(snapshot, berlin(3, 19))[0].title == titles[0]
    assert due(snapshot, berlin(6, 18))[0].title == titles[0]  # three templates, day four repeats


def _has_idea(nudge: Nudge) -> bool:
    return any(f"Idea: {idea}" in nudge.body for idea in touch_ideas("en"))


def test_a_push_naming_a_customer_carries_a_touch_idea_for_them():
    snapshot = rep(**EVERYTHING)
    for enabled, instant in [({"quiet_digest", "pipeline_quiet"}, berlin(3, 9)), ({"streak_at_risk"}, berlin(3, 18))]:
        found = due(replace(snapshot, enabled_kinds=frozenset(enabled)), instant)
        assert found and all(_has_idea(n) for n in found)
    [weekly] = due(replace(snapshot, ignored_in_a_row=3), berlin(3, 9))
    assert _has_idea(weekly)


def test_no_touch_idea_without_a_customer_to_apply_it_to():
    [plain] = due(rep(streak_current=3), berlin(3, 18))
    news = due(rep(**EVERYTHING, workdays=frozenset()), berlin(3, 18))
    [coach] = due(rep(quiet_reps=((21, "Anna", 4),)), berlin(3, 10))
    assert kinds(news) == [NudgeKind.badge_earned, NudgeKind.challenge_finished]
    assert not any(_has_idea(n) for n in [plain, coach, *news])


def test_both_languages_have_the_same_templates_and_placeholders():
    with open(ROOT / "app/translations/de/LC_MESSAGES/messages.po", "rb") as handle:
        german = read_po(handle, locale="de")
    for key, variants in TEMPLATES.items():
        assert len(variants) >= 3, key
        for title, body in variants:
            for msgid in (title, body):
                message = german.get(msgid)
                assert message is not None and message.string and not message.fuzzy, msgid
            with force_locale("de"):
                de_title, de_body = gettext(title), gettext(body)
            assert placeholders(title) | placeholders(body) == placeholders(de_title) | placeholders(de_body), key
    assert len(touch_ideas("en")) == len(touch_ideas("de")) >= 3
    assert set(touch_ideas("en")).isdisjoint(touch_ideas("de"))


def test_every_nudge_kind_has_templates():
    template_kinds = {key for key in TEMPLATES if key in NudgeKind.__members__}
    assert template_kinds == set(NudgeKind.__members__)
    assert texts.render(make_test_nudge(rep(), berlin(3, 23))).title


# --- topic, urgency, ttl, payload size ---------------------------------------------------


TEAM_WEEK = (23, 3, 4, ("Ben",))


@pytest.mark.parametrize(
    ("day", "changes", "due_"),
    [
        (3, {}, True),  # Monday morning
        (4, {}, False),  # Tuesday: only the first workday of the week
        (3, {"last_coach_weekly_day": date(2024, 6, 3)}, False),  # already sent this week
        (3, {"team_week": None}, False),  # not a coach
        (3, {"away_today": True}, False),
    ],
)
def test_coach_hears_about_the_team_week_on_monday_morning(day, changes, due_):
    snapshot = rep(**{"team_week": TEAM_WEEK, **changes})
    assert (NudgeKind.coach_weekly in kinds(due(snapshot, berlin(day, 9)))) is due_


def test_team_week_names_silent_reps_in_the_coachs_language():
    [english] = due(rep(team_week=TEAM_WEEK), berlin(3, 9))
    assert "23 touches" in english.body and "3 of 4" in english.body and "Ben" in english.body
    assert english.url == "/team"
    [german] = due(rep(team_week=TEAM_WEEK, locale="de"), berlin(3, 9))
    assert "23 Kontakte" in german.body and "Kein Kontakt von: Ben" in german.body


def test_topic_urgency_and_ttl_are_set_for_every_kind():
    seen = {}
    snapshots = [
        (rep(**{**EVERYTHING, "streak_current": 0}), berlin(3, 9)),
        (rep(**{**EVERYTHING, "streak_current": 0}, enabled_kinds=frozenset({"pipeline_quiet", "badge_earned"})), berlin(3, 9)),
        (rep(**EVERYTHING), berlin(3, 18)),
        (rep(**EVERYTHING), berlin(8, 18)),
        (rep(**EVERYTHING, ignored_in_a_row=3), berlin(3, 9)),
        (rep(team_week=TEAM_WEEK), berlin(3, 9)),
    ]
    for snapshot, instant in snapshots:
        for nudge in due(snapshot, instant):
            seen.setdefault(nudge.kind, nudge)
    seen[NudgeKind.test] = make_test_nudge(rep(), berlin(3, 23))
    assert set(seen) == set(NudgeKind)
    for nudge in seen.values():
        assert TOPIC.match(nudge.topic), nudge.topic
        assert nudge.urgency in {"very-low", "low", "normal", "high"}
        assert 60 <= nudge.ttl <= 7 * 24 * 3600
        assert nudge.url.startswith("/")
    assert seen[NudgeKind.badge_earned].topic == "tb-badge-earned-20240603"
    assert seen[NudgeKind.challenge_finished].url == "/challenges/5"
    assert seen[NudgeKind.challenge_finished].refs == ("5",)
    assert seen[NudgeKind.badge_earned].refs == ("first_touch",)
    assert len({n.topic for n in seen.values()}) == len(seen)


def test_a_test_push_ignores_the_rules_but_has_its_own_key():
    first = make_test_nudge(rep(away_today=True, pushes_today=2), berlin(3, 23))
    second = make_test_nudge(rep(), berlin(3, 23, 1))
    assert first.kind is NudgeKind.test
    assert first.key != second.key
    assert first.key.startswith("7:test:2024-06-03:")


@pytest.mark.parametrize("name", ["Ü" * 500, "🐕" * 500, "e\u0301" * 250, "👩\u200d👩\u200d👧" * 100, "A\nB\tC" * 120])
def test_payload_stays_small_with_a_500_character_customer_name(name):
    customers = tuple((n, name, 30 - n) for n in range(1, 8))
    snapshot = rep(
        streak_current=12,
        quiet_customers=customers,
        last_active_day=date(2024, 5, 20),
        quiet_reps=((21, name, 5), (22, name, 4), (23, name, 3)),
        new_badges=tuple((f"b{n}", name) for n in range(6)),
        finished_challenges=((5, name),),
        enabled_kinds=frozenset(NudgeKind),
    )
    produced = []
    switched_on = [{"quiet_digest", "coach_alert"}, {"pipeline_quiet", "badge_earned"}, {"streak_at_risk"}]
    for instant in (berlin(3, 8), berlin(3, 18)):
        for locale in ("en", "de"):
            for enabled in switched_on:
                produced += due(replace(snapshot, locale=locale, enabled_kinds=frozenset(enabled)), instant)
    assert {n.kind for n in produced} >= {NudgeKind.quiet_digest, NudgeKind.coach_alert, NudgeKind.streak_at_risk,
                                         NudgeKind.pipeline_quiet, NudgeKind.badge_earned}
    for nudge in produced:
        size = len(nudge.title.encode()) + len(nudge.body.encode())
        assert size < 2000, size
        assert len(json.dumps(nudge.payload(), ensure_ascii=False).encode()) < 3000
        assert "\n" not in nudge.title + nudge.body and "\t" not in nudge.body
        assert "…" in nudge.title + nudge.body


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Müller AG", 20, "Müller AG"),
        ("Müller AG und Söhne", 8, "Müller…"),
        ("Cafe\u0301 Central", 5, "Caf…"),  # never split an accent from its letter
        ("Café" + "\u0301" * 3 + "X", 6, "Caf…"),
        ("ab👩\u200d👩\u200d👧cd", 5, "ab…"),  # nor a joined emoji family
    ],
)
def test_clip_cuts_between_characters_with_an_ellipsis(text, limit, expected):
    assert clip(text, limit) == expected


def test_clip_honours_a_byte_limit():
    clipped = clip("🐕" * 100, 100, 41)
    assert len(clipped.encode()) <= 41
    assert clipped.endswith("…")


def test_naive_instants_are_rejected_and_snapshots_are_frozen():
    with pytest.raises(ValueError):
        due(rep(), datetime(2024, 6, 3, 18))
    with pytest.raises(FrozenInstanceError):
        rep().streak_current = 3  # type: ignore[misc]


# --- properties ------------------------------------------------------------------------

ZONES = ["Europe/Berlin", "America/Los_Angeles", "Asia/Kolkata", "Pacific/Auckland", "Europe/Zurich", "UTC"]
hours = st.integers(0, 23)
small_dates = st.dates(date(2024, 5, 1), date(2024, 6, 30))


@st.composite
def snapshots(draw) -> RepSnapshot:
    """Draw any valid snapshot."""
    quiet_start, quiet_end = draw(st.tuples(hours, hours).filter(lambda q: q[0] != q[1]))
    names = st.text(min_size=1, max_size=30)
    return RepSnapshot(
        user_id=draw(st.integers(1, 10_000)),
        timezone=draw(st.sampled_from(ZONES)),
        locale=draw(st.sampled_from(["en", "de", "fr"])),
        day_start_hour=draw(st.integers(0, 6)),
        workdays=draw(st.frozensets(st.integers(0, 6))),
        evening_hour=draw(hours),
        quiet_start_hour=quiet_start,
        quiet_end_hour=quiet_end,
        away_today=draw(st.booleans()),
        enabled_kinds=draw(st.frozensets(st.sampled_from(list(NudgeKind)))),
        streak_current=draw(st.integers(0, 40)),
        today_active=draw(st.booleans()),
        last_active_day=draw(st.none() | small_dates),
        away_days=tuple(draw(st.lists(small_dates, max_size=5))),
        quiet_customers=tuple(draw(st.lists(st.tuples(st.integers(1, 99), names, st.integers(1, 400)), max_size=6))),
        due_follow_ups=tuple(draw(st.lists(st.tuples(st.integers(1, 99), names, st.integers(0, 400)), max_size=5))),
        warming_count=draw(st.integers(0, 9)),
        pushes_today=draw(st.integers(0, 3)),
        ignored_in_a_row=draw(st.integers(0, 5)),
        last_weekly_summary_day=draw(st.none() | small_dates),
        new_badges=tuple(draw(st.lists(st.tuples(st.text(max_size=8), names), max_size=3))),
        finished_challenges=tuple(draw(st.lists(st.tuples(st.integers(1, 99), names), max_size=2))),
        quiet_reps=tuple(draw(st.lists(st.tuples(st.integers(1, 99), names, st.integers(0, 9)), max_size=3))),
    )


@settings(max_examples=150, deadline=None)
@given(snapshots(), st.dates(date(2024, 1, 1), date(2025, 12, 31)))
def test_a_whole_day_never_brings_more_than_two_pushes_or_a_key_twice(snapshot, day):
    start, end = clock.day_bounds(day, snapshot.timezone, snapshot.day_start_hour)
    snapshot = replace(snapshot, pushes_today=0)
    sent: list[Nudge] = []
    instant = start
    while instant < end:
        found = due(snapshot, instant)
        assert len({n.key for n in found}) == len(found)
        sent += found
        # What the outbox does after enqueueing: count, remember keys, mark news announced.
        snapshot = replace(
            snapshot,
            pushes_today=snapshot.pushes_today + len(found),
            sent_keys_today=snapshot.sent_keys_today | {n.key for n in found},
            new_badges=() if NudgeKind.badge_earned in kinds(found) else snapshot.new_badges,
            finished_challenges=() if NudgeKind.challenge_finished in kinds(found) else snapshot.finished_challenges,
            last_weekly_summary_day=day if NudgeKind.weekly_summary in kinds(found) else snapshot.last_weekly_summary_day,
        )
        instant += timedelta(minutes=20)
    assert len(sent) <= MAX_PER_DAY
    assert len({n.key for n in sent}) == len(sent)
    assert all(n.local_day == day and n.key == dedup_key(n.user_id, n.kind, day) for n in sent)


@settings(max_examples=300, deadline=None)
@given(snapshots(), st.datetimes(datetime(2024, 1, 1), datetime(2025, 12, 31), timezones=st.just(UTC)))
def test_no_nudge_inside_quiet_hours_and_never_a_sent_key(snapshot, instant):
    found = due(snapshot, instant)
    local_hour = clock.local_now(instant, snapshot.timezone).hour
    if in_quiet_hours(snapshot, local_hour) or snapshot.away_today:
        assert found == []
    assert len(found) <= max(0, MAX_PER_DAY - snapshot.pushes_today)
    assert not {n.key for n in found} & snapshot.sent_keys_today
    assert all(n.kind in snapshot.enabled_kinds for n in found)
