"""national scale: extended statistics of records by party and status (PostgreSQL)

The planner took "lender = the busiest library AND status in the queue" as independent and chose
to sort thousands of rows instead of reading the work list's index backwards. MCV statistics over
(lender_id, status) and (requester_id, status) give it the real counts. SQLite has no such thing.

Revision ID: e9c3a5d7b1f2
Revises: d6a2b8f4c0e7
Create Date: 2026-12-01 17:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e9c3a5d7b1f2'
down_revision = 'd6a2b8f4c0e7'
branch_labels = None
depends_on = None

# The same statements as portal.models.record.RECORD_STATISTICS_DDL on the day of this revision.
STATEMENTS = [
    "CREATE STATISTICS IF NOT EXISTS st_records_lender_status (mcv) ON lender_id, status FROM records",
    "CREATE STATISTICS IF NOT EXISTS st_records_requester_status (mcv) ON requester_id, status FROM records",
]


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in STATEMENTS:
            op.execute(statement)
        op.execute("ANALYZE records")  # the statistics are empty until the next analyse


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_records_requester_status")
        op.execute("DROP STATISTICS IF EXISTS st_records_lender_status")
