"""CSV import (preview, then confirm) and export through the client."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.kinds import Role
from app.models import Customer, ImportToken
from support import NOW, csrf_token_from, import_confirm_fields


pytestmark = pytest.mark.usefixtures("frozen_clock")  # NOW: Friday 27 Nov 2026, 11:00 in Berlin


def count(session) -> int:
    return session.scalar(select(func.count(Customer.id)))


def upload(client, content: bytes, filename: str = "customers.csv"):
    return client.post(
        "/customers/import", data={"file": (io.BytesIO(content), filename), "text": ""},
        content_type="multipart/form-data",
    )


def confirm(client, page: str, **extra):
    return client.post("/customers/import/confirm", data={**import_confirm_fields(page), **extra},
                       content_type="multipart/form-data")


def test_import_page_explains_the_format(client, login, make_user):
    login(make_user())
    page = client.get("/customers/import").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert 'type="file" name="file"' in page and 'name="text"' in page
    assert 'accept=".csv,.vcf,.txt,text/csv,text/vcard' in page
    assert "At most 5000 customers and 2 MB per file." in page
    for tool in ("Google Contacts", "Outlook", "Apple Contacts", "HubSpot", "Salesforce", "Pipedrive"):
        assert tool in page


def test_preview_writes_only_its_token_then_confirm_imports_all(client, session, login, make_user):
    rep = make_user()
    login(rep)
    content = "\ufeffName;Firma;E-Mail;Stufe;Kadenz;Notizen;Geburtstag\nAnna;Berg KG;anna@example.com;A;;Kaffee\nBen;;;C;45;\n"
    response = upload(client, content.encode("utf-8"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert count(session) == 0
    assert session.scalar(select(func.count(ImportToken.id))) == 1
    assert len(re.findall(r'data-testid="import-row"', page)) == 2
    assert "Anna" in page and "Berg KG" in page and "No errors." in page
    assert "Recognised: List with a name column" in page and "read as UTF-8" in page
    assert "1 column is ignored" in page and "Geburtstag" in page
    fields = import_confirm_fields(page)
    assert fields["content"].startswith("Name;Firma") and len(fields["token"]) > 20

    response = confirm(client, page)
    assert response.status_code == 303
    customers = session.scalars(select(Customer).order_by(Customer.name)).all()
    assert [(c.name, c.company, c.tier.value, c.cadence_days, c.owner_id) for c in customers] == [
        ("Anna", "Berg KG", "A", 7, rep.id), ("Ben", None, "C", 45, rep.id)
    ]
    assert "2 customers were imported." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_preview_shows_every_row_error_and_offers_no_import(client, session, login, make_user):
    login(make_user())
    response = client.post("/customers/import", data={"text": "name,email,tier\n,a@example.com,B\nBob,nope,Q\nCid,,\n"},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Please enter a name." in page
    assert "Please enter a valid e-mail address." in page
    assert "Tier must be A, B or C." in page
    assert "2 rows have errors." in page
    assert 'name="content"' not in page and 'name="token"' not in page
    assert "Check again" in page  # the content can be fixed in place
    assert count(session) == 0
    assert session.scalar(select(func.count(ImportToken.id))) == 0


def test_confirm_without_a_valid_token_writes_nothing_and_offers_to_check_again(client, session, login, make_user):
    login(make_user())
    response = client.post("/customers/import/confirm", data={"content": "name,cadence_days\nGood,7\n", "token": "x" * 43},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This check is no longer valid. Please check the file again to import it." in page
    assert "Check again" in page and "Good" in page
    assert count(session) == 0


def test_confirm_revalidates_and_writes_nothing_when_a_row_became_bad(app, client, session, login, make_user):
    login(make_user())
    page = client.post("/customers/import", data={"text": "name\nA\nB\nC\n"},
                       content_type="multipart/form-data").get_data(as_text=True)
    app.config["CSV_MAX_ROWS"] = 2
    try:
        response = confirm(client, page)
    finally:
        app.config["CSV_MAX_ROWS"] = 5000
    assert response.status_code == 422
    assert "Nothing was imported" in response.get_data(as_text=True)
    assert count(session) == 0
    assert confirm(client, page).status_code == 303  # the refused confirmation did not use the token up
    assert count(session) == 3


def test_confirm_with_nothing_is_422(client, session, login, make_user):
    login(make_user())
    response = client.post("/customers/import/confirm", data={})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The file is empty." in page and "no longer valid" in page


def test_windows_1252_upload_is_read_and_says_so(client, session, login, make_user):
    login(make_user())
    response = upload(client, "name;company\nJörg;Müller & Söhne\n".encode("cp1252"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "read as Windows-1252" in page and "Müller &amp; Söhne" in page
    assert confirm(client, page).status_code == 303
    assert session.scalar(select(Customer.company)) == "Müller & Söhne"


def test_bytes_no_encoding_reads_get_a_message_not_a_500(client, session, login, make_user):
    login(make_user())
    response = upload(client, b"name\n\x81\x8d\n")
    assert response.status_code == 422
    assert "neither UTF-8 nor Windows-1252" in response.get_data(as_text=True)
    assert count(session) == 0


def test_empty_upload_and_missing_name_column(client, login, make_user):
    login(make_user())
    response = client.post("/customers/import", data={"text": ""}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Please choose a file or paste its content." in response.get_data(as_text=True)
    response = upload(client, b"")
    assert response.status_code == 422
    response = upload(client, b"firma,email\nACME,a@example.com\n")
    assert response.status_code == 422
    assert "No column of the first row names the customer." in response.get_data(as_text=True)
    response = upload(client, b"name,Name\nA,B\n")
    assert response.status_code == 422
    assert "appears more than once" in response.get_data(as_text=True)


def test_row_limit_comes_from_the_config(app, client, session, login, make_user):
    login(make_user())
    app.config["CSV_MAX_ROWS"] = 3
    try:
        response = upload(client, b"name\nA\nB\nC\nD\n")
    finally:
        app.config["CSV_MAX_ROWS"] = 5000
    assert response.status_code == 422
    assert "At most 3 customers per import" in response.get_data(as_text=True)


def test_large_pasted_content_is_accepted_up_to_the_upload_limit(client, session, login, make_user):
    login(make_user())
    notes = "x" * 4000
    text = "name,notes\n" + "".join(f"Customer {i},{notes}\n" for i in range(200))  # ~800 kB, over Werkzeug's 500 kB
    response = client.post("/customers/import", data={"text": text}, content_type="multipart/form-data")
    assert response.status_code == 200
    response = confirm(client, response.get_data(as_text=True))
    assert response.status_code == 303
    assert count(session) == 200


def test_upload_over_the_limit_is_413(client, login, make_user):
    login(make_user())
    response = upload(client, b"name\n" + b"A\n" * (1024 * 1024 + 10))
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "This file is too large: at most 2 MB per import." in page
    assert 'type="file" name="file"' in page  # the upload form is right there again


def test_import_with_csrf_on_uses_the_token(app, client, session, login, make_user):
    login(make_user())
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/customers/import").get_data(as_text=True)
    token = csrf_token_from(page)
    assert client.post("/customers/import", data={"text": "name\nA\n"}, content_type="multipart/form-data").status_code == 400
    preview = client.post("/customers/import", data={"text": "name\nA\n", "csrf_token": token}, content_type="multipart/form-data")
    assert preview.status_code == 200
    preview_page = preview.get_data(as_text=True)
    response = confirm(client, preview_page, csrf_token=csrf_token_from(preview_page))
    assert response.status_code == 303
    assert count(session) == 1


# -- export -------------------------------------------------------------------------------------


def test_export_is_a_safe_excel_friendly_attachment(client, session, login, make_user, make_customer):
    rep = make_user()
    make_customer(rep, "=HYPERLINK(\"http://evil.example\",\"click\")", company="+ACME", phone="+49 30 123",
                  notes="@reminder", tier="A")
    make_customer(rep, "Quiet one", now=NOW - timedelta(days=40))
    make_customer(make_user(), "Not mine")
    login(rep)
    response = client.get("/customers/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="touchbase-customers-2026-11-27.csv"'
    body = response.data
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [r["Name"] for r in rows] == ["Quiet one", "'=HYPERLINK(\"http://evil.example\",\"click\")"]
    evil = rows[1]
    assert evil["Company"] == "'+ACME" and evil["Phone"] == "'+49 30 123" and evil["Notes"] == "'@reminder"
    assert rows[0]["Warmth"] == "Quiet" and rows[0]["Last touch"] == "" and evil["Warmth"] == "In touch"
    assert list(rows[0]) == ["Name", "Company", "E-mail", "Phone", "Tier", "Cadence (days)", "Paused until",
                             "Last touch", "Warmth", "Next touch", "Next touch kind", "Notes"]


def test_export_has_the_next_planned_touch(client, session, login, make_user, make_customer):
    rep = make_user()
    planned = make_customer(rep, "Planned AG")
    make_customer(rep, "Nothing planned")
    login(rep)
    assert client.post(f"/customers/{planned.id}/follow-up", data={"due_day": "2026-12-03", "kind": "letter"}
                       ).status_code == 303
    rows = {r["Name"]: r for r in csv.DictReader(io.StringIO(client.get("/customers/export.csv").data
                                                             .decode("utf-8-sig")))}
    assert (rows["Planned AG"]["Next touch"], rows["Planned AG"]["Next touch kind"]) == ("2026-12-03", "Letter")
    assert (rows["Nothing planned"]["Next touch"], rows["Nothing planned"]["Next touch kind"]) == ("", "")


def test_a_german_export_has_german_headers_and_values_and_semicolons(client, session, login, make_user,
                                                                       make_customer):
    rep = make_user(locale="de")
    make_customer(rep, "Anna", tier="A", now=NOW - timedelta(days=40))
    planned = make_customer(rep, "Bernd")
    login(rep)
    assert client.post(f"/customers/{planned.id}/follow-up", data={"due_day": "2026-12-03", "kind": "walk"}
                       ).status_code == 303
    body = client.get("/customers/export.csv").data.decode("utf-8-sig")
    rows = {r["Name"]: r for r in csv.DictReader(io.StringIO(body), delimiter=";")}
    assert list(rows["Anna"]) == ["Name", "Firma", "E-Mail", "Telefon", "Stufe", "Kadenz (Tage)", "Pausiert bis",
                                  "Letzter Kontakt", "Wärme", "Nächster Kontakt", "Art des nächsten Kontakts",
                                  "Notizen"]
    assert (rows["Anna"]["Stufe"], rows["Anna"]["Wärme"], rows["Bernd"]["Wärme"]) == ("A", "Still", "In Kontakt")
    assert rows["Bernd"]["Art des nächsten Kontakts"] == "Spaziergang"


def test_coach_exports_the_team(client, login, make_org, make_user, make_customer):
    team = make_org()
    coach = make_user(team=team, role=Role.coach)
    make_customer(make_user(team=team), "Team one")
    make_customer(make_user(), "Other org")
    login(coach)
    body = client.get("/customers/export.csv").data.decode("utf-8-sig")
    assert "Team one" in body and "Other org" not in body


PREVIEW_WORDS = {
    "en": ("Recognised: Touchbase export", "No errors.", "2 rows are duplicates.", "Already a customer (same e-mail):",
           "Already a customer (same name and company):"),
    "de": ("Erkannt: Touchbase-Export", "Keine Fehler.", "2 Zeilen sind doppelt.", "Schon Kunde (gleiche E-Mail):",
           "Schon Kunde (gleicher Name und gleiche Firma):"),
}


@pytest.mark.parametrize("locale", ["en", "de"])
def test_export_then_import_preview_shows_no_errors(client, session, login, make_user, make_customer, locale):
    recognised, no_errors, duplicates, same_email, same_name = PREVIEW_WORDS[locale]
    rep = make_user(locale=locale)
    make_customer(rep, "-minus", company="Müller; Söhne", email="m@example.com", phone="+49 (30) 12-34",
                  tier="A", cadence_days="5", notes="two\nlines, \"quoted\"", paused_until="2026-12-24")
    make_customer(rep, "Plain", tier="C")
    login(rep)
    exported = client.get("/customers/export.csv").data
    response = upload(client, exported, "touchbase-customers.csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert recognised in page and no_errors in page
    assert duplicates in page  # the same customers are still there
    assert page.count(same_email) == 1  # the one with an e-mail
    assert page.count(same_name) == 1
