"""Customers as CSV: decode an uploaded file, find its delimiter, export safely (imports: ``imports.py``)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_babel import pgettext

from ..labels import kind_label, warmth_label
from ..models import Customer, FollowUp
from . import Invalid

BOM = "\ufeff"
EXPORT_COLUMNS = (
    "name", "company", "email", "phone", "tier", "cadence_days", "paused_until", "last_touch_day", "warmth",
    "next_touch_day", "next_touch_kind", "notes",
)
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class Decoded:
    """An uploaded file's text and the encoding it was read in."""

    text: str
    encoding: str


def decode(data: bytes) -> Decoded:
    """Decode an uploaded file: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252.

    Outlook on Windows writes its CSV in the system's code page (Windows-1252 in Western
    Europe), not UTF-8; bytes that are valid UTF-8 are read as UTF-8. Raise Invalid for a
    workbook, binary data, or bytes no encoding here reads.
    """
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise Invalid({"file": _l("This looks like an Excel workbook, not CSV. In Excel choose "
                                  "“Save as” → “CSV UTF-8” and upload that file.")})
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return Decoded(data.decode("utf-16"), "UTF-16")
        except UnicodeDecodeError:
            raise Invalid({"file": _l("This file cannot be read as text.")}) from None
    if b"\x00" in data:
        raise Invalid({"file": _l("This file cannot be read as text.")})
    for codec, label in (("utf-8-sig", "UTF-8"), ("cp1252", "Windows-1252")):
        try:
            return Decoded(data.decode(codec), label)
        except UnicodeDecodeError:
            continue
    raise Invalid({"file": _l("This file is neither UTF-8 nor Windows-1252 text. "
                              "Please save it as “CSV UTF-8” and upload it again.")})


def strip_bom(text: str) -> str:
    """Return *text* without a leading byte-order mark."""
    return text[1:] if text.startswith(BOM) else text


def detect_delimiter(text: str) -> str:
    """Return the delimiter of the header line: the most frequent of comma, semicolon and tab."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties keep the earlier: comma first
    return best if counts[best] else ","


def unescape_cell(value: str) -> str:
    """Undo the formula guard of our own export: ``'=x`` becomes ``=x``, other text stays."""
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_START:
        return value[1:]
    return value


def escape_cell(value: object) -> str:
    """Return *value* as a CSV cell a spreadsheet will not run as a formula."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, (date, datetime)) else str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def export_headers() -> tuple[str, ...]:
    """Return the export's column names in the current language, in the order of ``EXPORT_COLUMNS``.

    The importer reads them back in either language (``import_layouts.TYPED_FIELDS`` and the
    "touchbase" layout), and also the column keys older exports had (``cadence_days`` …).
    """
    names = {
        "name": pgettext("CSV column", "Name"),
        "company": pgettext("CSV column", "Company"),
        "email": pgettext("CSV column", "E-mail"),
        "phone": pgettext("CSV column", "Phone"),
        "tier": pgettext("CSV column", "Tier"),
        "cadence_days": pgettext("CSV column", "Cadence (days)"),
        "paused_until": pgettext("CSV column", "Paused until"),
        "last_touch_day": pgettext("CSV column", "Last touch"),
        "warmth": pgettext("CSV column", "Warmth"),
        "next_touch_day": pgettext("CSV column", "Next touch"),
        "next_touch_kind": pgettext("CSV column", "Next touch kind"),
        "notes": pgettext("CSV column", "Notes"),
    }
    return tuple(names[column] for column in EXPORT_COLUMNS)


def export_record(customer: Customer, warmth: str, follow_up: FollowUp | None = None) -> dict[str, object]:
    """Return one export line of *customer* with its *warmth* today and its next planned touch (*follow_up*).

    Warmth and the kind of the next touch are written as the pages name them, in the current
    language; the tier is its letter, days are ISO dates (``2026-12-31``), which every
    spreadsheet and the importer read.
    """
    return {
        "name": customer.name,
        "company": customer.company,
        "email": customer.email,
        "phone": customer.phone,
        "tier": customer.tier.value,
        "cadence_days": customer.cadence_days,
        "paused_until": customer.paused_until,
        "last_touch_day": customer.last_touch_day,
        "warmth": warmth_label(warmth),
        "next_touch_day": follow_up.due_day if follow_up else None,
        "next_touch_kind": kind_label(follow_up.kind) if follow_up and follow_up.kind else None,
        "notes": customer.notes,
    }


def export_csv(records: Iterable[Mapping[str, object]], *, delimiter: str = ",") -> str:
    """Return CSV text (with a BOM, for Excel) of *records*, every cell guarded against formulas.

    The header names the columns in the current language (``export_headers``).
    """
    return table_csv(export_headers(), ([record.get(column) for column in EXPORT_COLUMNS] for record in records),
                     delimiter=delimiter)


def table_csv(header: Sequence[object], rows: Iterable[Sequence[object]], *, delimiter: str = ",") -> str:
    """Return CSV text (with a BOM, for Excel) of a *header* row and *rows*; every text cell guarded against formulas."""
    out = io.StringIO(newline="")
    out.write(BOM)
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([escape_cell(name) for name in header])
    for row in rows:
        writer.writerow([value if isinstance(value, int) else escape_cell(value) for value in row])
    return out.getvalue()


def delimiter_for(locale: str) -> str:
    """Return the CSV delimiter a spreadsheet in *locale* expects: German Excel splits on semicolons."""
    return ";" if locale.startswith("de") else ","
