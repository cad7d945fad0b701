"""JSON API endpoints: load, check access, call one service, answer JSON."""
from __future__ import annotations

from functools import wraps

from flask import Response, g, jsonify

from ..database import reads_only
from ..services.access import load_record, load_record_for_command
from ..services.records import bulk_command, commands_for, create_record, perform_command
from ..services.search import SearchFilters, search_records
from ..workflow.errors import Blocked, DomainError, NotFound, ValidationError
from ..workflow.machine import COMMANDS
from ..workflow.numbers import clamp_page
from . import bp, error_response, token_required
from .openapi import openapi_document
from .schemas import BulkInput, CommandInput, NewRecord, RecordQuery, bulk_context
from .serializers import record_to_dict
from .validation import body, query

PER_PAGE = 50
HTTP_STATUS = {"not_found": 404, "forbidden": 403, "command_not_allowed": 409, "conflict": 409, "invalid": 422,
               "blocked": 409}


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    if isinstance(error, Blocked):  # 409 {"error": "blocked", "message", "block"}
        body = {"error": error.code, "message": error.message, "overridable": error.overridable,
                "block": error.view.as_dict(g.api_user.language or "en") if error.view else None}
        return jsonify(body), 409
    return error_response(HTTP_STATUS.get(error.code, 400), error.code, error.message,
                          getattr(error, "fields", None))


def _record_json(record, status: int = 200):
    user = g.api_user
    return jsonify(record_to_dict(record, user.library_id, commands_for(user, record))), status


def known_command(view):
    """404 for an unknown command before the body is looked at; the view gets the command's name."""
    @wraps(view)
    def wrapper(*args, command: str, **kwargs):
        name = command.upper()
        if name not in COMMANDS:
            raise NotFound("There is no command %(command)s.", command=command[:30])
        return view(*args, command=name, **kwargs)

    return wrapper


def known_record(view):
    """404 / 403 for the record of the path before the body is looked at."""
    @wraps(view)
    def wrapper(*args, ill_id: str, **kwargs):
        # kept referenced for the request: the session's identity map holds objects weakly, and
        # perform_command finds the record there again only while something holds it
        g.known_record = load_record_for_command(g.api_user.library_id, ill_id)
        return view(*args, ill_id=ill_id, **kwargs)

    return wrapper


@bp.post("/records")
@token_required
@body(NewRecord)
def create(data: dict):
    return _record_json(create_record(g.api_user, data), 201)


@bp.get("/records")
@reads_only
@token_required
@query(RecordQuery)
def list_records(args: dict):
    filters = SearchFilters(side=args.get("side"), status=args.get("status"), kind=args.get("kind"),
                            q=args.get("q") or "", include_archive=bool(args.get("archive")))
    records, total = search_records(g.api_user.library_id, filters, args.get("page") or 1, per_page=PER_PAGE)
    page = clamp_page(args.get("page") or 1, total, PER_PAGE)
    user = g.api_user
    return jsonify({"items": [record_to_dict(r, user.library_id, commands_for(user, r)) for r in records],
                    "total": total, "page": page})


@bp.get("/records/<ill_id>")
@reads_only
@token_required
def get_record(ill_id):
    return _record_json(load_record(g.api_user.library_id, ill_id))


@bp.post("/records/<ill_id>/commands/<command>")
@token_required
@known_command
@known_record
@body(CommandInput)
def run_command(ill_id, command, data: dict):
    return _record_json(perform_command(g.api_user, ill_id, command, data))


@bp.post("/bulk/<command>")
@token_required
@known_command
@body(BulkInput, context=bulk_context)
def run_bulk(command, data: dict):
    return jsonify({"results": [r.as_dict() for r in bulk_command(g.api_user, command, data["records"])]})


@bp.get("/records/<ill_id>/slips/<slip>.pdf")
@token_required
def slip(ill_id, slip):
    from ..services.slips import SLIP_KINDS, render_slips

    if slip not in SLIP_KINDS:
        raise NotFound("There is no slip %(kind)s.", kind=slip[:20])
    record = load_record(g.api_user.library_id, ill_id)
    pdf = render_slips(g.api_user, [record], slip)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{slip}-{record.ill_id}.pdf"'})


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())
