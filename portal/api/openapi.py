"""The OpenAPI 3 description of /api/v1 (shared/spec/api.md)."""
from __future__ import annotations

from ..workflow.machine import COMMANDS
from ..workflow.statuses import Status

ERROR = {"$ref": "#/components/schemas/Error"}


def _errors(*codes: int) -> dict:
    texts = {401: "unauthorized: no or bad token", 403: "forbidden: not visible to the caller's library",
             404: "not_found: no such record or command",
             409: "command_not_allowed (status, side, kind or network) or conflict (stale version)",
             422: "invalid: bad input; `fields` says which"}
    return {str(c): {"description": texts[c], "content": {"application/json": {"schema": ERROR}}} for c in codes}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


ILL_ID = {"name": "ill_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[0-9]+$"}}
COMMAND = {"name": "command", "in": "path", "required": True, "schema": {"type": "string", "enum": COMMANDS}}
AMOUNT = {"oneOf": [{"type": "string"}, {"type": "number"}], "description": "decimal amount, e.g. \"350\""}
DATE = {"type": "string", "format": "date"}


def openapi_document() -> dict:
    record_ref = {"$ref": "#/components/schemas/Record"}
    return {
        "openapi": "3.0.3",
        "info": {"title": "ILL portal API", "version": "1.0.0",
                 "description": "Interlibrary-loan records in the style of NACSIS-ILL. Every request carries "
                                "`Authorization: Bearer TOKEN` and acts for the token's user and library."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/records": {
                "post": {"summary": "Create a request in PREPARING", "requestBody": _json({"$ref": "#/components/schemas/NewRecord"}),
                         "responses": {"201": {"description": "the new record", **_json(record_ref)}, **_errors(401, 422)}},
                "get": {"summary": "List and search the caller's records",
                        "parameters": [
                            {"name": "side", "in": "query", "schema": {"type": "string", "enum": ["requester", "lender"]}},
                            {"name": "status", "in": "query", "schema": {"type": "string", "enum": [s.value for s in Status]}},
                            {"name": "kind", "in": "query", "schema": {"type": "string", "enum": ["copy", "loan"]}},
                            {"name": "q", "in": "query", "schema": {"type": "string"}},
                            {"name": "archive", "in": "query", "schema": {"type": "boolean"}},
                            {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}}],
                        "responses": {"200": {"description": "a page of records", **_json({
                            "type": "object", "properties": {"items": {"type": "array", "items": record_ref},
                                                             "total": {"type": "integer"}, "page": {"type": "integer"}}})},
                                      **_errors(401, 422)}},
            },
            "/records/{ill_id}": {"get": {"summary": "One record", "parameters": [ILL_ID],
                                          "responses": {"200": {"description": "the record", **_json(record_ref)},
                                                        **_errors(401, 403, 404)}}},
            "/records/{ill_id}/commands/{command}": {"post": {
                "summary": "Run a command on a record", "parameters": [ILL_ID, COMMAND],
                "requestBody": _json({"$ref": "#/components/schemas/CommandInput"}),
                "responses": {"200": {"description": "the record after the command", **_json(record_ref)},
                              **_errors(401, 403, 404, 409, 422)}}},
            "/bulk/{command}": {"post": {
                "summary": "Run a command on many records, each its own transaction", "parameters": [COMMAND],
                "requestBody": _json({"type": "object", "required": ["records"], "properties": {"records": {
                    "type": "array", "items": {"allOf": [{"$ref": "#/components/schemas/CommandInput"},
                                                         {"type": "object", "required": ["ill_id"],
                                                          "properties": {"ill_id": {"type": "string"}}}]}}}}),
                "responses": {"200": {"description": "one result per record, in order", **_json({
                    "type": "object", "properties": {"results": {"type": "array", "items": {"$ref": "#/components/schemas/BulkResult"}}}})},
                    **_errors(401, 404, 422)}}},
            "/records/{ill_id}/slips/{slip}.pdf": {"get": {
                "summary": "A slip as PDF", "parameters": [ILL_ID, {"name": "slip", "in": "path", "required": True,
                                                                   "schema": {"type": "string", "enum": ["receipt", "shipping", "return"]}}],
                "responses": {"200": {"description": "the PDF", "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                              **_errors(401, 403, 404)}}},
            "/openapi.json": {"get": {"summary": "This document", "security": [],
                                      "responses": {"200": {"description": "OpenAPI 3 document"}}}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error", "message"], "properties": {
                    "error": {"type": "string", "enum": ["unauthorized", "forbidden", "not_found", "command_not_allowed", "conflict", "invalid"]},
                    "message": {"type": "string"}, "fields": {"type": "object", "additionalProperties": {"type": "string"}}}},
                "Fees": {"type": "object", "properties": {
                    "groups": {"type": "array", "maxItems": 10, "items": {"type": "object", "properties": {
                        "item": {"type": "string"}, "quantity": {"type": "integer", "minimum": 0}, "unit_price": AMOUNT}}},
                    "base_fee": AMOUNT, "postage": AMOUNT}},
                "CommandInput": {"type": "object", "properties": {
                    "comment": {"type": "string"}, "fees": {"$ref": "#/components/schemas/Fees"},
                    "dates": {"type": "object", "properties": {k: DATE for k in (
                        "ordered", "accepted", "sent", "received", "due", "sent_back", "return_received")}},
                    "due_date": DATE, "version": {"type": "integer"},
                    "fields": {"type": "object", "description": "SAVE: editable fields of the caller's side"},
                    "candidates": {"type": "array", "description": "SAVE (requester): the candidate list"},
                    "local_note": {"type": "string", "description": "the caller's private local note"}}},
                "NewRecord": {"type": "object", "required": ["kind", "candidates"], "properties": {
                    "kind": {"type": "string", "enum": ["copy", "loan"]},
                    "network": {"type": "string", "enum": ["NII", "OCLC"]},
                    "citation": {"type": "object", "properties": {k: {"type": "string"} for k in (
                        "title", "article", "volume", "pages", "year", "std_no", "bib_id", "note", "author", "publisher")}},
                    "client": {"type": "object", "properties": {"name": {"type": "string"}, "type": {"type": "string"}}},
                    "candidates": {"type": "array", "minItems": 1, "maxItems": 5, "items": {"type": "object", "required": ["library"], "properties": {
                        "library": {"type": "string"}, "location": {"type": "string"}, "volume": {"type": "string"},
                        "call_number": {"type": "string"}, "registration_number": {"type": "string"}}}}}},
                "BulkResult": {"type": "object", "required": ["ill_id", "ok"], "properties": {
                    "ill_id": {"type": "string"}, "ok": {"type": "boolean"}, "status": {"type": "string"},
                    "error": {"type": "string"}, "message": {"type": "string"}}},
                "Record": {"type": "object", "required": ["ill_id", "kind", "network", "status", "queue", "requester", "lender",
                                                          "candidates", "citation", "client", "fees", "dates", "history",
                                                          "allowed_commands", "version"],
                           "properties": {
                               "ill_id": {"type": "string"}, "kind": {"type": "string", "enum": ["copy", "loan"]},
                               "network": {"type": "string", "enum": ["NII", "OCLC"]},
                               "status": {"type": "string", "enum": [s.value for s in Status]},
                               "queue": {"type": "string", "enum": ["requester", "lender", "final"]},
                               "requester": {"type": "string"}, "lender": {"type": "string", "nullable": True},
                               "candidates": {"type": "array", "items": {"type": "object"}},
                               "citation": {"type": "object"}, "client": {"type": "object"},
                               "fees": {"type": "object"}, "dates": {"type": "object"},
                               "history": {"type": "array", "items": {"type": "object"}},
                               "allowed_commands": {"type": "array", "items": {"type": "string"}},
                               "version": {"type": "integer"}}},
            },
        },
    }
