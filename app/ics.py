"""The calendar feed's iCalendar text (RFC 5545, with the ``icalendar`` library): one all-day event per open follow-up.

Words come from the gettext catalogue in the feed owner's language (the caller forces it); each
event keeps its ``UID`` (``follow-up-<id>@<host>``) as long as the follow-up lives, so a moved
plan moves the event in the subscriber's calendar instead of adding one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from flask_babel import gettext
from icalendar import Calendar, Event, vDuration

from .kinds import TouchKind
from .models import FollowUp

REFRESH = timedelta(hours=1)
PRODID = "-//Touchbase//Follow-ups//EN"


def N_(message: str) -> str:  # noqa: N802 - the name gettext tools look for
    """Mark *message* for the catalogue; it is translated when the feed is built."""
    return message


#: The event's title by the planned kind of touch (None: any).
SUMMARIES: dict[TouchKind | None, str] = {
    None: N_("Get in touch with %(name)s"),
    TouchKind.call: N_("Call %(name)s"),
    TouchKind.email: N_("E-mail %(name)s"),
    TouchKind.letter: N_("Write to %(name)s"),
    TouchKind.visit: N_("Visit %(name)s"),
    TouchKind.coffee: N_("Coffee with %(name)s"),
    TouchKind.walk: N_("Walk with %(name)s"),
    TouchKind.video: N_("Video call with %(name)s"),
    TouchKind.message: N_("Message %(name)s"),
    TouchKind.gift: N_("A gift for %(name)s"),
    TouchKind.event: N_("Event with %(name)s"),
    TouchKind.other: N_("Get in touch with %(name)s"),
}


def summary(follow_up: FollowUp) -> str:
    """Return the event title of *follow_up* in the current language, e.g. "Call Müller AG"."""
    return gettext(SUMMARIES[follow_up.kind], name=follow_up.customer.name)


def feed(follow_ups: Iterable[FollowUp], *, owner_name: str, host: str, customer_url: Callable[[int], str],
         now: datetime) -> bytes:
    """Return the iCalendar text of *follow_ups* (their customers loaded), as served to a subscriber.

    *host* names the events' ``UID``s; *customer_url* gives the absolute address of a customer's page.
    """
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", gettext("Touchbase: next touches of %(name)s", name=owner_name))
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    for follow_up in follow_ups:
        url = customer_url(follow_up.customer_id)
        event = Event()
        event.add("uid", f"follow-up-{follow_up.id}@{host}")
        event.add("dtstamp", now)
        event.add("last-modified", follow_up.updated_at or follow_up.created_at)
        event.add("dtstart", follow_up.due_day)
        event.add("dtend", follow_up.due_day + timedelta(days=1))
        event.add("summary", summary(follow_up))
        event.add("description", "\n\n".join(part for part in (follow_up.note, url) if part))
        event.add("url", url)
        event.add("transp", "TRANSPARENT")  # a reminder, not a meeting: it blocks no time
        calendar.add_component(event)
    return calendar.to_ical()
