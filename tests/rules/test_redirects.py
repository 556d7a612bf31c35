"""The one check of a user-given redirect target (``?next=``): a path on this site, or nothing."""

from __future__ import annotations

import pytest

from app.redirects import local_path


@pytest.mark.parametrize("target", [
    "/", "/customers/7", "/touches/?page=2", "/customers/?q=M%C3%BCller&warmth=quiet", "/a#frag", "/über",
])
def test_paths_on_this_site_are_kept(target):
    assert local_path(target) == target


@pytest.mark.parametrize("target", [
    None, "", 7, "customers", "https://evil.test/", "//evil.test", "///evil.test", "/\\evil.test", "\\\\evil.test",
    "/\t/evil.test", "/\n/evil.test", "/\r\nSet-Cookie: x=1", "/\x00", "/\x7f", "/\x85", "/ /evil.test",
    "/\u2028x", "\t/customers", " /customers", "javascript:alert(1)", "/" + "a" * 2001,
])
def test_anything_else_is_refused(target):
    assert local_path(target) is None
