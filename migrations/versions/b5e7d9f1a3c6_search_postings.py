"""national scale: each library's current records by n-gram, in order of change

A common word's default search counted its matches up to 1,001 by intersecting the library's access
term with the word's whole list in the search index (11-18 ms at 1M on PostgreSQL), then read each
side's latest records until a page of them matched (2-7 ms a side). `search_postings` holds, for each
record not archived, one row per library with current access and n-gram, with the record's latest
change, under an index of (library, n-gram, change): a single word's count and page read the library's
rows of its rarest n-gram newest first, and check only those records.

This revision creates the table, fills it from the stored terms (each current-access term with each
n-gram), keeps PostgreSQL from scanning it in parallel (and vacuums it after 2% of its rows change) and
creates the trigger that keeps each row's change its record's. The SQL is the one of the
day of this revision (services.search_index builds the same; tests/test_schema.py checks).

Revision ID: b5e7d9f1a3c6
Revises: d4a8f2c6e1b9
Create Date: 2026-12-06 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5e7d9f1a3c6'
down_revision = 'd4a8f2c6e1b9'
branch_labels = None
depends_on = None

TRIGGER = "search_postings_follow_records"
POSTGRESQL_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE search_postings SET updated_at = NEW.updated_at WHERE record_id = NEW.id;
    RETURN NULL;
END
$$"""
POSTGRESQL_TRIGGER = (f"AFTER UPDATE OF updated_at ON records FOR EACH ROW "
                      f"WHEN (OLD.updated_at IS DISTINCT FROM NEW.updated_at) EXECUTE FUNCTION {TRIGGER}()")
STORAGE = ("ALTER TABLE search_postings SET (parallel_workers = 0, autovacuum_vacuum_scale_factor = 0.02, "
           "autovacuum_vacuum_insert_scale_factor = 0.02)")
SQLITE_TRIGGER = ("AFTER UPDATE OF updated_at ON records WHEN OLD.updated_at IS NOT NEW.updated_at BEGIN "
                  "UPDATE search_postings SET updated_at = NEW.updated_at WHERE record_id = NEW.id; END")
FILL = {
    "postgresql": """INSERT INTO search_postings (record_id, library_id, term, updated_at)
        SELECT s.record_id, substr(a.term, 3)::integer, g.term, r.updated_at
        FROM record_search AS s JOIN records AS r ON r.id = s.record_id
        CROSS JOIN LATERAL (SELECT term FROM unnest(s.terms) AS u(term) WHERE left(term, 2) = '_u') AS a
        CROSS JOIN LATERAL (SELECT term FROM unnest(s.terms) AS u(term) WHERE left(term, 1) <> '_') AS g
        WHERE NOT r.archived""",
    "sqlite": """INSERT INTO search_postings (record_id, library_id, term, updated_at)
        SELECT s.record_id, CAST(substr(a.value, 3) AS INTEGER), g.value, r.updated_at
        FROM record_search AS s JOIN records AS r ON r.id = s.record_id,
        json_each('["' || replace(s.terms, ' ', '","') || '"]') AS a,
        json_each('["' || replace(s.terms, ' ', '","') || '"]') AS g
        WHERE NOT r.archived AND substr(a.value, 1, 2) = '_u' AND g.value <> '' AND substr(g.value, 1, 1) <> '_'
        ORDER BY s.record_id""",
}


def upgrade():
    op.create_table(
        'search_postings',
        sa.Column('record_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('library_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('term', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('record_id', 'library_id', 'term'),
        sqlite_with_rowid=False,
    )
    name = op.get_bind().dialect.name
    op.execute(FILL[name])
    op.create_index('ix_search_postings_library_term_updated', 'search_postings',
                    ['library_id', 'term', 'updated_at', 'record_id'])
    if name == "postgresql":
        op.execute(STORAGE)
        op.execute(POSTGRESQL_FUNCTION)
        op.execute(f"CREATE TRIGGER {TRIGGER} {POSTGRESQL_TRIGGER}")
    else:
        op.execute(f"CREATE TRIGGER {TRIGGER} {SQLITE_TRIGGER}")


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}" + (" ON records" if postgresql else ""))
    if postgresql:
        op.execute(f"DROP FUNCTION IF EXISTS {TRIGGER}()")
    op.drop_index('ix_search_postings_library_term_updated', table_name='search_postings')
    op.drop_table('search_postings')
