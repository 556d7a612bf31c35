"""Customer pages through the client: list, active search, detail, forms, archive, isolation."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.kinds import Direction, Role, TouchKind
from app.models import Customer, Touch
from support import NOW

TODAY = date(2026, 11, 27)  # NOW in Europe/Berlin, the factories' zone


pytestmark = pytest.mark.usefixtures("frozen_clock")  # NOW: Friday 27 Nov 2026, 11:00 in Berlin


def touch(session, customer, *, days_ago: int, kind=TouchKind.call, direction=Direction.out, note=None,
          backfilled=False, user=None):
    """Store a touch *days_ago* and keep the customer's last touch day current."""
    day = TODAY - timedelta(days=days_ago)
    t = Touch(
        organization_id=customer.organization_id, user_id=(user or customer.owner).id, customer_id=customer.id,
        kind=kind, direction=direction, note=note, occurred_at=NOW - timedelta(days=days_ago), local_day=day,
        backfilled=backfilled, created_at=NOW,
    )
    session.add(t)
    if customer.last_touch_day is None or customer.last_touch_day < day:
        customer.last_touch_day = day
    session.flush()
    return t


def names_in_order(html: str) -> list[str]:
    return re.findall(r'class="customer-name" href="[^"]+">([^<]+)</a>', html)


def count(session) -> int:
    return session.scalar(select(func.count(Customer.id)))


# -- list ---------------------------------------------------------------------------------------


def test_list_shows_own_active_customers_by_urgency_with_warmth_text(client, session, login, make_user, make_customer):
    rep = make_user()
    fresh = make_customer(rep, "Fresh", tier="A")
    touch(session, fresh, days_ago=1)
    quiet = make_customer(rep, "Quiet Co", tier="A", now=NOW - timedelta(days=30))
    touch(session, quiet, days_ago=12)
    cooling = make_customer(rep, "Cooling Inc", tier="B", now=NOW - timedelta(days=30))
    touch(session, cooling, days_ago=10)
    make_customer(make_user(), "Not mine")
    login(rep)
    response = client.get("/customers/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert names_in_order(html) == ["Quiet Co", "Cooling Inc", "Fresh"]
    assert '<span class="pill quiet">Quiet</span>' in html
    assert '<span class="pill warming">Cooling</span>' in html
    assert '<span class="pill green">In touch</span>' in html
    assert "12 days since last touch" in html
    assert "1 day since last touch" in html
    assert "Not mine" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_search_returns_only_the_results_block(client, login, make_user, make_customer):
    rep = make_user()
    make_customer(rep, "Müller AG", company="Bäckerei")
    make_customer(rep, "Schmidt", email="info@mueller.example")
    make_customer(rep, "Other")
    login(rep)
    response = client.get("/customers/?q=MÜLLER", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="customer-results"')
    assert "<html" not in html and "customer-search" not in html
    assert names_in_order(html) == ["Müller AG"]
    assert "HX-Request" in response.headers["Vary"]
    assert names_in_order(client.get("/customers/?q=mueller", headers={"HX-Request": "true"}).get_data(as_text=True)) == ["Schmidt"]


def test_boosted_and_history_restore_requests_get_the_full_page(client, login, make_user):
    login(make_user())
    for headers in ({"HX-Request": "true", "HX-Boosted": "true"}, {"HX-Request": "true", "HX-History-Restore-Request": "true"}):
        html = client.get("/customers/?q=x", headers=headers).get_data(as_text=True)
        assert html.startswith("<!doctype html>")
        assert 'hx-trigger="input changed delay:300ms, search"' in html
        assert 'value="x"' in html


def test_search_input_is_an_active_search(client, login, make_user):
    login(make_user())
    html = client.get("/customers/").get_data(as_text=True)
    search = re.search(r'<input id="customer-q"[^>]+>', html).group(0)
    for attribute in ('hx-get="/customers/"', 'hx-target="#customer-results"', 'hx-push-url="true"', 'name="q"'):
        assert attribute in search


def test_search_treats_wildcards_literally(client, login, make_user, make_customer):
    rep = make_user()
    make_customer(rep, "100% Bio")
    make_customer(rep, "1000 Bio")
    login(rep)
    assert names_in_order(client.get("/customers/?q=100%25").get_data(as_text=True)) == ["100% Bio"]


def test_warmth_filter_and_counts(client, session, login, make_user, make_customer):
    rep = make_user()
    make_customer(rep, "Green one").last_touch_day = NOW.date()
    make_customer(rep, "Quiet one", tier="A", now=NOW - timedelta(days=20))
    make_customer(rep, "Quiet two", tier="A", now=NOW - timedelta(days=21))
    login(rep)
    html = client.get("/customers/?warmth=quiet").get_data(as_text=True)
    assert names_in_order(html) == ["Quiet two", "Quiet one"]
    assert re.search(r'warmth=quiet"[^>]*aria-current="true">\s*Quiet <span class="count">2</span>', html)
    assert re.search(r'warmth=green"[^>]*>\s*In touch <span class="count">1</span>', html)
    assert re.search(r'All <span class="count">3</span>', html)


def test_a_customer_nobody_touched_is_new_not_in_touch(client, session, login, make_user, make_customer):
    rep = make_user()
    make_customer(rep, "Touched one").last_touch_day = NOW.date()
    make_customer(rep, "Added today")
    make_customer(rep, "Added last week", tier="A", now=NOW - timedelta(days=6))
    make_customer(rep, "Due today", tier="A", now=NOW - timedelta(days=7))  # the first cadence has run
    login(rep)
    html = client.get("/customers/").get_data(as_text=True)
    assert re.search(r'warmth=new"[^>]*>\s*New <span class="count">2</span>', html)
    assert re.search(r'warmth=green"[^>]*>\s*In touch <span class="count">1</span>', html)
    assert re.search(r'warmth=warming"[^>]*>\s*Cooling <span class="count">1</span>', html)
    new = client.get("/customers/?warmth=new").get_data(as_text=True)
    assert sorted(names_in_order(new)) == ["Added last week", "Added today"]
    assert new.count('class="pill new">New<') == 2 and 'class="pill green"' not in new
    assert names_in_order(client.get("/customers/?warmth=green").get_data(as_text=True)) == ["Touched one"]
    customer_id = re.search(r'href="/customers/(\d+)">Added today<', html).group(1)
    detail = client.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert 'class="pill new">New<' in detail and "No touch yet · added today" in detail
    german = client.get("/customers/?warmth=new", headers={"Accept-Language": "de"})
    assert "Neu" in german.get_data(as_text=True)


@pytest.mark.parametrize("value", ["hot", "", "%00", "quiet'--", "x" * 5000])
def test_unknown_warmth_filter_shows_everything(client, login, make_user, make_customer, value):
    rep = make_user()
    make_customer(rep, "Anyone")
    login(rep)
    response = client.get("/customers/", query_string={"warmth": value})
    assert response.status_code == 200
    assert names_in_order(response.get_data(as_text=True)) == ["Anyone"]


def test_list_needs_login(client):
    assert client.get("/customers/").status_code == 302
    response = client.get("/customers/", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.headers["HX-Redirect"].endswith("/login")


def test_coach_sees_the_teams_customers_with_their_owner(client, login, make_org, make_user, make_customer):
    team = make_org()
    coach = make_user(team=team, role=Role.coach)
    rep = make_user(team=team, name="Rita Rep")
    make_customer(rep, "Team customer")
    make_customer(make_user(), "Other org")
    make_customer(make_user(team=make_org()), "Other team")
    login(coach)
    html = client.get("/customers/").get_data(as_text=True)
    assert names_in_order(html) == ["Team customer"]
    assert "Owner: Rita Rep" in html


# -- archive ------------------------------------------------------------------------------------


def test_archive_hides_and_restore_brings_back(client, session, login, make_user, make_customer):
    rep = make_user()
    customer = make_customer(rep, "Archive me")
    make_customer(rep, "Stay")
    login(rep)
    response = client.post(f"/customers/{customer.id}/archive")
    assert response.status_code == 303
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert names_in_order(follow) == ["Stay"]
    assert "Archive me was archived" in follow
    assert "Archived (1)" in follow
    archived = client.get("/customers/?archived=1").get_data(as_text=True)
    assert names_in_order(archived) == ["Archive me"]
    assert f'action="/customers/{customer.id}/restore"' in archived
    detail = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert "Archived on" in detail
    response = client.post(f"/customers/{customer.id}/restore")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/customers/{customer.id}")
    assert names_in_order(client.get("/customers/").get_data(as_text=True)) == ["Archive me", "Stay"]


def test_detail_asks_before_archiving(client, login, make_user, make_customer):
    rep = make_user()
    customer = make_customer(rep, "Careful")
    login(rep)
    html = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert "Archive Careful? The customer disappears from your lists" in html
    assert f'<form method="post" action="/customers/{customer.id}/archive">' in html


def test_archive_is_post_only(client, login, make_user, make_customer):
    rep = make_user()
    customer = make_customer(rep)
    login(rep)
    assert client.get(f"/customers/{customer.id}/archive").status_code == 405


# -- create and edit ----------------------------------------------------------------------------


def test_new_form_shows_tier_defaults(client, login, make_user):
    login(make_user())
    html = client.get("/customers/new").get_data(as_text=True)
    assert "every 7 days" in html and "every 14 days" in html and "every 30 days" in html
    assert 'name="tier" value="B" checked' in html
    assert 'type="date"' in html and 'name="paused_until"' in html
    assert 'name="owner_id"' not in html  # a rep owns what they create


def test_create_customer(client, session, login, make_user):
    rep = make_user()
    login(rep)
    response = client.post("/customers/", data={
        "name": " Anna Berg ", "company": "Berg KG", "email": "Anna@Example.com", "phone": "+49 30 123",
        "tier": "A", "cadence_days": "", "paused_until": "2026-12-01", "notes": "Likes letters",
    })
    assert response.status_code == 303
    customer = session.scalar(select(Customer))
    assert response.headers["Location"].endswith(f"/customers/{customer.id}")
    assert (customer.name, customer.cadence_days, customer.owner_id, customer.paused_until) == (
        "Anna Berg", 7, rep.id, date(2026, 12, 1)
    )
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Anna Berg was added." in detail
    assert "Paused" in detail and '<span class="pill paused">Paused</span>' in detail


def test_create_with_bad_input_is_422_with_every_message(client, session, login, make_user):
    login(make_user())
    response = client.post("/customers/", data={
        "name": "", "email": "nope", "tier": "Z", "cadence_days": "400", "paused_until": "soon", "notes": "x",
    })
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for message in ("Please enter a name.", "Please enter a valid e-mail address.", "Tier must be A, B or C.",
                    "Cadence must be between 1 and 365 days.", "Please enter a date like 2026-12-31."):
        assert message in html
    assert 'value="nope"' in html  # what was typed is kept
    assert count(session) == 0


def test_coach_creates_for_a_team_rep_or_gets_422(client, session, login, make_org, make_user):
    team = make_org()
    coach = make_user(team=team, role=Role.coach)
    rep = make_user(team=team, name="Rita Rep")
    outsider = make_user(name="Olga Outsider")
    login(coach)
    html = client.get("/customers/new").get_data(as_text=True)
    assert "Rita Rep" in html and "Olga Outsider" not in html
    response = client.post("/customers/", data={"name": "X", "tier": "B", "owner_id": str(outsider.id)})
    assert response.status_code == 422
    assert "Please choose someone from your team." in response.get_data(as_text=True)
    assert count(session) == 0
    assert client.post("/customers/", data={"name": "X", "tier": "B", "owner_id": str(rep.id)}).status_code == 303
    assert session.scalar(select(Customer)).owner_id == rep.id
    assert client.post("/customers/", data={"name": "Mine", "tier": "B"}).status_code == 303
    assert session.scalar(select(Customer).where(Customer.name == "Mine")).owner_id == coach.id


def test_edit_form_is_prefilled_and_saves(client, session, login, make_user, make_customer):
    rep = make_user()
    customer = make_customer(rep, "Old name", tier="C", email="a@example.com", paused_until="2026-12-24")
    login(rep)
    html = client.get(f"/customers/{customer.id}/edit").get_data(as_text=True)
    assert 'value="Old name"' in html and 'value="2026-12-24"' in html
    assert 'name="tier" value="C" checked' in html
    assert re.search(r'name="cadence_days" type="number" value=""', html)  # tier default shows empty
    response = client.post(f"/customers/{customer.id}/edit", data={
        "name": "New name", "tier": "A", "cadence_days": "3", "paused_until": "", "email": "", "notes": "",
    })
    assert response.status_code == 303
    session.expire_all()
    customer = session.get(Customer, customer.id)
    assert (customer.name, customer.tier.value, customer.cadence_days, customer.paused_until, customer.email) == (
        "New name", "A", 3, None, None
    )


def test_edit_with_bad_input_is_422_and_changes_nothing(client, session, login, make_user, make_customer):
    rep = make_user()
    customer = make_customer(rep, "Keep")
    login(rep)
    response = client.post(f"/customers/{customer.id}/edit", data={"name": "Changed", "cadence_days": "0", "tier": "B"})
    assert response.status_code == 422
    assert "Cadence must be between 1 and 365 days." in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Customer, customer.id).name == "Keep"


# -- detail -------------------------------------------------------------------------------------


def test_detail_shows_contact_warmth_and_timeline(client, session, login, make_user, make_customer):
    rep = make_user()
    customer = make_customer(rep, "Timeline GmbH", company="TL", email="t@example.com", phone="+49 1",
                             tier="B", cadence_days="10", notes="Prefers mornings", now=NOW - timedelta(days=40))
    touch(session, customer, days_ago=8, kind=TouchKind.coffee, note="Cake at Café Kranzler")
    touch(session, customer, days_ago=20, kind=TouchKind.call, direction=Direction.in_, backfilled=True)
    login(rep)
    response = client.get(f"/customers/{customer.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for text in ("Timeline GmbH", "TL", "t@example.com", "+49 1", "Prefers mornings", "every 10 days",
                 "8 days since last touch", '<span class="pill warming">Cooling</span>', "Cake at Café Kranzler",
                 "Coffee", "They reached out", "logged later", "Nov 19, 2026", "Nov 7, 2026"):
        assert text in html, text
    items = re.findall(r'data-testid="timeline-item"', html)
    assert len(items) == 2
    assert html.index("Nov 19, 2026") < html.index("Nov 7, 2026")  # newest first
    assert f'id="log-{customer.id}"' in html  # the log-a-touch slot got this customer


def test_detail_parts_are_fragments_for_htmx(client, session, login, make_user, make_customer):
    rep = make_user()
    customer = make_customer(rep, "Parts")
    touch(session, customer, days_ago=0, kind=TouchKind.letter)
    login(rep)
    html = client.get(f"/customers/{customer.id}?part=timeline", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert html.lstrip().startswith('<section id="customer-timeline"') and "<html" not in html
    assert "Letter" in html
    html = client.get(f"/customers/{customer.id}?part=status", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert html.lstrip().startswith('<section id="customer-status"') and "Touched today" in html
    full = client.get(f"/customers/{customer.id}?part=timeline").get_data(as_text=True)
    assert full.startswith("<!doctype html>")
    bogus = client.get(f"/customers/{customer.id}?part=content", headers={"HX-Request": "true"})
    assert bogus.status_code == 200 and bogus.get_data(as_text=True).startswith("<!doctype html>")


def test_coach_sees_a_team_customer_and_who_logged(client, session, login, make_org, make_user, make_customer):
    team = make_org()
    coach = make_user(team=team, role=Role.coach)
    rep = make_user(team=team, name="Rita Rep")
    customer = make_customer(rep, "Shared")
    touch(session, customer, days_ago=1)
    login(coach)
    html = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert "Shared" in html and "by Rita Rep" in html


# -- isolation ----------------------------------------------------------------------------------


ROUTES = [
    ("get", "/customers/{id}"),
    ("get", "/customers/{id}?part=timeline"),
    ("get", "/customers/{id}/edit"),
    ("post", "/customers/{id}/edit"),
    ("post", "/customers/{id}/archive"),
    ("post", "/customers/{id}/restore"),
]


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_another_organisations_customer_is_404_everywhere(client, session, login, make_user, make_customer, method, route):
    foreign = make_customer(make_user(), "Foreign")
    login(make_user())
    response = getattr(client, method)(route.format(id=foreign.id), data={"name": "Hacked", "tier": "A"})
    assert response.status_code == 404
    session.expire_all()
    customer = session.get(Customer, foreign.id)
    assert customer.name == "Foreign" and customer.archived_at is None


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_another_reps_customer_is_404_everywhere(client, session, login, make_org, make_user, make_customer, method, route):
    team = make_org()
    colleague_customer = make_customer(make_user(team=team), "Colleague's")
    login(make_user(team=team))
    response = getattr(client, method)(route.format(id=colleague_customer.id), data={"name": "Hacked", "tier": "A"})
    assert response.status_code == 404
    session.expire_all()
    assert session.get(Customer, colleague_customer.id).name == "Colleague's"


@pytest.mark.parametrize("customer_id", ["0", "-1", "abc", str(2**64)])
def test_nonsense_ids_are_404(client, login, make_user, customer_id):
    login(make_user())
    assert client.get(f"/customers/{customer_id}").status_code == 404
