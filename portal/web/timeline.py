"""A record's history, newest first, written once per page.

The history is the record page's longest part and grows with every command: in the template, each
entry cost a timestamp, two status labels, a library and a comment looked up through Jinja's call
machinery, a seventh of the page's time. Here the status labels are the rows' (resolved once per
locale, ``rows.labels_for``) and each entry is written as one string, every value from the database
or a translation through ``escape``, as the work lists' rows are.
"""
from __future__ import annotations

from flask_babel import get_locale, gettext
from markupsafe import Markup, escape

from . import labels
from .i18n import local_datetime
from .rows import labels_for


class _EntryWriter:
    """What every entry of one history shares, resolved and escaped once."""

    def __init__(self):
        self.statuses = labels_for(get_locale()).statuses  # the rows' labels: code -> (code, label, queue)
        self.changed = str(escape(gettext("Changed")))

    def status(self, code: str) -> str:
        known = self.statuses.get(code)
        return known[1] if known else str(escape(code))

    def entry(self, entry) -> str:
        command = entry.command
        what = f'<span class="mono">{escape(command)}</span>'
        if entry.from_status != entry.to_status:
            what += f" · {self.status(entry.from_status)} → {self.status(entry.to_status)}"
        elif command not in ("SYSTEM", "CREATE"):
            what += f" · {self.status(entry.to_status)}"
        html = (f'        <li class="{"system" if command == "SYSTEM" else ""}">\n'
                f'          <div class="when">{escape(local_datetime(entry.at))}</div>\n'
                f'          <div class="what">\n'
                f'            {what}\n'
                f'          </div>')
        library, user_name = entry.library, entry.user_name
        if library or user_name:
            who = f'<span title="{escape(library.name)}">{escape(library.code)}</span>' if library else ""
            if user_name:
                who += f" · {escape(user_name)}"
            html += f'\n          <div class="who">{who}</div>'
        if entry.comment:
            comment = labels.system_note(entry.comment) if command == "SYSTEM" else entry.comment
            html += f'\n          <div class="comment">{escape(comment)}</div>'
        if entry.changes:
            changes = "".join(
                f'\n            <li><span class="change-name">{escape(labels.change_label(name))}</span>: '
                f'<span class="from">{escape(labels.change_value(change["from"]))}</span> → '
                f'<span class="to">{escape(labels.change_value(change["to"]))}</span></li>'
                for name, change in sorted(entry.changes.items()))
            html += f'\n          <ul class="changes" aria-label="{self.changed}">{changes}\n          </ul>'
        return html + "\n        </li>"


def history_items(history) -> Markup:
    """The <li> elements of a record's history, newest first, as one safe string."""
    if not history:
        return Markup("")
    writer = _EntryWriter()
    return Markup("\n".join(writer.entry(entry) for entry in reversed(history)))


__all__ = ["history_items"]
