"""The search index: one row of terms per record (workflow.search_terms), each library's former-lender
records in order of change, and each library's current records by n-gram in order of change; all kept by
services.search_index."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, ForeignKey, Index, Text, event
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime

# PostgreSQL: a text[] under a GIN index (containment @> of the searched terms). SQLite: the terms
# separated by spaces, indexed by the FTS5 table record_search_fts (external content, kept by triggers).
TERMS_TYPE = Text().with_variant(ARRAY(Text), "postgresql")

FTS_DDL = [
    "CREATE VIRTUAL TABLE record_search_fts USING fts5(terms, content='record_search', "
    "content_rowid='record_id', tokenize=\"ascii tokenchars '_'\")",
    "CREATE TRIGGER record_search_ai AFTER INSERT ON record_search BEGIN "
    "INSERT INTO record_search_fts(rowid, terms) VALUES (new.record_id, new.terms); END",
    "CREATE TRIGGER record_search_ad AFTER DELETE ON record_search BEGIN "
    "INSERT INTO record_search_fts(record_search_fts, rowid, terms) VALUES ('delete', old.record_id, old.terms); END",
    "CREATE TRIGGER record_search_au AFTER UPDATE ON record_search BEGIN "
    "INSERT INTO record_search_fts(record_search_fts, rowid, terms) VALUES ('delete', old.record_id, old.terms); "
    "INSERT INTO record_search_fts(rowid, terms) VALUES (new.record_id, new.terms); END",
]
FTS_TABLES = ("record_search_fts", "record_search_fts_data", "record_search_fts_idx", "record_search_fts_docsize",
              "record_search_fts_config", "record_search_fts_content")


class RecordSearch(db.Model):
    __tablename__ = "record_search"
    __table_args__ = (
        Index("ix_record_search_terms", "terms", postgresql_using="gin").ddl_if(dialect="postgresql"),
    )

    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), primary_key=True,
                                           autoincrement=False)
    terms: Mapped[object] = mapped_column(TERMS_TYPE)


class FormerLender(db.Model):
    """A record not archived that a library sees as a former lender alone (it declined or was passed
    over, and is neither the requester nor the lender now), with the record's latest change. The default
    search of a common word reads a library's former-lender records changed since the oldest of its page
    in one index range, not every such record (services.search.latest_matches). The rows are the
    records' former-only access terms (workflow.search_terms.former_access_term), written with them;
    a trigger on `records` keeps `updated_at` the record's (services.search_index)."""

    __tablename__ = "former_lenders"
    __table_args__ = (Index("ix_former_lenders_library_updated", "library_id", "updated_at", "record_id"),)

    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), primary_key=True,
                                           autoincrement=False)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id", ondelete="CASCADE"), primary_key=True,
                                            autoincrement=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SearchPosting(db.Model):
    """A library's current record holding an n-gram, with the record's latest change: one row per library
    with current access (requester, lender, former lenders) and n-gram of each record not archived
    (workflow.search_terms.posting_pairs). The default search of one word reads the library's rows of the
    word's rarest n-gram newest first, in one index range, and checks only those records: its count reads
    at most 3,000 of them and its page about 50, at a million records as at ten thousand
    (services.search.postings_of).

    Derived from the terms as record_search_fts is, and written with them (services.search_index); a
    trigger on `records` keeps `updated_at` the record's. No foreign keys: the rows are a copy of the
    terms (records are never deleted), and the benchmark loads tens of millions of them."""

    __tablename__ = "search_postings"
    __table_args__ = (Index("ix_search_postings_library_term_updated", "library_id", "term", "updated_at",
                            "record_id"),
                      {"sqlite_with_rowid": False})

    record_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    library_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    term: Mapped[str] = mapped_column(Text, primary_key=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


#: PostgreSQL: the postings are read in small index ranges, never scanned in parallel (with a poor estimate
#: of a library's rows of a common n-gram, the planner chose a parallel bitmap scan and a sort over the
#: index's own order: 22 -> 7 ms at 1M); vacuumed after 2% of their rows change, so that the index-only
#: reads seldom visit the table for rows the commands moved.
POSTINGS_STORAGE = ("ALTER TABLE search_postings SET (parallel_workers = 0, autovacuum_vacuum_scale_factor = 0.02, "
                    "autovacuum_vacuum_insert_scale_factor = 0.02)")
event.listen(SearchPosting.__table__, "after_create", DDL(POSTINGS_STORAGE).execute_if(dialect="postgresql"))

for _statement in FTS_DDL:
    event.listen(RecordSearch.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
event.listen(RecordSearch.__table__, "before_drop",
             DDL("DROP TABLE IF EXISTS record_search_fts").execute_if(dialect="sqlite"))


def schema_filter(dialect_name: str):
    """Alembic's include_object for this dialect: FTS5's own tables and the PostgreSQL-only GIN index are
    not the models' business (autogenerate and the schema test must neither drop nor add them)."""
    def include(obj, name, type_, _reflected, _compare_to) -> bool:
        if type_ == "table" and name and name.startswith("record_search_fts"):
            return False
        if type_ == "index" and name == "ix_record_search_terms" and dialect_name != "postgresql":
            return False
        return True
    return include
