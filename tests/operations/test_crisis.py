"""Crisis mode: switching it on and off, the banner, crisis cadences in warmth, the storm week."""

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.kinds import Role
from app.models import BadgeAward, Challenge
from app.operations import Invalid, NotFound, crisis
from app.operations import challenges as challenge_ops
from app.operations import touches
from app.queries import common as common_q
from app.queries import customers as customers_q
from app.queries import today as today_q
from app.warmth import Warmth

from support import NOW, PASSWORD

UTC = timezone.utc


@pytest.fixture
def team(make_org):
    return make_org()


@pytest.fixture
def coach(make_user, team):
    return make_user(team=team, role=Role.coach, timezone="Europe/Berlin")


pytestmark = pytest.mark.usefixtures("frozen_clock")  # NOW: Friday 27 Nov 2026, 11:00 in Berlin


def _signed_in(app, session, user):
    """Return a fresh client signed in as *user* (one client per person, as in real life)."""
    session.commit()
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def _rep(make_user, team, **kwargs):
    rep = make_user(team=team, **kwargs)
    rep.created_at = NOW - timedelta(days=60)
    return rep


def test_switching_on_starts_a_storm_week_in_every_readers_language(app, session, coach, team, make_user):
    coach.locale = "de"
    started = crisis.start_crisis(session, coach, reason="Lockdown", message="Ruft an, schreibt Briefe.", now=NOW)
    assert team.crisis_since == NOW and team.crisis_reason == "Lockdown"
    challenge = started.challenge
    # No texts of its own: each reader sees the template's in their language.
    assert (challenge.title, challenge.description, challenge.metric, challenge.target) == ("", None, "coverage", 90)
    english = make_user(team=team, locale="en")
    for user, title, words in ((coach, "Sturmwoche", "Diese Woche wird niemand still"),
                               (english, "Storm week", "Nobody goes quiet this week")):
        client = _signed_in(app, session, user)
        for path in ("/challenges/", f"/challenges/{challenge.id}"):
            assert title in client.get(path).get_data(as_text=True), (path, title)
        assert words in client.get(f"/challenges/{challenge.id}").get_data(as_text=True)
    assert (challenge.crisis, challenge.template, challenge.team_id) == (True, "storm_week", team.id)
    # Seven local days in Berlin from today (Friday 27 Nov), each day starting at 03:00.
    assert challenge.starts_at == datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    assert challenge.ends_at == datetime(2026, 12, 4, 2, 0, tzinfo=UTC)


def test_switching_on_again_only_updates_the_texts(session, coach, team):
    crisis.start_crisis(session, coach, reason="Storm", message="", now=NOW)
    again = crisis.start_crisis(session, coach, reason="Bigger storm", message="Hold on", now=NOW + timedelta(hours=1))
    assert again.challenge is None
    assert team.crisis_since == NOW and team.crisis_message == "Hold on"
    assert len(session.scalars(select(Challenge)).all()) == 1


@pytest.mark.parametrize(("reason", "message", "field"), [("", "x", "reason"), ("x" * 201, "", "reason"), ("ok", "m" * 2001, "message")])
def test_bad_crisis_input_is_refused(session, coach, team, reason, message, field):
    with pytest.raises(Invalid) as exc:
        crisis.start_crisis(session, coach, reason=reason, message=message, now=NOW)
    assert field in exc.value.fields
    assert team.crisis_since is None


def test_only_coaches_switch_crisis_mode(session, make_user, team):
    rep = make_user(team=team)
    with pytest.raises(NotFound):
        crisis.start_crisis(session, rep, reason="x", message="", now=NOW)
    with pytest.raises(NotFound):
        crisis.end_crisis(session, rep, now=NOW)


def test_banner_shows_on_every_page_for_the_team_only(app, session, coach, team, make_user, make_org):
    rep = make_user(team=team)
    outsider = make_user(team=make_org())
    as_coach, as_rep, as_outsider = (_signed_in(app, session, u) for u in (coach, rep, outsider))
    response = as_coach.post("/team/crisis", data={"reason": "Trade fair cancelled", "message": "Call your A customers."})
    assert response.status_code == 303 and "/challenges/" in response.headers["Location"]
    for path in ("/", "/customers/", "/settings/", "/challenges/"):
        html = as_rep.get(path).get_data(as_text=True)
        assert 'data-testid="crisis-banner"' in html, path
        assert "Trade fair cancelled" in html and "Call your A customers." in html
    assert 'data-testid="crisis-banner"' not in as_outsider.get("/").get_data(as_text=True)
    assert as_coach.post("/team/crisis/end").status_code == 303
    session.expire_all()
    assert team.crisis_since is None
    assert 'data-testid="crisis-banner"' not in as_rep.get("/").get_data(as_text=True)
    # The storm week ended with crisis mode: its results are final.
    challenge = session.scalar(select(Challenge))
    assert (challenge.ends_at, challenge.finalized_at) == (NOW, NOW) and challenge.results["final"]
    assert "the storm week has ended" in as_coach.get("/team/").get_data(as_text=True)


def test_the_coach_may_keep_the_storm_week_running_when_crisis_mode_ends(app, session, coach, team):
    as_coach = _signed_in(app, session, coach)
    as_coach.post("/team/crisis", data={"reason": "Strike", "message": ""})
    assert 'name="keep_challenge"' in as_coach.get("/team/").get_data(as_text=True)
    assert as_coach.post("/team/crisis/end", data={"keep_challenge": "1"}).status_code == 303
    session.expire_all()
    challenge = session.scalar(select(Challenge))
    assert team.crisis_since is None and challenge.finalized_at is None and challenge.ends_at > NOW


def test_ending_crisis_mode_ends_only_the_teams_crisis_challenge(session, coach, team, make_user, make_org):
    started = crisis.start_crisis(session, coach, reason="Storm", message="", now=NOW)
    other_coach = make_user(team=make_org(), role=Role.coach)
    theirs = crisis.start_crisis(session, other_coach, reason="Theirs", message="", now=NOW).challenge
    later = NOW + timedelta(days=2)
    ended = crisis.end_crisis(session, coach, now=later)
    assert ended.ended == (started.challenge,) and started.challenge.ends_at == later
    assert started.challenge.finalized_at == later and theirs.finalized_at is None
    assert crisis.end_crisis(session, coach, now=later + timedelta(hours=1)).ended == ()  # not in crisis: a no-op


def test_crisis_form_errors_are_a_422_and_reps_get_a_404(app, session, coach, team, make_user):
    as_coach = _signed_in(app, session, coach)
    response = as_coach.post("/team/crisis", data={"reason": "", "message": ""})
    assert response.status_code == 422
    assert 'data-testid="crisis-errors"' in response.get_data(as_text=True)
    as_rep = _signed_in(app, session, make_user(team=team))
    assert as_rep.post("/team/crisis", data={"reason": "x"}).status_code == 404
    assert as_rep.post("/team/crisis/end").status_code == 404


def test_crisis_cadence_turns_green_customers_warming_and_warming_ones_quiet(app, session, coach, team, make_user, make_customer):
    rep = make_user(team=team)
    today = rep.today(NOW)
    green = make_customer(rep, "Green GmbH", tier="B", now=NOW - timedelta(days=8))  # 8 of 14 days
    warming = make_customer(rep, "Warm AG", tier="B", now=NOW - timedelta(days=11))  # 11 of 14 days
    before = {r.customer.name: r.warmth for r in customers_q.customer_rows(session, rep, today=today)}
    assert before == {"Green GmbH": Warmth.green, "Warm AG": Warmth.warming}

    crisis.start_crisis(session, coach, reason="Storm", message="", now=NOW)
    # Cadence 14 × 0.7 = 9.8 days: warming from day 7, quiet after 9.8.
    after = {r.customer.name: r.warmth for r in customers_q.customer_rows(session, rep, today=today)}
    assert after == {"Green GmbH": Warmth.warming, "Warm AG": Warmth.quiet}
    assert common_q.customer_row(green, today).warmth is Warmth.warming
    assert common_q.customer_row(green, today, crisis=False).warmth is Warmth.green
    assert [r.warmth for r in today_q.whom_to_touch(session, rep, today=today)] == [Warmth.quiet, Warmth.warming]
    # A coach of the same team sees the same through the list; the API follows too.
    assert {r.warmth for r in customers_q.customer_rows(session, coach, today=today)} == {Warmth.warming, Warmth.quiet}
    as_rep = _signed_in(app, session, rep)
    body = as_rep.get("/api/v1/customers").get_json()
    assert {c["name"]: c["warmth"] for c in body["customers"]} == {"Green GmbH": "warming", "Warm AG": "quiet"}
    assert as_rep.get(f"/api/v1/customers/{warming.id}").get_json()["customer"]["warmth"] == "quiet"


def test_a_touch_to_a_customer_shown_quiet_in_crisis_mode_is_a_rescue(session, coach, team, make_user, make_customer):
    rep = make_user(team=team)
    today = rep.today(NOW)
    customer = make_customer(rep, "Warm AG", tier="B", now=NOW - timedelta(days=11))  # 11 of 14 days
    crisis.start_crisis(session, coach, reason="Storm", message="", now=NOW)
    [row] = today_q.whom_to_touch(session, rep, today=today)
    assert row.warmth is Warmth.quiet  # 11 days > 9.8, the crisis cadence

    logged = touches.log_touch(session, user=rep, customer_id=customer.id, kind="call", now=NOW)

    assert logged.touch.rescue


def test_crisis_of_another_team_leaves_my_cadence_alone(session, make_user, make_org, make_customer):
    mine, theirs = make_org(), make_org()
    other_coach = make_user(team=theirs, role=Role.coach)
    rep = make_user(team=mine)
    make_customer(rep, tier="B", now=NOW - timedelta(days=8))
    crisis.start_crisis(session, other_coach, reason="Theirs", message="", now=NOW)
    today = rep.today(NOW)
    assert [r.warmth for r in customers_q.customer_rows(session, rep, today=today)] == [Warmth.green]


def _log_days(session, rep, customer, days):
    for day in days:
        touches.log_touch(session, user=rep, customer_id=customer.id, kind="call",
                          now=datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC))


def test_storm_rider_for_reps_who_kept_their_streak_through_the_crisis_challenge(session, coach, team, make_user, make_customer):
    loyal, lazy = _rep(make_user, team, name="Loyal"), _rep(make_user, team, name="Lazy")
    late = make_user(team=team, name="Late")
    late.created_at = NOW + timedelta(days=2)
    started = crisis.start_crisis(session, coach, reason="Storm", message="", now=NOW)
    cl, cz, ct = (make_customer(r, now=NOW - timedelta(days=3)) for r in (loyal, lazy, late))
    # Workdays in the storm week (Fri 27 Nov .. Thu 3 Dec; the last day is still open).
    _log_days(session, loyal, cl, [date(2026, 11, 27), date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)])
    _log_days(session, lazy, cz, [date(2026, 11, 27), date(2026, 11, 30), date(2026, 12, 2)])  # missed Tuesday
    _log_days(session, late, ct, [date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)])
    after = started.challenge.ends_at + timedelta(hours=1)
    assert challenge_ops.finalize(session, started.challenge, now=after)
    riders = set(session.scalars(select(BadgeAward.user_id).where(BadgeAward.code == "storm_rider")))
    assert riders == {loyal.id}


def test_a_plain_challenge_awards_no_storm_rider(session, coach, team, make_user, make_customer):
    rep = _rep(make_user, team)
    customer = make_customer(rep, now=NOW - timedelta(days=3))
    challenge = Challenge(organization_id=coach.organization_id, team_id=team.id, created_by_id=coach.id, title="Plain",
                          metric="active_days", target=1, starts_at=NOW, ends_at=NOW + timedelta(days=3), created_at=NOW)
    session.add(challenge)
    _log_days(session, rep, customer, [date(2026, 11, 27), date(2026, 11, 30)])
    challenge_ops.finalize(session, challenge, now=NOW + timedelta(days=4))
    assert session.scalar(select(BadgeAward.id).where(BadgeAward.code == "storm_rider")) is None


def test_storm_week_coverage_uses_crisis_cadences(session, coach, team, make_user, make_customer):
    rep = _rep(make_user, team)
    make_customer(rep, tier="B", now=NOW - timedelta(days=11))  # quiet with 9.8 days, not with 14
    make_customer(rep, tier="A", now=NOW - timedelta(days=1))
    started = crisis.start_crisis(session, coach, reason="Storm", message="", now=NOW)
    standings = challenge_ops.evaluate(session, started.challenge, now=NOW)
    assert (standings.rep(rep.id).covered, standings.rep(rep.id).customers) == (1, 2)


def test_the_badges_count_quiet_customers_by_the_crisis_cadence(session, coach, team, make_user, make_customer):
    from app.operations import awards

    rep = make_user(team=team)
    make_customer(rep, "Warm AG", tier="B", now=NOW - timedelta(days=11))  # 11 of 14 days: warming, then quiet
    today = rep.today(NOW)
    assert awards.customer_warmth(session, rep, today=today) == (1, 0)
    crisis.start_crisis(session, coach, reason="Storm", message="", now=NOW)
    session.refresh(rep)
    assert awards.customer_warmth(session, rep, today=today) == (1, 1)


# --- crisis periods: the history the trend charts read ---

def _periods(session, team):
    from app.models import CrisisPeriod

    return [(p.started_at, p.ended_at, p.reason) for p in
            session.scalars(select(CrisisPeriod).where(CrisisPeriod.team_id == team.id).order_by(CrisisPeriod.id))]


def test_switching_on_and_off_keeps_each_crisis_as_a_period(session, coach, team):
    crisis.start_crisis(session, coach, reason="Strike", message="", now=NOW)
    assert _periods(session, team) == [(NOW, None, "Strike")]
    later = NOW + timedelta(days=2)
    crisis.start_crisis(session, coach, reason="Strike, week two", message="", now=later)  # only the texts change
    assert _periods(session, team) == [(NOW, None, "Strike, week two")]
    ended = NOW + timedelta(days=9)
    crisis.end_crisis(session, coach, now=ended)
    assert team.crisis_since is None
    assert _periods(session, team) == [(NOW, ended, "Strike, week two")]
    crisis.end_crisis(session, coach, now=ended + timedelta(days=1))  # already off: nothing changes
    again = NOW + timedelta(days=30)
    crisis.start_crisis(session, coach, reason="Flood", message="", now=again)
    assert _periods(session, team) == [(NOW, ended, "Strike, week two"), (again, None, "Flood")]


def test_a_crisis_older_than_the_history_gets_its_period_when_next_touched(session, coach, team):
    began = NOW - timedelta(days=5)
    team.crisis_since, team.crisis_reason = began, "Old crisis"
    session.flush()
    crisis.start_crisis(session, coach, reason="Old crisis, still", message="", now=NOW)
    assert _periods(session, team) == [(began, None, "Old crisis, still")]
    crisis.end_crisis(session, coach, now=NOW + timedelta(hours=1))
    assert _periods(session, team) == [(began, NOW + timedelta(hours=1), "Old crisis, still")]


def test_the_database_holds_one_open_period_per_team(session, coach, team):
    from sqlalchemy.exc import IntegrityError

    from app.models import CrisisPeriod

    crisis.start_crisis(session, coach, reason="Strike", message="", now=NOW)
    session.commit()
    session.add(CrisisPeriod(team_id=team.id, started_at=NOW + timedelta(days=1), reason="Twice"))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    session.add(CrisisPeriod(team_id=team.id, started_at=NOW - timedelta(days=40), ended_at=NOW - timedelta(days=30)))
    session.flush()  # ended periods: as many as there were
