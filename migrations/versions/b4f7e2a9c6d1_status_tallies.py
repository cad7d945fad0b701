"""national scale: status tallies (active records per library, side, kind and status)

The work lists' tab counts and the header badge counted the busiest library's active records on
every page (5-8 ms at a million records on PostgreSQL). The portal now keeps the counts in a table,
written in the transaction of each change (services.tallies); this revision creates the table and
counts the records already there.

Revision ID: b4f7e2a9c6d1
Revises: e9c3a5d7b1f2
Create Date: 2026-12-01 18:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b4f7e2a9c6d1'
down_revision = 'e9c3a5d7b1f2'
branch_labels = None
depends_on = None

# The final statuses on the day of this revision (portal.workflow.statuses.FINAL_STATUSES).
ACTIVE = "archived = false AND status NOT IN ('CANCELLED', 'CONFIRMED', 'RETURN_CONFIRMED')"


def upgrade():
    op.create_table(
        'status_tallies',
        sa.Column('library_id', sa.Integer(), nullable=False),
        sa.Column('side', sa.String(length=10), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['library_id'], ['libraries.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('library_id', 'side', 'kind', 'status'),
    )
    op.execute(
        "INSERT INTO status_tallies (library_id, side, kind, status, count) "
        f"SELECT requester_id, 'requester', kind, status, count(*) FROM records WHERE {ACTIVE} "
        "GROUP BY requester_id, kind, status "
        "UNION ALL "
        f"SELECT lender_id, 'lender', kind, status, count(*) FROM records WHERE {ACTIVE} AND lender_id IS NOT NULL "
        "GROUP BY lender_id, kind, status")


def downgrade():
    op.drop_table('status_tallies')
