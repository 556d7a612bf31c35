"""CSV import and export as operations: decoding, parsing, validation, all-or-nothing, injection."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from app.models import Customer
from app.operations import Invalid
from app.operations import csv_io
from app.operations.customers import archive_customer
from support import NOW

MAX = 5000


def count(session) -> int:
    return session.scalar(select(func.count(Customer.id)))


def test_utf8_bom_is_stripped_and_umlauts_survive(app):
    data = "\ufeffname,company\nJörg Müller,Bäckerei Süß\n".encode()
    text = csv_io.decode(data)
    preview = csv_io.parse(text, max_rows=MAX)
    assert preview.ok
    assert preview.columns == ("name", "company")
    assert preview.rows[0].values == {"name": "Jörg Müller", "company": "Bäckerei Süß"}


def test_latin1_bytes_get_a_clear_message(app):
    with pytest.raises(Invalid) as exc:
        csv_io.decode("name\nJörg Müller\n".encode("latin-1"))
    assert "UTF-8" in exc.value.fields["file"]


def test_excel_workbooks_get_a_clear_message(app):
    with pytest.raises(Invalid) as exc:
        csv_io.decode(b"PK\x03\x04\x14\x00\x06\x00rest-of-an-xlsx")
    assert "Excel" in exc.value.fields["file"]


def test_utf16_gets_a_clear_message(app):
    with pytest.raises(Invalid) as exc:
        csv_io.decode("name\nA\n".encode("utf-16"))
    assert "UTF-16" in exc.value.fields["file"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [("name,company;x", ","), ("name;company;email", ";"), ("name\tcompany", "\t"), ("name", ",")],
)
def test_delimiter_is_read_from_the_header_line(header, expected):
    assert csv_io.detect_delimiter(header + "\nA,B;C\n") == expected


def test_semicolons_and_german_headers(app):
    text = "Name;Firma;E-Mail;Telefon;Stufe;Kadenz;Notizen\nAnna;Muster GmbH;anna@example.com;+49 30 1234;a;10;Kaffee, gern\n"
    preview = csv_io.parse(text, max_rows=MAX)
    assert preview.ok, preview
    assert preview.delimiter == ";"
    clean = preview.rows[0].clean
    assert (clean.name, clean.company, clean.email, clean.phone, clean.tier.value, clean.cadence_days, clean.notes) == (
        "Anna", "Muster GmbH", "anna@example.com", "+49 30 1234", "A", 10, "Kaffee, gern"
    )


def test_header_names_are_case_insensitive_and_unknown_columns_are_noted(app):
    preview = csv_io.parse("NAME,Cadence_Days,Birthday,\nBob,5,1.1.1970,\n", max_rows=MAX)
    assert preview.ok
    assert preview.columns == ("name", "cadence_days")
    assert preview.ignored == ("Birthday",)
    assert preview.rows[0].clean.cadence_days == 5


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty"),
        ("  \n\n", "empty"),
        ("company,email\nACME,a@example.com\n", "name"),
        ("Bob,ACME\nAnn,Foo\n", "name"),
        ("name,company,Name\nA,B,C\n", "more than once"),
        ("name,company\n", "no customers"),
        ('name\n"unterminated\n', None),
    ],
)
def test_file_problems_block_the_import(app, text, needle):
    preview = csv_io.parse(text, max_rows=MAX)
    assert not preview.ok
    if needle:
        assert preview.problems and needle in " ".join(preview.problems)


def test_row_errors_are_per_field_and_line_numbers_count_blank_and_multiline(app):
    text = 'name,email,tier,cadence_days\nAnn,ann@example.com,A,\n\n"Bob\nthe Builder",nope,Z,0\n,x@example.com,,\nCid,,,14,extra\n'
    preview = csv_io.parse(text, max_rows=MAX)
    assert not preview.ok
    ann, bob, nameless, cid = preview.rows
    assert ann.ok and ann.line == 2
    assert bob.line == 4
    assert set(bob.errors) == {"email", "tier", "cadence_days"}
    assert nameless.line == 6 and set(nameless.errors) == {"name"}
    assert cid.line == 7 and set(cid.errors) == {"row"}
    assert preview.error_rows == 3


def test_trailing_empty_cells_are_no_error(app):
    preview = csv_io.parse("name,company\nAnn,ACME,,\n", max_rows=MAX)
    assert preview.ok


def test_german_dates_are_accepted_for_paused_until(app):
    preview = csv_io.parse("name,paused_until\nAnn,31.12.2026\nBob,2026-12-01\n", max_rows=MAX)
    assert [r.clean.paused_until for r in preview.rows] == [date(2026, 12, 31), date(2026, 12, 1)]


def test_row_limit(app):
    text = "name\n" + "".join(f"C{i}\n" for i in range(4))
    assert csv_io.parse(text, max_rows=4).ok
    preview = csv_io.parse(text + "C5\n", max_rows=4)
    assert not preview.ok and "At most 4" in preview.problems[0]


def test_duplicates_are_warnings_not_errors(session, make_user, make_customer):
    rep = make_user()
    make_customer(rep, "Ann", company="ACME")
    archive_customer(session, make_customer(rep, "Gone", company="Old"), now=NOW)
    make_customer(make_user(), "Bob", company="Elsewhere")  # another rep's customer stays invisible
    text = "name,company\nann,acme\nBob,Elsewhere\nCid,\ncid,\nGone,Old\n"
    preview = csv_io.preview(session, rep, text, max_rows=MAX)
    assert preview.ok
    warnings = [row.warnings for row in preview.rows]
    assert len(warnings[0]) == 1 and "already exists" in warnings[0][0]
    assert warnings[1] == ()
    assert warnings[2] == ()
    assert "line 4" in warnings[3][0]
    assert warnings[4] == ()
    assert preview.warning_rows == 2


def test_import_writes_every_row(session, make_user):
    rep = make_user()
    created = csv_io.import_customers(
        session, owner=rep, text="name;tier;cadence_days\nAnn;A;\nBob;C;45\n", now=NOW, max_rows=MAX
    )
    assert [(c.name, c.tier.value, c.cadence_days, c.owner_id) for c in created] == [
        ("Ann", "A", 7, rep.id), ("Bob", "C", 45, rep.id)
    ]
    assert count(session) == 2
    assert all(c.created_day == date(2026, 11, 27) for c in created)


def test_import_is_all_or_nothing(session, make_user):
    rep = make_user()
    text = "name,email\nAnn,ann@example.com\nBob,broken\nCid,\n"
    with pytest.raises(csv_io.ImportRejected) as exc:
        csv_io.import_customers(session, owner=rep, text=text, now=NOW, max_rows=MAX)
    assert exc.value.preview.error_rows == 1
    assert exc.value.preview.rows[1].errors["email"]
    assert count(session) == 0


@pytest.mark.parametrize("value", ["=1+1", "+49 30 1", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_get_an_apostrophe(value):
    assert csv_io.escape_cell(value) == "'" + value
    assert csv_io.unescape_cell("'" + value) == value


@pytest.mark.parametrize("value", ["Ann", "O'Brien", "'quoted", "1+1", "", None])
def test_plain_cells_stay_as_they_are(value):
    assert csv_io.escape_cell(value) == (value or "")
    assert csv_io.unescape_cell(value or "") == (value or "")


def test_export_has_bom_header_and_no_live_formulas(session, make_user, make_customer):
    rep = make_user()
    customer = make_customer(
        rep, "=HYPERLINK(\"http://evil\")", company="@corp", phone="+49 30 1234", notes="-note", tier="A",
        paused_until="2026-12-24",
    )
    body = csv_io.export_csv([csv_io.export_record(customer, "green")])
    assert body.startswith("\ufeffname,company,email,phone,tier,cadence_days,paused_until,last_touch_day,warmth,"
                           "next_touch_day,next_touch_kind,notes\r\n")
    row = next(csv.DictReader(io.StringIO(body[1:])))
    assert row["name"] == "'=HYPERLINK(\"http://evil\")"
    assert row["company"] == "'@corp"
    assert row["phone"] == "'+49 30 1234"
    assert row["notes"] == "'-note"
    assert row["cadence_days"] == "7"
    assert row["paused_until"] == "2026-12-24"
    assert row["warmth"] == "green"
    for value in row.values():
        assert not value.startswith(csv_io.FORMULA_START)


def test_export_carries_the_next_planned_touch(session, make_user, make_customer):
    from app.operations import follow_ups

    rep = make_user()
    planned, plain = make_customer(rep, "Planned"), make_customer(rep, "Plain")
    any_kind = make_customer(rep, "Any kind")
    follow_up = follow_ups.plan_follow_up(session, actor=rep, customer_id=planned.id, due_day=date(2026, 12, 1),
                                          kind="visit", now=NOW).follow_up
    open_any = follow_ups.plan_follow_up(session, actor=rep, customer_id=any_kind.id, due_day=date(2026, 12, 2),
                                         now=NOW).follow_up
    body = csv_io.export_csv([csv_io.export_record(planned, "green", follow_up), csv_io.export_record(plain, "green"),
                              csv_io.export_record(any_kind, "green", open_any)])
    rows = list(csv.DictReader(io.StringIO(body[1:])))
    assert [(r["next_touch_day"], r["next_touch_kind"]) for r in rows] == [("2026-12-01", "visit"), ("", ""),
                                                                          ("2026-12-02", "")]


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_export_then_import_round_trips_without_errors(session, make_user, make_customer, delimiter):
    rep = make_user()
    originals = [
        make_customer(rep, "=cmd|' /C calc'!A0", company="Müller; Söhne, \"AG\"", email="a@example.com",
                      phone="+49 (30) 123-45", tier="A", cadence_days="5", notes="Line one\nLine two",
                      paused_until="2026-12-24"),
        make_customer(rep, "Plain", tier="C"),
    ]
    body = csv_io.export_csv([csv_io.export_record(c, "green") for c in originals], delimiter=delimiter)
    text = csv_io.decode(body.encode("utf-8"))
    preview = csv_io.parse(text, max_rows=MAX)
    assert preview.ok, [r.errors for r in preview.rows] + list(preview.problems)
    assert set(preview.ignored) == {"last_touch_day", "warmth", "next_touch_day", "next_touch_kind"}
    for row, original in zip(preview.rows, originals):
        clean = row.clean
        assert (clean.name, clean.company, clean.email, clean.phone, clean.tier, clean.cadence_days, clean.notes,
                clean.paused_until) == (original.name, original.company, original.email, original.phone,
                                        original.tier, original.cadence_days, original.notes, original.paused_until)
