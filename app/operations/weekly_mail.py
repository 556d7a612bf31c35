"""The weekly summary by e-mail: switching it on and off, who is due, and claiming a week.

``flask mail weekly`` (app/cli/mail.py), started hourly, sends each user who switched it on one
mail per ISO week of their time zone, when ``weekly.is_due`` says so. A week is *claimed* before
its mail is sent (``claim``: a row unique per user and week, or a conditional UPDATE of one
whose claim was released or has outlived `LEASE`), so two runs at once never both send it.
After the send the week is marked sent (``mark_sent``); a failed send releases the claim
(``release``) and the next run tries again. A run that dies between sending and marking leaves
the claim behind; once it is older than `LEASE` the week is due again, so such a crash can
repeat a mail once, and never loses one.

Unsubscribing needs no sign-in: the mail carries a link with a signed token naming the user
(``unsubscribe_token``), also given to mail programs as the one-click ``List-Unsubscribe``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import clock, weekly
from ..database import insert_ignoring
from ..models import User, WeeklyMail
from . import Invalid, NotFound, accounts

LEASE = timedelta(minutes=15)
ON_VALUES = ("on", "true", "1")
OFF_VALUES = ("", "off", "false", "0")
_SALT = "weekly-mail-unsubscribe"


def set_subscribed(session: Session, user: User, value: object) -> User:
    """Switch *user*'s weekly summary mail on or off; *value* is a form's checkbox (absent: None, off)."""
    if value is None or value is False:
        on = False
    elif value is True:
        on = True
    elif isinstance(value, str) and value.strip().lower() in ON_VALUES + OFF_VALUES:
        on = value.strip().lower() in ON_VALUES
    else:
        raise Invalid({"weekly_summary_mail": _l("Please switch it on or off.")})
    user.weekly_summary_mail = on
    session.flush()
    return user


def unsubscribe_token(user: User, *, secret: str) -> str:
    """Return the signed token of *user*'s unsubscribe link."""
    return URLSafeSerializer(secret, salt=_SALT).dumps(user.id)


def subscriber(session: Session, token: object, *, secret: str) -> User:
    """Return the user an unsubscribe *token* names; a token not signed with *secret*, or of no user, is NotFound."""
    if not isinstance(token, str) or len(token) > 200:
        raise NotFound()
    try:
        user_id = URLSafeSerializer(secret, salt=_SALT).loads(token)
    except BadSignature:
        raise NotFound() from None
    user = session.get(User, user_id) if isinstance(user_id, int) and not isinstance(user_id, bool) else None
    if user is None:
        raise NotFound()
    return user


def unsubscribe(session: Session, token: object, *, secret: str) -> User:
    """Switch the weekly mail off for the user the signed *token* names (``subscriber``)."""
    return set_subscribed(session, subscriber(session, token, secret=secret), False)


@dataclass(frozen=True)
class Due:
    """A user whose weekly mail for ``week`` is due."""

    user: User
    week: str


def due_users(session: Session, *, now: datetime) -> list[Due]:
    """Return the users whose weekly mail is due at *now*, by id: switched on, ``weekly.is_due``, not sent or claimed.

    Two queries, whatever the number of users.
    """
    candidates: list[Due] = []
    for user in session.scalars(select(User).where(User.weekly_summary_mail.is_(True)).order_by(User.id)):
        local = clock.local_now(now, user.timezone)
        quiet = accounts.in_quiet_hours(local.hour, user.quiet_start_hour, user.quiet_end_hour)
        if weekly.is_due(local.date(), local.hour, workdays=user.workday_set, quiet=quiet):
            candidates.append(Due(user, weekly.week_key(local.date())))
    if not candidates:
        return []
    taken = {
        (user_id, week)
        for user_id, week in session.execute(
            select(WeeklyMail.user_id, WeeklyMail.week).where(
                WeeklyMail.user_id.in_([due.user.id for due in candidates]),
                WeeklyMail.week.in_({due.week for due in candidates}),
                or_(WeeklyMail.sent_at.is_not(None), WeeklyMail.claimed_at > now - LEASE),
            )
        )
    }
    return [due for due in candidates if (due.user.id, due.week) not in taken]


def claim(session: Session, user_id: int, week: str, *, now: datetime) -> bool:
    """Claim *user_id*'s mail of *week* for this run; tell whether it got it (the caller commits before sending).

    A new week is claimed by inserting its row (the unique key lets one of two runs win); a
    released claim, or one older than `LEASE`, by a conditional UPDATE. A sent week never.
    """
    values = dict(user_id=user_id, week=week, claimed_at=now, attempts=1, created_at=now)
    insert = insert_ignoring(session, WeeklyMail, ["user_id", "week"])
    if insert is not None:
        if session.execute(insert.values(**values).returning(WeeklyMail.id)).scalar() is not None:
            return True
    else:  # pragma: no cover - databases other than PostgreSQL and SQLite
        try:
            with session.begin_nested():
                session.add(WeeklyMail(**values))
                session.flush()
            return True
        except IntegrityError:
            pass
    return session.execute(
        update(WeeklyMail)
        .where(
            WeeklyMail.user_id == user_id,
            WeeklyMail.week == week,
            WeeklyMail.sent_at.is_(None),
            or_(WeeklyMail.claimed_at.is_(None), WeeklyMail.claimed_at <= now - LEASE),
        )
        .values(claimed_at=now, attempts=WeeklyMail.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def mark_sent(session: Session, user_id: int, week: str, *, now: datetime) -> None:
    """Record that *user_id*'s mail of *week* went out."""
    session.execute(
        update(WeeklyMail)
        .where(WeeklyMail.user_id == user_id, WeeklyMail.week == week)
        .values(sent_at=now, last_error=None)
        .execution_options(synchronize_session=False)
    )


def release(session: Session, user_id: int, week: str, *, error: str) -> None:
    """Give a claimed week back after a failed send, so that the next run tries again; keep why."""
    session.execute(
        update(WeeklyMail)
        .where(WeeklyMail.user_id == user_id, WeeklyMail.week == week, WeeklyMail.sent_at.is_(None))
        .values(claimed_at=None, last_error=error[:100])
        .execution_options(synchronize_session=False)
    )
