"""The search index kept beside the records, and the candidate query it serves.

Every flush that changes what a record's search finds (a searchable field, its lender,
a local note, a new former lender in its history, its archive state) rewrites that
record's row of terms in the same transaction, whichever path made the change: a
command through perform_command, create, bulk, CALLBACK's restore, the demo. The
archive job's bulk UPDATE, which no flush sees, calls `set_archive_state` for the
records it moved, in its own transaction.

With the terms go the record's rows of `former_lenders` (models.search.FormerLender):
one per former-only access term, and of `search_postings` (models.search.SearchPosting):
one per current-access library and n-gram; both with the record's latest change, which
triggers on `records` keep equal to the record's in the statement that changes it (every
command does), whatever wrote it.
"""
from __future__ import annotations

import time

from sqlalchemy import (bindparam, column, delete, event, insert, inspect, literal_column, or_, select, table, text,
                        union, update)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from ..extensions import db
from ..models import FormerLender, HistoryEntry, LocalNote, Record, RecordSearch, SearchPosting
from ..workflow.search_terms import (CURRENT_PREFIX, FORMER_PREFIX, access_term, compact_std_no, current_access_term,
                                     document_terms, former_access_term, narrowing_terms, posting_pairs,
                                     with_archive_state)

#: The record fields free-text search looks in (services.search.search_query); the compact ISSN/ISBN besides.
SEARCHED_FIELDS = ("title", "article", "bib_note", "author", "client_name", "requester_number", "lender_number",
                   "std_no")
LENDER = "lender"


def record_texts(values, notes) -> list[str]:
    """The texts a record is found by: its searched fields, the compact standard number, every local note."""
    get = values.get if isinstance(values, dict) else lambda name: getattr(values, name)
    return [get(name) or "" for name in SEARCHED_FIELDS] + [compact_std_no(get("std_no") or "")] + list(notes)


def terms_of(connection, record: Record) -> list[str]:
    """A record's terms now (after the flush): its texts, its parties and its former lenders."""
    if "local_notes" in record.__dict__:
        notes = [note.text for note in record.local_notes]
    else:
        notes = list(connection.execute(select(LocalNote.text).where(LocalNote.record_id == record.id)).scalars())
    if "history" in record.__dict__:
        former = {entry.library_id for entry in record.history if entry.side == LENDER}
    else:
        former = set(connection.execute(select(HistoryEntry.library_id).distinct().where(
            HistoryEntry.record_id == record.id, HistoryEntry.side == LENDER)).scalars())
    return document_terms(record_texts(record, notes), [record.requester_id, record.lender_id],
                          archived=bool(record.archived), former=former)


def stored(dialect_name: str, terms: list[str]):
    """The terms as the column holds them: a text[] on PostgreSQL, space-separated elsewhere (FTS5 reads them)."""
    return list(terms) if dialect_name == "postgresql" else " ".join(terms)


def write_terms(connection, record_id: int, terms: list[str]) -> None:
    name = connection.dialect.name
    insert = postgresql.insert if name == "postgresql" else sqlite.insert
    statement = insert(RecordSearch).values(record_id=record_id, terms=stored(name, terms))
    connection.execute(statement.on_conflict_do_update(index_elements=["record_id"],
                                                       set_={"terms": statement.excluded.terms}))


def former_only_libraries(terms) -> list[int]:
    """The libraries a record's terms name as former lenders alone (its rows of former_lenders)."""
    return sorted(int(term[len(FORMER_PREFIX):]) for term in terms if term.startswith(FORMER_PREFIX))


def write_former(connection, record_ids, terms_of_records: dict[int, list[str]], updated: dict[int, object],
                 new: bool = False) -> None:
    """The former_lenders rows of `record_ids` made those of their terms (`terms_of_records`), with their
    latest change (`updated`); `new`: records just inserted, which have none yet."""
    former = FormerLender.__table__
    if not new:
        connection.execute(delete(former).where(former.c.record_id.in_(list(record_ids))))
    rows = [{"record_id": record_id, "library_id": library_id, "updated_at": updated[record_id]}
            for record_id in record_ids for library_id in former_only_libraries(terms_of_records[record_id])]
    if rows:
        connection.execute(insert(former), rows)


def write_postings(connection, record_ids, terms_of_records: dict[int, list[str]], updated: dict[int, object],
                   new: bool = False) -> None:
    """The search_postings rows of `record_ids` made those of their terms, as write_former does."""
    postings = SearchPosting.__table__
    if not new:
        connection.execute(delete(postings).where(postings.c.record_id.in_(list(record_ids))))
    rows = [{"record_id": record_id, "library_id": library_id, "term": term, "updated_at": updated[record_id]}
            for record_id in record_ids for library_id, term in posting_pairs(terms_of_records[record_id])]
    if rows:
        connection.execute(insert(postings), rows)


def write_rows_of_terms(connection, record_ids, terms_of_records: dict[int, list[str]],
                        updated: dict[int, object], new: bool = False) -> None:
    """Every row made of the records' terms besides the terms themselves: former_lenders, search_postings."""
    write_former(connection, record_ids, terms_of_records, updated, new)
    write_postings(connection, record_ids, terms_of_records, updated, new)


def posting_rows(connection) -> set[tuple[int, int, str]]:
    """Every (record, library, n-gram) of search_postings whose change is its record's (the tests compare
    these with the terms)."""
    postings, records = SearchPosting.__table__, Record.__table__
    return set(connection.execute(select(postings.c.record_id, postings.c.library_id, postings.c.term)
                                  .join(records, records.c.id == postings.c.record_id)
                                  .where(records.c.updated_at == postings.c.updated_at)).all())


def posting_rows_of_terms(terms_by_record: dict[int, list[str]]) -> set[tuple[int, int, str]]:
    return {(record_id, library_id, term) for record_id, terms in terms_by_record.items()
            for library_id, term in posting_pairs(terms)}


# search_postings of every record not archived, from the stored terms (the benchmark's load; the
# revision that introduced the table holds the same of its day): each current-access term (_u…) with
# each n-gram (no leading "_")
FILL_POSTINGS = {
    "postgresql": f"""INSERT INTO search_postings (record_id, library_id, term, updated_at)
        SELECT s.record_id, substr(a.term, 3)::integer, g.term, r.updated_at
        FROM record_search AS s JOIN records AS r ON r.id = s.record_id
        CROSS JOIN LATERAL (SELECT term FROM unnest(s.terms) AS u(term) WHERE left(term, 2) = '{CURRENT_PREFIX}') AS a
        CROSS JOIN LATERAL (SELECT term FROM unnest(s.terms) AS u(term) WHERE left(term, 1) <> '_') AS g
        WHERE NOT r.archived""",
    "sqlite": f"""INSERT INTO search_postings (record_id, library_id, term, updated_at)
        SELECT s.record_id, CAST(substr(a.value, 3) AS INTEGER), g.value, r.updated_at
        FROM record_search AS s JOIN records AS r ON r.id = s.record_id,
        json_each('["' || replace(s.terms, ' ', '","') || '"]') AS a,
        json_each('["' || replace(s.terms, ' ', '","') || '"]') AS g
        WHERE NOT r.archived AND substr(a.value, 1, 2) = '{CURRENT_PREFIX}' AND g.value <> ''
        AND substr(g.value, 1, 1) <> '_'
        ORDER BY s.record_id""",
}


def fill_postings(connection) -> None:
    """search_postings of every record not archived, from the stored terms, in one statement."""
    connection.exec_driver_sql(FILL_POSTINGS[connection.dialect.name])


def former_rows(connection) -> set[tuple[int, int]]:
    """Every (record, library) of former_lenders whose change is its record's (the tests compare these
    with the terms)."""
    former, records = FormerLender.__table__, Record.__table__
    return set(connection.execute(select(former.c.record_id, former.c.library_id)
                                  .join(records, records.c.id == former.c.record_id)
                                  .where(records.c.updated_at == former.c.updated_at)).all())


def former_rows_of_terms(terms_by_record: dict[int, list[str]]) -> set[tuple[int, int]]:
    return {(record_id, library_id) for record_id, terms in terms_by_record.items()
            for library_id in former_only_libraries(terms)}


_TRACKED = (*SEARCHED_FIELDS, "lender_id", "requester_id", "archived")


def _changed_records(session: Session) -> set[int]:
    changed: set[int] = set()
    for obj in session.new:
        if isinstance(obj, Record):
            changed.add(obj.id)
        elif isinstance(obj, LocalNote):
            changed.add(obj.record_id)
        elif isinstance(obj, HistoryEntry) and obj.side == LENDER:
            record = session.get(Record, obj.record_id) if obj.record_id else None
            if record is None or record.lender_id != obj.library_id:  # else the lender's term is there already
                changed.add(obj.record_id)
    for obj in session.dirty:
        if isinstance(obj, Record):
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in _TRACKED):
                changed.add(obj.id)
        elif isinstance(obj, LocalNote) and inspect(obj).attrs.text.history.has_changes():
            changed.add(obj.record_id)
    for obj in session.deleted:
        if isinstance(obj, LocalNote):
            changed.add(obj.record_id)
    return {record_id for record_id in changed if record_id is not None}


@event.listens_for(Session, "after_flush")
def _keep_index(session: Session, _context) -> None:
    """The changed records' terms, rewritten in the flush's own transaction."""
    changed = _changed_records(session)
    if not changed:
        return
    deleted = {obj.id for obj in session.deleted if isinstance(obj, Record)}
    inserted = {obj.id for obj in session.new if isinstance(obj, Record)}
    connection = session.connection()
    for record_id in sorted(changed - deleted):
        record = session.get(Record, record_id)
        if record is not None:
            terms = terms_of(connection, record)
            write_terms(connection, record_id, terms)
            write_rows_of_terms(connection, [record_id], {record_id: terms}, {record_id: record.updated_at},
                                new=record_id in inserted)


def computed_terms(connection, record_ids=None, chunk: int = 2_000):
    """(record id, terms) computed afresh from the tables, for every record or those of `record_ids`."""
    records = Record.__table__
    query = select(records.c.id, records.c.requester_id, records.c.lender_id, records.c.archived,
                   *[records.c[name] for name in SEARCHED_FIELDS]).order_by(records.c.id)
    if record_ids is not None:
        query = query.where(records.c.id.in_(list(record_ids)))
    rows = connection.execute(query).mappings().all()
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        ids = [row["id"] for row in part]
        notes: dict[int, list[str]] = {}
        for record_id, text in connection.execute(select(LocalNote.record_id, LocalNote.text)
                                                  .where(LocalNote.record_id.in_(ids))):
            notes.setdefault(record_id, []).append(text)
        former: dict[int, set[int]] = {}
        for record_id, library_id in connection.execute(
                select(HistoryEntry.record_id, HistoryEntry.library_id).distinct()
                .where(HistoryEntry.record_id.in_(ids), HistoryEntry.side == LENDER)):
            former.setdefault(record_id, set()).add(library_id)
        for row in part:
            yield row["id"], document_terms(record_texts(dict(row), notes.get(row["id"], [])),
                                            [row["requester_id"], row["lender_id"]], archived=bool(row["archived"]),
                                            former=former.get(row["id"], ()))


def rebuild(connection, record_ids=None) -> int:
    """Rewrite the terms of every record (or of `record_ids`) from the tables; returns how many. The terms
    alone: the revision that introduced the index calls it, before the tables made of the terms exist
    (their own revisions fill them)."""
    done = 0
    for record_id, terms in computed_terms(connection, record_ids):
        write_terms(connection, record_id, terms)
        done += 1
    return done


def stored_terms(connection) -> dict[int, list[str]]:
    """Every record's terms as the index holds them (sorted lists on both databases)."""
    rows = connection.execute(select(RecordSearch.record_id, RecordSearch.terms))
    return {record_id: sorted(terms if isinstance(terms, list) else terms.split()) for record_id, terms in rows}


def bulk_former_rows(records: list[dict], index_rows: list[dict]) -> list[dict]:
    """former_lenders rows for records loaded in bulk, from their index rows (bulk_rows)."""
    updated = {row["id"]: row["updated_at"] for row in records}
    return [{"record_id": row["record_id"], "library_id": library_id, "updated_at": updated[row["record_id"]]}
            for row in index_rows for library_id in former_only_libraries(row["terms"])]


def bulk_rows(records: list[dict], history: list[dict], notes: list[dict]) -> list[dict]:
    """Index rows for records loaded in bulk (the benchmark), from the rows themselves."""
    note_texts: dict[int, list[str]] = {}
    for note in notes:
        note_texts.setdefault(note["record_id"], []).append(note["text"])
    former: dict[int, set[int]] = {}
    for entry in history:
        if entry["side"] == LENDER:
            former.setdefault(entry["record_id"], set()).add(entry["library_id"])
    return [{"record_id": row["id"],
             "terms": document_terms(record_texts(row, note_texts.get(row["id"], [])),
                                     [row["requester_id"], row.get("lender_id")],
                                     archived=bool(row.get("archived")), former=former.get(row["id"], ()))}
            for row in records]


def set_archive_state(connection, record_ids=None, chunk: int = 2_000, archived_as: bool | None = None) -> int:
    """Bring the stored terms of `record_ids` (every record when None) in line with their records'
    archive state, from the terms already there (no n-gram is computed again): for the archive job's
    bulk UPDATE, and for the migration that introduced the current-access terms (`archived_as=True`:
    every record's terms as if archived, the migration's downgrade). Returns how many rows changed."""
    records, search = Record.__table__, RecordSearch.__table__
    query = (select(search.c.record_id, search.c.terms, records.c.archived, records.c.requester_id,
                    records.c.lender_id, records.c.updated_at)
             .join(records, records.c.id == search.c.record_id).order_by(search.c.record_id))
    ids = None if record_ids is None else sorted(set(record_ids))
    name = connection.dialect.name
    statement = update(search).where(search.c.record_id == bindparam("pk")).values(terms=bindparam("new_terms"))
    changed = 0
    parts = [None] if ids is None else [ids[n:n + chunk] for n in range(0, len(ids), chunk)]
    for part in parts:
        rows = connection.execute(query if part is None else query.where(search.c.record_id.in_(part))).all()
        updates, new_terms, updated = [], {}, {}
        for record_id, terms, archived, requester_id, lender_id, updated_at in rows:
            old = sorted(terms if isinstance(terms, list) else terms.split())
            new = with_archive_state(old, bool(archived) if archived_as is None else archived_as,
                                     (requester_id, lender_id))
            if new != old:
                updates.append({"pk": record_id, "new_terms": stored(name, new)})
                new_terms[record_id], updated[record_id] = new, updated_at
        for n in range(0, len(updates), chunk):
            connection.execute(statement, updates[n:n + chunk])
        if new_terms and inspect(connection).has_table(FormerLender.__tablename__):
            # (the revision that introduced the current-access terms runs before the tables')
            write_former(connection, sorted(new_terms), new_terms, updated)
        if new_terms and inspect(connection).has_table(SearchPosting.__tablename__):
            write_postings(connection, sorted(new_terms), new_terms, updated)
        changed += len(updates)
    return changed


def drop_terms(connection, prefix: str, chunk: int = 2_000) -> int:
    """Take every term starting with `prefix` out of the stored terms (a migration's downgrade)."""
    search = RecordSearch.__table__
    name = connection.dialect.name
    statement = update(search).where(search.c.record_id == bindparam("pk")).values(terms=bindparam("new_terms"))
    updates = []
    for record_id, terms in connection.execute(select(search.c.record_id, search.c.terms)).all():
        old = terms if isinstance(terms, list) else terms.split()
        new = sorted(term for term in old if not term.startswith(prefix))
        if len(new) != len(old):
            updates.append({"pk": record_id, "new_terms": stored(name, new)})
    for n in range(0, len(updates), chunk):
        connection.execute(statement, updates[n:n + chunk])
    return len(updates)


# -- the triggers that keep former_lenders' and search_postings' changes the records' -----------

#: Each trigger and the table whose rows it keeps: every command changes its record's updated_at, and the
#: record's rows (none in former_lenders for most; one per library and n-gram in search_postings) follow
#: in the same statement.
TRIGGER = "former_lenders_follow_records"
POSTINGS_TRIGGER = "search_postings_follow_records"
FOLLOWING = {TRIGGER: "former_lenders", POSTINGS_TRIGGER: "search_postings"}


def postgresql_function(trigger: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION {trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE {FOLLOWING[trigger]} SET updated_at = NEW.updated_at WHERE record_id = NEW.id;
    RETURN NULL;
END
$$"""


def postgresql_trigger(trigger: str) -> str:
    return (f"AFTER UPDATE OF updated_at ON records FOR EACH ROW "
            f"WHEN (OLD.updated_at IS DISTINCT FROM NEW.updated_at) EXECUTE FUNCTION {trigger}()")


def sqlite_trigger(trigger: str) -> str:
    return (f"AFTER UPDATE OF updated_at ON records WHEN OLD.updated_at IS NOT NEW.updated_at BEGIN "
            f"UPDATE {FOLLOWING[trigger]} SET updated_at = NEW.updated_at WHERE record_id = NEW.id; END")


def create_triggers(connection) -> None:
    """The triggers that keep former_lenders' and search_postings' updated_at, on this connection's
    database (again, if they were)."""
    for trigger in FOLLOWING:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger} ON records")
            connection.exec_driver_sql(postgresql_function(trigger))
            connection.exec_driver_sql(f"CREATE TRIGGER {trigger} {postgresql_trigger(trigger)}")
        else:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
            connection.exec_driver_sql(f"CREATE TRIGGER {trigger} {sqlite_trigger(trigger)}")


@event.listens_for(db.metadata, "after_create")
def _after_create_all(_metadata, connection, **_kw) -> None:
    """create_all (the tests' and the benchmarks' databases) installs the triggers as the migrations do."""
    if all(inspect(connection).has_table(name) for name in ("records", *FOLLOWING.values())):
        create_triggers(connection)


# -- the candidate query ------------------------------------------------------------------

#: How long a process keeps the database's term statistics (they change with ANALYZE; only speed
#: depends on them, never a result).
SHARES_SECONDS = 3600.0
_shares: dict[str, tuple[float, dict[str, float]]] = {}

# The share of rows holding each of the commonest terms, from PostgreSQL's statistics of the column
# (most_common_elem_freqs ends with three summary values past the elements: unnest pads those with NULL).
SHARES_SQL = """SELECT u.term, u.share FROM pg_stats AS s,
    unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS u(term, share)
    WHERE s.schemaname = current_schema() AND s.tablename = 'record_search' AND s.attname = 'terms'
    AND u.term IS NOT NULL"""


def term_shares(session, terms=()) -> dict[str, float]:
    """The share of records holding each common term: on PostgreSQL its statistics, read once an hour
    per process and database (empty before the first ANALYZE: then every term is asked for); on SQLite
    the share of each of `terms` (sqlite_term_shares)."""
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        return sqlite_term_shares(session, terms)
    if bind.dialect.name != "postgresql":
        return {}
    key, now = str(bind.url), time.monotonic()
    cached = _shares.get(key)
    if cached is None or cached[0] <= now:
        cached = (now + SHARES_SECONDS, {term: share for term, share in session.execute(text(SHARES_SQL))})
        _shares[key] = cached
    return cached[1]


#: SQLite: each n-gram's share of the records, as FTS5 counted it (fts5vocab), kept an hour per process
#: and database: (expiry, the records counted then, {term: share}) by database
_sqlite_shares: dict[str, tuple[float, int, dict[str, float]]] = {}
MAX_KEPT_SHARES = 50_000

# a view of the FTS5 index's terms and the number of rows holding each, made once per connection
SQLITE_VOCAB = ("CREATE VIRTUAL TABLE IF NOT EXISTS temp.record_search_vocab "
                "USING fts5vocab(main, record_search_fts, 'row')")


def sqlite_term_shares(session, terms) -> dict[str, float]:
    """The share of records holding each n-gram of `terms`, for narrowing_terms. SQLite keeps no
    statistics of the terms, so without these every n-gram was asked for: "journal"'s five trigrams,
    each in 30% of a million records, cost the index four times the rarest one alone (the former
    lender's matches at 1M: 24 -> 5 ms). FTS5 counts a term's rows by reading its list (up to 30 ms
    for the commonest at 1M), so each term's count is kept an hour, like PostgreSQL's statistics."""
    wanted = sorted({term for term in terms if not term.startswith("_")})
    if not wanted:
        return {}
    key, now = str(session.get_bind().url), time.monotonic()
    expiry, records, shares = _sqlite_shares.get(key) or (0.0, 0, {})
    if expiry <= now or len(shares) > MAX_KEPT_SHARES:
        records = session.execute(text("SELECT count(*) FROM record_search")).scalar() or 0
        expiry, shares = now + SHARES_SECONDS, {}
        _sqlite_shares[key] = (expiry, records, shares)
    missing = [term for term in wanted if term not in shares]
    if missing:
        session.execute(text(SQLITE_VOCAB))
        found = dict(session.execute(text("SELECT term, doc FROM temp.record_search_vocab WHERE term IN :terms")
                                     .bindparams(bindparam("terms", expanding=True)), {"terms": missing}).all())
        for term in missing:
            shares[term] = found.get(term, 0) / records if records else 0.0
    return {term: shares[term] for term in wanted}


def matching_ids(dialect_name: str, library_id: int, term_sets: list[set[str]], pk: int | None = None,
                 include_archive: bool = True, former_only: bool = False, shares: dict[str, float] | None = None,
                 words: list[set[str]] = ()):
    """SELECT of the ids of records visible to the library (and not archived, unless `include_archive`;
    `former_only`: not archived and seen as a former lender only) whose terms hold every term of one of the
    sets (and the record `pk` when visible): a superset of the matches, served by the GIN / FTS5 index.
    With the terms' `shares` (term_shares), only the terms that narrow cheaply are asked for
    (narrowing_terms, over the searched `words`)."""
    access, sets = _asked_terms(library_id, term_sets, include_archive, former_only, shares, words)
    if dialect_name == "postgresql":
        array = ARRAY(Text)
        found = select(RecordSearch.record_id).where(or_(*[
            RecordSearch.terms.op("@>")(bindparam(None, terms, type_=array)) for terms in sets]))
        by_pk = select(RecordSearch.record_id).where(
            RecordSearch.record_id == pk, RecordSearch.terms.op("@>")(bindparam(None, [access], type_=array)))
    else:
        found = select(literal_column("rowid")).select_from(table("record_search_fts")).where(_fts_match(sets))
        by_pk = select(RecordSearch.record_id).where(
            RecordSearch.record_id == pk,
            (" " + RecordSearch.terms + " ").like(bindparam(None, f"% {access} %")))
    return union(found, by_pk) if pk is not None else found


def _asked_terms(library_id: int, term_sets: list[set[str]], include_archive: bool, former_only: bool,
                 shares: dict[str, float] | None, words) -> tuple[str, list[list[str]]]:
    """The access term matching_ids asks for, and each set's terms asked for with it."""
    if former_only:
        access = former_access_term(library_id)
    else:
        access = access_term(library_id) if include_archive else current_access_term(library_id)
    return access, [sorted(narrowing_terms(terms | {access}, shares or {}, words)) for terms in term_sets]


def _fts_match(sets: list[list[str]]):
    """SQLite: the FTS5 condition that a row holds every term of one of the sets."""
    expression = " OR ".join("(" + " AND ".join(f'"{term}"' for term in terms) + ")" for terms in sets)
    return literal_column("record_search_fts").op("MATCH")(bindparam(None, expression))


def restrict_to_matches(query, dialect_name: str, library_id: int, term_sets: list[set[str]], pk: int | None = None,
                        include_archive: bool = True, former_only: bool = False,
                        shares: dict[str, float] | None = None, words: list[set[str]] = ()):
    """`query` (of records) kept to the ids matching_ids gives, with the same arguments.

    On SQLite a search that is not also an ILL ID joins the FTS5 table instead of asking for `id IN
    (its matches)`: SQLite stores every match of such a subquery before it reads the first record, and a
    common word has tens of thousands (Journal at 1M: 29,793) where a count stops at 1,001. Joined, the
    matches are read one at a time, and the LIMIT stops them (that count at 1M: 73 -> 13 ms)."""
    if dialect_name != "sqlite" or pk is not None:
        return query.where(Record.id.in_(matching_ids(dialect_name, library_id, term_sets, pk, include_archive,
                                                      former_only, shares, words)))
    _access, sets = _asked_terms(library_id, term_sets, include_archive, former_only, shares, words)
    fts = table("record_search_fts", column("rowid"))
    return query.join(fts, fts.c.rowid == Record.id).where(_fts_match(sets))
