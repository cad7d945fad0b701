"""JSON API endpoints: load, check access, call one service, answer JSON."""
from __future__ import annotations

from flask import Response, g, jsonify, request

from ..services.access import load_record
from ..services.records import bulk_command, commands_for, create_record, perform_command
from ..services.search import SearchFilters, search_records
from ..workflow.errors import DomainError, NotFound, ValidationError
from ..workflow.machine import COMMANDS
from ..workflow.statuses import Status
from . import bp, error_response, token_required
from .openapi import openapi_document
from .serializers import record_to_dict

HTTP_STATUS = {"not_found": 404, "forbidden": 403, "command_not_allowed": 409, "conflict": 409, "invalid": 422}


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    return error_response(HTTP_STATUS.get(error.code, 400), error.code, error.message,
                          getattr(error, "fields", None))


def _body() -> dict:
    body = request.get_json(silent=True) if request.data else {}
    if not isinstance(body, dict):
        raise ValidationError({"body": "The body must be a JSON object."}, "The body must be a JSON object.")
    return body


def _record_json(record, status: int = 200):
    user = g.api_user
    return jsonify(record_to_dict(record, user.library_id, commands_for(user, record))), status


def _command_name(command: str) -> str:
    name = command.upper()
    if name not in COMMANDS:
        raise NotFound("There is no command %(command)s.", command=command[:30])
    return name


@bp.post("/records")
@token_required
def create():
    return _record_json(create_record(g.api_user, _body()), 201)


@bp.get("/records")
@token_required
def list_records():
    args = request.args
    errors = {}
    side = args.get("side") or None
    if side not in (None, "requester", "lender"):
        errors["side"] = "Must be requester or lender."
    status = args.get("status") or None
    if status and status not in Status.__members__:
        errors["status"] = "Unknown status."
    page = args.get("page", "1")
    if not page.isdigit() or int(page) < 1:
        errors["page"] = "Must be a positive whole number."
    if errors:
        raise ValidationError(errors)
    filters = SearchFilters(side=side, status=status, kind=args.get("kind"), q=args.get("q", ""),
                            include_archive=args.get("archive") in ("1", "true"))
    records, total = search_records(g.api_user.library_id, filters, int(page), per_page=50)
    user = g.api_user
    return jsonify({"items": [record_to_dict(r, user.library_id, commands_for(user, r)) for r in records],
                    "total": total, "page": int(page)})


@bp.get("/records/<ill_id>")
@token_required
def get_record(ill_id):
    return _record_json(load_record(g.api_user.library_id, ill_id))


@bp.post("/records/<ill_id>/commands/<command>")
@token_required
def run_command(ill_id, command):
    return _record_json(perform_command(g.api_user, ill_id, _command_name(command), _body()))


@bp.post("/bulk/<command>")
@token_required
def run_bulk(command):
    name = _command_name(command)
    items = _body().get("records")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValidationError({"records": "Must be a list of objects with an ill_id."})
    return jsonify({"results": [r.as_dict() for r in bulk_command(g.api_user, name, items)]})


@bp.get("/records/<ill_id>/slips/<kind>.pdf")
@token_required
def slip(ill_id, kind):
    from ..services.slips import SLIP_KINDS, render_slips

    if kind not in SLIP_KINDS:
        raise NotFound("There is no slip %(kind)s.", kind=kind[:20])
    record = load_record(g.api_user.library_id, ill_id)
    pdf = render_slips(g.api_user, [record], kind)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{kind}-{record.ill_id}.pdf"'})


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())
