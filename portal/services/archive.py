"""Archive (backfile): old final records become read-only, and serve as templates."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, update

from ..models import HistoryEntry, Record, User
from ..models.record import CITATION_FIELDS, CLIENT_FIELDS, TERMS_FIELDS
from ..models.types import utcnow
from ..workflow.errors import Forbidden
from ..workflow.machine import ARCHIVED_NOTE, SYSTEM
from ..workflow.statuses import FINAL_STATUSES, Status
from . import search_index, unit_of_work
from .records import create_record


def archive_old_records(days: int, now: datetime | None = None) -> int:
    """Archive final records whose last update is more than `days` old. Returns how many.

    Each archived record gets a SYSTEM history entry (ARCHIVED_NOTE) in the same
    transaction: the version moves, and the history says why; its search terms lose the
    "not archived" access (the default search no longer finds it through the index).
    """
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=days)
    with unit_of_work() as session:
        moved = session.execute(
            update(Record)
            .where(Record.status.in_([s.value for s in FINAL_STATUSES]), Record.archived.is_(False),
                   Record.updated_at < cutoff)
            .values(archived=True, version=Record.version + 1)
            .returning(Record.id, Record.status)
        ).all()
        if moved:
            at = utcnow()
            session.execute(insert(HistoryEntry), [
                {"record_id": pk, "command": SYSTEM, "from_status": status, "to_status": status,
                 "comment": ARCHIVED_NOTE, "user_name": "", "at": at} for pk, status in moved])
            search_index.set_archive_state(session.connection(), [pk for pk, _status in moved])
    return len(moved)


def offers_copy(record: Record, library_id: int) -> bool:
    """Whether the record page offers "copy to new request": the requester's finished or archived requests."""
    return record.requester_id == library_id and (record.archived or Status(record.status).is_final)


def copy_to_new_request(actor: User, record: Record) -> Record:
    """A new PREPARING request with this record's citation, end user, terms and candidates."""
    if record.requester_id != actor.library_id:
        raise Forbidden("Only the requesting library can copy its request.")
    citation = {("note" if name == "bib_note" else name): getattr(record, name) for name in CITATION_FIELDS}
    client = {name.removeprefix("client_"): getattr(record, name) for name in CLIENT_FIELDS}
    data = {
        "kind": record.kind, "network": record.network, "citation": citation, "client": client,
        "terms": {name: getattr(record, name) for name in TERMS_FIELDS},
        "candidates": [{"library": c.library.code, "location": c.location, "volume": c.volume,
                        "call_number": c.call_number, "registration_number": c.registration_number}
                       for c in record.candidates],
        "comment": f"Copied from {record.ill_id}",
    }
    return create_record(actor, data)
