"""Page revisions: a counter on each user that every write to what their Today page shows raises.

Database triggers raise the counter in the transaction of the write itself, so no write path
can forget it: the app's operations, the CLI, a bulk import and an SQL console all raise it
alike. The Today page cache (app/page_cache.py) serves a rendered page only while the counter
it was rendered at is still the user's.

``DEPENDENCIES`` lists what Today reads, and whose Today page a changed row belongs to:

- the rep's own rows: touches, customers owned, the kept streak, away periods, points;
- the team (crisis banner, tightened cadences) and its holidays, for every member;
- a customer's name, for everyone whose recent touches show it (a customer can change owner);
- the user row itself (goal, time zone, language, workdays, team): any update of it that does
  not set the counter raises it.

SQLite runs the triggers per row. PostgreSQL runs them per statement over the changed rows
(transition tables) and raises each user's counter once per transaction
(``page_revision_xact``): a touch writes four rows on the rep's page, and four new versions of
the user row would each be one more for the following statements to step over.

Lock order on PostgreSQL: raising a counter takes the user row's ``FOR NO KEY UPDATE`` lock,
the lock a rep's own writes take first (``awards.lock_rep``). An operation that changes rows
on *other* users' pages must lock those users first (``lock_users``), before it writes, or it
could deadlock with one of their touches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Dependency:
    """Rows of *table* are on the Today pages of the users that *users* selects.

    *users* is a SELECT of user ids ``FROM {rows} r``, where ``r`` is a changed row with the
    columns *uses*. *columns* limits an UPDATE dependency to changes of those columns.
    """

    name: str
    table: str
    users: str
    uses: tuple[str, ...]
    events: tuple[str, ...] = ("INSERT", "UPDATE", "DELETE")
    columns: tuple[str, ...] = ()


_MEMBERS = 'SELECT u.id FROM {rows} r JOIN "user" u ON u.team_id = r.'

DEPENDENCIES: tuple[Dependency, ...] = (
    Dependency("touch", "touch", "SELECT r.user_id FROM {rows} r", ("user_id",)),
    Dependency("customer", "customer", "SELECT r.owner_id FROM {rows} r", ("owner_id",)),
    Dependency("customer_name", "customer", "SELECT t.user_id FROM {rows} r JOIN touch t ON t.customer_id = r.id",
               ("id",), events=("UPDATE",), columns=("name",)),
    Dependency("streak_state", "streak_state", "SELECT r.user_id FROM {rows} r", ("user_id",)),
    Dependency("away_period", "away_period", "SELECT r.user_id FROM {rows} r", ("user_id",)),
    Dependency("points_entry", "points_entry", "SELECT r.user_id FROM {rows} r", ("user_id",)),
    Dependency("team_holiday", "team_holiday", _MEMBERS + "team_id", ("team_id",)),
    Dependency("team", "team", _MEMBERS + "id", ("id",), events=("UPDATE", "DELETE")),
)

_RAISE = 'UPDATE "user" SET page_revision = page_revision + 1 WHERE id IN '
# PostgreSQL: a transaction raises each counter once. Every further UPDATE of the same row in
# one transaction would add a row version that the next statements have to step over.
_RAISE_ONCE = ('UPDATE "user" SET page_revision = page_revision + 1, page_revision_xact = txid_current() '
               "WHERE page_revision_xact IS DISTINCT FROM txid_current() AND id IN ")


def _sides(event: str) -> tuple[str, ...]:
    return {"INSERT": ("NEW",), "DELETE": ("OLD",), "UPDATE": ("OLD", "NEW")}[event]


def sqlite_ddl() -> list[str]:
    """Return the SQLite triggers (per row)."""
    ddl = []
    for dep in DEPENDENCIES:
        for event in dep.events:
            sides = ("NEW",) if dep.columns else _sides(event)
            users = " UNION ".join(
                dep.users.format(rows="(SELECT " + ", ".join(f"{side}.{c} AS {c}" for c in dep.uses) + ")")
                for side in sides
            )
            of = f" OF {', '.join(dep.columns)}" if dep.columns else ""
            when = (" WHEN " + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in dep.columns)) if dep.columns else ""
            ddl.append(f"CREATE TRIGGER IF NOT EXISTS page_revision_{dep.name}_{event.lower()} "
                       f'AFTER {event}{of} ON "{dep.table}"{when} BEGIN {_RAISE}({users}); END')
    # Any update of the user row that leaves the counter alone raises it (recursive triggers
    # are off in SQLite; the WHEN clause would stop a recursion anyway).
    ddl.append('CREATE TRIGGER IF NOT EXISTS page_revision_user AFTER UPDATE ON "user" '
               f"WHEN NEW.page_revision = OLD.page_revision BEGIN {_RAISE}(NEW.id); END")
    return ddl


def postgresql_ddl() -> list[str]:
    """Return the PostgreSQL functions and triggers (per statement, over transition tables)."""
    ddl = []
    for dep in DEPENDENCIES:
        for event in dep.events:
            name = f"page_revision_{dep.name}_{event.lower()}"
            sides = _sides(event)
            referencing = " ".join(f"{side} TABLE AS {side.lower()}_rows" for side in sides)
            if dep.columns:
                # DDL made from DEPENDENCIES alone, no input.
                changed = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in dep.columns)
                sources = [f"(SELECT n.* FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE {changed})"]  # nosec B608
            else:
                sources = [f"{side.lower()}_rows" for side in sides]
            users = " UNION ".join(dep.users.format(rows=source) for source in sources)
            ddl.append(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                       f"BEGIN {_RAISE_ONCE}({users}); RETURN NULL; END $$")
            ddl.append(f'CREATE OR REPLACE TRIGGER {name} AFTER {event} ON "{dep.table}" REFERENCING {referencing} '
                       f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()")
    ddl.append("CREATE OR REPLACE FUNCTION page_revision_user() RETURNS trigger LANGUAGE plpgsql AS $$ "
               "BEGIN IF NEW.page_revision = OLD.page_revision "
               "AND OLD.page_revision_xact IS DISTINCT FROM txid_current() THEN "
               "NEW.page_revision := OLD.page_revision + 1; NEW.page_revision_xact := txid_current(); "
               "END IF; RETURN NEW; END $$")
    ddl.append('CREATE OR REPLACE TRIGGER page_revision_user BEFORE UPDATE ON "user" FOR EACH ROW '
               "EXECUTE FUNCTION page_revision_user()")
    return ddl


def install(connection: Connection) -> None:
    """Create the triggers on *connection*'s database (after the tables exist)."""
    ddl = {"sqlite": sqlite_ddl, "postgresql": postgresql_ddl}.get(connection.dialect.name)
    if ddl is None:
        return
    for statement in ddl():
        connection.exec_driver_sql(statement)


def triggers() -> list[tuple[str, str]]:
    """Return every trigger's name and table (on PostgreSQL, its function has the same name)."""
    return [(f"page_revision_{dep.name}_{event.lower()}", dep.table)
            for dep in DEPENDENCIES for event in dep.events] + [("page_revision_user", "user")]


def uninstall(connection: Connection) -> None:
    """Drop the triggers (and PostgreSQL's functions)."""
    dialect = connection.dialect.name
    for name, table in triggers():
        if dialect == "sqlite":
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        elif dialect == "postgresql":
            connection.exec_driver_sql(f'DROP TRIGGER IF EXISTS {name} ON "{table}"')
            connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {name}()")


def lock_users(session: Session, user_ids: Iterable[int]) -> None:
    """Lock the rows of *user_ids* in id order, as their own writes do (PostgreSQL).

    For an operation that changes rows on other users' pages: taken before its first write,
    the locks come in the same order as those users' own writes take them.
    """
    from .models import User  # models import this module's install hook

    ids = sorted(set(user_ids))
    if ids:
        session.execute(select(User.id).where(User.id.in_(ids)).order_by(User.id).with_for_update(key_share=True))
