"""Back from the road: log for a day of the last 7, correct a day, page through and filter history, find whom to log."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from app.models import Touch
from app.operations import touches as ops

from support import NOW

HX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/touches/"}
TODAY = date(2026, 11, 27)

pytestmark = pytest.mark.usefixtures("frozen_clock")  # Friday 27 Nov 2026, 11:00 in Berlin


@pytest.fixture
def rep(make_user, login):
    user = make_user(workdays=[0, 1, 2, 3, 4, 5, 6])
    login(user)
    return user


@pytest.fixture
def customer(rep, make_customer, session):
    c = make_customer(rep, "Müller AG", tier="C", now=NOW - timedelta(days=20))
    session.commit()
    return c


def _touches(session, rep):
    session.expire_all()
    return session.query(Touch).filter_by(user_id=rep.id, deleted_at=None).order_by(Touch.id).all()


def _log(session, rep, customer, back=0, kind="call"):
    touch = ops.log_touch(session, user=rep, customer_id=customer.id, kind=kind, days_back=back, now=NOW).touch
    session.commit()
    return touch


# --- the log form: a day of the last 7 ----------------------------------------------------------


def test_the_log_form_offers_a_date_picker_for_the_last_seven_days(client, rep, customer):
    html = client.get(f"/touches/new?customer_id={customer.id}").get_data(as_text=True)
    picker = re.search(r'<input id="day-\d+" type="date" name="day"[^>]*>', html).group(0)
    assert 'min="2026-11-21"' in picker and 'max="2026-11-27"' in picker
    for label in ("Today", "Yesterday", "2 days ago", "Or another day of the last 7"):
        assert label in html


def test_logging_for_a_picked_day_without_javascript(client, session, rep, customer):
    response = client.post("/touches/", data={"customer_id": customer.id, "kind": "visit", "day": "2026-11-22",
                                              "days_back": "0", "next": "/"})
    assert response.status_code == 302
    [touch] = _touches(session, rep)
    assert (touch.local_day, touch.backfilled) == (date(2026, 11, 22), True)


def test_a_day_outside_the_window_is_422_in_german_too(client, session, make_user, login, make_customer):
    german = make_user(locale="de")
    customer = make_customer(german, "Schmidt KG")
    login(german)
    response = client.post("/touches/", headers=HX, data={"customer_id": customer.id, "kind": "call",
                                                          "day": "2026-11-19"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Du kannst einen Kontakt für heute oder einen der 6 Tage davor eintragen." in html
    assert 'value="2026-11-19"' in html and "<details class=\"extras\" open>" in html
    assert _touches(session, german) == []


# --- correcting a day -------------------------------------------------------------------------


def test_the_edit_form_corrects_the_day_and_the_row_shows_it(client, session, rep, customer):
    touch = _log(session, rep, customer)
    form = client.get(f"/touches/{touch.id}/edit", headers=HX).get_data(as_text=True)
    assert re.search(r'type="date" name="day" value="2026-11-27" required\s+min="2026-11-21" max="2026-11-27"', form)
    response = client.post(f"/touches/{touch.id}/edit", headers=HX,
                           data={"kind": "call", "note": "", "direction": "out", "day": "2026-11-24"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Nov 24, 2026" in html and "Today" not in html
    session.expire_all()
    assert (touch.local_day, customer.last_touch_day) == (date(2026, 11, 24), date(2026, 11, 24))


def test_a_touch_older_than_the_window_shows_its_day_as_fixed(client, session, rep, customer):
    touch = ops.log_touch(session, user=rep, customer_id=customer.id, kind="call", now=NOW - timedelta(days=9)).touch
    session.commit()
    html = client.get(f"/touches/{touch.id}/edit").get_data(as_text=True)
    assert 'name="day"' not in html and "the day stays as logged" in html
    refused = client.post(f"/touches/{touch.id}/edit", data={"kind": "call", "direction": "out", "day": "2026-11-27"})
    assert refused.status_code == 422
    assert "This touch is older than 7 days: its day stays as logged." in refused.get_data(as_text=True)


# --- history: pages and filters ----------------------------------------------------------------


def test_history_pages_by_fifty_without_javascript(client, session, rep, customer, make_customer):
    other = make_customer(rep, "Other Ltd")
    for n in range(120):
        ops.log_touch(session, user=rep, customer_id=(customer if n % 2 else other).id, kind="call",
                      now=NOW - timedelta(days=n // 3))
    session.commit()
    seen: list[int] = []
    url = "/touches/"
    for expected in (50, 50, 20):
        html = client.get(url).get_data(as_text=True)
        ids = [int(i) for i in re.findall(r'<li id="touch-(\d+)"', html)]
        assert len(ids) == expected
        seen += ids
        older = re.search(r'<a class="button" href="([^"]+)"\s+hx-get', html)
        if expected < 50:
            assert older is None and "Back to the newest" in html
        else:
            url = older.group(1).replace("&amp;", "&")
    touches = sorted(_touches(session, rep), key=lambda t: (t.local_day, t.created_at, t.id), reverse=True)
    assert seen == [t.id for t in touches]  # each once, newest first


def test_history_filters_by_customer_and_kind_and_pages_within_the_filter(client, session, rep, customer,
                                                                          make_customer):
    other = make_customer(rep, "Other Ltd")
    for n in range(60):
        _log(session, rep, customer, back=n % 7, kind="letter" if n % 4 == 0 else "call")
    _log(session, rep, other, kind="letter")
    html = client.get(f"/touches/?customer={customer.id}&kind=letter").get_data(as_text=True)
    rows = re.findall(r'<li id="touch-\d+" class="touch-item">(.*?)</li>', html, re.S)
    assert len(rows) == 15 and all("Letter" in row and "Müller AG" in row for row in rows)
    assert f'<option value="{customer.id}" selected>' in html and '<option value="letter" selected>' in html
    assert "older-touches" not in html
    calls = client.get(f"/touches/?customer={customer.id}&kind=call").get_data(as_text=True)
    assert calls.count('class="touch-item"') == 45 and "older-touches" not in calls
    nothing = client.get(f"/touches/?customer={other.id}&kind=walk").get_data(as_text=True)
    assert "No touches match. Try another customer or kind." in nothing


def test_the_next_page_over_htmx_is_just_its_rows(client, session, rep, customer):
    for n in range(55):
        _log(session, rep, customer, back=n % 7)
    first = client.get("/touches/").get_data(as_text=True)
    more_url = re.search(r'hx-get="([^"]+part=more[^"]*)"', first).group(1).replace("&amp;", "&")
    more = client.get(more_url, headers=HX)
    html = more.get_data(as_text=True)
    assert more.status_code == 200 and "<section" not in html and "<html" not in html
    assert html.count('class="touch-item"') == 5 and "older-touches" not in html
    plain = client.get(more_url)  # the same address without htmx: a whole page
    assert "<html" in plain.get_data(as_text=True)


def test_filters_of_another_organisation_or_nonsense_show_nothing_of_theirs(client, session, rep, customer,
                                                                           make_user, make_customer):
    stranger = make_user()
    theirs = make_customer(stranger, "Their GmbH")
    ops.log_touch(session, user=stranger, customer_id=theirs.id, kind="call", now=NOW)
    _log(session, rep, customer)
    stranger_touch = _touches(session, stranger)[0]
    assert "Their GmbH" not in client.get(f"/touches/?customer={theirs.id}").get_data(as_text=True)
    for query in ("customer=abc", "kind=fax", "before=-1", f"before={stranger_touch.id}", "customer=99999999999"):
        response = client.get(f"/touches/?{query}")
        assert response.status_code == 200 and "Müller AG" in response.get_data(as_text=True)


# --- find before you log --------------------------------------------------------------------------


def test_find_before_you_log_searches_and_tells_namesakes_apart(client, session, rep, make_customer):
    make_customer(rep, "Anna Schmidt", company="Bäckerei Schmidt")
    make_customer(rep, "Anna Schmidt", company="Bäckerei Schmidt", email="anna@baeckerei.example")
    make_customer(rep, "anna  schmidt", email="a.schmidt@example.com")
    make_customer(rep, "Bernd Meier", company="Meier & Co")
    session.commit()
    html = client.get("/touches/new?q=schmidt").get_data(as_text=True)
    assert "3 matches for “schmidt”" in html and "Bernd Meier" not in html
    found = re.findall(r'<li class="whom-row warmth-(\w+)" data-testid="log-pick-row">(.*?)</li>', html, re.S)
    assert [warmth for warmth, _row in found] == ["new"] * 3  # the warmth dot, as on Today
    details = [re.findall(r'data-testid="tell-apart">([^<]*)<', row) for _warmth, row in found]
    assert sorted(d[0] if d else "" for d in details) == sorted(["a.schmidt@example.com", "anna@baeckerei.example",
                                                                 "added Nov 27, 2026"])
    assert html.count("Bäckerei Schmidt") >= 2  # the company on every row that has one
    assert 'name="q" value="schmidt"' in html and 'hx-trigger="input changed delay:300ms, search"' in html


def test_find_over_htmx_answers_the_results_block(client, session, rep, make_customer):
    make_customer(rep, "Clara Klein", company="Klein GmbH")
    make_customer(rep, "Dora Groß")
    session.commit()
    response = client.get("/touches/new?q=klein", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<div id="log-results"')
    assert "Clara Klein" in html and "Dora Groß" not in html and "Klein GmbH" in html
    assert "No customer matches" in client.get("/touches/new?q=zzz").get_data(as_text=True)


def test_find_lists_paused_customers_and_only_the_reps_own(client, session, rep, make_user, make_customer):
    make_customer(rep, "Paused Pia", paused_until=TODAY + timedelta(days=10))
    make_customer(make_user(team=rep.team), "Colleague's Carl")
    session.commit()
    html = client.get("/touches/new").get_data(as_text=True)
    assert "Paused Pia" in html and "Colleague" not in html


def test_without_a_search_the_most_urgent_thirty_come_first(client, session, rep, make_customer):
    for n in range(35):
        make_customer(rep, f"Customer {n:02d}", now=NOW - timedelta(days=n))
    session.commit()
    html = client.get("/touches/new").get_data(as_text=True)
    assert html.count('data-testid="log-pick-row"') == 30
    assert "Showing the 30 most urgent customers. Search to find 5 more." in html
    assert "Customer 34" in html and "Customer 00" not in html
