"""The flow every writing view shares: refused → the form again (422); saved → commit, then answer.

An operation raises ``Invalid`` with a message per field and has written nothing that stays:
``save`` rolls the session back and lets the view re-render its form (htmx swaps the 422 in,
its ``responseHandling`` in templates/base.html). Otherwise the request commits, and ``answered``
gives htmx the fragment the view made, or a browser without JavaScript a flashed message and a
303 to the page it came from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Response, flash, redirect

from ..extensions import db
from ..htmx import is_partial
from ..operations import Invalid

T = TypeVar("T")


def save(write: Callable[[], T], *, invalid: Callable[[dict[str, str]], Response],
         done: Callable[[T], Response]) -> Response:
    """Run *write*; on ``Invalid`` roll back and answer ``invalid(fields)``, else commit and answer ``done(result)``."""
    try:
        result = write()
    except Invalid as exc:
        db.session.rollback()
        return invalid(exc.fields)
    db.session.commit()
    return done(result)


def answered(message: str, location: str, *, partial: Callable[[], Response] | None = None) -> Response:
    """Answer a saved form: htmx gets *partial* when there is one; else flash *message* and 303 to *location*."""
    if partial is not None and is_partial():
        return partial()
    flash(message)
    return redirect(location, 303)
