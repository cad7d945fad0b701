"""JSON API, /api/v1: the same services as the staff pages, behind bearer tokens."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, g, jsonify, request

from ..services.users import user_for_token

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    body = {"error": code, "message": message}
    if fields:
        body["fields"] = fields
    return jsonify(body), status


def token_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, secret = header.partition(" ")
        user = user_for_token(secret.strip()) if scheme.lower() == "bearer" and secret.strip() else None
        if user is None:
            return error_response(401, "unauthorized", "A valid API token is required (Authorization: Bearer TOKEN).")
        g.api_user = user
        return view(*args, **kwargs)

    return wrapper


from . import routes  # noqa: E402,F401
from . import patrons  # noqa: E402,F401
from . import notices  # noqa: E402,F401  (notices: list, manual, cancel, receipts)
from . import blocks  # noqa: E402,F401  (the block endpoints)
