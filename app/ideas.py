"""Creative touch ideas, one a day: regular, varied and unobtrusive — never a sales pitch."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

IDEAS = (
    _l("Send a handwritten card — no reason needed."),
    _l("Invite a customer for coffee and cake at the best café in town."),
    _l("Forward an article that made you think of them, with one personal line."),
    _l("Take the dog and ask a customer along for a walk."),
    _l("Call just to ask how they are doing — no pitch."),
    _l("Congratulate a customer on a milestone you saw on their website."),
    _l("Drop by with a small local treat from your region."),
    _l("Introduce two customers who could help each other."),
    _l("Ask a quiet customer for their honest advice on something you are working on."),
    _l("Send a short video message instead of an e-mail."),
    _l("Share a photo from an event you both attended."),
    _l("Write a letter thanking a customer for a past order."),
    _l("Invite a customer to a webinar or a local event you are going to anyway."),
    _l("Ask what is keeping them up at night — and just listen."),
    _l("Send a postcard from wherever you are this week."),
    _l("Recommend a book, a podcast or a restaurant you really liked."),
    _l("Remember a birthday or a company anniversary and say so."),
    _l("Walk through their shop or site and ask how business is going."),
    _l("Send a small gift from a local maker — a jar of honey, good chocolate."),
    _l("Call the customer you have not heard from longest, just to say hello."),
    _l("Thank someone on their team by name for their help."),
    _l("Share a useful tip from another industry that could help them."),
)


def idea_of_the_day(day: date, seed: int = 0) -> str:
    """Return the idea for *day*: the same all day, a different one tomorrow."""
    return str(IDEAS[(day.toordinal() + seed) % len(IDEAS)])
