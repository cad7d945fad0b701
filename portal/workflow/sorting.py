"""Natural sort keys: 第2号 before 第10号, 巻2 before 巻10, as staff read them.

A key is the text normalised (NFKC: full-width digits and letters become ASCII,
case folded) with every run of digits written as its length and then the digits,
so that plain string order (the database's, over an index) is numeric order for
the numbers inside the text.
"""
from __future__ import annotations

import re
import unicodedata

_DIGITS = re.compile(r"[0-9]+")
TITLE_KEY_LENGTH = 200
VOLUME_KEY_LENGTH = 100


def _number(match: re.Match) -> str:
    digits = match.group().lstrip("0") or "0"
    return f"{len(digits):02d}{digits}"


def natural_key(text: str | None, length: int = TITLE_KEY_LENGTH) -> str:
    normal = unicodedata.normalize("NFKC", text or "").casefold().strip()
    return _DIGITS.sub(_number, normal)[:length]
