"""Customer imports as operations: every export as the tool writes it, duplicates, one confirmation."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.kinds import Role
from app.models import Customer, ImportToken
from app.operations import Invalid
from app.operations import csv_io, imports, vcards
from app.operations.customers import archive_customer
from support import NOW

MAX = 5000
DATA = Path(__file__).resolve().parent.parent / "data" / "imports"

# Every export file: the encoding it is read in, the layout recognised, and the customers it
# gives: (name, company, e-mail, phone).
EXPORTS = {
    "google_contacts.csv": ("UTF-8", "google", [
        ("Anna Berg", "Berg Logistik KG", "anna.berg@berg-logistik.example", "+49 30 1234567"),
        ("Jörg Peter Müller", "Bäckerei Müller", "joerg@baeckerei-mueller.example", "+49 89 5550101"),
        ("Stadtwerke Neustadt", "Stadtwerke Neustadt", "info@stadtwerke-neustadt.example", "0800 123 456"),
        ("Zofia Łukasiewicz", "Kowalski Transport Sp. z o.o.", "zofia@kowalski-transport.example", "+48 22 555 01 23"),
    ]),
    "google_contacts_legacy.csv": ("UTF-16", "google_legacy", [
        ("Hans Schmidt", "Schmidt Maschinenbau GmbH", "hans.schmidt@schmidt-maschinenbau.example", "+49 711 123456"),
        ("Erika Musterfrau", "Musterfrau Events", "erika.musterfrau@example.org", None),
        ("Dr. Klaus Becker", "Praxis Dr. Becker", None, "(0221) 555-7788"),
    ]),
    "outlook_contacts.csv": ("Windows-1252", "outlook", [
        ("Renée Dubois", "Café Lumière SARL", "renee.dubois@cafe-lumiere.example", "+33 1 42 68 53 00"),
        ("Tom J. O'Neill", "Harbour Freight Ltd", "tom.oneill@harbour-freight.example", "+44 7700 900123"),
        ("Northwind Traders", "Northwind Traders", "orders@northwind.example", "(206) 555-0100"),
    ]),
    "outlook_contacts_de.csv": ("Windows-1252", "outlook_de", [
        ("Jürgen Weiß", "Weiß & Söhne GmbH", "j.weiss@weiss-soehne.example", "+49 711 2233440"),
        ("Hans Schmidt", "Schmidt Maschinenbau GmbH", "hans.schmidt@schmidt-maschinenbau.example", "+49 711 123456"),
        ("Ängelika Maria von Bülow", "Bülow Consulting", "a.buelow@buelow-consulting.example", "0171 9988776"),
    ]),
    "hubspot_contacts.csv": ("UTF-8", "hubspot", [
        ("Lisa Meyer", "Meyer Medien GmbH", "lisa.meyer@meyer-medien.example", "+49 40 5550101"),
        ("Björn Larsen", "Nordsee Fisch AG", "bjorn@nordsee-fisch.example", "+49 151 22334455"),
        ("Alpen Reisen GmbH", "Alpen Reisen GmbH", "kontakt@alpen-reisen.example", "08821 555 66"),
    ]),
    "salesforce_contacts_report.csv": ("UTF-8", "salesforce_contacts", [
        ("Matthias Vogel", "Vogel Bau AG", "m.vogel@vogel-bau.example", "+49 421 555 300"),
        ("Sabine Krüger", "Elbe Chemie GmbH", "sabine.krueger@elbe-chemie.example", "+49 171 5554411"),
        ("Ahmet Yılmaz", "Yılmaz Import Export", "ahmet@yilmaz-ie.example", "+49 69 555 2020"),
    ]),
    "salesforce_accounts_report.csv": ("UTF-8", "salesforce_accounts", [
        ("Müller AG", None, None, "+49 821 555 0700"),
        ("Grand Hotel Seeblick", None, None, "07531 555 900"),
        ("Stadtwerke Neustadt", None, None, None),
    ]),
    "pipedrive_persons.csv": ("UTF-8", "pipedrive", [
        ("Clara Fischer", "Fischer Optik OHG", "clara@fischer-optik.example", "+49 511 555 1200"),
        ("Paul Wagner", "Wagner Holzbau", "paul.wagner@example.org", "+49 170 5557788"),
    ]),
    "pipedrive_people.csv": ("UTF-8", "pipedrive", [
        ("Clara Fischer", "Fischer Optik OHG", "clara@fischer-optik.example", "+49 511 555 1200"),
        ("Paul Wagner", "Wagner Holzbau", "paul.wagner@example.org", "+49 170 5557788"),
    ]),
    "apple_contacts.vcf": ("UTF-8", "vcard", [
        ("Anna Berg", "Berg Logistik KG", "anna.berg@berg-logistik.example", "+49 30 1234567"),
        ("Peter Schulz", "Schulz Logistik GmbH", "peter@schulz-logistik.example", "+49 160 1112223"),
        ("Gasthaus Zur Linde", "Gasthaus Zur Linde", None, "+49 8151 555 12"),
    ]),
    "android_contacts.vcf": ("UTF-8", "vcard", [
        ("Jörg Peter Müller", "Bäckerei Müller", "joerg@baeckerei-mueller.example", "+49 89 5550101"),
        ("Elif Kaya", "Kaya Design Studio", "elif.kaya@kaya-design.example", "0152 33445566"),
        ("Zofia Łukasiewicz", None, None, "+48 22 555 01 23"),
    ]),
    "google_contacts.vcf": ("UTF-8", "vcard", [
        ("Anna Berg", "Berg Logistik KG", "anna.berg@berg-logistik.example", "+49 30 1234567"),
        ("Stadtwerke Neustadt", "Stadtwerke Neustadt", "info@stadtwerke-neustadt.example", "0800 123 456"),
    ]),
    "outlook_contact.vcf": ("Windows-1252", "vcard", [
        ("Jürgen Schmidt", "Schmidt Präzisionstechnik GmbH", "juergen.schmidt@schmidt-praezision.example",
         "+49 711 123456"),
    ]),
    "thunderbird_contacts.vcf": ("UTF-8", "vcard", [
        ("Greta Lindqvist", "Nordic Textiles AB", "greta.lindqvist@nordic-textiles.example", "+46-8-555-1200"),
        ("Marco Rossi", "Rossi Vini S.r.l.", "marco.rossi@rossi-vini.example", "+39 02 5550 1234"),
    ]),
}


def read(name: str) -> csv_io.Decoded:
    return csv_io.decode((DATA / name).read_bytes())


def count(session) -> int:
    return session.scalar(select(func.count(Customer.id)))


def confirm(session, user, text, *, choices=None, every=None, now=NOW, token=None):
    token = token or imports.issue_token(session, user, text, now=now)
    return imports.confirm_import(session, user=user, token=token, text=text, choices=choices or {}, every=every,
                                  now=now, max_rows=MAX)


def test_every_export_file_has_an_expectation():
    assert sorted(p.name for p in DATA.iterdir() if p.name != "broken.vcf") == sorted(EXPORTS)


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_each_export_is_recognised_and_read_as_the_tool_wrote_it(session, make_user, name):
    encoding, layout, expected = EXPORTS[name]
    decoded = read(name)
    assert decoded.encoding == encoding
    preview = imports.preview(session, make_user(), decoded.text, max_rows=MAX, encoding=decoded.encoding)
    assert preview.layout == layout
    assert preview.ok, (preview.problems, [row.errors for row in preview.rows])
    assert [(r.clean.name, r.clean.company, r.clean.email, r.clean.phone) for r in preview.rows] == expected


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_each_export_imports_its_customers(session, make_user, name):
    _encoding, _layout, expected = EXPORTS[name]
    rep = make_user()
    text = read(name).text
    result = confirm(session, rep, text)
    assert (result.created, result.merged, result.skipped, result.already) == (len(expected), 0, 0, False)
    stored = session.scalars(select(Customer).order_by(Customer.id)).all()
    assert [(c.name, c.company, c.email, c.phone) for c in stored] == expected
    assert {c.owner_id for c in stored} == {rep.id}


def test_notes_come_along_with_their_lines(session, make_user):
    rows = imports.parse(read("google_contacts.csv").text, max_rows=MAX).rows
    assert rows[1].clean.notes == 'Mag Käsekuchen.\nSagt immer "Servus", nie "Hallo".'
    rows = imports.parse(read("android_contacts.vcf").text, max_rows=MAX).rows
    assert rows[0].clean.notes == "Bestellt jeden Freitag Brötchen für das ganze Büro.\nLieferung ab 6 Uhr."
    rows = imports.parse(read("outlook_contacts.csv").text, max_rows=MAX).rows
    assert "€ 5,000" in rows[1].clean.notes


def test_the_preview_names_the_columns_read_and_ignored():
    text = read("outlook_contacts_de.csv").text
    preview = imports.parse(text, max_rows=MAX)
    reads = dict(preview.reads)
    assert reads["name"] == ("Vorname", "Weitere Vornamen", "Nachname")
    assert reads["company"] == ("Firma",)
    assert reads["phone"][:2] == ("Telefon geschäftlich", "Mobiltelefon")
    assert "Anrede" in preview.ignored and "Geburtstag" in preview.ignored and "Firma" not in preview.ignored
    header = next(csv.reader(io.StringIO(text)))
    assert len(header) == 92  # every column of Outlook's German export: each read or listed as ignored
    assert sorted(preview.ignored + tuple(c for columns in reads.values() for c in columns)) == sorted(header)
    assert preview.layout_label == "Outlook (German)"
    vcard = imports.parse(read("apple_contacts.vcf").text, max_rows=MAX)
    assert dict(vcard.reads)["name"] == ("FN", "N")
    assert {"PHOTO", "ADR", "BDAY", "X-ABLABEL"} <= set(vcard.ignored)


def test_a_salesforce_report_ends_before_its_footer():
    text = read("salesforce_contacts_report.csv").text
    assert "Confidential Information" in text
    preview = imports.parse(text, max_rows=MAX)
    assert len(preview.rows) == 3 and preview.ok


def test_a_broken_vcard_names_the_card_and_the_line_and_nothing_is_read(session, make_user):
    preview = imports.preview(session, make_user(), read("broken.vcf").text, max_rows=MAX)
    assert not preview.ok and preview.rows == ()
    assert preview.problems == ("vCard 2 cannot be read at line 9: “this line is no vCard property”.",)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Anna\r\n", "vCard 1 (from line 1) has no END:VCARD."),
        ("BEGIN:VCARD\nVERSION:3.0\nFN:A\nEND:VCARD\nBEGIN:VCARD\nVERSION:3.0\nFN:B\nEND:VCALENDAR\n",
         "vCard 2 (from line 5) has no END:VCARD."),
        ("BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=NOPE;ENCODING=QUOTED-PRINTABLE:J=C3=B6rg\r\nEND:VCARD\r\n",
         "vCard 1 (from line 1) cannot be read."),
        ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nEND:VCARD\r\nnot a card\r\n", "vCard 2 cannot be read at line 5"),
    ],
)
def test_broken_vcards_get_a_message_naming_the_card(text, needle):
    preview = imports.parse(text, max_rows=MAX)
    assert not preview.ok and preview.rows == ()
    assert needle in preview.problems[0]


def test_a_quoted_printable_value_too_long_to_read_is_refused():
    card = "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:A\r\nEND:VCARD\r\n"

    def with_note(soft_breaks: int) -> str:
        note = "NOTE;ENCODING=QUOTED-PRINTABLE:a=\r\n" + "b=\r\n" * soft_breaks + "c\r\n"
        return card.replace("END:VCARD", note + "END:VCARD")

    assert imports.parse(card + with_note(vcards.MAX_QP_LINES), max_rows=MAX).problems == (
        "vCard 2 has a value from line 8 on that is too long to read.",)
    fits = with_note(vcards.MAX_QP_LINES - 2)
    assert imports.parse(fits, max_rows=MAX).rows[0].values["notes"] == "a" + "b" * (vcards.MAX_QP_LINES - 2) + "c"


def test_too_many_vcards_are_refused_like_too_many_rows():
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A{}\r\nEND:VCARD\r\n"
    assert imports.parse("".join(card.format(i) for i in range(3)), max_rows=3).ok
    preview = imports.parse("".join(card.format(i) for i in range(4)), max_rows=3)
    assert preview.problems == ("At most 3 customers per import; please split the file.",)


def test_a_card_without_a_name_or_company_is_a_row_error():
    preview = imports.parse("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:\r\nTEL:+49 30 1\r\nEND:VCARD\r\n", max_rows=MAX)
    assert not preview.ok
    assert preview.rows[0].errors == {"name": "Please enter a name."}


def test_an_unknown_layout_lists_the_layouts_it_knows():
    preview = imports.parse("Firma,Telefon\nACME,+49 30 1\n", max_rows=MAX)
    assert not preview.ok and preview.layout is None
    problem = preview.problems[0]
    assert problem.startswith("No column of the first row names the customer.")
    for label in ("Google Contacts", "Outlook (English)", "Outlook (German)", "HubSpot contacts",
                  "Salesforce contact report", "Salesforce account report", "Pipedrive persons", "vCard",
                  "name (required)"):
        assert label in problem


def test_the_generic_list_keeps_its_rules():
    text = 'name,email,tier,cadence_days\nAnn,ann@example.com,A,\n\n"Bob\nthe Builder",nope,Z,0\n,x@example.com,,\nCid,,,14,extra\n'
    preview = imports.parse(text, max_rows=MAX)
    assert preview.layout == "generic" and not preview.ok
    ann, bob, nameless, cid = preview.rows
    assert ann.ok and ann.line == 2
    assert bob.line == 4 and set(bob.errors) == {"email", "tier", "cadence_days"}
    assert nameless.line == 6 and set(nameless.errors) == {"name"}
    assert cid.line == 7 and set(cid.errors) == {"row"}
    assert imports.parse("name,company,Name\nA,B,C\n", max_rows=MAX).problems == (
        "The column “Name” appears more than once.",)
    assert imports.parse("name,company\n", max_rows=MAX).problems == ("The file has a header but no customers.",)
    assert imports.parse("  \n", max_rows=MAX).problems == ("The file is empty.",)
    assert "cannot be read as CSV" in imports.parse('name\n"unterminated\n', max_rows=MAX).problems[0]


def test_german_column_names_and_dates_still_work():
    preview = imports.parse("Name;Firma;E-Mail;Telefon;Stufe;Kadenz;Notizen;Pausiert bis\n"
                            "Anna;Muster GmbH;anna@example.com;+49 30 1234;a;10;Kaffee, gern;31.12.2026\n", max_rows=MAX)
    assert preview.ok and preview.delimiter == ";"
    clean = preview.rows[0].clean
    assert (clean.name, clean.company, clean.tier.value, clean.cadence_days, clean.paused_until.isoformat()) == (
        "Anna", "Muster GmbH", "A", 10, "2026-12-31")


def test_touchbase_exports_import_back_and_columns_added_later_are_ignored(session, make_user, make_customer):
    rep = make_user()
    customer = make_customer(rep, "Anna Berg", company="Berg KG", tier="A", notes="Two\nlines")
    body = csv_io.export_csv([csv_io.export_record(customer, "green")], delimiter=";")
    lines = body.split("\r\n")
    lines[0] += ";next_contract_day"  # a column a later release of the export adds
    lines[1] += ";2026-12-01"
    preview = imports.parse(csv_io.decode("\r\n".join(lines).encode()).text, max_rows=MAX)
    assert preview.layout == "touchbase" and preview.ok
    assert preview.ignored == ("Last touch", "Warmth", "Next touch", "Next touch kind", "next_contract_day")
    clean = preview.rows[0].clean
    assert (clean.name, clean.company, clean.tier.value, clean.notes) == ("Anna Berg", "Berg KG", "A", "Two\nlines")


def test_an_export_of_an_earlier_release_with_column_keys_still_imports():
    text = ("name,company,email,phone,tier,cadence_days,paused_until,last_touch_day,warmth,next_touch_day,"
            "next_touch_kind,notes\r\nAnna Berg,Berg KG,anna@example.com,,A,10,2026-12-31,2026-11-20,green,,,Hi\r\n")
    preview = imports.parse(text, max_rows=MAX)
    assert preview.layout == "touchbase" and preview.ok
    clean = preview.rows[0].clean
    assert (clean.name, clean.email, clean.cadence_days, clean.paused_until.isoformat(), clean.notes) == (
        "Anna Berg", "anna@example.com", 10, "2026-12-31", "Hi")


def test_the_row_limit_holds_for_every_layout():
    text = read("outlook_contacts_de.csv").text
    assert not imports.parse(text, max_rows=2).ok
    assert imports.parse(text, max_rows=2).problems == ("At most 2 customers per import; please split the file.",)


# -- duplicates ---------------------------------------------------------------------------------


def test_duplicates_by_email_and_by_name_and_company_are_found(session, make_user, make_customer):
    rep = make_user()
    by_email = make_customer(rep, "Anna B.", email="Anna.Berg@Berg-Logistik.example")
    by_name = make_customer(rep, "jörg peter müller", company="BÄCKEREI MÜLLER", phone="+49 89 1")
    preview = imports.preview(session, rep, read("google_contacts.csv").text, max_rows=MAX)
    anna, joerg, stadtwerke, zofia = preview.rows
    assert anna.duplicate.customer is by_email and anna.duplicate.by_email
    assert anna.duplicate.fills == ("company", "phone")
    assert joerg.duplicate.customer is by_name and not joerg.duplicate.by_email
    assert joerg.duplicate.fills == ("email", "notes")
    assert stadtwerke.duplicate is None and zofia.duplicate is None
    assert preview.duplicate_rows == 2 and preview.ok


def test_duplicates_within_the_file_point_at_the_earlier_line(session, make_user):
    text = "name,company,email\nAnn,ACME,ann@acme.example\nann,acme,\nBob,,ANN@acme.example\nCid,,\ncid,,\n"
    rows = imports.preview(session, make_user(), text, max_rows=MAX).rows
    assert [row.duplicate.line if row.duplicate else None for row in rows] == [None, 2, 2, None, 5]
    assert [row.duplicate.by_email if row.duplicate else None for row in rows] == [None, False, True, None, False]
    assert rows[1].duplicate.choices == ("skip", "new")


def test_only_active_customers_the_importer_sees_are_compared(session, make_org, make_user, make_customer):
    team = make_org()
    rep, other_rep = make_user(team=team), make_user(team=team)
    coach = make_user(team=team, role=Role.coach)
    make_customer(other_rep, "Team mate's", email="team@example.com")
    archive_customer(session, make_customer(rep, "Gone", email="gone@example.com"), now=NOW)
    stranger = make_user()
    make_customer(stranger, "Other org", email="other@example.com", company="Elsewhere")
    text = "name,company,email\nA,,team@example.com\nB,,gone@example.com\nOther org,Elsewhere,other@example.com\n"
    assert [row.duplicate for row in imports.preview(session, rep, text, max_rows=MAX).rows] == [None, None, None]
    coach_rows = imports.preview(session, coach, text, max_rows=MAX).rows
    assert coach_rows[0].duplicate.customer.name == "Team mate's"
    assert coach_rows[1].duplicate is None and coach_rows[2].duplicate is None


def test_duplicates_are_skipped_by_default_and_merge_never_overwrites(session, make_user, make_customer):
    rep = make_user()
    anna = make_customer(rep, "Anna Berg", company="Berg Logistik KG", notes="Likes tea.", phone="+49 30 999")
    schulz = make_customer(rep, "Peter Schulz", company="Schulz Logistik GmbH", email="p.schulz@old.example")
    text = read("apple_contacts.vcf").text
    result = confirm(session, rep, text, choices={1: "merge"})
    assert (result.created, result.merged, result.skipped) == (1, 1, 1)
    session.refresh(anna)
    session.refresh(schulz)
    assert anna.email == "anna.berg@berg-logistik.example"
    assert anna.phone == "+49 30 999"  # what the rep typed stays
    assert anna.notes == "Likes tea.\n\nRückruf nach der Messe, bitte vormittags."
    assert anna.name == "Anna Berg" and anna.tier.value == "B"
    assert schulz.email == "p.schulz@old.example" and schulz.phone is None  # skipped: untouched
    assert count(session) == 3


def test_a_choice_for_all_duplicates_and_add_as_new(session, make_user, make_customer):
    rep = make_user()
    make_customer(rep, "Anna Berg", company="Berg Logistik KG")
    make_customer(rep, "Peter Schulz", company="Schulz Logistik GmbH")
    text = read("apple_contacts.vcf").text
    assert confirm(session, rep, text, every="new", choices={1: "skip"}).created == 3
    assert count(session) == 5


def test_a_merge_choice_on_an_in_file_duplicate_skips_it(session, make_user):
    rep = make_user()
    result = confirm(session, rep, "name\nAnn\nann\nANN\n", choices={3: "merge", 4: "new"})
    assert (result.created, result.merged, result.skipped) == (2, 0, 1)


def test_the_confirmation_checks_duplicates_again(session, make_user, make_customer):
    rep = make_user()
    text = "name,email\nAnn,ann@example.com\nBob,bob@example.com\n"
    token = imports.issue_token(session, rep, text, now=NOW)
    make_customer(rep, "Ann (typed meanwhile)", email="ANN@example.com")  # after the preview
    result = confirm(session, rep, text, token=token)
    assert (result.created, result.skipped) == (1, 1)
    assert sorted(session.scalars(select(Customer.name))) == ["Ann (typed meanwhile)", "Bob"]


# -- one confirmation per preview -----------------------------------------------------------------


def test_a_second_confirmation_answers_with_the_first_and_creates_nothing(session, make_user, make_customer):
    rep = make_user()
    make_customer(rep, "Anna Berg", company="Berg Logistik KG")
    text = read("apple_contacts.vcf").text
    token = imports.issue_token(session, rep, text, now=NOW)
    first = confirm(session, rep, text, token=token, choices={1: "merge"})
    again = confirm(session, rep, text, token=token, choices={1: "new"}, now=NOW + timedelta(days=3))
    assert (first.created, first.merged, first.skipped, first.already) == (2, 1, 0, False)
    assert (again.created, again.merged, again.skipped, again.already) == (2, 1, 0, True)
    assert count(session) == 3


def test_only_the_token_hash_is_stored(session, make_user):
    rep = make_user()
    token = imports.issue_token(session, rep, "name\nAnn\n", now=NOW)
    stored = session.scalar(select(ImportToken))
    assert stored.token_hash == imports.token_hash(token) and token not in stored.token_hash
    assert stored.expires_at == NOW + imports.TOKEN_LIFETIME and stored.used_at is None


@pytest.mark.parametrize("case", ["unknown", "other user", "expired", "changed text", "not a string"])
def test_a_token_that_does_not_fit_is_refused_and_nothing_is_written(session, make_user, case):
    rep, other = make_user(), make_user()
    text = "name\nAnn\n"
    token = imports.issue_token(session, rep, text, now=NOW)
    kwargs = {"user": rep, "token": token, "text": text, "now": NOW}
    if case == "unknown":
        kwargs["token"] = "x" * 43
    elif case == "other user":
        kwargs["user"] = other
    elif case == "expired":
        kwargs["now"] = NOW + imports.TOKEN_LIFETIME
    elif case == "changed text":
        kwargs["text"] = "name\nAnn\nBob\n"
    else:
        kwargs["token"] = ["x" * 43]
    with pytest.raises(Invalid) as exc:
        imports.confirm_import(session, choices={}, max_rows=MAX, **kwargs)
    assert "no longer valid" in exc.value.fields["token"]
    assert count(session) == 0


def test_line_ends_do_not_change_the_text_a_token_was_issued_for(session, make_user):
    rep = make_user()
    token = imports.issue_token(session, rep, "name\nAnn\n", now=NOW)
    assert confirm(session, rep, "\ufeffname\r\nAnn\r\n", token=token).created == 1


def test_an_import_refused_at_confirmation_leaves_the_token_unused(session, make_user):
    rep = make_user()
    text = "name,email\nAnn,ann@example.com\n"
    token = imports.issue_token(session, rep, text, now=NOW)
    session.commit()
    with pytest.raises(imports.ImportRejected):
        imports.confirm_import(session, user=rep, token=token, text=text, choices={}, now=NOW, max_rows=0)
    session.rollback()
    assert confirm(session, rep, text, token=token).created == 1


def test_old_tokens_are_cleaned_up_when_a_new_one_is_issued(session, make_user):
    rep, other = make_user(), make_user()
    imports.issue_token(session, rep, "name\nA\n", now=NOW - timedelta(days=3))
    imports.issue_token(session, other, "name\nA\n", now=NOW - timedelta(days=3))
    imports.issue_token(session, rep, "name\nB\n", now=NOW - timedelta(hours=1))
    imports.issue_token(session, rep, "name\nC\n", now=NOW)
    assert session.scalar(select(func.count(ImportToken.id)).where(ImportToken.user_id == rep.id)) == 2
    assert session.scalar(select(func.count(ImportToken.id)).where(ImportToken.user_id == other.id)) == 1


# -- contacts picked on the phone -----------------------------------------------------------------


def test_picked_contacts_become_vcards_and_go_through_the_same_checks(session, make_user, make_customer):
    rep = make_user()
    make_customer(rep, "Someone", email="anna@berg.example")
    picked = ('[{"name": ["Anna Berg"], "email": ["anna@berg.example", "a@b.example"], "tel": ["+49 30 1"]},'
              ' {"name": ["Jörg; Müller, \\"Jo\\""], "email": [], "tel": ["+49 170 2", "+49 89 3"]},'
              ' {"name": [], "email": ["nobody@example.com"], "tel": []}]')
    text = vcards.picked_to_vcards(picked, max_cards=MAX)
    preview = imports.preview(session, rep, text, max_rows=MAX)
    assert preview.layout == "picked" and preview.layout_label == "Contacts picked on your phone"
    assert [(r.values["name"], r.values["email"], r.values["phone"]) for r in preview.rows] == [
        ("Anna Berg", "anna@berg.example", "+49 30 1"), ('Jörg; Müller, "Jo"', "", "+49 170 2"),
        ("", "nobody@example.com", "")]
    assert preview.rows[0].duplicate.customer.name == "Someone"
    assert preview.rows[2].errors == {"name": "Please enter a name."}


@pytest.mark.parametrize("raw", ["not json", "{}", "[]", "[1]", '[{"name": "Anna"}]', '[{"name": [1]}]',
                                 '[{"name": ["\\ud800"]}]'])
def test_picked_contacts_that_make_no_sense_are_refused(raw):
    with pytest.raises(Invalid) as exc:
        vcards.picked_to_vcards(raw, max_cards=MAX)
    assert "picked" in exc.value.fields["file"]


def test_too_many_picked_contacts_are_refused():
    with pytest.raises(Invalid) as exc:
        vcards.picked_to_vcards('[{"name": ["A"]}, {"name": ["B"]}]', max_cards=1)
    assert "At most 1 customers" in exc.value.fields["file"]
