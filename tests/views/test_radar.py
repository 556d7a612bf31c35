"""The coach's quiet radar on /team: facts per rep, risk order, drill-down, weekly summary, query count."""

import re
from datetime import date, datetime, timedelta, timezone

import pytest

from app import streaks
from app.kinds import Role, Tier, TouchKind
from app.models import Customer, Touch
from app.operations import crisis, streak_state, touches
from app.queries import team as team_q

from support import NOW, PASSWORD

UTC = timezone.utc
TODAY = date(2026, 11, 27)  # a Friday


pytestmark = pytest.mark.usefixtures("frozen_clock")  # NOW: Friday 27 Nov 2026, 11:00 in Berlin


@pytest.fixture
def team(make_org):
    return make_org()


@pytest.fixture
def coach(make_user, team):
    return make_user(team=team, role=Role.coach, name="Coach")


def _signed_in(app, session, user):
    session.commit()
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def _log(session, rep, customer, day, kind="call"):
    at = datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)
    touches.log_touch(session, user=rep, customer_id=customer.id, kind=kind, now=at)


def _veteran(make_user, team, name):
    """A rep who joined two months ago: the radar judges their every workday."""
    rep = make_user(team=team, name=name)
    rep.created_at = NOW - timedelta(days=60)
    return rep


def test_radar_lists_every_rep_with_their_signals_most_at_risk_first(session, coach, team, make_user, make_customer):
    steady = _veteran(make_user, team, "Steady")
    drifting = _veteran(make_user, team, "Drifting")
    silent = _veteran(make_user, team, "Silent")
    cs = make_customer(steady, tier="A", now=NOW - timedelta(days=40))
    cd = make_customer(drifting, tier="B", now=NOW - timedelta(days=30))
    _log(session, drifting, cd, TODAY - timedelta(days=11))  # warming (11 of 14)
    make_customer(silent, tier="A", now=NOW - timedelta(days=30))  # quiet
    make_customer(silent, tier="A", now=NOW - timedelta(days=20))  # quiet
    for offset in range(0, 12):
        day = TODAY - timedelta(days=offset)
        if day.weekday() < 5:
            _log(session, steady, cs, day, kind="letter" if offset % 2 else "call")
    rows = team_q.radar(session, coach, now=NOW)
    assert [r.rep.name for r in rows] == ["Silent", "Drifting", "Steady"]
    silent_row, drifting_row, steady_row = rows
    assert (silent_row.quiet, silent_row.warming, silent_row.customers) == (2, 0, 2)
    assert silent_row.streak_broken and silent_row.last_touch_day is None and silent_row.consistency == 0.0
    assert (drifting_row.quiet, drifting_row.warming) == (0, 1)
    assert drifting_row.streak_broken and not drifting_row.new
    assert steady_row.streak.current == 10 and steady_row.last_touch_day == TODAY
    assert steady_row.week_touches == 5  # Mon 23 .. Fri 27 Nov, the rep's ISO week
    logged = {TODAY - timedelta(days=o) for o in range(12) if (TODAY - timedelta(days=o)).weekday() < 5}
    assert steady_row.consistency == pytest.approx(streaks.consistency(logged, today=TODAY))
    assert 0.8 < steady_row.consistency < 1.0  # the missed workdays before the 12 days weigh a little
    assert coach.id not in {r.rep.id for r in rows}


def test_a_rep_who_joined_today_is_new_not_broken(app, session, coach, team, make_user, make_customer):
    newcomer = make_user(team=team, name="Nina New")  # joined today (NOW)
    make_customer(newcomer, tier="A")
    judged = _veteran(make_user, team, "Old Hand")
    make_customer(judged, tier="A").last_touch_day = TODAY - timedelta(days=3)
    rows = team_q.radar(session, coach, now=NOW)
    assert [r.rep.name for r in rows] == ["Old Hand", "Nina New"]  # the judged rep first
    nina = rows[1]
    assert nina.new and not nina.streak_broken and nina.consistency is None
    assert (nina.quiet, nina.warming, nina.customers) == (0, 0, 1)  # her new customer is neither
    assert rows[0].streak_broken and not rows[0].new and rows[0].consistency == 0.0
    html = _signed_in(app, session, coach).get("/team/").get_data(as_text=True)
    nina_html = html[html.index("Nina New"):html.index("</li>", html.index("Nina New"))]
    assert 'data-testid="rep-new"' in nina_html and "broken" not in nina_html and "0 %" not in nina_html
    old_html = html[html.index("Old Hand"):html.index("Nina New")]
    assert "broken" in old_html and "rep-new" not in old_html
    german = _signed_in(app, session, coach).get("/team/", headers={"Accept-Language": "de"})
    assert 'data-testid="rep-new">Neu<' in german.get_data(as_text=True)


def test_a_new_rep_is_judged_once_a_workday_has_ended(session, coach, team, make_user):
    rep = make_user(team=team)
    rep.created_at = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)  # Thursday afternoon
    assert team_q.radar(session, coach, now=NOW)[0].new  # Friday: only the joining day is past
    monday = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    row = team_q.radar(session, coach, now=monday)[0]
    assert not row.new and row.streak_broken  # Friday, a workday, ended without a touch
    assert row.consistency == 0.0


def test_a_rep_with_touches_from_before_joining_is_judged_on_them(session, coach, team, make_user, make_customer):
    rep = make_user(team=team)  # the account is new, the history carried over is not
    customer = make_customer(rep, tier="A", now=NOW - timedelta(days=30))
    _log(session, rep, customer, TODAY - timedelta(days=1))
    row = team_q.radar(session, coach, now=NOW)[0]
    assert not row.new and row.consistency is not None and row.consistency < 1.0


def test_radar_follows_crisis_cadence(session, coach, team, make_user, make_customer):
    rep = make_user(team=team)
    make_customer(rep, tier="B", now=NOW - timedelta(days=11))
    assert team_q.radar(session, coach, now=NOW)[0].quiet == 0
    crisis.start_crisis(session, coach, reason="Storm", message="", now=NOW)
    assert team_q.radar(session, coach, now=NOW)[0].quiet == 1


def test_team_page_shows_the_radar_to_coaches_only(app, session, coach, team, make_user):
    rep = make_user(team=team, name="Rita Rep")
    html = _signed_in(app, session, coach).get("/team/").get_data(as_text=True)
    assert 'data-testid="radar"' in html and "Rita Rep" in html
    assert 'id="members"' in html and 'id="holidays"' in html and 'id="invites"' in html
    rep_html = _signed_in(app, session, rep).get("/team/").get_data(as_text=True)
    assert 'data-testid="radar"' not in rep_html and 'id="members"' in rep_html


def test_drill_down_shows_a_reps_quiet_and_warming_customers(app, session, coach, team, make_user, make_org, make_customer):
    rep = make_user(team=team)
    make_customer(rep, "Quiet Corp", tier="A", now=NOW - timedelta(days=30))
    make_customer(rep, "Cooling Co", tier="B", now=NOW - timedelta(days=20)).last_touch_day = TODAY - timedelta(days=11)
    make_customer(rep, "Fresh Ltd", tier="B", now=NOW - timedelta(days=1))
    make_customer(rep, "Never Touched", tier="B", now=NOW - timedelta(days=11))  # new: neither list
    as_coach = _signed_in(app, session, coach)
    html = as_coach.get(f"/team/reps/{rep.id}").get_data(as_text=True)
    quiet = html[html.index('data-testid="rep-quiet"'):html.index('data-testid="rep-warming"')]
    assert "Quiet Corp" in quiet and "Cooling Co" not in quiet
    assert "Cooling Co" in html[html.index('data-testid="rep-warming"'):]
    assert "Fresh Ltd" not in html and "Never Touched" not in html
    other_rep = make_user(team=make_org())
    assert as_coach.get(f"/team/reps/{other_rep.id}").status_code == 404
    assert as_coach.get(f"/team/reps/{coach.id}").status_code == 404
    assert as_coach.get("/team/reps/999999").status_code == 404
    colleague = make_user(team=team)
    assert _signed_in(app, session, colleague).get(f"/team/reps/{rep.id}").status_code == 404


def test_coach_weekly_summary_covers_last_week(session, coach, team, make_user, make_customer):
    busy = make_user(team=team, name="Busy")
    make_user(team=team, name="Quiet Quentin")
    customer = make_customer(busy, tier="A", now=NOW - timedelta(days=30))
    for day in (date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 27)):
        _log(session, busy, customer, day)
    summary = team_q.coach_weekly_summary(session, coach, today=date(2026, 11, 30))  # Monday
    assert (summary.first, summary.last) == (date(2026, 11, 23), date(2026, 11, 29))
    assert (summary.reps, summary.touches, summary.active_reps) == (2, 3, 1)
    assert summary.quiet_reps == ("Quiet Quentin",)
    assert summary.quiet_customers == 0


def _big_team(session, make_org, make_user, reps: int, customers: int = 1500):
    team = make_org()
    coach = make_user(team=team, role=Role.coach)
    people = [make_user(team=team, timezone=["Europe/Berlin", "America/Chicago", "Asia/Tokyo"][i % 3]) for i in range(reps)]
    rows = []
    for i in range(customers):
        owner = people[i % reps]
        tier = [Tier.A, Tier.B, Tier.C][i % 3]
        created = TODAY - timedelta(days=5 + i % 40)
        rows.append(Customer(organization_id=team.organization_id, owner_id=owner.id, name=f"C{i}", tier=tier,
                             cadence_days={Tier.A: 7, Tier.B: 14, Tier.C: 30}[tier], created_at=NOW,
                             created_day=created, last_touch_day=created + timedelta(days=i % 4) if i % 5 else None))
    session.add_all(rows)
    session.flush()
    touch_rows = []
    for n, rep in enumerate(people):
        for d in range(0, 20, 1 + n % 3):
            day = TODAY - timedelta(days=d)
            touch_rows.append(Touch(organization_id=team.organization_id, user_id=rep.id, customer_id=rows[n].id,
                                    kind=TouchKind.call, occurred_at=NOW - timedelta(days=d), local_day=day,
                                    rescue=d == 3, created_at=NOW - timedelta(days=d)))
    session.add_all(touch_rows)
    session.flush()
    for rep in people[::2]:  # half the reps have a kept checkpoint, half are folded from scratch
        streak_state.rebuild(session, rep, now=NOW - timedelta(days=2))
    session.commit()
    return coach


@pytest.mark.parametrize("measure", ["team page"])
def test_team_page_runs_the_same_number_of_queries_for_3_and_30_reps(app, session, make_org, make_user, measure,
                                                                    count_queries):
    counts = {}
    for reps in (3, 30):
        coach = _big_team(session, make_org, make_user, reps)
        client = _signed_in(app, session, coach)
        client.get("/team/")  # warm-up: caches, first-request work
        session.expire_all()
        with count_queries() as statements:
            response = client.get("/team/")
        assert response.status_code == 200
        assert response.get_data(as_text=True).count('class="radar-row"') == reps
        counts[reps] = len(statements)
    print(f"\n/team SQL statements: 3 reps -> {counts[3]}, 30 reps -> {counts[30]} (1,500 customers each)")
    assert counts[3] == counts[30]
    assert counts[30] <= 25


def test_the_radar_names_the_first_quiet_customers_and_links_the_rest(app, session, coach, team, make_user,
                                                                      make_customer):
    rep = make_user(team=team, name="Rita Rep")
    for i, name in enumerate(("Alpha AG", "Beta GmbH", "Gamma KG", "Delta SE", "Epsilon Ltd")):
        make_customer(rep, name, tier="A", now=NOW - timedelta(days=30 + i))
    html = _signed_in(app, session, coach).get("/team/").get_data(as_text=True)
    paragraph = re.search(r'<p [^>]*data-testid="radar-quiet">(.*?)</p>', html, re.S).group(1)
    text = " ".join(re.sub(r"<[^>]+>", "", paragraph).split())
    assert text == "Quiet: Epsilon Ltd, Delta SE, Gamma KG&nbsp;· 2 more"  # the most quiet first
    assert f'href="/team/reps/{rep.id}">2 more</a>' in html
