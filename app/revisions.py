"""Page revisions: a counter on each user, raised by every flush that changes what their Today shows.

Today answers with an ETag built from the counter (app/views/today.py), so a reopened page
costs a 304 while nothing on it changed. One ORM hook raises it, in the flush of the write
itself, for the users a changed row shows on:

- the rep's own rows: touches, customers owned (old and new owner), the kept streak, away
  periods, points, follow-ups planned for the rep (old and new rep);
- a team's row (crisis banner, tightened cadences) and its holidays: every member;
- a customer's new name: everyone whose recent touches list it (a customer can change owner);
- the user row itself (goal, time zone, language, workdays, team).

Writes through the ORM's unit of work are seen; bulk Core statements are not (only the demo
seed and the push outbox use them, and neither writes what Today shows).

Lock order on PostgreSQL: the raise runs before the flush writes the rows that caused it, and
takes the users' rows in id order, as a rep's own writes take the rep's row first
(``awards.lock_rep``): a coach's edit of a rep's customer cannot deadlock with the rep's touch.
"""

from __future__ import annotations

from sqlalchemy import event, inspect, or_, select, update
from sqlalchemy.orm import Session

from .models import AwayPeriod, Customer, FollowUp, PointsEntry, StreakState, Team, TeamHoliday, Touch, User

# Rows whose user column says on whose page they are.
_OWN_ROWS = {Touch: "user_id", Customer: "owner_id", StreakState: "user_id", AwayPeriod: "user_id",
             PointsEntry: "user_id", FollowUp: "user_id"}
_NOT_SHOWN = frozenset({"page_revision", "push_ignored_in_a_row", "push_last_opened_at"})


def _values(obj, column: str) -> set:
    """Return the old and new values of *column* on *obj*, pending ones included."""
    state = inspect(obj)
    if column in state.unloaded and state.persistent:
        getattr(obj, column)  # expired: load the stored value, which the flush is about to change
    history = state.attrs[column].history
    return {v for v in (*history.added, *history.unchanged, *history.deleted) if v is not None}


def _changed(obj) -> set[str]:
    """Return the names of the attributes of *obj* that this flush writes."""
    state = inspect(obj)
    return {attr.key for attr in state.attrs if attr.history.has_changes()}


def affected(session: Session) -> tuple[set[int], set[int]]:
    """Return the users and the teams whose members' pages the session's pending changes show on."""
    users: set[int] = set()
    teams: set[int] = set()
    renamed: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        kind = type(obj)
        if obj in session.dirty and not session.is_modified(obj):
            continue
        if kind in _OWN_ROWS:
            column = _OWN_ROWS[kind]
            users |= _values(obj, column)
            # A relationship set without its key column: the key is synchronised later in the flush.
            relationship = column.removesuffix("_id")
            if relationship in inspect(kind).relationships:
                history = inspect(obj).attrs[relationship].history  # never loads: only what was set
                users |= {related.id for related in (*history.added, *history.deleted)
                          if related is not None and related.id is not None}
            if kind is Customer and obj.id is not None and "name" in _changed(obj):
                renamed.add(obj.id)
        elif kind is TeamHoliday:
            teams |= _values(obj, "team_id")
        elif kind is Team and obj.id is not None and obj not in session.new:
            teams.add(obj.id)
        elif kind is User and obj.id is not None and obj not in session.new:
            if _changed(obj) - _NOT_SHOWN:
                users.add(obj.id)
    if renamed:
        users.update(session.scalars(select(Touch.user_id).where(Touch.customer_id.in_(renamed)).distinct()))
    return users, teams


def raise_revisions(session: Session, *, users: set[int], teams: set[int]) -> None:
    """Raise the page revision of *users* and of every member of *teams*, rows locked in id order."""
    if not users and not teams:
        return
    who = or_(User.id.in_(sorted(users)), User.team_id.in_(sorted(teams)))
    if session.get_bind().dialect.name == "postgresql" and (teams or len(users) > 1):
        session.execute(select(User.id).where(who).order_by(User.id).with_for_update(key_share=True))
    session.execute(update(User).where(who).values(page_revision=User.page_revision + 1)
                    .execution_options(synchronize_session=False))


def _before_flush(session: Session, _context, _instances) -> None:
    users, teams = affected(session)
    raise_revisions(session, users=users, teams=teams)
    if users or teams:
        session.info["page_revision_raised"] = True


def _after_flush(session: Session, _context) -> None:
    # The counter was raised in SQL: loaded users read it again when next asked.
    if session.info.pop("page_revision_raised", False):
        for obj in list(session.identity_map.values()):
            if isinstance(obj, User):
                session.expire(obj, ["page_revision"])


def install() -> None:
    """Raise page revisions in every ORM session's flush (once per process)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush_postexec", _after_flush)
