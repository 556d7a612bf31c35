"""The words of a due nudge: title and body in the rep's language, from the gettext catalogue.

`render` turns a rule's `Nudge` into the `outbox.Push` the scan enqueues. The scan runs in a
CLI without a request, so the language is the rep's own setting, forced with Flask-Babel's
``force_locale`` (a language the app has no catalogue for falls back to English by its prefix:
``de-CH`` is German, ``fr`` English). Each kind has three title and body templates; the one used
rotates deterministically by local day and user id, so it stays put all day and changes
tomorrow. Messages name customers; a push that names a customer also carries one of the touch
ideas of `app.ideas` ("Idea: Send a handwritten card — no reason needed."). Names are flattened
and clipped, and title and body clipped to what a notification shows.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence

from flask_babel import force_locale, gettext, ngettext, npgettext

from .. import ideas
from ..i18n import language
from ..push.outbox import Push
from .model import Nudge, NudgeKind
from .rules import MAX_LISTED

NAME_CHARS = 60
LIST_NAME_CHARS = 40
TITLE_CHARS = 100
TITLE_BYTES = 300
BODY_CHARS = 400
BODY_BYTES = 1200


def N_(message: str) -> str:  # noqa: N802 - the name gettext tools look for
    """Mark *message* for the catalogue; it is translated when a push is rendered."""
    return message


#: TEMPLATES[name] holds (title, body) msgids; every variant of a name uses the same placeholders.
TEMPLATES: dict[str, tuple[tuple[str, str], ...]] = {
    "streak_at_risk": (
        (N_("Your %(streak_label)s ends tonight"),
         N_("%(name)s hasn't heard from you in %(days_since)s — one touch keeps it going.")),
        (N_("Don't break your %(streak_label)s tonight"),
         N_("One touch saves it. %(name)s has been waiting for %(days_since)s.")),
        (N_("Keep your %(streak_label)s alive"),
         N_("Nothing logged yet today. How about %(name)s? %(days_since)s without news.")),
    ),
    "streak_at_risk_plain": (
        (N_("Your %(streak_label)s ends tonight"),
         N_("Nothing logged yet today — one touch keeps it going.")),
        (N_("Don't break your %(streak_label)s tonight"),
         N_("A short call or a quick note is enough.")),
        (N_("Keep your %(streak_label)s alive"),
         N_("Log one touch before the day is over.")),
    ),
    "quiet_digest": (
        (N_("%(name)s: %(days_since)s without news"),
         N_("A short hello is enough to reconnect.")),
        (N_("%(name)s is going quiet"),
         N_("%(days_since)s since your last touch — today is a good day for a sign of life.")),
        (N_("Time for %(name)s?"),
         N_("It has been %(days_since)s. Silence tells a customer they don't matter.")),
    ),
    "follow_up_digest": (
        (N_("Your next touch: %(name)s"),
         N_("You planned it, and it is %(when)s. A short hello keeps your word.")),
        (N_("Planned: %(name)s"),
         N_("It is %(when)s — one touch and it is done.")),
        (N_("Time for %(name)s"),
         N_("You planned this touch yourself; it is %(when)s.")),
    ),
    "pipeline_quiet": (
        (N_("Your pipeline has gone quiet"),
         N_("No touch in %(days_since)s. One call today gets things moving again.")),
        (N_("%(days_since)s without a touch"),
         N_("Customers remember who kept in touch. Who will you reach out to today?")),
        (N_("Keep in touch — especially now"),
         N_("Nobody has heard from you in %(days_since)s. Pick one customer and say hello.")),
    ),
    "coach_alert": (
        (N_("%(name)s has gone quiet"),
         N_("No touch logged in %(workdays)s. A short check-in may help.")),
        (N_("Quiet radar: %(name)s"),
         N_("%(workdays)s without a logged touch. Maybe ask how things are going?")),
        (N_("Check in with %(name)s?"),
         N_("Nothing logged for %(workdays)s. A quiet rep needs a coach, not pressure.")),
    ),
    "badge_earned": (
        (N_("Badge earned: %(badge)s"),
         N_("Well done — regular, varied contact pays off.")),
        (N_("New badge: %(badge)s"),
         N_("Your care for your customers shows. Have a look at your badges.")),
        (N_("You earned %(badge)s"),
         N_("Keep in touch — unobtrusively, again and again.")),
    ),
    "challenge_finished": (
        (N_("Challenge finished: %(challenge)s"),
         N_("See how the team did.")),
        (N_("%(challenge)s is over"),
         N_("Thanks for keeping in touch — the results are in.")),
        (N_("Results are in: %(challenge)s"),
         N_("Have a look at how everyone kept in touch.")),
    ),
    "weekly_summary": (
        (N_("Your week ahead"),
         N_("Quiet: %(quiet)s · warming: %(warming)s. A few touches this week keep them close.")),
        (N_("Weekly check-in"),
         N_("Quiet customers: %(quiet)s, warming: %(warming)s. They are waiting for a sign of life.")),
        (N_("A new week, a fresh start"),
         N_("Quiet: %(quiet)s, warming: %(warming)s. One touch a day is enough.")),
    ),
    "coach_weekly": (
        (N_("Your team last week"),
         N_("%(touches)s · %(active)s of %(reps)s reps kept in touch.")),
        (N_("Team week in review"),
         N_("%(active)s of %(reps)s reps logged touches — %(touches)s in all.")),
        (N_("Monday check: your team"),
         N_("Last week: %(touches)s, %(active)s of %(reps)s reps active.")),
    ),
    "test": (
        (N_("Touchbase test"),
         N_("Reminders work on this device.")),
        (N_("Hello from Touchbase"),
         N_("This is a test push — reminders will look like this.")),
        (N_("Test push"),
         N_("Push notifications are set up on this device.")),
    ),
}


def render(nudge: Nudge) -> Push:
    """Word *nudge* in the rep's language (inside an app context); return the push to enqueue."""
    with force_locale(language(nudge.locale)):
        title, body, extra = _WRITERS[nudge.kind](nudge)
        parts = [body, extra]
        if nudge.idea:
            # A salt per kind, so two pushes of one day suggest different ideas.
            salt = list(NudgeKind).index(nudge.kind) * 3
            parts.append(gettext("Idea: %(idea)s", idea=ideas.idea_of_the_day(nudge.local_day, nudge.user_id + salt)))
    return Push(
        user_id=nudge.user_id,
        kind=nudge.kind,
        key=nudge.key,
        title=clip(title, TITLE_CHARS, TITLE_BYTES),
        body=clip(" ".join(part for part in parts if part), BODY_CHARS, BODY_BYTES),
        url=nudge.url,
        topic=nudge.topic,
        urgency=nudge.urgency,
        ttl=nudge.ttl,
        local_day=nudge.local_day,
        refs=nudge.refs,
    )


# --- one writer per kind: (title, body, extra sentence) ---------------------------------------

Text = tuple[str, str, str]


def _say(nudge: Nudge, template: str, extra: str = "", **values) -> Text:
    """Fill the day's variant of *template*; the same all day for a rep, the next one tomorrow."""
    variants = TEMPLATES[template]
    title, body = variants[(nudge.local_day.toordinal() + nudge.user_id) % len(variants)]
    return gettext(title, **values), gettext(body, **values), extra


def _streak_at_risk(nudge: Nudge) -> Text:
    streak = nudge.params["streak"]
    label = ngettext("%(num)d-day streak", "%(num)d-day streak", streak)
    if nudge.params["customer"] is None:
        return _say(nudge, "streak_at_risk_plain", streak_label=label)
    name, days = nudge.params["customer"]
    return _say(nudge, "streak_at_risk", streak_label=label, name=_clip_name(name, NAME_CHARS),
                days_since=_days_since(days))


def _coach_alert(nudge: Nudge) -> Text:
    (name, workdays), *rest = nudge.params["reps"]
    extra = _also_quiet([(other, ngettext("%(num)d workday", "%(num)d workdays", n)) for other, n in rest])
    return _say(nudge, "coach_alert", extra, name=_clip_name(name, NAME_CHARS), workdays=_workdays_since(workdays))


def _quiet_digest(nudge: Nudge) -> Text:
    planned = nudge.params.get("follow_ups", ())
    customers = nudge.params["customers"]
    if planned:
        # The rep's own plans first; the quiet customers are only counted after them.
        (name, overdue), *rest = planned
        extra = " ".join(part for part in (_also_planned(rest), _going_quiet(len(customers))) if part)
        return _say(nudge, "follow_up_digest", extra, name=_clip_name(name, NAME_CHARS), when=_due(overdue))
    (name, days), *rest = customers
    extra = _also_quiet([(other, ngettext("%(num)d day", "%(num)d days", n)) for other, n in rest])
    return _say(nudge, "quiet_digest", extra, name=_clip_name(name, NAME_CHARS), days_since=_days_since(days))


def _pipeline_quiet(nudge: Nudge) -> Text:
    return _say(nudge, "pipeline_quiet", _start_with(nudge.params["start_with"]),
                days_since=_days_since(nudge.params["days_since"]))


def _badge_earned(nudge: Nudge) -> Text:
    return _say(nudge, "badge_earned", badge=_listing(nudge.params["badges"]))


def _challenge_finished(nudge: Nudge) -> Text:
    return _say(nudge, "challenge_finished", challenge=_listing(nudge.params["challenges"]))


def _weekly_summary(nudge: Nudge) -> Text:
    params = nudge.params
    return _say(nudge, "weekly_summary", _start_with(params["start_with"]), quiet=params["quiet"],
                warming=params["warming"])


def _coach_weekly(nudge: Nudge) -> Text:
    params = nudge.params
    silent = params["silent"]
    extra = gettext("No touch from: %(list)s.", list=_listing(silent)) if silent else ""
    return _say(nudge, "coach_weekly", extra, touches=ngettext("%(num)d touch", "%(num)d touches", params["touches"]),
                active=params["active"], reps=params["reps"])


def _test(nudge: Nudge) -> Text:
    return _say(nudge, "test")


_WRITERS: dict[NudgeKind, Callable[[Nudge], Text]] = {
    NudgeKind.streak_at_risk: _streak_at_risk,
    NudgeKind.coach_alert: _coach_alert,
    NudgeKind.quiet_digest: _quiet_digest,
    NudgeKind.pipeline_quiet: _pipeline_quiet,
    NudgeKind.badge_earned: _badge_earned,
    NudgeKind.challenge_finished: _challenge_finished,
    NudgeKind.weekly_summary: _weekly_summary,
    NudgeKind.coach_weekly: _coach_weekly,
    NudgeKind.test: _test,
}


# --- building blocks ---------------------------------------------------------------------------


def _days_since(n: int) -> str:
    # "elapsed": German puts a span after "seit" in the dative ("seit 16 Tagen").
    return npgettext("elapsed", "%(num)d day", "%(num)d days", n)


def _workdays_since(n: int) -> str:
    return npgettext("elapsed", "%(num)d workday", "%(num)d workdays", n)


def _more(n: int) -> str:
    return gettext("+%(num)d more", num=n)


def _listing(names: Sequence[str]) -> str:
    """Join up to `MAX_LISTED` names, clipped, and a "+n more" for the rest."""
    shown = [_clip_name(name, LIST_NAME_CHARS) for name in names[:MAX_LISTED]]
    if len(names) > MAX_LISTED:
        shown.append(_more(len(names) - MAX_LISTED))
    return ", ".join(shown)


def _also_quiet(items: Sequence[tuple[str, str]]) -> str:
    """Return "Also quiet: A (12 days), B (9 days), +3 more." or "" without items."""
    if not items:
        return ""
    listed = [gettext("%(name)s (%(count)s)", name=_clip_name(name, LIST_NAME_CHARS), count=count)
              for name, count in items[: MAX_LISTED - 1]]
    if len(items) > MAX_LISTED - 1:
        listed.append(_more(len(items) - (MAX_LISTED - 1)))
    return gettext("Also quiet: %(list)s.", list=", ".join(listed))


def _due(days_overdue: int) -> str:
    """Return "due today" or "2 days overdue"."""
    if days_overdue <= 0:
        return gettext("due today")
    return ngettext("%(num)d day overdue", "%(num)d days overdue", days_overdue)


def _also_planned(items: Sequence[tuple[str, int]]) -> str:
    """Return "Also planned: A (due today), B (3 days overdue), +2 more." or "" without items.

    Together with the follow-up of the title, at most `MAX_LISTED` names.
    """
    if not items:
        return ""
    listed = [gettext("%(name)s (%(count)s)", name=_clip_name(name, LIST_NAME_CHARS), count=_due(overdue))
              for name, overdue in items[: MAX_LISTED - 1]]
    if len(items) > MAX_LISTED - 1:
        listed.append(_more(len(items) - (MAX_LISTED - 1)))
    return gettext("Also planned: %(list)s.", list=", ".join(listed))


def _going_quiet(count: int) -> str:
    """Return "3 customers are going quiet." or "" for none."""
    if not count:
        return ""
    return ngettext("%(num)d customer is going quiet.", "%(num)d customers are going quiet.", count)


def _start_with(customer: tuple[str, int] | None) -> str:
    """Return "Start with A — 16 days without news." for the most urgent quiet customer, if any."""
    if customer is None:
        return ""
    name, days = customer
    return gettext("Start with %(name)s — %(days)s without news.", name=_clip_name(name, LIST_NAME_CHARS),
                   days=_days_since(days))


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
