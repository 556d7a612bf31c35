"""The Streak page: streak and freezes from the kept state, consistency, and the 26-week heatmap."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest

from app import clock, streaks
from app.models import AwayPeriod, TeamHoliday, Touch
from app.operations import streak_state
from app.operations import touches as ops
from app.views.streak import next_freeze_in
from app.queries import streak as streak_q

# Friday 27 November 2026, 11:00 in Berlin: the rep's local day is the 27th.
FIXED_NOW = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)
TODAY = date(2026, 11, 27)
WINDOW_START = date(2026, 6, 1)  # the Monday 25 weeks before this week's Monday


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    """Pin the app's clock, so that the days in these tests are the rep's real days."""
    monkeypatch.setattr(clock, "now", lambda: FIXED_NOW)


@pytest.fixture
def rep(make_user, login):
    """A signed-in rep (Berlin, Monday–Friday) who joined two months ago."""
    user = make_user()
    user.created_at = FIXED_NOW - timedelta(days=60)
    login(user)
    return user


@pytest.fixture
def customer(rep, make_customer):
    """A customer of the rep, added long ago."""
    return make_customer(rep, "Müller AG", now=FIXED_NOW - timedelta(days=300))


def add_touches(session, rep, customer, days: dict[date, int]) -> None:
    """Insert *days*' touch counts for *rep* with explicit local days, then rebuild the kept state."""
    for day, count in days.items():
        for n in range(count):
            at = datetime(day.year, day.month, day.day, 9, n, tzinfo=timezone.utc)
            session.add(Touch(organization_id=rep.organization_id, user_id=rep.id, customer_id=customer.id,
                              kind="call", occurred_at=at, local_day=day, created_at=at))
    session.flush()
    streak_state.rebuild(session, rep, now=FIXED_NOW)
    session.commit()


def cell(html: str, day: date) -> str:
    """Return the heatmap cell (its opening tag) of *day*."""
    match = re.search(rf'<g class="hm-day[^"]*" data-day="{day.isoformat()}"[^>]*>', html)
    assert match, f"no heatmap cell for {day}"
    return match.group(0)


def text(html: str) -> str:
    """Return the visible text of *html*, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def workdays_between(first: date, last: date) -> list[date]:
    """Return Monday–Friday days from *first* to *last*."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)
            if (first + timedelta(days=i)).weekday() < 5]


def test_new_user_sees_an_empty_page_with_26_weeks_of_cells(client, make_user, login):
    user = make_user()
    login(user)
    response = client.get("/streak")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count('<g class="hm-day') == 26 * 7
    assert 'data-testid="streak-current">0<' in html
    assert "Log a touch to start a streak." in html
    assert "0 of 2 freezes held" in html
    assert "7 more active days in a row earn a freeze." in text(html)
    assert "No freeze used yet." in html
    # Joined today with nothing logged yet: no workday to measure, so no 0 %.
    assert "Not measured yet" in html
    assert 'viewBox="0 0 470 137" width="100%"' in html
    assert 'aria-label="27 Nov: 0 touches, today"' in html
    # This week's Saturday and Sunday are still to come: drawn, but not announced.
    assert 'data-day="2026-11-29" data-count="0" aria-hidden="true"' in html
    assert cell(html, WINDOW_START) and f'data-day="{(WINDOW_START - timedelta(days=1)).isoformat()}"' not in html


def test_touch_counts_label_their_own_day(client, session, rep, customer):
    add_touches(session, rep, customer, {date(2026, 11, 25): 3, date(2026, 11, 21): 1, date(2026, 6, 1): 6})
    html = client.get("/streak").get_data(as_text=True)
    wednesday = cell(html, date(2026, 11, 25))
    assert 'data-count="3"' in wednesday and 'aria-label="25 Nov: 3 touches"' in wednesday
    assert "hm-workday hm-l2" in wednesday
    saturday = cell(html, date(2026, 11, 21))
    assert 'aria-label="21 Nov: 1 touch, weekend"' in saturday and "hm-neutral hm-l1" in saturday
    assert 'aria-label="1 Jun: 6 touches"' in cell(html, date(2026, 6, 1))
    assert 'aria-label="24 Nov: 0 touches"' in cell(html, date(2026, 11, 24))
    assert "3 active days · 10 touches" in text(html)


def test_touches_outside_the_window_or_deleted_are_not_counted(client, session, rep, customer):
    add_touches(session, rep, customer, {date(2026, 5, 31): 4, date(2026, 11, 26): 2})
    touch = session.query(Touch).filter_by(local_day=date(2026, 11, 26)).first()
    ops.delete_touch(session, touch, now=FIXED_NOW)
    session.commit()
    html = client.get("/streak").get_data(as_text=True)
    assert 'aria-label="26 Nov: 1 touch"' in cell(html, date(2026, 11, 26))
    assert "1 active day · 1 touch" in text(html)


def test_a_freeze_used_marks_the_day_and_lists_it(client, session, rep, customer):
    # Seven active workdays earn a freeze; Wednesday 11 November is missed and the freeze covers it.
    days = workdays_between(date(2026, 11, 2), date(2026, 11, 26))
    days.remove(date(2026, 11, 11))
    add_touches(session, rep, customer, {d: 1 for d in days})
    expected = streaks.summarize(days, today=TODAY)
    assert expected.frozen_days == (date(2026, 11, 11),)

    html = client.get("/streak").get_data(as_text=True)
    frozen = cell(html, date(2026, 11, 11))
    assert "hm-frozen" in frozen and 'aria-label="11 Nov: 0 touches, saved by a freeze"' in frozen
    assert 'class="hm-frost"' in html.split('data-day="2026-11-11"')[1].split("</g>")[0]
    assert '<time datetime="2026-11-11">Nov 11, 2026</time>' in html
    assert f'data-testid="streak-current">{expected.current}<' in html
    assert f"Longest streak: {expected.longest} days" in html
    assert "at risk" in text(html).lower()
    assert f"{expected.freezes} of 2 freezes held" in html


def test_away_days_and_team_holidays_are_hatched_and_labelled(client, session, rep, customer):
    session.add(AwayPeriod(user_id=rep.id, first_day=date(2026, 11, 16), last_day=date(2026, 11, 17),
                           reason="vacation", created_at=FIXED_NOW))
    session.add(TeamHoliday(team_id=rep.team_id, first_day=date(2026, 11, 19), last_day=date(2026, 11, 19),
                            name="Retreat", created_by_id=rep.id, created_at=FIXED_NOW))
    add_touches(session, rep, customer, {date(2026, 11, 17): 2})
    html = client.get("/streak").get_data(as_text=True)
    monday = cell(html, date(2026, 11, 16))
    assert "hm-away" in monday and 'aria-label="16 Nov: 0 touches, away"' in monday
    assert 'aria-label="17 Nov: 2 touches, away"' in cell(html, date(2026, 11, 17))
    assert 'aria-label="19 Nov: 0 touches, away"' in cell(html, date(2026, 11, 19))
    assert 'fill="url(#hm-hatch)"' in html.split('data-day="2026-11-16"')[1].split("</g>")[0]
    assert "hm-workday" in cell(html, date(2026, 11, 18))


def test_away_today_says_the_streak_waits(client, session, rep, customer):
    add_touches(session, rep, customer, {date(2026, 11, 26): 1})
    session.add(AwayPeriod(user_id=rep.id, first_day=TODAY, last_day=TODAY, reason="sick", created_at=FIXED_NOW))
    session.commit()
    html = client.get("/streak").get_data(as_text=True)
    assert "You are away today — your streak waits for you." in html
    assert 'aria-label="27 Nov: 0 touches, away, today"' in html


def test_done_today_and_the_next_freeze_count_from_the_run(client, session, rep, customer):
    add_touches(session, rep, customer, {date(2026, 11, 25): 1, date(2026, 11, 26): 1})
    ops.log_touch(session, user=rep, customer_id=customer.id, kind="visit", now=FIXED_NOW)
    session.commit()
    html = client.get("/streak").get_data(as_text=True)
    assert "Done for today — your streak is safe." in html
    assert 'data-testid="streak-current">3<' in html
    assert "4 more active days in a row earn a freeze." in text(html)
    assert "hm-today" in cell(html, TODAY) and 'aria-label="27 Nov: 1 touch, today"' in cell(html, TODAY)
    assert html.count('class="hm-outline"') == 2  # today's cell and the legend's example


def test_rescuing_a_quiet_customer_shows_a_bonus_freeze(client, session, rep, make_customer):
    quiet = make_customer(rep, "Still AG", tier="C", now=FIXED_NOW - timedelta(days=45))
    logged = ops.log_touch(session, user=rep, customer_id=quiet.id, kind="letter", now=FIXED_NOW)
    session.commit()
    assert logged.touch.rescue
    html = client.get("/streak").get_data(as_text=True)
    assert "1 of 2 freezes held" in html
    assert 'data-testid="rescue-freeze"' in html and "bonus freeze" in html


def test_consistency_is_a_percentage_with_its_formula(client, session, rep, customer):
    days = workdays_between(date(2026, 10, 30), date(2026, 11, 26))
    add_touches(session, rep, customer, {d: 1 for d in days if d != date(2026, 11, 26)})
    score = streaks.consistency({d for d in days if d != date(2026, 11, 26)}, today=TODAY)
    html = client.get("/streak").get_data(as_text=True)
    shown = re.search(r'data-testid="consistency">(\d+)%<', html)
    assert shown and int(shown.group(1)) == round(score * 100)
    assert 85 <= int(shown.group(1)) < 100  # yesterday missed: a dip, not a cliff
    assert "<details" in html and "0.9 times" in html


def test_german_labels_dates_and_weekdays(client, session, make_user, login, make_customer):
    user = make_user(locale="de")
    user.created_at = FIXED_NOW - timedelta(days=60)
    login(user)
    customer = make_customer(user, "Müller AG", now=FIXED_NOW - timedelta(days=300))
    add_touches(session, user, customer, {date(2026, 11, 25): 3, date(2026, 11, 21): 1})
    html = client.get("/streak").get_data(as_text=True)
    assert '<html lang="de">' in html
    assert 'aria-label="25. Nov.: 3 Kontakte"' in cell(html, date(2026, 11, 25))
    assert 'aria-label="21. Nov.: 1 Kontakt, Wochenende"' in cell(html, date(2026, 11, 21))
    assert 'aria-label="27. Nov.: 0 Kontakte, heute"' in cell(html, TODAY)
    assert ">Dez<" not in html and ">Nov<" in html  # stand-alone month names along the top
    assert re.search(r'text-anchor="end">M</text>.*text-anchor="end">D</text>', html)
    assert "Deine Serie" in html and "Joker" in html


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}, {"HX-Request": "true", "HX-Boosted": "true"}])
def test_the_page_always_answers_with_the_whole_page(client, rep, headers):
    response = client.get("/streak?part=whatever", headers=headers)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" in html and 'data-testid="heatmap"' in html
    assert 'href="/streak" aria-current="page"' in html


def test_a_trailing_slash_finds_the_page_too(client, rep):
    assert client.get("/streak/").status_code == 200


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/streak")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_rep_without_a_team_sees_the_page(client, session, rep, customer):
    rep.team_id = None
    add_touches(session, rep, customer, {date(2026, 11, 26): 1})
    session.add(AwayPeriod(user_id=rep.id, first_day=date(2026, 11, 23), last_day=date(2026, 11, 23),
                           reason="vacation", created_at=FIXED_NOW))
    session.commit()
    response = client.get("/streak")
    assert response.status_code == 200
    assert "hm-away" in cell(response.get_data(as_text=True), date(2026, 11, 23))


def test_today_links_to_the_streak_page(client, rep):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/streak"' in html


@pytest.mark.parametrize("run, left", [(0, 7), (1, 6), (6, 1), (7, 7), (13, 1), (15, 6)])
def test_next_freeze_counts_the_days_left_in_the_run(run, left):
    assert next_freeze_in(run) == left


def fresh_run(hist: streak_q.History, today: date) -> int:
    """Return ``run_of_active`` through *today* by folding the whole history, the slow way."""
    walker, _ = streak_q.fold_from_scratch(hist, today - timedelta(days=1))
    streaks.finish(walker, today, active=hist.active, workdays=hist.workdays, away=hist.away, bonus=hist.bonus)
    return walker.run_of_active


@pytest.mark.parametrize("checkpoint", ["fresh", "stale", "none"])
def test_streak_page_data_agrees_with_a_full_fold(session, rep, customer, checkpoint):
    days = workdays_between(date(2025, 9, 1), date(2026, 11, 26))
    days = [d for d in days if d.toordinal() % 11 != 0] + [date(2026, 11, 22), TODAY]
    add_touches(session, rep, customer, {d: 1 for d in days})
    if checkpoint == "stale":
        streak_state.rebuild(session, rep, now=datetime(2026, 1, 10, 12, tzinfo=timezone.utc))
    elif checkpoint == "none":
        session.delete(session.get(streak_state.StreakState, rep.id))
    session.flush()
    data = streak_q.streak_page(session, rep, today=TODAY)
    hist = streak_q.history(session, rep)
    assert data.summary == streaks.summarize(hist.active, today=TODAY, bonus_freeze_days=hist.bonus)
    assert data.run_of_active == fresh_run(hist, TODAY)
    assert data.first_day == WINDOW_START
    assert data.counts[date(2026, 11, 22)] == 1 and min(data.counts) >= WINDOW_START


def test_the_page_reads_only_the_window_and_the_days_after_the_checkpoint(client, session, rep, customer,
                                                                          count_queries):
    add_touches(session, rep, customer, {d: 1 for d in workdays_between(date(2024, 1, 1), date(2026, 11, 26))})
    with count_queries() as statements:
        response = client.get("/streak")
    assert response.status_code == 200
    on_touches = [s for s in statements if re.search(r"FROM touch\b", s)]
    assert on_touches, statements
    # The weeks' coverage looks up each customer's newest touch up to each week's end: one row each
    # (ORDER BY … DESC LIMIT 1, along ix_touch_customer_day), never a range of the history.
    probes = [s for s in on_touches if re.search(r"ORDER BY touch\.local_day DESC\s+LIMIT", s)]
    assert len(probes) == 1, on_touches
    for statement in on_touches:
        if statement not in probes:
            assert re.search(r"touch\.local_day >", statement), statement
    # The days after the checkpoint (the kept-state path), the heatmap's and the weeks' grouped counts.
    assert len(on_touches) == 4, on_touches
    assert len([s for s in statements if re.search(r"FROM streak_state\b", s)]) == 1
    assert len(statements) <= 12, statements


@pytest.mark.parametrize(("joined_days_ago", "shown"), [(0, None), (1, None), (2, "0%")])
def test_consistency_judges_no_day_before_the_first_full_workday(client, make_user, login, joined_days_ago, shown):
    # Joined yesterday afternoon: that day is not judged, as on the coach's radar; joined the day
    # before, yesterday was a whole workday without a touch.
    user = make_user()
    user.created_at = FIXED_NOW - timedelta(days=joined_days_ago)
    login(user)
    html = client.get("/streak").get_data(as_text=True)
    measured = re.search(r'data-testid="consistency">(\d+%)<', html)
    assert (measured.group(1) if measured else None) == shown
    if shown is None:
        assert "Not measured yet" in html
