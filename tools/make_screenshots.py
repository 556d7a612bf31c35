"""Take the screenshots of the real app, filled with the demo data as of now.

Run ``.venv/bin/python tools/make_screenshots.py``; commit static/screenshots/*.png. It seeds the
demo organisation into a throw-away SQLite file, serves the app on 127.0.0.1 and, in headless
Chromium (English), signs in as the demo rep Lena Hoffmann (a streak of several weeks, today's goal
partly done, the team in crisis mode) for the web app manifest's ``screenshots``: Today and
Customers at phone size (narrow, 780×1688) and Today at laptop size (wide, 1280×800); and as
the coach Katrin Albers for the README's picture of the team page (the quiet radar).
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import clock, create_app  # noqa: E402
from app.cli import demo  # noqa: E402
from app.extensions import db  # noqa: E402
from app.operations import accounts  # noqa: E402
from app.views import pwa  # noqa: E402

OUT = ROOT / "static" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
PASSWORD = "screenshot-password"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}

# (file, who signs in, path, viewport, device scale); the manifest announces the first three.
SHOTS = [
    ("today-narrow.png", demo.DEMO_REP, "/", PHONE, 2),
    ("customers-narrow.png", demo.DEMO_REP, "/customers/", PHONE, 2),
    ("today-wide.png", demo.DEMO_REP, "/", LAPTOP, 1),
    ("team-narrow.png", demo.COACH, "/team/", PHONE, 2),
]


def main() -> int:
    """Seed, serve, sign in and take every screenshot in ``SHOTS``."""
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
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                for name, email, path, viewport, scale in SHOTS:
                    context = browser.new_context(viewport=viewport, device_scale_factor=scale, locale="en-US",
                                                  is_mobile=viewport["width"] < 600, has_touch=viewport["width"] < 600,
                                                  base_url=base, service_workers="block")
                    page = context.new_page()
                    page.goto("/login")
                    page.fill("#f-email", email)
                    page.fill("#f-password", PASSWORD)
                    page.locator("form button[type=submit]").first.click()
                    page.wait_for_url(lambda url: "/login" not in url)
                    page.goto(path)
                    page.wait_for_load_state("networkidle")
                    # caret="initial": hiding the caret injects a style that the strict CSP blocks.
                    page.screenshot(path=str(OUT / name), caret="initial")
                    size = pwa.png_size(str(OUT / name))
                    if size != (viewport["width"] * scale, viewport["height"] * scale):
                        raise SystemExit(f"{name} is {size[0]}x{size[1]}, not the size announced")
                    print(f"{name:22} {size[0]}x{size[1]}  {(OUT / name).stat().st_size} bytes")
                    context.close()
                browser.close()
        finally:
            server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
