"""The development scheduler: ``flask nudges run`` every minute inside ``make run``.

Production runs ``flask nudges run`` from cron or a systemd timer instead (README, "Reminders").
The scheduler is a daemon thread that the app starts only when ``SCHEDULER_ENABLED`` is true
(the Makefile's ``run`` target sets ``TOUCHBASE_SCHEDULER_ENABLED=true`` for ``flask run`` only),
never while testing and never in production. No lock is needed when several processes run it:
the outbox is race-safe (unique dedup keys, rows claimed with ``FOR UPDATE SKIP LOCKED``).
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import datetime

from flask import Flask

from . import clock
from .nudges import snapshot
from .push import outbox
from .extensions import db

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 60
_EXTENSION = "touchbase.scheduler"


class Scheduler:
    """Run one nudge scan and outbox pass every `INTERVAL_SECONDS`, each in its own app context."""

    def __init__(self, app: Flask, interval: float = INTERVAL_SECONDS) -> None:
        self.app = app
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self, now: datetime | None = None) -> outbox.RunReport:
        """Scan and send once, as ``flask nudges run`` does; return the report."""
        with self.app.app_context():
            try:
                return outbox.run(db.session, at=now or clock.now(), scan=snapshot.scan)
            except Exception:
                db.session.rollback()
                raise

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                report = self.tick()
                if report.enqueued or report.claimed:
                    log.info("scheduler: %d enqueued, %d sent, %d to retry, %d failed",
                             report.enqueued, report.sent, report.retried, report.failed)
            except Exception:  # keep the dev server's reminders alive after a bad minute
                log.exception("scheduler: nudges run failed")
            self._stop.wait(self.interval)

    def start(self) -> None:
        """Start the background thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="nudge-scheduler", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        """Ask the thread to stop and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        """Tell whether the thread is alive."""
        return self._thread is not None and self._thread.is_alive()


def wanted(app: Flask, environ: dict[str, str]) -> bool:
    """Tell whether *app* should run the scheduler: enabled, not testing, not production.

    Under Flask's debug reloader only the serving child process runs it, not the watcher.
    """
    if not app.config.get("SCHEDULER_ENABLED") or app.testing or app.config.get("ENV") == "production":
        return False
    reloading = environ.get("FLASK_DEBUG", "").lower() in ("1", "true")
    if reloading and environ.get("WERKZEUG_RUN_MAIN") != "true":  # the reloader's watcher process
        return False
    return True


def init_app(app: Flask, environ: dict[str, str] | None = None) -> Scheduler | None:
    """Start the scheduler for *app* when `wanted`; return it (kept in ``app.extensions``)."""
    if not wanted(app, dict(os.environ) if environ is None else environ):
        return None
    scheduler = Scheduler(app)
    app.extensions[_EXTENSION] = scheduler
    scheduler.start()
    log.info("nudge scheduler started: flask nudges run every %d s", INTERVAL_SECONDS)
    return scheduler
