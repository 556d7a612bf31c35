"""Badges (DESIGN.md "Gamification"): regularity, variety and care — never volume.

Pure: a registry of rules over a ``Stats`` snapshot that the caller builds with a few
set-based queries. Names, descriptions and progress units are plain ``{"en": ..., "de": ...}``
dicts (not Flask-Babel), so the CLI and push messages can use them outside a request.

Awarding is idempotent by construction: ``newly_earned(stats, already)`` only returns badges
whose code is not in *already*; the database's unique ``(user_id, code)`` constraint makes a
replayed or concurrent touch harmless. A badge once earned is kept, even if the stats that
earned it later drop (a deleted touch, a broken streak).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from .kinds import TouchKind

LANGUAGES = ("en", "de")
KUDOS_PER_COACH_PER_MONTH = 3
NO_ONE_LEFT_OUT_MIN_CUSTOMERS = 10


@dataclass(frozen=True)
class Stats:
    """A rep's gamification snapshot, built right after a touch is written (same transaction).

    - ``total_touches``: the rep's non-deleted touches, any direction.
    - ``touches_by_kind``: the rep's non-deleted *outbound* touches per kind (``GROUP BY kind``);
      badges reward what the rep chose to do. Missing kinds count 0.
    - ``kinds_this_week``: distinct kinds of the rep's non-deleted touches whose local day lies
      in the ISO week (Monday–Sunday, ``iso_week``) of the rep's today.
    - ``current_streak`` / ``longest_streak``: from ``streaks.summarize``.
    - ``rescues``: the rep's non-deleted touches flagged ``rescue``; ``max_quiet_days_rescued``:
      the longest silence one of them ended, in days (the rescued customer's days since its
      previous touch, or since it was created, on the rescue's local day).
    - ``perfect_weeks``: ``count_perfect_weeks(...)``.
    - ``kudos_received``: kudos given to the rep by coaches (all time).
    - ``challenges_finished``: challenges in which the rep reached their own target.
    - ``storm_rider``: the rep kept their streak through a whole crisis challenge
      (``challenges.kept_streak_through``).
    - ``customers`` / ``quiet_customers``: the rep's active (not archived, not paused)
      customers now, and how many of them are ``quiet``.
    """

    total_touches: int = 0
    touches_by_kind: Mapping[str, int] = field(default_factory=dict)
    kinds_this_week: int = 0
    current_streak: int = 0
    longest_streak: int = 0
    rescues: int = 0
    max_quiet_days_rescued: int = 0
    perfect_weeks: int = 0
    kudos_received: int = 0
    challenges_finished: int = 0
    storm_rider: bool = False
    customers: int = 0
    quiet_customers: int = 0

    def of_kind(self, kind: TouchKind | str) -> int:
        """Return how many outbound touches of *kind* the rep has logged."""
        return self.touches_by_kind.get(TouchKind(kind), 0)

    @property
    def kinds_ever(self) -> int:
        """Return how many different kinds the rep has used outbound."""
        return sum(1 for n in self.touches_by_kind.values() if n > 0)


@dataclass(frozen=True)
class Badge:
    """One badge: texts in every language of ``LANGUAGES``, an inline SVG icon, and its rule.

    By default the badge is earned when ``measure(stats) >= target``; a badge whose earning
    condition differs from the progress it shows (a streak badge is earned by the *longest*
    streak, but shows the *current* one while locked) passes ``qualifies``.
    """

    code: str
    name: Mapping[str, str]
    description: Mapping[str, str]
    unit: Mapping[str, str]
    icon: str
    target: int
    measure: Callable[[Stats], int]
    qualifies: Callable[[Stats], bool] | None = None
    target_of: Callable[[Stats], int] | None = None

    def earned(self, stats: Stats) -> bool:
        """Tell whether *stats* earn this badge."""
        if self.qualifies is not None:
            return self.qualifies(stats)
        return self.measure(stats) >= self.target

    def progress(self, stats: Stats) -> tuple[int, int]:
        """Return ``(value, target)`` for a locked badge, the value capped at the target."""
        target = self.target_of(stats) if self.target_of is not None else self.target
        return min(max(self.measure(stats), 0), target), target

    def progress_label(self, stats: Stats, locale: str = "en") -> str:
        """Return the progress as text, e.g. "7/10 letters" or "7/10 Briefe"."""
        value, target = self.progress(stats)
        return f"{value}/{target} {text(self.unit, locale)}"

    def name_in(self, locale: str) -> str:
        """Return the badge's name in *locale* (English when the language is unknown)."""
        return text(self.name, locale)

    def description_in(self, locale: str) -> str:
        """Return the badge's description in *locale* (English when the language is unknown)."""
        return text(self.description, locale)


BADGES: dict[str, Badge] = {}


def register(badge: Badge) -> Badge:
    """Add *badge* to the registry; a duplicate code or a missing language raises ValueError."""
    if badge.code in BADGES:
        raise ValueError(f"duplicate badge code: {badge.code}")
    for texts in (badge.name, badge.description, badge.unit):
        if any(not texts.get(lang) for lang in LANGUAGES):
            raise ValueError(f"badge {badge.code} lacks a text in one of {LANGUAGES}")
    BADGES[badge.code] = badge
    return badge


def get(code: str) -> Badge:
    """Return the badge with *code*; an unknown code raises KeyError."""
    return BADGES[code]


def newly_earned(stats: Stats, already: Iterable[str]) -> list[Badge]:
    """Return the badges *stats* earn that are not in *already*, in registry order.

    Codes in *already* that are no longer registered are ignored; calling again with the
    returned codes added to *already* returns nothing, so awarding is idempotent.
    """
    held = set(already)
    return [b for b in BADGES.values() if b.code not in held and b.earned(stats)]


def text(texts: Mapping[str, str], locale: str | None) -> str:
    """Return the entry of *texts* for *locale* ("de", "de-AT", "de_DE"), else English."""
    lang = (locale or "en").replace("_", "-").split("-")[0].lower()
    return texts.get(lang) or texts["en"]


def may_give_kudos(given_this_month: int) -> bool:
    """Tell whether a coach who gave *given_this_month* kudos may give another.

    A month is the calendar month of the coach's local day (``month_of``); at most
    ``KUDOS_PER_COACH_PER_MONTH`` (3) kudos a coach a month, so that a kudos stays special.
    """
    return 0 <= given_this_month < KUDOS_PER_COACH_PER_MONTH


def month_of(day: date) -> tuple[date, date]:
    """Return the first and last day of the calendar month of *day*."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def iso_week(day: date) -> tuple[date, date]:
    """Return the Monday and the Sunday of the ISO week of *day*."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def week_start(workdays: frozenset[int]) -> int:
    """Return the weekday (Monday = 0) on which the rep's work week starts.

    It is the first workday that follows a day off — Sunday for a Sunday–Thursday rep — and
    Monday when there is no such day (every day a workday, or none).
    """
    starts = [d for d in range(7) if d in workdays and (d - 1) % 7 not in workdays]
    return starts[0] if starts else 0


def count_perfect_weeks(
    active_days: Iterable[date],
    *,
    today: date,
    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4}),
    away: Iterable[tuple[date, date]] = (),
) -> int:
    """Return how many of the rep's work weeks up to *today* were perfect.

    A week is the 7 days from ``week_start(workdays)`` (Monday for Monday–Friday, Sunday for
    Sunday–Thursday). It is perfect when it has at least one expected workday (a workday not
    inside an inclusive *away* range), every one of them is active, and none lies after
    *today* — so a Monday–Friday week is perfect as soon as Friday is logged, and a week spent
    entirely away is not perfect. Active days off work neither help nor hurt.
    """
    active = {d for d in active_days if d <= today}
    if not active:
        return 0
    ranges = tuple(away)
    first = week_start(workdays)
    weeks = {d - timedelta(days=(d.weekday() - first) % 7) for d in active}
    perfect = 0
    for start in weeks:
        expected = [
            d
            for d in (start + timedelta(days=i) for i in range(7))
            if d.weekday() in workdays and not any(a <= d <= b for a, b in ranges)
        ]
        if expected and max(expected) <= today and all(d in active for d in expected):
            perfect += 1
    return perfect


def _icon(body: str) -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24" '
        'fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" '
        f'stroke-linejoin="round" aria-hidden="true" focusable="false">{body}</svg>'
    )


_FLAME = (
    '<path d="M12 22c4 0 7-3 7-7 0-5-4-7-5-12-2 3-3 5-3 8-1-1-2-2-2-4-2 2-3 5-3 8 0 4 3 7 6 7z"/>'
)


def _kind_count(kind: TouchKind) -> Callable[[Stats], int]:
    return lambda s: s.of_kind(kind)


def _streak(code: str, days: int, en: str, de: str, marks: str) -> Badge:
    return Badge(
        code=code,
        name={"en": en, "de": de},
        description={
            "en": f"Kept a streak of {days} active days.",
            "de": f"Eine Serie von {days} aktiven Tagen gehalten.",
        },
        unit={"en": "days", "de": "Tage"},
        icon=_icon(_FLAME + marks),
        target=days,
        measure=lambda s: s.current_streak,
        qualifies=lambda s: max(s.longest_streak, s.current_streak) >= days,
    )


for _badge in (
    Badge(
        code="first_touch",
        name={"en": "First touch", "de": "Erster Kontakt"},
        description={"en": "Logged your first touch.", "de": "Deinen ersten Kontakt erfasst."},
        unit={"en": "touches", "de": "Kontakte"},
        icon=_icon('<path d="M21 12a8 8 0 0 1-11.6 7.1L4 21l1.9-5.4A8 8 0 1 1 21 12z"/>'),
        target=1,
        measure=lambda s: s.total_touches,
    ),
    _streak("streak_7", 7, "One week strong", "Eine Woche dran", ""),
    _streak("streak_30", 30, "One month strong", "Einen Monat dran", '<path d="M3 3v4"/>'),
    _streak("streak_100", 100, "A hundred days", "Hundert Tage", '<path d="M3 3v4M6 2v3"/>'),
    Badge(
        code="five_kinds_week",
        name={"en": "Five ways in a week", "de": "Fünf Wege in einer Woche"},
        description={
            "en": "Used 5 different kinds of touch in one week.",
            "de": "In einer Woche 5 verschiedene Kontaktarten genutzt.",
        },
        unit={"en": "kinds this week", "de": "Arten diese Woche"},
        icon=_icon(
            '<circle cx="12" cy="5" r="2"/><circle cx="19" cy="10" r="2"/>'
            '<circle cx="16" cy="19" r="2"/><circle cx="8" cy="19" r="2"/>'
            '<circle cx="5" cy="10" r="2"/>'
        ),
        target=5,
        measure=lambda s: s.kinds_this_week,
    ),
    Badge(
        code="ten_letters",
        name={"en": "Pen pal", "de": "Brieffreund"},
        description={"en": "Wrote 10 letters.", "de": "10 Briefe geschrieben."},
        unit={"en": "letters", "de": "Briefe"},
        icon=_icon('<rect x="3" y="5" width="18" height="14" rx="2"/><path d="m3 7 9 6 9-6"/>'),
        target=10,
        measure=_kind_count(TouchKind.letter),
    ),
    Badge(
        code="first_dog_walk",
        name={"en": "Walkies", "de": "Gassi gehen"},
        description={
            "en": "Went for a walk with the dog and a customer.",
            "de": "Mit Hund und Kunde spazieren gegangen.",
        },
        unit={"en": "walks", "de": "Spaziergänge"},
        icon=_icon(
            '<circle cx="6" cy="10" r="1.8"/><circle cx="9.5" cy="5.5" r="1.8"/>'
            '<circle cx="14.5" cy="5.5" r="1.8"/><circle cx="18" cy="10" r="1.8"/>'
            '<path d="M12 12c-3 0-6 4-5 6.5 1 2 4 1 5 1s4 1 5-1c1-2.5-2-6.5-5-6.5z"/>'
        ),
        target=1,
        measure=_kind_count(TouchKind.walk),
    ),
    Badge(
        code="coffee_and_cake",
        name={"en": "Coffee and cake", "de": "Kaffee und Kuchen"},
        description={
            "en": "Met a customer for coffee.",
            "de": "Einen Kunden auf einen Kaffee getroffen.",
        },
        unit={"en": "coffees", "de": "Kaffees"},
        icon=_icon(
            '<path d="M4 9h12v4a5 5 0 0 1-5 5H9a5 5 0 0 1-5-5z"/>'
            '<path d="M16 10h2a2 2 0 0 1 0 4h-2M8 2v4M12 2v4M3 22h16"/>'
        ),
        target=1,
        measure=_kind_count(TouchKind.coffee),
    ),
    Badge(
        code="on_the_doorstep",
        name={"en": "On the doorstep", "de": "Vor der Tür"},
        description={
            "en": "Visited a customer in person.",
            "de": "Einen Kunden persönlich besucht.",
        },
        unit={"en": "visits", "de": "Besuche"},
        icon=_icon('<path d="M3 11 12 4l9 7"/><path d="M5 10v10h14V10"/><path d="M10 20v-6h4v6"/>'),
        target=1,
        measure=_kind_count(TouchKind.visit),
    ),
    Badge(
        code="be_creative",
        name={"en": "Be creative", "de": "Sei kreativ"},
        description={
            "en": "Logged a touch of your own invention.",
            "de": "Einen selbst erdachten Kontakt erfasst.",
        },
        unit={"en": "creative touches", "de": "kreative Kontakte"},
        icon=_icon(
            '<path d="M12 3v4M12 17v4M3 12h4M17 12h4M6 6l2 2M16 16l2 2M6 18l2-2M16 8l2-2"/>'
        ),
        target=1,
        measure=_kind_count(TouchKind.other),
    ),
    Badge(
        code="kaleidoscope",
        name={"en": "Kaleidoscope", "de": "Kaleidoskop"},
        description={
            "en": "Used 8 different kinds of touch.",
            "de": "8 verschiedene Kontaktarten genutzt.",
        },
        unit={"en": "kinds", "de": "Arten"},
        icon=_icon(
            '<circle cx="12" cy="12" r="9"/>'
            '<path d="M12 3v18M3 12h18M5.6 5.6l12.8 12.8M18.4 5.6 5.6 18.4"/>'
        ),
        target=8,
        measure=lambda s: s.kinds_ever,
    ),
    Badge(
        code="welcome_back",
        name={"en": "Welcome back", "de": "Willkommen zurück"},
        description={
            "en": "Got back in touch with a customer who had gone quiet.",
            "de": "Einen still gewordenen Kunden wieder erreicht.",
        },
        unit={"en": "rescues", "de": "Rettungen"},
        icon=_icon(
            '<path d="M12 20s-7-4.5-7-10a4 4 0 0 1 7-2.6A4 4 0 0 1 19 10c0 5.5-7 10-7 10z"/>'
        ),
        target=1,
        measure=lambda s: s.rescues,
    ),
    Badge(
        code="lifeline",
        name={"en": "Lifeline", "de": "Rettungsring"},
        description={
            "en": "Rescued a customer who had been quiet for 60 days or more.",
            "de": "Einen Kunden zurückgeholt, der 60 Tage oder länger still war.",
        },
        unit={"en": "quiet days", "de": "stille Tage"},
        icon=_icon(
            '<circle cx="12" cy="12" r="9"/><circle cx="12" cy="12" r="4"/>'
            '<path d="m5.6 5.6 3.6 3.6M14.8 14.8l3.6 3.6M18.4 5.6l-3.6 3.6M9.2 14.8l-3.6 3.6"/>'
        ),
        target=60,
        measure=lambda s: s.max_quiet_days_rescued,
    ),
    Badge(
        code="perfect_week",
        name={"en": "Perfect week", "de": "Perfekte Woche"},
        description={
            "en": "Got in touch on every workday of a week.",
            "de": "An jedem Arbeitstag einer Woche Kontakt gehalten.",
        },
        unit={"en": "perfect weeks", "de": "perfekte Wochen"},
        icon=_icon(
            '<rect x="3" y="5" width="18" height="16" rx="2"/>'
            '<path d="M3 10h18M8 3v4M16 3v4"/><path d="m9 15 2 2 4-4"/>'
        ),
        target=1,
        measure=lambda s: s.perfect_weeks,
    ),
    Badge(
        code="clockwork",
        name={"en": "Clockwork", "de": "Wie ein Uhrwerk"},
        description={"en": "Four perfect weeks.", "de": "Vier perfekte Wochen."},
        unit={"en": "perfect weeks", "de": "perfekte Wochen"},
        icon=_icon('<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 3"/>'),
        target=4,
        measure=lambda s: s.perfect_weeks,
    ),
    Badge(
        code="storm_rider",
        name={"en": "Storm rider", "de": "Sturmreiter"},
        description={
            "en": "Kept your streak through a whole crisis challenge.",
            "de": "Die Serie durch eine ganze Krisen-Challenge gehalten.",
        },
        unit={"en": "storms", "de": "Stürme"},
        icon=_icon('<path d="M13 2 6 13h5l-1 9 7-11h-5z"/><path d="M3 21c2-1.5 4-1.5 6 0"/>'),
        target=1,
        measure=lambda s: int(bool(s.storm_rider)),
    ),
    Badge(
        code="coach_kudos",
        name={"en": "Kudos from a coach", "de": "Lob vom Coach"},
        description={
            "en": "A coach singled out one of your touches as great.",
            "de": "Ein Coach hat einen deiner Kontakte besonders gelobt.",
        },
        unit={"en": "kudos", "de": "Lob"},
        icon=_icon('<circle cx="12" cy="9" r="6"/><path d="m9 14-2 8 5-3 5 3-2-8"/>'),
        target=1,
        measure=lambda s: s.kudos_received,
    ),
    Badge(
        code="challenge_finisher",
        name={"en": "Finisher", "de": "Ziel erreicht"},
        description={
            "en": "Reached your own target in a team challenge.",
            "de": "In einer Team-Challenge dein eigenes Ziel erreicht.",
        },
        unit={"en": "challenges", "de": "Challenges"},
        icon=_icon(
            '<path d="M8 4h8v6a4 4 0 0 1-8 0z"/>'
            '<path d="M8 6H5a3 3 0 0 0 3 4M16 6h3a3 3 0 0 1-3 4M12 14v4M8 21h8"/>'
        ),
        target=1,
        measure=lambda s: s.challenges_finished,
    ),
    Badge(
        code="no_one_left_out",
        name={"en": "No one left out", "de": "Niemand vergessen"},
        description={
            "en": "All your customers in touch at once — at least 10, none quiet.",
            "de": "Alle deine Kunden gleichzeitig in Kontakt – mindestens 10, keiner still.",
        },
        unit={"en": "customers in touch", "de": "Kunden in Kontakt"},
        icon=_icon(
            '<circle cx="9" cy="8" r="3"/><circle cx="17" cy="9" r="2.5"/>'
            '<path d="M3 20a6 6 0 0 1 12 0M15 20a4 4 0 0 1 6-3.5"/>'
        ),
        target=NO_ONE_LEFT_OUT_MIN_CUSTOMERS,
        measure=lambda s: s.customers - s.quiet_customers,
        qualifies=lambda s: s.customers >= NO_ONE_LEFT_OUT_MIN_CUSTOMERS and s.quiet_customers == 0,
        target_of=lambda s: max(s.customers, NO_ONE_LEFT_OUT_MIN_CUSTOMERS),
    ),
):
    register(_badge)

