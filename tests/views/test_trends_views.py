"""Trends: the coach's Trends page, a rep's 1:1 sheet (page and CSV), the rep's weeks on the streak page.

NOW is Friday 27 Nov 2026, 11:00 in Berlin: the twelve weeks run from Monday 7 Sep to this week
(Monday 23 Nov – today, so far).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta, timezone
from html.parser import HTMLParser

import pytest

from app.kinds import Role
from app.models import CrisisPeriod, Touch
from app.operations import streak_state
from support import NOW, PASSWORD

pytestmark = pytest.mark.usefixtures("frozen_clock")

TODAY = date(2026, 11, 27)
THIS_MONDAY = date(2026, 11, 23)
FIRST_MONDAY = THIS_MONDAY - timedelta(weeks=11)


def monday(weeks_ago: int) -> date:
    """Return the Monday of the week *weeks_ago* weeks before this one."""
    return THIS_MONDAY - timedelta(weeks=weeks_ago)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)


def touch(session, rep, customer, day: date, kind: str = "call", *, rescue: bool = False, deleted: bool = False):
    """Add a touch of *rep* with *customer* on the local *day*, keeping the customer's last touch day."""
    session.add(Touch(organization_id=rep.organization_id, user_id=rep.id, customer_id=customer.id, kind=kind,
                      occurred_at=at(day), local_day=day, rescue=rescue, created_at=at(day),
                      deleted_at=at(day) if deleted else None))
    if not deleted:
        customer.last_touch_day = max(day, customer.last_touch_day or day)


def signed_in(app, session, user):
    session.commit()
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


class _Tables(HTMLParser):
    """Collect every table of a page as rows of cell texts, by the figure (data-testid) around it."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._figure = None
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("figure", "section") and attrs.get("data-testid"):
            self._figure = attrs["data-testid"]
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables.setdefault(self._figure, []).append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


@pytest.fixture
def team(session, make_org, make_user, make_customer):
    """A coach and two reps; a crisis from Monday four weeks ago to Sunday three weeks ago (ended at 02:00 on
    Monday, before the day starts at 03:00: still Sunday)."""
    team = make_org("Nordlicht")
    coach = make_user(team=team, role=Role.coach, name="Katrin Coach")
    lena = make_user(team=team, name="Lena Rep")
    mike = make_user(team=team, name="Mike Rep")
    for rep in (lena, mike):
        rep.created_at = NOW - timedelta(days=200)
    session.add(CrisisPeriod(team_id=team.id, started_at=at(monday(4), 7), ended_at=at(monday(2), 1),
                             reason="Supplier strike"))
    customers = {rep.id: make_customer(rep, f"Kunde {rep.name}", tier="A", now=NOW - timedelta(days=150))
                 for rep in (lena, mike)}
    session.flush()
    return coach, lena, mike, customers


def _fill_weeks(session, reps, customers, per_week: dict[int, int]):
    """Give each rep *per_week[weeks_ago]* touches in that week (Monday to the count's weekdays)."""
    for rep in reps:
        for weeks_ago, count in per_week.items():
            for n in range(count):
                day = monday(weeks_ago) + timedelta(days=n % 5)
                if day <= TODAY:
                    touch(session, rep, customers[rep.id], day, kind=("call", "letter", "visit")[n % 3],
                          rescue=n == 0 and weeks_ago == 3)
    session.flush()


def test_the_trends_page_shows_the_team_weeks_with_the_crisis_weeks_shaded(app, session, team):
    coach, lena, mike, customers = team
    # Outside the crisis 2 touches a week each; in crisis weeks (4 and 3 weeks ago) 5 each.
    _fill_weeks(session, (lena, mike), customers, {w: 5 if w in (3, 4) else 2 for w in range(12)})
    touch(session, lena, customers[lena.id], monday(5), deleted=True)  # deleted touches never count
    client = signed_in(app, session, coach)

    response = client.get("/team/trends")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    # Four charts, each an image with a title and its finding, and its numbers in a table.
    for key in ("team-touches", "team-coverage", "team-kinds", "team-rescues"):
        svg = re.search(rf'<svg class="chart"[^>]*aria-labelledby="{key}-title {key}-desc"', html)
        assert svg and 'role="img"' in svg.group(0), key
        assert f'<title id="{key}-title">' in html and f'<desc id="{key}-desc">' in html
    # The crisis weeks, shaded as one band, and the finding in a sentence.
    assert html.count('class="chart-shade"') >= 4
    assert "Team touches rose from 4 a week outside the crisis to 10 a week during it." in html
    assert "Rescues rose from 0 a week outside the crisis to 1 a week during it." in html
    assert "Supplier strike" in html
    rows = tables(html)
    touches = rows["team-touches"]
    assert touches[0] == ["Week", "Touches"]
    assert len(touches) == 13
    assert touches[1] == ["7 Sep – 13 Sep", "4"]
    assert touches[8] == ["26 Oct – 1 Nov, crisis", "10"] and touches[9] == ["2 Nov – 8 Nov, crisis", "10"]
    assert touches[12] == ["23 Nov – today (so far)", "4"]
    kinds = rows["team-kinds"]
    assert kinds[1] == ["7 Sep – 13 Sep", "2"] and kinds[8][1] == "3"
    # Every rep as a small multiple, with the link to their 1:1 sheet.
    reps = rows["rep-trends"]
    assert [r[0] for r in reps[1:]] == ["Lena Rep", "Mike Rep"]
    assert reps[1][1:] == ["2", "2", "2", "2", "2", "2", "2", "5", "5", "2", "2", "2", "30"]
    assert f'href="/team/reps/{lena.id}/sheet"' in html


def test_coverage_over_time_counts_a_and_b_customers_not_quiet_at_each_week_end(app, session, team, make_customer):
    coach, lena, mike, customers = team
    # Lena's A customer touched on Monday 5 weeks ago only: quiet (7-day cadence) from the week after.
    touch(session, lena, customers[lena.id], monday(5))
    # Mike's A customer touched every Monday and Thursday: warm at every week's end, crisis cadences too.
    for w in range(12):
        touch(session, mike, customers[mike.id], monday(w))
        touch(session, mike, customers[mike.id], monday(w) + timedelta(days=3))
    # A C customer never counts for coverage; a B customer created this week counts from this week on.
    make_customer(lena, "Kleinkunde", tier="C", now=NOW - timedelta(days=150))
    make_customer(mike, "Neukunde", tier="B", now=NOW - timedelta(days=2))
    client = signed_in(app, session, coach)

    rows = tables(client.get("/team/trends").get_data(as_text=True))["team-coverage"]

    assert rows[0] == ["Week", "A customers not quiet", "B customers not quiet", "Coverage"]
    by_week = {r[0].split(" – ")[0]: r[1:] for r in rows[1:]}
    assert by_week["19 Oct"] == ["2 of 2", "0 of 0", "100%"]  # the week Lena touched hers
    assert by_week["26 Oct"] == ["1 of 2", "0 of 0", "50%"]   # 13 days later: quiet (in crisis too)
    assert by_week["12 Oct"] == ["1 of 2", "0 of 0", "50%"]   # created long ago, never touched before
    assert by_week["23 Nov"] == ["1 of 2", "1 of 1", "67%"]   # this week: the new B customer, still fresh


def test_a_rep_and_a_coach_without_a_team_get_a_404_for_the_trends_page(app, session, team, make_user):
    _coach, lena, _mike, _customers = team
    assert signed_in(app, session, lena).get("/team/trends").status_code == 404
    loner = make_user(role=Role.coach)
    loner.team_id = None
    assert signed_in(app, session, loner).get("/team/trends").status_code == 404


def test_the_team_page_links_the_trends_for_a_coach_only(app, session, team):
    coach, lena, _mike, _customers = team
    assert 'href="/team/trends"' in signed_in(app, session, coach).get("/team/").get_data(as_text=True)
    assert 'href="/team/trends"' not in signed_in(app, session, lena).get("/team/").get_data(as_text=True)


@pytest.fixture
def sheet_rep(session, team, make_customer):
    """Lena with three weeks of touches on workdays, a quiet customer and a cooling one.

    From Friday 6 Nov: seven active workdays earn a freeze, Tuesday 17 Nov is missed (the freeze
    saves it), Wednesday 18 Nov too (the streak breaks); then seven more up to today.
    """
    coach, lena, mike, customers = team
    for back in range(1, 22):
        day = TODAY - timedelta(days=back)
        if day.weekday() < 5 and day not in (date(2026, 11, 17), date(2026, 11, 18)):
            touch(session, lena, customers[lena.id], day, kind="coffee" if back % 2 else "call")
    touch(session, lena, customers[lena.id], TODAY)
    make_customer(lena, "Stiller Kunde", tier="B", now=NOW - timedelta(days=40))
    make_customer(lena, "Kühler Kunde", tier="A", now=NOW - timedelta(days=6))
    session.flush()
    streak_state.rebuild(session, lena, now=NOW)
    return coach, lena, mike


def test_the_coach_opens_a_reps_sheet_with_every_part(app, session, sheet_rep):
    coach, lena, _mike = sheet_rep
    client = signed_in(app, session, coach)

    response = client.get(f"/team/reps/{lena.id}/sheet")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "1:1 sheet: Lena Rep" in html
    assert 'data-print hidden' in html  # shown by app.js, which calls window.print()
    assert f'href="/team/reps/{lena.id}/sheet.csv"' in html
    streak = re.search(r'data-testid="sheet-streak".*?</section>', html, re.S).group(0)
    assert "Now</dt><dd>7 days" in streak  # since the missed Wednesday: Thu, Fri, Mon–Fri (today included)
    assert "Longest</dt><dd>7 days" in streak and "Freezes held</dt><dd>1<" in streak
    runs = [r[0] for r in re.findall(r'<li class="row">\s*<span>([^<]*)</span>\s*<span>([^<]*)</span>', streak)]
    assert runs == ["Nov 19, 2026 – Nov 27, 2026", "Nov 6, 2026 – Nov 16, 2026"]
    assert "7 days, running" in streak and "began earlier" not in streak
    consistency = re.search(r'data-testid="sheet-consistency".*?</section>', html, re.S).group(0)
    assert "Last 4 weeks</dt><dd>" in consistency
    quiet = re.search(r'data-testid="sheet-quiet".*?</section>', html, re.S).group(0)
    assert "Stiller Kunde" in quiet and "1 quiet" in quiet
    for key in ("sheet-touches", "sheet-kinds", "sheet-warm"):
        assert f'aria-labelledby="{key}-title {key}-desc"' in html
    assert "Weekly goal" in tables(html)["sheet-touches"][0]


def test_a_rep_sees_their_own_sheet_and_nobody_elses(app, session, sheet_rep, make_user):
    coach, lena, mike = sheet_rep
    client = signed_in(app, session, lena)
    assert client.get(f"/team/reps/{lena.id}/sheet").status_code == 200
    assert client.get(f"/team/reps/{lena.id}/sheet.csv").status_code == 200
    assert client.get(f"/team/reps/{mike.id}/sheet").status_code == 404
    assert client.get(f"/team/reps/{mike.id}/sheet.csv").status_code == 404
    assert client.get(f"/team/reps/{coach.id}/sheet").status_code == 404
    # A coach of another team in the same organisation, and of another organisation: 404.
    from app.models import Team

    other_team = Team(organization_id=lena.organization_id, name="Other", created_at=NOW)
    session.add(other_team)
    session.flush()
    other_coach = make_user(team=other_team, role=Role.coach)
    stranger = make_user(role=Role.coach)
    for outsider in (other_coach, stranger):
        assert signed_in(app, session, outsider).get(f"/team/reps/{lena.id}/sheet").status_code == 404


def test_the_sheet_downloads_as_csv_in_the_users_language(app, session, sheet_rep):
    coach, lena, _mike = sheet_rep
    client = signed_in(app, session, coach)

    response = client.get(f"/team/reps/{lena.id}/sheet.csv")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="touchbase-sheet-{lena.id}-2026-11-27.csv"'
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][:6] == ["Week from", "Week to", "So far", "Crisis week", "Touches", "Weekly goal"]
    assert len(rows) == 13
    assert rows[-1][:5] == ["2026-11-23", "2026-11-27", "yes", "no", "5"]
    assert rows[-2][:6] == ["2026-11-16", "2026-11-22", "no", "no", "3", "15"]
    assert rows[-5][3] == "yes" and rows[-4][3] == "yes"  # the crisis weeks

    coach.locale = "de"
    german = signed_in(app, session, coach).get(f"/team/reps/{lena.id}/sheet.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(german[1:]), delimiter=";"))
    assert rows[0][:4] == ["Woche ab", "Woche bis", "Bisher", "Krisenwoche"]
    assert rows[-1][2:4] == ["ja", "nein"]


def test_the_streak_page_shows_the_reps_own_weeks(app, session, sheet_rep):
    _coach, lena, _mike = sheet_rep
    lena.daily_goal = 1  # a goal of 5 a week: reached in the week of 9 Nov only
    html = signed_in(app, session, lena).get("/streak").get_data(as_text=True)
    assert 'data-testid="my-trend"' in html
    for key in ("mine-touches", "mine-kinds", "mine-warm"):
        assert f'aria-labelledby="{key}-title {key}-desc"' in html
    assert "Weekly goal reached in 1 of 11 complete weeks." in html
    assert f'href="/team/reps/{lena.id}/sheet"' in html


# --- a constant number of statements, whatever the team's size and the history's length ---


def _team_with(session, make_org, make_user, make_customer, reps: int, weeks: int):
    team = make_org()
    coach = make_user(team=team, role=Role.coach)
    session.add(CrisisPeriod(team_id=team.id, started_at=at(monday(3)), ended_at=at(monday(2))))
    people = [make_user(team=team) for _ in range(reps)]
    for n, rep in enumerate(people):
        rep.created_at = NOW - timedelta(weeks=weeks + 1)
        customers = [make_customer(rep, f"K{n}-{i}", tier="AB"[i % 2], now=NOW - timedelta(weeks=weeks + 1))
                     for i in range(3)]
        day = TODAY - timedelta(weeks=weeks)
        while day <= TODAY:
            if day.weekday() < 5:
                touch(session, rep, customers[day.toordinal() % 3], day, kind=("call", "email")[day.day % 2],
                      rescue=day.day == 1)
            day += timedelta(days=1)
    session.flush()
    for rep in people:
        streak_state.rebuild(session, rep, now=NOW)
    session.commit()
    return coach, people[0]


def _statements(app, session, count_queries, user, path: str) -> int:
    client = signed_in(app, session, user)
    assert client.get(path).status_code == 200  # warm-up
    session.expire_all()
    with count_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


@pytest.mark.parametrize(("page", "sizes"), [
    ("trends", ((2, 2), (20, 2))),
    ("trends", ((2, 2), (2, 40))),
    ("sheet", ((2, 2), (20, 2))),
    ("sheet", ((2, 2), (2, 40))),
    ("streak", ((2, 2), (2, 40))),
], ids=["trends-team-size", "trends-history", "sheet-team-size", "sheet-history", "streak-history"])
def test_the_pages_run_the_same_statements_for_small_and_large_teams_and_histories(
        app, session, make_org, make_user, make_customer, count_queries, page, sizes):
    counts = []
    for reps, weeks in sizes:
        coach, rep = _team_with(session, make_org, make_user, make_customer, reps, weeks)
        user, path = {"trends": (coach, "/team/trends"), "sheet": (coach, f"/team/reps/{rep.id}/sheet"),
                      "streak": (rep, "/streak")}[page]
        counts.append(_statements(app, session, count_queries, user, path))
    print(f"\n{page}: {sizes[0]} -> {counts[0]}, {sizes[1]} -> {counts[1]} statements")
    assert counts[0] == counts[1]
    assert counts[0] <= {"trends": 6, "sheet": 14, "streak": 13}[page]
