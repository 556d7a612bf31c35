"""The Today page: streak, goal, whom to touch, idea of the day, recent touches, htmx parts."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import delete

from app import clock, ideas
from app.models import AwayPeriod, StreakState, TeamHoliday
from app.operations import touches as ops
from app.queries import points as points_q
from app.queries import streak as streak_q
from app.queries import today as today_q

HX = {"HX-Request": "true"}


@pytest.fixture
def rep(make_user, login):
    """A signed-in rep who works every day, with a daily goal of 3."""
    user = make_user(workdays=[0, 1, 2, 3, 4, 5, 6], daily_goal=3)
    login(user)
    return user


def _customer(make_customer, rep, name, days_ago=20, **fields):
    return make_customer(rep, name, now=clock.now() - timedelta(days=days_ago), **fields)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_new_user_sees_empty_states_with_a_way_forward(client, rep):
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="empty-whom"' in html
    assert 'href="/customers/new"' in html
    assert 'data-testid="streak-count">0<' in html
    assert "Log a touch to start a streak." in html
    assert "0 of 3" in html
    assert "No touches yet" in html


def test_whom_to_touch_shows_top_five_with_warmth_text_and_days(client, session, rep, make_customer):
    _customer(make_customer, rep, "Quiet A", tier="A", days_ago=20)
    _customer(make_customer, rep, "Cooling C", tier="C", days_ago=22)
    for n in range(4):
        _customer(make_customer, rep, f"Fresh B{n}", tier="B", days_ago=1)
    _customer(make_customer, rep, "Paused", tier="A", paused_until=date(2099, 1, 1))
    session.commit()
    html = client.get("/").get_data(as_text=True)
    rows = html.split('data-testid="whom-row"')[1:]
    assert len(rows) == 5
    assert "Quiet A" in rows[0] and "Cooling C" in rows[1]
    assert 'class="pill quiet">Quiet<' in rows[0]
    # never touched and its first cadence (30 days) has not run: new, not "In touch" or "Cooling"
    assert 'class="pill new">New<' in rows[1]
    assert "No touch yet · added 20 days ago" in _text(rows[0])
    assert "Paused" not in "".join(rows)
    assert 'data-testid="log-touch"' in rows[0]


def test_all_customers_paused_is_not_the_new_user_state(client, session, rep, make_customer):
    _customer(make_customer, rep, "Away", paused_until=date(2099, 1, 1))
    session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "all your customers are paused" in html
    assert 'data-testid="empty-whom"' not in html


def test_a_touch_lights_the_flame_fills_the_goal_and_moves_the_customer(client, session, rep, make_customer):
    touched = _customer(make_customer, rep, "Touched AG", tier="A", days_ago=30)
    _customer(make_customer, rep, "Waiting AG", tier="C", days_ago=10)
    session.commit()
    client.post("/touches/", data={"customer_id": touched.id, "kind": "visit"})
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="streak-count">1<' in html
    assert "Done for today" in html
    assert "1 of 3" in html
    rows = html.split('data-testid="whom-row"')[1:]
    assert "Waiting AG" in rows[0] and "Touched AG" in rows[1]
    assert "Touched today" in rows[1] and 'class="pill green">In touch<' in rows[1]
    recent = html.split('id="recent"')[1]
    assert "Visit" in recent and "Touched AG" in recent


def test_goal_reached_and_streak_at_risk(client, session, rep, make_customer):
    customer = _customer(make_customer, rep, "Loyal GmbH")
    now = clock.now()
    ops.log_touch(session, user=rep, customer_id=customer.id, kind="call", now=now, days_back=1)
    session.commit()
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="streak-count">1<' in html
    assert "At risk: log a touch today to keep your 1-day streak." in html
    for kind in ("call", "email", "letter"):
        ops.log_touch(session, user=rep, customer_id=customer.id, kind=kind, now=now)
    session.commit()
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="streak-count">2<' in html
    assert "3 of 3" in html and "Goal reached" in html
    assert 'value="3"' in html.split('id="goal-progress"')[1].split(">")[0]


def test_idea_of_the_day_is_shown(client, rep):
    today = rep.today(clock.now())
    assert str(ideas.idea_of_the_day(today, rep.id)) in client.get("/").get_data(as_text=True)


def test_ideas_are_many_stable_for_a_day_and_change_the_next():
    assert len(ideas.IDEAS) >= 20
    assert len({str(i) for i in ideas.IDEAS}) == len(ideas.IDEAS)
    day = date(2026, 11, 27)
    assert ideas.idea_of_the_day(day, 7) == ideas.idea_of_the_day(day, 7)
    assert ideas.idea_of_the_day(day, 7) != ideas.idea_of_the_day(day + timedelta(days=1), 7)


@pytest.mark.parametrize("part", ["summary", "whom", "recent"])
def test_htmx_refresh_gets_only_its_block(client, session, rep, make_customer, part):
    _customer(make_customer, rep, "Block AG")
    session.commit()
    response = client.get(f"/?part={part}", headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert html.lstrip().startswith(f'<section id="{part}"')
    assert 'hx-trigger="touch-logged from:body"' in html
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HX-Request": "true", "HX-Boosted": "true"},
        {"HX-Request": "true", "HX-History-Restore-Request": "true"},
    ],
)
def test_plain_boosted_and_history_restore_get_the_whole_page(client, rep, headers):
    response = client.get("/?part=summary", headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" in html and 'id="whom"' in html and 'id="summary"' in html
    assert "HX-Request" in response.headers["Vary"]


def test_unknown_part_gets_the_whole_page(client, rep):
    html = client.get("/?part=nonsense", headers=HX).get_data(as_text=True)
    assert "<html" in html


def _history(session, rep, make_customer, *, days: int = 20):
    """Touches on most of the last *days* days, a rescue among them, an away week and a team holiday."""
    now = clock.now()
    today = rep.today(now)
    customer = _customer(make_customer, rep, "History AG", days_ago=days + 30)
    for back in range(days, -1, -1):
        if back % 6 != 3:
            ops.log_touch(session, user=rep, customer_id=customer.id, kind="call", now=now - timedelta(days=back))
    session.add(AwayPeriod(user_id=rep.id, first_day=today - timedelta(days=4), last_day=today - timedelta(days=3),
                           created_at=now))
    session.add(TeamHoliday(team_id=rep.team_id, first_day=today - timedelta(days=9), last_day=today - timedelta(days=9),
                            name="Retreat", created_by_id=rep.id, created_at=now))
    session.commit()
    return today


@pytest.mark.parametrize("checkpoint", [True, False])
def test_day_summary_is_the_streak_the_count_and_the_points_read_apart(session, rep, make_customer, checkpoint):
    today = _history(session, rep, make_customer)
    if not checkpoint:
        session.execute(delete(StreakState).where(StreakState.user_id == rep.id))
        session.commit()
    summary = today_q.day_summary(session, rep, today=today)
    assert summary.streak == streak_q.summary(session, rep, today=today)
    assert summary.done == today_q.touches_on(session, rep, today) == 1
    assert summary.points == points_q.totals(session, rep, today=today)
    assert summary.streak.current > 0


def test_whom_today_is_whom_to_touch_with_the_count_of_active_customers(session, rep, make_customer):
    for n in range(7):
        _customer(make_customer, rep, f"Active {n}", tier="ABC"[n % 3], days_ago=3 * n)
    _customer(make_customer, rep, "Paused", paused_until=date(2099, 1, 1))
    archived = _customer(make_customer, rep, "Archived")
    archived.archived_at = clock.now()
    session.commit()
    today = rep.today(clock.now())
    whom = today_q.whom_today(session, rep, today=today)
    assert [r.customer.id for r in whom.rows] == [r.customer.id for r in today_q.whom_to_touch(session, rep, today=today)]
    assert len(whom.rows) == 5
    assert whom.active_count == 8


def test_today_reads_the_whole_page_in_seven_statements(app, client, session, rep, make_customer, count_queries):
    _history(session, rep, make_customer)
    session.close()  # a fresh session, as every request on a server has
    with count_queries() as statements:
        assert client.get("/").status_code == 200
    # The user with the team, the checkpoint, the touches after it, the away days, the points,
    # the customers, the recent touches with theirs.
    assert len(statements) == 7, "\n".join(statements)
