"""history entries record what a command changed besides the status

Revision ID: a7c3e1d2f4b5
Revises: b7e1c2d4a9f0
Create Date: 2026-12-01 10:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a7c3e1d2f4b5'
down_revision = 'b7e1c2d4a9f0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('history_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changes', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('history_entries', schema=None) as batch_op:
        batch_op.drop_column('changes')
