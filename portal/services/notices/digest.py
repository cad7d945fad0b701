"""STAFF_DIGEST: the optional daily digest to a library's own contact address.

Made by the daily job for each library that turned it on (Settings → Notices, off by
default): new requests waiting at the library as lender, items arrived and waiting for
pickup, the library's loans overdue at a borrowing library, and the loans it borrowed
that are overdue. One notice per library and day (the date is its cycle, so the job
run twice writes one); nothing when there is nothing to report.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from ...extensions import db
from ...models import Library, NoticeSetting, Record
from ...workflow.statuses import Status
from .outbox import Draft, library_context, render_draft, staff_language
from .preferences import cached_setting
from .templates import cached_templates

LISTED = 20  # records named per section; the count says how many more
ON_LOAN = (Status.ON_LOAN.value, Status.RENEWAL_REQUESTED.value)

#: code, Japanese, English, which side the library is on, the filter on records
SECTIONS = (
    ("new_requests", "新しい依頼（受付待ち）", "New requests waiting for you", "lender",
     lambda today: Record.status == Status.UNPROCESSED.value),
    ("arrived", "到着済み・受取待ち", "Arrived, waiting for pickup", "requester",
     lambda today: Record.status == Status.ARRIVED.value),
    ("overdue_lent", "貸出中で返却期限切れ（相手館）", "Your loans overdue at the borrowing library", "lender",
     lambda today: (Record.status.in_(ON_LOAN)) & (Record.due_on < today)),
    ("overdue_borrowed", "借受中で返却期限切れ", "Loans you borrowed that are overdue", "requester",
     lambda today: (Record.status.in_(ON_LOAN)) & (Record.due_on < today)),
)


def libraries_with_digest() -> list[Library]:
    """The libraries whose STAFF_DIGEST setting has e-mail on (no row: off)."""
    rows = db.session.scalars(select(NoticeSetting.library_id).where(NoticeSetting.type == "STAFF_DIGEST"))
    ids = [library_id for library_id in rows if "email" in cached_setting(library_id, "STAFF_DIGEST").channels]
    return list(db.session.scalars(select(Library).where(Library.id.in_(ids)).order_by(Library.id))) if ids else []


def digest_sections(library: Library, today: date) -> list[dict]:
    sections = []
    for code, title_ja, title_en, side, where in SECTIONS:
        own = (Record.lender_id if side == "lender" else Record.requester_id) == library.id
        condition = own & where(today) & Record.archived.is_(False)
        count = db.session.scalar(select(func.count()).select_from(Record).where(condition)) or 0
        if not count:
            continue
        records = db.session.scalars(select(Record).where(condition).order_by(Record.due_on, Record.id).limit(LISTED))
        sections.append({"code": code, "title_ja": title_ja, "title_en": title_en, "count": count, "records": [
            {"ill_id": r.ill_id, "title": (r.title or r.article or r.bib_note or "")[:80],
             "partner": (r.requester if side == "lender" else r.lender).code if (
                 r.requester_id if side == "lender" else r.lender_id) else "",
             "due": r.due_on.isoformat() if r.due_on and code.startswith("overdue") else ""} for r in records]})
    return sections


def digest_drafts(today: date) -> list[Draft]:
    drafts = []
    for library in libraries_with_digest():
        sections = digest_sections(library, today)
        if not sections:
            continue
        language = staff_language(library)
        context = {"library": library_context(library), "partner": {}, "patron": {}, "record": {},
                   "level": 0, "days_overdue": 0, "digest": {"date": today.isoformat(), "sections": sections}}
        draft = Draft(library_id=library.id, type="STAFF_DIGEST", channel="email", recipient=library.email or "",
                      language=language, subject="", body="", cycle=today.isoformat())
        render_draft(draft, context, cached_templates(library.id, "STAFF_DIGEST", language))
        if not draft.recipient:
            draft.status, draft.detail = "suppressed", f"library {library.code} has no contact e-mail address"
        drafts.append(draft)
    return drafts
