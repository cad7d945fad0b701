"""Patron endpoints of /api/v1 (shared/spec/api.md "Patrons, notices and blocks").

Bodies are declared pydantic models (`validation.body`: unknown keys and wrong
types are 422 naming the field before the view runs); the formats (E.164
mobile, e-mail, card number) are checked by services.patrons, as for the
pages. A patron is found within the caller's library only: another library's
patron is 404, never shown.
"""
from __future__ import annotations

from typing import Literal

from flask import g, jsonify
from pydantic import BaseModel, Field, StrictBool

from ..models import Patron
from ..services.patrons import CONSENT_METHODS, create_patron, get_patron, opt_out, patron_as_dict, update_patron
from ..services.records import text_limit
from ..workflow.errors import ValidationError
from . import bp, token_required
from .openapi import add_path, errors, json_content, path_parameter
from .validation import ApiModel, Text, body, register


def patron_text(name: str, **kwargs):
    return Text(text_limit(Patron, name), **kwargs)


class ConsentInput(ApiModel):
    """The patron's SMS consent, recorded with the patron (who: the token's user)."""

    method: Literal[tuple(CONSENT_METHODS)] = Field(description="how the patron consented")
    wording: Text(2000) | None = Field(None, description="what the patron agreed to (default: the portal's wording)")


class NewPatron(ApiModel):
    """POST /patrons: a patron of the caller's library."""

    number: patron_text("number", min_length=1, description="the card barcode: letters, digits, '.', '-', '_'")
    name: patron_text("name", min_length=1)
    group: patron_text("group", description="faculty, graduate, undergraduate, staff, external…") | None = None
    email: Text(254) | None = None
    mobile: Text(40, description="a mobile number (default region JP); answered in E.164") | None = None
    language: Literal["ja", "en"] | None = None
    active: StrictBool | None = None
    sms_consent: ConsentInput | None = None


class PatronChanges(ApiModel):
    """PATCH /patrons/{number}: the fields to change; null or "" clears email, mobile or group."""

    number: patron_text("number", min_length=1) | None = None
    name: patron_text("name", min_length=1) | None = None
    group: patron_text("group") | None = None
    email: Text(254) | None = None
    mobile: Text(40) | None = None
    language: Literal["ja", "en"] | None = None
    active: StrictBool | None = None


class OptOutInput(ApiModel):
    channel: Literal["sms"]


@register
class PatronAnswer(BaseModel):
    """A patron (only ever shown to its own library). `blocked` / `blocks` come from the blocks module."""

    number: str
    name: str
    group: str
    email: str | None
    mobile: str | None = Field(description="E.164")
    language: Literal["ja", "en"]
    sms_consent: bool = Field(description="the latest SMS consent row is a consent")
    blocked: bool
    blocks: list[dict]


REQUIRED = ("number", "name", "language", "active")


def _patron_json(patron, status: int = 200):
    return jsonify(patron_as_dict(patron)), status


@bp.post("/patrons")
@token_required
@body(NewPatron)
def create_patron_endpoint(data: dict):
    return _patron_json(create_patron(g.api_user, data), 201)


@bp.get("/patrons/<number>")
@token_required
def get_patron_endpoint(number):
    return _patron_json(get_patron(g.api_user.library_id, number))


def known_patron(view):
    """404 for another library's or an unknown patron before the body is looked at."""
    from functools import wraps

    @wraps(view)
    def wrapper(*args, number: str, **kwargs):
        return view(*args, patron=get_patron(g.api_user.library_id, number), **kwargs)

    return wrapper


@bp.patch("/patrons/<number>")
@token_required
@known_patron
@body(PatronChanges)
def update_patron_endpoint(patron, data: dict):
    nulls = {name: "Must not be null." for name in REQUIRED if name in data and data[name] is None}
    if nulls:
        raise ValidationError(nulls)
    changes = {name: "" if value is None else value for name, value in data.items()}
    return _patron_json(update_patron(g.api_user, patron, changes))


@bp.post("/patrons/<number>/opt-out")
@token_required
@known_patron
@body(OptOutInput)
def opt_out_endpoint(patron, data: dict):
    opt_out(patron, data["channel"], "api", g.api_user)
    return _patron_json(patron)


NUMBER = path_parameter("number", {"type": "string", "maxLength": 64}, "the patron's card number; another "
                                                                        "library's patron is 404")
PATRON = {"description": "the patron", **json_content({"$ref": "#/components/schemas/PatronAnswer"})}
add_path("/patrons", "post", {"summary": "Create a patron of the caller's library",
                              "responses": {"201": PATRON, **errors(401, 422)}})
add_path("/patrons/{number}", "get", {"summary": "One patron of the caller's library", "parameters": [NUMBER],
                                      "responses": {"200": PATRON, **errors(401, 404, 422)}})
add_path("/patrons/{number}", "patch", {"summary": "Change some fields of a patron", "parameters": [NUMBER],
                                        "responses": {"200": PATRON, **errors(401, 404, 422)}})
add_path("/patrons/{number}/opt-out", "post", {
    "summary": "Record the patron's withdrawal of consent for a channel (queued SMS are suppressed)",
    "parameters": [NUMBER], "responses": {"200": PATRON, **errors(401, 404, 422)}})
