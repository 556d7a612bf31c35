"""Take the web app manifest's screenshots of the real app, filled with the demo data.

Run ``.venv/bin/python tools/make_screenshots.py``; commit static/screenshots/*.png. It seeds the
demo organisation into a throw-away SQLite file, serves the app on 127.0.0.1, signs in as the
demo rep Lena Hoffmann (a 50-day streak; shown in English) in headless Chromium and saves Today and Customers at phone size
(narrow) and Today at laptop size (wide), as the manifest's ``screenshots`` announce them.
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

OUT = ROOT / "static" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
EMAIL = "lena@nordlicht.example"
PASSWORD = "screenshot-password"

# (file, path, viewport, device scale)
SHOTS = [
    ("today-narrow.png", "/", {"width": 390, "height": 844}, 2),
    ("customers-narrow.png", "/customers/", {"width": 390, "height": 844}, 2),
    ("today-wide.png", "/", {"width": 1280, "height": 800}, 1),
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
                for name, path, viewport, scale in SHOTS:
                    context = browser.new_context(viewport=viewport, device_scale_factor=scale, locale="en-US",
                                                  is_mobile=viewport["width"] < 600, has_touch=viewport["width"] < 600,
                                                  base_url=base, service_workers="block")
                    page = context.new_page()
                    page.goto("/login")
                    page.fill("#f-email", EMAIL)
                    page.fill("#f-password", PASSWORD)
                    page.locator("form button[type=submit]").first.click()
                    page.wait_for_url(lambda url: "/login" not in url)
                    page.goto(path)
                    page.wait_for_load_state("networkidle")
                    # caret="initial": hiding the caret injects a style that the strict CSP blocks.
                    page.screenshot(path=str(OUT / name), caret="initial")
                    print(f"{name:22} {viewport['width'] * scale}x{viewport['height'] * scale}  "
                          f"{(OUT / name).stat().st_size} bytes")
                    context.close()
                browser.close()
        finally:
            server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
