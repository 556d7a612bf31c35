"""vCards (.vcf) as import rows, read with vobject; contacts picked on a phone, written as vCards."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import vobject
from flask_babel import lazy_gettext as _l

from ..import_layouts import Typed, clean_phone, person_name, pick_preferred
from . import Invalid

PICKED_PRODID = "-//Touchbase//Contact Picker//EN"
# vCard property -> customer field; every other property is listed as ignored.
READS = (("name", ("FN", "N")), ("company", ("ORG",)), ("email", ("EMAIL",)), ("phone", ("TEL",)),
         ("notes", ("NOTE",)))
STRUCTURE = frozenset({"version", "prodid"})
MAX_PICKED_TEXT = 1000
# vobject joins a quoted-printable value's soft line breaks in time quadratic in its length; no
# address book writes a value this long, so a file with one is refused before vobject reads it.
MAX_QP_LINES = 1000
_START = re.compile(r"\s*BEGIN:VCARD\b", re.IGNORECASE)


def is_vcard(text: str) -> bool:
    """Tell whether *text* is a vCard file (it begins with ``BEGIN:VCARD``)."""
    return bool(_START.match(text))


@dataclass(frozen=True)
class Card:
    """One card: the line it begins on and the customer fields read from it."""

    line: int
    values: dict[str, str]


@dataclass(frozen=True)
class CardFile:
    """The cards of a file, the properties not read, and the problem that stopped reading, if any."""

    cards: tuple[Card, ...]
    columns: tuple[str, ...]
    ignored: tuple[str, ...]
    problems: tuple[str, ...]
    picked: bool = False


def _types(prop) -> frozenset[str]:
    types = {t.strip().lower() for value in prop.params.get("TYPE", ()) for t in str(value).split(",")}
    types.update(str(p).lower() for p in getattr(prop, "singletonparams", ()))
    if "PREF" in prop.params:
        types.add("pref")
    return frozenset(types)


def _text(value) -> str:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return value if isinstance(value, str) else ""


def _card_values(card) -> dict[str, str]:
    contents = card.contents
    company = _text(contents["org"][0].value).strip() if "org" in contents else ""
    full = _text(contents["fn"][0].value) if "fn" in contents else ""
    parts: list[str] = []
    if "n" in contents:
        n = contents["n"][0].value
        parts = [_text(getattr(n, part, "")) for part in ("given", "additional", "family")]
    values = {
        "name": person_name(full, parts, company),
        "company": company,
        "email": pick_preferred([Typed(_text(p.value), _types(p)) for p in contents.get("email", ())]),
        "phone": clean_phone(pick_preferred([Typed(_text(p.value), _types(p)) for p in contents.get("tel", ())])),
        "notes": _text(contents["note"][0].value).strip() if "note" in contents else "",
    }
    return values


def _begin_lines(lines: list[str]) -> list[int]:
    return [n for n, line in enumerate(lines, 1) if _START.match(line)]


def _overlong_value(lines: list[str]) -> int | None:
    """Return the line where a quoted-printable value longer than MAX_QP_LINES lines begins, else None."""
    run = 0
    for number, line in enumerate(lines, 1):
        if line.rstrip("\r").endswith("=") and (run or "quoted-printable" in line.lower()):
            run += 1
            if run > MAX_QP_LINES:
                return number - run + 1
        else:
            run = 0
    return None


def _card_at(begins: list[int], line: int) -> int:
    return sum(1 for begin in begins if begin <= line) or 1


def _problem(exc: Exception, card: int, begin: int, lines: list[str]) -> str:
    number = getattr(exc, "lineNumber", None)
    if "closed" in str(exc):
        return str(_l("vCard %(card)d (from line %(line)d) has no END:VCARD.", card=card, line=begin))
    if isinstance(number, int) and 0 < number <= len(lines):
        return str(_l("vCard %(card)d cannot be read at line %(line)d: “%(text)s”.", card=card, line=number,
                      text=lines[number - 1].strip()[:80]))
    return str(_l("vCard %(card)d (from line %(line)d) cannot be read.", card=card, line=begin))


def read_cards(text: str, *, max_cards: int) -> CardFile:
    """Read every card of *text*: name from FN, else N, else ORG; the first ORG; EMAIL and TEL.

    Of several EMAIL or TEL the first marked work or preferred wins, else the first. A card
    that cannot be read stops the whole file with a problem naming the card and the line;
    nothing is read from a broken file.
    """
    lines = text.split("\n")  # vobject counts lines as readline() does: only "\n" ends one
    begins = _begin_lines(lines)
    overlong = _overlong_value(lines)
    if overlong is not None:
        return CardFile((), (), (), (str(_l("vCard %(card)d has a value from line %(line)d on that is too long to read.",
                                            card=_card_at(begins, overlong), line=overlong)),))
    cards: list[Card] = []
    seen: set[str] = set()
    picked = False
    try:
        for component in vobject.readComponents(text, allowQP=True):
            if component.name != "VCARD":
                return CardFile((), (), (), (str(_l("This file holds a %(name)s, not vCards.", name=component.name)),))
            if len(cards) >= max_cards:
                return CardFile((), (), (), (str(_l("At most %(n)d customers per import; please split the file.",
                                                      n=max_cards)),))
            seen.update(component.contents)
            picked = picked or _text(getattr(component.contents.get("prodid", [None])[0], "value", "")) == PICKED_PRODID
            line = begins[len(cards)] if len(cards) < len(begins) else 0
            cards.append(Card(line, _card_values(component)))
    except Exception as exc:  # noqa: BLE001 - vobject raises many kinds (ParseError, LookupError, …) on bad input
        card = len(cards) + 1
        begin = begins[len(cards)] if len(cards) < len(begins) else 0
        return CardFile((), (), (), (_problem(exc, card, begin, lines),))
    read = {prop.lower() for _field, props in READS for prop in props}
    columns = tuple(name for name, props in READS if any(prop.lower() in seen for prop in props) or name == "name")
    ignored = tuple(sorted(name.upper() for name in seen - read - STRUCTURE))
    return CardFile(tuple(cards), columns, ignored, (), picked)


def _strings(value: object) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) and _encodable(item) for item in value):
        raise Invalid({"file": _l("The contacts picked on your phone could not be read.")})
    return [item.strip()[:MAX_PICKED_TEXT] for item in value if item.strip()]


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no browser sends one, so the JSON was made up
        return False
    return True


def picked_to_vcards(raw: str, *, max_cards: int) -> str:
    """Return the contacts of the Contact Picker API (JSON: name, email, tel lists) as vCard text."""
    try:
        contacts = json.loads(raw)
    except ValueError:
        raise Invalid({"file": _l("The contacts picked on your phone could not be read.")}) from None
    if not isinstance(contacts, list) or not contacts:
        raise Invalid({"file": _l("No contacts were picked.")})
    if len(contacts) > max_cards:
        raise Invalid({"file": _l("At most %(n)d customers per import; please split the file.", n=max_cards)})
    out = []
    for contact in contacts:
        if not isinstance(contact, dict):
            raise Invalid({"file": _l("The contacts picked on your phone could not be read.")})
        card = vobject.vCard()
        card.add("prodid").value = PICKED_PRODID
        names = _strings(contact.get("name"))
        card.add("fn").value = names[0] if names else ""
        for email in _strings(contact.get("email")):
            card.add("email").value = email
        for tel in _strings(contact.get("tel")):
            card.add("tel").value = tel
        out.append(card.serialize())
    return "".join(out)
