"""Nudges: which web pushes are due for one rep at one instant (DESIGN.md "Nudges").

Pure: no clock, no database, no Flask. The caller (the outbox scan) builds one `RepSnapshot`
per rep from the *current* state with set-based SQL and asks `due(snapshot, now)`; whatever
comes back is enqueued under `Nudge.key`, which is unique per (rep, kind, local day). Because
the snapshot is current, nothing is ever due for work already done: a customer touched today
is no longer in ``quiet_customers``, a rep who logged something today has ``today_active``.

Rules, applied in this order (every hour below is the rep's wall-clock hour in their zone):

1. **Away**: on a vacation day or a team holiday (``away_today``) nothing is due at all —
   not even good news; badges and finished challenges stay unannounced and go out on the
   first day back.
2. **Quiet hours**: nothing is due while the wall-clock hour lies in
   ``[quiet_start_hour, quiet_end_hour)``; when start > end the range crosses midnight
   (22 → 7 covers 22:00–06:59). Start == end is rejected when the snapshot is built.
3. **Cap**: at most `MAX_PER_DAY` (2) pushes per rep per local day, counting
   ``pushes_today`` (already enqueued). When more are due at once, `PRIORITY` decides:
   streak at risk > coach alert > quiet digest > pipeline quiet > badge > challenge.
   Because the streak push comes last in the day but first in priority, one slot is
   *reserved* for it while it may still come: on a workday, with a running streak, nothing
   logged yet, before the evening hour (and the evening hour not in quiet hours), the other
   kinds may use only the remaining slot.
4. **Dedup**: a key in ``sent_keys_today`` is never due again that day; tomorrow has new keys.
5. **Back-off**: after `BACKOFF_AFTER` (3) pushes in a row that the rep did not open, only the
   weekly summary is due (once per local week, on the first workday morning), until the rep
   opens a push again (the outbox resets ``ignored_in_a_row``).
6. **Kinds**: a kind the rep switched off (not in ``enabled_kinds``) is never due.

Per kind (the rule's own docstring below has the details): streak at risk in the evening of a
workday; quiet digest in the morning window of a workday; pipeline quiet and coach alert from
the morning to the evening of a workday; badge and challenge pushes at any time of any day
(weekends too: they are news the rep made, not work asked for); the weekly summary in the
morning window of the week's first workday.

Messages come in English and German from plain template tables in this module (the scan runs
in a CLI without a request, so not Flask-Babel), rotate deterministically among the templates
of a kind by local day and user id, and name customers; a push that names a customer also
carries a creative touch idea for them ("Idea: invite them for coffee and cake.").
"""

from __future__ import annotations

import math
import string
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import NamedTuple, TypeVar

from app import clock

T = TypeVar("T")

MAX_PER_DAY = 2
BACKOFF_AFTER = 3
MORNING_HOUR = 8
NOON_HOUR = 12
MIN_MORNING_HOURS = 2
COACH_ALERT_WORKDAYS = 3
PIPELINE_QUIET_WORKDAYS = 2
LOOKBACK_DAYS = 14
DEFAULT_WORKDAYS = frozenset({0, 1, 2, 3, 4})

MAX_LISTED = 3
NAME_CHARS = 60
LIST_NAME_CHARS = 40
TITLE_CHARS = 100
TITLE_BYTES = 300
BODY_CHARS = 400
BODY_BYTES = 1200

MIN_TTL = 60
NEWS_TTL = 3 * 24 * 3600
TEST_TTL = 3600


class NudgeKind(StrEnum):
    """A kind of push; each has its own switch in the settings."""

    streak_at_risk = "streak_at_risk"
    quiet_digest = "quiet_digest"
    pipeline_quiet = "pipeline_quiet"
    coach_alert = "coach_alert"
    badge_earned = "badge_earned"
    challenge_finished = "challenge_finished"
    weekly_summary = "weekly_summary"
    coach_weekly = "coach_weekly"
    test = "test"


PRIORITY: tuple[NudgeKind, ...] = (
    NudgeKind.streak_at_risk,
    NudgeKind.coach_alert,
    NudgeKind.coach_weekly,
    NudgeKind.quiet_digest,
    NudgeKind.pipeline_quiet,
    NudgeKind.badge_earned,
    NudgeKind.challenge_finished,
)
DEFAULT_KINDS = frozenset(NudgeKind) - {NudgeKind.test}

URGENCY = {
    NudgeKind.streak_at_risk: "high",
    NudgeKind.coach_alert: "normal",
    NudgeKind.quiet_digest: "normal",
    NudgeKind.pipeline_quiet: "normal",
    NudgeKind.badge_earned: "low",
    NudgeKind.challenge_finished: "low",
    NudgeKind.weekly_summary: "low",
    NudgeKind.coach_weekly: "low",
    NudgeKind.test: "normal",
}


class QuietCustomer(NamedTuple):
    """A customer of the rep who is ``quiet`` now; a plain ``(id, name, days)`` row works too."""

    customer_id: int
    name: str
    days_since: int


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
    Content: ``quiet_customers`` (most urgent first), ``warming_count``, ``new_badges``
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
    """One push to send: what the outbox stores and the service worker shows.

    ``key`` is ``"<user_id>:<kind>:<local day ISO>"`` (the outbox's unique dedup key);
    ``url`` the deep link opened on click; ``topic`` the Web Push ``Topic`` header (≤ 32
    characters of the URL-safe base64 alphabet; also the notification ``tag``), so a newer push
    of the same kind replaces a stale, undelivered one; ``urgency`` the ``Urgency`` header;
    ``ttl`` the ``TTL`` header in seconds (never 0); ``refs`` the badge codes or challenge ids
    announced, so the outbox can mark them announced.
    """

    user_id: int
    kind: NudgeKind
    key: str
    title: str
    body: str
    url: str
    topic: str
    urgency: str
    ttl: int
    local_day: date
    refs: tuple[str, ...] = ()

    def payload(self) -> dict[str, str]:
        """Return the JSON-ready payload the service worker reads."""
        return {
            "title": self.title,
            "body": self.body,
            "url": self.url,
            "tag": self.topic,
            "kind": str(self.kind),
        }


# --- messages --------------------------------------------------------------------------
# MESSAGES[locale][template key] is a tuple of (title, body) templates in str.format syntax;
# a template pair uses the same placeholders in every language (a test checks it).

MESSAGES: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {
    "en": {
        "streak_at_risk": (
            ("Your {streak_label} ends tonight",
             "{name} hasn't heard from you in {days_since} — one touch keeps it going."),
            ("Don't break your {streak_label} tonight",
             "One touch saves it. {name} has been waiting for {days_since}."),
            ("Keep your {streak_label} alive",
             "Nothing logged yet today. How about {name}? {days_since} without news."),
        ),
        "streak_at_risk_plain": (
            ("Your {streak_label} ends tonight",
             "Nothing logged yet today — one touch keeps it going."),
            ("Don't break your {streak_label} tonight",
             "A short call or a quick note is enough."),
            ("Keep your {streak_label} alive",
             "Log one touch before the day is over."),
        ),
        "quiet_digest": (
            ("{name}: {days_since} without news",
             "A short hello is enough to reconnect."),
            ("{name} is going quiet",
             "{days_since} since your last touch — today is a good day for a sign of life."),
            ("Time for {name}?",
             "It has been {days_since}. Silence tells a customer they don't matter."),
        ),
        "pipeline_quiet": (
            ("Your pipeline has gone quiet",
             "No touch in {days_since}. One call today gets things moving again."),
            ("{days_since} without a touch",
             "Customers remember who kept in touch. Who will you reach out to today?"),
            ("Keep in touch — especially now",
             "Nobody has heard from you in {days_since}. Pick one customer and say hello."),
        ),
        "coach_alert": (
            ("{name} has gone quiet",
             "No touch logged in {workdays}. A short check-in may help."),
            ("Quiet radar: {name}",
             "{workdays} without a logged touch. Maybe ask how things are going?"),
            ("Check in with {name}?",
             "Nothing logged for {workdays}. A quiet rep needs a coach, not pressure."),
        ),
        "badge_earned": (
            ("Badge earned: {badge}",
             "Well done — regular, varied contact pays off."),
            ("New badge: {badge}",
             "Your care for your customers shows. Have a look at your badges."),
            ("You earned {badge}",
             "Keep in touch — unobtrusively, again and again."),
        ),
        "challenge_finished": (
            ("Challenge finished: {challenge}",
             "See how the team did."),
            ("{challenge} is over",
             "Thanks for keeping in touch — the results are in."),
            ("Results are in: {challenge}",
             "Have a look at how everyone kept in touch."),
        ),
        "weekly_summary": (
            ("Your week ahead",
             "Quiet: {quiet} · warming: {warming}. A few touches this week keep them close."),
            ("Weekly check-in",
             "Quiet customers: {quiet}, warming: {warming}. They are waiting for a sign of life."),
            ("A new week, a fresh start",
             "Quiet: {quiet}, warming: {warming}. One touch a day is enough."),
        ),
        "coach_weekly": (
            ("Your team last week",
             "{touches} · {active} of {reps} reps kept in touch."),
            ("Team week in review",
             "{active} of {reps} reps logged touches — {touches} in all."),
            ("Monday check: your team",
             "Last week: {touches}, {active} of {reps} reps active."),
        ),
        "test": (
            ("Touchbase test", "Reminders work on this device."),
            ("Hello from Touchbase", "This is a test push — reminders will look like this."),
            ("Test push", "Push notifications are set up on this device."),
        ),
    },
    "de": {
        "streak_at_risk": (
            ("Deine {streak_label} endet heute Abend",
             "{name} hat seit {days_since} nichts von dir gehört — ein Kontakt hält sie am Leben."),
            ("Lass deine {streak_label} heute nicht reißen",
             "Ein Kontakt rettet sie. {name} wartet seit {days_since}."),
            ("Halte deine {streak_label} am Leben",
             "Heute ist noch nichts eingetragen. Wie wäre es mit {name}? Seit {days_since} ohne Nachricht."),
        ),
        "streak_at_risk_plain": (
            ("Deine {streak_label} endet heute Abend",
             "Heute ist noch nichts eingetragen — ein Kontakt hält sie am Leben."),
            ("Lass deine {streak_label} heute nicht reißen",
             "Ein kurzer Anruf oder eine kleine Notiz genügt."),
            ("Halte deine {streak_label} am Leben",
             "Trag noch heute einen Kontakt ein."),
        ),
        "quiet_digest": (
            ("{name}: seit {days_since} ohne Nachricht",
             "Ein kurzes Hallo genügt, um wieder in Kontakt zu kommen."),
            ("{name} wird still",
             "Seit {days_since} kein Kontakt — heute ist ein guter Tag für ein Lebenszeichen."),
            ("Zeit für {name}?",
             "Seit {days_since} ist es still. Schweigen sagt einem Kunden, dass er nicht zählt."),
        ),
        "pipeline_quiet": (
            ("Deine Pipeline ist still geworden",
             "Seit {days_since} kein Kontakt. Ein Anruf heute bringt wieder Bewegung hinein."),
            ("Seit {days_since} kein Kontakt",
             "Kunden erinnern sich, wer in Kontakt geblieben ist. Bei wem meldest du dich heute?"),
            ("Bleib in Kontakt — gerade jetzt",
             "Seit {days_since} hat niemand von dir gehört. Such dir einen Kunden aus und sag Hallo."),
        ),
        "coach_alert": (
            ("{name} ist still geworden",
             "Seit {workdays} kein Kontakt eingetragen. Ein kurzes Gespräch kann helfen."),
            ("Stiller Radar: {name}",
             "Seit {workdays} kein eingetragener Kontakt. Vielleicht fragen, wie es läuft?"),
            ("Bei {name} nachfragen?",
             "Seit {workdays} nichts eingetragen. Wer still wird, braucht einen Coach, keinen Druck."),
        ),
        "badge_earned": (
            ("Abzeichen verdient: {badge}",
             "Gut gemacht — regelmäßiger, vielfältiger Kontakt zahlt sich aus."),
            ("Neues Abzeichen: {badge}",
             "Deine Kundenpflege zeigt Wirkung. Schau dir deine Abzeichen an."),
            ("Du hast {badge} verdient",
             "Bleib in Kontakt — unaufdringlich, immer wieder."),
        ),
        "challenge_finished": (
            ("Challenge beendet: {challenge}",
             "Sieh dir an, wie das Team abgeschnitten hat."),
            ("{challenge} ist vorbei",
             "Danke fürs Dranbleiben — die Ergebnisse sind da."),
            ("Ergebnisse: {challenge}",
             "Schau dir an, wie alle in Kontakt geblieben sind."),
        ),
        "weekly_summary": (
            ("Deine Woche",
             "Still: {quiet} · abkühlend: {warming}. Ein paar Kontakte diese Woche halten sie nah."),
            ("Wochenüberblick",
             "Stille Kunden: {quiet}, abkühlend: {warming}. Sie warten auf ein Lebenszeichen."),
            ("Neue Woche, neuer Anlauf",
             "Still: {quiet}, abkühlend: {warming}. Ein Kontakt am Tag genügt."),
        ),
        "coach_weekly": (
            ("Dein Team letzte Woche",
             "{touches} · {active} von {reps} im Team haben Kontakt gehalten."),
            ("Teamwoche im Rückblick",
             "{active} von {reps} haben Kontakte eingetragen — {touches} insgesamt."),
            ("Montagscheck: dein Team",
             "Letzte Woche: {touches}, {active} von {reps} aktiv."),
        ),
        "test": (
            ("Touchbase-Test", "Erinnerungen funktionieren auf diesem Gerät."),
            ("Hallo von Touchbase", "Das ist ein Test — so sehen Erinnerungen aus."),
            ("Test-Push", "Push-Mitteilungen sind auf diesem Gerät eingerichtet."),
        ),
    },
}

# Building blocks: plurals (German in the dative after "seit"/"von", "_nom" in the nominative),
# list items and the optional sentences appended to a body.
PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "days.one": "{n} day",
        "days.other": "{n} days",
        "days_nom.one": "{n} day",
        "days_nom.other": "{n} days",
        "workdays.one": "{n} workday",
        "workdays.other": "{n} workdays",
        "workdays_nom.one": "{n} workday",
        "workdays_nom.other": "{n} workdays",
        "streak.one": "{n}-day streak",
        "streak.other": "{n}-day streak",
        "item": "{name} ({count})",
        "more": "+{n} more",
        "separator": ", ",
        "also_quiet": "Also quiet: {list}.",
        "start_with": "Start with {name} — {days} without news.",
        "touches.one": "{n} touch",
        "touches.other": "{n} touches",
        "silent": "No touch from: {list}.",
        "idea": "Idea: {idea}",
    },
    "de": {
        "days.one": "{n} Tag",
        "days.other": "{n} Tagen",
        "days_nom.one": "{n} Tag",
        "days_nom.other": "{n} Tage",
        "workdays.one": "{n} Arbeitstag",
        "workdays.other": "{n} Arbeitstagen",
        "workdays_nom.one": "{n} Arbeitstag",
        "workdays_nom.other": "{n} Arbeitstage",
        "streak.one": "Serie von {n} Tag",
        "streak.other": "Serie von {n} Tagen",
        "item": "{name} ({count})",
        "more": "+{n} weitere",
        "separator": ", ",
        "also_quiet": "Ebenfalls still: {list}.",
        "start_with": "Fang bei {name} an — seit {days} ohne Nachricht.",
        "touches.one": "{n} Kontakt",
        "touches.other": "{n} Kontakte",
        "silent": "Kein Kontakt von: {list}.",
        "idea": "Idee: {idea}",
    },
}

IDEAS: dict[str, tuple[str, ...]] = {
    "en": (
        "Invite them for coffee and cake.",
        "Send a handwritten card — no reason needed.",
        "Ask them along for a walk with the dog.",
        "Forward an article that made you think of them.",
        "Call just to ask how they are — no pitch.",
        "Send a short video message instead of an e-mail.",
        "Drop by with a small local treat.",
        "Introduce them to someone who could help them.",
        "Congratulate them on a recent milestone.",
        "Ask for their honest advice on something you are working on.",
    ),
    "de": (
        "Lade sie auf Kaffee und Kuchen ein.",
        "Schick eine handgeschriebene Karte — ganz ohne Anlass.",
        "Frag, ob sie beim Spaziergang mit dem Hund mitkommen.",
        "Leite einen Artikel weiter, der dich an sie erinnert hat.",
        "Ruf einfach an und frag, wie es geht — ohne Verkaufsgespräch.",
        "Schick eine kurze Videobotschaft statt einer E-Mail.",
        "Komm mit einer kleinen Spezialität aus der Region vorbei.",
        "Stell sie jemandem vor, der ihnen weiterhelfen kann.",
        "Gratuliere zu einem aktuellen Erfolg.",
        "Frag sie ehrlich um Rat bei etwas, woran du gerade arbeitest.",
    ),
}


# --- the rep's moment ------------------------------------------------------------------


@dataclass(frozen=True)
class Moment:
    """The instant as the rep lives it: local day, hour position and today's windows.

    Hours are compared as *positions in the rep's day*, ``(hour - day_start_hour) % 24``, so
    that 01:30 with a day start of 3 counts as the late evening of the day before.
    """

    now: datetime
    local: datetime
    day: date
    position: int
    workday: bool
    quiet: bool
    day_end: datetime
    morning: range
    daytime: range
    evening: range


def moment(snapshot: RepSnapshot, now: datetime) -> Moment:
    """Return the rep's view of the aware instant *now*; reject naive instants."""
    now = clock.require_aware(now)
    local = clock.local_now(now, snapshot.timezone)
    day = clock.local_day(now, snapshot.timezone, snapshot.day_start_hour)
    start = snapshot.day_start_hour

    def position(hour: int) -> int:
        return (hour - start) % 24

    def quiet_at(pos: int) -> bool:
        return in_quiet_hours(snapshot, (pos + start) % 24)

    # The morning opens at 08:00 (or the day start, if later) or, when that is a quiet hour,
    # at the first hour after it; it lasts until noon and at least two hours.
    opens = max(MORNING_HOUR - start, 0)
    while opens < 24 and quiet_at(opens):
        opens += 1
    closes = min(max(NOON_HOUR - start, opens + MIN_MORNING_HOURS), 24)
    evening = position(snapshot.evening_hour)
    return Moment(
        now=now,
        local=local,
        day=day,
        position=position(local.hour),
        workday=day.weekday() in snapshot.workdays,
        quiet=in_quiet_hours(snapshot, local.hour),
        day_end=clock.day_bounds(day, snapshot.timezone, start)[1],
        morning=range(opens, closes),
        daytime=range(opens, max(evening, closes)),
        evening=range(evening, 24),
    )


def in_quiet_hours(snapshot: RepSnapshot, hour: int) -> bool:
    """Tell whether the wall-clock *hour* lies in the rep's quiet hours (start inclusive).

    ``22 → 7`` crosses midnight and covers 22:00–06:59; ``12 → 14`` covers 12:00–13:59.
    """
    start, end = snapshot.quiet_start_hour, snapshot.quiet_end_hour
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end


def dedup_key(user_id: int, kind: NudgeKind | str, day: date) -> str:
    """Return the outbox's unique key for one (rep, kind, local day)."""
    return f"{user_id}:{kind}:{day.isoformat()}"


def backed_off(snapshot: RepSnapshot) -> bool:
    """Tell whether the rep ignored enough pushes in a row to get only the weekly summary."""
    return snapshot.ignored_in_a_row >= BACKOFF_AFTER


# --- the rules -------------------------------------------------------------------------

Rule = Callable[[RepSnapshot, Moment], "Nudge | None"]


def streak_at_risk(snapshot: RepSnapshot, m: Moment) -> Nudge | None:
    """Warn that the streak ends tonight.

    Due from the rep's evening hour to the end of their local day (so after midnight, before
    the day start, it still belongs to the evening before), on a workday, when the streak is
    running (``streak_current > 0``) and nothing was logged today. Names the most urgent quiet
    customer and links to them (else to Today). TTL: until the local day ends.
    """
    if not (m.workday and m.position in m.evening and snapshot.streak_current > 0):
        return None
    if _active_today(snapshot):
        return None
    lang = _lang(snapshot)
    values = {"streak_label": _count(lang, "streak", snapshot.streak_current)}
    url = "/"
    top = _top_customer(snapshot)
    if top is None:
        template = "streak_at_risk_plain"
    else:
        template = "streak_at_risk"
        customer_id, name, days = top
        values |= {"name": _clip_name(name, NAME_CHARS), "days_since": _count(lang, "days", days)}
        url = f"/customers/{customer_id}"
    return _nudge(snapshot, m, NudgeKind.streak_at_risk, template, values, url=url,
                  ttl=_until_day_end(m), idea=top is not None)


def coach_alert(snapshot: RepSnapshot, m: Moment) -> Nudge | None:
    """Tell a coach that reps on the team have been quiet for 3 workdays or more.

    Due from the morning to the evening of the coach's workday; names the quietest rep (the
    others in one sentence) and links to the team radar. TTL: until the local day ends.
    """
    reps = sorted(
        (QuietRep(*row) for row in snapshot.quiet_reps if row[2] >= COACH_ALERT_WORKDAYS),
        key=lambda rep: -rep.workdays_quiet,
    )
    if not (reps and m.workday and m.position in m.daytime):
        return None
    lang = _lang(snapshot)
    first, rest = reps[0], reps[1:]
    values = {"name": _clip_name(first.name, NAME_CHARS),
              "workdays": _count(lang, "workdays", first.workdays_quiet)}
    extra = _also_quiet(lang, [(rep.name, _count(lang, "workdays_nom", rep.workdays_quiet)) for rep in rest])
    return _nudge(snapshot, m, NudgeKind.coach_alert, "coach_alert", values, url="/team",
                  ttl=_until_day_end(m), extra=extra)


def quiet_digest(snapshot: RepSnapshot, m: Moment) -> Nudge | None:
    """Send one morning digest of the customers going quiet — never one push per customer.

    Due in the morning window of a workday (from 08:00, or the end of the quiet hours when
    later, until noon — at least two hours) when at least one customer is quiet. The title
    names the most urgent one and links to their page; the body lists up to two more and a
    count of the rest. TTL: until the local day ends.
    """
    customers = [QuietCustomer(*row) for row in snapshot.quiet_customers]
    if not (customers and m.workday and m.position in m.morning):
        return None
    lang = _lang(snapshot)
    first, rest = customers[0], customers[1:]
    values = {"name": _clip_name(first.name, NAME_CHARS), "days_since": _count(lang, "days", first.days_since)}
    extra = _also_quiet(lang, [(c.name, _count(lang, "days_nom", c.days_since)) for c in rest])
    return _nudge(snapshot, m, NudgeKind.quiet_digest, "quiet_digest", values,
                  url=f"/customers/{first.customer_id}", ttl=_until_day_end(m), extra=extra, idea=True)


def pipeline_quiet(snapshot: RepSnapshot, m: Moment) -> Nudge | None:
    """Say that the whole pipeline went quiet: no touch on the last 2 workdays.

    The last 2 workdays are the two most recent workdays before today that were not away
    days (within two weeks); the rule needs a rep who has logged before (``last_active_day``)
    and nothing logged today. Due from the morning to the evening of a workday; suggests the
    most urgent quiet customer and links to them (else to Today). TTL: until the day ends.
    """
    if not (m.workday and m.position in m.daytime) or _active_today(snapshot):
        return None
    last = snapshot.last_active_day
    recent = _recent_workdays(snapshot, m.day, PIPELINE_QUIET_WORKDAYS)
    if last is None or len(recent) < PIPELINE_QUIET_WORKDAYS:
        return None
    earliest = recent[-1]
    if last >= earliest or any(earliest <= d < m.day for d in snapshot.active_days):
        return None
    lang = _lang(snapshot)
    values = {"days_since": _count(lang, "days", (m.day - last).days)}
    url, extra = "/", ""
    top = _top_customer(snapshot)
    if top is not None:
        customer_id, name, days = top
        url = f"/customers/{customer_id}"
        extra = PHRASES[lang]["start_with"].format(name=_clip_name(name, LIST_NAME_CHARS),
                                                   days=_count(lang, "days", days))
    return _nudge(snapshot, m, NudgeKind.pipeline_quiet, "pipeline_quiet", values, url=url,
                  ttl=_until_day_end(m), extra=extra, idea=top is not None)


def badge_earned(snapshot: RepSnapshot, m: Moment) -> Nudge | None:
    """Announce badges earned and not yet announced, all in one push.

    Due at any hour outside quiet hours on any day, workday or not (news the rep made, not
    work asked for). Links to the badges page. TTL: three days.
    """
    if not snapshot.new_badges:
        return None
    lang = _lang(snapshot)
    names = _listing(lang, [name for _code, name in snapshot.new_badges])
    return _nudge(snapshot, m, NudgeKind.badge_earned, "badge_earned", {"badge": names},
                  url="/badges", ttl=NEWS_TTL, idea=False, refs=tuple(str(code) for code, _ in snapshot.new_badges))


def challenge_finished(snapshot: RepSnapshot, m: Moment) -> Nudge | None:
    """Announce finished team challenges not yet announced, all in one push.

    Due like a badge, at any hour outside quiet hours on any day. Links to the first
    challenge. TTL: three days.
    """
    if not snapshot.finished_challenges:
        return None
    lang = _lang(snapshot)
    first_id = snapshot.finished_challenges[0][0]
    titles = _listing(lang, [title for _id, title in snapshot.finished_challenges])
    return _nudge(snapshot, m, NudgeKind.challenge_finished, "challenge_finished", {"challenge": titles},
                  url=f"/challenges/{first_id}", ttl=NEWS_TTL, idea=False,
                  refs=tuple(str(cid) for cid, _ in snapshot.finished_challenges))


def weekly_summary(snapshot: RepSnapshot, m: Moment) -> Nudge | None:
    """Send the one push a backed-off rep still gets: a summary once per local week.

    Due in the morning window of a workday when no summary went out since this week's
    Monday — so on Monday, or on the first workday after an away or non-working Monday. Counts
    quiet and warming customers, suggests the most urgent one, links to Today. TTL: three days.
    """
    monday = m.day - timedelta(days=m.day.weekday())
    last = snapshot.last_weekly_summary_day
    if not (m.workday and m.position in m.morning) or (last is not None and last >= monday):
        return None
    lang = _lang(snapshot)
    values = {"quiet": len(snapshot.quiet_customers), "warming": snapshot.warming_count}
    extra = ""
    top = _top_customer(snapshot)
    if top is not None:
        extra = PHRASES[lang]["start_with"].format(name=_clip_name(top[1], LIST_NAME_CHARS),
                                                   days=_count(lang, "days", top[2]))
    return _nudge(snapshot, m, NudgeKind.weekly_summary, "weekly_summary", values, url="/",
                  ttl=NEWS_TTL, extra=extra, idea=top is not None)


def coach_weekly(snapshot: RepSnapshot, m: Moment) -> Nudge | None:
    """Send a coach the team's last week on Monday morning, their local time.

    Due in the morning window of the coach's first workday of the week (Monday for most), once:
    a coach away that morning hears next week. Reports last week's
    touches and how many reps kept in touch, names reps without a touch, links to the radar.
    TTL: three days. Only coaches get a ``team_week`` in their snapshot.
    """
    if snapshot.team_week is None:
        return None
    week = TeamWeek(*snapshot.team_week)
    monday = m.day - timedelta(days=m.day.weekday())
    last = snapshot.last_coach_weekly_day
    first_workday = m.day.weekday() == min(snapshot.workdays)
    if week.reps == 0 or not (first_workday and m.position in m.morning) or (last is not None and last >= monday):
        return None
    lang = _lang(snapshot)
    values = {"touches": _count(lang, "touches", week.touches), "active": week.active_reps, "reps": week.reps}
    extra = PHRASES[lang]["silent"].format(list=_listing(lang, week.silent)) if week.silent else ""
    return _nudge(snapshot, m, NudgeKind.coach_weekly, "coach_weekly", values, url="/team",
                  ttl=NEWS_TTL, extra=extra, idea=False)


RULES: dict[NudgeKind, Rule] = {
    NudgeKind.streak_at_risk: streak_at_risk,
    NudgeKind.coach_alert: coach_alert,
    NudgeKind.coach_weekly: coach_weekly,
    NudgeKind.quiet_digest: quiet_digest,
    NudgeKind.pipeline_quiet: pipeline_quiet,
    NudgeKind.badge_earned: badge_earned,
    NudgeKind.challenge_finished: challenge_finished,
}
WORKDAY_KINDS = frozenset(
    {NudgeKind.streak_at_risk, NudgeKind.coach_alert, NudgeKind.quiet_digest,
     NudgeKind.pipeline_quiet, NudgeKind.weekly_summary, NudgeKind.coach_weekly}
)


def due(snapshot: RepSnapshot, now: datetime) -> list[Nudge]:
    """Return the nudges due for the rep at the aware instant *now*, highest priority first.

    Applies the module's rules: nothing while away or in quiet hours; the weekly summary
    only, once backed off; switched-off kinds and keys already sent skipped; at most
    ``MAX_PER_DAY - pushes_today`` nudges, in `PRIORITY` order, keeping one slot for a
    streak at risk that may still come tonight.
    """
    m = moment(snapshot, now)
    room = MAX_PER_DAY - max(snapshot.pushes_today, 0)
    if snapshot.away_today or m.quiet or room <= 0:
        return []
    if backed_off(snapshot):
        kinds: tuple[NudgeKind, ...] = (NudgeKind.weekly_summary,)
    else:
        kinds = PRIORITY
        if _streak_may_come_tonight(snapshot, m):
            room -= 1
    found = []
    for kind in kinds:
        if len(found) >= room:
            break
        if kind not in snapshot.enabled_kinds or dedup_key(snapshot.user_id, kind, m.day) in snapshot.sent_keys_today:
            continue
        nudge = (weekly_summary if kind is NudgeKind.weekly_summary else RULES[kind])(snapshot, m)
        if nudge is not None:
            found.append(nudge)
    return found


def make_test_nudge(snapshot: RepSnapshot, now: datetime) -> Nudge:
    """Return the push for "send a test push": asked for, so no rule applies; key unique per second."""
    m = moment(snapshot, now)
    nudge = _nudge(snapshot, m, NudgeKind.test, "test", {}, url="/", ttl=TEST_TTL)
    key = f"{dedup_key(snapshot.user_id, NudgeKind.test, m.day)}:{int(m.now.timestamp())}"
    return Nudge(**{**nudge.__dict__, "key": key})


# --- helpers ---------------------------------------------------------------------------


def _streak_may_come_tonight(snapshot: RepSnapshot, m: Moment) -> bool:
    """Tell whether a streak-at-risk push may still be due later today (so keep a slot)."""
    return (
        NudgeKind.streak_at_risk in snapshot.enabled_kinds
        and m.workday
        and snapshot.streak_current > 0
        and not _active_today(snapshot)
        and m.position < m.evening.start
        and not in_quiet_hours(snapshot, snapshot.evening_hour)
        and dedup_key(snapshot.user_id, NudgeKind.streak_at_risk, m.day) not in snapshot.sent_keys_today
    )


def _active_today(snapshot: RepSnapshot) -> bool:
    return snapshot.today_active or snapshot.touches_today > 0


def _recent_workdays(snapshot: RepSnapshot, today: date, count: int) -> list[date]:
    """Return up to *count* workdays before *today* that were not away days, newest first."""
    away = set(snapshot.away_days)
    found = []
    for back in range(1, LOOKBACK_DAYS + 1):
        day = today - timedelta(days=back)
        if day.weekday() in snapshot.workdays and day not in away:
            found.append(day)
            if len(found) == count:
                break
    return found


def _top_customer(snapshot: RepSnapshot) -> tuple[int, str, int] | None:
    return tuple(snapshot.quiet_customers[0]) if snapshot.quiet_customers else None  # type: ignore[return-value]


def _lang(snapshot: RepSnapshot) -> str:
    prefix = (snapshot.locale or "en")[:2].lower()
    return prefix if prefix in MESSAGES else "en"


def _count(lang: str, noun: str, n: int) -> str:
    form = "one" if n == 1 else "other"
    return PHRASES[lang][f"{noun}.{form}"].format(n=n)


def _listing(lang: str, names: Sequence[str]) -> str:
    """Join up to `MAX_LISTED` names, clipped, and a "+n more" for the rest."""
    shown = [_clip_name(name, LIST_NAME_CHARS) for name in names[:MAX_LISTED]]
    if len(names) > MAX_LISTED:
        shown.append(PHRASES[lang]["more"].format(n=len(names) - MAX_LISTED))
    return PHRASES[lang]["separator"].join(shown)


def _also_quiet(lang: str, items: Sequence[tuple[str, str]]) -> str:
    """Return "Also quiet: A (12 days), B (9 days), +3 more." or "" without items."""
    if not items:
        return ""
    phrases = PHRASES[lang]
    listed = [phrases["item"].format(name=_clip_name(name, LIST_NAME_CHARS), count=count)
              for name, count in items[: MAX_LISTED - 1]]
    if len(items) > MAX_LISTED - 1:
        listed.append(phrases["more"].format(n=len(items) - (MAX_LISTED - 1)))
    return phrases["also_quiet"].format(list=phrases["separator"].join(listed))


def _pick(options: Sequence[T], day: date, user_id: int, salt: int = 0) -> T:
    """Pick deterministically: the same all day for a rep, the next one tomorrow."""
    return options[(day.toordinal() + user_id + salt) % len(options)]


def _nudge(
    snapshot: RepSnapshot,
    m: Moment,
    kind: NudgeKind,
    template: str,
    values: dict[str, object],
    *,
    url: str,
    ttl: int,
    extra: str = "",
    idea: bool = False,
    refs: tuple[str, ...] = (),
) -> Nudge:
    """Fill the day's template of *kind*, append *extra* and (with *idea*) a touch idea, and clip."""
    lang = _lang(snapshot)
    title, body = _pick(MESSAGES[lang][template], m.day, snapshot.user_id)
    parts = [body.format(**values), extra]
    if idea:
        salt = list(NudgeKind).index(kind) * 3
        parts.append(PHRASES[lang]["idea"].format(idea=_pick(IDEAS[lang], m.day, snapshot.user_id, salt)))
    return Nudge(
        user_id=snapshot.user_id,
        kind=kind,
        key=dedup_key(snapshot.user_id, kind, m.day),
        title=clip(title.format(**values), TITLE_CHARS, TITLE_BYTES),
        body=clip(" ".join(part for part in parts if part), BODY_CHARS, BODY_BYTES),
        url=url,
        topic=_topic(kind, m.day),
        urgency=URGENCY[kind],
        ttl=max(int(ttl), MIN_TTL),
        local_day=m.day,
        refs=refs,
    )


def _topic(kind: NudgeKind, day: date) -> str:
    """Return the Topic: one per kind, so a newer push replaces a stale undelivered one.

    Badge and challenge pushes carry their day, so yesterday's still-undelivered news is not
    swallowed by today's.
    """
    topic = "tb-" + kind.value.replace("_", "-")
    if kind in (NudgeKind.badge_earned, NudgeKind.challenge_finished):
        topic += day.strftime("-%Y%m%d")
    return topic


def _until_day_end(m: Moment) -> int:
    return math.ceil((m.day_end - m.now).total_seconds())


def _clip_name(name: str, max_chars: int) -> str:
    """Flatten whitespace and control characters in a name, then clip it."""
    flat = " ".join("".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
                            for ch in str(name)).split())
    return clip(flat, max_chars)


def clip(text: str, max_chars: int, max_bytes: int | None = None) -> str:
    """Shorten *text* to *max_chars* characters (and *max_bytes* UTF-8 bytes) with an ellipsis.

    Cuts between characters, never inside one, and not inside a combining sequence (an accent
    or a zero-width joiner stays with its base character).
    """
    limit_bytes = max_bytes if max_bytes is not None else 4 * max_chars
    if len(text) <= max_chars and len(text.encode()) <= limit_bytes:
        return text
    cut = min(len(text), max_chars - 1)
    while cut > 0 and (len(text[:cut].encode()) + 3 > limit_bytes or _joins(text, cut)):
        cut -= 1
    return text[:cut].rstrip() + "…"


def _joins(text: str, cut: int) -> bool:
    """Tell whether cutting *text* before index *cut* would split a combined character."""
    nxt, prev = text[cut], text[cut - 1]
    return (
        unicodedata.category(nxt) in ("Mn", "Mc", "Me")
        or nxt in "\u200d\ufe0e\ufe0f"
        or prev == "\u200d"
        or 0x1F3FB <= ord(nxt) <= 0x1F3FF
    )


def placeholders(template: str) -> frozenset[str]:
    """Return the names of the ``{placeholders}`` in a template."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)
