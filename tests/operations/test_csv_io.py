"""CSV as operations: decoding an upload, the delimiter, the formula guard, the export."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from flask_babel import force_locale

from app.operations import Invalid
from app.operations import csv_io, imports
from support import NOW

MAX = 5000


def test_utf8_bom_is_stripped_and_umlauts_survive(app):
    decoded = csv_io.decode("\ufeffname,company\nJörg Müller,Bäckerei Süß\n".encode())
    assert decoded.encoding == "UTF-8"
    preview = imports.parse(decoded.text, max_rows=MAX)
    assert preview.ok
    assert preview.columns == ("name", "company")
    assert preview.rows[0].values == {"name": "Jörg Müller", "company": "Bäckerei Süß"}


@pytest.mark.parametrize("codec", ["cp1252", "latin-1"])
def test_windows_1252_bytes_are_read_as_windows_1252(app, codec):
    decoded = csv_io.decode("name;company\nJörg Müller;Café Süß\n".encode(codec))
    assert decoded == csv_io.Decoded("name;company\nJörg Müller;Café Süß\n", "Windows-1252")


def test_the_euro_sign_tells_windows_1252_from_latin_1(app):
    assert csv_io.decode("name,notes\nA,5 €\n".encode("cp1252")).text == "name,notes\nA,5 €\n"


def test_text_that_is_utf8_is_never_taken_for_windows_1252(app):
    assert csv_io.decode("name\nJörg\n".encode()).encoding == "UTF-8"


def test_bytes_no_encoding_reads_get_a_clear_message(app):
    with pytest.raises(Invalid) as exc:
        csv_io.decode(b"name\n\x81\x8d\x8f\x90\x9d\n")  # undefined in Windows-1252, invalid UTF-8
    assert "neither UTF-8 nor Windows-1252" in exc.value.fields["file"]


def test_binary_data_gets_a_clear_message(app):
    with pytest.raises(Invalid) as exc:
        csv_io.decode(b"name\n\x00\x01\x02")
    assert "cannot be read as text" in exc.value.fields["file"]


def test_excel_workbooks_get_a_clear_message(app):
    with pytest.raises(Invalid) as exc:
        csv_io.decode(b"PK\x03\x04\x14\x00\x06\x00rest-of-an-xlsx")
    assert "Excel" in exc.value.fields["file"]


def test_utf16_with_a_bom_is_read(app):
    assert csv_io.decode("name\nZoë\n".encode("utf-16")) == csv_io.Decoded("name\nZoë\n", "UTF-16")


@pytest.mark.parametrize(
    ("header", "expected"),
    [("name,company;x", ","), ("name;company;email", ";"), ("name\tcompany", "\t"), ("name", ",")],
)
def test_delimiter_is_read_from_the_header_line(header, expected):
    assert csv_io.detect_delimiter(header + "\nA,B;C\n") == expected


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
    assert body.startswith("\ufeffName,Company,E-mail,Phone,Tier,Cadence (days),Paused until,Last touch,Warmth,"
                           "Next touch,Next touch kind,Notes\r\n")
    row = next(csv.DictReader(io.StringIO(body[1:])))
    assert row["Name"] == "'=HYPERLINK(\"http://evil\")"
    assert row["Company"] == "'@corp"
    assert row["Phone"] == "'+49 30 1234"
    assert row["Notes"] == "'-note"
    assert row["Cadence (days)"] == "7"
    assert row["Paused until"] == "2026-12-24"
    assert row["Warmth"] == "In touch"
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
    assert [(r["Next touch"], r["Next touch kind"]) for r in rows] == [("2026-12-01", "Visit"), ("", ""),
                                                                      ("2026-12-02", "")]


@pytest.mark.parametrize(("locale", "delimiter", "ignored"), [
    ("en", ",", {"Last touch", "Warmth", "Next touch", "Next touch kind"}),
    ("en", ";", {"Last touch", "Warmth", "Next touch", "Next touch kind"}),
    ("de", ";", {"Letzter Kontakt", "Wärme", "Nächster Kontakt", "Art des nächsten Kontakts"}),
    ("de", ",", {"Letzter Kontakt", "Wärme", "Nächster Kontakt", "Art des nächsten Kontakts"}),
])
def test_export_then_import_round_trips_without_errors(session, make_user, make_customer, locale, delimiter, ignored):
    rep = make_user()
    originals = [
        make_customer(rep, "=cmd|' /C calc'!A0", company="Müller; Söhne, \"AG\"", email="a@example.com",
                      phone="+49 (30) 123-45", tier="A", cadence_days="5", notes="Line one\nLine two",
                      paused_until="2026-12-24"),
        make_customer(rep, "Plain", tier="C"),
    ]
    with force_locale(locale):
        body = csv_io.export_csv([csv_io.export_record(c, "green") for c in originals], delimiter=delimiter)
    decoded = csv_io.decode(body.encode("utf-8"))
    preview = imports.parse(decoded.text, max_rows=MAX)
    assert preview.layout == "touchbase"
    assert preview.ok, [r.errors for r in preview.rows] + list(preview.problems)
    assert set(preview.ignored) == ignored
    for row, original in zip(preview.rows, originals):
        clean = row.clean
        assert (clean.name, clean.company, clean.email, clean.phone, clean.tier, clean.cadence_days, clean.notes,
                clean.paused_until) == (original.name, original.company, original.email, original.phone,
                                        original.tier, original.cadence_days, original.notes, original.paused_until)
