"""Customers as CSV: decode, parse and validate an import (preview first), import it whole, export safely."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Customer, FollowUp, User
from ..queries import customers as customers_q
from . import Invalid
from .customers import CleanCustomer, CustomerInput, clean_customer, new_customer

BOM = "\ufeff"
IMPORT_FIELDS = ("name", "company", "email", "phone", "tier", "cadence_days", "notes", "paused_until")
EXPORT_COLUMNS = (
    "name", "company", "email", "phone", "tier", "cadence_days", "paused_until", "last_touch_day", "warmth",
    "next_touch_day", "next_touch_kind", "notes",
)
# Header names, normalised by _header_key (lower case, no spaces, dashes, dots or underscores).
HEADER_ALIASES = {
    "name": "name", "kunde": "name",
    "company": "company", "firma": "company", "unternehmen": "company",
    "email": "email", "mail": "email", "emailadresse": "email",
    "phone": "phone", "telephone": "phone", "tel": "phone", "telefon": "phone", "telefonnummer": "phone",
    "tier": "tier", "stufe": "tier",
    "cadencedays": "cadence_days", "cadence": "cadence_days", "kadenz": "cadence_days", "kadenztage": "cadence_days",
    "notes": "notes", "note": "notes", "notizen": "notes", "notiz": "notes",
    "pauseduntil": "paused_until", "pausiertbis": "paused_until",
}
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DELIMITERS = (",", ";", "\t")
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


@dataclass(frozen=True)
class PreviewRow:
    """One data row of an import: its line, cells, problems (field -> message) and warnings."""

    line: int
    values: dict[str, str]
    errors: dict[str, str]
    warnings: tuple[str, ...] = ()
    clean: CleanCustomer | None = None

    @property
    def ok(self) -> bool:
        """Tell whether this row can be imported."""
        return not self.errors


@dataclass(frozen=True)
class ImportPreview:
    """What an import would write, before anything is written."""

    text: str
    delimiter: str = ","
    columns: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    rows: tuple[PreviewRow, ...] = field(default_factory=tuple)

    @property
    def error_rows(self) -> int:
        """Return how many rows have errors."""
        return sum(1 for row in self.rows if not row.ok)

    @property
    def warning_rows(self) -> int:
        """Return how many rows have warnings."""
        return sum(1 for row in self.rows if row.warnings)

    @property
    def ok(self) -> bool:
        """Tell whether the whole file can be imported: no file problem, some rows, no row errors."""
        return not self.problems and bool(self.rows) and self.error_rows == 0


class ImportRejected(Invalid):
    """An import was refused as a whole; ``preview`` says why, row by row."""

    def __init__(self, preview: ImportPreview):
        super().__init__({"file": _l("Nothing was imported: please fix the problems shown and try again.")})
        self.preview = preview


def decode(data: bytes) -> str:
    """Decode an uploaded file as UTF-8 (with or without BOM); raise Invalid for anything else."""
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise Invalid({"file": _l("This looks like an Excel workbook, not CSV. In Excel choose "
                                  "“Save as” → “CSV UTF-8” and upload that file.")})
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Invalid({"file": _l("This file is UTF-16. Please save it as “CSV UTF-8” and upload it again.")})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(
            {"file": _l("This file is not UTF-8 text (perhaps Latin-1 or Windows-1252). "
                        "Please save it as “CSV UTF-8” and upload it again.")}
        ) from None
    return text


def strip_bom(text: str) -> str:
    """Return *text* without a leading byte-order mark."""
    return text[1:] if text.startswith(BOM) else text


def detect_delimiter(text: str) -> str:
    """Return the delimiter of the header line: the most frequent of comma, semicolon and tab."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties keep the earlier: comma first
    return best if counts[best] else ","


def _header_key(name: str) -> str:
    return re.sub(r"[\s_\-.]+", "", strip_bom(name).strip().lower())


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


def _customer_input(values: Mapping[str, str]) -> CustomerInput:
    paused = values.get("paused_until")
    match = _GERMAN_DATE.match(paused or "")
    if match:
        day, month, year = match.groups()
        paused = f"{year}-{int(month):02d}-{int(day):02d}"
    return CustomerInput(
        name=values.get("name"),
        company=values.get("company"),
        email=values.get("email"),
        phone=values.get("phone"),
        tier=values.get("tier"),
        cadence_days=values.get("cadence_days"),
        notes=values.get("notes"),
        paused_until=paused,
    )


def parse(text: str, *, max_rows: int) -> ImportPreview:
    """Parse and validate CSV *text*; every row with its errors, nothing written.

    The first non-empty row is the header: column names are case-insensitive, English or German
    (Name, Firma, E-Mail, Telefon, Stufe, Kadenz, Notizen); unknown columns are ignored and named
    in ``ignored``. Blank lines are skipped. File-level problems (empty, no header, no ``name``
    column, a column twice, too many rows, broken quoting) go into ``problems``.
    """
    text = strip_bom(text)
    if not text.strip():
        return ImportPreview(text=text, problems=(str(_l("The file is empty.")),))
    delimiter = detect_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    problems: list[str] = []
    rows: list[PreviewRow] = []
    columns: dict[int, str] = {}
    ignored: list[str] = []
    header_seen = False
    width = 0
    last_line = 0
    try:
        for cells in reader:
            line, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if not header_seen:
                header_seen = True
                width = len(cells)
                for index, raw in enumerate(cells):
                    name = strip_bom(raw).strip()
                    target = HEADER_ALIASES.get(_header_key(name))
                    if target is None:
                        if name:
                            ignored.append(name)
                    elif target in columns.values():
                        problems.append(str(_l("The column “%(name)s” appears more than once.", name=name)))
                    else:
                        columns[index] = target
                if "name" not in columns.values():
                    problems.append(str(_l(
                        "The first row must name the columns, and one of them must be “name”. "
                        "Recognised columns: name, company, email, phone, tier, cadence_days, notes."
                    )))
                if problems:
                    break
                continue
            if len(rows) >= max_rows:
                problems.append(str(_l("At most %(n)d customers per import; please split the file.", n=max_rows)))
                break
            rows.append(_row(line, cells, columns, width))
    except csv.Error as exc:
        problems.append(str(_l("Line %(line)d cannot be read as CSV (%(reason)s).", line=reader.line_num, reason=str(exc))))
    if header_seen and not problems and not rows:
        problems.append(str(_l("The file has a header but no customers.")))
    return ImportPreview(
        text=text,
        delimiter=delimiter,
        columns=tuple(columns.values()),
        ignored=tuple(ignored),
        problems=tuple(problems),
        rows=tuple(rows),
    )


def _row(line: int, cells: list[str], columns: Mapping[int, str], width: int) -> PreviewRow:
    values = {
        target: unescape_cell(cells[index].strip()) if index < len(cells) else ""
        for index, target in columns.items()
    }
    errors: dict[str, str] = {}
    if any(cell.strip() for cell in cells[width:]):
        errors["row"] = str(_l("This row has more cells than the header has columns."))
    clean = None
    try:
        clean = clean_customer(_customer_input(values))
    except Invalid as exc:
        errors.update(exc.fields)
    return PreviewRow(line=line, values=values, errors=errors, clean=None if errors else clean)


def _key(name: str | None, company: str | None) -> tuple[str, str]:
    return ((name or "").strip().casefold(), (company or "").strip().casefold())


def existing_keys(session: Session, user: User) -> set[tuple[str, str]]:
    """Return (name, company) of the active customers *user* sees, case-folded."""
    visible = customers_q.visible_customers(user).where(Customer.archived_at.is_(None)).subquery()
    pairs = session.execute(select(visible.c.name, func.coalesce(visible.c.company, "")))
    return {_key(name, company) for name, company in pairs}


def preview(session: Session, user: User, text: str, *, max_rows: int) -> ImportPreview:
    """Parse *text* for *user* and warn about customers already present or listed twice."""
    parsed = parse(text, max_rows=max_rows)
    if not parsed.rows:
        return parsed
    known = existing_keys(session, user)
    first_line: dict[tuple[str, str], int] = {}
    rows = []
    for row in parsed.rows:
        key = _key(row.values.get("name"), row.values.get("company"))
        warnings = []
        if key[0]:
            if key in known:
                warnings.append(str(_l("A customer with this name and company already exists.")))
            if key in first_line:
                warnings.append(str(_l("Same name and company as line %(line)d.", line=first_line[key])))
            else:
                first_line[key] = row.line
        rows.append(PreviewRow(row.line, row.values, row.errors, tuple(warnings), row.clean))
    return ImportPreview(parsed.text, parsed.delimiter, parsed.columns, parsed.ignored, parsed.problems, tuple(rows))


def import_customers(session: Session, *, owner: User, text: str, now: datetime, max_rows: int) -> list[Customer]:
    """Validate *text* again and create every customer in it, or none (raises ImportRejected)."""
    checked = preview(session, owner, text, max_rows=max_rows)
    if not checked.ok:
        raise ImportRejected(checked)
    customers = [new_customer(owner, row.clean, now=now) for row in checked.rows]  # type: ignore[arg-type]
    session.add_all(customers)
    session.flush()
    return customers


def export_record(customer: Customer, warmth: str, follow_up: FollowUp | None = None) -> dict[str, object]:
    """Return one export line of *customer* with its *warmth* today and its next planned touch (*follow_up*)."""
    return {
        "name": customer.name,
        "company": customer.company,
        "email": customer.email,
        "phone": customer.phone,
        "tier": customer.tier.value,
        "cadence_days": customer.cadence_days,
        "paused_until": customer.paused_until,
        "last_touch_day": customer.last_touch_day,
        "warmth": str(warmth),
        "next_touch_day": follow_up.due_day if follow_up else None,
        "next_touch_kind": follow_up.kind.value if follow_up and follow_up.kind else None,
        "notes": customer.notes,
    }


def export_csv(records: Iterable[Mapping[str, object]], *, delimiter: str = ",") -> str:
    """Return CSV text (with a BOM, for Excel) of *records*, every cell guarded against formulas."""
    return table_csv(EXPORT_COLUMNS, ([record.get(column) for column in EXPORT_COLUMNS] for record in records),
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
