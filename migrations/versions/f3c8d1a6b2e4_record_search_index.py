"""national scale: the search index (record_search: n-gram and access terms; GIN on PostgreSQL, FTS5 on SQLite)

Revision ID: f3c8d1a6b2e4
Revises: e5a1c9b3d7f2
Create Date: 2026-12-01 13:50:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'f3c8d1a6b2e4'
down_revision = 'e5a1c9b3d7f2'
branch_labels = None
depends_on = None


def upgrade():
    from portal.models.search import FTS_DDL
    from portal.services.search_index import rebuild

    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table('record_search',
    sa.Column('record_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('terms', sa.Text().with_variant(postgresql.ARRAY(sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('record_id')
    )
    if not postgres:
        for statement in FTS_DDL:
            op.execute(statement)
    rebuild(op.get_bind())  # the records already there
    if postgres:  # built after the rows, in one pass
        op.create_index('ix_record_search_terms', 'record_search', ['terms'], unique=False, postgresql_using='gin')


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index('ix_record_search_terms', table_name='record_search', postgresql_using='gin')
    else:
        op.execute("DROP TABLE IF EXISTS record_search_fts")
    op.drop_table('record_search')
