"""Every user-facing string has a German translation."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app import ROOT

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "N_": None}
METHODS = [("**.py", "python"), ("**.html", "jinja2"), ("**.txt", "jinja2")]  # .txt: the mails


def _source_messages() -> set[str]:
    found: set[str] = set()
    for folder in ("app", "templates"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=METHODS, keywords=KEYWORDS
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _german():
    with open(ROOT / "app/translations/de/LC_MESSAGES/messages.po", "rb") as handle:
        return read_po(handle, locale="de")


def test_every_source_string_has_a_german_translation():
    catalog = _german()
    missing = []
    for msgid in sorted(_source_messages()):
        message = catalog.get(msgid)
        strings = message.string if message else None
        if isinstance(strings, tuple):
            ok = all(strings)
        else:
            ok = bool(strings)
        if not message or not ok or message.fuzzy:
            missing.append(msgid)
    assert not missing, f"{len(missing)} strings without German translation, e.g. {missing[:10]}"


def test_german_placeholders_match_english():
    import re

    pattern = re.compile(r"%\((\w+)\)[sd]")
    for message in _german():
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(pattern.findall(ids[0]))
        for text in strings:
            assert set(pattern.findall(text)) <= expected | set(pattern.findall(ids[-1])), message.id
