"""A per-process cache of rendered Today pages, served while the user's page revision holds.

Today is the page a rep opens several times a day, and most of those times nothing on it has
changed. Rendering it costs a handful of queries and a template walk; checking whether it
changed costs one primary-key read of the user row, because every write to what the page shows
raises ``user.page_revision`` in the same transaction (database triggers, app/revisions.py).

A kept page is served when all of these still hold:

- the session is the one it was rendered for: same user, same session token (a logout or a
  password change rotates it) and same CSRF token, which the page embeds;
- the user's page revision is the one it was rendered at;
- the rep's local day is the same (warmth, streak risk, the idea of the day change with it);
- the language is the same (the user's setting, else the browser's ``Accept-Language``).

Only ``GET /`` without a query string is served this way, the whole page (htmx fragments ask
with ``?part=``); never a request with a message waiting (an undo toast is shown once), and
never inside a transaction already begun (a test's unflushed writes could not be judged). The
check reads the user row with one autocommit query on a connection of its own and skips
Flask-Login's ORM load, the rate limiter and the view; a miss falls through to the normal
request, which keeps what it rendered. Kept pages are compressed once per encoding.

Entries live per process, at most ``PAGE_CACHE_SIZE`` of them (0 switches the cache off), least
recently used out first. Nothing is shared between processes or instances: each one checks
the revision in the database, so several gunicorn instances stay correct without coordination.
"""

from __future__ import annotations

import gzip
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date

import brotli
from flask import Flask, Response, current_app, g, request, session
from sqlalchemy import event
from sqlalchemy.engine import Engine

from . import clock, i18n
from .extensions import db

PAGE_PATH = "/"


@dataclass(frozen=True)
class Entry:
    """A rendered page and what it was rendered at; its compressed forms are added when first asked for."""

    revision: int
    today: date
    body: bytes
    headers: tuple[tuple[str, str], ...]
    compressed: dict[str, bytes] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Pending:
    """What a request that missed the cache may keep its page under (the key without the CSRF token)."""

    key: tuple
    revision: int
    today: date


class PageCache:
    """A bounded, thread-safe LRU map from a session key to an ``Entry``."""

    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict[tuple, Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple, entry: Entry) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def init_app(app: Flask) -> None:
    """Serve kept Today pages before any other request hook runs (``PAGE_CACHE_SIZE`` > 0)."""
    size = int(app.config.get("PAGE_CACHE_SIZE", 0) or 0)
    if size <= 0:
        return
    app.extensions["page_cache"] = PageCache(size)
    # First of all before-request hooks: a hit answers before the limiter or the user loader run.
    app.before_request_funcs.setdefault(None, []).insert(0, _serve)


def cache() -> PageCache | None:
    """Return the app's page cache, or None when it is off."""
    return current_app.extensions.get("page_cache")


class _Connections:
    """Autocommit connections of one engine for the revision check, kept apart from the pool.

    A check is one primary-key read; the session pool's checkout, reset and return cost as
    much client time as the query itself. These connections are plain DBAPI connections
    (made through the engine, so its connect hooks run) in autocommit mode, handed out from a
    free list: at most one per request thread at a time. A process only uses its own: a
    forked worker never touches its parent's.
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self.free: list = []
        self.postgres = engine.dialect.name == "postgresql"
        self.sql = _USER_SQL[engine.dialect.paramstyle]
        self.errors = engine.dialect.loaded_dbapi.Error

    def _new(self):
        pooled = self.engine.raw_connection()
        connection = pooled.driver_connection
        pooled.detach()  # ours from now on: the pool neither resets nor counts it
        if self.postgres:
            connection.autocommit = True
        return connection

    def user_row(self, user_id: int):
        """Read the session check and page revision of *user_id*; retry once on a broken connection."""
        for attempt in (1, 2):
            connection = self.free.pop() if self.free else self._new()
            try:
                cursor = connection.cursor()
                cursor.execute(self.sql, (user_id,))
                row = cursor.fetchone()
                cursor.close()
            except self.errors:
                _close_quietly(connection)
                if attempt == 2:
                    raise
                continue
            self.free.append(connection)
            return row
        return None  # not reached

    def close(self) -> None:
        while self.free:
            _close_quietly(self.free.pop())


def _close_quietly(connection) -> None:
    try:
        connection.close()
    except Exception:  # nosec B110  # a broken connection may fail to close; it is dropped either way
        pass


_connections: dict[tuple[int, int], _Connections] = {}
_connections_lock = threading.Lock()


def _user_row(user_id: int):
    """Read the session check and page revision of *user_id*: one query, no transaction."""
    engine = db.engine
    key = (id(engine), os.getpid())
    connections = _connections.get(key)
    if connections is None:
        with _connections_lock:
            connections = _connections.get(key)
            if connections is None:
                connections = _connections[key] = _Connections(engine)
                event.listen(engine, "engine_disposed", lambda _engine: connections.close())
    return connections.user_row(user_id)


# The revision check in each driver's parameter style (SQLite: qmark, psycopg: pyformat).
_USER_SQL = {
    "qmark": 'SELECT session_token, page_revision, locale, timezone, day_start_hour FROM "user" WHERE id = ?',
    "format": 'SELECT session_token, page_revision, locale, timezone, day_start_hour FROM "user" WHERE id = %s',
    "pyformat": 'SELECT session_token, page_revision, locale, timezone, day_start_hour FROM "user" WHERE id = %s',
}


def _serve() -> Response | None:
    """Answer ``GET /`` from the cache when the kept page is still right; else note how to keep it."""
    # Without a query string Today is always the whole page, boosted navigation included.
    if request.method != "GET" or request.path != PAGE_PATH or request.query_string:
        return None
    login = session.get("_user_id")
    if not login or "_flashes" in session:
        return None
    if db.session.registry.has() and db.session().in_transaction():
        return None
    user_id, _sep, token = str(login).partition(":")
    if not user_id.isdigit() or not token:
        return None
    row = _user_row(int(user_id))
    if row is None or row[0] != token:
        return None  # the normal path logs the stale session out
    _token, revision, locale, timezone, day_start_hour = row
    today = clock.local_day(clock.now(), timezone, day_start_hour)
    key = (int(user_id), token, i18n.locale_for(locale))
    pages = current_app.extensions["page_cache"]
    # A session's first page makes its CSRF token, which the page embeds: kept from then on.
    csrf_token = session.get("csrf_token")
    entry = pages.get(key + (csrf_token,)) if csrf_token else None
    if entry is not None and entry.revision == revision and entry.today == today:
        pages.hits += 1
        g.page_cache_hit = True
        return _response(entry)
    pages.misses += 1
    g.page_cache_pending = Pending(key, revision, today)
    return None


def _response(entry: Entry) -> Response:
    """Answer with *entry*, compressed as the browser accepts: once per entry, not per request."""
    response = current_app.response_class(entry.body, headers=list(entry.headers))
    encoding = request.accept_encodings.best_match(current_app.config["COMPRESS_ALGORITHM"])
    if encoding in ("br", "gzip"):
        body = entry.compressed.get(encoding)
        if body is None:
            body = entry.compressed[encoding] = (
                brotli.compress(entry.body, quality=current_app.config["COMPRESS_BR_LEVEL"]) if encoding == "br"
                else gzip.compress(entry.body, compresslevel=current_app.config["COMPRESS_LEVEL"]))
        response.set_data(body)
        response.headers["Content-Encoding"] = encoding  # Flask-Compress leaves it alone
        response.vary.add("Accept-Encoding")
    return response


def keep(response: Response, *, today: date) -> Response:
    """Keep the full page *response* for the request's session, if the request may."""
    pending: Pending | None = g.get("page_cache_pending")
    if pending is None or pending.today != today or response.status_code != 200:
        return response
    if "_flashes" in session:  # rendering it showed a message once; the next view must not
        return response
    csrf_token = session.get("csrf_token")
    if not csrf_token:
        return response
    headers = tuple((k, v) for k, v in response.headers.items() if k.lower() in ("content-type", "vary"))
    entry = Entry(pending.revision, today, response.get_data(), headers)
    current_app.extensions["page_cache"].put(pending.key + (csrf_token,), entry)
    return response


def served_from_cache() -> bool:
    """Tell whether this request was answered from the cache (it never loaded the user)."""
    return bool(g.get("page_cache_hit"))
