"""national scale: each library's former-lender records in order of change

The default search of a common word reads each side's latest records in order and then the records
the library sees as a former lender alone, changed since the oldest of its page. Through the search
index those were every such record holding the word (1,642 read for two kept: "Journal" at 1M on
PostgreSQL, 12 ms). `former_lenders` holds them with the record's latest change under an index of
(library, change): the search reads only the few changed since, in one range.

This revision creates the table, fills it from the history (a lender-side entry by a library that is
neither the record's requester nor its lender, on a record not archived: the records' former-only
access terms) and creates the trigger that keeps each row's change its record's. The SQL is the one
of the day of this revision (services.search_index builds the same; tests/test_schema.py checks).

Revision ID: d4a8f2c6e1b9
Revises: c8e2f4a6b1d3
Create Date: 2026-12-03 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4a8f2c6e1b9'
down_revision = 'c8e2f4a6b1d3'
branch_labels = None
depends_on = None

TRIGGER = "former_lenders_follow_records"
POSTGRESQL_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE former_lenders SET updated_at = NEW.updated_at WHERE record_id = NEW.id;
    RETURN NULL;
END
$$"""
POSTGRESQL_TRIGGER = (f"AFTER UPDATE OF updated_at ON records FOR EACH ROW "
                      f"WHEN (OLD.updated_at IS DISTINCT FROM NEW.updated_at) EXECUTE FUNCTION {TRIGGER}()")
SQLITE_TRIGGER = ("AFTER UPDATE OF updated_at ON records WHEN OLD.updated_at IS NOT NEW.updated_at BEGIN "
                  "UPDATE former_lenders SET updated_at = NEW.updated_at WHERE record_id = NEW.id; END")
FILL = """INSERT INTO former_lenders (record_id, library_id, updated_at)
    SELECT DISTINCT h.record_id, h.library_id, r.updated_at FROM history_entries AS h
    JOIN records AS r ON r.id = h.record_id
    WHERE h.side = 'lender' AND h.library_id IS NOT NULL AND NOT r.archived
    AND h.library_id <> r.requester_id AND (r.lender_id IS NULL OR h.library_id <> r.lender_id)"""


def upgrade():
    op.create_table(
        'former_lenders',
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('library_id', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['library_id'], ['libraries.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['record_id'], ['records.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('record_id', 'library_id'),
    )
    op.execute(FILL)
    op.create_index('ix_former_lenders_library_updated', 'former_lenders', ['library_id', 'updated_at', 'record_id'])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
        op.execute(f"CREATE TRIGGER {TRIGGER} {POSTGRESQL_TRIGGER}")
    else:
        op.execute(f"CREATE TRIGGER {TRIGGER} {SQLITE_TRIGGER}")


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}" + (" ON records" if postgresql else ""))
    if postgresql:
        op.execute(f"DROP FUNCTION IF EXISTS {TRIGGER}()")
    op.drop_index('ix_former_lenders_library_updated', table_name='former_lenders')
    op.drop_table('former_lenders')
