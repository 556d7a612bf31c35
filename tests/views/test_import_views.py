"""Imports from the tools reps use, through the client: layouts, duplicates, picked contacts, once only."""

from __future__ import annotations

import html as html_lib
import io
import json
import re
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.kinds import Role
from app.models import Customer, ImportToken
from support import import_confirm_fields

pytestmark = pytest.mark.usefixtures("frozen_clock")  # NOW: Friday 27 Nov 2026, 11:00 in Berlin

DATA = Path(__file__).resolve().parent.parent / "data" / "imports"


def count(session) -> int:
    return session.scalar(select(func.count(Customer.id)))


def upload(client, name: str):
    data = {"file": (io.BytesIO((DATA / name).read_bytes()), name), "text": ""}
    return client.post("/customers/import", data=data, content_type="multipart/form-data")


def confirm(client, page: str, **choices):
    return client.post("/customers/import/confirm", data={**import_confirm_fields(page), **choices},
                       content_type="multipart/form-data")


def flashes(client) -> str:
    return client.get("/customers/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("name", "label", "encoding", "rows"),
    [
        ("google_contacts.csv", "Google Contacts", "UTF-8", 4),
        ("google_contacts_legacy.csv", "Google Contacts (older “Google CSV”)", "UTF-16", 3),
        ("outlook_contacts.csv", "Outlook (English)", "Windows-1252", 3),
        ("outlook_contacts_de.csv", "Outlook (German)", "Windows-1252", 3),
        ("hubspot_contacts.csv", "HubSpot contacts", "UTF-8", 3),
        ("salesforce_contacts_report.csv", "Salesforce contact report", "UTF-8", 3),
        ("salesforce_accounts_report.csv", "Salesforce account report", "UTF-8", 3),
        ("pipedrive_persons.csv", "Pipedrive persons", "UTF-8", 2),
        ("apple_contacts.vcf", "vCard", "UTF-8", 3),
        ("outlook_contact.vcf", "vCard", "Windows-1252", 1),
    ],
)
def test_each_export_uploads_shows_its_layout_and_imports(client, session, login, make_user, name, label, encoding,
                                                          rows):
    login(make_user())
    response = upload(client, name)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert f"Recognised: {html_lib.escape(label, quote=False)}" in page
    assert f"read as {encoding}" in page
    assert len(re.findall(r'data-testid="import-row"', page)) == rows
    assert confirm(client, page).status_code == 303
    assert count(session) == rows
    assert f"{rows} customer" in flashes(client)


def test_the_preview_lists_the_columns_read_and_collapses_the_ignored(client, login, make_user):
    login(make_user())
    page = upload(client, "outlook_contacts_de.csv").get_data(as_text=True)
    reads = re.search(r'<dl class="import-reads".*?</dl>', page, re.S).group(0)
    assert "<dt>Name</dt><dd>Vorname, Weitere Vornamen, Nachname</dd>" in reads
    assert "<dt>Company</dt><dd>Firma</dd>" in reads
    assert "<dt>E-mail</dt><dd>E-Mail-Adresse, E-Mail 2: Adresse, E-Mail 3: Adresse</dd>" in reads
    ignored = re.search(r'<details class="import-ignored"[^>]*>.*?</details>', page, re.S).group(0)
    assert ignored.startswith('<details class="import-ignored" data-testid="import-ignored">')  # collapsed
    assert "75 columns are ignored" in ignored and "Geburtstag" in ignored and "Anrede" in ignored
    few = client.post("/customers/import", data={"text": "name,birthday\nAnn,1.1.1970\n"},
                      content_type="multipart/form-data").get_data(as_text=True)
    assert '<details class="import-ignored" data-testid="import-ignored" open>' in few  # a short list is open


def test_a_duplicate_row_links_its_customer_and_offers_skip_merge_or_new(client, session, login, make_user,
                                                                        make_customer):
    rep = make_user()
    hans = make_customer(rep, "Hans Schmidt", email="HANS.SCHMIDT@schmidt-maschinenbau.example")
    login(rep)
    page = upload(client, "outlook_contacts_de.csv").get_data(as_text=True)
    assert "1 row is a duplicate." in page
    row = re.search(r'<tr class="has-warnings" data-testid="import-row">.*?</tr>', page, re.S).group(0)
    assert "Already a customer (same e-mail):" in row
    assert f'<a href="/customers/{hans.id}">Hans Schmidt</a>' in row
    radios = re.findall(r'<input type="radio" form="import-confirm" name="row-4" value="(\w+)"( checked)?>', row)
    assert radios == [("skip", " checked"), ("merge", ""), ("new", "")]
    assert "Merging fills in: Company, Phone" in row
    assert '<select id="f-all" name="all" data-import-all>' in page


def test_merge_one_skip_another_and_nothing_is_doubled(client, session, login, make_user, make_customer):
    rep = make_user()
    anna = make_customer(rep, "Anna Berg", company="Berg Logistik KG", notes="Typed by the rep.")
    schulz = make_customer(rep, "peter schulz", company="schulz logistik gmbh", phone="+49 1")
    login(rep)
    page = upload(client, "apple_contacts.vcf").get_data(as_text=True)
    response = confirm(client, page, **{"row-1": "merge", "row-24": "skip"})
    assert response.status_code == 303
    assert "1 customer was imported. 1 duplicate was merged into the existing customer. 1 duplicate was skipped." \
        in flashes(client)
    session.expire_all()
    assert count(session) == 3
    assert (anna.email, anna.phone, anna.notes) == ("anna.berg@berg-logistik.example", "+49 30 1234567",
                                                    "Typed by the rep.\n\nRückruf nach der Messe, bitte vormittags.")
    assert (schulz.email, schulz.phone) == (None, "+49 1")


def test_the_choice_for_all_duplicates_wins_over_the_rows(client, session, login, make_user, make_customer):
    rep = make_user()
    make_customer(rep, "Anna Berg", company="Berg Logistik KG")
    make_customer(rep, "Peter Schulz", company="Schulz Logistik GmbH")
    login(rep)
    page = upload(client, "apple_contacts.vcf").get_data(as_text=True)
    assert confirm(client, page, **{"row-1": "new", "all": "merge"}).status_code == 303
    assert "2 duplicates were merged into the existing customers." in flashes(client)
    assert count(session) == 3


@pytest.mark.parametrize("choice", ["bogus", "MERGE", "", "999"])
def test_a_made_up_choice_means_skip(client, session, login, make_user, make_customer, choice):
    rep = make_user()
    make_customer(rep, "Ann")
    login(rep)
    page = client.post("/customers/import", data={"text": "name\nAnn\nBob\n"},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert confirm(client, page, **{"row-2": choice, "row-x": "new", "all": choice}).status_code == 303
    assert sorted(session.scalars(select(Customer.name))) == ["Ann", "Bob"]


def test_another_organisations_customers_are_never_matched_or_shown(client, session, login, make_user, make_customer):
    stranger = make_user(name="Stranger")
    secret = make_customer(stranger, "Hans Schmidt", company="Schmidt Maschinenbau GmbH",
                           email="hans.schmidt@schmidt-maschinenbau.example", notes="Secret notes")
    login(make_user())
    page = upload(client, "outlook_contacts_de.csv").get_data(as_text=True)
    assert "Already a customer" not in page and "duplicate" not in page
    assert f"/customers/{secret.id}" not in page and "Secret notes" not in page
    assert confirm(client, page).status_code == 303
    assert count(session) == 4  # the stranger's and the three new ones


def test_a_coach_sees_duplicates_of_the_team(client, session, login, make_org, make_user, make_customer):
    team = make_org()
    coach = make_user(team=team, role=Role.coach)
    rep_customer = make_customer(make_user(team=team), "Jürgen Weiß", company="Weiß & Söhne GmbH")
    login(coach)
    page = upload(client, "outlook_contacts_de.csv").get_data(as_text=True)
    assert f'<a href="/customers/{rep_customer.id}">Jürgen Weiß (Weiß &amp; Söhne GmbH)</a>' in page


def test_a_double_tap_imports_once_and_says_so(client, session, login, make_user):
    login(make_user())
    page = upload(client, "google_contacts.csv").get_data(as_text=True)
    assert confirm(client, page).status_code == 303
    assert "4 customers were imported." in flashes(client)
    again = confirm(client, page)
    assert again.status_code == 303
    assert "This import was already done: 4 customers were imported." in flashes(client)
    assert count(session) == 4


def _signed_in_client(app, user):
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
    return client


def test_five_parallel_confirmations_of_one_preview_create_the_customers_once(app, client, session, login,
                                                                             make_user):
    """Five requests at once, each in its own thread, session and database connection."""
    rep = make_user()
    login(rep)
    page = upload(client, "outlook_contacts_de.csv").get_data(as_text=True)
    fields = import_confirm_fields(page)
    session.commit()
    clients = [_signed_in_client(app, rep) for _ in range(5)]
    barrier = threading.Barrier(len(clients))
    answers: list = [None] * len(clients)

    def post(i):
        barrier.wait(timeout=10)
        answers[i] = clients[i].post("/customers/import/confirm", data=dict(fields),
                                     content_type="multipart/form-data").status_code

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert answers == [303] * 5
    db.session.remove()
    assert count(db.session) == 3
    token = db.session.scalar(select(ImportToken))
    assert (token.created_count, token.merged_count, token.skipped_count) == (3, 0, 0)
    messages = [flashes(c) for c in clients]
    assert sum("This import was already done: 3 customers were imported." in m for m in messages) == 4
    assert sum("3 customers were imported." in m and "already done" not in m for m in messages) == 1


def test_picked_phone_contacts_go_through_the_same_preview(client, session, login, make_user, make_customer):
    rep = make_user()
    make_customer(rep, "Anna B.", email="anna@berg.example")
    login(rep)
    picked = json.dumps([{"name": ["Anna Berg"], "email": ["anna@berg.example"], "tel": ["+49 30 1"]},
                         {"name": ["Elif Kaya"], "email": [], "tel": ["0152 33445566"]}])
    response = client.post("/customers/import", data={"picked": picked}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "Recognised: Contacts picked on your phone" in page and "read as" not in page
    assert "Already a customer (same e-mail):" in page and "Elif Kaya" in page
    assert confirm(client, page).status_code == 303
    assert sorted(session.scalars(select(Customer.name))) == ["Anna B.", "Elif Kaya"]


@pytest.mark.parametrize("picked", ["nonsense", "[]", '[{"name": 5}]'])
def test_picked_contacts_that_cannot_be_read_get_a_message(client, session, login, make_user, picked):
    login(make_user())
    response = client.post("/customers/import", data={"picked": picked}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "picked" in response.get_data(as_text=True)
    assert count(session) == 0


def test_the_picker_button_is_rendered_hidden_for_the_script_to_reveal(client, login, make_user):
    login(make_user())
    page = client.get("/customers/import").get_data(as_text=True)
    form = re.search(r'<form [^>]*data-contact-picker[^>]*>', page).group(0)
    assert form.endswith(" hidden>") and 'action="/customers/import"' in form
    assert "Pick from your phone" in page


def test_a_broken_vcard_is_refused_with_the_card_and_line(client, session, login, make_user):
    login(make_user())
    response = upload(client, "broken.vcf")
    assert response.status_code == 422
    assert "vCard 2 cannot be read at line 9: “this line is no vCard property”." in response.get_data(as_text=True)
    assert count(session) == 0 and session.scalar(select(func.count(ImportToken.id))) == 0


def test_a_german_rep_reads_the_preview_in_german(client, login, make_user, make_customer):
    rep = make_user(locale="de")
    make_customer(rep, "Hans Schmidt", email="hans.schmidt@schmidt-maschinenbau.example")
    login(rep)
    page = upload(client, "outlook_contacts_de.csv").get_data(as_text=True)
    assert "Erkannt: Outlook (deutsch)" in page and "gelesen als Windows-1252" in page
    assert "Schon Kunde (gleiche E-Mail):" in page
    assert "Überspringen" in page and "Zusammenführen" in page
