"""Touch kinds and directions, push kinds and urgencies (pure; labels live in ``app/labels.py``)."""

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


# The kinds that take more than a minute and a keyboard: what a coach's kudos thank for first.
CREATIVE_KINDS = frozenset(TouchKind) - {TouchKind.call, TouchKind.email, TouchKind.message}


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


class Urgency(StrEnum):
    """The Web Push ``Urgency`` header's values (RFC 8030, section 5.3)."""

    very_low = "very-low"
    low = "low"
    normal = "normal"
    high = "high"
