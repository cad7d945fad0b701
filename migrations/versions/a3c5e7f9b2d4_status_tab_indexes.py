"""national scale: a status tab's page in its default order straight from an index

A status tab (one status of one side, latest change first) found its records through the index of
(party, status, archived) and sorted them all: 1,902 records of the busiest lender's new requests at a
million, 4 ms on SQLite. The counts per status that index served come from the status tallies now;
these indexes hold (party, status, updated_at, id) over the same active records, so the tab reads its
50 rows in order and stops.

Revision ID: a3c5e7f9b2d4
Revises: f7b2d4e6a8c1
Create Date: 2026-12-01 19:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3c5e7f9b2d4'
down_revision = 'f7b2d4e6a8c1'
branch_labels = None
depends_on = None

# The same text as portal.models.record.ACTIVE_SQL on the day of this revision.
ACTIVE = "archived = false AND status NOT IN ('CANCELLED', 'CONFIRMED', 'RETURN_CONFIRMED')"
OLD = [("ix_records_requester_active", ["requester_id", "status", "archived"]),
       ("ix_records_lender_active", ["lender_id", "status", "archived"])]
NEW = [("ix_records_requester_active_status", ["requester_id", "status", "updated_at", "id"]),
       ("ix_records_lender_active_status", ["lender_id", "status", "updated_at", "id"])]


def _replace(dropped, created):
    with op.batch_alter_table('records', schema=None) as batch_op:
        for name, _columns in dropped:
            batch_op.drop_index(name)
        for name, columns in created:
            batch_op.create_index(name, columns, unique=False, postgresql_where=sa.text(ACTIVE),
                                  sqlite_where=sa.text(ACTIVE))


def upgrade():
    _replace(OLD, NEW)


def downgrade():
    _replace(NEW, OLD)
