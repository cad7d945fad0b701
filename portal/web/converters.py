"""URL converters: `<int:...>` reads ASCII digits within the id columns' range, else the URL is a 404."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

from ..workflow.numbers import MAX_INT


class AsciiIntConverter(IntegerConverter):
    """Werkzeug's `\\d+` also matches "١" (Arabic-Indic one), and an unbounded number overflows PostgreSQL."""

    regex = r"[0-9]+"

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)
