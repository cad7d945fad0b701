"""session epoch per user, failed log-ins, slip batches

Revision ID: b7e1c2d4a9f0
Revises: 324906bb922e
Create Date: 2026-12-01 10:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e1c2d4a9f0'
down_revision = '324906bb922e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))

    op.create_table('login_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index('ix_login_failures_username_at', ['username', 'at'], unique=False)
        batch_op.create_index('ix_login_failures_address_at', ['address', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failures_at'), ['at'], unique=False)

    op.create_table('slip_batches',
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('library_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('ill_ids', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['library_id'], ['libraries.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('slip_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slip_batches_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_slip_batches_library_id'), ['library_id'], unique=False)


def downgrade():
    with op.batch_alter_table('slip_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_slip_batches_library_id'))
        batch_op.drop_index(batch_op.f('ix_slip_batches_created_at'))
    op.drop_table('slip_batches')
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failures_at'))
        batch_op.drop_index('ix_login_failures_address_at')
        batch_op.drop_index('ix_login_failures_username_at')
    op.drop_table('login_failures')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')
