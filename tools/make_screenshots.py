"""Take the screenshots of the real app, filled with the demo data as of now.

Run ``.venv/bin/python tools/make_screenshots.py`` (again after any change to the pages; it is safe to
re-run); commit static/screenshots/*.png. It seeds the demo organisation into a throw-away SQLite
file, serves the app on 127.0.0.1 and, in headless Chromium, signs in as the demo rep Lena Hoffmann
(a streak of several weeks, today's goal partly done, the team in crisis mode) and as the coach
Katrin Albers, and takes:

- the web app manifest's ``screenshots`` (English, light): Today and Customers at phone size
  (narrow, 780×1688) and Today at laptop size (wide, 1280×800);
- the README's grid: Today, a customer, Streak, Badges, a challenge and Team, each at 390×844
  (phone) and 1280×800 (laptop), light and dark, English and German (the user's language set before
  signing in), as ``<page>-<phone|laptop>-<light|dark>-<en|de>.png`` at device scale 1.

``--only today,team`` limits the grid to some pages (the manifest's shots are then skipped).
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import clock, create_app  # noqa: E402
from app.cli import demo  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import User  # noqa: E402
from app.operations import accounts  # noqa: E402
from app.views import pwa  # noqa: E402

OUT = ROOT / "static" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
PASSWORD = "screenshot-password"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}

# The manifest's screenshots: (file, path, viewport, device scale); it announces these three.
MANIFEST_SHOTS = [
    ("today-narrow.png", "/", PHONE, 2),
    ("customers-narrow.png", "/customers/", PHONE, 2),
    ("today-wide.png", "/", LAPTOP, 1),
]
# The README's grid: page name, who signs in, and how to get there (a path, or a link to follow).
GRID = [
    ("today", demo.DEMO_REP, "/"),
    ("customer", demo.DEMO_REP, ("/customers/", ".customer-name")),
    ("streak", demo.DEMO_REP, "/streak/"),
    ("badges", demo.DEMO_REP, "/badges/"),
    ("challenge", demo.DEMO_REP, ("/challenges/", ".challenge-row a")),
    ("team", demo.COACH, "/team/"),
]
DEVICES = {"phone": PHONE, "laptop": LAPTOP}
SCHEMES = ("light", "dark")
LANGUAGES = {"en": "en-US", "de": "de-DE"}


class QuietHandler(WSGIRequestHandler):
    """A request handler that does not log every request."""

    def log_request(self, *args, **kwargs):  # noqa: D102
        pass


def sign_in(browser, base: str, email: str, viewport: dict, scale: int, locale: str):
    """Return a page of a new browser context, signed in as *email*."""
    mobile = viewport["width"] < 600
    context = browser.new_context(viewport=viewport, device_scale_factor=scale, locale=locale, is_mobile=mobile,
                                  has_touch=mobile, base_url=base, service_workers="block")
    page = context.new_page()
    page.goto("/login")
    page.fill("#f-email", email)
    page.fill("#f-password", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def shoot(page, name: str, viewport: dict, scale: int) -> None:
    """Save the page as it is now as static/screenshots/*name*, checking its size."""
    page.wait_for_load_state("networkidle")
    # caret="initial": hiding the caret injects a style that the strict CSP blocks.
    page.screenshot(path=str(OUT / name), caret="initial", animations="disabled")
    size = pwa.png_size(str(OUT / name))
    if size != (viewport["width"] * scale, viewport["height"] * scale):
        raise SystemExit(f"{name} is {size[0]}x{size[1]}, not {viewport['width'] * scale}x{viewport['height'] * scale}")
    print(f"{name:32} {size[0]}x{size[1]}  {(OUT / name).stat().st_size} bytes")


def go(page, where) -> None:
    """Open *where*: a path, or (path, selector) to follow the first link matching the selector there."""
    if isinstance(where, tuple):
        path, selector = where
        page.goto(path)
        page.goto(page.locator(selector).first.get_attribute("href"))
    else:
        page.goto(where)


def set_locale(app, email: str, lang: str | None) -> None:
    """Set the language of the user *email* (None: the browser's decides)."""
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == email))
        user.locale = lang
        db.session.commit()


def main(argv: list[str]) -> int:
    """Seed, serve, sign in and take the manifest's screenshots and the grid."""
    pages = set(argv[argv.index("--only") + 1].split(",")) if "--only" in argv else None
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="touchbase-shots-") as folder:
        app = create_app({"SECRET_KEY": "screenshots", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/demo.sqlite",
                          "RATELIMIT_ENABLED": False})
        with app.app_context():
            db.create_all()
            result = demo.seed(db.session, now=clock.now(), password_hash=accounts.hash_password(PASSWORD))
            for user in result.users:
                user.locale = None  # the browser's language (English) decides
            db.session.commit()
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                if pages is None:
                    for name, path, viewport, scale in MANIFEST_SHOTS:
                        page = sign_in(browser, base, demo.DEMO_REP, viewport, scale, "en-US")
                        page.goto(path)
                        shoot(page, name, viewport, scale)
                        page.context.close()
                grid = [row for row in GRID if pages is None or row[0] in pages]
                for lang, locale in LANGUAGES.items():
                    for email in dict.fromkeys(email for _, email, _ in grid):
                        set_locale(app, email, lang)
                        for device, viewport in DEVICES.items():
                            page = sign_in(browser, base, email, viewport, 1, locale)
                            for name, _, where in (row for row in grid if row[1] == email):
                                go(page, where)
                                for scheme in SCHEMES:
                                    page.emulate_media(color_scheme=scheme)
                                    shoot(page, f"{name}-{device}-{scheme}-{lang}.png", viewport, 1)
                            page.context.close()
                browser.close()
        finally:
            server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
