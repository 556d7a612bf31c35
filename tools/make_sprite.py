"""Build static/icons/sprite.svg, the app's icon sprite, from an extracted lucide-static package.

Run ``.venv/bin/python tools/make_sprite.py /tmp/lucide/package`` (the directory holding
``icons/<name>.svg``, e.g. ``npm pack lucide-static@0.577.0`` extracted) after changing ``ICONS``;
commit the sprite. Each icon becomes one ``<symbol id="NAME" viewBox="0 0 24 24">`` drawn with the
current text colour; templates call it with ``icon("NAME")`` (templates/macros/icons.html).
"""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "static" / "icons" / "sprite.svg"
SVG = "http://www.w3.org/2000/svg"

# Lucide's names. Navigation, the touch kinds (app/labels.py KIND_ICONS), the pages' own icons,
# and those the celebrations, the badges and the install prompt use.
ICONS = sorted({
    # navigation and the top bar
    "house", "users", "flame", "radar", "settings", "log-out", "chart-line",
    # touch kinds
    "phone", "mail", "pen-line", "handshake", "coffee", "dog", "video", "message-circle", "gift",
    "ticket", "sparkles",
    # pages
    "plus", "calendar", "calendar-clock", "trophy", "star", "award", "medal", "snowflake", "circle-check",
    "triangle-alert", "lock", "cloud-lightning", "wifi-off", "send", "lightbulb", "hand", "smartphone",
    "pause", "search", "user-plus", "upload", "target", "chevron-right", "x", "check",
    # moments and the front door
    "party-popper", "download", "share", "square-plus", "bell", "undo-2",
})

# Names the app uses that the pinned Lucide calls otherwise: the alias gets a symbol of its own.
ALIASES: dict[str, str] = {}

DRAWING = {"fill": "none", "stroke": "currentColor", "stroke-width": "2", "stroke-linecap": "round",
           "stroke-linejoin": "round"}


def symbol(source: Path, name: str) -> str:
    """Return the ``<symbol>`` of the icon in *source*, its comments and outer attributes dropped."""
    root = ET.fromstring(source.read_text(encoding="utf-8"))  # the parser drops comments
    parts = []
    for child in root:
        child.tag = child.tag.removeprefix("{%s}" % SVG)
        for element in child.iter():
            element.tag = element.tag.removeprefix("{%s}" % SVG)
        parts.append(re.sub(r"\s+", " ", ET.tostring(child, encoding="unicode")).replace(" />", "/>").strip())
    attributes = " ".join(f'{key}="{value}"' for key, value in DRAWING.items())
    return f'<symbol id="{name}" viewBox="0 0 24 24" {attributes}>{"".join(parts)}</symbol>'


def main(argv: list[str]) -> int:
    """Write the sprite from the lucide-static directory named in *argv*."""
    if len(argv) != 2:
        print(__doc__)
        return 2
    package = Path(argv[1])
    version = json.loads((package / "package.json").read_text())["version"]
    missing = [name for name in ICONS if not (package / "icons" / f"{name}.svg").is_file()]
    missing += [name for name in ALIASES.values() if not (package / "icons" / f"{name}.svg").is_file()]
    if missing:
        print("missing in lucide-static", version, ":", ", ".join(missing))
        return 1
    symbols = [symbol(package / "icons" / f"{name}.svg", name) for name in ICONS]
    symbols += [symbol(package / "icons" / f"{target}.svg", alias) for alias, target in sorted(ALIASES.items())]
    OUT.write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg">'
        f'<!-- Lucide {version} (ISC), see LUCIDE-LICENSE.txt; built by tools/make_sprite.py -->\n'
        + "\n".join(symbols) + "\n</svg>\n", encoding="utf-8")
    print(f"{OUT.relative_to(ROOT)}: {len(symbols)} icons from lucide-static {version}, {OUT.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
