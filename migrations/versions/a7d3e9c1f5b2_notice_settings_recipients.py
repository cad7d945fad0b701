"""notice_settings: staff addresses of the SEND_REPORT e-mail (up to five)

Revision ID: a7d3e9c1f5b2
Revises: f3c8d1a6b2e4
Create Date: 2026-12-01 16:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a7d3e9c1f5b2'
down_revision = 'f3c8d1a6b2e4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notice_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipients', sa.JSON(), server_default='[]', nullable=False))
    # the default only fills the existing rows: the model writes the value (PostgreSQL's json
    # has no equality, so a lasting default would also trouble autogenerate's comparison)
    with op.batch_alter_table('notice_settings', schema=None) as batch_op:
        batch_op.alter_column('recipients', server_default=None)


def downgrade():
    with op.batch_alter_table('notice_settings', schema=None) as batch_op:
        batch_op.drop_column('recipients')
