"""What the nudge rules read and return: the kinds, a rep's `RepSnapshot` in, a due `Nudge` out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from ..kinds import NudgeKind  # re-exported: the models store it, so it lives with the other kinds

DEFAULT_WORKDAYS = frozenset({0, 1, 2, 3, 4})

DEFAULT_KINDS = frozenset(NudgeKind) - {NudgeKind.test}


class QuietCustomer(NamedTuple):
    """A customer of the rep who is ``quiet`` now; a plain ``(id, name, days)`` row works too."""

    customer_id: int
    name: str
    days_since: int


class DueFollowUp(NamedTuple):
    """A follow-up of the rep due today or overdue; a plain ``(customer id, name, days overdue)`` row works too."""

    customer_id: int
    name: str
    days_overdue: int


class TeamWeek(NamedTuple):
    """A coach's team last week: what the Monday summary reports."""

    touches: int
    active_reps: int
    reps: int
    silent: tuple[str, ...]


class QuietRep(NamedTuple):
    """A rep on a coach's team without a touch for some workdays."""

    user_id: int
    name: str
    workdays_quiet: int


@dataclass(frozen=True)
class RepSnapshot:
    """What the nudge rules need to know about one rep, as of the instant asked about.

    Settings: ``timezone`` (IANA), ``locale`` ("en"/"de"; anything else falls back to English
    by its language prefix), ``day_start_hour``, ``workdays`` (Monday = 0), ``evening_hour``,
    ``quiet_start_hour``/``quiet_end_hour`` (may cross midnight; equal is invalid),
    ``enabled_kinds``.
    Today (the rep's local day at the instant): ``away_today`` (vacation or team holiday),
    ``today_active``/``touches_today``, ``pushes_today`` (non-test pushes already enqueued for
    this local day), ``sent_keys_today`` (their keys).
    History: ``streak_current``, ``last_active_day``, ``active_days`` (active local days of
    about the last 10 days), ``away_days`` (away local days of the same span, so that
    pipeline-quiet skips a vacation), ``ignored_in_a_row`` (consecutive pushes not opened),
    ``last_weekly_summary_day``.
    Content: ``quiet_customers`` (most urgent first), ``due_follow_ups`` (planned next touches
    due today or overdue, the longest overdue first; beyond the first few, nameless stand-ins
    that are only counted), ``warming_count``, ``new_badges``
    (``(code, name)`` not yet announced), ``finished_challenges`` (``(id, title)`` not yet
    announced), ``quiet_reps`` (coaches only: team reps quiet for some workdays).
    """

    user_id: int
    timezone: str = "UTC"
    locale: str = "en"
    day_start_hour: int = 3
    workdays: frozenset[int] = DEFAULT_WORKDAYS
    evening_hour: int = 18
    quiet_start_hour: int = 21
    quiet_end_hour: int = 8
    away_today: bool = False
    enabled_kinds: frozenset[str] = DEFAULT_KINDS
    streak_current: int = 0
    today_active: bool = False
    touches_today: int = 0
    last_active_day: date | None = None
    active_days: tuple[date, ...] = ()
    away_days: tuple[date, ...] = ()
    quiet_customers: tuple[tuple[int, str, int], ...] = ()
    due_follow_ups: tuple[tuple[int, str, int], ...] = ()
    warming_count: int = 0
    pushes_today: int = 0
    sent_keys_today: frozenset[str] = field(default_factory=frozenset)
    ignored_in_a_row: int = 0
    last_weekly_summary_day: date | None = None
    team_week: TeamWeek | tuple | None = None
    last_coach_weekly_day: date | None = None
    new_badges: tuple[tuple[str, str], ...] = ()
    finished_challenges: tuple[tuple[int, str], ...] = ()
    quiet_reps: tuple[tuple[int, str, int], ...] = ()

    def __post_init__(self) -> None:
        for name in ("day_start_hour", "evening_hour", "quiet_start_hour", "quiet_end_hour"):
            hour = getattr(self, name)
            if not isinstance(hour, int) or isinstance(hour, bool) or not 0 <= hour <= 23:
                raise ValueError(f"{name} must be a whole hour from 0 to 23, not {hour!r}")
        if self.quiet_start_hour == self.quiet_end_hour:
            raise ValueError("quiet hours must not start and end at the same hour")
        if not set(self.workdays) <= set(range(7)):
            raise ValueError(f"workdays must be weekday numbers 0..6, not {sorted(self.workdays)!r}")


@dataclass(frozen=True)
class Nudge:
    """One push that is due: its kind, the facts its message states, and its Web Push headers.

    ``key`` is ``"<user_id>:<kind>:<local day ISO>"`` (the outbox's unique dedup key);
    ``url`` the deep link opened on click; ``topic`` the Web Push ``Topic`` header (≤ 32
    characters of the URL-safe base64 alphabet; also the notification ``tag``), so a newer push
    of the same kind replaces a stale, undelivered one; ``urgency`` the ``Urgency`` header;
    ``ttl`` the ``TTL`` header in seconds (never 0); ``refs`` the badge codes or challenge ids
    announced, so the scan can mark them announced. ``locale`` is the rep's setting, ``params``
    what the message is about (each rule's docstring names them) and ``idea`` whether it ends
    with a touch idea; `texts.render` turns them into a title and a body.
    """

    user_id: int
    kind: NudgeKind
    key: str
    url: str
    topic: str
    urgency: str
    ttl: int
    local_day: date
    locale: str = "en"
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)
    idea: bool = False
    refs: tuple[str, ...] = ()
