"""The rows of a work list or search result, prepared once per page.

A page of 50 rows asked the template for the same labels, URL patterns and locale
hundreds of times (a macro, a translation and a url_for per cell). Here every
label and pattern is resolved once per page, dates once per distinct day, and the
template only places ready strings.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from babel.dates import format_date
from flask import url_for
from flask_babel import get_locale, get_timezone, gettext

from ..services import portal_zone
from ..services.archive import offers_copy
from ..models import Record
from ..services.worklists import NO_DETAILS, Page
from ..workflow.due import due_state
from ..workflow.statuses import Status
from .i18n import status_label


@dataclass(frozen=True, slots=True)
class Row:
    ill_id: str
    archived: bool
    url: str
    status: str
    status_label: str
    queue: str
    kind_label: str
    title: str
    article: str
    partner_code: str | None
    partner_name: str
    partner_blocked: bool
    last_command: str
    last_day: str
    ordered: str
    due: str
    due_state: str | None
    age: int
    copy_url: str | None


class _Days:
    """Dates in the user's locale and time zone, each distinct day formatted once."""

    def __init__(self):
        self.locale, self.zone, self.done = get_locale(), get_timezone(), {}

    def __call__(self, value) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(self.zone).date()
        if value not in self.done:
            self.done[value] = format_date(value, "medium", locale=self.locale)
        return self.done[value]


def page_rows(page: Page, library_id: int, today: date, soon_days: int, copy_action: bool = False) -> list[Row]:
    if not page.rows:
        return []
    show = url_for("records.show", ill_id="0")[:-1]  # the pattern once: …/records/<ill_id>
    copy = url_for("records.copy", ill_id="0")
    copy_prefix, copy_suffix = copy.rsplit("/0", 1)[0] + "/", copy.rsplit("/0", 1)[1]
    labels = {status.value: (status_label(status.value), status.queue.value) for status in Status}
    kinds = {"copy": gettext("Copy"), "loan": gettext("Loan")}
    days, zone = _Days(), portal_zone()  # the age counts days in the portal's calendar (age_in_days)
    rows = []
    for record in page.rows:
        ill_id, details = Record.ill_id_of(record.id), page.details.get(record.id, NO_DETAILS)
        label, queue = labels.get(record.status, (record.status, "final"))
        rows.append(Row(
            ill_id=ill_id, archived=record.archived, url=show + ill_id, status=record.status, status_label=label,
            queue=queue, kind_label=kinds.get(record.kind, record.kind),
            title=record.title or record.bib_note or "—", article=record.article,
            partner_code=details.partner_code, partner_name=details.partner_name,
            partner_blocked=details.partner_blocked, last_command=details.last_command,
            last_day=days(details.last_at), ordered=days(record.ordered_on), due=days(record.due_on),
            due_state=due_state(record.kind, record.status, record.renewal_handling, record.due_on, today, soon_days),
            age=max(0, (today - record.updated_at.astimezone(zone).date()).days),
            copy_url=copy_prefix + ill_id + copy_suffix if copy_action and offers_copy(record, library_id) else None,
        ))
    return rows


__all__ = ["Row", "page_rows"]
