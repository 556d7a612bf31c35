"""The installable app through the client: manifest, icons, service worker, offline page, caching."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import ROOT, assets
from app.models import Touch
from app.views import pwa

STATIC = ROOT / "static"


pytestmark = pytest.mark.usefixtures("frozen_clock")  # NOW: Friday 27 Nov 2026, 11:00 in Berlin


def _manifest(client, language: str = "en") -> dict:
    response = client.get("/manifest.webmanifest", headers={"Accept-Language": language})
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    return json.loads(response.get_data(as_text=True))


def _static_file(url: str) -> Path:
    path, _sep, query = url.partition("?")
    assert path.startswith("/static/")
    file = STATIC / path.removeprefix("/static/")
    assert file.exists(), url
    assert query == f"v={assets.file_hash(file)}", "a static URL carries its content hash"
    return file


def test_the_manifest_makes_the_app_installable(client):
    manifest = _manifest(client)
    assert manifest["name"] == "Touchbase" and manifest["short_name"] == "Touchbase"
    assert manifest["description"]
    assert manifest["start_url"] == "/?source=pwa"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])
    icons = {(icon["sizes"], icon["purpose"]): icon for icon in manifest["icons"]}
    assert set(icons) == {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"), ("512x512", "maskable")}
    for (sizes, _purpose), icon in icons.items():
        assert icon["type"] == "image/png"
        width, height = pwa.png_size(str(_static_file(icon["src"])))
        assert f"{width}x{height}" == sizes


def test_the_manifest_has_both_shortcuts_and_real_screenshots(client):
    manifest = _manifest(client)
    shortcuts = {s["name"]: s for s in manifest["shortcuts"]}
    assert set(shortcuts) == {"Log a touch", "Whom to touch"}
    assert shortcuts["Log a touch"]["url"].startswith("/touches/new")
    assert shortcuts["Whom to touch"]["url"].startswith("/?source=pwa")
    for shortcut in shortcuts.values():
        assert pwa.png_size(str(_static_file(shortcut["icons"][0]["src"]))) == (96, 96)
    screenshots = manifest["screenshots"]
    assert {s["form_factor"] for s in screenshots} == {"narrow", "wide"}
    for shot in screenshots:
        width, height = pwa.png_size(str(_static_file(shot["src"])))
        assert shot["sizes"] == f"{width}x{height}"
        assert 320 <= min(width, height) and max(width, height) <= 3840
        assert max(width, height) / min(width, height) <= 2.3  # what Chromium accepts
        assert shot["label"]


def test_the_manifest_speaks_the_browsers_language(client):
    german = _manifest(client, "de-DE,de;q=0.9")
    assert german["lang"] == "de"
    assert {s["name"] for s in german["shortcuts"]} == {"Kontakt eintragen", "Wen kontaktieren"}
    assert german["description"] != _manifest(client)["description"]


def test_every_page_links_the_manifest_and_the_ios_tags(client, make_user, login):
    pages = [client.get("/login"), client.get("/register")]
    login(make_user())
    pages += [client.get(path) for path in ("/", "/customers/", "/touches/", "/streak", "/settings/", "/team/")]
    pages.append(client.get("/offline"))
    for response in pages:
        html = response.get_data(as_text=True)
        assert response.status_code == 200, response.request.path
        assert '<link rel="manifest" href="/manifest.webmanifest">' in html, response.request.path
        touch_icon = re.search(r'<link rel="apple-touch-icon" href="([^"]+)">', html)
        assert touch_icon and pwa.png_size(str(_static_file(touch_icon.group(1)))) == (180, 180)
        assert '<meta name="apple-mobile-web-app-capable" content="yes">' in html
        assert '<meta name="apple-mobile-web-app-title" content="Touchbase">' in html
        assert '<meta name="theme-color"' in html


def test_the_icons_are_rendered_from_the_committed_svg_sources():
    sources = {p.name for p in (STATIC / "icons" / "src").glob("*.svg")}
    assert {"icon.svg", "icon-maskable.svg", "shortcut-log.svg", "shortcut-whom.svg"} <= sources
    from tools import make_icons  # the script that made the PNGs is in the repo

    for name, source, size in make_icons.ICONS:
        assert source in sources
        assert pwa.png_size(str(STATIC / "icons" / name)) == (size, size)


def test_the_service_worker_is_served_from_the_root_with_its_version(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    script = response.get_data(as_text=True)
    assert script.splitlines()[4] == '"use strict";'
    config = json.loads(re.search(r"^self\.TOUCHBASE = (\{.*\});$", script, re.M).group(1))
    assert re.fullmatch(r"touchbase-shell-[0-9a-f]{12}", config["cache"])
    assert config["offline"] == "/offline"
    assert config["shell"][-1] == "/offline"
    shell_files = {_static_file(url).relative_to(STATIC).as_posix() for url in config["shell"][:-1]}
    assert {"css/app.css", "js/app.js", "js/outbox.js", "icons/icon-192.png"} <= shell_files
    assert any(name.startswith("js/vendor/htmx-") for name in shell_files)
    _static_file(config["outbox"])
    assert "self.addEventListener(\"push\"" in script and "notificationclick" in script


def test_the_cache_name_changes_with_any_shell_files_content(app, client):
    first = json.loads(re.search(r"self\.TOUCHBASE = (\{.*\});", client.get("/sw.js").get_data(as_text=True)).group(1))
    versions = app.extensions[assets.EXTENSION]
    saved = versions["css/app.css"]
    try:
        versions["css/app.css"] = "0" * 12
        second = json.loads(re.search(r"self\.TOUCHBASE = (\{.*\});", client.get("/sw.js").get_data(as_text=True)).group(1))
    finally:
        versions["css/app.css"] = saved
    assert first["cache"] != second["cache"]
    assert "/static/css/app.css?v=000000000000" in second["shell"]


def test_the_offline_page_is_public_and_holds_no_users_data(client, make_user, login):
    rep = make_user(name="Rita Private", email="rita.private@example.com")
    login(rep)
    response = client.get("/offline")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "You are offline" in html
    for private in ("Rita Private", "rita.private@example.com", "csrf", "Sign out", "data-user-id"):
        assert private not in html
    assert 'data-outbox' in html  # the rep's waiting touches are shown from the device


def test_the_offline_page_comes_in_the_language_asked_for(client):
    german = client.get("/offline?lang=de")
    assert german.headers["Content-Language"] == "de"
    assert 'lang="de"' in german.get_data(as_text=True)
    assert "Du bist offline" in german.get_data(as_text=True)
    assert client.get("/offline?lang=xx", headers={"Accept-Language": "en"}).headers["Content-Language"] == "en"


def test_the_session_endpoint_names_the_user_and_gives_a_working_csrf_token(app, client, make_user, make_customer,
                                                                           login, session):
    assert client.get("/pwa/session").status_code == 401
    rep = make_user()
    customer = make_customer(rep)
    login(rep)
    app.config["WTF_CSRF_ENABLED"] = True
    info = client.get("/pwa/session")
    assert info.headers["Cache-Control"] == "no-store"
    body = info.get_json()
    assert body["user_id"] == rep.id
    payload = {"customer_id": customer.id, "kind": "call", "client_id": "6f1c1c0e-0000-4000-8000-000000000001",
               "occurred_at": "2026-11-26T18:30:00+01:00"}
    stale = client.post("/api/v1/touches", json=payload, headers={"X-CSRFToken": "stale"})
    assert stale.status_code == 400 and stale.get_json()["error"]["code"] == "csrf"
    created = client.post("/api/v1/touches", json=payload, headers={"X-CSRFToken": body["csrf_token"]})
    assert created.status_code == 201
    assert created.get_json()["touch"]["local_day"] == "2026-11-26"  # the day it happened, not the day sent
    again = client.post("/api/v1/touches", json=payload, headers={"X-CSRFToken": body["csrf_token"]})
    assert again.status_code == 200
    assert session.scalar(select(func.count()).select_from(Touch)) == 1


def test_a_form_post_with_a_client_id_is_recognised_by_a_later_replay(client, make_user, make_customer, login,
                                                                      session):
    rep = make_user()
    customer = make_customer(rep)
    login(rep)
    client_id = "0b7e4c52-1d2a-4a8e-9d43-5c2f6c1e7a10"
    form = {"customer_id": customer.id, "kind": "visit", "client_id": client_id}
    assert client.post("/touches/", data=form, headers={"HX-Request": "true"}).status_code == 200
    replay = client.post("/api/v1/touches", json={"customer_id": customer.id, "kind": "visit", "client_id": client_id})
    assert replay.status_code == 200
    assert session.scalar(select(func.count()).select_from(Touch)) == 1
    # Without JavaScript the field is empty: every post is a touch of its own.
    assert client.post("/touches/", data={**form, "client_id": ""}).status_code == 302
    assert session.scalar(select(func.count()).select_from(Touch)) == 2


def test_versioned_static_files_are_cached_for_a_year_and_unversioned_ones_revalidate(client):
    html = client.get("/login").get_data(as_text=True)
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert urls and all("?v=" in url for url in urls)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable", url
    plain = client.get("/static/css/app.css")
    assert plain.headers["Cache-Control"] == "no-cache"
    stale = client.get("/static/css/app.css?v=000000000000")
    assert stale.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_pages_and_static_files_are_compressed(client, make_user, login, encoding):
    login(make_user())
    page = client.get("/", headers={"Accept-Encoding": encoding})
    assert page.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in page.headers["Vary"]
    css_url = re.search(r'href="(/static/css/app\.css\?v=[^"]+)"', client.get("/").get_data(as_text=True)).group(1)
    css = client.get(css_url, headers={"Accept-Encoding": encoding})
    assert css.headers["Content-Encoding"] == encoding
    assert len(css.get_data()) < (STATIC / "css/app.css").stat().st_size / 3
    # Precompressed once, with its own validator: a revalidation is a 304.
    again = client.get(css_url, headers={"Accept-Encoding": encoding, "If-None-Match": css.headers["ETag"]})
    assert again.status_code == 304


def test_pages_are_never_stored_by_caches_for_a_signed_in_user(client, make_user, login):
    login(make_user())
    for path in ("/customers/", "/touches/"):
        assert client.get(path).headers["Cache-Control"] == "no-store"
    # Today is revalidated by its ETag: kept by the browser alone, and asked for again every time.
    assert client.get("/").headers["Cache-Control"] == "private, no-cache"


def test_every_page_of_a_signed_in_user_names_whose_pages_they_are(app, client, make_user, login):
    # The service worker keeps the customers pages for reading offline in a cache of the user
    # named by this key: nobody else can work it out, and a new session token gives a new one.
    assert pwa.PAGES_KEY_HEADER not in client.get("/login").headers
    rita, ben = make_user(), make_user()
    login(rita)
    key = client.get("/customers/").headers[pwa.PAGES_KEY_HEADER]
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    assert client.get("/").headers[pwa.PAGES_KEY_HEADER] == key
    assert pwa.PAGES_KEY_HEADER not in client.get("/api/v1/me").headers  # pages only, not JSON
    assert key == pwa.pages_key(rita)
    assert pwa.pages_key(ben) != key
    client.post("/logout")
    assert pwa.PAGES_KEY_HEADER not in client.get("/login").headers
    login(rita)
    assert client.get("/customers/").headers[pwa.PAGES_KEY_HEADER] != key  # signing out rotated it


def test_the_service_worker_knows_which_pages_are_kept_for_reading_offline(client):
    script = client.get("/sw.js").get_data(as_text=True)
    config = json.loads(re.search(r"^self\.TOUCHBASE = (\{.*\});$", script, re.M).group(1))
    assert config["pagesPrefix"] == "touchbase-pages-" != config["cachePrefix"]
    assert config["pagesList"] == "/customers/" and re.fullmatch(config["pagesDetail"], "/customers/42")
    assert not re.fullmatch(config["pagesDetail"], "/customers/42/edit") and config["pagesMax"] == 50
    assert config["pagesKeyHeader"] == pwa.PAGES_KEY_HEADER


def test_pages_carry_the_offline_banner_for_the_service_worker_to_fill(client, make_user, login):
    login(make_user(locale="de"))
    html = client.get("/customers/").get_data(as_text=True)
    banner = re.search(r'<p class="offline-banner"[^>]*>', html).group(0)
    assert "data-offline-banner hidden" in banner and "data-saved-at" not in banner
    assert "Offline – gespeichert um %(time)s" in banner
