"""Hypothesis-generated form posts against every form: never a 500, never half a record.

The fields of each form are read from the page that shows it (so a new field is fuzzed too), with
the page's own values (options, defaults) mixed in so that some posts succeed. The values are
unicode, very long strings, NUL bytes, impossible dates, unknown time zones, negative and huge
numbers, template and markup look-alikes. A post answered with a 4xx must leave every table as it
was; no post may get a 5xx.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.kinds import Role
from app.models import Challenge
from app.operations import invites, password_reset
from app.operations import touches as touch_ops

EXAMPLES = 25

NASTY = [
    "", " ", "\t\n", "\x00", "a\x00b", "\x00" * 50, "x" * 5000, "y" * 100_000, "ü" * 3000, "😀" * 500,
    "\u202e\u2066evil", "\ufeff", "İı", "ǅ", "\r\n\r\n", "\x7f\x1b[31m",
    "-1", "-0", "0", "-2147483649", "9223372036854775808", "-99999999999999999999999", "1e309", "NaN", "inf",
    "3.5", "1_000", "０", "٣", "12abc", "0x10",
    "2026-02-30", "2026-13-01", "2026-00-10", "0000-00-00", "0001-01-01", "9999-12-31", "10000-01-01",
    "1900-02-29", "2026-11-27T25:61", "2026-11-27T10:00+99:00", "27.11.2026", "yesterday",
    "Mars/Olympus_Mons", "Europe/Nowhere", "../../etc/passwd", "UTC\x00", "localtime", "posixrules", "Factory",
    "EST5EDT", "+01:00",
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)", "{{ 7*7 }}",
    "%(name)s", "%s%s%n", "' OR 1=1 --", "=HYPERLINK(\"http://x\")", "@SUM(1+1)", "\\", "//evil.example",
]

# Text without lone surrogates: a browser cannot send those in a form either.
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)


@dataclass(frozen=True)
class Form:
    """One form to fuzz: the page that shows it and its action, as the signed-in role or anonymous."""

    page: str
    action: str
    role: str | None = "coach"


FORMS = [
    Form("/register", "/register", role=None),
    Form("/login", "/login", role=None),
    Form("/join/{invite}", "/join/{invite}", role=None),
    Form("/settings/", "/settings/"),
    Form("/settings/", "/settings/password"),
    Form("/settings/", "/settings/tokens"),
    Form("/settings/", "/settings/away"),
    Form("/settings/", "/settings/weekly-mail"),
    Form("/settings/reminders/", "/settings/reminders/kinds"),
    Form("/customers/new", "/customers/"),
    Form("/customers/{customer}/edit", "/customers/{customer}/edit"),
    Form("/customers/{customer}", "/customers/{customer}/follow-up"),
    Form("/settings/", "/settings/calendar"),
    Form("/touches/new", "/touches/"),
    Form("/touches/{touch}/edit", "/touches/{touch}/edit"),
    Form("/team/", "/team/holidays"),
    Form("/team/", "/team/invites"),
    Form("/team/", "/team/invites/mail"),
    Form("/password/forgot", "/password/forgot", role=None),
    Form("/password/reset/{reset}", "/password/reset/{reset}", role=None),
    Form("/team/", "/team/crisis"),
    Form("/challenges/new", "/challenges/"),
    Form("/challenges/{challenge}/edit", "/challenges/{challenge}/edit"),
    Form("/settings/", "/challenges/privacy"),
    Form("/team/reps/{rep}/touches", "/team/reps/{rep}/touches/{rep_touch}/kudos"),
    Form("/team/reps/{rep}/kudos", "/team/reps/{rep}/touches/{rep_touch}/kudos"),
    Form("/team/members/{rep}", "/team/members/{rep}/role"),
    Form("/team/members/{rep}", "/team/members/{rep}/customers"),
    Form("/team/members/{rep}", "/team/members/{rep}/remove"),
]


class FormFields(HTMLParser):
    """Collect every POST form of a page: action -> field name -> the values the page offers."""

    def __init__(self):
        super().__init__()
        self.forms: dict[str, dict[str, list[str]]] = {}
        self.chosen: dict[str, dict[str, list[str]]] = {}  # what the form would send as it is
        self._form: dict[str, list[str]] | None = None
        self._chosen: dict[str, list[str]] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if (a.get("method") or "get").lower() == "post":
                action = (a.get("action") or "").split("#")[0]
                self._form = self.forms.setdefault(action, {})
                self._chosen = self.chosen.setdefault(action, {})
        elif self._form is not None and tag in ("input", "textarea", "select", "button") and a.get("name"):
            values = self._form.setdefault(a["name"], [])
            if tag == "select":
                self._select = a["name"]
            elif a.get("value") is not None:
                values.append(a["value"])
                kind = (a.get("type") or "text").lower() if tag == "input" else tag
                if kind not in ("checkbox", "radio", "button", "submit") or "checked" in a:
                    self._chosen.setdefault(a["name"], []).append(a["value"])
        elif tag == "option" and self._form is not None and self._select:
            self._form[self._select].append(a.get("value") or "")
            if "selected" in a:
                self._chosen.setdefault(self._select, []).append(a.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = self._chosen = None
        elif tag == "select":
            self._select = None


def form_fields(html: str, action: str) -> dict[str, list[str]]:
    """Return the fields of the page's POST form with *action*."""
    parser = FormFields()
    parser.feed(html)
    assert action in parser.forms, f"no form posting to {action}; forms: {sorted(parser.forms)}"
    return {name: values for name, values in parser.forms[action].items() if name != "csrf_token"}


def form_as_sent(html: str, action: str) -> dict[str, list[str]]:
    """Return what the page's POST form with *action* sends when submitted untouched."""
    parser = FormFields()
    parser.feed(html)
    assert action in parser.chosen, f"no form posting to {action}"
    return {name: values for name, values in parser.chosen[action].items() if name != "csrf_token"}


def row_counts() -> dict[str, int]:
    """Return the number of rows of every table, in one query."""
    tables = db.metadata.sorted_tables
    row = db.session.execute(select(*[select(func.count()).select_from(t).scalar_subquery() for t in tables])).one()
    return dict(zip([t.name for t in tables], row))


def field_values(samples: list[str]):
    """Return a strategy for one field: absent, the page's own values, nasty constants or any text."""
    options = [st.sampled_from(NASTY), TEXT, st.integers(-(10**20), 10**20).map(str)]
    if samples:
        options.insert(0, st.sampled_from(samples))
    one = st.one_of(*options)
    return st.one_of(st.none(), one, one, one, st.lists(one, min_size=2, max_size=3))


@pytest.fixture
def world(session, make_org, make_user, make_customer):
    """A coach with a customer and a touch, a rep of the team with a touch, and an open invite."""
    now = clock.now()
    team = make_org()
    coach = make_user(team=team, role=Role.coach)
    rep = make_user(team=team)
    customer = make_customer(coach, "Fuzz customer", now=now)
    touch = touch_ops.log_touch(session, user=coach, customer_id=customer.id, kind="call", now=now).touch
    rep_customer = make_customer(rep, "Rep's customer", now=now)
    rep_touch = touch_ops.log_touch(session, user=rep, customer_id=rep_customer.id, kind="visit", now=now).touch
    invite = invites.create_invite(session, coach, now=now).token
    reset = password_reset.request_reset(session, rep.email, now=now, lifetime=timedelta(hours=1)).token
    challenge = Challenge(organization_id=coach.organization_id, team_id=coach.team_id, created_by_id=coach.id,
                          title="Fuzz week", metric="team_touches", target=10, starts_at=now - timedelta(days=1),
                          ends_at=now + timedelta(days=5), created_at=now - timedelta(days=2))
    session.add(challenge)
    session.commit()
    return {"coach": coach, "customer": customer.id, "touch": touch.id, "rep": rep.id, "rep_touch": rep_touch.id,
            "invite": invite, "reset": reset, "challenge": challenge.id}


def _client(app, world, role):
    client = app.test_client()
    if role is not None:
        user = world[role]
        db.session.refresh(user)  # a changed password rotates the session token
        with client.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
    return client


def _encode(form: dict) -> dict:
    return {name: value for name, value in form.items() if value is not None}


@pytest.mark.parametrize("form", FORMS, ids=[f.action for f in FORMS])
def test_generated_posts_never_fail_and_never_leave_half_a_record(app, world, form):
    page, action = form.page.format(**world), form.action.format(**world)
    shown = _client(app, world, form.role).get(page)
    assert shown.status_code == 200, (page, shown.status_code)
    fields = form_fields(shown.get_data(as_text=True), action)
    outcomes: list[int] = []

    @given(st.fixed_dictionaries({name: field_values(samples) for name, samples in fields.items()}))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def post(data):
        before = row_counts()
        response = _client(app, world, form.role).post(action, data=_encode(data))
        outcomes.append(response.status_code)
        assert response.status_code < 500, (action, data, response.get_data(as_text=True)[:500])
        if 400 <= response.status_code < 500:
            db.session.expire_all()
            assert row_counts() == before, (action, data, response.status_code)

    post()
    assert outcomes


CSV_CELL = st.one_of(st.sampled_from(NASTY[:40] + ["A", "B", "C", "30", "a@example.com", '"quoted, cell"', "=1+1"]),
                     TEXT)
HEADER = ["name", "company", "email", "phone", "tier", "cadence_days", "notes"]


def _csv(rows: list[list[str]], delimiter: str) -> str:
    import csv

    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue()


def test_generated_csv_imports_never_fail_and_import_all_or_nothing(app, world):
    @given(
        rows=st.lists(st.lists(CSV_CELL, min_size=0, max_size=9), min_size=0, max_size=6),
        delimiter=st.sampled_from([",", ";", "\t"]),
        as_file=st.booleans(),
        raw=st.one_of(st.none(), st.binary(max_size=300), st.sampled_from([b"\xff\xfe\x00", b"\x00\x00", b"name\n\x00"])),
    )
    @example(rows=[["Acme", "Acme AG", "a@example.com", "+49 30 1234", "A", "30", "=1+1 <b>"]] * 2, delimiter=";",
             as_file=True, raw=None)
    @settings(max_examples=40, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    def post(rows, delimiter, as_file, raw):
        client = _client(app, world, "coach")
        text = _csv(rows, delimiter)
        body = raw if raw is not None else text.encode("utf-8")
        data = {"file": (io.BytesIO(body), "customers.csv")} if as_file or raw is not None else {"text": text}
        before = row_counts()
        preview = client.post("/customers/import", data=data, content_type="multipart/form-data")
        assert preview.status_code < 500, preview.get_data(as_text=True)[:500]
        db.session.expire_all()
        # A preview writes nothing but, when the file can be imported, its one-time token.
        issued = row_counts()["import_token"] - before["import_token"]
        assert issued == (1 if preview.status_code == 200 else 0)
        assert {k: v for k, v in row_counts().items() if k != "import_token"} == {
            k: v for k, v in before.items() if k != "import_token"}
        shown = preview.get_data(as_text=True)
        match = re.search(r'name="token" value="([^"]+)"', shown)
        new_rows = shown.count('data-testid="import-row"') - shown.count('data-testid="import-duplicate"')
        before = row_counts()
        confirmed = client.post("/customers/import/confirm",
                                data={"content": text, "token": match.group(1) if match else ""})
        assert confirmed.status_code < 500, confirmed.get_data(as_text=True)[:500]
        db.session.expire_all()
        after = row_counts()
        outcomes.append(confirmed.status_code)
        if confirmed.status_code >= 400:
            assert after == before
        else:
            # Every row or none; a duplicate (of a customer or an earlier row) is skipped by default.
            assert after["customer"] - before["customer"] == new_rows
            assert {k: v for k, v in after.items() if k != "customer"} == {
                k: v for k, v in before.items() if k != "customer"}

    outcomes: list[int] = []
    post()
    assert 303 in outcomes and 422 in outcomes  # both an import and a refusal were tried
