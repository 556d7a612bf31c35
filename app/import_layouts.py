"""Contact exports Touchbase reads as they come out of the tool: a registry of layouts (pure).

A layout says how to recognise a tool's CSV export by its header row, which columns feed which
customer field (the first column with a value wins, so the list is also the order of
preference), and how to build a name. A person's name is the tool's full-name column, else its
first, middle and last name joined; a row without any person name but with a company is named
by the company. The translated layout names live in ``app/operations/imports.py``.

vCards are no CSV layout; ``pick_preferred`` and ``person_name`` are the rules they share.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

FIELDS = ("name", "company", "email", "phone", "tier", "cadence_days", "notes", "paused_until")
NUMBER = "#"  # in a column name: any number, e.g. "E-mail # - Value" reads "E-mail 1 - Value", "E-mail 2 - Value" …


def header_key(name: str) -> str:
    """Return a column name as compared: lower case, without BOM, spaces, dashes, dots or underscores."""
    return re.sub(r"[\s_\-.]+", "", name.replace("\ufeff", "").strip().lower())


@dataclass(frozen=True)
class Layout:
    """One tool's export: how to recognise its header and which columns feed which field.

    ``recognise`` holds sets of column names; the layout is the file's when every name of one
    set is in the header. ``fields`` maps a field to its columns, most preferred first;
    ``name_parts`` are joined with spaces when no ``fields["name"]`` column has a value.
    ``separators`` split a cell that holds several values (the first is read). A report whose
    footer follows a blank line has ``ends_at_blank_line``. A ``typed`` layout is a file people
    write themselves: each field in one column only, values taken as they are.
    """

    code: str
    recognise: tuple[tuple[str, ...], ...]
    fields: Mapping[str, tuple[str, ...]]
    name_parts: tuple[str, ...] = ()
    separators: tuple[str, ...] = ()
    ends_at_blank_line: bool = False
    typed: bool = False

    def matches(self, keys: frozenset[str]) -> bool:
        """Tell whether a header with these ``header_key``s is this layout's."""
        return any({header_key(name) for name in names} <= keys for names in self.recognise)


# The columns of a file people write themselves, in English or German; also Touchbase's export,
# whose header is in its user's language ("Cadence (days)", "Kadenz (Tage)"; before, the keys
# like "cadence_days").
TYPED_FIELDS = {
    "name": ("name", "Full name", "kunde"),
    "company": ("company", "Firma", "Unternehmen"),
    "email": ("email", "mail", "E-Mail-Adresse", "Email address"),
    "phone": ("phone", "telephone", "tel", "Telefon", "Telefonnummer", "Phone number"),
    "tier": ("tier", "Stufe"),
    "cadence_days": ("cadence_days", "cadence", "Cadence (days)", "Kadenz", "Kadenz Tage", "Kadenz (Tage)"),
    "notes": ("notes", "note", "Notizen", "Notiz"),
    "paused_until": ("paused_until", "Pausiert bis"),
}
TYPED_NAME_PARTS = ("First name", "Vorname", "Middle name", "Last name", "Nachname")

LAYOUTS: tuple[Layout, ...] = (
    Layout(
        "google",
        recognise=(("First Name", "Last Name", "Phonetic First Name", "File As"),),
        name_parts=("First Name", "Middle Name", "Last Name"),
        fields={
            "company": ("Organization Name",),
            "email": ("E-mail # - Value",),
            "phone": ("Phone # - Value",),
            "notes": ("Notes",),
        },
        separators=(" ::: ",),
    ),
    Layout(
        "google_legacy",
        recognise=(("Name", "Given Name", "Family Name", "Group Membership"),),
        name_parts=("Given Name", "Additional Name", "Family Name"),
        fields={
            "name": ("Name",),
            "company": ("Organization # - Name",),
            "email": ("E-mail # - Value",),
            "phone": ("Phone # - Value",),
            "notes": ("Notes",),
        },
        separators=(" ::: ",),
    ),
    Layout(
        "outlook_de",
        recognise=(("Vorname", "Nachname", "Firma", "E-Mail-Adresse"),),
        name_parts=("Vorname", "Weitere Vornamen", "Nachname"),
        fields={
            "company": ("Firma",),
            "email": ("E-Mail-Adresse", "E-Mail 2: Adresse", "E-Mail 3: Adresse"),
            "phone": ("Telefon geschäftlich", "Mobiltelefon", "Telefon Firma", "Haupttelefon",
                      "Telefon geschäftlich 2", "Telefon (privat)", "Telefon privat", "Mobiltelefon 2",
                      "Weiteres Telefon", "Autotelefon"),
            "notes": ("Notizen",),
        },
    ),
    Layout(
        "outlook",
        recognise=(("First Name", "Last Name", "Company", "Business Phone", "E-mail Address"),),
        name_parts=("First Name", "Middle Name", "Last Name"),
        fields={
            "company": ("Company",),
            "email": ("E-mail Address", "E-mail 2 Address", "E-mail 3 Address"),
            "phone": ("Business Phone", "Mobile Phone", "Company Main Phone", "Primary Phone", "Business Phone 2",
                      "Home Phone", "Home Phone 2", "Other Phone", "Car Phone"),
            "notes": ("Notes",),
        },
    ),
    Layout(
        "hubspot",
        recognise=(("Record ID", "First Name", "Last Name", "Email"),),
        name_parts=("First Name", "Last Name"),
        fields={
            "company": ("Company Name", "Associated Company"),
            "email": ("Email", "Work email", "Private e-mail address"),
            "phone": ("Phone Number", "Mobile Phone Number", "WhatsApp Phone Number"),
        },
    ),
    Layout(
        "salesforce_contacts",
        recognise=(("First Name", "Last Name", "Account Name"),),
        name_parts=("First Name", "Middle Name", "Last Name"),
        fields={
            "company": ("Account Name",),
            "email": ("Email",),
            "phone": ("Phone", "Mobile", "Other Phone", "Home Phone"),
            "notes": ("Description",),
        },
        ends_at_blank_line=True,
    ),
    Layout(
        "salesforce_accounts",
        recognise=(("Account Name", "Account Owner"), ("Account Name", "Billing City")),
        fields={
            "name": ("Account Name",),
            "phone": ("Phone",),
            "notes": ("Description",),
        },
        ends_at_blank_line=True,
    ),
    Layout(
        "pipedrive",
        recognise=(("Person - Name", "Person - Organization"), ("Name", "Organization", "Email - Work"),
                   ("Name", "Organization", "Phone - Work")),
        name_parts=("Person - First name", "Person - Last name", "First name", "Last name"),
        fields={
            "name": ("Person - Name", "Name"),
            "company": ("Person - Organization", "Organization"),
            "email": ("Person - Email - Work", "Person - Email", "Person - Email - Other", "Person - Email - Home",
                      "Email - Work", "Email", "Email - Other", "Email - Home"),
            "phone": ("Person - Phone - Work", "Person - Phone - Mobile", "Person - Phone", "Person - Phone - Other",
                      "Person - Phone - Home", "Phone - Work", "Phone - Mobile", "Phone", "Phone - Other",
                      "Phone - Home"),
        },
        separators=(", ",),
    ),
    Layout(
        "touchbase",
        recognise=(("name", "tier", "cadence_days", "last_touch_day", "warmth"),
                   ("Name", "Tier", "Cadence (days)", "Last touch", "Warmth"),
                   ("Name", "Stufe", "Kadenz (Tage)", "Letzter Kontakt", "Wärme")),
        fields=TYPED_FIELDS,
        typed=True,
    ),
    Layout(
        "generic",
        recognise=tuple((name,) for name in TYPED_FIELDS["name"] + TYPED_NAME_PARTS),
        name_parts=TYPED_NAME_PARTS,
        fields=TYPED_FIELDS,
        typed=True,
    ),
)
BY_CODE = {layout.code: layout for layout in LAYOUTS}


@dataclass(frozen=True)
class Reading:
    """A header read with a layout: the column indexes behind each field, and those left over."""

    layout: Layout
    sources: dict[str, tuple[int, ...]]
    name_parts: tuple[int, ...]
    ignored: tuple[int, ...]
    repeated: tuple[int, ...] = ()  # a typed layout's columns that name a field a second time

    def reads(self, header: Sequence[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Return each field read with the columns (as the file names them) it is read from."""
        out = []
        for name in FIELDS:
            indexes = self.sources.get(name, ()) + (self.name_parts if name == "name" else ())
            if indexes:
                out.append((name, tuple(header[i].replace("\ufeff", "").strip() for i in indexes)))
        return tuple(out)

    @property
    def columns(self) -> tuple[str, ...]:
        """Return the fields this reading fills, in the order of FIELDS."""
        return tuple(name for name in FIELDS if self.sources.get(name) or (name == "name" and self.name_parts))


def _pattern(name: str) -> re.Pattern[str]:
    key = header_key(name)
    return re.compile("^" + re.escape(key).replace(re.escape(NUMBER), r"(\d+)") + "$")


def _find(keys: Sequence[str], name: str, used: set[int]) -> list[int]:
    """Return the indexes of the columns called *name*; with a number in it, all of them by number."""
    pattern = _pattern(name)
    found = [(int(m.group(1)) if m.groups() else 0, i) for i, key in enumerate(keys)
             if i not in used and (m := pattern.match(key))]
    return [i for _n, i in sorted(found)]


def read_header(header: Sequence[str]) -> Reading | None:
    """Return the reading of the first layout that recognises *header*, else None."""
    keys = [header_key(name) for name in header]
    present = frozenset(key for key in keys if key)
    for layout in LAYOUTS:
        if layout.matches(present):
            return _reading(layout, keys)
    return None


def _reading(layout: Layout, keys: Sequence[str]) -> Reading:
    used: set[int] = set()
    repeated: list[int] = []
    sources: dict[str, tuple[int, ...]] = {}
    for name, columns in layout.fields.items():
        indexes: list[int] = []
        for column in columns:
            found = _find(keys, column, used)
            used.update(found)
            indexes.extend(found)
        if layout.typed and len(indexes) > 1:
            repeated.extend(sorted(indexes)[1:])
            indexes = sorted(indexes)[:1]
        if indexes:
            sources[name] = tuple(indexes)
    parts: list[int] = []
    for column in layout.name_parts:
        found = _find(keys, column, used)
        used.update(found)
        parts.extend(found[:1])
    ignored = tuple(i for i, key in enumerate(keys) if key and i not in used)
    return Reading(layout, sources, tuple(parts), ignored, tuple(repeated))


def clean_phone(value: str) -> str:
    """Return a phone number as typed, without a ``tel:`` prefix or invisible formatting characters."""
    value = "".join(" " if ch.isspace() else ch for ch in value if unicodedata.category(ch) != "Cf")
    value = re.sub(r"^tel:", "", value.strip(), flags=re.IGNORECASE)
    return " ".join(value.split())


def _first_value(cell: str, separators: Sequence[str]) -> str:
    for separator in separators:
        cell = cell.split(separator)[0]
    return cell.strip()


def person_name(full: str, parts: Sequence[str], company: str) -> str:
    """Return the name: the full name, else the parts joined with spaces, else the company."""
    return full.strip() or " ".join(part.strip() for part in parts if part.strip()) or company.strip()


def row_values(reading: Reading, cells: Sequence[str], *, unescape=lambda value: value) -> dict[str, str]:
    """Return the field values of one row: the first column with a value per field, and the name.

    In a tool's export an e-mail value without "@" is no address (Outlook writes an Exchange
    contact's X.500 path there), so the next column's is taken. *unescape* undoes a cell's
    formula guard.
    """
    layout = reading.layout

    def cell(index: int) -> str:
        return _first_value(unescape(cells[index].strip()) if index < len(cells) else "", layout.separators)

    values: dict[str, str] = {}
    for name, indexes in reading.sources.items():
        candidates = [value for value in (cell(i) for i in indexes) if value]
        if name == "email" and not layout.typed:
            candidates = [value for value in candidates if "@" in value]
        values[name] = candidates[0] if candidates else ""
    if "phone" in values:
        values["phone"] = clean_phone(values["phone"])
    if "name" in values or reading.name_parts:
        values["name"] = person_name(values.get("name", ""), [cell(i) for i in reading.name_parts],
                                     values.get("company", ""))
    return values


@dataclass(frozen=True)
class Typed:
    """One value of a vCard property with its types (lower case, ``pref`` when preferred)."""

    value: str
    types: frozenset[str] = field(default_factory=frozenset)


def pick_preferred(values: Sequence[Typed]) -> str:
    """Return the first value marked ``pref`` or ``work``, else the first value, else ""."""
    present = [v for v in values if v.value.strip()]
    for value in present:
        if value.types & {"pref", "work"}:
            return value.value.strip()
    return present[0].value.strip() if present else ""


MERGE_FILLS = ("company", "email", "phone")


def merge_changes(existing: Mapping[str, str | None], incoming: Mapping[str, str | None], *,
                  notes_limit: int) -> dict[str, str]:
    """Return what merging an imported row into an existing customer changes, field by field.

    A merge never overwrites what the rep typed: company, e-mail and phone are filled only where
    the customer has none. Imported notes go below the customer's notes, after a blank line,
    unless the notes already hold them or the result would be longer than *notes_limit*; a
    customer without notes takes them as they are. Name, tier, cadence and pause never change.
    """
    changes = {name: value for name in MERGE_FILLS
               if not (existing.get(name) or "").strip() and (value := (incoming.get(name) or "").strip())}
    notes, extra = (existing.get("notes") or "").strip(), (incoming.get("notes") or "").strip()
    if extra and extra not in notes:
        combined = f"{notes}\n\n{extra}" if notes else extra
        if len(combined) <= notes_limit:
            changes["notes"] = combined
    return changes
