"""The icon sprite holds every icon the app draws; the navigation and the touch kinds use it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from app.kinds import TouchKind
from app.labels import KIND_ICONS

ROOT = Path(__file__).resolve().parent.parent
SPRITE = ROOT / "static" / "icons" / "sprite.svg"
SVG = "{http://www.w3.org/2000/svg}"
# What the celebrations, the badges page and the install prompt call icon() with.
SHARED = ("flame", "trophy", "party-popper", "sparkles", "download", "share", "square-plus", "award", "medal",
          "star", "target", "circle-check", "x", "bell", "calendar", "house", "users", "radar", "settings", "plus",
          "undo-2")
# Emoji the pages used as icons before the sprite.
OLD_EMOJI = ("🏠", "👥", "🔥", "📡", "⚙️", "📞", "✉️", "✍️", "🤝", "☕", "🐕", "🎥", "💬", "🎁", "🎟️", "✨", "＋")


def symbols() -> dict[str, ET.Element]:
    """Return the sprite's symbols by id."""
    root = ET.parse(SPRITE).getroot()
    return {el.get("id"): el for el in root.iter(f"{SVG}symbol")}


def icon_calls() -> set[tuple[str, str]]:
    """Return (template, name) of every icon("literal") call in the templates."""
    calls = set()
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for name in re.findall(r"""\bicon\(\s*["']([^"']+)["']""", text):
            calls.add((str(path.relative_to(ROOT)), name))
        # icon('a' if x else 'b'): every literal of a conditional too
        for args in re.findall(r"""\bicon\(([^()]*?\bif\b[^()]*)\)""", text):
            calls.update((str(path.relative_to(ROOT)), name) for name in re.findall(r"""["']([a-z0-9-]+)["']""", args)
                         if name not in {"class_"})
    return calls


def test_every_kind_has_an_icon_in_the_sprite():
    assert set(KIND_ICONS) == set(TouchKind)
    missing = {kind: name for kind, name in KIND_ICONS.items() if name not in symbols()}
    assert missing == {}
    assert len(set(KIND_ICONS.values())) == len(KIND_ICONS)  # each kind its own icon


def test_every_icon_the_templates_call_is_in_the_sprite():
    calls = icon_calls()
    assert len(calls) > 30  # the pattern still finds the calls
    assert sorted((template, name) for template, name in calls if name not in symbols()) == []


def test_the_sprite_has_the_icons_other_parts_rely_on():
    assert [name for name in SHARED if name not in symbols()] == []


@pytest.mark.parametrize("name", sorted(symbols()))
def test_each_symbol_is_a_lucide_line_icon(name):
    symbol = symbols()[name]
    assert symbol.get("viewBox") == "0 0 24 24"
    assert (symbol.get("fill"), symbol.get("stroke"), symbol.get("stroke-width")) == ("none", "currentColor", "2")
    assert (symbol.get("stroke-linecap"), symbol.get("stroke-linejoin")) == ("round", "round")
    assert len(symbol) > 0 and all(child.tag.startswith(SVG) for child in symbol)


def test_the_licence_names_the_pinned_version():
    text = (ROOT / "static" / "icons" / "LUCIDE-LICENSE.txt").read_text()
    version = re.search(r"Lucide (\d+\.\d+\.\d+)", SPRITE.read_text()).group(1)
    assert f"lucide-static {version}" in text and "ISC License" in text


def test_the_nav_and_the_kinds_draw_sprite_icons_with_words_beside_them(client, login, make_user, make_customer):
    rep = make_user()
    login(rep)
    make_customer(rep, "Müller AG")
    html = client.get("/").get_data(as_text=True)
    nav = html[html.index('<nav class="bottomnav"'):html.index("</nav>", html.index('<nav class="bottomnav"'))]
    links = re.findall(r"<a [^>]*>(.*?)</a>", nav, re.S)
    assert len(links) == 5
    for link, (name, label) in zip(links, [("house", "Today"), ("users", "Customers"), ("flame", "Streak"),
                                           ("radar", "Team"), ("settings", "Settings")], strict=True):
        assert re.search(r'<svg class="icon\s*" aria-hidden="true" focusable="false"><use href="/static/icons/'
                         rf'sprite\.svg\?v=\w+#{name}"></use></svg>', link), link
        assert f'<span class="nav-label">{label}</span>' in link
    for kind, name in KIND_ICONS.items():
        assert re.search(rf'data-kind="{kind}"[^>]*>\s*<svg class="icon\s*"[^>]*><use href="[^"]*#{name}"', html), kind
    assert [emoji for emoji in OLD_EMOJI if emoji in html] == []
    assert 'class="icon flame-icon"' in html and "#plus" in html


def test_an_icon_is_hidden_from_screen_readers_unless_it_has_a_label(app):
    with app.test_request_context():
        from flask import render_template_string

        plain = render_template_string('{% from "macros/icons.html" import icon %}{{ icon("flame", class_="big") }}')
        labelled = render_template_string('{{ icon("flame", label="Streak") }}')  # the template global
    assert re.fullmatch(r'<svg class="icon big" aria-hidden="true" focusable="false"><use href="/static/icons/'
                        r'sprite\.svg\?v=\w+#flame"></use></svg>', plain), plain
    assert 'role="img"' in labelled and 'aria-label="Streak"' in labelled and "<title>Streak</title>" in labelled
    assert "aria-hidden" not in labelled
