"""Who may see a record, and as which side."""
from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, exists, or_, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Candidate, HistoryEntry, Patron, Record
from ..workflow.errors import Conflict, Forbidden, NotFound
from ..workflow.machine import NOT_TRANSITIONS, Side, declined_for_all_by


def visible_to(library_id: int):
    """SQL filter: the requester, the current lender, or a former lender.

    A former lender is a library that acted on the record as its lender (and
    then declined, or was passed over by FORWARD): it keeps read-only access,
    also after RETRY or a re-sent request reset the candidates.
    """
    acted_as_lender = exists().where(HistoryEntry.record_id == Record.id, HistoryEntry.library_id == library_id,
                                     HistoryEntry.side == Side.LENDER.value)
    # EXISTS, correlated: a probe of ix_history_library_side per record, not a hash of all the library's history
    return or_(Record.requester_id == library_id, Record.lender_id == library_id, acted_as_lender)


def side_of(record: Record, library_id: int) -> Side | None:
    """The side a library acts on, or None when it may only read (or not see).

    The lender whose PARDON declined for all lenders holds no record any more,
    yet may call that PARDON back while it is the latest transition (spec:
    only a *forwarding* PARDON cannot be called back).
    """
    if record.requester_id == library_id:
        return Side.REQUESTER
    if record.lender_id == library_id:
        return Side.LENDER
    if record.lender_id is None and declined_for_all_by(record.history, library_id):
        return Side.LENDER
    return None


def can_see(record: Record, library_id: int) -> bool:
    if side_of(record, library_id) is not None:
        return True
    return any(h.library_id == library_id and h.side == Side.LENDER.value for h in record.history)


#: Which side prints which slip: the lender its receipt and shipping slips, the requester return slips.
PRINTED_BY = {"receipt": Side.LENDER, "shipping": Side.LENDER, "return": Side.REQUESTER}


def printable_slips(record: Record, library_id: int) -> list[str]:
    """The slips this library may print for the record (a return slip only for loans)."""
    side = side_of(record, library_id)
    return [kind for kind, printer in PRINTED_BY.items()
            if printer is side and (kind != "return" or record.kind == "loan")]


#: What a command reads of its record, in one statement: the patron with its consents (the notices
#: the command queues need them; a record without a patron joins nothing), both parties, the
#: candidates with their libraries (forwarding and the history's snapshot look at every candidate's
#: library), the local notes (the answer shows the caller's) and the fee groups (the snapshots before
#: and after the command and the answer list them; a record has none until SEND). Each of these is a
#: row or a few, so the join repeats the record on a few rows; a statement each would be a round trip
#: each. The history, a dozen rows, follows in one more.
COMMAND_OPTIONS = (joinedload(Record.patron).joinedload(Patron.consents), joinedload(Record.requester),
                   joinedload(Record.lender), joinedload(Record.candidates).joinedload(Candidate.library),
                   joinedload(Record.local_notes), joinedload(Record.fee_groups))


def load_record_for_command(library_id: int, ill_id) -> Record:
    """load_record for running a command: a lender whose record was just called back gets a conflict.

    A CALLBACK that wins against the lender's RECEIVE (or any command) takes the
    record away from that lender; the loser of that race was acting on a record it
    could see a moment ago, so it is told what happened (409), not "forbidden" (403).
    """
    try:
        return load_record(library_id, ill_id, COMMAND_OPTIONS)
    except Forbidden:
        pk = Record.pk_from_ill_id(ill_id)
        record = db.session.get(Record, pk) if pk else None
        if record is not None and _called_back_from(record, library_id):
            raise Conflict("The requesting library called %(ill_id)s back meanwhile: it is no longer at your "
                           "library.", ill_id=record.ill_id) from None
        raise


def _called_back_from(record: Record, library_id: int) -> bool:
    """The record's latest command is a CALLBACK by its requester, and the library is one of its candidates."""
    last = next((entry for entry in reversed(record.history) if entry.command not in NOT_TRANSITIONS), None)
    return (last is not None and last.command == "CALLBACK" and last.library_id == record.requester_id
            and any(c.library_id == library_id for c in record.candidates))


def visible_ill_id(library_id: int, ill_id) -> str | None:
    """The record's ILL ID if there is a record of that ILL ID and the library may see it (load_record's
    check in SQL, one small statement: a scanned ID in the header's search box opens its record)."""
    pk = Record.pk_from_ill_id(ill_id)
    # on the session's connection: a Core statement needs none of the ORM's steps of Session.execute
    found = db.session.connection().scalar(_visible_pk(), {"pk": pk, "library_id": library_id}) if pk else None
    return None if found is None else Record.ill_id_of(found)


@cache
def _visible_pk():
    """visible_ill_id's statement, built once."""
    return select(Record.id).where(Record.id == bindparam("pk"), visible_to(bindparam("library_id")))


def load_record(library_id: int, ill_id, options=()) -> Record:
    """The record with that ILL ID if the library may see it: NotFound / Forbidden otherwise."""
    pk = Record.pk_from_ill_id(ill_id)
    return _seen(db.session.get(Record, pk, options=options) if pk else None, library_id, ill_id)


def load_record_row(library_id: int, ill_id, statement, params: dict):
    """load_record through a statement that reads more along with the record: its row, the record
    first. `statement` selects by the bound parameter "pk"."""
    pk = Record.pk_from_ill_id(ill_id)
    row = db.session.execute(statement, {**params, "pk": pk}).unique().one_or_none() if pk else None
    _seen(row[0] if row else None, library_id, ill_id)
    return row


def _seen(record: Record | None, library_id: int, ill_id) -> Record:
    if record is None:
        raise NotFound("No record with ILL ID %(ill_id)s.", ill_id=str(ill_id)[:40])
    if not can_see(record, library_id):
        raise Forbidden("Record %(ill_id)s belongs to other libraries.", ill_id=record.ill_id)
    return record
