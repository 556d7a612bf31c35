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
with ``?part=``); never a request whose session has a message waiting (an undo toast is shown
once) or a remember-me cookie to set, and never inside a transaction already begun (a test's
unflushed writes could not be judged). A hit is answered by a WSGI middleware in front of
Flask: it reads the signed session cookie with the app's own serializer, checks the user row
with one autocommit query on a connection of its own, and answers with the kept body and the
headers the page was sent with (security headers included, cookies never). A miss goes on to
Flask as any request does, and the view keeps what it rendered. Kept pages are compressed once
per encoding.

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
from flask import Flask, Response, current_app, g, has_app_context, request, session
from itsdangerous import BadSignature
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.datastructures import Accept, LanguageAccept
from werkzeug.http import parse_accept_header, parse_cookie
from werkzeug.middleware.proxy_fix import ProxyFix

from . import clock
from .extensions import db

PAGE_PATH = "/"
PENDING = "touchbase.page_cache"  # the WSGI environ key of a miss that may keep its page
# Headers a kept page is sent with: all of the original response's but these.
_NOT_KEPT = frozenset({"set-cookie", "content-length", "content-encoding"})


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
    """Answer kept Today pages in front of Flask (``PAGE_CACHE_SIZE`` > 0).

    Call after every other ``init_app``: the middleware goes inside ProxyFix (the client's
    scheme is the proxy's), and its header capture runs after every other after-request hook.
    """
    size = int(app.config.get("PAGE_CACHE_SIZE", 0) or 0)
    if size <= 0:
        return
    app.extensions["page_cache"] = PageCache(size)
    inner = app.wsgi_app
    if isinstance(inner, ProxyFix):
        inner.app = Middleware(app, inner.app)
    else:
        app.wsgi_app = Middleware(app, inner)
    # After-request hooks run last registered first: at the front of the list, this one runs
    # after the security headers and compression, and sees the headers the browser gets.
    app.after_request_funcs.setdefault(None, []).insert(0, _capture)


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
        self.pid = os.getpid()
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


# The revision check in each driver's parameter style (SQLite: qmark, psycopg: pyformat).
_USER_SQL = {
    "qmark": 'SELECT session_token, page_revision, locale, timezone, day_start_hour FROM "user" WHERE id = ?',
    "format": 'SELECT session_token, page_revision, locale, timezone, day_start_hour FROM "user" WHERE id = %s',
    "pyformat": 'SELECT session_token, page_revision, locale, timezone, day_start_hour FROM "user" WHERE id = %s',
}


class Middleware:
    """WSGI middleware: answer ``GET /`` with a kept page when it is still right, else pass on."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self._connections: _Connections | None = None

    def __call__(self, environ, start_response):
        answer = self._answer(environ)
        if answer is None:
            return self.wsgi_app(environ, start_response)
        headers, body = answer
        start_response("200 OK", headers)
        return [body]

    def _answer(self, environ) -> tuple[list[tuple[str, str]], bytes] | None:
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("PATH_INFO") != PAGE_PATH:
            return None
        if environ.get("QUERY_STRING"):
            return None  # ?part=… asks for a fragment; Today without a query is the whole page
        app = self.app
        data = self._session(environ)
        login = data.get("_user_id")
        if not login or "_flashes" in data or "_remember" in data:
            return None
        if has_app_context() and db.session.registry.has() and db.session().in_transaction():
            return None
        user_id, _sep, token = str(login).partition(":")
        if not user_id.isdigit() or not token:
            return None
        row = self.connections().user_row(int(user_id))
        if row is None or row[0] != token:
            return None  # Flask's user loader logs the stale session out
        _token, revision, locale, timezone, day_start_hour = row
        today = clock.local_day(clock.now(), timezone, day_start_hour)
        if not locale:
            accepted = parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept)
            locale = accepted.best_match(app.config["LANGUAGES"])
        key = (int(user_id), token, locale, environ.get("wsgi.url_scheme"))
        pages: PageCache = app.extensions["page_cache"]
        # A session's first page makes its CSRF token, which the page embeds: kept from then on.
        csrf_token = data.get("csrf_token")
        entry = pages.get(key + (csrf_token,)) if csrf_token else None
        if entry is not None and entry.revision == revision and entry.today == today:
            pages.hits += 1
            return self._respond(entry, environ)
        environ[PENDING] = Pending(key, revision, today)
        return None

    def connections(self) -> _Connections:
        """Return this process's connections for the revision check (a forked worker makes its own)."""
        connections = self._connections
        if connections is None or connections.pid != os.getpid():
            with self.app.app_context():
                connections = _Connections(db.engine)
            event.listen(connections.engine, "engine_disposed", lambda _engine: connections.close())
            self._connections = connections
        return connections

    def _session(self, environ) -> dict:
        """Read the signed session cookie as Flask's session interface does; {} when absent or forged."""
        app = self.app
        interface = app.session_interface
        value = parse_cookie(environ).get(interface.get_cookie_name(app))
        serializer = interface.get_signing_serializer(app)
        if not value or serializer is None:
            return {}
        try:
            return serializer.loads(value, max_age=int(app.permanent_session_lifetime.total_seconds()))
        except BadSignature:
            return {}

    def _respond(self, entry: Entry, environ) -> tuple[list[tuple[str, str]], bytes]:
        """Return the kept headers and body, compressed as the browser accepts (once per entry)."""
        headers = list(entry.headers)
        body = entry.body
        accepted = parse_accept_header(environ.get("HTTP_ACCEPT_ENCODING"), Accept)
        encoding = accepted.best_match(self.app.config["COMPRESS_ALGORITHM"]) if accepted else None
        if encoding in ("br", "gzip"):
            body = entry.compressed.get(encoding)
            if body is None:
                config = self.app.config
                body = entry.compressed[encoding] = (
                    brotli.compress(entry.body, quality=config["COMPRESS_BR_LEVEL"]) if encoding == "br"
                    else gzip.compress(entry.body, compresslevel=config["COMPRESS_LEVEL"]))
            headers.append(("Content-Encoding", encoding))
        headers.append(("Content-Length", str(len(body))))
        return headers, body


def keep(response: Response, *, today: date) -> Response:
    """Mark the full page *response* to be kept for the request's session, if the request may.

    The page is kept by ``_capture``, once every after-request hook has set its headers.
    """
    pending: Pending | None = request.environ.get(PENDING)
    if pending is None or pending.today != today or response.status_code != 200:
        return response
    csrf_token = session.get("csrf_token")
    if not csrf_token or "_flashes" in session:
        return response
    g.page_cache_keep = (pending, csrf_token, response.get_data())
    return response


def _capture(response: Response) -> Response:
    """Keep the page marked by ``keep`` with the headers the browser gets (no cookies)."""
    marked = g.pop("page_cache_keep", None)
    if marked is None or response.status_code != 200:
        return response
    pending, csrf_token, body = marked
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _NOT_KEPT and k.lower() != "vary"]
    # Flask adds "Vary: Cookie" when it saves the session, after this hook: so does the cache.
    vary = [v.strip() for v in response.headers.get("Vary", "").split(",") if v.strip()]
    if session.accessed and "Cookie" not in vary:
        vary.append("Cookie")
    if vary:
        headers.append(("Vary", ", ".join(vary)))
    entry = Entry(pending.revision, pending.today, body, tuple(headers))
    current_app.extensions["page_cache"].put(pending.key + (csrf_token,), entry)
    return response
