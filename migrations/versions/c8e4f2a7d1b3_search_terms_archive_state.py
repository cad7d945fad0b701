"""national scale: the search index holds the archive state (current-access terms of records not archived)

The default search leaves archived records out; with a term per library that may see a record
*and* finds it not archived, the GIN / FTS5 index narrows to those records alone. No schema
change: the terms already there gain the new terms (derived from their access terms, no n-gram
computed again).

Revision ID: c8e4f2a7d1b3
Revises: a7d3e9c1f5b2
Create Date: 2026-12-01 16:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c8e4f2a7d1b3'
down_revision = 'a7d3e9c1f5b2'
branch_labels = None
depends_on = None


def upgrade():
    from portal.services.search_index import set_archive_state

    set_archive_state(op.get_bind())


def downgrade():
    from portal.services.search_index import set_archive_state

    set_archive_state(op.get_bind(), archived_as=True)
