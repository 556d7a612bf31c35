"""The next-touch widget on the customer page and the due follow-ups on Today, through the client."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.kinds import Role
from app.models import FollowUp
from app.operations import follow_ups as ops
from app.operations import touches as touch_ops
from support import NOW

TODAY = date(2026, 11, 27)  # NOW in Berlin: Friday
HX = {"HX-Request": "true"}

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def rep(make_user):
    return make_user(name="Rita Rep", workdays=[0, 1, 2, 3, 4])


@pytest.fixture
def customer(rep, make_customer, session):
    made = make_customer(rep, "Müller AG", tier="C", now=NOW - timedelta(days=3))
    session.commit()
    return made


def _rows(session) -> list[FollowUp]:
    session.expire_all()
    return list(session.scalars(select(FollowUp).order_by(FollowUp.id)))


def _plan(client, customer, headers=None, **form):
    return client.post(f"/customers/{customer.id}/follow-up", data=form, headers=headers or {})


# --- the customer page ---------------------------------------------------------------------------


def test_the_customer_page_offers_to_plan_with_quick_picks(client, login, rep, customer):
    login(rep)
    html = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert 'data-testid="next-touch"' in html and "Nothing planned yet" in html
    assert f'action="/customers/{customer.id}/follow-up"' in html and 'method="post"' in html
    # Tomorrow is Saturday; next week starts with Monday, the rep's first workday.
    assert 'name="pick" value="2026-11-28" data-pick="tomorrow"' in html
    assert 'name="pick" value="2026-11-30" data-pick="next_week"' in html
    assert 'min="2026-11-27" max="2027-11-27"' in html


def test_a_quick_pick_plans_without_javascript(client, login, session, rep, customer):
    login(rep)
    response = _plan(client, customer, pick="2026-11-28", due_day="", kind="call", note="Order for 2027")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/customers/{customer.id}#next-touch")
    [row] = _rows(session)
    assert (row.due_day, row.kind, row.note, row.user_id, row.created_by_id) == (
        date(2026, 11, 28), "call", "Order for 2027", rep.id, rep.id)
    page = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert "Next touch planned." in page and 'data-testid="planned-touch"' in page
    assert "tomorrow" in page and "Order for 2027" in page


def test_htmx_gets_the_widget_and_moving_keeps_one_plan(client, login, session, rep, customer):
    login(rep)
    response = _plan(client, customer, HX, due_day="2026-12-10", kind="")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="next-touch"') and "<html" not in html
    assert "Next touch planned." in html and "Thu, 10 Dec" in html
    assert json.loads(response.headers["HX-Trigger"])["follow-up-changed"] == {"customer_id": customer.id}
    moved = _plan(client, customer, HX, due_day="2026-11-27", kind="visit", note="")
    assert "Next touch moved." in moved.get_data(as_text=True) and "due today" in moved.get_data(as_text=True)
    [row] = _rows(session)
    assert (row.due_day, row.kind) == (TODAY, "visit")


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"due_day": "2026-11-26"}, "due-day", "a date in the past"),
        ({"due_day": ""}, "due-day", "Please choose a day"),
        ({"due_day": "2028-01-01"}, "due-day", "within the next 365 days"),
        ({"due_day": "soon"}, "due-day", "like 2026-12-31"),
        ({"due_day": "2026-12-01", "note": "x" * 501}, "follow-up-note", "at most 500 characters"),
        ({"due_day": "2026-12-01", "kind": "pigeon"}, None, "Unknown kind of touch"),
    ],
)
def test_a_refused_plan_is_a_422_with_the_message_next_to_the_field(client, login, session, rep, customer, form,
                                                                    field, message):
    login(rep)
    for headers in (HX, {}):
        response = _plan(client, customer, headers, **form)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert message in html
        if field:
            assert re.search(rf'id="{field}-{customer.id}-error" role="alert">[^<]*{re.escape(message)}', html)
        assert ("<html" in html) is (headers == {})  # a browser without JavaScript gets the whole page
    assert _rows(session) == []
    # What was typed is shown again, not cut.
    if "note" in form:
        assert "x" * 501 in html


def test_drop_leaves_nothing_planned(client, login, session, rep, customer):
    login(rep)
    _plan(client, customer, due_day="2026-12-01")
    response = client.post(f"/customers/{customer.id}/follow-up/drop", headers=HX)
    assert response.status_code == 200 and "Nothing planned yet" in response.get_data(as_text=True)
    [row] = _rows(session)
    assert row.dropped_at is not None
    again = client.post(f"/customers/{customer.id}/follow-up/drop")
    assert again.status_code == 303  # nothing left to drop: no harm done


def test_the_widget_fragment_after_a_touch_shows_it_done(client, login, session, rep, customer):
    login(rep)
    _plan(client, customer, due_day="2026-12-01")
    client.post("/touches/", data={"customer_id": customer.id, "kind": "call", "next": "/"}, headers=HX)
    fragment = client.get(f"/customers/{customer.id}?part=follow_up", headers=HX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="next-touch"') and "Nothing planned yet" in fragment


def test_the_widgets_url_without_htmx_is_the_whole_page(client, login, session, rep, customer):
    login(rep)
    page = client.get(f"/customers/{customer.id}?part=follow_up").get_data(as_text=True)
    assert page.startswith("<!doctype html>") and 'data-testid="next-touch"' in page and "Timeline" in page


def test_a_coach_plans_for_the_reps_customer_and_the_rep_sees_who(client, login, session, make_user, rep, customer):
    coach = make_user(team=rep.team, role=Role.coach, name="Cora Coach")
    login(coach)
    assert _plan(client, customer, due_day="2026-11-30").status_code == 303
    [row] = _rows(session)
    assert (row.user_id, row.created_by_id) == (rep.id, coach.id)
    client.post("/logout")
    login(rep)
    assert "Planned by Cora Coach" in client.get(f"/customers/{customer.id}").get_data(as_text=True)


def test_another_organisations_customer_is_a_404(client, login, session, make_user, customer):
    login(make_user())
    assert _plan(client, customer, due_day="2026-12-01").status_code == 404
    assert client.post(f"/customers/{customer.id}/follow-up/drop").status_code == 404
    assert client.get(f"/customers/{customer.id}?part=follow_up", headers=HX).status_code == 404
    assert _rows(session) == []


def test_an_archived_customer_has_no_widget_and_cannot_be_planned(client, login, session, rep, customer):
    login(rep)
    client.post(f"/customers/{customer.id}/archive")
    assert 'data-testid="next-touch"' not in client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert _plan(client, customer, due_day="2026-12-01").status_code == 404


def test_the_customer_list_shows_the_next_planned_day(client, login, session, rep, customer, make_customer):
    make_customer(rep, "Schmidt KG")
    login(rep)
    _plan(client, customer, due_day="2026-12-03", kind="letter")
    html = client.get("/customers/").get_data(as_text=True)
    [row] = [r for r in html.split('data-testid="customer-row"')[1:] if "Müller AG" in r]
    assert 'data-testid="next-day"' in row and "Thu, 3 Dec" in row
    [other] = [r for r in html.split('data-testid="customer-row"')[1:] if "Schmidt KG" in r]
    assert 'data-testid="next-day"' not in other


# --- Today -------------------------------------------------------------------------------------------


def _whom(html: str) -> list[str]:
    return re.findall(r'class="whom-name" href="[^"]+">([^<]+)</a>', html)


def test_a_due_follow_up_ranks_first_on_today_even_paused(client, login, session, rep, make_customer):
    quiet = make_customer(rep, "Quiet GmbH", tier="A", now=NOW - timedelta(days=40))
    overdue = make_customer(rep, "Overdue KG", tier="C", now=NOW - timedelta(days=1))
    due = make_customer(rep, "Due AG", tier="C", now=NOW - timedelta(days=1))
    paused = make_customer(rep, "Paused OHG", tier="C", now=NOW - timedelta(days=1), paused_until="2026-12-24")
    later = make_customer(rep, "Later eG", tier="C", now=NOW - timedelta(days=1))
    for who, day in ((due, TODAY), (paused, TODAY), (later, TODAY + timedelta(days=2))):
        ops.plan_follow_up(session, actor=rep, customer_id=who.id, due_day=day, kind="call", now=NOW)
    ops.plan_follow_up(session, actor=rep, customer_id=overdue.id, due_day=TODAY - timedelta(days=2), now=NOW - timedelta(days=3))
    session.commit()
    login(rep)
    html = client.get("/").get_data(as_text=True)
    assert _whom(html)[:4] == ["Overdue KG", "Due AG", "Paused OHG", "Quiet GmbH"]
    rows = html.split('data-testid="whom-row"')[1:]
    assert "Planned: a touch · 2 days overdue" in rows[0]
    assert "Planned: Call · due today" in rows[1]
    assert "Planned" not in rows[3]  # Quiet GmbH: nothing planned
    assert "Later eG" not in _whom(html)[:4]


def test_todays_row_forgets_the_plan_once_a_touch_did_it(client, login, session, rep, customer):
    ops.plan_follow_up(session, actor=rep, customer_id=customer.id, due_day=TODAY, kind="visit", now=NOW)
    session.commit()
    login(rep)
    assert "Planned: Visit · due today" in client.get("/?part=whom", headers=HX).get_data(as_text=True)
    touch_ops.log_touch(session, user=rep, customer_id=customer.id, kind="call", now=NOW)
    session.commit()
    assert "Planned:" not in client.get("/?part=whom", headers=HX).get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(FollowUp).where(FollowUp.is_open)) == 0
