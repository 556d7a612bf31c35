"""Customer imports: read an export as the tool wrote it, preview every row, import once.

``parse`` recognises the layout (``app/import_layouts.py``: Google Contacts, Outlook, HubSpot,
Salesforce, Pipedrive, Touchbase's own export, a simple list) or reads vCards, and validates
every row. ``preview`` also finds the duplicates: against the active customers the importer
sees (same e-mail, case-insensitive, or same name and company, case-folded) and within the
file (a later row like an earlier one). ``issue_token`` gives a preview a one-time token;
``confirm_import`` claims it, checks everything again and writes, so a repeated or concurrent
confirmation of the same preview creates nothing and answers with the first one's result.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from .. import import_layouts as layouts
from ..models import Customer, ImportToken, User
from ..queries import customers as customers_q
from . import Invalid
from .csv_io import detect_delimiter, strip_bom, unescape_cell
from .customers import MAX_NOTES, CleanCustomer, CustomerInput, clean_customer, new_customer
from . import vcards

TOKEN_BYTES = 32
TOKEN_LIFETIME = timedelta(hours=12)
SKIP, MERGE, NEW = "skip", "merge", "new"

LAYOUT_LABELS = {
    "google": _l("Google Contacts"),
    "google_legacy": _l("Google Contacts (older “Google CSV”)"),
    "outlook": _l("Outlook (English)"),
    "outlook_de": _l("Outlook (German)"),
    "hubspot": _l("HubSpot contacts"),
    "salesforce_contacts": _l("Salesforce contact report"),
    "salesforce_accounts": _l("Salesforce account report"),
    "pipedrive": _l("Pipedrive persons"),
    "touchbase": _l("Touchbase export"),
    "generic": _l("List with a name column"),
    "vcard": _l("vCard"),
    "picked": _l("Contacts picked on your phone"),
}
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


@dataclass(frozen=True)
class Duplicate:
    """What a row duplicates: an existing customer (and what merging fills in), or an earlier row."""

    customer: Customer | None = None
    line: int | None = None
    by_email: bool = False
    fills: tuple[str, ...] = ()

    @property
    def choices(self) -> tuple[str, ...]:
        """Return what the rep may do with the row: skip it (the default), merge it, import it anyway."""
        return (SKIP, MERGE, NEW) if self.customer is not None else (SKIP, NEW)


@dataclass(frozen=True)
class PreviewRow:
    """One customer of an import: its line, values by field, problems (field -> message), duplicate."""

    line: int
    values: dict[str, str]
    errors: dict[str, str]
    clean: CleanCustomer | None = None
    duplicate: Duplicate | None = None

    @property
    def ok(self) -> bool:
        """Tell whether this row can be imported."""
        return not self.errors


@dataclass(frozen=True)
class ImportPreview:
    """What an import would write, before anything is written."""

    text: str
    layout: str | None = None
    encoding: str | None = None
    delimiter: str = ","
    columns: tuple[str, ...] = ()
    reads: tuple[tuple[str, tuple[str, ...]], ...] = ()
    ignored: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    rows: tuple[PreviewRow, ...] = field(default_factory=tuple)

    @property
    def layout_label(self) -> str:
        """Return the recognised layout's name in the user's language ("" when none was)."""
        return str(LAYOUT_LABELS[self.layout]) if self.layout else ""

    @property
    def error_rows(self) -> int:
        """Return how many rows have errors."""
        return sum(1 for row in self.rows if not row.ok)

    @property
    def duplicate_rows(self) -> int:
        """Return how many rows duplicate a customer or an earlier row."""
        return sum(1 for row in self.rows if row.duplicate)

    @property
    def ok(self) -> bool:
        """Tell whether the whole file can be imported: no file problem, some rows, no row errors."""
        return not self.problems and bool(self.rows) and self.error_rows == 0


class ImportRejected(Invalid):
    """An import was refused as a whole; ``preview`` says why, row by row."""

    def __init__(self, preview: ImportPreview):
        super().__init__({"file": _l("Nothing was imported: please fix the problems shown and try again.")})
        self.preview = preview


@dataclass(frozen=True)
class ImportResult:
    """What a confirmation did; ``already`` when an earlier confirmation of the preview did it."""

    created: int
    merged: int
    skipped: int
    already: bool = False


def known_layouts() -> str:
    """Return the names of the exports Touchbase reads, for a message."""
    codes = [layout.code for layout in layouts.LAYOUTS if not layout.typed] + ["vcard"]
    return ", ".join(str(LAYOUT_LABELS[code]) for code in codes)


def _customer_input(values: Mapping[str, str]) -> CustomerInput:
    paused = values.get("paused_until")
    match = _GERMAN_DATE.match(paused or "")
    if match:
        day, month, year = match.groups()
        paused = f"{year}-{int(month):02d}-{int(day):02d}"
    return CustomerInput(**{name: values.get(name) for name in layouts.FIELDS if name != "paused_until"},
                         paused_until=paused)


def _row(line: int, values: dict[str, str], errors: dict[str, str] | None = None) -> PreviewRow:
    errors = dict(errors or {})
    clean = None
    try:
        clean = clean_customer(_customer_input(values))
    except Invalid as exc:
        errors.update(exc.fields)
    return PreviewRow(line=line, values=values, errors=errors, clean=None if errors else clean)


def parse(text: str, *, max_rows: int) -> ImportPreview:
    """Read and validate *text*, a CSV export or vCards; every row with its errors, nothing written.

    File-level problems (empty, no layout with a name column, a column twice in a typed list,
    too many rows, broken quoting, a broken vCard) go into ``problems``.
    """
    text = strip_bom(text)
    if not text.strip():
        return ImportPreview(text=text, problems=(str(_l("The file is empty.")),))
    if vcards.is_vcard(text):
        return _parse_vcards(text, max_rows=max_rows)
    return _parse_csv(text, max_rows=max_rows)


def _parse_vcards(text: str, *, max_rows: int) -> ImportPreview:
    found = vcards.read_cards(text, max_cards=max_rows)
    rows = tuple(_row(card.line, card.values) for card in found.cards)
    problems = found.problems or (() if rows else (str(_l("The file has no vCards.")),))
    return ImportPreview(
        text=text,
        layout="picked" if found.picked else "vcard",
        columns=found.columns,
        reads=tuple((name, props) for name, props in vcards.READS if name in found.columns),
        ignored=found.ignored,
        problems=problems,
        rows=rows,
    )


def _parse_csv(text: str, *, max_rows: int) -> ImportPreview:
    delimiter = detect_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    problems: list[str] = []
    rows: list[PreviewRow] = []
    header: list[str] = []
    reading: layouts.Reading | None = None
    last_line = 0
    try:
        for cells in reader:
            line, last_line = last_line + 1, reader.line_num
            blank = not any(cell.strip() for cell in cells)
            if reading is None:
                if blank:
                    continue
                header = cells
                reading = layouts.read_header(cells)
                if reading is None:
                    problems.append(str(_l(
                        "No column of the first row names the customer. Touchbase reads exports of %(layouts)s, "
                        "and lists whose first row names the columns: name (required), company, email, phone, "
                        "tier, cadence_days, notes.", layouts=known_layouts())))
                    break
                for index in reading.repeated:
                    problems.append(str(_l("The column “%(name)s” appears more than once.", name=cells[index].strip())))
                if problems:
                    break
                continue
            if blank:
                if rows and reading.layout.ends_at_blank_line:
                    break  # a report's footer follows
                continue
            if len(rows) >= max_rows:
                problems.append(str(_l("At most %(n)d customers per import; please split the file.", n=max_rows)))
                break
            errors = {}
            if any(cell.strip() for cell in cells[len(header):]):
                errors["row"] = str(_l("This row has more cells than the header has columns."))
            rows.append(_row(line, layouts.row_values(reading, cells, unescape=unescape_cell), errors))
    except csv.Error as exc:
        problems.append(str(_l("Line %(line)d cannot be read as CSV (%(reason)s).", line=reader.line_num, reason=str(exc))))
    if reading is not None and not problems and not rows:
        problems.append(str(_l("The file has a header but no customers.")))
    return ImportPreview(
        text=text,
        layout=reading.layout.code if reading else None,
        delimiter=delimiter,
        columns=reading.columns if reading else (),
        reads=reading.reads(header) if reading else (),
        ignored=tuple(header[i].replace("\ufeff", "").strip() for i in reading.ignored) if reading else (),
        problems=tuple(problems),
        rows=tuple(rows),
    )


def _fields(customer: Customer) -> dict[str, str | None]:
    return {name: getattr(customer, name) for name in ("company", "email", "phone", "notes")}


def _incoming(row: PreviewRow) -> dict[str, str | None]:
    if row.clean is not None:
        return {name: getattr(row.clean, name) for name in ("name", "company", "email", "phone", "notes")}
    return {name: row.values.get(name) for name in ("name", "company", "email", "phone", "notes")}


def _keys(values: Mapping[str, str | None]) -> tuple[str | None, tuple[str, str] | None]:
    email = (values.get("email") or "").strip().casefold() or None
    name = (values.get("name") or "").strip().casefold()
    return email, (name, (values.get("company") or "").strip().casefold()) if name else None


def _with_duplicates(rows: tuple[PreviewRow, ...], customers: list[Customer]) -> tuple[PreviewRow, ...]:
    by_email: dict[str, Customer] = {}
    by_name: dict[tuple[str, str], Customer] = {}
    for customer in sorted(customers, key=lambda c: c.id):
        email, name = _keys({"name": customer.name, "company": customer.company, "email": customer.email})
        if email:
            by_email.setdefault(email, customer)
        if name:
            by_name.setdefault(name, customer)
    first_email: dict[str, int] = {}
    first_name: dict[tuple[str, str], int] = {}
    marked = []
    for row in rows:
        values = _incoming(row)
        email, name = _keys(values)
        customer = (by_email.get(email) if email else None) or (by_name.get(name) if name else None)
        duplicate = None
        if customer is not None:
            fills = layouts.merge_changes(_fields(customer), values, notes_limit=MAX_NOTES)
            duplicate = Duplicate(customer=customer, by_email=bool(email and by_email.get(email) is customer),
                                  fills=tuple(fills))
        else:
            earlier = (first_email.get(email) if email else None) or (first_name.get(name) if name else None)
            if earlier is not None:
                duplicate = Duplicate(line=earlier, by_email=bool(email and first_email.get(email) == earlier))
        if email:
            first_email.setdefault(email, row.line)
        if name:
            first_name.setdefault(name, row.line)
        marked.append(replace(row, duplicate=duplicate))
    return tuple(marked)


def preview(session: Session, user: User, text: str, *, max_rows: int, encoding: str | None = None) -> ImportPreview:
    """Parse *text* for *user* and mark the rows that duplicate a visible customer or an earlier row.

    Only the active customers *user* sees are compared (their own; a coach's team's), never
    another organisation's.
    """
    parsed = replace(parse(text, max_rows=max_rows), encoding=encoding)
    if not parsed.rows:
        return parsed
    visible = customers_q.visible_customers(user).where(Customer.archived_at.is_(None))
    return replace(parsed, rows=_with_duplicates(parsed.rows, list(session.scalars(visible))))


def token_hash(token: str) -> str:
    """Return the stored hash of an import token (tokens are random, so a fast hash is enough)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def content_hash(text: str) -> str:
    """Return the hash of import *text*, its line ends made alike (a form posts them as CRLF)."""
    normal = strip_bom(text).replace("\r\n", "\n").replace("\r", "\n")
    return hashlib.sha256(normal.encode("utf-8", "surrogatepass")).hexdigest()


def issue_token(session: Session, user: User, text: str, *, now: datetime) -> str:
    """Store a one-time token for confirming the preview of *text*; return it (only here in plain)."""
    session.execute(delete(ImportToken).where(ImportToken.user_id == user.id,
                                              ImportToken.expires_at < now - timedelta(days=1)))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(ImportToken(user_id=user.id, token_hash=token_hash(token), content_hash=content_hash(text),
                            created_at=now, expires_at=now + TOKEN_LIFETIME))
    session.flush()
    return token


def _choice(row: PreviewRow, choices: Mapping[int, str], every: str | None) -> str:
    if row.duplicate is None:
        return NEW
    wanted = every if every in (SKIP, MERGE, NEW) else choices.get(row.line)
    return wanted if wanted in row.duplicate.choices else SKIP


def confirm_import(
    session: Session,
    *,
    user: User,
    token: object,
    text: str,
    choices: Mapping[int, str],
    every: str | None = None,
    now: datetime,
    max_rows: int,
) -> ImportResult:
    """Import the preview of *text* that *token* was issued for, once; checked again in full.

    The token is claimed with one guarded UPDATE (unused, unexpired, this user's, this text's):
    a concurrent confirmation waits for the row and then finds it used. Rows that duplicate are
    skipped unless *choices* (line -> skip, merge or new) or *every* say otherwise; a merge only
    fills what the customer lacks (``import_layouts.merge_changes``). A used token answers with
    its counts (``already``) and writes nothing; an unknown, expired or foreign one is Invalid.
    Raises ImportRejected when a row has become invalid; the caller's rollback frees the token.
    """
    expired = Invalid({"token": _l("This check is no longer valid. Please check the file again to import it.")})
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise expired
    digest = token_hash(token)
    claimed = session.execute(
        update(ImportToken)
        .where(ImportToken.token_hash == digest, ImportToken.user_id == user.id, ImportToken.used_at.is_(None),
               ImportToken.expires_at > now, ImportToken.content_hash == content_hash(text))
        .values(used_at=now)
    ).rowcount
    if claimed != 1:
        earlier = session.scalar(select(ImportToken).where(ImportToken.token_hash == digest,
                                                          ImportToken.user_id == user.id))
        if earlier is None or earlier.used_at is None:
            raise expired
        return ImportResult(earlier.created_count or 0, earlier.merged_count or 0, earlier.skipped_count or 0,
                            already=True)
    checked = preview(session, user, text, max_rows=max_rows)
    if not checked.ok:
        raise ImportRejected(checked)
    created: list[Customer] = []
    merged = skipped = 0
    for row in checked.rows:
        choice = _choice(row, choices, every)
        if choice == NEW:
            created.append(new_customer(user, row.clean, now=now))  # type: ignore[arg-type]
        elif choice == MERGE and row.duplicate and row.duplicate.customer is not None:
            customer = row.duplicate.customer
            for name, value in layouts.merge_changes(_fields(customer), _incoming(row), notes_limit=MAX_NOTES).items():
                setattr(customer, name, value)
            merged += 1
        else:
            skipped += 1
    session.add_all(created)
    session.execute(update(ImportToken).where(ImportToken.token_hash == digest)
                    .values(created_count=len(created), merged_count=merged, skipped_count=skipped))
    session.flush()
    return ImportResult(len(created), merged, skipped)
