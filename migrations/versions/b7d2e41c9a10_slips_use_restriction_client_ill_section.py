"""slips: a loan's use restriction, what a requester lets slips print of the end user, ILL section

Revision ID: b7d2e41c9a10
Revises: a9f1d33cfe81
Create Date: 2026-12-01 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d2e41c9a10'
down_revision = 'a9f1d33cfe81'
branch_labels = None
depends_on = None


def upgrade():
    # The server defaults fill the existing rows only; the models set the values (as for the other columns).
    with op.batch_alter_table('records') as batch_op:
        batch_op.add_column(sa.Column('use_restriction', sa.String(length=100), server_default='', nullable=False))
    with op.batch_alter_table('libraries') as batch_op:
        batch_op.add_column(sa.Column('slip_client', sa.String(length=10), server_default='none', nullable=False))
        batch_op.add_column(sa.Column('ill_section', sa.String(length=100), server_default='', nullable=False))
    with op.batch_alter_table('records') as batch_op:
        batch_op.alter_column('use_restriction', server_default=None)
    with op.batch_alter_table('libraries') as batch_op:
        batch_op.alter_column('slip_client', server_default=None)
        batch_op.alter_column('ill_section', server_default=None)


def downgrade():
    with op.batch_alter_table('libraries') as batch_op:
        batch_op.drop_column('ill_section')
        batch_op.drop_column('slip_client')
    with op.batch_alter_table('records') as batch_op:
        batch_op.drop_column('use_restriction')
