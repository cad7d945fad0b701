"""Declared API input: pydantic models checked before any service runs.

Every JSON body (and the query string of a listing) of /api/v1 is a pydantic v2
model. The same declarations are the schemas of ``openapi.json``, so the
document and the server cannot disagree:

    class NewPatron(ApiModel):                 # portal/api/schemas.py or your own module
        number: Text(64)
        name: Text(200)
        email: Text(254) | None = None

    @bp.post("/patrons")
    @token_required
    @body(NewPatron)                           # 422 before the view runs
    def create_patron(data: dict):             # data: the body as sent (keys by their JSON names)
        return ..., 201

``body(Model)`` reads the request, refuses anything that is not the model with
422 ``{"error": "invalid", "message", "fields": {name: message}}``, and calls the
view with ``data=`` the validated body as a plain dict (only the keys the
caller sent, dates as ``date``), which is what the services take. ``query(Model)``
does the same for the query string (``args=``). Both register the model in
``SCHEMAS`` and on the view; ``openapi.py`` reads them to write the request
bodies, the query parameters and ``components/schemas``: describe a new path
there with ``operation(...)`` and its body appears by itself.

Field names in ``fields`` follow the services' own names: the dotted path of the
body (``dates.due``, ``candidates.0.library``, ``records.3.ill_id``), except in a
model declared ``flat`` (citation, client, terms, fees), whose keys are named
without their parent, as the services name them (``author``, ``client_name``,
``groups.0.quantity``). The services keep their own checks: web forms use them.
"""
from __future__ import annotations

import re
import typing
from datetime import date
from functools import wraps
from typing import Annotated, Any, ClassVar

from flask import request
from pydantic import BaseModel, ConfigDict, Field, PlainValidator, StrictInt, WithJsonSchema
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError, from_json

from ..workflow.errors import ValidationError
from ..workflow.numbers import parse_int, parse_page

#: Every model an endpoint takes or answers, by name: the `components/schemas` of openapi.json.
SCHEMAS: dict[str, type[BaseModel]] = {}


def register(model: type[BaseModel]) -> type[BaseModel]:
    """Put a model (e.g. an answer's shape) into `components/schemas`; usable as a class decorator."""
    SCHEMAS[model.__name__] = model
    return model


class ApiModel(BaseModel):
    """An API input object: unknown keys are refused, names in errors are the JSON names."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False, loc_by_alias=False,
                              str_strip_whitespace=False)
    #: A flat model's keys are named without the key of the model itself (see the module doc).
    flat: ClassVar[bool] = False


# -- field types ------------------------------------------------------------------------------------

NUL_MESSAGE = "Must not contain a NUL character."


def Text(max_length: int, *, min_length: int = 0, description: str | None = None):  # noqa: N802 - a type
    """A JSON string of at most `max_length` characters (what its column holds)."""
    return Annotated[str, Field(strict=True, max_length=max_length, min_length=min_length,
                                description=description)]


def _date(value):
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise PydanticCustomError("date_form", "Must be a date like 2026-04-01.")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("date_form", "Must be a date like 2026-04-01.") from None


#: An ISO date `YYYY-MM-DD` (ASCII digits), given to the services as a `date`.
Date = Annotated[date, PlainValidator(_date), WithJsonSchema({"type": "string", "format": "date"})]


def _amount(value):
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise PydanticCustomError("amount_type", "Must be a number.")
    return value  # the fee arithmetic (workflow.fees) checks the value itself


#: An amount: a decimal string ("350", "12.50") or a JSON number; kept as given for the fee arithmetic.
Amount = Annotated[Any, PlainValidator(_amount), WithJsonSchema({
    "anyOf": [{"type": "string", "maxLength": 40}, {"type": "number"}],
    "description": 'a decimal amount, e.g. "350" (a JSON number is accepted too)'})]


def _whole(value):
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise PydanticCustomError("whole_type", "Must be a whole number.")
    if isinstance(value, str) and value.strip() and parse_int(value.strip()) is None:
        raise PydanticCustomError("whole_type", "Must be a whole number.")
    if isinstance(value, int) and value < 0:
        raise PydanticCustomError("whole_negative", "Must not be negative.")
    return value


#: A whole number, or its ASCII decimal string.
WholeNumber = Annotated[Any, PlainValidator(_whole), WithJsonSchema({
    "anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^ *[0-9]* *$", "maxLength": 20}],
    "description": "a whole number (a string of ASCII digits is accepted too)"})]

Version = Annotated[StrictInt, Field(ge=0, le=2**31 - 1, description="the version you read: a stale one is a conflict")]


def _query_page(value):
    number = parse_page(value) if isinstance(value, str) else None
    if number is None:
        raise PydanticCustomError("page", "Must be a positive whole number.")
    return number


#: A page number in a query string: ASCII digits, at least 1 (a huge one shows the last page).
PageNumber = Annotated[int, PlainValidator(_query_page),
                       WithJsonSchema({"type": "integer", "minimum": 1, "description": "1 is the first page; past the last shows the last"})]


def _query_flag(value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("", "0", "false", "no", "off"):
        return False
    raise PydanticCustomError("flag", "Must be true or false.")


QueryFlag = Annotated[bool, PlainValidator(_query_flag), WithJsonSchema({"type": "boolean"})]


# -- error names and messages --------------------------------------------------------------------

def _model_in(annotation) -> type[BaseModel] | None:
    """The model class inside an annotation (through Optional, list, Annotated), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def error_name(model: type[BaseModel], loc: tuple) -> str:
    """The services' name of the field at `loc` (see the module doc): `dates.due`, `groups.0.quantity`."""
    parts: list[str] = []
    current: type[BaseModel] | None = model
    for position, step in enumerate(loc):
        if isinstance(step, int):
            parts.append(str(step))
            continue
        fields = current.model_fields if current is not None else {}
        name = step if step in fields else next((n for n, f in fields.items() if f.alias == step), step)
        field = fields.get(name)
        sub = _model_in(field.annotation) if field is not None else None
        if field is not None:  # a flat model names its keys as the services do, others by their JSON name
            step = name if current.flat or not field.alias else field.alias
        if sub is None or not sub.flat or position == len(loc) - 1:  # a flat model itself keeps its name
            parts.append(str(step))
        current = sub
    return ".".join(parts) or "body"


_TYPE_MESSAGES = {
    "string": "Must be a string.", "int": "Must be a whole number.", "bool": "Must be true or false.",
    "dict": "Must be an object.", "model": "Must be an object.", "list": "Must be a list.",
    "float": "Must be a number.", "date": "Must be a date like 2026-04-01.",
}


def error_message(error: dict) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return "Is required."
    if kind == "extra_forbidden":
        return "Unknown field."
    if kind == "string_too_long":
        return f"Is too long (at most {ctx.get('max_length')} characters)."
    if kind == "string_too_short":
        return "Must not be empty." if ctx.get("min_length") == 1 else f"Is too short (at least {ctx.get('min_length')} characters)."
    if kind == "too_long":
        return f"At most {ctx.get('max_length')} entries are allowed."
    if kind == "too_short":
        return f"At least {ctx.get('min_length')} entries are required."
    if kind in ("greater_than_equal", "greater_than"):
        return f"Must be at least {ctx.get('ge', ctx.get('gt'))}."
    if kind in ("less_than_equal", "less_than"):
        return f"Must be at most {ctx.get('le', ctx.get('lt'))}."
    if kind in ("literal_error", "enum"):
        return f"Must be one of {ctx.get('expected')}."
    for prefix, message in _TYPE_MESSAGES.items():
        if kind.startswith(prefix + "_") or kind == prefix + "_type":
            return message
    return error["msg"]


def invalid(model: type[BaseModel], error: PydanticValidationError, prefix: str = "") -> ValidationError:
    fields: dict[str, str] = {}
    for item in error.errors(include_url=False):
        fields.setdefault(prefix + error_name(model, item["loc"]), error_message(item))
    return ValidationError(fields)


# -- NUL characters: refused in any text of any input ---------------------------------------------

def nul_loc(value) -> tuple | None:
    """Where the first string (or key) holding a NUL character is, as a pydantic `loc`; None if nowhere."""
    stack: list[tuple[tuple, object]] = [((), value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return where
        elif isinstance(item, dict):
            for key, sub in item.items():
                if "\x00" in str(key):
                    return where
                stack.append(((*where, str(key)), sub))
        elif isinstance(item, list):
            stack.extend(((*where, i), sub) for i, sub in enumerate(item))
    return None


def nul_path(value) -> str | None:
    """The dotted path of the first string (or key) holding a NUL character, or None."""
    loc = nul_loc(value)
    return None if loc is None else ".".join(map(str, loc)) or "body"


# -- the decorators ---------------------------------------------------------------------------------

def read_json_body() -> dict:
    """The request body as parsed JSON ({} when empty); 422 for anything that is not JSON."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        return from_json(raw)  # pydantic-core: bounded nesting, no recursion error
    except ValueError:
        raise ValidationError({"body": "Must be a JSON object."}, "The body must be a JSON object.") from None


def validate(model: type[BaseModel], data, context: dict | None = None, prefix: str = "") -> dict:
    """`data` checked against `model`: the dict the services take, or ValidationError (422)."""
    where = nul_loc(data)
    if where is not None:
        raise ValidationError({prefix + error_name(model, where): NUL_MESSAGE})
    if not isinstance(data, dict):
        raise ValidationError({"body": "Must be a JSON object."}, "The body must be a JSON object.")
    try:
        parsed = model.model_validate(data, context=context)
    except PydanticValidationError as error:
        raise invalid(model, error, prefix) from None
    return parsed.model_dump(by_alias=True, exclude_unset=True)


def body(model: type[BaseModel], context: typing.Callable[[], dict] | None = None):
    """Validate the JSON body against `model` before the view; the view gets it as `data`."""
    register(model)

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            extra = context() if context else None
            return view(*args, data=validate(model, read_json_body(), extra), **kwargs)

        wrapper.api_body = model
        return wrapper

    return decorate


def query(model: type[BaseModel]):
    """Validate the query string against `model` (one value per name); the view gets it as `args`."""
    register(model)

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            where = nul_path(request.args.to_dict())
            if where is not None:
                raise ValidationError({where: NUL_MESSAGE})
            given = {key: value for key, value in request.args.items() if key in model.model_fields}
            return view(*args, args=validate(model, given), **kwargs)

        wrapper.api_query = model
        return wrapper

    return decorate


def query_parameters(model: type[BaseModel]) -> list[dict]:
    """OpenAPI `parameters` (in: query) of a query model."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema["properties"].items():
        prop = dict(prop)
        prop.pop("title", None)
        if "anyOf" in prop and {"type": "null"} in prop["anyOf"]:  # optional: just leave it out
            options = [p for p in prop.pop("anyOf") if p != {"type": "null"}]
            prop = {**(options[0] if len(options) == 1 else {"anyOf": options}), **prop}
        prop.pop("default", None)
        description = prop.pop("description", None)
        parameter = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters

