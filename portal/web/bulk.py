"""Shipping desk pages: the bulk modes (一括受付 / 一括発送 and the requester's
arrivals and returns), the scan field, and the PDF slips.

Views parse the form, call one service (services.bulk / services.slips) and
render the page, or for htmx the region that changed.
"""
from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ..database import reads_only
from ..services import slip_pool
from ..services.access import load_record
from ..services.slip_batches import load_batch, save_batch
from ..services.bulk import (SLIP_FILTERS, BulkMode, bulk_rows, fee_total, get_mode, max_rows,
                             rows_for_inputs, run_bulk, scan_many)
from ..workflow.errors import DomainError, Forbidden, NotFound
from ..workflow.fees import MAX_GROUPS, used_group_indices
from ..workflow.numbers import parse_int
from .forms import remap_row_errors
from .htmx import fragment, is_htmx, render
from .i18n import error_message, translate_message
from .labels import USE_RESTRICTIONS

bp = Blueprint("bulk", __name__)

PAGE = "bulk/index.html"
MAX_SCANS_PER_REQUEST = 50


def mode_or_404(name: str) -> BulkMode:
    try:
        return get_mode(name)
    except NotFound:
        abort(404)


def titles() -> dict[str, str]:
    return {
        "receive": _("Bulk receive (一括受付)"), "send": _("Bulk send (一括発送)"),
        "arrive": _("Bulk receive of arrivals (一括到着受付)"), "sendback": _("Bulk send back (一括返送)"),
    }


def run_labels(mode: BulkMode) -> tuple[str, str | None]:
    """The two buttons: run, and run + print the mode's slips."""
    return {
        "receive": (_("Receive"), _("Receive + print receipt slips")),
        "send": (_("Send"), _("Send + print shipping slips")),
        "arrive": (_("Receive"), None),
        "sendback": (_("Send back"), _("Send back + print return slips")),
    }[mode.name]


# -- reading the posted rows ---------------------------------------------------------

def row_inputs(form: MultiDict, ill_id: str, mode: BulkMode) -> dict:
    """One row's inputs as typed (names like r1000000123.g0.quantity)."""
    inputs: dict = {"ill_id": ill_id}
    if not mode.fees:
        return inputs
    prefix = f"r{ill_id}."
    groups = []
    for i in range(MAX_GROUPS):
        if f"{prefix}g{i}.item" not in form and f"{prefix}g{i}.quantity" not in form:
            break
        groups.append({key: form.get(f"{prefix}g{i}.{key}", "").strip() for key in ("item", "quantity", "unit_price")})
    inputs["fees"] = {"groups": groups, "base_fee": form.get(prefix + "base_fee", "").strip(),
                      "postage": form.get(prefix + "postage", "").strip()}
    inputs["dates"] = {"sent": form.get(prefix + "sent", "").strip()}
    if prefix + "due" in form:
        inputs["dates"]["due"] = form.get(prefix + "due", "").strip()
    if prefix + "use_restriction" in form:
        inputs["fields"] = {"use_restriction": form.get(prefix + "use_restriction", "").strip()}
    return inputs


def posted_rows(form: MultiDict, mode: BulkMode) -> list[tuple[dict, bool]]:
    """Every row the page listed, in order, with its inputs and whether it was checked.

    More rows than BULK_MAX_ROWS (a page never lists more) are refused with 413, not cut."""
    checked = set(form.getlist("ill_id"))
    listed = list(dict.fromkeys(i.strip() for i in form.getlist("row") if i.strip()))
    if len(listed) > max_rows():
        abort(413, _("At most %(limit)s rows can be run at once; run the rest in a further batch.",
                     limit=max_rows()))
    return [(row_inputs(form, ill_id, mode), ill_id in checked) for ill_id in listed]


# -- page context ---------------------------------------------------------------------

def scan_feedback(results) -> list[dict]:
    return [{"outcome": r.outcome, "ill_id": r.ill_id, "text": translate_message(r.template, r.params),
             "row": r.row} for r in results]


def row_messages(rows) -> None:
    """Translate each failed row's reason and field messages for display."""
    for row in rows:
        if row.message:
            row.message = translate_message(row.message, row.message_params)
        groups = (row.inputs.get("fees") or {}).get("groups") or []
        row.errors = {key: translate_message(text)
                      for key, text in remap_row_errors(row.errors, used_group_indices(groups)).items()}


def field_label(key: str) -> str:
    """A row's field, named as its input is (service keys like groups.0.quantity)."""
    parts = key.split(".")
    if len(parts) == 3 and parts[0] == "groups" and parse_int(parts[1]) is not None:
        n = parse_int(parts[1]) + 1
        return {"item": _("Item, group %(n)s", n=n), "quantity": _("Quantity, group %(n)s", n=n),
                "unit_price": _("Unit price, group %(n)s", n=n)}.get(parts[2], key)
    return {"base_fee": _("Base fee and other costs"), "postage": _("Postage or fax"), "groups": _("Fees"),
            "sent": _("Sent on (SDATE)"), "dates.sent": _("Sent on (SDATE)"),
            "due": _("Due date (DDATE)"), "dates.due": _("Due date (DDATE)"),
            "fields.use_restriction": _("Use restriction")}.get(key, key)


def page_context(mode: BulkMode, rows, **extra) -> dict:
    run_label, print_label = run_labels(mode)
    return {
        "mode": mode, "rows": rows, "title": titles()[mode.name], "run_label": run_label,
        "print_label": print_label, "slip_filter": extra.pop("slip_filter", ""), "scanned": [], "feedback": [],
        "summary": None, "print_url": None, "currency": current_user.library.currency,
        "leave_url": url_for("main.worklists", side=mode.side.value), "field_label": field_label,
        "use_restrictions": USE_RESTRICTIONS, "page_link": lambda **args: page_url(mode, **args), **extra,
    }


def page_url(mode: BulkMode, **args) -> str:
    if mode.name == "arrive":
        return url_for("bulk.receive", side="requester", **args)
    return url_for(f"bulk.{mode.name}", **args)


def show(mode: BulkMode):
    if mode.slip:  # what printing needs starts while the desk scans
        slip_pool.warm_up(current_app.config.get("SLIP_PROCESSES", 0))
    slip = request.args.get("slip") if request.args.get("slip") in SLIP_FILTERS else ""
    rows = bulk_rows(current_user, mode, slip or None)
    if request.args.get("check") in ("all", "none"):  # select all / clear all without JavaScript
        for row in rows:
            row.checked = request.args["check"] == "all"
    return render(PAGE, "bulk_form", **page_context(mode, rows, slip_filter=slip))


# -- pages ---------------------------------------------------------------------------

@bp.get("/bulk/receive")
@reads_only
def receive():
    """Lender: bulk receive. With ?side=requester: the requester's arrivals, scanned from shipping slips."""
    return show(get_mode("arrive" if request.args.get("side") == "requester" else "receive"))


@bp.get("/bulk/send")
@reads_only
def send():
    return show(get_mode("send"))


@bp.get("/bulk/sendback")
@reads_only
def sendback():
    return show(get_mode("sendback"))


@bp.post("/bulk/<mode_name>/scan")
@reads_only
def scan(mode_name: str):
    """One or more scanned IDs (queued scans arrive together), in order; reads only."""
    mode = mode_or_404(mode_name)
    raw = [value for value in request.form.getlist("ill_id") if value.strip()][:MAX_SCANS_PER_REQUEST]
    if not raw and is_htmx():
        return Response(status=204)  # the scans of this submit already went with an earlier request
    results, scanned = scan_many(current_user, mode, raw, request.form.getlist("scanned")[:max_rows()])
    context = {"scanned": scanned, "feedback": scan_feedback(results)}
    if is_htmx():
        return render(PAGE, "scan_state", **page_context(mode, [], **context))
    # Without JavaScript: the whole page, the scanned rows checked.
    rows = bulk_rows(current_user, mode)
    for row in rows:
        row.checked = row.ill_id in scanned
    return render(PAGE, **page_context(mode, rows, **context))


@bp.post("/bulk/<mode_name>/total")
def row_total(mode_name: str):
    """The live total (SUM) of one row's fee inputs, computed by the server while typing."""
    mode = mode_or_404(mode_name)
    ill_id = request.form.get("total_for", "").strip()
    if not mode.fees or parse_int(ill_id) is None:
        abort(404)
    fees, errors = fee_total(row_inputs(request.form, ill_id, mode)["fees"], current_user.library.currency_places)
    # The fragment also without HX-Request: there is no page of one row's total.
    return fragment(PAGE, "row_total", ill_id=ill_id, fees=fees, errors=errors, currency=current_user.library.currency)


@bp.post("/bulk/<mode_name>/run")
def run(mode_name: str):
    """Run the mode's command on every checked row; each row is its own transaction."""
    mode = mode_or_404(mode_name)
    posted = posted_rows(request.form, mode)
    chosen = [inputs for inputs, checked in posted if checked]
    outcome = run_bulk(current_user, mode, chosen)
    done = set(outcome.done_ids)
    failures = {inputs["ill_id"]: result for inputs, result in outcome.failed}
    rows = rows_for_inputs(current_user, mode, [(i, c) for i, c in posted if i["ill_id"] not in done], failures)
    row_messages(rows)
    print_url = None
    if request.form.get("action") == "run_print" and mode.slip:
        printable = [r.ill_id for r in outcome.done if slip_wanted(mode, r.status)]
        if printable:  # hundreds of IDs would not fit in a URL: the batch is kept under a short id
            batch = save_batch(current_user, mode.slip, printable)
            print_url = url_for("bulk.batch_slips_pdf", kind=mode.slip, batch_id=batch.id)
    scanned = [i for i in request.form.getlist("scanned") if i in failures]
    context = page_context(mode, rows, summary={"done": len(done), "failed": len(failures), "chosen": len(chosen)},
                           print_url=print_url, scanned=scanned)
    if not is_htmx():
        return render(PAGE, **context)
    response = fragment(PAGE, "bulk_form", "scan_state_oob", **context)
    if print_url:
        response.headers["HX-Trigger-After-Settle"] = json.dumps({"bulk-print": print_url})
    return response


def slip_wanted(mode: BulkMode, new_status: str | None) -> bool:
    """Receipt slips are pull slips: only for records now being processed (not returns)."""
    return mode.slip != "receipt" or new_status == "PROCESSING"


# -- PDF slips ---------------------------------------------------------------------------

def pdf_response(pdf: bytes, filename: str) -> Response:
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "no-store"})


def slips_service():
    """WeasyPrint takes most of a second to import: loaded when a slip is first printed
    (or a bulk page opens), not with every app (and every flask command)."""
    from ..services import slips
    return slips


@bp.get("/bulk/slips/<kind>/<batch_id>.pdf")
def batch_slips_pdf(kind: str, batch_id: str):
    """The slips of a bulk "… + print" run (services.slip_batches), one PDF, in row order."""
    slips = slips_service()
    if kind not in slips.SLIP_KINDS:
        abort(404)
    try:
        ids = load_batch(current_user, kind, batch_id)
        pdf = slips.render_slips(current_user, slips.records_for_slips(current_user, ids), kind)
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    return pdf_response(pdf, f"{kind}-slips-{len(ids)}.pdf")


@bp.get("/records/<ill_id>/slips/<kind>.pdf")
def record_slip(ill_id: str, kind: str):
    """One record's slip (the record page's "print slip" link)."""
    slips = slips_service()
    if kind not in slips.SLIP_KINDS:
        abort(404)
    try:
        record = load_record(current_user.library_id, ill_id)
        pdf = slips.render_slips(current_user, [record], kind)
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    except DomainError as error:
        abort(400, error_message(error))
    return pdf_response(pdf, f"{kind}-{record.ill_id}.pdf")

