"""Constants and helpers shared by the tests."""

from __future__ import annotations

import html as html_lib
import re
from datetime import datetime, timezone

PASSWORD = "correct horse battery"
# The mail settings production cannot start without (nothing is sent to this server in the tests).
PRODUCTION_MAIL = {"MAIL_SERVER": "smtp.example.com", "MAIL_DEFAULT_SENDER": "Touchbase <touchbase@example.com>",
                   "PUBLIC_URL": "https://touchbase.example.com"}
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)


def csrf_token_from(html: str) -> str:
    """Extract a CSRF token from a rendered page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no csrf token in page"
    return match.group(1)


def without_csrf_tokens(html: str) -> str:
    """The page with its CSRF tokens blanked, to compare two answers.

    A token is signed with the second it was made in, so two answers a second apart differ there alone.
    """
    return re.sub(r"\b[\w-]{20,}\.[\w-]{6}\.[\w-]{20,}\b", "CSRF", html)


def import_confirm_fields(html: str) -> dict[str, str]:
    """Return the hidden fields (token and content) of an import preview's confirm form."""
    form = re.search(r'<form id="import-confirm".*?</form>', html, re.S)
    assert form, "no confirm form"
    return {name: html_lib.unescape(value)
            for name, value in re.findall(r'<input type="hidden" name="(token|content)" value="([^"]*)">', form.group(0))}
