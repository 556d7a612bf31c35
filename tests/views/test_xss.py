"""XSS: markup typed into any text field comes back as text, never as markup.

Every text field a person can fill (their name, the company, customer fields, touch and follow-up notes, away
notes, team holiday names, token names, challenge texts, crisis texts, kudos notes, CSV imports)
gets the payloads through the real forms, mostly as htmx requests. Then every page and fragment
the app serves, to the coach and to a rep, must show them escaped. Push payloads carry them as
plain text for the service worker to show as text; the CSV export carries them as data, with
formula cells defused.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from app import clock
from app.models import Challenge, Customer, FollowUp, Touch, User
from app.nudges import rules, texts
from app.nudges.model import RepSnapshot
from app.operations import invites
from app.push import outbox
from support import PASSWORD, import_confirm_fields

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
PAYLOAD = SCRIPT + IMG
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
HX = {"HX-Request": "true"}
JS_IN_ATTRIBUTE = re.compile(r"""(?:href|src|action|formaction|xlink:href|hx-get|hx-post)\s*=\s*["']?\s*javascript:""", re.I)


def assert_inert(body: str, where: str) -> None:
    """Assert that none of the payloads made it into *body* as markup."""
    assert SCRIPT not in body, f"{where}: unescaped <script>"
    assert "<img src=x" not in body, f"{where}: unescaped <img onerror>"
    assert not JS_IN_ATTRIBUTE.search(body), f"{where}: javascript: URL in an attribute"


def _form_defaults(html: str, action: str) -> dict[str, list[str]]:
    from views.test_fuzz_forms import form_as_sent

    return form_as_sent(html, action)


@pytest.fixture
def filled(app, session):
    """An organisation whose every text field holds the payloads, typed through the forms."""
    seen: list[tuple[str, str]] = []  # (where, body) of every response on the way

    def keep(where, response, allowed=(200, 201, 302, 303)):
        assert response.status_code in allowed, (where, response.status_code, response.get_data(as_text=True)[:400])
        seen.append((where, response.get_data(as_text=True)))
        return response

    coach = app.test_client()
    keep("register", coach.post("/register", data={
        "name": PAYLOAD, "organization": PAYLOAD, "email": "coach@example.com", "password": PASSWORD,
        "timezone": "Europe/Berlin",
    }))
    today = session.scalar(select(User)).today(clock.now())
    keep("settings", coach.post("/settings/", data={**_form_defaults(coach.get("/settings/").get_data(as_text=True),
                                                                       "/settings/"), "name": PAYLOAD}))
    keep("customer", coach.post("/customers/", headers=HX, data={
        "name": PAYLOAD, "company": IMG, "email": "", "phone": "", "tier": "A", "cadence_days": "14", "notes": PAYLOAD,
    }))
    keep("customer 2", coach.post("/customers/", data={"name": JS_URL, "company": SCRIPT, "tier": "B",
                                                        "notes": JS_URL}))
    customer = session.scalar(select(Customer).where(Customer.name == PAYLOAD))
    keep("edit customer", coach.post(f"/customers/{customer.id}/edit", headers=HX, data={
        "name": PAYLOAD, "company": PAYLOAD, "tier": "A", "cadence_days": "14", "notes": IMG + SCRIPT,
    }))
    keep("touch", coach.post("/touches/", headers=HX, data={
        "customer_id": customer.id, "kind": "call", "note": PAYLOAD, "direction": "out", "days_back": "0",
    }))
    touch = session.scalar(select(Touch))
    keep("follow-up", coach.post(f"/customers/{customer.id}/follow-up", headers=HX, data={
        "due_day": today.isoformat(), "kind": "call", "note": PAYLOAD}))
    keep("edit touch", coach.post(f"/touches/{touch.id}/edit", headers=HX,
                                  data={"kind": "email", "note": PAYLOAD, "direction": "in"}))
    keep("away", coach.post("/settings/away", headers=HX, data={
        "first_day": (today + timedelta(days=20)).isoformat(), "last_day": (today + timedelta(days=21)).isoformat(),
        "reason": "vacation", "note": PAYLOAD,
    }))
    keep("token", coach.post("/settings/tokens", headers=HX, data={"name": PAYLOAD}))
    keep("holiday", coach.post("/team/holidays", headers=HX, data={
        "name": PAYLOAD, "first_day": (today + timedelta(days=40)).isoformat(),
        "last_day": (today + timedelta(days=40)).isoformat(),
    }))
    new_challenge = coach.get("/challenges/new").get_data(as_text=True)
    keep("challenge", coach.post("/challenges/", data={
        **_form_defaults(new_challenge, "/challenges/"), "title": PAYLOAD, "description": PAYLOAD + JS_URL,
        "target": "5",
    }))
    keep("csv preview", coach.post("/customers/import", data={
        "text": f"name;company;notes\n{PAYLOAD};{IMG};{SCRIPT}\n\"{IMG}\";x;{JS_URL}\n;{SCRIPT};\n"}),
         allowed=(422,))  # the last row has no name: the preview shows every row, with the error
    importable = keep("csv check", coach.post("/customers/import", data={"text": _csv(
        ["name", "company", "notes"], [f"CSV {SCRIPT}", IMG, SCRIPT], [f"CSV {IMG}", JS_URL, PAYLOAD])}))
    keep("csv import", coach.post("/customers/import/confirm",
                                  data=import_confirm_fields(importable.get_data(as_text=True))))

    # A rep joins through an invite with the payload as name, logs a touch; the coach gives kudos.
    user = session.scalar(select(User))
    token = invites.create_invite(session, user, now=clock.now()).token
    session.commit()
    keep("join page", app.test_client().get(f"/join/{token}"))
    rep = app.test_client()
    keep("join", rep.post(f"/join/{token}", data={
        "name": PAYLOAD, "email": "rep@example.com", "password": PASSWORD, "timezone": "Europe/Berlin"}))
    keep("rep customer", rep.post("/customers/", data={"name": PAYLOAD, "notes": PAYLOAD, "tier": "C"}))
    rep_user = session.scalar(select(User).where(User.email == "rep@example.com"))
    rep_customer = session.scalar(select(Customer).where(Customer.owner_id == rep_user.id))
    keep("rep touch", rep.post("/touches/", data={"customer_id": rep_customer.id, "kind": "visit",
                                                   "note": PAYLOAD}))
    rep_touch = session.scalar(select(Touch).where(Touch.user_id == rep_user.id))
    keep("kudos", coach.post(f"/team/reps/{rep_user.id}/touches/{rep_touch.id}/kudos", headers=HX,
                             data={"note": PAYLOAD}))
    keep("crisis", coach.post("/team/crisis", headers=HX, data={"reason": PAYLOAD, "message": PAYLOAD}))
    challenge = session.scalar(select(Challenge))
    return {
        "coach": coach, "rep": rep, "seen": seen,
        "params": {"customer_id": customer.id, "touch_id": touch.id, "rep_id": rep_user.id,
                   "challenge_id": challenge.id, "token": token,
                   "follow_up_id": session.scalar(select(FollowUp.id))},
        "rep_params": {"customer_id": rep_customer.id, "touch_id": rep_touch.id, "rep_id": rep_user.id,
                       "challenge_id": challenge.id, "token": token},
    }


def _csv(*rows: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)
    return out.getvalue()


def _get_urls(app, params: dict) -> list[str]:
    """Return a URL for every GET route, its ids filled from *params*; routes it cannot fill are left out."""
    urls = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint in ("static", "pwa.service_worker"):
                continue
            if not set(rule.arguments) <= set(params):
                continue
            urls.append(url_for(rule.endpoint, **{name: params[name] for name in rule.arguments}))
    return sorted(set(urls))


def test_every_response_on_the_way_shows_the_payloads_as_text(filled):
    for where, body in filled["seen"]:
        assert_inert(body, where)


def test_every_page_and_fragment_shows_the_payloads_as_text(app, filled):
    shown = 0
    for who, params in (("coach", filled["params"]), ("rep", filled["rep_params"])):
        client = filled[who]
        urls = _get_urls(app, params)
        assert len(urls) > 15
        for url in urls:
            for headers in ({}, HX):
                response = client.get(url, headers=headers)
                assert response.status_code < 500, (who, url)
                if response.mimetype != "text/html":  # JSON, CSV, the manifest: data a browser will not render
                    assert response.headers["X-Content-Type-Options"] == "nosniff"
                    continue
                body = response.get_data(as_text=True)
                assert_inert(body, f"GET {url} as {who} {headers}")
                shown += ESCAPED in body
    assert shown > 20  # the payloads were really on the pages, escaped


def test_the_payloads_are_on_the_pages_that_list_them(filled):
    for page in ("/customers/", "/settings/", "/team/", "/", f"/challenges/{filled['params']['challenge_id']}"):
        assert ESCAPED in filled["coach"].get(page).get_data(as_text=True), page


def test_the_api_serves_the_payloads_as_json_data(app, filled, session):
    body = filled["coach"].get("/api/v1/customers")
    assert body.mimetype == "application/json"
    assert body.headers["X-Content-Type-Options"] == "nosniff"
    assert PAYLOAD in {customer["name"] for customer in body.get_json()["customers"]}  # as typed: JSON is data


def test_the_csv_export_carries_text_and_defuses_formulas(filled, session):
    from app.operations.customers import CustomerInput, create_customer

    owner = session.scalar(select(User).where(User.email == "coach@example.com"))
    for name in ("=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"):
        create_customer(session, owner=owner, data=CustomerInput(name=f"{name}", notes="=cmd|' /C calc'!A0"),
                        now=clock.now())
    session.commit()
    response = filled["coach"].get("/customers/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    text = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";" if ";" in text.splitlines()[0] else ","))
    cells = [cell for row in rows[1:] for cell in row]
    assert PAYLOAD in cells  # the data itself, unchanged: a CSV is not HTML
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)
    assert any(cell.startswith("'=cmd") for cell in cells)


# -- Push payloads ----------------------------------------------------------------------------------

def test_a_push_carries_the_payloads_as_plain_text(session, make_user, make_customer, push_service):
    from operations.test_push import subscribe

    rep = make_user(timezone="Europe/Berlin", locale="en")
    subscribe(session, rep, push_service, "/phone")
    at = datetime(2024, 6, 3, 6, 0, tzinfo=timezone.utc)  # Monday, 08:00 in Berlin: the morning digest
    snapshot = RepSnapshot(user_id=rep.id, timezone="Europe/Berlin", quiet_start_hour=22, quiet_end_hour=7,
                           locale="en", quiet_customers=((1, SCRIPT, 16), (2, IMG, 12)))
    nudges = [texts.render(nudge) for nudge in rules.due(snapshot, at)]
    assert nudges, "no nudge for a quiet customer"
    outbox.enqueue_many(session, nudges, now=at)
    session.commit()
    outbox.process_outbox(session, now=at)
    [received] = push_service.for_path("/phone")
    payload = received.payload
    text = payload["title"] + "\n" + payload["body"]
    assert SCRIPT in text  # as typed: not HTML-escaped, since it is never parsed as HTML
    assert "&lt;" not in text and "&amp;" not in text
    assert received.headers.get("content-type", "application/octet-stream") != "text/html"


def test_the_service_worker_shows_push_text_as_text_and_opens_only_own_pages():
    worker = (ROOT / "static" / "js" / "sw.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in worker, sink
    assert re.search(r"showNotification\(\s*data\.title", worker)
    assert re.search(r"body:\s*data\.body", worker)
    assert "self.location.origin" in worker  # a payload's url is held to this origin before opening it
