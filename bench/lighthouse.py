"""Lighthouse on seven pages (Today, Customers, Streak, Badges, Team, Trends, a 1:1 sheet) and the signed-out
landing page; Today's first-load bytes.

The demo organisation (``app.cli.demo``) is seeded into a throw-away SQLite file and served by the
real app (compression and cached static files on) on 127.0.0.1. The coach Katrin Albers signs
in through the login form; her session cookie goes to Lighthouse with ``--extra-headers``.

- Lighthouse 12.2.3 (npm, pinned in package-lock.json; ``npm ci``) with its default mobile
  preset (a mid-range phone, simulated slow 4G) and Debian's Chromium (``CHROME_PATH``), three
  times per page: performance, accessibility and best practices, goal >= 95 each (the median;
  the lowest run in brackets). Audits that lost points are printed.
- The first load of Today in a fresh Chromium profile (phone size, no cache, no service worker
  yet): the sum of ``encodedDataLength`` of every response the page received (DevTools
  ``Network.loadingFinished``), i.e. the compressed bytes on the wire including headers, goal
  <= 60 KB. The service worker's precache of the app shell runs after the page has loaded, in
  the worker, and is reported on its own line.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess  # nosec B404  # runs the pinned Lighthouse CLI with fixed arguments
import tempfile
import threading
from pathlib import Path

import requests
from werkzeug.serving import make_server

from app import ROOT, clock, create_app
from app.cli import demo
from app.extensions import db
from app.operations import accounts

from .common import Row, machine_note, median

NAME = "lighthouse"
CHROMIUM = "/usr/bin/chromium"
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking "
                "--disable-component-update --no-first-run")
CATEGORIES = ("performance", "accessibility", "best-practices")
# {rep}: the demo rep's id (her 1:1 sheet, as her coach opens it).
PAGES = (("Today", "/"), ("Customers", "/customers/"), ("Streak", "/streak/"), ("Badges", "/badges/"),
         ("Team", "/team/"), ("Trends", "/team/trends"), ("1:1 sheet", "/team/reps/{rep}/sheet"))
# Pages a signed-out visitor sees (no session cookie): the front door.
SIGNED_OUT_PAGES = (("Landing", "/"),)
COACH = "katrin@nordlicht.example"
PASSWORD = "lighthouse-bench"
SCORE_GOAL = 95
# Lighthouse scales its simulated slow phone by this machine's speed at the moment, so one run
# on a busy shared machine can be far off: each page runs three times, the median is the figure.
RUNS = 3
BYTES_GOAL = 60 * 1024


class DemoServer:
    """The real app on the seeded demo data, served on a free port of 127.0.0.1."""

    def __init__(self) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix="touchbase-lighthouse-")
        self.app = create_app({
            "SECRET_KEY": "lighthouse-bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{self.folder.name}/demo.sqlite",
            "RATELIMIT_ENABLED": False,
        })
        with self.app.app_context():
            db.create_all()
            seeded = demo.seed(db.session, now=clock.now(), password_hash=accounts.hash_password(PASSWORD))
            db.session.commit()
            self.rep_id = next(u.id for u in seeded.users if u.email == demo.DEMO_REP)
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> DemoServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        with self.app.app_context():
            db.engine.dispose()
        self.folder.cleanup()

    def session_cookie(self, email: str) -> tuple[str, str]:
        """Sign *email* in through the login form; return the session cookie's name and value."""
        client = requests.Session()
        page = client.get(f"{self.url}/login", timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        answer = client.post(f"{self.url}/login", data={"csrf_token": token, "email": email, "password": PASSWORD},
                             allow_redirects=False, timeout=10)
        if answer.status_code != 302:
            raise RuntimeError(f"signing in failed: {answer.status_code}")
        name = self.app.config["SESSION_COOKIE_NAME"]
        return name, client.cookies[name]


def lighthouse(url: str, cookie: tuple[str, str] | None, out: Path) -> dict:
    """Run Lighthouse on *url* with the session *cookie* (None: signed out); return its JSON report."""
    if not LIGHTHOUSE.exists():
        raise SystemExit(f"{LIGHTHOUSE} is missing: run `npm ci` (make bench does)")
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    command = [
        str(LIGHTHOUSE), url, f"--chrome-flags={CHROME_FLAGS}",
        f"--only-categories={','.join(CATEGORIES)}", "--output=json", f"--output-path={out}", "--quiet",
    ]
    if cookie is not None:
        command.append(f"--extra-headers={json.dumps({'Cookie': f'{cookie[0]}={cookie[1]}'})}")
    # Lighthouse now and then fails to record the trace of a page load (NO_NAVSTART): a run
    # that fails is run once more before the benchmark gives up.
    for attempt in (1, 2):
        done = subprocess.run(command, check=attempt == 2, env=env, timeout=240)  # nosec B603  # fixed arguments
        if done.returncode == 0:
            break
        print(f"  Lighthouse failed on {url} (exit {done.returncode}): running it once more", flush=True)
    return json.loads(out.read_text())


def lost_points(report: dict) -> list[str]:
    """Return the weighted audits of the report that did not score full marks."""
    lost = []
    for name in CATEGORIES:
        for ref in report["categories"][name]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref.get("weight") and audit.get("score") is not None and audit["score"] < 1:
                lost.append(f"{name}: {audit['id']} ({audit['score']:.2f}) {audit.get('displayValue', '')}".strip())
    return lost


def first_load_bytes(server: DemoServer, cookie: tuple[str, str]) -> tuple[int, list[tuple[str, int]], int]:
    """Load Today once in a fresh phone-sized profile; return (page bytes, per response, worker bytes)."""
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                      device_scale_factor=3, locale="en-US")
        context.add_cookies([{"name": cookie[0], "value": cookie[1], "url": server.url}])
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        urls: dict[str, str] = {}
        sizes: dict[str, int] = {}
        cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
        cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])))
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        page.goto(server.url + "/", wait_until="load")
        page.wait_for_load_state("networkidle")
        per_response = sorted(((urls.get(rid, rid).replace(server.url, ""), size) for rid, size in sizes.items()),
                              key=lambda item: -item[1])
        total = sum(sizes.values())
        # The worker's precache, measured by what it stored (uncompressed bodies).
        worker = page.evaluate("""async () => {
          const registration = await navigator.serviceWorker.ready;
          for (let i = 0; i < 50; i++) {
            const names = await caches.keys();
            if (names.length) {
              const cache = await caches.open(names[0]);
              const keys = await cache.keys();
              if (keys.length >= 7) {
                let bytes = 0;
                for (const key of keys) { bytes += (await (await cache.match(key, {ignoreVary: true})).arrayBuffer()).byteLength; }
                return bytes;
              }
            }
            await new Promise(r => setTimeout(r, 100));
          }
          return 0;
        }""")
        browser.close()
    return total, per_response, worker


def page_row(server: DemoServer, cookie: tuple[str, str] | None, folder: str, label: str, path: str,
             note: str) -> Row:
    """Run Lighthouse ``RUNS`` times on one page; print the runs and return its row (median, lowest)."""
    runs: list[dict[str, int]] = []
    for attempt in range(RUNS):
        report = lighthouse(server.url + path, cookie, Path(folder) / f"{label}-{attempt}.json")
        final = report.get("finalDisplayedUrl") or report.get("finalUrl", "")
        if "/login" in final and cookie is not None:
            raise RuntimeError(f"Lighthouse saw the login page instead of {path}")
        scores = {name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES}
        runs.append(scores)
        print(f"  {label:10} run {attempt + 1}: " + "  ".join(f"{n} {s}" for n, s in scores.items()), flush=True)
        for line in lost_points(report):
            print(f"      - {line}")
    medians = {name: round(median([run[name] for run in runs])) for name in CATEGORIES}
    lowest = {name: min(run[name] for run in runs) for name in CATEGORIES}
    who = "as a coach" if cookie is not None else "signed out"
    return Row(NAME, f"{label} ({path}) {who}: performance / accessibility / best practices, "
                     f"median of {RUNS} runs (lowest)",
               f"≥ {SCORE_GOAL} each", " / ".join(f"{medians[name]} ({lowest[name]})" for name in CATEGORIES), note)


def run() -> list[Row]:
    """Seed the demo, run Lighthouse on each of ``PAGES``, measure Today's first load; return the rows."""
    if shutil.which("node") is None:
        raise SystemExit("Node.js is needed for Lighthouse")
    rows: list[Row] = []
    note = machine_note("SQLite") + "; Lighthouse 12.2.3, mobile preset, Chromium " + _chromium_version()
    with DemoServer() as server, tempfile.TemporaryDirectory(prefix="touchbase-lh-") as folder:
        cookie = server.session_cookie(COACH)
        for label, page in PAGES:
            rows.append(page_row(server, cookie, folder, label, page.format(rep=server.rep_id), note))
        for label, page in SIGNED_OUT_PAGES:
            rows.append(page_row(server, None, folder, label, page, note))
        total, per_response, worker = first_load_bytes(server, cookie)
    for url, size in per_response:
        print(f"      {size:7,} B  {url}")
    print(f"  first load of Today: {total / 1024:.1f} KB in {len(per_response)} responses; "
          f"service worker precache afterwards: {worker / 1024:.1f} KB uncompressed")
    rows.append(Row(NAME, f"first load of Today, bytes transferred (compressed, with headers; "
                          f"{len(per_response)} responses: HTML, CSS, JS, icon; no web fonts)",
                    f"≤ {BYTES_GOAL // 1024} KB", f"{total / 1024:.1f} KB", note))
    rows.append(Row(NAME, "then the service worker's precache of the app shell (uncompressed, in the background)",
                    "report", f"{worker / 1024:.1f} KB", note))
    return rows


def _chromium_version() -> str:
    try:
        out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30).stdout  # nosec B603
    except (OSError, subprocess.SubprocessError):
        return "?"
    match = re.search(r"(\d+)\.", out)
    return match.group(1) if match else "?"
