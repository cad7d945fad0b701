"""The status tallies (models.tally): each library's active records per side, kind and status, kept in
the transaction of every change. A work list's tabs and the header badge on every page then read a
handful of rows instead of counting the busiest library's thousands of active records each time.

The database keeps them itself: triggers on `records` move the counts with every row inserted, updated
(in status, kind, archive state or a party) or deleted, whatever wrote it (a command through the ORM, a
Core statement, a hand-made fix), inside the writing statement: no round trip of their own. On
PostgreSQL one row's moves go in one upsert, its rows in key order. Each transaction changes one
record (a command, a bulk row), so two transactions take the tally rows they share in the same order
and wait for each other; one that changed several records' counts in other orders could deadlock,
which PostgreSQL ends by rolling one back (a Conflict: "busy, try again"). SQLite has one writer at a
time. A bulk load (the benchmark's population) drops the triggers for the load, then creates them again
and counts everything once (`rebuild`). A migration that rebuilds `records` (SQLite's batch mode)
must create them again; the revision that installed them (c8e2f4a6b1d3) holds their SQL of its day,
and tests/test_schema.py checks it against this module's.
"""
from __future__ import annotations

from sqlalchemy import delete, event, func, insert, inspect, literal_column, select, union_all

from ..extensions import db
from ..models import Record, StatusTally
from ..workflow.statuses import FINAL_STATUSES

_FINAL = frozenset(status.value for status in FINAL_STATUSES)
_FINAL_SQL = ", ".join(f"'{status}'" for status in sorted(_FINAL))  # enum values: nothing to escape
SIDES = (("requester", "requester_id"), ("lender", "lender_id"))
TRACKED = ("status", "kind", "archived", "requester_id", "lender_id")


def _counted(row: str) -> str:
    """SQL: the record `row` (NEW or OLD) is counted: neither archived nor final."""
    return f"NOT {row}.archived AND {row}.status NOT IN ({_FINAL_SQL})"


def _moves(row: str, delta: int, *conditions: str) -> list[str]:
    """SQL: the (library, side, kind, status, delta) rows `row` counts in, one SELECT per side."""
    return [f"SELECT {row}.{party} AS library_id, '{side}' AS side, {row}.kind AS kind, {row}.status AS status, "
            f"{delta} AS delta WHERE " + " AND ".join((*conditions, f"{row}.{party} IS NOT NULL", _counted(row)))
            for side, party in SIDES]


_ROW_MOVES = " UNION ALL ".join(_moves("OLD", -1, "TG_OP <> 'INSERT'") + _moves("NEW", 1, "TG_OP <> 'DELETE'"))
POSTGRESQL_FUNCTION = f"""
CREATE OR REPLACE FUNCTION status_tallies_follow_records() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- OLD is NULL in an INSERT trigger and NEW in a DELETE trigger: their rows are left out by TG_OP
    INSERT INTO status_tallies AS tally (library_id, side, kind, status, count)
    SELECT library_id, side, kind, status, sum(delta) FROM (
        {_ROW_MOVES}
    ) AS moves
    GROUP BY library_id, side, kind, status HAVING sum(delta) <> 0
    ORDER BY library_id, side, kind, status
    ON CONFLICT (library_id, side, kind, status) DO UPDATE SET count = tally.count + excluded.count;
    RETURN NULL;
END
$$"""
# a trigger runs only for a row that counts before or after (the archive job's UPDATE of final records, a
# load of old final records, move nothing), and an update only when a tracked column changed
_COUNTS_SOMEWHERE = f"({_counted('OLD')}) OR ({_counted('NEW')})"
_CHANGED = " OR ".join(f"OLD.{name} IS DISTINCT FROM NEW.{name}" for name in TRACKED)
TRIGGERS = ("status_tallies_on_insert", "status_tallies_on_update", "status_tallies_on_delete")
POSTGRESQL_TRIGGERS = dict(zip(TRIGGERS, (
    f"AFTER INSERT ON records FOR EACH ROW WHEN ({_counted('NEW')})",
    f"AFTER UPDATE OF {', '.join(TRACKED)} ON records FOR EACH ROW WHEN (({_CHANGED}) AND ({_COUNTS_SOMEWHERE}))",
    f"AFTER DELETE ON records FOR EACH ROW WHEN ({_counted('OLD')})",
)))


def _sqlite_upserts(row: str, delta: int) -> str:
    return "".join(f"INSERT INTO status_tallies (library_id, side, kind, status, count) {select} "
                   f"ON CONFLICT (library_id, side, kind, status) DO UPDATE SET count = count + excluded.count; "
                   for select in _moves(row, delta))


SQLITE_TRIGGERS = dict(zip(TRIGGERS, (
    f"AFTER INSERT ON records WHEN {_counted('NEW')} BEGIN {_sqlite_upserts('NEW', 1)}END",
    (f"AFTER UPDATE OF {', '.join(TRACKED)} ON records WHEN {_COUNTS_SOMEWHERE} BEGIN "
     f"{_sqlite_upserts('OLD', -1)}{_sqlite_upserts('NEW', 1)}END"),
    f"AFTER DELETE ON records WHEN {_counted('OLD')} BEGIN {_sqlite_upserts('OLD', -1)}END",
)))


def create_triggers(connection) -> None:
    """The triggers that keep the tallies, on this connection's database (again, if they were there)."""
    drop_triggers(connection)
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(POSTGRESQL_FUNCTION)
        for name, when in POSTGRESQL_TRIGGERS.items():
            connection.exec_driver_sql(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION status_tallies_follow_records()")
    else:
        for name, body in SQLITE_TRIGGERS.items():
            connection.exec_driver_sql(f"CREATE TRIGGER {name} {body}")


def drop_triggers(connection) -> None:
    on = " ON records" if connection.dialect.name == "postgresql" else ""
    for name in TRIGGERS:
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}{on}")


@event.listens_for(db.metadata, "after_create")
def _after_create_all(_metadata, connection, **_kw) -> None:
    """create_all (the tests' and the benchmarks' databases) installs the triggers as the migrations do."""
    if all(inspect(connection).has_table(name) for name in ("records", "status_tallies")):
        create_triggers(connection)


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
