"""The status tallies (models.tally): each library's active records per side, kind and status, kept in
the transaction of every change. A work list's tabs and the header badge on every page then read a
handful of rows instead of counting the busiest library's thousands of active records each time.

Flush hooks see every record the ORM writes (created, moved to another status, party, kind or archive
state, deleted): before the flush, what each changed record counts under in the database; after it, what
it counts under now; the moves go in one upsert, its rows in key order (two transactions take the rows
they share in the same order, so they wait for each other instead of deadlocking). Writes around the
ORM: the archive job's bulk UPDATE archives only final records, which are not counted; bulk loads (the
benchmarks' populations, a migration) call rebuild() afterwards.
"""
from __future__ import annotations

from collections import Counter
from functools import cache

from sqlalchemy import delete, event, func, insert, inspect, literal_column, select, union_all
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.base import NO_VALUE

from ..models import Record, StatusTally
from ..workflow.statuses import FINAL_STATUSES

TRACKED = ("status", "kind", "archived", "requester_id", "lender_id")
_FINAL = frozenset(status.value for status in FINAL_STATUSES)


def keys_of(status, kind, archived, requester_id, lender_id) -> list[tuple]:
    """The tally rows (library, side, kind, status) a record with these values counts in."""
    if archived or status in _FINAL:
        return []
    return [(library_id, side, kind, status) for library_id, side in ((requester_id, "requester"),
                                                                      (lender_id, "lender"))
            if library_id is not None]


def _now(state) -> list[tuple]:
    return keys_of(*(state.attrs[name].value for name in TRACKED))


def _changed(state) -> bool:
    return any(state.attrs[name].history.has_changes() for name in TRACKED)


def _counted_keys(session: Session) -> dict:
    """The keys each record of this transaction was last counted under (state -> keys), kept from flush to
    flush: a record created and ordered in one transaction has no loaded "before" for its lender."""
    return session.info.setdefault("tally_keys", {})


def _keys_before(session: Session, state) -> list[tuple]:
    """The keys a record counts under in the database now, before this flush writes it: as counted at an
    earlier flush of this transaction, else from the loaded values, else read (an attribute set while
    expired has no old value)."""
    counted = _counted_keys(session)
    if state in counted:
        return counted[state]
    values = [state.committed_state.get(name, state.dict.get(name, NO_VALUE)) for name in TRACKED]
    if NO_VALUE in values:
        columns = [getattr(Record.__table__.c, name) for name in TRACKED]
        with session.no_autoflush:
            row = session.connection().execute(select(*columns).where(Record.__table__.c.id == state.identity[0])).first()
        if row is None:
            return []
        values = list(row)
    return keys_of(*values)


@event.listens_for(Session, "before_flush")
def _note_counted(session: Session, _context, _instances) -> None:
    """What the changed and deleted records count under before the flush writes them."""
    before = session.info["tally_before"] = {}
    for obj in session.dirty:
        if isinstance(obj, Record):
            state = inspect(obj)
            if _changed(state):
                before[state] = _keys_before(session, state)
    for obj in session.deleted:
        if isinstance(obj, Record):
            state = inspect(obj)
            before[state] = _keys_before(session, state)


def moves_of(session: Session) -> Counter:
    """What this flush changes in the tallies: +1 / -1 per key."""
    moves, before, counted = Counter(), session.info.pop("tally_before", {}), _counted_keys(session)
    for obj in session.new:
        if isinstance(obj, Record):
            state = inspect(obj)
            moves.update(counted.setdefault(state, _now(state)))
    for obj in session.dirty:
        if isinstance(obj, Record) and (state := inspect(obj)) in before:
            moves.subtract(before[state])
            moves.update(keys := _now(state))
            counted[state] = keys
    for obj in session.deleted:
        if isinstance(obj, Record) and (state := inspect(obj)) in before:
            moves.subtract(before[state])
            counted.pop(state, None)
    return moves


@cache
def _upsert(dialect_name: str):
    """The tallies' upsert, built once per dialect."""
    table = StatusTally.__table__
    statement = (postgresql_insert if dialect_name == "postgresql" else sqlite_insert)(table)
    return statement.on_conflict_do_update(index_elements=[table.c.library_id, table.c.side, table.c.kind,
                                                           table.c.status],
                                           set_={"count": table.c.count + statement.excluded.count})


@event.listens_for(Session, "after_flush")
def _keep_tallies(session: Session, _context) -> None:
    rows = [{"library_id": library_id, "side": side, "kind": kind, "status": status, "count": delta}
            for (library_id, side, kind, status), delta in sorted(moves_of(session).items()) if delta]
    if rows:
        connection = session.connection()
        connection.execute(_upsert(connection.dialect.name), rows)


@event.listens_for(Session, "after_transaction_end")
def _forget_counted(session: Session, _transaction) -> None:
    """A transaction's counted keys end with it (a rollback takes its writes back)."""
    session.info.pop("tally_keys", None)


def counted(connection) -> dict[tuple, int]:
    """The tallies counted from the records themselves (what the stored ones must equal)."""
    records = Record.__table__.c
    arms = [select(party, literal_column(f"'{side}'"), records.kind, records.status, func.count())
            .where(records.archived.is_(False), records.status.not_in(sorted(_FINAL)), party.is_not(None))
            .group_by(party, records.kind, records.status)
            for party, side in ((records.requester_id, "requester"), (records.lender_id, "lender"))]
    return {(library_id, side, kind, status): count
            for library_id, side, kind, status, count in connection.execute(union_all(*arms))}


def stored(connection) -> dict[tuple, int]:
    """The stored tallies, rows at zero left out."""
    tallies = StatusTally.__table__.c
    return {(library_id, side, kind, status): count for library_id, side, kind, status, count in connection.execute(
        select(tallies.library_id, tallies.side, tallies.kind, tallies.status, tallies.count)
        .where(tallies.count != 0))}


def rebuild(connection) -> int:
    """Every tally counted again from the records (after a bulk load); returns how many rows."""
    rows = [{"library_id": library_id, "side": side, "kind": kind, "status": status, "count": count}
            for (library_id, side, kind, status), count in sorted(counted(connection).items())]
    connection.execute(delete(StatusTally.__table__))
    if rows:
        connection.execute(insert(StatusTally.__table__), rows)
    return len(rows)
