"""SEND_REPORT (seed 003, 送信結果のメール通知): the outcome of a manual notice, e-mailed to staff.

When a manual notice (sent at once or scheduled) reaches its outcome (sent, failed, or not sent
because it no longer held: no consent any more, for example), the worker writes one report per
staff address in the same transaction as the outcome, so a report is never lost and never made
twice (its de-duplication key names the notice and the address). Off by default; a manager turns
it on in Settings → Notices and gives up to five addresses separated by ";" (none: the library's
contact address). Reports are only made for manual notices: the daily and workflow notices have
the send report page (/notices/report) and the queue's health instead.
"""
from __future__ import annotations

from datetime import datetime

from ...extensions import db
from ...models import Library, Patron
from .. import portal_zone
from .outbox import Draft, base_url, library_context, render_draft, staff_language
from .preferences import cached_setting
from .templates import cached_templates

REPORTED = ("sent", "failed", "suppressed")
OUTCOME_LABELS = {
    "ja": {"sent": "送信済み", "failed": "送信失敗", "suppressed": "送信せず"},
    "en": {"sent": "sent", "failed": "failed", "suppressed": "not sent"},
}
CHANNEL_LABELS = {"ja": {"email": "メール", "sms": "SMS", "print": "郵送"},
                  "en": {"email": "e-mail", "sms": "SMS", "print": "letter"}}


def report_drafts(notice, status: str, detail: str, at: datetime, masked_recipient: str) -> list[Draft]:
    """The reports of one manual notice's outcome; [] when the library has them off.
    ``notice``: the worker's Job (plain values) or a Notice row."""
    if notice.type != "MANUAL" or status not in REPORTED:
        return []
    setting = cached_setting(notice.library_id, "SEND_REPORT")
    if "email" not in setting.channels:
        return []
    library = db.session.get(Library, notice.library_id)
    addresses = list(setting.recipients) or ([library.email] if library.email else [])
    language = staff_language(library)
    patron = db.session.get(Patron, notice.patron_id) if notice.patron_id else None
    context = {"library": library_context(library), "partner": {}, "record": {}, "level": 0, "days_overdue": 0,
               "patron": {"name": patron.name, "number": patron.number} if patron is not None else {},
               "report": {"id": notice.id, "status": status, "outcome": OUTCOME_LABELS[language][status],
                          "channel": CHANNEL_LABELS[language].get(notice.channel, notice.channel),
                          "recipient": masked_recipient, "subject": notice.subject, "detail": detail,
                          "at": at.astimezone(portal_zone()).strftime("%Y-%m-%d %H:%M"),
                          "url": f"{base_url()}/notices?patron={patron.number}" if patron is not None
                          else f"{base_url()}/notices"}}
    own = cached_templates(library.id, "SEND_REPORT", language)
    drafts = []
    for address in addresses or [""]:
        draft = Draft(library_id=library.id, type="SEND_REPORT", channel="email", recipient=address,
                      language=language, subject="", body="", patron_id=notice.patron_id,
                      cycle=f"notice:{notice.id}")
        render_draft(draft, context, own)
        if not address:
            draft.status, draft.detail = "suppressed", f"library {library.code} has no report address"
        drafts.append(draft)
    return drafts
