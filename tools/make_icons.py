"""Render the app's PNG icons from the SVG sources in static/icons/src with headless Chromium.

Run ``.venv/bin/python tools/make_icons.py`` after changing an SVG; commit the sources and the
PNGs. Each PNG is a screenshot of the SVG drawn at exactly its pixel size (device scale 1), with
a transparent background where the SVG leaves one.
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "static" / "icons" / "src"
OUT = ROOT / "static" / "icons"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]

# (output file, SVG source, size in px). The Apple touch icon is the full-bleed (maskable) tile:
# iOS rounds the corners itself and would show transparent corners as black.
ICONS = [
    ("icon-192.png", "icon.svg", 192),
    ("icon-512.png", "icon.svg", 512),
    ("icon-maskable-192.png", "icon-maskable.svg", 192),
    ("icon-maskable-512.png", "icon-maskable.svg", 512),
    ("apple-touch-icon.png", "icon-maskable.svg", 180),
    ("shortcut-log-96.png", "shortcut-log.svg", 96),
    ("shortcut-whom-96.png", "shortcut-whom.svg", 96),
]

PAGE = """<!doctype html><html><head><style>
html, body {{ margin: 0; padding: 0; background: transparent; }}
img {{ display: block; width: {size}px; height: {size}px; }}
</style></head><body><img alt="" src="data:image/svg+xml;base64,{svg}"></body></html>"""


def render(page, source: Path, size: int, target: Path) -> None:
    """Draw *source* at *size* × *size* pixels and save it as the PNG *target*."""
    page.set_viewport_size({"width": size, "height": size})
    svg = base64.b64encode(source.read_bytes()).decode("ascii")
    page.set_content(PAGE.format(size=size, svg=svg))
    page.wait_for_function("document.images[0].complete && document.images[0].naturalWidth > 0")
    page.screenshot(path=str(target), omit_background=True, clip={"x": 0, "y": 0, "width": size, "height": size})


def main() -> int:
    """Render every icon in ``ICONS``."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(device_scale_factor=1)
        for name, source, size in ICONS:
            render(page, SOURCES / source, size, OUT / name)
            print(f"{name:24} {size:4} px  {(OUT / name).stat().st_size:6} bytes")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
