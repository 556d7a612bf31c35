"""Redirect targets a user can give (``?next=``): the one check for every view that follows one.

Pure: the standard library only.
"""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_TARGET = 2000


def local_path(target: object) -> str | None:
    """Return *target* when it is a path on this site, else None.

    Accepted: a string starting with a single ``/``, at most ``MAX_TARGET`` characters, with no
    scheme and no host once parsed. Refused:

    - a scheme-relative ``//host`` and anything with a scheme (``https:``, ``javascript:``);
    - a backslash anywhere: browsers read ``/\\host`` as ``//host``;
    - control characters (C0, DEL, C1) and white space anywhere: browsers drop tabs and newlines
      inside a URL, so ``/\\t/evil.test`` becomes ``//evil.test``; and a newline in a
      ``Location`` header makes the server fail the response after its work is done.
    """
    if not isinstance(target, str) or not target.startswith("/") or len(target) > MAX_TARGET:
        return None
    if target.startswith("//") or "\\" in target:
        return None
    if any(ch.isspace() or ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in target):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:
        return None
    if parts.scheme or parts.netloc:
        return None
    return target
