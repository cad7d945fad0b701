"""The rows of a work list or search result, written once per page.

A page of 50 rows cost as much in the template as in SQL: a macro, a translation
and a url_for per cell, hundreds of times. Here every URL pattern and form piece is
resolved and escaped once per page, the labels once per locale, each day once while
pages show it, and each row written as one string. Every value from the database or
a translation goes through ``escape``; the result is Markup the template places as it is.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from functools import lru_cache
from typing import NamedTuple

from babel import Locale
from babel.dates import get_date_format, parse_pattern
from flask import current_app, url_for
from flask_babel import get_locale, gettext
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from ..models import Record
from ..services import portal_zone
from ..services.archive import offers_copy
from ..services.worklists import NO_DETAILS, Page, age_in_days
from ..workflow.due import due_state
from ..workflow.statuses import Status
from .i18n import status_label


@lru_cache(maxsize=4096)
def _medium_date(locale_name: str, day: date) -> str:
    """A day in the locale's medium format, escaped: what Babel's format_date writes, kept for the next
    pages (a work list shows the same few hundred days on every page; the format looked up per call).
    Keyed by the locale's name: a Locale compares and hashes in Python."""
    locale = Locale.parse(locale_name)
    return str(escape(parse_pattern(get_date_format("medium", locale=locale)).apply(day, locale)))


class _Days:
    """Dates (and stored UTC timestamps) as days in the user's locale and the portal's time zone."""

    def __init__(self, zone):
        self.locale_name, self.zone = str(get_locale()), zone
        self.written: dict[date, str] = {}  # this page's days

    def __call__(self, value) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(self.zone).date()
        text = self.written.get(value)
        if text is None:
            text = self.written[value] = _medium_date(self.locale_name, value)
        return text


class _Labels(NamedTuple):
    """A locale's labels and badges of the rows, escaped."""

    statuses: dict[str, tuple[str, str, str]]  # code -> (code, label, queue)
    kinds: dict[str, str]
    archived: str
    blocked: str
    due_badges: dict[str, str]
    columns: tuple[tuple[str, str, bool], ...]  # (sort key, heading, numeric)
    actions: str  # the heading of the copy column


@lru_cache(maxsize=16)
def labels_for(locale: Locale) -> _Labels:
    """The rows' labels in `locale` (the locale in force: the translations do not change while the
    portal runs), resolved once per locale rather than once per page."""
    block_mark = current_app.jinja_env.get_template("_macros.html").module.block_mark  # the pages' own mark
    return _Labels(
        statuses={s.value: (str(escape(s.value)), str(escape(status_label(s.value))), s.queue.value) for s in Status},
        kinds={"copy": str(escape(gettext("Copy"))), "loan": str(escape(gettext("Loan")))},
        archived=f' <span class="badge badge--archived">{escape(gettext("Archived"))}</span>',
        blocked=" " + str(block_mark(gettext("Blocked by your library"))),
        due_badges={"overdue": f' <span class="badge badge--overdue">{escape(gettext("Overdue"))}</span>',
                    "due_soon": f' <span class="badge badge--due-soon">{escape(gettext("Due soon"))}</span>'},
        columns=tuple((key, str(escape(text)), key == "age") for key, text in (
            ("ill_id", "ILL ID"), ("status", gettext("Status")), ("kind", gettext("Kind")), ("title", gettext("Title")),
            ("partner", gettext("Partner")), ("last_action", gettext("Last action")), ("ordered", gettext("Ordered")),
            ("due", gettext("Due")), ("age", gettext("Age (days)")))),
        actions=f'<th scope="col"><span class="visually-hidden">{escape(gettext("Actions"))}</span></th>')


class _RowWriter:
    """What every row of one page shares, resolved and escaped once."""

    def __init__(self, library_id: int, today: date, soon_days: int, copy_action: bool):
        self.library_id, self.today, self.soon_days, self.copy_action = library_id, today, soon_days, copy_action
        self.show = str(escape(url_for("records.show", ill_id="0")[:-1]))  # …/records/ before the ILL ID
        labels = labels_for(get_locale())
        self.statuses, self.kinds, self.archived = labels.statuses, labels.kinds, labels.archived
        self.blocked, self.due_badges = labels.blocked, labels.due_badges
        self.zone = portal_zone()  # zoneinfo's, in C (Flask-Babel's get_timezone is pytz's, in Python)
        self.days = _Days(self.zone)
        self.partners: dict[tuple, str] = {}
        if copy_action:
            copy = url_for("records.copy", ill_id="0")
            prefix, suffix = copy.rsplit("/0", 1)
            self.copy_prefix, self.copy_suffix = str(escape(prefix + "/")), str(escape(suffix))
            csrf, label = escape(generate_csrf()), escape(gettext("Copy to new request"))
            self.copy_form_end = (f'" class="inline">\n'
                                  f'            <input type="hidden" name="csrf_token" value="{csrf}">\n'
                                  f'            <button type="submit" class="small">{label}</button>\n'
                                  f'          </form>')

    def partner(self, code: str | None, name: str, blocked: bool) -> str:
        """The partner cell, written once per partner (a busy library's page names a few partners often)."""
        key = (code, name, blocked)
        if key not in self.partners:
            self.partners[key] = (f'<span title="{escape(name)}">{escape(code)}</span>' + (self.blocked if blocked else "")
                                  if code else '<span class="muted">—</span>')
        return self.partners[key]

    def row(self, record, details) -> str:
        ill_id = Record.ill_id_of(record.id)  # digits only: nothing to escape
        code = record.status
        status, label, queue = self.statuses.get(code) or (str(escape(code)), str(escape(code)), "final")
        kind = self.kinds.get(record.kind) or str(escape(record.kind))
        days = self.days
        title = escape(record.title or record.bib_note or "—")
        article = f"<small>{escape(record.article)}</small>" if record.article else ""
        partner = self.partner(details.partner_code, details.partner_name, details.partner_blocked)
        last = (f'<span class="mono">{escape(details.last_command)}</span> '
                f'<span class="muted">{days(details.last_at)}</span>' if details.last_command else "")
        state = due_state(record.kind, code, record.renewal_handling, record.due_on, self.today, self.soon_days)
        age = age_in_days(record, self.today, self.zone)
        html = (
            f'      <tr>\n'
            f'        <td class="ill-id"><a href="{self.show}{ill_id}">{ill_id}</a></td>\n'
            f'        <td><span class="badge badge--{queue} badge--{status}" title="{status}">{label}</span>'
            f'{self.archived if record.archived else ""}</td>\n'
            f'        <td><span class="badge badge--kind">{kind}</span></td>\n'
            f'        <td class="title">{title}{article}</td>\n'
            f'        <td>{partner}</td>\n'
            f'        <td class="nowrap">{last}</td>\n'
            f'        <td class="nowrap">{days(record.ordered_on)}</td>\n'
            f'        <td class="nowrap">{days(record.due_on)}{self.due_badges.get(state, "")}</td>\n'
            f'        <td class="num"><span class="{"age--old" if age >= 7 else ""}">{age}</span></td>'
        )
        if self.copy_action:
            form = ""
            if offers_copy(record, self.library_id):
                form = (f'\n          <form method="post" action="{self.copy_prefix}{ill_id}{self.copy_suffix}'
                        f'{self.copy_form_end}')
            html += f"\n        <td>{form}\n        </td>"
        return html + "\n      </tr>"


def head_cells(sort_url=None, sort: str | None = None, hx_target: str | None = None,
               copy_action: bool = False) -> Markup:
    """The <th> cells of a list's header. With `sort_url(key)`, each column sorts both ways: the first
    click ascending, the next descending (`sort`: the order shown, "-key" descending)."""
    labels = labels_for(get_locale())
    target = f' hx-target="{escape(hx_target)}" hx-push-url="true"' if hx_target else ""
    cells = []
    for key, text, numeric in labels.columns:
        state = "ascending" if sort == key else "descending" if sort == "-" + key else None
        attributes = (' class="num"' if numeric else "") + (f' aria-sort="{state}"' if state else "")
        if sort_url:
            url = escape(sort_url("-" + key if sort == key else key))
            marks = (' aria-current="true"' if state else "", {"ascending": " ▴", "descending": " ▾"}.get(state, ""))
            text = (f'<a href="{url}"' + (f' hx-get="{url}"{target}' if hx_target else "")
                    + f"{marks[0]}>{text}{marks[1]}</a>")
        cells.append(f'        <th scope="col"{attributes}>{text}</th>')
    if copy_action:
        cells.append("        " + labels.actions)
    return Markup("\n".join(cells))


def page_rows(page: Page, library_id: int, today: date, soon_days: int, copy_action: bool = False) -> Markup:
    """The <tr> elements of a page's rows, as one safe string."""
    if not page.rows:
        return Markup("")
    writer = _RowWriter(library_id, today, soon_days, copy_action)
    return Markup("\n".join(writer.row(record, page.details.get(record.id, NO_DETAILS)) for record in page.rows))


__all__ = ["head_cells", "labels_for", "page_rows"]
