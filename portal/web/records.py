"""Record pages: a new request, one record, and every command as an inline form.

Each view loads the record (404 / 403), validates, calls ONE service and
renders the page, or for htmx the region that changed.
"""
from __future__ import annotations

from functools import cache

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict

from ..database import reads_only
from ..models import Candidate, Record
from ..services import portal_today
from ..services.access import load_record, load_record_row, printable_slips, side_of
from ..services.archive import copy_to_new_request
from ..services.blocks import blocked_parties_column, ids_of_text
from ..services.notices.manage import has_notices_column
from ..services.records import commands_for, create_record, perform_command
from ..services.settings import templates_for
from ..services.worklists import participant_libraries, queue_totals
from ..workflow.errors import Blocked, CommandNotAllowed, Conflict, DomainError, Forbidden, NotFound, ValidationError
from ..workflow.machine import COMMANDS, COMMENT_REQUIRED, Side
from . import labels
from .forms import (CommandForm, FeeEditor, candidate_rows, comment_with_template, date_inputs,
                    editable_fields, new_request_data, new_request_errors, new_request_values, pad_candidates,
                    record_candidates, remap_row_errors, used_candidates)
from .htmx import fragment, is_htmx, render
from .patrons import client_values_for, new_request_patron
from .i18n import error_message, field_errors, status_label

bp = Blueprint("records", __name__)

SHOW = "records/show.html"


#: the record page shows both parties, every candidate's library and the library's local note: all
#: joined into the record's one statement (a record has a handful of candidates and at most a note
#: per party, so the join repeats the record on a few rows; a statement more costs more, above all on
#: PostgreSQL, where each is a round trip). The history follows in one more.
PAGE_OPTIONS = (joinedload(Record.requester), joinedload(Record.lender),
                joinedload(Record.candidates).joinedload(Candidate.library), joinedload(Record.local_notes))


#: the record page's statement: the record as above, and along with it which of its parties and
#: candidates the library sees blocked, and whether the library has notices of it (the page asks
#: the notices only then): two statements fewer
@cache
def _page_statement():
    return (select(Record, blocked_parties_column(bindparam("library_id"), bindparam("today")),
                   has_notices_column(bindparam("library_id")))
            .where(Record.id == bindparam("pk")).options(*PAGE_OPTIONS))


def load(ill_id: str) -> Record:
    try:
        return load_record(current_user.library_id, ill_id, PAGE_OPTIONS)
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)


def load_page(ill_id: str) -> tuple[Record, dict]:
    """load's record for the record page, and what the page reads along with it (page_context's extras)."""
    try:
        record, blocked, noticed = load_record_row(current_user.library_id, ill_id, _page_statement(),
                                                   {"library_id": current_user.library_id, "today": portal_today()})
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    return record, {"blocked_parties": ids_of_text(blocked), **({} if noticed else {"own_notices": []})}


def date_labels() -> dict[str, str]:
    return {
        "accepted": _("Accepted on (ADATE)"), "received": _("Received on (RDATE)"),
        "return_received": _("Return received on (KDATE)"), "sent": _("Sent on (SDATE)"),
        "due": _("Due date (DDATE)"), "sent_back": _("Sent back on (BDATE)"),
        "resent": _("Re-sent on (SDATE), if something was sent again"),
        "new_due": _("New due date (DDATE), if it changes"),
        "default_today": _("Default: today"),
        # %(days)s is filled in by date_inputs with the lender's loan period
        "default_due": _("Default: SDATE + loan period (%(days)s days)"),
        "patron_returned": _("Returned by the patron on (if not the send-back date)"),
    }


# -- the command forms ---------------------------------------------------------

def build_form(record: Record, command: str, side: Side, posted: MultiDict | None = None) -> CommandForm:
    """The inline form of one command: fresh, or re-filled from what was posted."""
    library = current_user.library
    form = CommandForm(command=command, side=side, comment_required=command in COMMENT_REQUIRED,
                       inquiry_warning=command == "INQUIRE", version=str(record.version),
                       templates=templates_for(library, side, command))
    form.dates = date_inputs(record, command, side, portal_today(), date_labels())
    if command in ("SEND", "INQUIRE", "SAVE") and side is Side.LENDER:
        form.fee_editor = FeeEditor.for_record(record, library).compute(library.currency_places)
        # INQUIRE and SAVE store fees only when asked to (SAVE: ticked already if the record has fees),
        # so saving a note never turns the fee defaults into the record's fees.
        form.fees_optional = command in ("INQUIRE", "SAVE")
        if form.fees_optional:
            form.fee_editor.enabled = command == "SAVE" and record.total is not None
    if command == "SEND" and side is Side.LENDER and record.kind == "loan":
        form.send_fields = {"use_restriction": record.use_restriction or ""}
    if command == "SAVE":
        form.save_fields = {name: getattr(record, name) or "" for name in editable_fields(side)}
        form.local_note = record.local_note_for(current_user.library_id)
        if side is Side.REQUESTER:
            form.candidates = pad_candidates(record_candidates(record))
    if posted is None:
        return form
    form.comment = posted.get("comment", "")
    form.version = posted.get("version", "")
    form.override_reason = posted.get("override_reason", "").strip()
    for date_input in form.dates:
        date_input.value = posted.get(f"date_{date_input.key}", "").strip()
    if form.fee_editor is not None:
        form.fee_editor = FeeEditor.from_form(posted)
        if form.fees_optional:  # a post without the box (or without the form's marker) stores no fees
            form.fee_editor.enabled = posted.get("include_fees") == "1"
        form.fee_editor.compute(library.currency_places)
    if form.send_fields is not None:
        form.send_fields = {name: posted.get(f"field_{name}", "") for name in form.send_fields}
    if command == "SAVE":
        form.save_fields = {name: posted.get(f"field_{name}", "") for name in editable_fields(side)}
        form.local_note = posted.get("local_note", "")
        if side is Side.REQUESTER:
            form.candidates = pad_candidates(candidate_rows(posted))
    return form


def command_data(form: CommandForm, posted: MultiDict) -> dict:
    """The plain dict perform_command takes."""
    data: dict = {"comment": comment_with_template(posted), "version": form.version,
                  "dates": {d.key: d.value for d in form.dates if d.value}}
    if form.fee_editor is not None and form.fee_editor.enabled:
        data["fees"] = form.fee_editor.as_data()
    if form.send_fields is not None:
        data["fields"] = dict(form.send_fields)
    if form.override_reason:  # the user confirmed going ahead despite a block (services.blocks decides)
        data["override"] = {"reason": form.override_reason}
    if form.command == "SAVE":
        data["fields"] = dict(form.save_fields)
        data["local_note"] = form.local_note
        if form.candidates is not None:
            data["candidates"], _used = used_candidates(form.candidates)
    return data


def page_context(record: Record, form: CommandForm | None = None, notice: str = "", **extra) -> dict:
    side = side_of(record, current_user.library_id)
    return {
        "record": record, "side": side, "commands": commands_for(current_user, record), "form": form,
        "notice": notice, "labels": labels, "local_note": record.local_note_for(current_user.library_id),
        "libraries": participant_libraries(record.network) if form and form.candidates is not None else [],
        "today": portal_today(), "slips": printable_slips(record, current_user.library_id), **extra,
    }


@bp.get("/records/<ill_id>")
@reads_only
def show(ill_id: str):
    record, read_along = load_page(ill_id)
    return render(SHOW, "record", **page_context(record, **read_along))


def load_for_command(ill_id: str, command: str) -> tuple[Record, str, Side | None]:
    """The record (404 / 403), the command's name (404 if there is none) and the caller's side."""
    record = load(ill_id)
    command = command.upper()
    if command not in COMMANDS:
        abort(404)
    return record, command, side_of(record, current_user.library_id)


@bp.get("/records/<ill_id>/commands/<command>")
def command_form(ill_id: str, command: str):
    record, command, side = load_for_command(ill_id, command)
    if side is None or command not in commands_for(current_user, record):
        # A stale page offered it: show the record as it is now, with why above it.
        message = _("%(command)s is not possible now: the record is in status %(status)s.",
                    command=command, status=status_label(record.status))
        return record_now(record, message)
    form = build_form(record, command, side)
    return render(SHOW, "command_form", **page_context(record, form))


@bp.post("/records/<ill_id>/commands/<command>")
def run_command(ill_id: str, command: str):
    record, command, side = load_for_command(ill_id, command)
    if side is None:
        abort(403)
    form = build_form(record, command, side, request.form)
    action = request.form.get("fee_action", "")
    if action and form.fee_editor is not None and form.fee_editor.apply_action(action):
        form.fee_editor.compute(current_user.library.currency_places)
        return render(SHOW, "command_form", **page_context(record, form))
    before = record.status
    try:
        record = perform_command(current_user, record.ill_id, command, command_data(form, request.form))
    except ValidationError as error:
        form.errors = field_errors(error)
        if form.fee_editor is not None:
            form.errors = remap_row_errors(form.errors, form.fee_editor.used_indices)
        if form.candidates is not None:
            _rows, used = used_candidates(form.candidates)
            form.errors = remap_row_errors(form.errors, used, "candidates")
        form.message = error_message(error)
        return render(SHOW, "command_form", status=422, **page_context(record, form))
    except Blocked as error:
        form.message = error_message(error)
        form.block_override = error.overridable
        return render(SHOW, "command_form", status=409, **page_context(record, form))
    except (Conflict, CommandNotAllowed) as error:
        record = load(ill_id)  # the record as it is now
        return record_now(record, error_message(error) + " " + _("Current status: %(status)s.",
                                                                  status=status_label(record.status)))
    if record.status != before:
        notice = _("%(command)s done: %(before)s → %(after)s.", command=command,
                   before=status_label(before), after=status_label(record.status))
    else:
        notice = _("%(command)s done.", command=command)
    if not is_htmx():
        flash(notice, "success")
        return redirect(url_for("records.show", ill_id=record.ill_id))
    response = fragment(SHOW, "record", "queue_counts_oob",
                        **page_context(record, notice=notice, queue_totals=queue_totals(current_user.library_id)))
    response.headers["HX-Retarget"] = "#record"
    response.headers["HX-Reswap"] = "outerHTML"
    response.headers["HX-Trigger"] = "records-changed"
    return response


def record_now(record: Record, conflict: str):
    """A stale page (another tab or the partner changed the record): the whole record as it is
    now (status, commands, fields), the conflict message above it; 409."""
    context = page_context(record, conflict=conflict)
    if not is_htmx():
        return render(SHOW, status=409, **context)
    response = fragment(SHOW, "record", "queue_counts_oob", status=409,
                        **context, queue_totals=queue_totals(current_user.library_id))
    response.headers["HX-Retarget"] = "#record"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


@bp.post("/fees/preview")
def fee_preview():
    """Subtotals and total of a fee editor, computed by the server while typing."""
    editor = FeeEditor.from_form(request.form, prefix=request.form.get("fee_editor", "fees"))
    editor.compute(current_user.library.currency_places)
    return render("records/fee_preview.html", editor=editor, currency=current_user.library.currency)


@bp.post("/records/<ill_id>/copy")
def copy(ill_id: str):
    record = load(ill_id)
    try:
        new_record = copy_to_new_request(current_user, record)
    except Forbidden:
        abort(403)
    except DomainError as error:
        flash(error_message(error), "error")
        return redirect(url_for("records.show", ill_id=record.ill_id))
    flash(_("New request %(ill_id)s made from %(source)s: check it and order.", ill_id=new_record.ill_id,
            source=record.ill_id), "success")
    return redirect(url_for("records.show", ill_id=new_record.ill_id))


# -- new request ---------------------------------------------------------------------

@bp.route("/records/new", methods=["GET", "POST"])
def new():
    libraries = [lib for lib in participant_libraries() if lib.id != current_user.library_id]
    if request.method == "GET":
        values = {name: "" for name in new_request_values(MultiDict())}
        values["kind"] = request.args.get("kind", "copy")
        picker = new_request_patron(request.args, None)  # a patron chosen from its page, or looked up
        if picker["picked"] is not None:
            values.update(client_values_for(picker["picked"]))
        return render("records/new.html", "form", values=values, candidates=pad_candidates([]),
                      libraries=libraries, errors={}, labels=labels,
                      autofocus_picker=picker["picked"] is None, **picker)
    values = new_request_values(request.form)
    rows = candidate_rows(request.form)
    used, indices = used_candidates(rows)
    order_now = request.form.get("action") == "order"
    try:
        record = create_record(current_user, new_request_data(values, used), order_now=order_now)
    except DomainError as error:
        errors = remap_row_errors(new_request_errors(field_errors(error)), indices, "candidates")
        if order_now and not used and "candidates" not in errors:
            errors["candidates"] = _("At least one lender candidate is required.")
        picker = new_request_patron(MultiDict(), request.form)
        if errors.get("patron"):
            picker.update(picked=None, picker_message=errors["patron"])
        return render("records/new.html", "form", status=422, values=values, candidates=pad_candidates(rows),
                      libraries=libraries, errors=errors, message=error_message(error), labels=labels, **picker)
    if order_now:
        flash(_("Request %(ill_id)s ordered: now with %(lender)s.", ill_id=record.ill_id,
                lender=record.lender.name if record.lender else ""), "success")
    else:
        flash(_("Request %(ill_id)s saved in preparation.", ill_id=record.ill_id), "success")
    target = url_for("records.show", ill_id=record.ill_id)
    if is_htmx():
        return "", 200, {"HX-Redirect": target}
    return redirect(target)
