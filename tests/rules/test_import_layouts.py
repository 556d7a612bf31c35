"""The import layouts as rules: recognising a header, reading a row, choosing a value, merging."""

from __future__ import annotations

import pytest

from app import import_layouts as layouts
from app.import_layouts import Typed, header_key, merge_changes, person_name, pick_preferred, read_header, row_values


@pytest.mark.parametrize(
    ("name", "key"),
    [("E-mail 1 - Value", "email1value"), ("\ufeffName ", "name"), ("cadence_days", "cadencedays"),
     ("E-Mail: Angezeigter Name", "email:angezeigtername"), ("Telefon (privat)", "telefon(privat)"),
     ("Person - Email - Work", "personemailwork")],
)
def test_column_names_compare_without_case_spaces_dashes_dots_or_underscores(name, key):
    assert header_key(name) == key


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("First Name,Middle Name,Last Name,Phonetic First Name,File As,Organization Name,E-mail 1 - Value", "google"),
        ("Name,Given Name,Family Name,Group Membership,E-mail 1 - Value", "google_legacy"),
        ("Vorname,Weitere Vornamen,Nachname,Firma,E-Mail-Adresse,Telefon geschäftlich", "outlook_de"),
        ("First Name,Last Name,Company,Business Phone,E-mail Address", "outlook"),
        ("Record ID,First Name,Last Name,Email,Phone Number,Company Name", "hubspot"),
        ("First Name,Last Name,Title,Account Name,Email,Phone", "salesforce_contacts"),
        ("Account Owner,Account Name,Type,Phone", "salesforce_accounts"),
        ("Account Name,Billing City,Phone", "salesforce_accounts"),
        ("Person - Name,Person - Organization,Person - Email - Work", "pipedrive"),
        ("Name,Organization,Email - Work", "pipedrive"),
        ("Name,Organization,Phone - Work", "pipedrive"),
        ("name,company,email,phone,tier,cadence_days,paused_until,last_touch_day,warmth,notes", "touchbase"),
        ("name,company,email,phone,tier,cadence_days,paused_until,last_touch_day,warmth,next_touch_day,notes",
         "touchbase"),
        ("Name;Firma;E-Mail;Telefon", "generic"),
        ("Vorname,Nachname,Firma", "generic"),
        ("first name,last name,company", "generic"),
    ],
)
def test_a_header_is_recognised_by_its_columns(header, code):
    reading = read_header(header.split(";") if ";" in header else header.split(","))
    assert reading is not None and reading.layout.code == code


@pytest.mark.parametrize("header", ["company,email,phone", "Firma;E-Mail", "Bob,ACME", ""])
def test_a_header_without_a_name_column_is_no_layout(header):
    assert read_header(header.replace(";", ",").split(",")) is None


def test_every_layout_code_is_unique_and_the_typed_list_comes_last():
    codes = [layout.code for layout in layouts.LAYOUTS]
    assert len(codes) == len(set(codes))
    assert codes[-1] == "generic" and layouts.LAYOUTS[-1].typed


def test_numbered_columns_are_read_in_number_order():
    header = ["First Name", "Last Name", "Phonetic First Name", "File As", "E-mail 10 - Value", "E-mail 2 - Value"]
    reading = read_header(header)
    assert reading.sources["email"] == (5, 4)
    assert row_values(reading, ["A", "B", "", "", "ten@example.com", "two@example.com"])["email"] == "two@example.com"


def test_a_typed_list_names_each_field_once():
    reading = read_header(["name", "company", "Name", "Firma"])
    assert reading.sources == {"name": (0,), "company": (1,)}
    assert reading.repeated == (2, 3)


def test_columns_not_read_are_ignored_and_reads_names_the_sources():
    header = ["Record ID", "First Name", "Last Name", "Email", "Lead Status", "Phone Number", ""]
    reading = read_header(header)
    assert [header[i] for i in reading.ignored] == ["Record ID", "Lead Status"]
    assert reading.reads(header) == (("name", ("First Name", "Last Name")), ("email", ("Email",)),
                                     ("phone", ("Phone Number",)))
    assert reading.columns == ("name", "email", "phone")


OUTLOOK = ["First Name", "Middle Name", "Last Name", "Company", "Business Phone", "Mobile Phone", "E-mail Address",
           "E-mail 2 Address"]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["Tom", "J.", "O'Neill", "Harbour", "", "+44 7700", "tom@h.example", ""],
         {"name": "Tom J. O'Neill", "company": "Harbour", "phone": "+44 7700", "email": "tom@h.example"}),
        # The first column with a value wins: the business phone before the mobile.
        (["Tom", "", "Neill", "", "+44 20 1", "+44 7700", "", "t@h.example"],
         {"name": "Tom Neill", "company": "", "phone": "+44 20 1", "email": "t@h.example"}),
        # An Exchange contact's X.500 path is no address: the next column's is read.
        (["Tom", "", "", "", "", "", "/o=ExchangeLabs/ou=Exchange/cn=Recipients/cn=tom", "tom@h.example"],
         {"name": "Tom", "company": "", "phone": "", "email": "tom@h.example"}),
        (["", "", "", "", "", "", "/o=ExchangeLabs/cn=tom", ""],
         {"name": "", "company": "", "phone": "", "email": ""}),
        # No person name: the company names the customer.
        (["", "", "", "Northwind Traders", "(206) 555-0100", "", "orders@northwind.example", ""],
         {"name": "Northwind Traders", "company": "Northwind Traders", "phone": "(206) 555-0100",
          "email": "orders@northwind.example"}),
    ],
)
def test_a_row_reads_the_first_value_per_field_and_builds_the_name(cells, expected):
    assert row_values(read_header(OUTLOOK), cells) == expected


def test_a_cell_with_several_values_gives_the_first():
    google = ["First Name", "Last Name", "Phonetic First Name", "File As", "E-mail 1 - Value", "Phone 1 - Value"]
    values = row_values(read_header(google), ["Anna", "Berg", "", "", "a@b.example ::: c@d.example", "+49 1 ::: +49 2"])
    assert (values["email"], values["phone"]) == ("a@b.example", "+49 1")
    pipedrive = ["Person - Name", "Person - Organization", "Person - Email - Work"]
    values = row_values(read_header(pipedrive), ["Clara", "Optik", "clara@o.example, einkauf@o.example"])
    assert values["email"] == "clara@o.example"


def test_a_typed_list_takes_values_as_they_are():
    values = row_values(read_header(["name", "email", "notes"]), ["Bob", "nope", "a ::: b, c"])
    assert values == {"name": "Bob", "email": "nope", "notes": "a ::: b, c"}


def test_the_formula_guard_of_the_export_is_undone_when_asked():
    values = row_values(read_header(["name", "phone"]), ["'=x", "'+49 30 1"], unescape=lambda v: v.lstrip("'"))
    assert values == {"name": "=x", "phone": "+49 30 1"}


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("tel:+49-89-1234", "+49-89-1234"), ("\u202a+48 22 555 01 23\u202c", "+48 22 555 01 23"),
     ("+49\u00a030\u00a01234", "+49 30 1234"), (" 030  1234 ", "030 1234"), ("TEL:0800", "0800"), ("", "")],
)
def test_phone_numbers_lose_prefixes_and_invisible_marks(raw, clean):
    assert layouts.clean_phone(raw) == clean


@pytest.mark.parametrize(
    ("full", "parts", "company", "name"),
    [("Anna Berg", ["X", "Y"], "Z", "Anna Berg"), ("", ["Jörg", "", "Müller"], "Bäckerei", "Jörg Müller"),
     (" ", [" ", ""], "Stadtwerke", "Stadtwerke"), ("", [], "", "")],
)
def test_the_name_is_the_full_name_else_the_parts_else_the_company(full, parts, company, name):
    assert person_name(full, parts, company) == name


@pytest.mark.parametrize(
    ("values", "chosen"),
    [
        ([Typed("home@x.example", frozenset({"home"})), Typed("work@x.example", frozenset({"work"}))], "work@x.example"),
        ([Typed("cell", frozenset({"cell"})), Typed("pref", frozenset({"cell", "pref"})), Typed("work", frozenset({"work"}))],
         "pref"),
        ([Typed("first"), Typed("second")], "first"),
        ([Typed(" "), Typed("second", frozenset({"home"}))], "second"),
        ([Typed("", frozenset({"work"})), Typed("x")], "x"),
        ([], ""),
    ],
)
def test_the_first_work_or_preferred_value_is_picked_else_the_first(values, chosen):
    assert pick_preferred(values) == chosen


@pytest.mark.parametrize(
    ("existing", "incoming", "changes"),
    [
        # Empty fields are filled; typed ones are never overwritten.
        ({"company": None, "email": "", "phone": "+49 1", "notes": None},
         {"company": "ACME", "email": "a@acme.example", "phone": "+49 2", "notes": None},
         {"company": "ACME", "email": "a@acme.example"}),
        # Notes go below the rep's notes, once.
        ({"notes": "Likes tea."}, {"notes": "Met at the fair."}, {"notes": "Likes tea.\n\nMet at the fair."}),
        ({"notes": "Likes tea. Met at the fair."}, {"notes": "Met at the fair."}, {}),
        ({"notes": None}, {"notes": "Met at the fair."}, {"notes": "Met at the fair."}),
        # Notes that would be too long are not added.
        ({"notes": "x" * 30}, {"notes": "y" * 10}, {}),
        ({"company": "Old", "email": "old@x.example", "phone": "1", "notes": "n"}, {"name": "New name"}, {}),
    ],
)
def test_a_merge_fills_only_what_the_customer_lacks(existing, incoming, changes):
    assert merge_changes(existing, incoming, notes_limit=40) == changes
