"""The OpenAPI 3.1 description of /api/v1.

Request bodies, query parameters and their schemas are not written here: they
come from the pydantic models the views declare (`validation.body`,
`validation.query`), read from the URL map, so the document and the server
cannot disagree. Here: each path's summary, path parameters and answers.
A new endpoint adds one entry to `PATHS` (or calls `add_path` from its module).
"""
from __future__ import annotations

from flask import current_app
from pydantic.json_schema import models_json_schema

from ..workflow.machine import COMMANDS
from ..workflow.statuses import Status
from .validation import SCHEMAS

REF = "#/components/schemas/{model}"
ERROR = {"$ref": REF.format(model="Error")}
RECORD = {"$ref": REF.format(model="Record")}

ERROR_TEXTS = {
    401: "unauthorized: no or bad token", 403: "forbidden: not visible to the caller's library",
    404: "not_found: no such record or command",
    409: "command_not_allowed (status, side, kind or network), conflict (stale version) or blocked (a block "
         "stops it: `block` says which)",
    413: "too_large: too many rows or too big a body",
    422: "invalid: bad input; `fields` says which",
}


def errors(*codes: int) -> dict:
    return {str(c): {"description": ERROR_TEXTS[c], "content": {"application/json": {"schema": ERROR}}}
            for c in codes}


def json_content(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def path_parameter(name: str, schema: dict, description: str | None = None, example=None) -> dict:
    parameter = {"name": name, "in": "path", "required": True, "schema": schema}
    if description:
        parameter["description"] = description
    if example is not None:
        parameter["example"] = example
    return parameter


ILL_ID = path_parameter("ill_id", {"type": "string", "pattern": "^[0-9]+$", "maxLength": 40},
                        "the record's ILL ID (ASCII digits); an unknown one is 404")
COMMAND = path_parameter("command", {"type": "string", "enum": COMMANDS})
SLIP = path_parameter("slip", {"type": "string", "enum": ["receipt", "shipping", "return"]})

#: path -> method -> operation; requestBody and query parameters are filled in from the views.
PATHS: dict[str, dict[str, dict]] = {
    "/records": {
        "post": {"summary": "Create a request in PREPARING",
                 "responses": {"201": {"description": "the new record", **json_content(RECORD)}, **errors(401, 422)}},
        "get": {"summary": "List and search the caller's records",
                "responses": {"200": {"description": "a page of records", **json_content({
                    "type": "object", "required": ["items", "total", "page"],
                    "properties": {"items": {"type": "array", "items": RECORD}, "total": {"type": "integer"},
                                   "page": {"type": "integer"}}})},
                    **errors(401, 422)}},
    },
    "/records/{ill_id}": {"get": {
        "summary": "One record", "parameters": [ILL_ID],
        "responses": {"200": {"description": "the record", **json_content(RECORD)}, **errors(401, 403, 404, 422)}}},
    "/records/{ill_id}/commands/{command}": {"post": {
        "summary": "Run a command on a record", "parameters": [ILL_ID, COMMAND],
        "responses": {"200": {"description": "the record after the command", **json_content(RECORD)},
                      **errors(401, 403, 404, 409, 422)}}},
    "/bulk/{command}": {"post": {
        "summary": "Run a command on many records, each its own transaction", "parameters": [COMMAND],
        "responses": {"200": {"description": "one result per record, in order",
                              **json_content({"$ref": REF.format(model="BulkResults")})},
                      **errors(401, 404, 413, 422)}}},
    "/records/{ill_id}/slips/{slip}.pdf": {"get": {
        "summary": "A slip as PDF", "parameters": [ILL_ID, SLIP],
        "responses": {"200": {"description": "the PDF",
                              "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                      **errors(401, 403, 404, 409, 422)}}},
    "/openapi.json": {"get": {"summary": "This document", "security": [],
                              "responses": {"200": {"description": "OpenAPI 3.1 document",
                                                    **json_content({"type": "object"})}}}},
}


def add_path(path: str, method: str, operation: dict) -> None:
    """Describe one more operation (summary, path parameters, responses); its body comes from the view."""
    PATHS.setdefault(path, {})[method.lower()] = operation


def openapi_path(rule: str, prefix: str) -> str:
    """/api/v1/records/<ill_id> -> /records/{ill_id}"""
    path = rule[len(prefix):] if rule.startswith(prefix) else rule
    out, rest = [], path
    while "<" in rest:
        before, _, after = rest.partition("<")
        name, _, rest = after.partition(">")
        out += [before, "{" + name.rpartition(":")[2] + "}"]
    return "".join(out) + rest


def declared_operations(app=None) -> dict[tuple[str, str], object]:
    """(openapi path, method) -> view function, for every rule of the API blueprint."""
    app = app or current_app
    from . import bp

    found = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(bp.name + "."):
            view = app.view_functions[rule.endpoint]
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                found[(openapi_path(rule.rule, bp.url_prefix), method.lower())] = view
    return found


def _schema_components() -> dict:
    _, top = models_json_schema([(model, "validation") for model in SCHEMAS.values()], ref_template=REF)
    return top.get("$defs", {})


def openapi_document() -> dict:
    from .validation import query_parameters

    paths: dict[str, dict] = {path: {m: dict(op) for m, op in methods.items()} for path, methods in PATHS.items()}
    for (path, method), view in declared_operations().items():
        operation = paths.get(path, {}).get(method)
        if operation is None:
            continue  # undocumented: tests/api/test_api_openapi.py refuses that
        model = getattr(view, "api_body", None)
        if model is not None:
            operation["requestBody"] = {"required": False, **json_content({"$ref": REF.format(model=model.__name__)})}
        model = getattr(view, "api_query", None)
        if model is not None:
            operation["parameters"] = [*operation.get("parameters", []), *query_parameters(model)]
    schemas = _schema_components()
    schemas["Record"] = RECORD_SCHEMA
    return {
        "openapi": "3.1.0",
        "info": {"title": "ILL portal API", "version": "1.1.0",
                 "description": "Interlibrary-loan records in the style of NACSIS-ILL. Every request carries "
                                "`Authorization: Bearer TOKEN` and acts for the token's user and library. "
                                "Amounts are decimal strings (numbers are accepted on input), dates ISO YYYY-MM-DD."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": schemas},
    }


STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
AMOUNT_OUT = {"type": ["string", "null"], "description": "decimal string; null: never entered"}


def _strings(*names: str, nullable: bool = False) -> dict:
    return {"type": "object", "required": list(names),
            "properties": {n: NULLABLE_STRING if nullable else STRING for n in names}}


RECORD_SCHEMA = {
    "type": "object",
    "required": ["ill_id", "kind", "network", "status", "queue", "requester", "lender", "candidates", "citation",
                 "client", "fees", "dates", "history", "allowed_commands", "version"],
    "properties": {
        "ill_id": {"type": "string", "pattern": "^[0-9]+$"},
        "kind": {"type": "string", "enum": ["copy", "loan"]},
        "network": {"type": "string", "enum": ["NII", "OCLC"]},
        "status": {"type": "string", "enum": [s.value for s in Status]},
        "status_label": _strings("ja", "en"),
        "queue": {"type": "string", "enum": ["requester", "lender", "final"]},
        "requester": STRING, "lender": NULLABLE_STRING,
        "candidates": {"type": "array", "items": {
            "type": "object", "required": ["library", "tried"],
            "properties": {"library": STRING, "location": STRING, "volume": STRING, "call_number": STRING,
                           "registration_number": STRING, "tried": {"type": "boolean"},
                           "skipped": {"type": "boolean"}}}},
        "citation": _strings("title", "article", "volume", "pages", "year", "std_no", "bib_id", "note", "author",
                             "publisher"),
        "client": _strings("name", "type"),
        "patron": {"type": ["string", "null"], "description": "the patron's card number, for the requesting "
                                                              "library only (null for anyone else)"},
        "terms": _strings("account_type", "copy_type", "send_via", "permission"),
        "local_numbers": {"type": "object", "properties": {"requester": STRING, "lender": STRING}},
        "fees": {"type": "object", "required": ["groups", "base_fee", "postage", "total"], "properties": {
            "groups": {"type": "array", "items": {"type": "object", "properties": {
                "item": STRING, "quantity": {"type": "integer"}, "unit_price": STRING, "charge": STRING}}},
            "base_fee": AMOUNT_OUT, "postage": AMOUNT_OUT, "total": AMOUNT_OUT, "currency": STRING}},
        "dates": {"type": "object", "required": ["ordered", "accepted", "sent", "received", "due", "sent_back",
                                                 "return_received"],
                  "properties": {k: NULLABLE_DATE for k in ("ordered", "accepted", "sent", "received", "due",
                                                            "sent_back", "return_received")}},
        "flags": {"type": "object", "additionalProperties": {"type": "boolean"}},
        "history": {"type": "array", "items": {"type": "object", "required": ["command", "from", "to", "at"],
                                                "properties": {"command": STRING, "from": STRING, "to": STRING,
                                                               "library": NULLABLE_STRING, "user": STRING,
                                                               "comment": STRING,
                                                               "at": {"type": "string", "format": "date-time"},
                                                               "changes": {
                                                                   "type": "object",
                                                                   "description": "what the command changed besides "
                                                                                  "the status: {field: {from, to}}",
                                                                   "additionalProperties": {
                                                                       "type": "object",
                                                                       "properties": {"from": {}, "to": {}}}}}}},
        "local_note": {"type": "string", "description": "the caller's own local note, never the other side's"},
        "allowed_commands": {"type": "array", "items": {"type": "string", "enum": COMMANDS}},
        "version": {"type": "integer"},
    },
}
