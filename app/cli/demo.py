"""Demo data for ``make run``: one organisation, a coach, four reps and 90 days of touches.

``flask demo seed`` fills an empty database (no users at all) with a sales team that shows
the product at its best on the day it is seeded; ``flask demo seed --reset`` (development
only) deletes the demo organisation and seeds it again as of now. Every date is derived from
``now`` in each person's own zone, day start hour and workdays (``user.today(now)``), and a
fixed random seed makes the same ``now`` always give the same data. On any day of the year:

- **Lena Hoffmann**, the demo rep, has a streak of several weeks (one missed workday in it,
  covered by a freeze, and a freeze held now), has logged fewer touches today than her daily
  goal (a touch on a weekend day too, and before 07:00 only when the seed runs that early),
  is one letter away from the "Pen pal" badge (9 of 10) and owns a customer who went quiet
  64 days ago, so her next touch to him is a rescue.
- **Emma Clarke**'s streak is at risk tonight: she logged nothing yet today. Her customers
  are hotels, restaurants and a winery, busiest at weekends, so her workdays are all seven
  days — which is what lets "at risk" hold on a Saturday or Sunday too, truthfully, under the
  streak rules (a rep's non-workdays are neutral and never at risk).
- **Mike Sullivan** has gone quiet: nothing for over a week, his streak broken, several of his
  customers quiet — the one quiet rep on the coach's radar.
- **Luca Brunner** keeps a steady streak of a few weeks.
- **Katrin Albers**, the coach, switched the team into crisis mode three days ago, which
  started the storm-week coverage challenge: it runs for four more days and ranks the reps.
  An earlier crisis ran from the Monday seven weeks before this week's to the Friday four weeks
  before it (``PAST_CRISIS``): the team kept touching more in those weeks — more active days
  and more touches a day — and its coverage held, which the Trends page shows.
- **Follow-ups**: Lena planned, six days ago, to call her quiet customer today (first on her
  Today page) and a visit next week; Emma's planned e-mail is two days overdue, Mike's call five.

Touches are written directly (``log_touch`` only accepts three days back), each with
``occurred_at`` from a plausible local wall time in the rep's zone, never after ``now``, and
``local_day`` and ``rescue`` exactly as logging would have stored them; points, badges and
the kept streak state are then computed by the same operations as live touches. Each badge is
dated the day the history earned it, and today's touches score (nobody's customer is beyond the
unobtrusive cap today).
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import ColumnElement, delete, false, insert, or_, select, update
from sqlalchemy.orm import Session

from .. import badges, challenges, clock, points, warmth
from ..extensions import db
from ..kinds import Direction, Role, Tier, TouchKind
from ..models import BadgeAward, CrisisPeriod, Customer, FollowUp, Organization, Team, Touch, User
from ..operations import accounts, awards, crisis, ledger, streak_state
from ..queries import streak as streak_q

demo_cli = AppGroup("demo", help="Demo data.")

ORG_NAME = "Nordlicht Vertrieb GmbH"
TEAM_NAME = "Vertrieb DACH & USA"
HISTORY_DAYS = 90
SEED = 20261127
DEFAULT_URL = "http://127.0.0.1:5000"
DEMO_REP = "lena@nordlicht.example"
COACH = "katrin@nordlicht.example"
# Crisis mode went on this many local days before the coach's today, at this local time; the
# storm week (7 days from that day) is then always running, with days left.
CRISIS_DAYS_AGO = 3
CRISIS_AT = time(8, 40)
CRISIS_REASON = "Supplier strike: deliveries are weeks late"
CRISIS_MESSAGE = "Customers are nervous. A short call or a letter now is what they will remember."
# The earlier crisis: from the Monday this many weeks before the coach's current week, at 08:40,
# to the Friday of the week this many weeks before it, at 17:30 (coach's days), with its reason.
PAST_CRISIS = (7, 4)
PAST_CRISIS_REASON = "Port strike: containers stuck for weeks"
# In those weeks a workday is active with at least this chance, and a day has one touch more.
BUSY_RATE = 0.97
# The badge the demo rep is one touch away from, and the kind of touch that earns it.
NEAR_BADGE = "ten_letters"
NEAR_KIND = TouchKind.letter
# Before this local hour, a touch logged "today" happened between the day start and now.
EARLIEST_HOUR = 7


class Today(StrEnum):
    """What a person logged so far today.

    ``natural``: a normal workday's touches, those already in the past; ``partly``: at least
    one touch and fewer than the daily goal, also on a day off (all in the past, however early
    it is); ``nothing``: no touch yet.
    """

    natural = "natural"
    partly = "partly"
    nothing = "nothing"


@dataclass(frozen=True)
class Pattern:
    """How a person's active days look, counted back from yesterday.

    The *streak* most recent expected days (workdays) are active, except those at the indexes
    in *frozen* (0 = the latest workday before today), which are missed and covered by a
    freeze (each needs 7 active workdays before it); then *gap* workdays are missed (three
    misses break a streak even with two freezes held); every older workday is active with
    probability *rate*, a day off with *weekend_rate*. Nothing happens in the last
    *silent_days* calendar days; *today* says what today holds.
    """

    streak: int = 0
    frozen: tuple[int, ...] = ()
    gap: int = 0
    rate: float = 0.85
    weekend_rate: float = 0.05
    silent_days: int = 0
    today: Today = Today.natural
    per_day: tuple[int, ...] = (10, 25, 35, 20, 10)  # weights for 1..5 touches a day


@dataclass(frozen=True)
class Person:
    """A demo user and the shape of their history."""

    name: str
    email: str
    role: Role
    timezone: str
    locale: str | None
    daily_goal: int
    pattern: Pattern
    story: str
    workdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    notes_locale: str = "de"


@dataclass(frozen=True)
class Contact:
    """A demo customer.

    *plan* shapes the end of its history: ``green`` (touched as cadence asks), ``warming``
    (last touch between 70 % and 100 % of its cadence ago), ``quiet`` (last touch
    *quiet_for* days ago, beyond its cadence), ``paused`` (asked for a break), ``new`` (a fresh
    lead without touches yet). Cadences are the team's crisis cadences (× 0.7) while it is in
    crisis mode, as the pages judge them.
    """

    name: str
    company: str
    domain: str
    phone: str
    tier: Tier
    notes: str
    cadence: int | None = None
    plan: str = "green"
    quiet_for: int = 0
    likes: tuple[TouchKind, ...] = ()


A, B, C = Tier.A, Tier.B, Tier.C
K = TouchKind
EVERY_DAY = (0, 1, 2, 3, 4, 5, 6)

PEOPLE: tuple[Person, ...] = (
    Person("Katrin Albers", COACH, Role.coach, "Europe/Berlin", None, 2,
           Pattern(rate=0.55, weekend_rate=0.0, per_day=(60, 35, 5)), "the coach; crisis mode on"),
    Person("Lena Hoffmann", DEMO_REP, Role.rep, "Europe/Berlin", None, 3,
           Pattern(streak=45, frozen=(17,), gap=3, rate=0.8, weekend_rate=0.08, today=Today.partly),
           "the demo rep: a long streak"),
    Person("Luca Brunner", "luca@nordlicht.example", Role.rep, "Europe/Zurich", "de", 3,
           Pattern(streak=14, gap=3), "a steady streak"),
    Person("Emma Clarke", "emma@nordlicht.example", Role.rep, "Europe/Vienna", "en", 2,
           Pattern(streak=16, gap=3, today=Today.nothing), "streak at risk tonight",
           workdays=EVERY_DAY, notes_locale="en"),
    Person("Mike Sullivan", "mike@nordlicht.example", Role.rep, "America/New_York", "en", 3,
           Pattern(silent_days=8, today=Today.nothing), "quiet for over a week", notes_locale="en"),
)
DEMO_EMAILS = frozenset(p.email for p in PEOPLE)

CONTACTS: dict[str, tuple[Contact, ...]] = {
    "katrin@nordlicht.example": (
        Contact("Heinrich Albrecht", "Albrecht Gruppe Holding AG", "albrecht-gruppe.example", "+49 69 9799 4410", A,
                "Rahmenvertrag für die ganze Gruppe, Chefsache. Quartalsgespräch immer persönlich."),
        Contact("Ingrid Sommer", "Sommer Retail AG", "sommer-retail.example", "+49 211 8820 115", B,
                "Vorständin Einkauf. Schätzt kurze, handschriftliche Grüße.", likes=(K.letter,)),
    ),
    "lena@nordlicht.example": (
        Contact("Dr. Markus Krüger", "Krüger Maschinenbau GmbH", "krueger-maschinenbau.example", "+49 521 4471 203", A,
                "Geschäftsführer. Entscheidet schnell, mag kurze Telefonate vor 9 Uhr.", likes=(K.call,)),
        Contact("Sabine Vogt", "Vogt & Söhne Logistik KG", "vogt-logistik.example", "+49 40 66969 412", A,
                "Einkaufsleiterin. Bevorzugt E-Mail, antwortet meist am selben Tag.", likes=(K.email,)),
        Contact("Anja Schulte", "Schulte Medizintechnik AG", "schulte-medtech.example", "+49 7461 9630 58", A,
                "Neues Werk in Tuttlingen ab Q2. Will über Wartungsverträge sprechen.", likes=(K.visit, K.video)),
        Contact("Thomas Becker", "Brauerei Becker", "brauerei-becker.example", "+49 951 2231 90", B,
                "Familienbetrieb in vierter Generation. Labrador Bruno kommt zu jedem Termin mit.",
                cadence=10, likes=(K.walk, K.coffee)),
        Contact("Jörg Lehmann", "Lehmann Bau GmbH", "lehmann-bau.example", "+49 341 5580 17", B,
                "Bauleiter, tagsüber auf der Baustelle — am besten per Nachricht.", likes=(K.message,)),
        Contact("Claudia Neumann", "Stadtwerke Rheinfeld GmbH", "stadtwerke-rheinfeld.example", "+49 721 3304 266", B,
                "Ausschreibung im Herbst; Budget wird im Sommer festgelegt.", plan="warming"),
        Contact("Martin Wolf", "Wolf Elektrotechnik GmbH", "wolf-elektro.example", "+49 351 4870 33", B,
                "Werksumbau — hat um Funkstille bis nach der Inbetriebnahme gebeten.", plan="paused"),
        Contact("Frank Weber", "Weber Druck & Medien", "weber-druck.example", "+49 221 4710 385", C,
                "Früher Stammkunde, nach dem Eigentümerwechsel aus den Augen verloren.", plan="quiet", quiet_for=64),
        Contact("Petra Schmitt", "Hotel Seeblick", "hotel-seeblick.example", "+49 7531 9150 0", C,
                "Inhaberin. Trifft sich gern auf einen Kaffee auf der Terrasse.", likes=(K.coffee,)),
        Contact("Julia Braun", "Braun Feinkost GmbH", "braun-feinkost.example", "+49 89 99998 217", C,
                "Saisonales Geschäft; vor Weihnachten engmaschiger melden.", cadence=21),
    ),
    "luca@nordlicht.example": (
        Contact("Reto Keller", "Keller Präzisionsteile AG", "keller-praezision.example", "+41 52 214 33 10", A,
                "Technischer Leiter. Besuch in Winterthur lohnt sich immer.", likes=(K.visit,)),
        Contact("Nicole Huber", "Alpkäserei Huber AG", "alpkaeserei-huber.example", "+41 41 610 22 75", A,
                "Expandiert nach Deutschland, braucht Logistikpartner."),
        Contact("Corinne Favre", "Favre Horlogerie Sàrl", "favre-horlogerie.example", "+41 32 913 40 08", A,
                "Spricht lieber Französisch. Wöchentlicher Kurzabgleich vereinbart.", cadence=5, likes=(K.video,)),
        Contact("Stefan Meier", "Meier Holzbau GmbH", "meier-holzbau.example", "+41 71 222 58 40", B,
                "Wandert gern — letzte Besprechung auf dem Säntis-Weg.", likes=(K.walk,)),
        Contact("Barbara Frei", "Frei Treuhand AG", "frei-treuhand.example", "+41 41 728 15 90", B,
                "Sehr formell. Briefe mit Unterschrift kommen gut an.", cadence=10, likes=(K.letter,)),
        Contact("Daniel Baumann", "Baumann Logistik AG", "baumann-logistik.example", "+41 61 270 44 12", B,
                "Hat nach Preisrunde nichts mehr von sich hören lassen.", plan="quiet", quiet_for=23),
        Contact("Marco Rossi", "Rossi Costruzioni SA", "rossi-costruzioni.example", "+41 91 922 61 30", C,
                "Tessin; Termine am besten nach der Mittagspause.", plan="warming"),
        Contact("Sandra Gerber", "Hotel Bellevue Interlaken", "bellevue-interlaken.example", "+41 33 822 19 45", C,
                "Lädt jedes Jahr zum Sommerfest ein.", likes=(K.event,)),
        Contact("Urs Widmer", "Widmer Landtechnik AG", "widmer-landtechnik.example", "+41 31 839 70 66", C,
                "Saisonbetrieb: Frühjahr und Herbst sind Hochsaison."),
        Contact("Fabienne Schmid", "Schmid Apotheken AG", "schmid-apotheken.example", "+41 44 380 52 21", B,
                "Neuer Kontakt von der Messe in Basel — Erstgespräch vereinbaren.", plan="new"),
    ),
    "emma@nordlicht.example": (
        Contact("Mag. Elisabeth Gruber", "Gruber Kunststofftechnik GmbH", "gruber-kunststoff.example", "+43 732 7781 12", A,
                "Head of purchasing. Likes numbers first, small talk later.", likes=(K.email, K.video)),
        Contact("Wolfgang Pichler", "Pichler Holz & Bau GmbH", "pichler-holzbau.example", "+43 316 8204 55", A,
                "Owner. Prefers a visit on site in Graz over any call.", likes=(K.visit,)),
        Contact("Sabine Fuchs", "Fuchs Medizinprodukte GmbH", "fuchs-medizin.example", "+43 1 5032 870", A,
                "On a three-month sabbatical; her deputy asked us to pause.", plan="paused"),
        Contact("Andrea Wimmer", "Hotel Alpenrose", "alpenrose-kitzbuehel.example", "+43 5356 6427 0", B,
                "Family hotel in Kitzbühel. Coffee on the terrace is a tradition.", likes=(K.coffee,)),
        Contact("Christian Steiner", "Steiner Metallbau KG", "steiner-metallbau.example", "+43 662 8741 39", B,
                "Went silent after the budget freeze.", plan="quiet", quiet_for=19),
        Contact("Katharina Moser", "Moser Feinkost GmbH", "moser-feinkost.example", "+43 1 7124 466", B,
                "Sends a gift basket at Christmas — return the favour.", likes=(K.gift,)),
        Contact("Georg Bauer", "Bauer Transporte GmbH", "bauer-transporte.example", "+43 2742 3511 80", B,
                "Fleet renewal planned for next year.", plan="warming"),
        Contact("Lukas Hofer", "Hofer Elektro GmbH", "hofer-elektro.example", "+43 512 5870 24", C,
                "Small account, but recommends us to others.", plan="quiet", quiet_for=41),
        Contact("Maria Leitner", "Weingut Leitner", "weingut-leitner.example", "+43 2732 8630 5", C,
                "Winery in Krems. Invite her to the autumn tasting.", cadence=45, likes=(K.event, K.letter)),
        Contact("Peter Eder", "Druckerei Eder", "druckerei-eder.example", "+43 463 5120 77", C,
                "Print shop; quick questions by message work best.", likes=(K.message,)),
    ),
    "mike@nordlicht.example": (
        Contact("Jennifer Walsh", "Harborview Logistics Inc.", "harborview-logistics.example", "+1 973 555 0142", A,
                "VP Operations. Quarterly business review every March, June, September, December."),
        Contact("David Kim", "Brightline Dental Group", "brightline-dental.example", "+1 718 555 0117", A,
                "Opening two new practices; wants a rollout plan.", likes=(K.video,)),
        Contact("Emily Chen", "Chen Media Partners", "chenmedia.example", "+1 212 555 0163", A,
                "Fast mover, answers texts within minutes.", likes=(K.message,)),
        Contact("Robert Hayes", "Hayes & Brennan Architects LLP", "hayesbrennan.example", "+1 617 555 0108", B,
                "Walks his dog in Central Park on Fridays — join him.", likes=(K.walk,)),
        Contact("Michael O'Connor", "O'Connor Construction LLC", "oconnor-construction.example", "+1 914 555 0189", B,
                "Bids season starts in spring."),
        Contact("James Patel", "Patel Pharmacy Group", "patelpharmacy.example", "+1 201 555 0134", B,
                "Decides with his two brothers; send summaries in writing.", likes=(K.email, K.letter)),
        Contact("Lisa Rossi", "Rossi Family Restaurants", "rossirestaurants.example", "+1 201 555 0176", B,
                "Five locations in Hoboken and Jersey City. Lunch meetings only.", likes=(K.coffee, K.visit)),
        Contact("Maria Gonzalez", "Sunrise Bakery Co.", "sunrisebakery.example", "+1 718 555 0151", C,
                "Early riser — call before 8 am, never after lunch."),
        Contact("Sarah Thompson", "Hudson Valley Orchards", "hudsonvalleyorchards.example", "+1 845 555 0129", C,
                "Harvest season keeps her busy; a letter reaches her best.", cadence=60, plan="quiet", quiet_for=68),
        Contact("Kevin Murphy", "Murphy Marine Supply", "murphymarine.example", "+1 631 555 0195", C,
                "Invite him to the boat show again.", likes=(K.event,)),
    ),
}

# Calls and e-mails are everyday; letters, visits, coffee and walks are rarer and worth more.
KIND_WEIGHTS = {
    K.call: 30, K.email: 27, K.message: 11, K.video: 8, K.visit: 6, K.coffee: 5,
    K.letter: 4, K.other: 3, K.walk: 2, K.gift: 2, K.event: 2,
}
WEEKEND_KINDS = {K.message: 5, K.email: 3, K.event: 2, K.walk: 1, K.other: 1}
INBOUND_SHARE = {K.call: 0.3, K.email: 0.35, K.message: 0.3, K.video: 0.15, K.event: 0.2}
# Local wall-clock windows (start hour, end hour) in which a kind of touch plausibly happens.
HOURS = {
    K.call: ((8, 18),), K.email: ((7, 19),), K.message: ((7, 20),), K.video: ((8, 18),),
    K.letter: ((9, 17),), K.visit: ((9, 16),), K.coffee: ((9, 11), (14, 16)),
    K.walk: ((7, 8), (12, 13), (17, 19)), K.gift: ((10, 16),), K.event: ((17, 21),), K.other: ((8, 18),),
}

NOTES: dict[str, dict[TouchKind, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "de": {
        K.call: (("Kurz zum Liefertermin telefoniert.", "Nachgefragt, wie die Einführung läuft.",
                  "Quartalsgespräch — alles im grünen Bereich.", "Angebot besprochen, Rückmeldung bis Freitag.",
                  "Nur kurz Hallo gesagt, war im Stress."),
                 ("Kunde hat zurückgerufen — Frage zur Rechnung.", "Anruf wegen Nachbestellung.",
                  "Hat angerufen, um sich für den schnellen Service zu bedanken.")),
        K.email: (("Protokoll der Besprechung geschickt.", "Fachartikel weitergeleitet, der passt.",
                   "Angebot nachgereicht.", "Terminvorschläge für nächste Woche geschickt."),
                  ("Anfrage zu Lieferzeiten beantwortet.", "Kunde schickt neue Mengenplanung.",
                   "Rückfrage zum Vertrag, gleich beantwortet.")),
        K.message: (("Kurze Nachricht: Glückwunsch zum Messeauftritt!", "Foto vom Lieferstand geschickt.",
                     "Per Nachricht an den Termin erinnert."),
                    ("Kurze Frage per Nachricht beantwortet.", "Hat ein Foto von der neuen Halle geschickt.")),
        K.video: (("Videocall zur Projektplanung.", "Kurzer Videoabgleich mit dem Team des Kunden.",
                   "Produktdemo per Video."),
                  ("Kunde hat spontan zum Videocall eingeladen.",)),
        K.visit: (("Vor Ort: neue Halle besichtigt.", "Besuch mit Musterkoffer.",
                   "Jahresgespräch in der Firma, sehr offen."), ()),
        K.coffee: (("Kaffee und Kuchen im besten Café der Stadt.", "Espresso nach dem Termin, privat geplaudert.",
                    "Frühstück vor der Messe."), ()),
        K.walk: (("Runde mit dem Hund am Fluss — bestes Gespräch seit Monaten.",
                  "Mittagsspaziergang statt Besprechungsraum.", "Abendrunde mit Bruno und dem Kunden."), ()),
        K.letter: (("Handgeschriebene Karte zum Firmenjubiläum.", "Dankesbrief nach dem Auftrag.",
                    "Persönlicher Brief mit dem Jahresrückblick."), ()),
        K.gift: (("Kleines Präsent zum Geburtstag vorbeigebracht.", "Regionale Spezialitäten geschickt.",
                  "Buch zum Thema Führung geschenkt."), ()),
        K.event: (("Gemeinsam auf der Fachmesse.", "Zum Sommerfest eingeladen.", "Beim Kundenabend getroffen."),
                  ("Kunde hat uns zur Hausmesse eingeladen.",)),
        K.other: (("Beitrag des Kunden auf LinkedIn kommentiert.", "Podcast-Folge empfohlen, die passt.",
                   "Beim Firmenlauf angefeuert.", "Kontakt zu einem Lieferanten vermittelt."), ()),
    },
    "en": {
        K.call: (("Quick call about the delivery date.", "Checked in on how the rollout is going.",
                  "Quarterly check-in — all good.", "Went through the quote, answer by Friday.",
                  "Just said hello, they were swamped."),
                 ("Customer called back about the invoice.", "Called in a reorder.",
                  "Called to say thanks for the quick fix.")),
        K.email: (("Sent the meeting notes.", "Forwarded an article that fits their project.",
                   "Sent the revised quote.", "Proposed meeting times for next week."),
                  ("Answered their question about lead times.", "They sent the new volume forecast.",
                   "Contract question, answered right away.")),
        K.message: (("Short message: congrats on the trade show!", "Sent a photo of the shipment.",
                     "Reminder about tomorrow's meeting."),
                    ("Answered a quick question by text.", "They sent a photo of the new warehouse.")),
        K.video: (("Video call on the project plan.", "Short video sync with their team.",
                   "Product demo over video."),
                  ("They invited us to a spontaneous video call.",)),
        K.visit: (("On site: toured the new plant.", "Visit with the sample case.",
                   "Annual review at their office, very open."), ()),
        K.coffee: (("Coffee and cake at the best café in town.", "Espresso after the meeting, personal chat.",
                    "Breakfast before the trade show."), ()),
        K.walk: (("Walk with the dog along the river — best talk in months.",
                  "Lunchtime walk instead of a meeting room.", "Evening walk in the park with the customer."), ()),
        K.letter: (("Handwritten card for their company anniversary.", "Thank-you letter after the order.",
                    "Personal letter with the year in review."), ()),
        K.gift: (("Dropped off a small birthday present.", "Sent a box of local treats.",
                  "Gave them a book on leadership."), ()),
        K.event: (("Met at the trade fair.", "Invited them to the summer party.", "Met at our customer evening."),
                  ("They invited us to their open house.",)),
        K.other: (("Commented on their LinkedIn post.", "Recommended a podcast episode that fits.",
                   "Cheered them on at the city run.", "Introduced them to a supplier."), ()),
    },
}


@dataclass
class _Plan:
    """A customer being planned: its row and the limits on when it may be touched."""

    contact: Contact
    customer: Customer
    cadence: float  # the cadence its warmth is judged by now (the crisis cadence in crisis mode)
    first_day: date  # touches only from this day on
    last_day: date | None = None  # no touches after this day
    forced_day: date | None = None  # always touched on this day
    touched: date | None = None
    days: list[date] = field(default_factory=list)


@dataclass(frozen=True)
class SeedResult:
    """What seeding created."""

    organization: Organization
    users: tuple[User, ...]
    customers: int
    touches: int


@dataclass(frozen=True)
class Reseeded:
    """What ``reseed`` did: the rows of the old demo organisation it deleted, and the new seed."""

    deleted: int
    seeded: SeedResult


class NotTheDemo(Exception):
    """The demo's e-mail addresses belong to people outside the demo organisation."""


def _local_instant(day: date, hour: int, minute: int, tz: str) -> datetime:
    """Return the aware UTC instant of a local wall time; hours used here never fall in a DST gap."""
    return datetime.combine(day, time(hour, minute), tzinfo=clock.zone(tz)).astimezone(clock.UTC)


def _earlier_today(rng: random.Random, user: User, day: date, now: datetime) -> datetime:
    """Return a whole minute of the rep's *day* that is not after *now*.

    From 07:00 local once that has passed, else (a seed run in the small hours) from the day
    start on: the touches of today that the demo promises must already have happened.
    """
    start, _ = clock.day_bounds(day, user.timezone, user.day_start_hour)
    morning = _local_instant(day, EARLIEST_HOUR, 0, user.timezone)
    earliest = morning if morning <= now else start
    return earliest + timedelta(minutes=rng.randint(0, int((now - earliest).total_seconds()) // 60))


def _workdays_before(today: date, first: date, workdays: frozenset[int]) -> list[date]:
    """Return the workdays from *first* up to the day before *today*, newest first."""
    days, day = [], today - timedelta(days=1)
    while day >= first:
        if day.weekday() in workdays:
            days.append(day)
        day -= timedelta(days=1)
    return days


def _active_days(rng: random.Random, pattern: Pattern, *, today: date, first: date,
                 workdays: frozenset[int], busy: tuple[date, date] | None = None) -> list[date]:
    """Return the days before *today* with touches for one person, oldest first, following *pattern*.

    A workday in the *busy* days (the earlier crisis) is active with at least ``BUSY_RATE``.
    """
    recent = _workdays_before(today, first, workdays)
    active: set[date] = set()
    for i, day in enumerate(recent):
        rate = max(pattern.rate, BUSY_RATE) if busy and busy[0] <= day <= busy[1] else pattern.rate
        if i < pattern.streak:
            if i not in pattern.frozen:
                active.add(day)
        elif i >= pattern.streak + pattern.gap and rng.random() < rate:
            active.add(day)
    # A touch on a day off inside the gap could earn a rescue's freeze and bridge it.
    gap = recent[pattern.streak:pattern.streak + pattern.gap]
    day = first
    while day < today:
        in_gap = bool(gap) and gap[-1] <= day <= gap[0]
        if day.weekday() not in workdays and not in_gap and rng.random() < pattern.weekend_rate:
            active.add(day)
        day += timedelta(days=1)
    if pattern.silent_days:
        active = {d for d in active if (today - d).days >= pattern.silent_days}
    return sorted(active)


def _today_count(rng: random.Random, person: Person, user: User, today: date) -> int:
    """Return how many touches *person* logs on *today* (see ``Today``)."""
    plan = person.pattern.today
    workday = today.weekday() in user.workday_set
    if plan is Today.nothing:
        return 0
    if plan is Today.partly:
        return rng.randint(1, max(1, user.daily_goal - 1)) if workday else 1
    if not workday:
        return 0
    return rng.choices(range(1, len(person.pattern.per_day) + 1), weights=person.pattern.per_day)[0]


def _pick_customers(rng: random.Random, plans: list[_Plan], day: date, count: int, *,
                    unobtrusive: bool = False) -> list[_Plan]:
    """Pick whom a person touched on *day*: forced ones first, then the most overdue, by chance.

    *unobtrusive* leaves out customers touched :data:`points.CAP_TOUCHES` times already in the
    unobtrusive cap's window, so that what is picked scores: today's touches, which the Today
    page counts.
    """
    chosen = [p for p in plans if p.forced_day == day]
    window_start, _ = points.cap_window(day)
    pool = [
        p for p in plans
        if p not in chosen and p.first_day <= day and (p.last_day is None or day <= p.last_day)
        and not (unobtrusive and sum(window_start <= d < day for d in p.days) >= points.CAP_TOUCHES)
    ]
    weights = []
    for p in pool:
        since = (day - (p.touched or p.customer.created_day)).days
        tier = {Tier.A: 1.3, Tier.B: 1.0, Tier.C: 0.8}[p.customer.tier]
        weights.append(max(since / p.cadence, 0.05) ** 2 * tier)
    while pool and len(chosen) < count:
        i = rng.choices(range(len(pool)), weights=weights)[0]
        chosen.append(pool.pop(i))
        weights.pop(i)
    return chosen


def _pick_kind(rng: random.Random, contact: Contact, weekend: bool) -> TouchKind:
    """Pick a kind of touch, favouring what this customer likes."""
    table = WEEKEND_KINDS if weekend else KIND_WEIGHTS
    kinds = list(table)
    weights = [table[k] * (4 if k in contact.likes else 1) for k in kinds]
    return rng.choices(kinds, weights=weights)[0]


def _note(rng: random.Random, locale: str, kind: TouchKind, direction: Direction) -> str | None:
    """Pick a short note in the person's language; ``other`` always has one."""
    outbound, inbound = NOTES[locale][kind]
    if kind is not K.other and rng.random() < 0.25:
        return None
    return rng.choice(inbound if direction is Direction.in_ and inbound else outbound)


def _touch_row(rng: random.Random, user: User, locale: str, plan: _Plan, day: date, kind: TouchKind) -> dict:
    """Return the column values of one touch on *day*, at a plausible local hour for its kind."""
    start, end = rng.choice(HOURS[kind])
    minutes = rng.randrange(start * 60, end * 60)
    occurred_at = _local_instant(day, minutes // 60, minutes % 60, user.timezone)
    direction = Direction.in_ if rng.random() < INBOUND_SHARE.get(kind, 0.0) else Direction.out
    return {
        "organization_id": user.organization_id,
        "user_id": user.id,
        "customer_id": plan.customer.id,
        "kind": kind,
        "direction": direction,
        "note": _note(rng, locale, kind, direction),
        "occurred_at": occurred_at,
        "local_day": user.day_of(occurred_at),
        "backfilled": False,
        "rescue": False,
        "created_at": occurred_at,
    }


def _plan_customers(rng: random.Random, user: User, contacts: tuple[Contact, ...], active: list[date],
                    *, today: date, crisis: bool) -> list[_Plan]:
    """Create *user*'s customers and decide, per plan, when each may last be touched.

    Warmth is planned with the cadence the pages will judge it by on *today*: the crisis
    cadence while the team is in crisis mode.
    """
    plans = []
    for contact in contacts:
        cadence = contact.cadence or warmth.default_cadence(contact.tier.value)
        judged = challenges.crisis_cadence(cadence) if crisis else cadence
        first, last = contact.name.replace("Dr. ", "").replace("Mag. ", "").split(" ", 1)
        local_part = f"{first}.{last}".lower().replace("'", "").replace(" ", "")
        for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("é", "e"), ("è", "e")):
            local_part = local_part.replace(a, b)
        age = 4 if contact.plan == "new" else rng.randint(HISTORY_DAYS + 5, HISTORY_DAYS + 60)
        created_day = today - timedelta(days=age)
        created_at = _local_instant(created_day, 8, rng.randrange(0, 30), user.timezone)
        customer = Customer(
            organization_id=user.organization_id,
            owner_id=user.id,
            name=contact.name,
            company=contact.company,
            email=f"{local_part}@{contact.domain}",
            phone=contact.phone,
            tier=contact.tier,
            cadence_days=cadence,
            notes=contact.notes,
            created_at=created_at,
            created_day=user.day_of(created_at),
        )
        plan = _Plan(contact, customer, judged, first_day=customer.created_day + timedelta(days=1))
        if contact.plan == "new":
            plan.first_day = today + timedelta(days=1)
        elif contact.plan == "quiet":
            plan.last_day = today - timedelta(days=max(contact.quiet_for, cadence + 1))
        elif contact.plan == "paused":
            plan.last_day = today - timedelta(days=16)
            customer.paused_until = today + timedelta(days=12)
        elif contact.plan == "warming":
            window = [d for d in active if judged >= (today - d).days >= warmth.warming_after(judged)]
            if window:
                plan.forced_day = plan.last_day = window[-1]
        plans.append(plan)
    return plans


def _history(rng: random.Random, user: User, person: Person, plans: list[_Plan], active: list[date],
             *, today: date, now: datetime, busy: tuple[date, date] | None = None) -> list[dict]:
    """Return the touch rows of one person's history and of their today, never later than *now*.

    A day in the *busy* days (the earlier crisis) has one touch more.
    """
    locale = person.notes_locale
    counts = range(1, len(person.pattern.per_day) + 1)
    busier = (lambda day: int(busy[0] <= day <= busy[1])) if busy else (lambda day: 0)
    days = [(day, rng.choices(counts, weights=person.pattern.per_day)[0] + busier(day)) for day in active]
    days.append((today, _today_count(rng, person, user, today)))
    rows = []
    for day, count in days:
        weekend = day.weekday() not in user.workday_set
        for plan in _pick_customers(rng, plans, day, min(count, 1) if weekend else count, unobtrusive=day == today):
            row = _touch_row(rng, user, locale, plan, day, _pick_kind(rng, plan.contact, weekend))
            if row["occurred_at"] > now:
                if person.pattern.today is not Today.partly:
                    continue
                row["occurred_at"] = row["created_at"] = _earlier_today(rng, user, day, now)
            rows.append(row)
            plan.touched = row["local_day"]
            plan.days.append(row["local_day"])
    return rows


def _cover_every_kind(rng: random.Random, rows: list[dict], locales: dict[int, str]) -> None:
    """Make sure each kind of touch appears at least once, so the demo shows them all."""
    used = {row["kind"] for row in rows}
    common = [row for row in rows if row["kind"] in (K.call, K.email) and row["direction"] is Direction.out]
    for kind in TouchKind:
        if kind not in used and common:
            row = common.pop(rng.randrange(len(common)))
            row["kind"] = kind
            row["note"] = _note(rng, locales[row["user_id"]], kind, Direction.out)


def _one_away(rng: random.Random, rows: list[dict], user: User, locale: str, *, today: date) -> None:
    """Give *user* exactly one outbound touch of ``NEAR_KIND`` fewer than ``NEAR_BADGE`` asks for.

    Extra ones become e-mails; missing ones are made of outbound calls and e-mails on
    workdays before today, so the next touch of that kind earns the badge.
    """
    wanted = badges.get(NEAR_BADGE).target - 1
    mine = [r for r in rows if r["user_id"] == user.id and r["direction"] is Direction.out]
    have = [r for r in mine if r["kind"] is NEAR_KIND]
    spare = [r for r in mine if r["kind"] in (K.call, K.email) and r["local_day"] < today
             and r["local_day"].weekday() in user.workday_set]
    changes = [(r, K.email) for r in rng.sample(have, max(0, len(have) - wanted))]
    changes += [(r, NEAR_KIND) for r in rng.sample(spare, max(0, wanted - len(have)))]
    for row, kind in changes:
        row["kind"] = kind
        row["note"] = _note(rng, locale, kind, Direction.out)


def _mark_rescues(rows: list[dict], customers: dict[int, Customer]) -> None:
    """Flag the touches that rescued a customer, as ``log_touch`` would have (``was_quiet_before``)."""
    last: dict[int, date] = {}
    for row in sorted(rows, key=lambda r: r["occurred_at"]):
        customer = customers[row["customer_id"]]
        row["rescue"] = warmth.status(
            last_touch_day=last.get(customer.id), created_day=customer.created_day, today=row["local_day"],
            cadence_days=customer.cadence_days, paused_until=customer.paused_until,
        ) is warmth.Warmth.quiet
        last[customer.id] = max(last.get(customer.id, row["local_day"]), row["local_day"])


def seed(session: Session, *, now: datetime, password_hash: str) -> SeedResult | None:
    """Create the demo organisation when the database has no users; return None otherwise.

    Flushes, does not commit: the caller commits once, so the demo lands whole or not at all.
    """
    if session.scalar(select(User.id).limit(1)) is not None:
        return None
    return create(session, now=now, password_hash=password_hash)


def create(session: Session, *, now: datetime, password_hash: str) -> SeedResult:
    """Create the demo organisation as of *now* (see the module docstring); flush, do not commit.

    The demo e-mail addresses must be free.
    """
    rng = random.Random(SEED)  # nosec B311  # reproducible demo data, not a secret
    started = now - timedelta(days=HISTORY_DAYS + 70)
    organization = Organization(name=ORG_NAME, created_at=started)
    team = Team(organization=organization, name=TEAM_NAME, created_at=started)
    users = [
        User(
            organization=organization, team=team, email=p.email, name=p.name, password_hash=password_hash,
            role=p.role, session_token=accounts.new_session_token(), timezone=p.timezone, locale=p.locale,
            workdays=list(p.workdays), daily_goal=p.daily_goal, created_at=started,
        )
        for p in PEOPLE
    ]
    session.add_all([organization, team, *users])
    session.flush()

    coach = next(u for u in users if u.email == COACH)
    busy = _past_crisis_days(coach.today(now))
    rows: list[dict] = []
    plans: list[_Plan] = []
    for person, user in zip(PEOPLE, users):
        today = user.today(now)
        first = today - timedelta(days=HISTORY_DAYS - 1)
        active = _active_days(rng, person.pattern, today=today, first=first, workdays=user.workday_set, busy=busy)
        mine = _plan_customers(rng, user, CONTACTS[person.email], active, today=today, crisis=True)
        session.add_all([p.customer for p in mine])
        session.flush()
        rows.extend(_history(rng, user, person, mine, active, today=today, now=now, busy=busy))
        plans.extend(mine)
    _cover_every_kind(rng, rows, {u.id: p.notes_locale for p, u in zip(PEOPLE, users)})
    person, user = next((p, u) for p, u in zip(PEOPLE, users) if p.email == DEMO_REP)
    _one_away(rng, rows, user, person.notes_locale, today=user.today(now))
    _mark_rescues(rows, {p.customer.id: p.customer for p in plans})
    _insert_awarding_day_by_day(session, rows, users, now=now)
    for plan in plans:
        plan.customer.last_touch_day = max(plan.days, default=None)
    session.flush()
    for user in users:
        streak_state.rebuild(session, user, now=now)
    _score_history(session, organization, users, now=now)
    _past_crisis(session, coach, busy)
    _start_crisis(session, coach, now=now)
    _plan_follow_ups(session, users, [p.customer for p in plans], now=now)
    return SeedResult(organization, tuple(users), len(plans), len(rows))


# Per person: (due in days from their today, planned days before their today, kind, note by
# language, which customer: the one quiet longest ("quiet") or the one touched last ("recent")).
FOLLOW_UPS: dict[str, tuple[tuple[int, int, TouchKind, dict[str, str], str], ...]] = {
    DEMO_REP: (
        (0, 6, TouchKind.call, {"de": "Nach dem Frühjahrskatalog fragen", "en": "Ask about the spring catalogue"},
         "quiet"),
        (7, 0, TouchKind.visit, {"de": "Muster mitbringen", "en": "Bring the samples"}, "recent"),
    ),
    "emma@nordlicht.example": (
        (-2, 9, TouchKind.email, {"de": "Angebot für die Wintersaison", "en": "Offer for the winter season"},
         "quiet"),
    ),
    "mike@nordlicht.example": (
        (-5, 12, TouchKind.call, {"de": "Rückruf wegen der Lieferung", "en": "Call back about the delivery"},
         "quiet"),
    ),
}


def _plan_follow_ups(session: Session, users: list[User], customers: list[Customer], *, now: datetime) -> None:
    """Plan the demo's follow-ups (``FOLLOW_UPS``), each made on a day after its customer's last touch.

    Written directly, as the history is: a plan that is overdue today was made days ago, which
    ``plan_follow_up`` (from today on) cannot write.
    """
    locales = {p.email: p.notes_locale for p in PEOPLE}
    for user in users:
        today = user.today(now)
        taken: set[int] = set()
        for due_in, planned_before, kind, notes, which in FOLLOW_UPS.get(user.email, ()):
            planned = today - timedelta(days=planned_before)
            fits = sorted((c for c in customers if c.owner_id == user.id and c.id not in taken
                           and (c.last_touch_day or c.created_day) < planned),
                          key=lambda c: (c.last_touch_day or c.created_day, c.id))
            if not fits:
                continue
            customer = fits[0] if which == "quiet" else fits[-1]
            taken.add(customer.id)
            at = min(now, _local_instant(planned, 9, 15, user.timezone))
            session.add(FollowUp(
                organization_id=user.organization_id, customer_id=customer.id, user_id=user.id,
                created_by_id=user.id, due_day=today + timedelta(days=due_in), kind=kind,
                note=notes[locales[user.email]], created_at=at, updated_at=at,
            ))
    session.flush()


def _past_crisis_days(today: date) -> tuple[date, date]:
    """Return the first and last day of the earlier crisis (``PAST_CRISIS``) in the coach's days."""
    monday = today - timedelta(days=today.weekday())
    started, ended = PAST_CRISIS
    return monday - timedelta(weeks=started), monday - timedelta(weeks=ended) + timedelta(days=4)


def _past_crisis(session: Session, coach: User, days: tuple[date, date]) -> None:
    """Keep the earlier crisis as an ended period of the team (no challenge: it is history)."""
    session.add(CrisisPeriod(
        team_id=coach.team_id, reason=PAST_CRISIS_REASON,
        started_at=_local_instant(days[0], CRISIS_AT.hour, CRISIS_AT.minute, coach.timezone),
        ended_at=_local_instant(days[1], 17, 30, coach.timezone),
    ))
    session.flush()


def _start_crisis(session: Session, coach: User, *, now: datetime) -> None:
    """Switch the team into crisis mode ``CRISIS_DAYS_AGO`` local days ago, as the coach would have.

    ``crisis.start_crisis`` starts the storm week on that day; it lasts 7 local days, so it is
    running now and ends in the future whatever the hour.
    """
    day = coach.today(now) - timedelta(days=CRISIS_DAYS_AGO)
    at = _local_instant(day, CRISIS_AT.hour, CRISIS_AT.minute, coach.timezone)
    crisis.start_crisis(session, coach, reason=CRISIS_REASON, message=CRISIS_MESSAGE, now=at)


def _insert_awarding_day_by_day(session: Session, rows: list[dict], users: list[User], *, now: datetime) -> None:
    """Insert the touch rows a local day at a time, each day followed by the badges it earned.

    So a badge is dated the day the history earned it (in the evening of that day, or *now* on
    today), as if every touch had been logged live. The customers' last touch days are set only
    afterwards: until then no customer looks freshly touched, so a badge that rests on warmth
    waits for the final award of ``_score_history`` rather than coming early.
    """
    by_id = {user.id: user for user in users}
    days: dict[date, list[dict]] = {}
    for row in sorted(rows, key=lambda r: r["occurred_at"]):
        days.setdefault(row["local_day"], []).append(row)
    for day in sorted(days):
        session.execute(insert(Touch), days[day])
        for user_id in sorted({row["user_id"] for row in days[day]}):
            user = by_id[user_id]
            awards.award(session, user, now=min(now, _local_instant(day, 21, 0, user.timezone)))


def _score_history(session: Session, organization: Organization, users: list[User], *, now: datetime) -> None:
    """Give the seeded history its points and badges, as if every touch had been logged live.

    Touches are scored in the order they happened (the cap and the variety bonus look back);
    the badges the history earned count as announced, so no push celebrates last month.
    """
    ledger.record_history(session, session.scalars(
        select(Touch).where(Touch.organization_id == organization.id).order_by(Touch.occurred_at, Touch.id)
    ))
    session.flush()
    for user in users:
        awards.award(session, user, now=now)
    session.execute(
        update(BadgeAward).where(BadgeAward.user_id.in_([u.id for u in users])).values(announced_at=now)
    )
    session.flush()


def find_demo(session: Session) -> Organization | None:
    """Return the demo organisation: named ``ORG_NAME`` and holding the demo people; None if there is none.

    Raise NotTheDemo when a demo e-mail address belongs to anyone outside it, so that a reset
    never deletes an organisation that only shares the name or an address.
    """
    holders = session.execute(
        select(User.email, User.organization_id).where(User.email.in_(sorted(DEMO_EMAILS)))
    ).all()
    if not holders:
        return None
    owners = {org_id for _email, org_id in holders}
    organization = session.get(Organization, min(owners))
    if len(owners) > 1 or organization is None or organization.name != ORG_NAME:
        taken = ", ".join(sorted(email for email, _org in holders))
        raise NotTheDemo(f"The demo e-mail addresses ({taken}) belong to people outside the demo organisation "
                         f"“{ORG_NAME}”; left everything alone.")
    return organization


def delete_organization(session: Session, organization_id: int) -> int:
    """Delete an organisation and every row that belongs to it; return how many rows went.

    A row belongs to it when one of its foreign keys points at a row that does: its teams,
    people, customers, and everything theirs (touches, points, badges, challenges, devices,
    notifications, …), found from the tables' foreign keys, so a new table is never missed.
    Children go first; matched objects leave the session.
    """
    tables = db.metadata.sorted_tables  # parents before children
    classes = {m.local_table: m.class_ for m in db.Model.registry.mappers}
    org = Organization.__table__
    owned: dict = {org: org.c.id == organization_id}
    for table in tables:
        if table is org:
            continue
        links: list[ColumnElement[bool]] = [
            fk.parent.in_(select(fk.column).where(owned[fk.column.table]))
            for fk in table.foreign_keys
            if fk.column.table is not table and fk.column.table in owned
        ]
        if links:
            owned[table] = or_(false(), *links)
    deleted = 0
    for table in reversed(tables):
        if table in owned:
            target = classes.get(table, table)
            result = session.execute(delete(target).where(owned[table]),
                                     execution_options={"synchronize_session": "fetch"})
            deleted += result.rowcount or 0
    return deleted


def reseed(session: Session, *, now: datetime, password_hash: str) -> Reseeded:
    """Delete the demo organisation (when there is one) and create it again as of *now*.

    Other organisations are left alone. Flushes, does not commit. Raises NotTheDemo (see
    ``find_demo``).
    """
    organization = find_demo(session)
    deleted = delete_organization(session, organization.id) if organization is not None else 0
    session.flush()
    return Reseeded(deleted, create(session, now=now, password_hash=password_hash))


def _login_table(session: Session, users: list[User], *, now: datetime, password: str) -> list[str]:
    """Return the lines that show the demo logins."""
    lines = [f"Demo logins — password for everyone: {password}", ""]
    lines.append(f"  {'E-mail':<26} {'Role':<6} {'Time zone':<17} {'Language':<9} Streak")
    for user in users:
        streak = streak_q.summary(session, user, today=user.today(now))
        state = f"{streak.current} days" + (", at risk today" if streak.at_risk else "")
        lines.append(f"  {user.email:<26} {user.role.value:<6} {user.timezone:<17} "
                     f"{user.locale or 'browser':<9} {state}")
    emails = {u.email for u in users}
    if {DEMO_REP, COACH} <= emails:
        lines += ["", f"Start with the rep {DEMO_REP}, then see the team as the coach {COACH}."]
    return lines


def _url() -> str:
    """Return the address ``flask run`` serves on (``FLASK_RUN_HOST``/``FLASK_RUN_PORT`` if set)."""
    host = os.environ.get("FLASK_RUN_HOST", "127.0.0.1")
    port = os.environ.get("FLASK_RUN_PORT", "5000")
    return f"http://{host}:{port}"


@demo_cli.command("seed")
@click.option("--url", default=None, help=f"Address to print for signing in (default {DEFAULT_URL}).")
@click.option("--reset", "reset", is_flag=True,
              help="Delete the demo organisation and seed it again as of now (refused in production).")
def seed_command(url: str | None, reset: bool):
    """Seed a demo organisation when the database is empty; with --reset, replace it."""
    if reset and current_app.config["ENV"] == "production":
        raise click.ClickException(
            "--reset deletes the demo organisation's data and is refused in production (TOUCHBASE_ENV=production)."
        )
    now = clock.now()
    password = current_app.config["DEMO_PASSWORD"]
    url = url or _url()
    result = None
    deleted = 0
    try:
        if reset:
            done = reseed(db.session, now=now, password_hash=accounts.hash_password(password))
            result, deleted = done.seeded, done.deleted
        elif db.session.scalar(select(User.id).limit(1)) is None:
            result = seed(db.session, now=now, password_hash=accounts.hash_password(password))
        db.session.commit()
    except NotTheDemo as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    except Exception:
        db.session.rollback()
        raise
    if result is None:
        click.echo("The database already has users; left the data alone.")
        users = list(db.session.scalars(
            select(User).where(User.email.in_(sorted(DEMO_EMAILS))).order_by(User.id)
        ))
        if users:
            click.echo("To start the demo afresh as of today: .venv/bin/flask --app wsgi demo seed --reset")
    else:
        if reset:
            click.echo(f"Deleted the previous demo organisation ({deleted} rows)." if deleted
                       else "There was no demo organisation to delete.")
        click.echo(
            f"Seeded “{result.organization.name}”: {len(result.users)} people, {result.customers} customers, "
            f"{result.touches} touches over the last {HISTORY_DAYS} days."
        )
        users = list(result.users)
    if users:
        click.echo("")
        for line in _login_table(db.session, users, now=now, password=password):
            click.echo(line)
        click.echo(f"\nOpen {url} and sign in.")
