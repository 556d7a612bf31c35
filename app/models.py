"""ORM models (SQLAlchemy 2.0 typed style)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    JSON,
    String,
    Text,
    UniqueConstraint,
    and_,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from . import clock
from .clock import UTC
from .extensions import db
from .challenges import Metric
from .kinds import AwayReason, Direction, NudgeKind, Role, Tier, TouchKind, Urgency
from .points import Reason


class UTCDateTime(TypeDecorator):
    """An instant: rejects naive datetimes, stores UTC, returns aware UTC (also on SQLite)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # noqa: D102
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect):  # noqa: D102
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _enum(cls, length: int = 16):
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e],
                validate_strings=True)


class Organization(db.Model):
    """A company using Touchbase; every row of data belongs to exactly one."""

    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    teams: Mapped[list[Team]] = relationship(back_populates="organization")


class Team(db.Model):
    """A sales team, led by one or more coaches."""

    __tablename__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Crisis mode: a banner, cadences × 0.7, and a storm-week coverage challenge.
    crisis_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    crisis_reason: Mapped[str | None] = mapped_column(String(200))
    crisis_message: Mapped[str | None] = mapped_column(Text)

    organization: Mapped[Organization] = relationship(back_populates="teams")
    members: Mapped[list[User]] = relationship(back_populates="team")

    @hybrid_property
    def in_crisis(self) -> bool:
        """Tell whether the team is in crisis mode (in SQL: ``crisis_since IS NOT NULL``)."""
        return self.crisis_since is not None

    @in_crisis.inplace.expression
    @classmethod
    def _in_crisis_expression(cls):
        return cls.crisis_since.is_not(None)


# A team has at most one open crisis period; the partial unique index holds that.
CRISIS_PERIOD_OPEN = "ended_at IS NULL"


class CrisisPeriod(db.Model):
    """A stretch of crisis mode of a team, kept as history: when it started, when it ended, why.

    ``crisis.start_crisis`` opens one and ``crisis.end_crisis`` closes it, in the same
    transaction as ``Team.crisis_since``, which stays what every page reads for "in crisis now";
    the periods are what the trend charts shade and judge past weeks' cadences by.
    """

    __tablename__ = "crisis_period"
    __table_args__ = (
        Index("ix_crisis_period_team_started", "team_id", "started_at"),
        Index("uq_crisis_period_open_team", "team_id", unique=True,
              sqlite_where=text(CRISIS_PERIOD_OPEN), postgresql_where=text(CRISIS_PERIOD_OPEN)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(String(200))


class User(UserMixin, db.Model):
    """A person: rep, coach or admin, with their personal settings."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role), default=Role.rep)
    session_token: Mapped[str] = mapped_column(String(64))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    locale: Mapped[str | None] = mapped_column(String(8))
    # Weekday numbers (Monday = 0), sorted, e.g. [0, 1, 2, 3, 4].
    workdays: Mapped[list[int]] = mapped_column(JSON, default=lambda: [0, 1, 2, 3, 4], server_default="[0, 1, 2, 3, 4]")
    daily_goal: Mapped[int] = mapped_column(Integer, default=3)
    day_start_hour: Mapped[int] = mapped_column(Integer, default=3)
    evening_hour: Mapped[int] = mapped_column(Integer, default=18)
    quiet_start_hour: Mapped[int] = mapped_column(Integer, default=21)
    quiet_end_hour: Mapped[int] = mapped_column(Integer, default=8)
    # Nudge kinds the user switched off: a new kind is on until switched off.
    push_muted_kinds: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # Pushes sent since the user last opened one (the back-off rule); an open resets it.
    push_ignored_in_a_row: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    push_last_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Privacy: still counts for team challenges, but is left out of every ranking.
    hide_from_rankings: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Opted in to the weekly summary by e-mail (`flask mail weekly`).
    weekly_summary_mail: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Raised by every flush that changes what the user's Today page shows (app/revisions.py);
    # Today's ETag is built from it.
    page_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Removed from their team by a coach or admin (app/operations/members.py): the account is
    # closed — no sign-in, no pushes, no mail — and its history kept; a coach of the team it
    # was removed from may restore it. The team's id without a foreign key: adding one would
    # make SQLite copy the whole user table, which every other table refers to.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    removed_from_team_id: Mapped[int | None] = mapped_column(Integer)

    organization: Mapped[Organization] = relationship()
    team: Mapped[Team | None] = relationship(back_populates="members")

    def get_id(self) -> str:
        """Return the login id: user id and session token, so rotating the token logs out."""
        return f"{self.id}:{self.session_token}"

    def day_of(self, instant: datetime) -> date:
        """Return the user's local day of the aware *instant* (``clock.local_day`` in their zone)."""
        return clock.local_day(instant, self.timezone, self.day_start_hour)

    def today(self, now: datetime) -> date:
        """Return the user's local day at *now*."""
        return self.day_of(now)

    @property
    def team_in_crisis(self) -> bool:
        """Tell whether the user's team is in crisis mode (False without a team)."""
        return self.team is not None and self.team.in_crisis

    @property
    def is_coach(self) -> bool:
        """Coaches and admins see their team."""
        return self.role in (Role.coach, Role.admin)

    @property
    def workday_set(self) -> frozenset[int]:
        """Return the workdays as weekday numbers (Monday = 0)."""
        return frozenset(self.workdays)


class Customer(db.Model):
    """A customer a rep keeps in touch with."""

    __tablename__ = "customer"
    __table_args__ = (Index("ix_customer_org_owner_active", "organization_id", "owner_id", "archived_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(64))
    tier: Mapped[Tier] = mapped_column(_enum(Tier), default=Tier.B)
    cadence_days: Mapped[int] = mapped_column(Integer)
    paused_until: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_day: Mapped[date] = mapped_column(Date)
    last_touch_day: Mapped[date | None] = mapped_column(Date)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    owner: Mapped[User] = relationship()


class Touch(db.Model):
    """One contact with a customer, counted for the rep's local day."""

    __tablename__ = "touch"
    __table_args__ = (
        UniqueConstraint("user_id", "client_id"),
        Index("ix_touch_user_day", "user_id", "local_day"),
        Index("ix_touch_customer_day", "customer_id", "local_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    kind: Mapped[TouchKind] = mapped_column(_enum(TouchKind))
    direction: Mapped[Direction] = mapped_column(_enum(Direction), default=Direction.out)
    note: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    local_day: Mapped[date] = mapped_column(Date)
    backfilled: Mapped[bool] = mapped_column(Boolean, default=False)
    rescue: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    client_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    customer: Mapped[Customer] = relationship()
    user: Mapped[User] = relationship()


# A follow-up is open while neither done nor dropped; the partial unique index keeps one open per customer.
FOLLOW_UP_OPEN = "done_at IS NULL AND dropped_at IS NULL"


class FollowUp(db.Model):
    """A planned next touch with a customer: a local day, and optionally a kind and a note.

    It is for the customer's owner (``user_id``), made by the rep or a coach who sees the
    customer (``created_by_id``). At most one per customer is open (neither done nor dropped):
    the database holds that with a partial unique index, so two parallel plans cannot make two.
    The next touch with the customer does it (``done_at``, ``done_touch_id``).
    """

    __tablename__ = "follow_up"
    __table_args__ = (
        Index("uq_follow_up_open_customer", "customer_id", unique=True,
              sqlite_where=text(FOLLOW_UP_OPEN), postgresql_where=text(FOLLOW_UP_OPEN)),
        Index("ix_follow_up_user_due", "user_id", "due_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    due_day: Mapped[date] = mapped_column(Date)
    kind: Mapped[TouchKind | None] = mapped_column(_enum(TouchKind))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_touch_id: Mapped[int | None] = mapped_column(ForeignKey("touch.id"))
    dropped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    customer: Mapped[Customer] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])

    @hybrid_property
    def is_open(self) -> bool:
        """Tell whether the follow-up is still planned: neither done nor dropped (also in SQL)."""
        return self.done_at is None and self.dropped_at is None

    @is_open.inplace.expression
    @classmethod
    def _is_open_expression(cls):
        return and_(cls.done_at.is_(None), cls.dropped_at.is_(None))


class CalendarFeed(db.Model):
    """A user's secret calendar feed address; only the hash of its token is stored (one per user)."""

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class Invite(db.Model):
    """A single-use link that joins a person to a team as a rep."""

    __tablename__ = "invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # The address the link was mailed to; None for a link made to copy, or a mail that failed.
    email: Mapped[str | None] = mapped_column(String(254))

    team: Mapped[Team] = relationship()


class PasswordReset(db.Model):
    """A password reset link: single use, expiring; only the hash of its token is stored."""

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class WeeklyMail(db.Model):
    """The weekly summary mail of one user and ISO week: claimed before sending, so sent at most once.

    ``week`` is the user's local ISO week, e.g. ``2026-W49``. A claim (``claimed_at``) without
    ``sent_at`` is a send in progress; a failed send clears the claim, and a claim older than the
    lease (a crashed run) may be taken again.
    """

    __tablename__ = "weekly_mail"
    __table_args__ = (UniqueConstraint("user_id", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    week: Mapped[str] = mapped_column(String(8))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApiToken(db.Model):
    """A personal access token for the JSON API; only its hash is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class ImportToken(db.Model):
    """A customer import's preview, confirmable once: only its token's hash is stored.

    Confirming claims it (``used_at``) in the same transaction that writes the customers and
    the counts, so a repeated or concurrent confirmation finds it used and answers with them.
    """

    __tablename__ = "import_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_count: Mapped[int | None] = mapped_column(Integer)
    merged_count: Mapped[int | None] = mapped_column(Integer)
    skipped_count: Mapped[int | None] = mapped_column(Integer)


class AwayPeriod(db.Model):
    """A rep's vacation or sick leave: inclusive local days that neither extend nor break a streak."""

    __tablename__ = "away_period"
    __table_args__ = (Index("ix_away_period_user_days", "user_id", "first_day", "last_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    reason: Mapped[AwayReason] = mapped_column(_enum(AwayReason), default=AwayReason.vacation)
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TeamHoliday(db.Model):
    """Days a coach sets off for the whole team (public holidays, a team retreat)."""

    __tablename__ = "team_holiday"
    __table_args__ = (Index("ix_team_holiday_team_days", "team_id", "first_day", "last_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(120))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StreakState(db.Model):
    """A rep's streak walk folded up to ``through_day``, kept current by every write.

    Reading a streak only walks the few days after ``through_day``, never the whole history;
    ``flask streaks rebuild --check`` proves the kept state equals a fresh fold of the touches.
    """

    __tablename__ = "streak_state"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    through_day: Mapped[date | None] = mapped_column(Date)
    current: Mapped[int] = mapped_column(Integer, default=0)
    longest: Mapped[int] = mapped_column(Integer, default=0)
    freezes: Mapped[int] = mapped_column(Integer, default=0)
    run_of_active: Mapped[int] = mapped_column(Integer, default=0)
    started: Mapped[bool] = mapped_column(Boolean, default=False)
    # The missed workdays a freeze covered, oldest first, as ISO dates.
    frozen_days: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PushSubscription(db.Model):
    """One browser's web-push subscription; the endpoint is checked against the allow-list."""

    __tablename__ = "push_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1024), unique=True)
    p256dh: Mapped[str] = mapped_column(String(128))
    auth: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(300))

    user: Mapped[User] = relationship()


class NotificationStatus(StrEnum):
    """Where a notification is in the outbox."""

    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"


class Notification(db.Model):
    """An outbox row: one push to all of a user's devices, sent at most once (unique dedup key)."""

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_status_next", "status", "next_attempt_at"),
        Index("ix_notification_user_day", "user_id", "local_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[NudgeKind] = mapped_column(_enum(NudgeKind, length=32))
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict] = mapped_column(JSON)
    topic: Mapped[str | None] = mapped_column(String(32))
    urgency: Mapped[Urgency] = mapped_column(_enum(Urgency), default=Urgency.normal)
    ttl: Mapped[int] = mapped_column(Integer)
    local_day: Mapped[date | None] = mapped_column(Date)
    status: Mapped[NotificationStatus] = mapped_column(_enum(NotificationStatus), default=NotificationStatus.pending)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claim_token: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PointsEntry(db.Model):
    """One line of the append-only points ledger; a deleted touch adds a reversing line."""

    __tablename__ = "points_entry"
    __table_args__ = (
        Index("ix_points_entry_user_day", "user_id", "local_day"),
        UniqueConstraint("reversal_of_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    touch_id: Mapped[int | None] = mapped_column(ForeignKey("touch.id"), index=True)
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[Reason] = mapped_column(_enum(Reason))
    reversal_of_id: Mapped[int | None] = mapped_column(ForeignKey("points_entry.id"))
    local_day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BadgeAward(db.Model):
    """A badge a user earned: once per user and badge, whatever replays or races happen."""

    __tablename__ = "badge_award"
    __table_args__ = (UniqueConstraint("user_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    touch_id: Mapped[int | None] = mapped_column(ForeignKey("touch.id"))
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    local_day: Mapped[date] = mapped_column(Date)
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Kudos(db.Model):
    """A coach's kudos for a great creative touch (at most 3 per coach and month)."""

    __tablename__ = "kudos"
    __table_args__ = (UniqueConstraint("coach_id", "touch_id"), Index("ix_kudos_coach_month", "coach_id", "month"))

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    rep_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    touch_id: Mapped[int] = mapped_column(ForeignKey("touch.id"))
    note: Mapped[str | None] = mapped_column(String(500))
    month: Mapped[str] = mapped_column(String(7))  # the coach's local month, "2026-11"
    given_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Challenge(db.Model):
    """A team challenge with one metric, a target, and an absolute start and end.

    One started from a template (``template``, e.g. the crisis mode's ``storm_week``) has an
    empty ``title`` and no ``description`` unless the coach wrote them: readers see the
    template's, in their own language (``challenges.title_in``).
    """

    __tablename__ = "challenge"
    __table_args__ = (Index("ix_challenge_team_end", "team_id", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    title: Mapped[str] = mapped_column(String(120))  # "": the template's, in the reader's language
    description: Mapped[str | None] = mapped_column(Text)
    metric: Mapped[Metric] = mapped_column(_enum(Metric))
    target: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    template: Mapped[str | None] = mapped_column(String(32))
    crisis: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    results: Mapped[dict | None] = mapped_column(JSON)  # the final standings, frozen

    team: Mapped[Team] = relationship()


class ChallengeTarget(db.Model):
    """A rep's own target in a challenge, fixed when the challenge first counted them (``challenges.own_targets``).

    ``split`` and ``counted_from`` are what it was computed with, so that an edit of the
    challenge can compute it again and only ever raise it (``challenges.raised_target``).
    """

    __tablename__ = "challenge_target"
    __table_args__ = (UniqueConstraint("challenge_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    target: Mapped[int] = mapped_column(Integer)
    split: Mapped[int] = mapped_column(Integer)
    counted_from: Mapped[datetime] = mapped_column(UTCDateTime())
    fixed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ChallengeResult(db.Model):
    """A rep's final result in a finished challenge, and whether the push announced it."""

    __tablename__ = "challenge_result"
    __table_args__ = (UniqueConstraint("challenge_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    value: Mapped[int] = mapped_column(Integer)
    target: Mapped[int] = mapped_column(Integer)
    finished: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int | None] = mapped_column(Integer)
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
