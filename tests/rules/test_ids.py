"""The one rule for ids from URLs, forms and JSON."""

from __future__ import annotations

import pytest

from app import web
from app.ids import MAX_ID, parse_id
from app.operations import NotFound, id_or_404


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12, 12),
        ("12", 12),
        (" 12", 12),
        ("12\n", 12),
        ("1", 1),
        ("0", None),
        (0, None),
        ("-1", None),
        (-1, None),
        ("2147483647", 2147483647),
        (2**31 - 1, 2**31 - 1),
        ("2147483648", None),
        (2**31, None),
        (2**63, None),
        ("1e3", None),
        ("12abc", None),
        ("", None),
        ("   ", None),
        (None, None),
        (3.5, None),
        (3.0, None),
        (True, None),
        (False, None),
        ([12], None),
        (b"12", None),
    ],
)
def test_parse_id_accepts_only_whole_numbers_from_1_to_max_id(value, expected):
    assert parse_id(value) == expected


def test_max_id_is_the_32_bit_limit_the_url_converter_uses():
    assert MAX_ID == web.MAX_ID == 2**31 - 1


def test_id_or_404_raises_not_found_for_anything_parse_id_refuses():
    assert id_or_404(" 7") == 7
    for bad in ("0", "2147483648", None, "x", True):
        with pytest.raises(NotFound):
            id_or_404(bad)
