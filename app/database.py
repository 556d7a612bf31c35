"""Engine tuning per database backend."""

from flask import current_app, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, scoped_session

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def configure_engine(engine: Engine) -> None:
    """Make SQLite transactional like PostgreSQL: foreign keys, WAL, a busy timeout, real BEGIN.

    pysqlite on its own begins a transaction only before the first INSERT or UPDATE and
    commits on the outermost RELEASE, so a savepoint around one insert would commit that
    insert on its own. With the driver's own handling off, SQLAlchemy emits BEGIN itself and
    savepoints nest inside the request's transaction. Writing requests (POST, PUT, PATCH,
    DELETE), views marked ``@writes`` and requests with a bearer token (which keep the token's
    last use) begin IMMEDIATE: they take the write lock up front and wait for it (busy timeout)
    instead of failing when another writer committed between their first read and their first
    write. Other reads and work outside a request begin DEFERRED, so an idle session never holds
    the write lock.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Connection):
        writing = connection.get_execution_options().get("sqlite_immediate") or writing_request()
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def writes(view):
    """Mark a view that may write though asked with GET (a challenge page fixing targets)."""
    view.writes_on_read = True
    return view


def writing_request() -> bool:
    """Tell whether the current request may write: its method, a ``@writes`` view, or a bearer token."""
    if not has_request_context():
        return False
    if request.method not in READ_ONLY_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if getattr(view, "writes_on_read", False):
        return True
    return request.headers.get("Authorization", "").strip().lower().startswith("bearer ")


def begin_write(session: Session) -> None:
    """Begin the session's next transaction as a writer (on SQLite: BEGIN IMMEDIATE).

    For work outside a request that reads and then writes while other processes write too
    (the push outbox): it waits for the write lock instead of failing on a stale snapshot.
    """
    real = session() if isinstance(session, scoped_session) else session
    if not real.in_transaction():
        real.connection(execution_options={"sqlite_immediate": True})


def insert_ignoring(session: Session, target, index_elements: list[str]):
    """Return ``INSERT INTO target … ON CONFLICT (index_elements) DO NOTHING`` for the session's database.

    PostgreSQL and SQLite only; None on any other database, where the caller inserts row by
    row in savepoints instead.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - other databases
        return None
    return insert(target).on_conflict_do_nothing(index_elements=index_elements)
