"""history entries record what a command changed besides the status

Revision ID: a7c3e1d2f4b5
Revises: a9f1d33cfe81
Create Date: 2026-12-01 10:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a7c3e1d2f4b5'
down_revision = 'a9f1d33cfe81'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('history_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changes', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('history_entries', schema=None) as batch_op:
        batch_op.drop_column('changes')
