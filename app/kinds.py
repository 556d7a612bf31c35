"""Touch kinds and directions (pure; labels live in ``app/labels.py``)."""

from enum import StrEnum


class TouchKind(StrEnum):
    """How a rep got in touch with a customer."""

    call = "call"
    email = "email"
    letter = "letter"
    visit = "visit"
    coffee = "coffee"
    walk = "walk"
    video = "video"
    message = "message"
    gift = "gift"
    event = "event"
    other = "other"


class Direction(StrEnum):
    """Who reached out: the rep (``out``) or the customer (``in``)."""

    out = "out"
    in_ = "in"


class Tier(StrEnum):
    """Customer tier; sets the default cadence."""

    A = "A"
    B = "B"
    C = "C"


class Role(StrEnum):
    """A person's role in their organisation."""

    rep = "rep"
    coach = "coach"
    admin = "admin"


class AwayReason(StrEnum):
    """Why a rep is away: the days are neutral for the streak either way."""

    vacation = "vacation"
    sick = "sick"
    other = "other"
