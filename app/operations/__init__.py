"""Write side: use cases that take a Session, flush, and return a result; the caller commits."""

from __future__ import annotations

from datetime import date, datetime

from ..ids import parse_id


class Invalid(Exception):
    """Input failed validation; ``fields`` maps a field name to a translated message."""

    def __init__(self, fields: dict[str, str], message: str | None = None):
        super().__init__(message or "; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = {k: str(v) for k, v in fields.items()}
        self.message = str(message) if message else None


class NotFound(Exception):
    """The object does not exist, or belongs to someone the actor may not see."""


class Conflict(Exception):
    """The request conflicts with the current state (e.g. an e-mail already taken)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field


def id_or_404(value: object) -> int:
    """Return *value* as an id (``ids.parse_id``), else raise NotFound."""
    number = parse_id(value)
    if number is None:
        raise NotFound()
    return number


def blank(value: object) -> bool:
    """Tell whether a form value was left empty (None, or only spaces)."""
    return value is None or (isinstance(value, str) and not value.strip())


def parse_day(value: object) -> date | None:
    """Return *value* as a calendar day: a ``date``, or text ``YYYY-MM-DD``; None for anything else."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None
