"""A record list (a work list or search results) as CSV: UTF-8 with a BOM, so that
Excel opens the Japanese text correctly, one row per record in the list's order."""
from __future__ import annotations

import csv
import io
from datetime import date

from flask import Response
from flask_babel import gettext as _

from ..models import Record
from ..services.worklists import NO_DETAILS
from ..workflow.due import due_state
from .i18n import local_datetime, status_label

#: At most this many rows in one export (the list's own filters narrow it).
EXPORT_LIMIT = 10_000


def _text(value) -> str:
    """A cell as text; a leading = + - @ is quoted so that a spreadsheet never runs it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def records_csv(rows, library_id: int, today: date, soon_days: int, details: dict) -> str:
    due_labels = {"overdue": _("Overdue"), "due_soon": _("Due soon")}
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["ILL ID", _("Status"), _("Kind"), _("Title"), _("Article title"), _("Author"),
                     _("Volume / issue"), _("Pages"), _("Year"), _("ISSN / ISBN"), _("Partner"), _("End user"),
                     _("Requester's local number"), _("Lender's local number"), _("Ordered"), _("Sent"), _("Due"),
                     _("Due dates"), _("Last action"), _("Updated")])
    for record in rows:
        shown = details.get(record.id, NO_DETAILS)
        state = due_state(record.kind, record.status, record.renewal_handling, record.due_on, today, soon_days)
        writer.writerow([_text(v) for v in (
            Record.ill_id_of(record.id), status_label(record.status), _("Copy") if record.kind == "copy" else _("Loan"),
            record.title or record.bib_note, record.article, record.author, record.volume, record.pages, record.year,
            record.std_no, shown.partner_code or "", record.client_name, record.requester_number,
            record.lender_number, record.ordered_on, record.sent_on, record.due_on, due_labels.get(state, ""),
            shown.last_command, local_datetime(record.updated_at))])
    return out.getvalue()


def csv_response(page, library_id: int, today: date, soon_days: int, name: str) -> Response:
    body = records_csv(page.rows, library_id, today, soon_days, page.details)
    return Response(body.encode("utf-8"), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}-{today.isoformat()}.csv"'})
