"""national scale: partial indexes over the active records for work-list counts, order and due tabs

Revision ID: e5a1c9b3d7f2
Revises: 324906bb922e
Create Date: 2026-12-01 13:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5a1c9b3d7f2'
down_revision = '324906bb922e'
branch_labels = None
depends_on = None

# The same text as portal.models.record.ACTIVE_SQL on the day of this revision.
ACTIVE = "archived = false AND status NOT IN ('CANCELLED', 'CONFIRMED', 'RETURN_CONFIRMED')"
DUE = ACTIVE + " AND due_on IS NOT NULL"
INDEXES = [
    ("ix_records_requester_active", ["requester_id", "status", "archived"], ACTIVE),
    ("ix_records_lender_active", ["lender_id", "status", "archived"], ACTIVE),
    ("ix_records_requester_active_updated", ["requester_id", "updated_at", "id"], ACTIVE),
    ("ix_records_lender_active_updated", ["lender_id", "updated_at", "id"], ACTIVE),
    ("ix_records_requester_active_due", ["requester_id", "due_on"], DUE),
    ("ix_records_lender_active_due", ["lender_id", "due_on"], DUE),
]


def upgrade():
    with op.batch_alter_table('records', schema=None) as batch_op:
        for name, columns, where in INDEXES:
            batch_op.create_index(name, columns, unique=False, postgresql_where=sa.text(where),
                                  sqlite_where=sa.text(where))


def downgrade():
    with op.batch_alter_table('records', schema=None) as batch_op:
        for name, _columns, _where in reversed(INDEXES):
            batch_op.drop_index(name)
