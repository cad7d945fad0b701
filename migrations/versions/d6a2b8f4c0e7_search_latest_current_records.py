"""national scale: each side's latest unarchived records in order (a common word's search), former-only access terms

Two partial indexes over the records not archived, by party and latest change, which a search
of a common word reads newest first; and the index's terms of the records not archived gain the
former lenders that are no party now (derived from the stored access terms and the record's
parties, no n-gram computed again).

Revision ID: d6a2b8f4c0e7
Revises: c8e4f2a7d1b3
Create Date: 2026-12-01 16:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd6a2b8f4c0e7'
down_revision = 'c8e4f2a7d1b3'
branch_labels = None
depends_on = None

# The same text as portal.models.record.CURRENT_SQL on the day of this revision.
CURRENT = "archived = false"
INDEXES = [
    ("ix_records_requester_current_updated", ["requester_id", "updated_at", "id"]),
    ("ix_records_lender_current_updated", ["lender_id", "updated_at", "id"]),
]


def upgrade():
    from portal.services.search_index import set_archive_state

    with op.batch_alter_table('records', schema=None) as batch_op:
        for name, columns in INDEXES:
            batch_op.create_index(name, columns, unique=False, postgresql_where=sa.text(CURRENT),
                                  sqlite_where=sa.text(CURRENT))
    set_archive_state(op.get_bind())


def downgrade():
    from portal.services.search_index import drop_terms
    from portal.workflow.search_terms import FORMER_PREFIX

    drop_terms(op.get_bind(), FORMER_PREFIX)
    with op.batch_alter_table('records', schema=None) as batch_op:
        for name, _columns in reversed(INDEXES):
            batch_op.drop_index(name)
