"""Shared helpers of the benchmarks: rows, statistics, throw-away databases, the bench app."""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import make_url

from app import clock, create_app
from app.extensions import db

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/touchbase_bench"


@dataclass(frozen=True)
class Row:
    """One line of bench/results.md."""

    benchmark: str
    figure: str
    goal: str
    measured: str
    note: str

    def as_dict(self) -> dict:
        """Return the row as a plain dict (for the JSON kept in bench/results/)."""
        return asdict(self)


def machine_note(database: str) -> str:
    """Describe where a figure was measured: database, CPUs, Python, date (from app.clock)."""
    return (f"{database}; {os.cpu_count()} CPUs; Python {platform.python_version()}; "
            f"{clock.now():%Y-%m-%d}")


def median(values: list[float]) -> float:
    """Return the median of *values*."""
    return statistics.median(values)


def p95(values: list[float]) -> float:
    """Return the 95th percentile of *values* (nearest rank)."""
    ordered = sorted(values)
    rank = max(1, round(0.95 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    """Format *seconds* as milliseconds."""
    return f"{seconds * 1000:.2f} ms"


def span(values: list[int]) -> str:
    """Format counts as one number when they are all equal, else as their range ("7–9")."""
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}–{high}"


def analyze(session) -> None:
    """Give PostgreSQL's planner statistics after a bulk load, as autovacuum does a live database."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("ANALYZE"))
        session.commit()


@contextlib.contextmanager
def sqlite_database() -> Iterator[tuple[str, str]]:
    """Yield ``(label, url)`` of a fresh SQLite file in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="touchbase-bench-") as folder:
        yield "SQLite", f"sqlite:///{Path(folder) / 'bench.sqlite'}"


def postgres_url() -> str:
    """Return the PostgreSQL URL to benchmark on: ``BENCH_DATABASE_URL`` or the local default."""
    return os.environ.get("BENCH_DATABASE_URL") or DEFAULT_POSTGRES_URL


def _maintenance_engine(url: str) -> sa.Engine:
    target = make_url(url)
    return sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT",
                            connect_args={"connect_timeout": 3})


def postgres_reachable(url: str | None = None) -> bool:
    """Tell whether the PostgreSQL server of *url* answers on this machine."""
    engine = _maintenance_engine(url or postgres_url())
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


@contextlib.contextmanager
def postgres_database(url: str | None = None) -> Iterator[tuple[str, str]]:
    """Create the (throw-away) database of *url*, yield ``(label, url)``, then drop it again."""
    url = url or postgres_url()
    name = make_url(url).database
    if not name or not name.startswith("touchbase_bench"):
        raise SystemExit(f"refusing to drop and recreate {name!r}: a bench database is named touchbase_bench*")
    engine = _maintenance_engine(url)
    quoted = '"' + name.replace('"', '""') + '"'
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
            conn.execute(sa.text(f"CREATE DATABASE {quoted}"))
        yield "PostgreSQL", url
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        engine.dispose()


def database_url_for(base: str, suffix: str) -> str:
    """Return *base* with the database renamed to ``<name>_<suffix>`` (own bench databases)."""
    url = make_url(base)
    return url.set(database=f"{url.database}_{suffix}").render_as_string(hide_password=False)


def databases(suffix: str | None = None) -> Iterator[contextlib.AbstractContextManager[tuple[str, str]]]:
    """Yield a context manager per database to run on: SQLite, and PostgreSQL when reachable.

    With *suffix*, the PostgreSQL database gets a name of its own (``…_<suffix>``).
    """
    yield sqlite_database()
    if postgres_reachable():
        yield postgres_database(database_url_for(postgres_url(), suffix) if suffix else None)
    else:
        print(f"  PostgreSQL at {make_url(postgres_url()).render_as_string(hide_password=True)} "
              "is not reachable: skipped")


def bench_app(url: str) -> Flask:
    """Create the real app on *url* with a fresh schema (rate limits off, CSRF on)."""
    app = create_app({
        "SECRET_KEY": "bench-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "RATELIMIT_ENABLED": False,
    })
    with app.app_context():
        db.create_all()
    return app


def dispose(app: Flask) -> None:
    """Close the app's connections, so its database can be dropped."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class StatementCounter:
    """Count the SQL statements an engine sends, with a ``before_cursor_execute`` event."""

    def __init__(self, engine: sa.Engine) -> None:
        self.count = 0
        sa.event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_args) -> None:
        self.count += 1

    def take(self) -> int:
        """Return the statements counted since the last call, and start again from zero."""
        count, self.count = self.count, 0
        return count
