"""Database ids: the one rule for turning a value from a URL, a form or JSON into an id."""

from __future__ import annotations

# Primary keys are 32-bit integers. A bigger id must be refused before it reaches the database:
# PostgreSQL fails a query comparing an integer column with an out-of-range number.
MAX_ID = 2**31 - 1


def parse_id(value: object) -> int | None:
    """Return *value* as an id, 1..MAX_ID, else None.

    An int, or a string ``int()`` reads (surrounding whitespace is fine), is an id when in
    range. Booleans and floats are not ids, even ``True`` or ``3.0``: they only reach here by
    mistake. Anything else (None, ``"1e3"``, ``""``) is None.
    """
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if 0 < number <= MAX_ID else None
