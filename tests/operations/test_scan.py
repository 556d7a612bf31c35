"""The nudge scan against a real database: snapshots for every rep, due nudges into the outbox."""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app import badges, clock
from app.nudges import reads, snapshot
from app.kinds import Role, Tier, TouchKind
from app.models import (
    AwayPeriod,
    BadgeAward,
    Challenge,
    ChallengeResult,
    Customer,
    FollowUp,
    Notification,
    PushSubscription,
    Team,
    TeamHoliday,
    Touch,
    User,
)
from app.operations import streak_state
from app.push import outbox as push_outbox

UTC = timezone.utc
FRIDAY = date(2026, 11, 27)
MONDAY = date(2026, 11, 30)
BERLIN_MORNING = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # Friday 09:00 in Berlin
BERLIN_EVENING = datetime(2026, 11, 27, 17, 30, tzinfo=UTC)  # Friday 18:30 in Berlin
CREATED = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)

_endpoints = iter(range(1, 10**6))


def berlin(day: date, hour: int, minute: int = 0) -> datetime:
    """Return the instant of *hour* on *day* in Berlin."""
    return datetime.combine(day, time(hour, minute), clock.zone("Europe/Berlin")).astimezone(UTC)


def subscribe(session, user: User) -> PushSubscription:
    """Give *user* a (synthetic) device, so the scan considers them."""
    sub = PushSubscription(user_id=user.id, endpoint=f"https://fcm.googleapis.com/fcm/send/{next(_endpoints)}",
                           p256dh="BK" + "A" * 85, auth="A" * 22, created_at=CREATED, updated_at=CREATED)
    session.add(sub)
    session.flush()
    return sub


def customer(session, owner: User, name: str, *, last: date | None = None, created: date = date(2026, 9, 1),
             cadence: int = 14, tier: Tier = Tier.B, **fields) -> Customer:
    """Add a customer of *owner* whose last touch was on *last* (None: never)."""
    row = Customer(organization_id=owner.organization_id, owner_id=owner.id, name=name, tier=tier,
                   cadence_days=cadence, created_at=CREATED, created_day=created, last_touch_day=last, **fields)
    session.add(row)
    session.flush()
    return row


def touches(session, user: User, days: list[date], *, on: Customer | None = None, now: datetime = BERLIN_MORNING) -> None:
    """Write a touch at noon of each local day for *user*, then rebuild the kept streak as of *now*."""
    target = on or customer(session, user, f"Touched {user.id}", last=None)
    for day in days:
        occurred = datetime.combine(day, time(12), clock.zone(user.timezone)).astimezone(UTC)
        session.add(Touch(organization_id=user.organization_id, user_id=user.id, customer_id=target.id,
                          kind=TouchKind.call, occurred_at=occurred, local_day=day, created_at=occurred))
    target.last_touch_day = max([*days, target.last_touch_day or date.min])
    session.flush()
    streak_state.rebuild(session, user, now=now)


def workdays_before(day: date, count: int) -> list[date]:
    """Return the *count* Monday–Friday days before *day*, oldest first."""
    found, d = [], day
    while len(found) < count:
        d -= timedelta(days=1)
        if d.weekday() < 5:
            found.append(d)
    return sorted(found)


def run(session, at: datetime, *, dry_run: bool = False) -> int:
    """Scan at *at* and commit, as ``outbox.run`` does."""
    count = snapshot.scan(session, at=at, dry_run=dry_run)
    session.commit()
    return count


def outbox(session, user: User | None = None) -> list[Notification]:
    """Return the outbox rows (of *user*), oldest first."""
    session.expire_all()
    stmt = select(Notification).order_by(Notification.id)
    if user is not None:
        stmt = stmt.where(Notification.user_id == user.id)
    return list(session.scalars(stmt))


def kinds(session, user: User) -> list[str]:
    """Return the kinds in *user*'s outbox, oldest first."""
    return [n.kind for n in outbox(session, user)]


@pytest.fixture
def rep(session, make_user):
    """A subscribed rep in Berlin who joined in September."""
    user = make_user(name="Rita Rep")
    subscribe(session, user)
    return user


# --- the morning digest ------------------------------------------------------------------


def test_a_quiet_customer_gets_one_decryptable_morning_digest_naming_them(session, make_user, push_service):
    from operations.test_push import subscribe as subscribe_device

    rita = make_user(name="Rita")
    device = subscribe_device(session, rita, push_service, "/rita-phone")
    customer(session, rita, "Müller AG", last=FRIDAY - timedelta(days=16))
    customer(session, rita, "Schmidt KG", last=FRIDAY - timedelta(days=15))
    customer(session, rita, "Green GmbH", last=FRIDAY - timedelta(days=2))
    session.commit()

    report = push_outbox.run(session, at=BERLIN_MORNING, scan=snapshot.scan)

    assert (report.enqueued, report.sent) == (1, 1)
    [received] = push_service.for_path("/rita-phone")
    payload = received.payload
    assert "Müller AG" in payload["title"] + payload["body"]
    assert "16" in payload["title"] + payload["body"]
    assert "Schmidt KG" in payload["body"] and "Green GmbH" not in payload["body"]
    assert payload["kind"] == "quiet_digest" and payload["url"].startswith("/customers/")
    assert received.headers["topic"] == "tb-quiet-digest" and int(received.headers["ttl"]) > 3600
    assert device.endpoint.endswith("/rita-phone")


def test_scanning_twice_at_the_same_instant_enqueues_nothing_new(session, rep):
    customer(session, rep, "Müller AG", last=FRIDAY - timedelta(days=20))
    assert run(session, BERLIN_MORNING) == 1
    assert run(session, BERLIN_MORNING) == 0
    assert run(session, BERLIN_MORNING + timedelta(minutes=30)) == 0
    assert kinds(session, rep) == ["quiet_digest"]


def test_nothing_is_due_for_a_customer_touched_today_or_paused_or_archived(session, rep):
    customer(session, rep, "Touched today", last=FRIDAY)
    customer(session, rep, "Paused", last=FRIDAY - timedelta(days=40), paused_until=FRIDAY)
    customer(session, rep, "Archived", last=FRIDAY - timedelta(days=40), archived_at=CREATED)
    customer(session, rep, "Warming", last=FRIDAY - timedelta(days=11))
    assert run(session, BERLIN_MORNING) == 0


def test_crisis_mode_tightens_the_cadence(session, rep):
    customer(session, rep, "Eleven days", last=FRIDAY - timedelta(days=11))  # warming at 14, quiet at 9.8
    assert run(session, BERLIN_MORNING) == 0
    session.get(Team, rep.team_id).crisis_since = CREATED
    session.flush()
    assert run(session, BERLIN_MORNING) == 1
    assert "Eleven days" in outbox(session, rep)[0].payload["title"]


def test_the_digest_waits_for_the_morning_of_a_workday(session, rep):
    customer(session, rep, "Müller AG", last=FRIDAY - timedelta(days=20))
    assert run(session, berlin(FRIDAY, 7, 30)) == 0  # quiet hours until 08:00
    assert run(session, berlin(FRIDAY, 13)) == 0  # the morning is over
    assert run(session, berlin(date(2026, 11, 28), 9)) == 0  # Saturday
    assert run(session, berlin(MONDAY, 9)) == 1
    assert [n.local_day for n in outbox(session, rep)] == [MONDAY]


def plan(session, customer: Customer, day: date, *, kind: str | None = "call", **fields) -> FollowUp:
    """Plan a follow-up with *customer* for its owner on *day*."""
    row = FollowUp(organization_id=customer.organization_id, customer_id=customer.id, user_id=customer.owner_id,
                   created_by_id=customer.owner_id, due_day=day, kind=kind, created_at=CREATED, **fields)
    session.add(row)
    session.flush()
    return row


def test_due_follow_ups_lead_the_morning_digest_decrypted_as_sent(session, make_user, push_service):
    from operations.test_push import subscribe as subscribe_device

    rita = make_user(name="Rita")
    subscribe_device(session, rita, push_service, "/rita-phone")
    berger = customer(session, rita, "Berger OHG", last=FRIDAY - timedelta(days=2))
    plan(session, berger, FRIDAY - timedelta(days=3))
    plan(session, customer(session, rita, "Kraus KG", last=FRIDAY - timedelta(days=1)), FRIDAY)
    customer(session, rita, "Müller AG", last=FRIDAY - timedelta(days=16))  # quiet, nothing planned
    session.commit()

    report = push_outbox.run(session, at=BERLIN_MORNING, scan=snapshot.scan)

    assert (report.enqueued, report.sent) == (1, 1)
    [received] = push_service.for_path("/rita-phone")
    payload = received.payload
    assert payload["kind"] == "quiet_digest" and "Berger OHG" in payload["title"]
    assert "3 days overdue" in payload["body"] and "Kraus KG (due today)" in payload["body"]
    assert "1 customer is going quiet." in payload["body"] and "Müller" not in payload["body"]
    assert payload["url"] == f"/customers/{berger.id}"


def test_a_follow_up_due_brings_the_digest_without_a_quiet_customer(session, rep, make_user):
    green = customer(session, rep, "Green GmbH", last=FRIDAY - timedelta(days=1))
    plan(session, green, FRIDAY, kind=None)
    assert run(session, BERLIN_MORNING) == 1
    [digest] = outbox(session, rep)
    assert digest.kind == "quiet_digest" and "Green GmbH" in digest.payload["title"]
    assert digest.payload["url"] == f"/customers/{green.id}"
    assert run(session, berlin(FRIDAY, 10)) == 0  # once a day


@pytest.mark.parametrize("state", ["tomorrow", "done", "dropped", "archived", "another rep's"])
def test_no_digest_for_a_follow_up_not_due_or_closed_or_not_the_reps(session, rep, make_user, state):
    owner = make_user() if state == "another rep's" else rep  # no device: never scanned
    row = customer(session, owner, "Green GmbH", last=FRIDAY - timedelta(days=1),
                   **({"archived_at": CREATED} if state == "archived" else {}))
    day = FRIDAY + timedelta(days=1) if state == "tomorrow" else FRIDAY
    plan(session, row, day, **({"done_at": CREATED} if state == "done" else {}),
         **({"dropped_at": CREATED} if state == "dropped" else {}))
    assert run(session, BERLIN_MORNING) == 0


def test_a_follow_up_is_due_by_the_reps_own_day(session, make_user):
    # 23:00 UTC on Friday: already Saturday 08:00 in Tokyo, still Friday in New York.
    tokyo = make_user(timezone="Asia/Tokyo", workdays=[0, 1, 2, 3, 4, 5])
    subscribe(session, tokyo)
    plan(session, customer(session, tokyo, "Tokyo KK", last=FRIDAY), FRIDAY + timedelta(days=1))
    assert run(session, datetime(2026, 11, 27, 23, 0, tzinfo=UTC)) == 1
    assert outbox(session, tokyo)[0].local_day == FRIDAY + timedelta(days=1)


# --- streak at risk, quiet hours, away days --------------------------------------------------


def test_the_streak_at_risk_goes_out_in_the_reps_evening(session, rep):
    shop = customer(session, rep, "Müller AG", last=None, created=date(2026, 10, 1))
    touches(session, rep, workdays_before(FRIDAY, 8), on=shop, now=BERLIN_EVENING)
    customer(session, rep, "Schmidt KG", last=FRIDAY - timedelta(days=30))
    assert run(session, berlin(FRIDAY, 17)) == 0  # before the evening hour (and past the morning)
    assert run(session, BERLIN_EVENING) == 1
    [nudge] = outbox(session, rep)
    payload = nudge.payload
    assert nudge.kind == "streak_at_risk" and nudge.urgency == "high"
    assert "8-day streak" in payload["title"] and "Schmidt KG" in payload["body"]
    assert nudge.dedup_key == f"{rep.id}:streak_at_risk:2026-11-27"


def test_no_streak_push_after_a_touch_today(session, rep):
    shop = customer(session, rep, "Müller AG", last=None)
    touches(session, rep, [*workdays_before(FRIDAY, 8), FRIDAY], on=shop, now=BERLIN_EVENING)
    assert run(session, BERLIN_EVENING) == 0


def test_nothing_in_quiet_hours(session, rep):
    shop = customer(session, rep, "Müller AG", last=None)
    touches(session, rep, workdays_before(FRIDAY, 8), on=shop, now=BERLIN_EVENING)
    assert run(session, berlin(FRIDAY, 21, 30)) == 0  # quiet 21 → 8
    rep.quiet_start_hour, rep.quiet_end_hour = 23, 7
    session.flush()
    assert run(session, berlin(FRIDAY, 21, 30)) == 1


def test_nothing_on_an_away_day(session, rep):
    customer(session, rep, "Müller AG", last=FRIDAY - timedelta(days=20))
    session.add(AwayPeriod(user_id=rep.id, first_day=FRIDAY, last_day=FRIDAY, reason="vacation", created_at=CREATED))
    session.flush()
    assert run(session, BERLIN_MORNING) == 0
    assert run(session, berlin(MONDAY, 9)) == 1


def test_nothing_on_a_team_holiday(session, rep, make_user):
    customer(session, rep, "Müller AG", last=FRIDAY - timedelta(days=20))
    session.add(TeamHoliday(team_id=rep.team_id, first_day=FRIDAY, last_day=MONDAY, name="Retreat",
                            created_by_id=rep.id, created_at=CREATED))
    session.flush()
    assert run(session, BERLIN_MORNING) == 0
    assert run(session, berlin(MONDAY, 9)) == 0
    assert run(session, berlin(MONDAY + timedelta(days=1), 9)) == 1


# --- cap, back-off, switches -------------------------------------------------------------------


def _news(session, user: User, *, code: str = "first_touch", ended: datetime = BERLIN_MORNING - timedelta(hours=12)):
    """Give *user* an unannounced badge and an unannounced finished challenge."""
    session.add(BadgeAward(user_id=user.id, code=code, awarded_at=ended, local_day=ended.date()))
    challenge = Challenge(organization_id=user.organization_id, team_id=user.team_id, created_by_id=user.id,
                          title="Storm week", metric="coverage", target=80, starts_at=ended - timedelta(days=7),
                          ends_at=ended, created_at=ended - timedelta(days=8), finalized_at=ended)
    session.add(challenge)
    session.flush()
    session.add(ChallengeResult(challenge_id=challenge.id, user_id=user.id, value=85, target=80, finished=True, position=1))
    session.flush()
    return challenge


def test_at_most_two_a_day_then_the_news_comes_the_next_day_and_is_marked_announced(session, rep):
    shop = customer(session, rep, "Müller AG", last=FRIDAY - timedelta(days=20))
    touches(session, rep, [FRIDAY - timedelta(days=12)], on=shop)  # long ago: pipeline quiet, streak 0
    shop.last_touch_day = FRIDAY - timedelta(days=20)
    challenge = _news(session, rep)

    assert run(session, BERLIN_MORNING) == 2
    assert kinds(session, rep) == ["quiet_digest", "pipeline_quiet"]
    assert run(session, berlin(FRIDAY, 11)) == 0
    assert session.scalar(select(BadgeAward.announced_at)) is None

    saturday = berlin(date(2026, 11, 28), 10)
    assert run(session, saturday) == 2
    assert kinds(session, rep)[2:] == ["badge_earned", "challenge_finished"]
    badge_push, challenge_push = (n.payload for n in outbox(session, rep)[2:])
    assert badges.get("first_touch").name_in("en") in badge_push["title"]
    assert "Storm week" in challenge_push["title"] and challenge_push["url"] == f"/challenges/{challenge.id}"
    session.expire_all()
    assert session.scalar(select(BadgeAward.announced_at)) == saturday
    assert session.scalar(select(ChallengeResult.announced_at)) == saturday
    assert run(session, saturday + timedelta(days=1)) == 0


@pytest.mark.parametrize(("locale", "title"), [("de", "Sturmwoche"), ("en", "Storm week")])
def test_a_finished_storm_week_is_named_in_each_reps_language(session, rep, locale, title):
    rep.locale = locale
    challenge = _news(session, rep)
    challenge.title, challenge.template, challenge.crisis = "", "storm_week", True
    session.flush()
    assert run(session, BERLIN_MORNING) == 2  # the badge and the challenge: nothing else is due
    challenge_push = next(n.payload for n in outbox(session, rep) if n.kind == "challenge_finished")
    assert title in challenge_push["title"]


def test_a_push_already_enqueued_today_counts_towards_the_cap(session, rep):
    customer(session, rep, "Müller AG", last=FRIDAY - timedelta(days=20))
    _news(session, rep)
    earlier = push_outbox.Push(rep.id, "pipeline_quiet", f"{rep.id}:pipeline_quiet:2026-11-27", "t", "b", "/",
                          topic="tb-pipeline-quiet", urgency="normal", ttl=3600, local_day=FRIDAY)
    push_outbox.enqueue_many(session, [earlier], now=BERLIN_MORNING - timedelta(hours=1))
    assert run(session, BERLIN_MORNING) == 1
    assert kinds(session, rep) == ["pipeline_quiet", "quiet_digest"]


def test_after_three_ignored_pushes_only_the_weekly_summary(session, rep, make_user):
    customer(session, rep, "Müller AG", last=FRIDAY - timedelta(days=20))
    customer(session, rep, "Warming AG", last=FRIDAY - timedelta(days=11))
    rep.push_ignored_in_a_row = 3
    other = make_user(push_ignored_in_a_row=2)
    subscribe(session, other)
    customer(session, other, "Other AG", last=FRIDAY - timedelta(days=20))
    session.flush()

    assert run(session, BERLIN_MORNING) == 2  # no summary yet this week: one now, instead of the digest
    assert kinds(session, rep) == ["weekly_summary"] and kinds(session, other) == ["quiet_digest"]
    [summary] = outbox(session, rep)
    body = summary.payload["body"]
    assert summary.local_day == FRIDAY and "1" in body and "Müller AG" in body
    assert run(session, berlin(FRIDAY, 11)) == 0
    assert run(session, berlin(MONDAY, 9)) == 2  # a new week
    assert run(session, berlin(MONDAY + timedelta(days=1), 9)) == 1  # the other rep only
    assert [(n.kind, n.local_day) for n in outbox(session, rep)] == [("weekly_summary", FRIDAY), ("weekly_summary", MONDAY)]
    rep.push_ignored_in_a_row = 0  # opened a push: back to normal
    session.flush()
    assert run(session, berlin(MONDAY + timedelta(days=2), 9)) == 2
    assert kinds(session, rep)[-1] == "quiet_digest"


def test_muted_kinds_are_not_sent(session, rep):
    customer(session, rep, "Müller AG", last=FRIDAY - timedelta(days=20))
    _news(session, rep)
    rep.push_muted_kinds = ["quiet_digest", "badge_earned"]
    session.flush()
    assert run(session, BERLIN_MORNING) == 1
    assert kinds(session, rep) == ["challenge_finished"]
    assert session.scalar(select(BadgeAward.announced_at)) is None


def test_users_without_a_device_are_not_scanned(session, make_user):
    lonely = make_user()
    customer(session, lonely, "Müller AG", last=FRIDAY - timedelta(days=20))
    assert run(session, BERLIN_MORNING) == 0


# --- coach alert ------------------------------------------------------------------------------


def test_a_coach_hears_about_a_rep_quiet_for_three_workdays(session, make_org, make_user):
    team = make_org()
    coach = make_user(team=team, role=Role.coach, name="Clara Coach")
    subscribe(session, coach)
    quiet = make_user(team=team, name="Quentin Quiet")
    busy = make_user(team=team, name="Bea Busy")
    away = make_user(team=team, name="Anna Away")
    touches(session, quiet, [date(2026, 11, 23)])  # Monday; Tue, Wed, Thu without
    touches(session, busy, [date(2026, 11, 26)])
    touches(session, away, [date(2026, 11, 20)])
    session.add(AwayPeriod(user_id=away.id, first_day=date(2026, 11, 23), last_day=FRIDAY, created_at=CREATED))
    elsewhere = make_user(name="Elsa Elsewhere")  # another organisation
    touches(session, elsewhere, [date(2026, 11, 2)])

    assert run(session, BERLIN_MORNING) == 1
    [alert] = outbox(session, coach)
    payload = alert.payload
    assert alert.kind == "coach_alert" and payload["url"] == "/team"
    assert "Quentin Quiet" in payload["title"] + payload["body"] and "3" in payload["body"]
    text = payload["title"] + payload["body"]
    assert "Bea Busy" not in text and "Anna Away" not in text and "Elsa" not in text


def test_a_coach_gets_the_team_week_on_monday_morning(session, make_org, make_user):
    team = make_org()
    coach = make_user(team=team, role=Role.coach, name="Clara Coach")
    subscribe(session, coach)
    busy = make_user(team=team, name="Bea Busy")
    silent = make_user(team=team, name="Sam Silent")
    touches(session, busy, [date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 26)])
    touches(session, silent, [date(2026, 11, 13)])
    monday = berlin(date(2026, 11, 30), 9)
    assert run(session, monday) >= 1
    [week] = [n for n in outbox(session, coach) if n.kind == "coach_weekly"]
    payload = week.payload
    assert payload["url"] == "/team"
    assert "3 touches" in payload["body"] and "1 of 2" in payload["body"] and "Sam Silent" in payload["body"]
    assert run(session, berlin(date(2026, 11, 30), 10)) == 0  # once a week
    assert "coach_weekly" not in kinds(session, busy)


def test_no_coach_alert_for_two_quiet_workdays(session, make_org, make_user):
    team = make_org()
    coach = make_user(team=team, role=Role.coach)
    subscribe(session, coach)
    rep = make_user(team=team)
    touches(session, rep, [date(2026, 11, 24)])
    assert run(session, BERLIN_MORNING) == 0


# --- several time zones ---------------------------------------------------------------------


def test_one_scan_serves_every_rep_in_their_own_zone(session, make_user):
    reps = {}
    for tz in ("America/New_York", "Europe/Berlin", "Pacific/Auckland", "Asia/Tokyo"):
        user = make_user(timezone=tz, name=tz)
        subscribe(session, user)
        customer(session, user, f"Quiet in {tz}", last=date(2026, 11, 1))
        reps[tz] = user
    auckland = reps["Pacific/Auckland"]
    session.add(BadgeAward(user_id=auckland.id, code="first_touch", awarded_at=BERLIN_MORNING, local_day=FRIDAY))
    session.flush()

    # 14:00 UTC: New York 09:00 Fri (morning), Berlin 15:00, Tokyo 23:00 (quiet), Auckland 03:00 Sat (quiet).
    assert run(session, datetime(2026, 11, 27, 14, 0, tzinfo=UTC)) == 1
    assert [n.dedup_key for n in outbox(session)] == [f"{reps['America/New_York'].id}:quiet_digest:2026-11-27"]

    # 20:00 UTC: Auckland 09:00 on Saturday (no digest on a weekend, but news), Berlin 21:00 (quiet).
    assert run(session, datetime(2026, 11, 27, 20, 0, tzinfo=UTC)) == 1
    assert outbox(session, auckland)[0].dedup_key == f"{auckland.id}:badge_earned:2026-11-28"

    # 00:00 UTC Saturday: Tokyo 09:00 Saturday — a weekend, nothing; New York Friday 19:00, no streak.
    assert run(session, datetime(2026, 11, 28, 0, 0, tzinfo=UTC)) == 0

    # 23:00 UTC Sunday: Tokyo 08:00 Monday — its morning digest, for Tokyo's Monday.
    assert run(session, datetime(2026, 11, 29, 23, 0, tzinfo=UTC)) == 1
    assert outbox(session, reps["Asia/Tokyo"])[0].local_day == MONDAY


# --- the CLI ----------------------------------------------------------------------------------


def test_nudges_run_dry_run_changes_nothing(runner, session, make_user, push_service):
    from operations.test_push import subscribe as subscribe_device

    rita = make_user()
    subscribe_device(session, rita, push_service, "/rita")
    customer(session, rita, "Müller AG", last=FRIDAY - timedelta(days=20))
    _news(session, rita)
    session.commit()

    dry = runner.invoke(args=["nudges", "run", "--at", "2026-11-27T09:00:00+01:00", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run" in dry.output and "2 nudges due" in dry.output
    assert outbox(session) == [] and push_service.received == []
    assert session.scalar(select(BadgeAward.announced_at)) is None

    real = runner.invoke(args=["nudges", "run", "--at", "2026-11-27T09:00:00+01:00"])
    assert real.exit_code == 0, real.output
    assert "2 enqueued, 2 sent" in real.output
    assert {r.payload["kind"] for r in push_service.for_path("/rita")} == {"quiet_digest", "badge_earned"}
    again = runner.invoke(args=["nudges", "run", "--at", "2026-11-27T09:00:00+01:00"])
    assert "0 enqueued, 0 sent" in again.output


# --- a constant number of statements ---------------------------------------------------------


def _crowd(session, make_org, make_user, reps: int) -> None:
    """A team with a subscribed coach and *reps* subscribed reps with history, customers and news."""
    team = make_org()
    coach = make_user(team=team, role=Role.coach)
    subscribe(session, coach)
    for i in range(reps):
        user = make_user(team=team, timezone=("Europe/Berlin", "America/New_York")[i % 2])
        subscribe(session, user)
        shop = customer(session, user, f"Shop {i}", last=None)
        touches(session, user, workdays_before(FRIDAY - timedelta(days=3 * (i % 3)), 6), on=shop)
        for n in range(4):
            row = customer(session, user, f"Customer {i}-{n}", last=FRIDAY - timedelta(days=5 * n + 3))
            if n % 2:
                plan(session, row, FRIDAY - timedelta(days=n))
        session.add(BadgeAward(user_id=user.id, code="first_touch", awarded_at=BERLIN_MORNING, local_day=FRIDAY))
        if i % 3 == 0:
            session.add(AwayPeriod(user_id=user.id, first_day=date(2026, 11, 2), last_day=date(2026, 11, 4),
                                   created_at=CREATED))
    session.add(TeamHoliday(team_id=team.id, first_day=date(2026, 11, 11), last_day=date(2026, 11, 11),
                            name="Holiday", created_by_id=coach.id, created_at=CREATED))
    session.commit()


def _statements(session, count_queries, at: datetime) -> tuple[int, int]:
    """Run the scan at *at*; return (statements sent, nudges enqueued)."""
    with count_queries() as seen:
        enqueued = snapshot.scan(session, at=at)
    session.commit()
    return len(seen), enqueued


def test_the_number_of_statements_does_not_grow_with_reps_or_customers(session, make_org, make_user, count_queries):
    at = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)  # Berlin afternoon, New York morning
    _crowd(session, make_org, make_user, 3)
    few, few_enqueued = _statements(session, count_queries, at)
    _crowd(session, make_org, make_user, 30)
    many, many_enqueued = _statements(session, count_queries, at)
    assert few_enqueued >= 3 and many_enqueued >= 30
    assert few == many, (few, many)
    assert few <= 12


# --- the dev scheduler ----------------------------------------------------------------------


def test_the_scheduler_runs_only_where_asked(app):
    from app import scheduler

    assert app.config["SCHEDULER_ENABLED"] is False
    assert scheduler.init_app(app, environ={}) is None
    saved = dict(app.config)
    try:
        app.config.update(SCHEDULER_ENABLED=True)
        assert not scheduler.wanted(app, {})  # testing
        app.config.update(TESTING=False)
        assert scheduler.wanted(app, {})
        assert not scheduler.wanted(app, {"FLASK_DEBUG": "1"})  # the reloader's watcher
        assert scheduler.wanted(app, {"FLASK_DEBUG": "1", "WERKZEUG_RUN_MAIN": "true"})
        app.config.update(ENV="production")
        assert not scheduler.wanted(app, {})
    finally:
        app.config.clear()
        app.config.update(saved)


def test_the_makefile_turns_the_scheduler_on_for_the_dev_server_only():
    makefile = open(os.path.join(os.path.dirname(__file__), "..", "..", "Makefile")).read()
    lines = [line for line in makefile.splitlines() if "SCHEDULER" in line]
    assert lines == ["\tTOUCHBASE_SCHEDULER_ENABLED=true $(FLASK) run --host $(HOST) --port $(PORT)"]


def test_a_scheduler_tick_scans_and_sends(session, make_user, push_service, app):
    from operations.test_push import subscribe as subscribe_device

    from app.scheduler import Scheduler

    rita = make_user()
    subscribe_device(session, rita, push_service, "/rita")
    customer(session, rita, "Müller AG", last=FRIDAY - timedelta(days=20))
    session.commit()
    report = Scheduler(app).tick(BERLIN_MORNING)
    assert (report.enqueued, report.sent) == (1, 1)
    assert "Müller AG" in push_service.for_path("/rita")[0].plaintext


# --- the demo ---------------------------------------------------------------------------------


def _next_workday_morning(user: User, now: datetime) -> datetime:
    """Return 09:00 local on the rep's next workday after *now*."""
    day = clock.local_day(now, user.timezone, user.day_start_hour) + timedelta(days=1)
    while day.weekday() not in user.workday_set:
        day += timedelta(days=1)
    return datetime.combine(day, time(9), clock.zone(user.timezone)).astimezone(UTC)


def test_a_demo_rep_who_enables_reminders_gets_a_real_push_for_a_real_quiet_customer(runner, session, push_service):
    from operations.test_push import subscribe as subscribe_device

    from app.queries import customers as customers_q
    from app.warmth import Warmth

    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    now = clock.now()
    chosen = None
    for user in session.scalars(select(User).where(User.role == Role.rep).order_by(User.id)):
        at = _next_workday_morning(user, now)
        today = clock.local_day(at, user.timezone, user.day_start_hour)
        quiet = [r.customer.name for r in customers_q.customer_rows(session, user, today=today)
                 if r.warmth is Warmth.quiet and r.customer.owner_id == user.id]
        if quiet:
            chosen = (user, at, quiet)
            break
    assert chosen is not None, "the demo has a rep with quiet customers"
    user, at, quiet = chosen
    subscribe_device(session, user, push_service, "/demo-phone")

    result = runner.invoke(args=["nudges", "run", "--at", at.isoformat()])

    assert result.exit_code == 0, result.output
    digests = [r.payload for r in push_service.for_path("/demo-phone") if r.payload["kind"] == "quiet_digest"]
    assert len(digests) == 1
    text = digests[0]["title"] + " " + digests[0]["body"]
    assert any(name in digests[0]["title"] for name in quiet), (text, quiet)
    assert session.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == user.id)) >= 1


# --- warmth in SQL equals app.warmth ------------------------------------------------------------


def test_the_sql_warmth_counts_equal_app_warmth_in_every_zone_and_crisis_mode(session, make_org, make_user):
    import math

    from app import challenges, warmth

    at = datetime(2026, 11, 27, 13, 30, tzinfo=UTC)  # Kiritimati: Saturday; Kolkata: Friday; Pago Pago: Thursday
    calm, stormy = make_org(), make_org()
    stormy.crisis_since = CREATED
    cadences = (1, 2, 3, 5, 7, 10, 14, 30, 90, 365)
    reps = [make_user(team=team, timezone=tz) for team in (calm, stormy)
            for tz in ("Pacific/Kiritimati", "Asia/Kolkata", "Pacific/Pago_Pago")]
    expected = {}
    for rep in reps:
        subscribe(session, rep)
        today = clock.local_day(at, rep.timezone, rep.day_start_hour)
        crisis = rep.team_id == stormy.id
        rows = []
        for c in cadences:
            eff = challenges.crisis_cadence(c) if crisis else c
            marks = {0, 1, 2, c - 1, c, c + 1, c + 2, math.ceil(0.49 * c) - 1, math.ceil(0.49 * c),
                     math.ceil(0.7 * c) - 1, math.ceil(0.7 * c), math.floor(eff), math.ceil(eff)}
            for days in sorted(d for d in marks if d >= 0):
                for paused in (None, today, today - timedelta(days=1)):
                    name = f"c{c}-d{days}-p{paused and (today - paused).days}"
                    customer(session, rep, name, last=today - timedelta(days=days), cadence=c,
                             tier=(Tier.A, Tier.B, Tier.C)[days % 3], paused_until=paused)
                    state = warmth.status(last_touch_day=today - timedelta(days=days), created_day=date(2026, 1, 1),
                                          today=today, cadence_days=eff, paused_until=paused)
                    rows.append((state, -days / eff, ("A", "B", "C")[days % 3], name.lower(), name))
        quiet = sorted(r for r in rows if r[0] is warmth.Warmth.quiet)
        expected[rep.id] = ([r[4] for r in quiet[:3]], len(quiet), sum(r[0] is warmth.Warmth.warming for r in rows))
    session.flush()

    loaded = reads.load_users(session, at)
    assert len({r.today for r in loaded.values()}) == 3  # three local days at once
    max_today = max(r.today for r in loaded.values())
    quiet, warming = snapshot._load_customers(session, loaded, reads.subscribed_ids(), max_today=max_today)
    for rep in reps:
        names, n_quiet, n_warming = expected[rep.id]
        assert [c.name for c in quiet[rep.id][:3]] == names
        assert (len(quiet[rep.id]), warming[rep.id]) == (n_quiet, n_warming), rep.timezone
