"""Numbers typed or scanned by people: ASCII digits only, bounded, never an exception.

`str.isdigit()` is true for "³" and "١", which `int()` then refuses: every ILL ID,
page number and whole-number setting goes through `parse_int` instead.
"""
from __future__ import annotations

import re

_DIGITS = re.compile(r"[0-9]+")
#: The largest value of an INTEGER column (PostgreSQL, and what the portal stores in SQLite).
MAX_INT = 2**31 - 1


def parse_int(text, minimum: int | None = None, maximum: int | None = None) -> int | None:
    """`text` as a whole number if it is ASCII digits only (no sign, no spaces) within the bounds, else None."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        number = text
    else:
        text = str(text)
        if len(text) > 40 or not _DIGITS.fullmatch(text):
            return None
        number = int(text)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        return None
    return number


def parse_page(text) -> int | None:
    """A page number typed in a URL: ASCII digits, at least 1; a huge one becomes MAX_INT (the last page, once clamped)."""
    text = str(text).strip()
    if not _DIGITS.fullmatch(text) or len(text) > 1000:
        return None
    number = int(text) if len(text) <= 12 else MAX_INT
    return min(number, MAX_INT) if number >= 1 else None


def clamp_page(page: int, total: int, per_page: int) -> int:
    """A page number within 1 .. the last page (page 99 of 2 pages is page 2)."""
    last = max((total + per_page - 1) // per_page, 1)
    return min(max(page, 1), last)
