"""Translated labels and icons for kinds, warmth, statuses and tiers, and when a follow-up is due."""

from datetime import date

from flask_babel import format_date, gettext, ngettext
from flask_babel import lazy_gettext as _l

from . import follow_ups, i18n
from .kinds import TouchKind
from .statuses import Status
from .warmth import Warmth

KINDS = tuple(TouchKind)

KIND_LABELS = {
    TouchKind.call: _l("Call"),
    TouchKind.email: _l("E-mail"),
    TouchKind.letter: _l("Letter"),
    TouchKind.visit: _l("Visit"),
    TouchKind.coffee: _l("Coffee"),
    TouchKind.walk: _l("Walk"),
    TouchKind.video: _l("Video call"),
    TouchKind.message: _l("Message"),
    TouchKind.gift: _l("Gift"),
    TouchKind.event: _l("Event"),
    TouchKind.other: _l("Other"),
}

# Each kind's icon: a Lucide name, a symbol of static/icons/sprite.svg (tools/make_sprite.py).
KIND_ICONS = {
    TouchKind.call: "phone",
    TouchKind.email: "mail",
    TouchKind.letter: "pen-line",
    TouchKind.visit: "handshake",
    TouchKind.coffee: "coffee",
    TouchKind.walk: "dog",
    TouchKind.video: "video",
    TouchKind.message: "message-circle",
    TouchKind.gift: "gift",
    TouchKind.event: "ticket",
    TouchKind.other: "sparkles",
}

WARMTH_LABELS = {
    Warmth.green: _l("In touch"),
    Warmth.warming: _l("Cooling"),
    Warmth.quiet: _l("Quiet"),
    Warmth.paused: _l("Paused"),
}

# What the pages show: a warmth's label, or "New" (app/statuses.py).
STATUS_LABELS = {Status.new: _l("New"), **{Status(w.value): text for w, text in WARMTH_LABELS.items()}}

# Labels translated once per catalogue: pages show dozens of them, and each lazy string
# would look its catalogue up again.
_translated: dict[object, tuple[dict[TouchKind, str], dict[Status, str]]] = {}


def _labels() -> tuple[dict[TouchKind, str], dict[Status, str]]:
    catalogue = i18n.translations()
    labels = _translated.get(catalogue)
    if labels is None:
        labels = _translated[catalogue] = ({kind: str(text) for kind, text in KIND_LABELS.items()},
                                           {status: str(text) for status, text in STATUS_LABELS.items()})
    return labels


def kind_label(kind: str) -> str:
    """Return the short translated label of a touch kind."""
    return _labels()[0][TouchKind(kind)]


def kind_icon(kind: str) -> str:
    """Return the name of a touch kind's icon in the sprite (templates call ``icon(kind_icon(kind))``)."""
    return KIND_ICONS[TouchKind(kind)]


def kind_choices() -> tuple[tuple[str, str, str], ...]:
    """Return ``(kind, icon name, translated label)`` of every touch kind, in the order forms offer them."""
    labels = _labels()[0]
    return tuple((kind.value, KIND_ICONS[kind], labels[kind]) for kind in KINDS)


def warmth_label(warmth: str) -> str:
    """Return the translated text of a warmth, or of a status the pages show ("new" included)."""
    return _labels()[1][Status(warmth)]


def follow_up_when(due_day: date, today: date) -> str:
    """Say when a follow-up is due, seen on *today*: "due today", "2 days overdue", "tomorrow", "Tue, 1 Dec"."""
    overdue = follow_ups.days_overdue(due_day, today=today)
    if overdue:
        return ngettext("%(num)d day overdue", "%(num)d days overdue", overdue)
    if due_day == today:
        return gettext("due today")
    if due_day == follow_ups.tomorrow(today):
        return gettext("tomorrow")
    return format_date(due_day, "EEE, d MMM" if due_day.year == today.year else "EEE, d MMM y")
