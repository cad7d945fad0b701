"""The time-based notices of the daily job: DUE_SOON, OVERDUE (1st/2nd/3rd),
PICKUP_REMINDER and PARTNER_OVERDUE, and the optional STAFF_DIGEST (services.notices.digest).

Idempotent per date: a notice's cycle (the due date, and the overdue level) is in
its de-duplication key, so a second run finds every notice already written, and
a renewal (a new due date) opens a new cycle. A job that missed days catches up
with the notice due now (the 2nd overdue notice, not the 1st and the 2nd).
Queries go through the (status, due_on) and (status, received_on) indexes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select, tuple_
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Notice, NoticeSetting, Patron, Record
from ...workflow.notice_rules import NOTICE_TYPES, due_soon, overdue_level, pickup_reminder_due
from ...workflow.statuses import Status
from .. import unit_of_work
from .outbox import Draft, partner_drafts, patron_drafts, write
from .preferences import settings_for_libraries

ON_LOAN = (Status.ON_LOAN.value, Status.RENEWAL_REQUESTED.value)
CHUNK = 500


@dataclass
class DailyNotices:
    written: dict[str, int] = field(default_factory=dict)
    candidates: int = 0

    def summary(self) -> str:
        parts = ", ".join(f"{code} {count}" for code, count in sorted(self.written.items()) if count)
        return f"notices: {sum(self.written.values())} written ({parts or 'none'}) from {self.candidates} candidates"


def _days_range(code: str) -> tuple[int, int]:
    """The smallest and largest days any library uses for this type (one query)."""
    days = list(NOTICE_TYPES[code].days)
    for row in db.session.scalars(select(NoticeSetting.days).where(NoticeSetting.type == code)):
        days += [int(d) for d in (row or [])]
    return (min(days), max(days)) if days else (0, 0)


def _existing(pairs: set[tuple[int, str]]) -> set[tuple[int, str, str]]:
    """(record id, type, cycle) of the notices already written for these records and types."""
    found: set[tuple[int, str, str]] = set()
    items = sorted(pairs)
    for start in range(0, len(items), CHUNK):
        chunk = items[start:start + CHUNK]
        found.update(tuple(row) for row in db.session.execute(select(Notice.record_id, Notice.type, Notice.cycle).where(
            tuple_(Notice.record_id, Notice.type).in_(chunk))))
    return found


OWNER = {"DUE_SOON": "requester", "OVERDUE": "requester", "PICKUP_REMINDER": "requester", "PARTNER_OVERDUE": "lender"}


def candidate_query(code: str, today: date):
    """The records that may be due a notice of this type today: one range over the
    (status, due_on) or (status, received_on) index; the library's days decide in Python."""
    low, high = _days_range(code)
    if code == "DUE_SOON":
        return select(Record).where(Record.status.in_(ON_LOAN), Record.due_on >= today,
                                    Record.due_on <= today + timedelta(days=high), Record.patron_id.is_not(None))
    if code == "OVERDUE":
        return select(Record).where(Record.status.in_(ON_LOAN), Record.due_on <= today - timedelta(days=low),
                                    Record.patron_id.is_not(None))
    if code == "PICKUP_REMINDER":
        return select(Record).where(Record.status == Status.ARRIVED.value,
                                    Record.received_on <= today - timedelta(days=low), Record.patron_id.is_not(None))
    # PARTNER_OVERDUE: the lender's loans not back
    return select(Record).where(Record.status.in_(ON_LOAN), Record.due_on <= today - timedelta(days=low),
                                Record.lender_id.is_not(None))


def _candidates(code: str, today: date) -> list[tuple[Record, str]]:
    """(record, cycle) for which a notice of this type is due today."""
    opts = (selectinload(Record.requester), selectinload(Record.lender))
    query = candidate_query(code, today)
    owner = OWNER[code]
    records = db.session.scalars(query.options(*opts, selectinload(Record.patron).selectinload(Patron.consents))).all()
    if not records:
        return []
    settings = settings_for_libraries({getattr(r, owner + "_id") for r in records}, code)
    due: list[tuple[Record, str]] = []
    for record in records:
        setting = settings[getattr(record, owner + "_id")]
        days = setting.days or NOTICE_TYPES[code].days
        if code == "DUE_SOON":
            if due_soon(record.due_on, today, days[0]):
                due.append((record, record.due_on.isoformat()))
        elif code in ("OVERDUE",):
            level = overdue_level(record.due_on, today, days)
            if level:
                due.append((record, f"{record.due_on.isoformat()}/{level}"))
        elif code == "PARTNER_OVERDUE":
            if (today - record.due_on).days >= days[0]:
                due.append((record, record.due_on.isoformat()))
        elif pickup_reminder_due(record.received_on, today, days[0]):
            due.append((record, record.received_on.isoformat()))
    return due


def notices_due(code: str, today: date) -> tuple[list[Draft], int]:
    due = _candidates(code, today)
    existing = _existing({(record.id, code) for record, _ in due})
    due_now = [(record, cycle) for record, cycle in due if (record.id, code, cycle) not in existing]
    partner = code == "PARTNER_OVERDUE"
    owners = {record.lender_id if partner else record.patron.library_id for record, _ in due_now
              if partner or record.patron is not None}
    settings = settings_for_libraries(owners, code) if owners else {}  # one query for the type
    drafts: list[Draft] = []
    for record, cycle in due_now:
        if partner:
            owner = record.lender
            drafts += partner_drafts(code, record, owner, record.requester, record.requester, cycle, today,
                                     settings[owner.id])
        elif record.patron is not None:
            patron = record.patron
            drafts += patron_drafts(code, record, patron, cycle, today, setting=settings[patron.library_id])
    return drafts, len(due)


TIMED_TYPES = ("DUE_SOON", "OVERDUE", "PICKUP_REMINDER", "PARTNER_OVERDUE")


def daily_step(today: date) -> DailyNotices:
    """All time-based notices due on ``today``, each type its own transaction."""
    result = DailyNotices()
    for code in TIMED_TYPES:
        with unit_of_work():
            drafts, candidates = notices_due(code, today)
            result.candidates += candidates
            result.written[code] = len(write(drafts))
    with unit_of_work():  # the optional staff digest, for the libraries that turned it on
        from .digest import digest_drafts

        result.written["STAFF_DIGEST"] = len(write(digest_drafts(today)))
    return result


def fallback_drafts(notice_type: str, record_id: int, cycle: str, patron) -> list[Draft]:
    """A mandatory notice whose SMS was stopped, again by e-mail or print."""
    from .. import portal_today

    record = db.session.get(Record, record_id)
    if record is None:
        return []
    return patron_drafts(notice_type, record, patron, cycle, portal_today(), exclude=("sms",),
                         detail="instead of the stopped SMS (a mandatory notice)")
