"""The one place that refuses a NUL character in any request input.

PostgreSQL cannot store "\\x00" in text (a server error) and SQLite stores it:
refused on both, before any view, in the query string, a form or a JSON body,
with 422 naming the field (the API's JSON error, or the error page).
"""
from __future__ import annotations

from flask import Flask, current_app, jsonify, request
from pydantic_core import from_json

from .api.validation import NUL_MESSAGE, nul_path


def nul_field() -> str | None:
    """The name (or JSON path) of the first input holding a NUL character, or None."""
    for source in (request.args, request.form if request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data") else None):
        if source:
            for key, value in source.items(multi=True):
                if "\x00" in key or "\x00" in value:
                    return key.replace("\x00", "") or "?"
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "api_body", None) is not None:
        return None  # validation.body refuses it, naming the field as the model does
    if request.mimetype == "application/json" or request.path.startswith("/api/"):
        raw = request.get_data(cache=True)
        if b"\\u0000" in raw or b"\x00" in raw:
            try:
                return nul_path(from_json(raw))
            except ValueError:
                return "body"  # not JSON: the endpoint says so itself, but a NUL is refused here already
    return None


def init_guard(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters():
        field = nul_field()
        if field is None:
            return None
        if request.path.startswith("/api/"):
            return jsonify({"error": "invalid", "message": "Please correct the marked fields.",
                            "fields": {field: NUL_MESSAGE}}), 422
        from flask_babel import gettext
        from werkzeug.exceptions import UnprocessableEntity

        from .web import error_page

        error = UnprocessableEntity(gettext("The field “%(field)s” contains a NUL character, which is not allowed.",
                                            field=field[:60]))
        return error_page(error), 422
