"""Translated labels and icons for kinds, warmth and tiers."""

from flask_babel import lazy_gettext as _l

from .kinds import TouchKind
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

KIND_ICONS = {
    TouchKind.call: "📞",
    TouchKind.email: "✉️",
    TouchKind.letter: "✍️",
    TouchKind.visit: "🤝",
    TouchKind.coffee: "☕",
    TouchKind.walk: "🐕",
    TouchKind.video: "🎥",
    TouchKind.message: "💬",
    TouchKind.gift: "🎁",
    TouchKind.event: "🎟️",
    TouchKind.other: "✨",
}

WARMTH_LABELS = {
    Warmth.green: _l("In touch"),
    Warmth.warming: _l("Cooling"),
    Warmth.quiet: _l("Quiet"),
    Warmth.paused: _l("Paused"),
}


def kind_label(kind: str) -> str:
    """Return the short translated label of a touch kind."""
    return str(KIND_LABELS[TouchKind(kind)])


def kind_icon(kind: str) -> str:
    """Return the icon of a touch kind."""
    return KIND_ICONS[TouchKind(kind)]


def warmth_label(warmth: str) -> str:
    """Return the translated text of a warmth status."""
    return str(WARMTH_LABELS[Warmth(warmth)])
