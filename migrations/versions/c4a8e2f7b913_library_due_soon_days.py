"""libraries: 'due soon' within N days (default 3)

Revision ID: c4a8e2f7b913
Revises: b1e5f0c9d2a6
Create Date: 2026-12-01 11:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c4a8e2f7b913'
down_revision = 'b1e5f0c9d2a6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('libraries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_soon_days', sa.Integer(), server_default='3', nullable=False))


def downgrade():
    with op.batch_alter_table('libraries', schema=None) as batch_op:
        batch_op.drop_column('due_soon_days')
