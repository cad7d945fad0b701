"""national scale: the due tabs' indexes hold only the loans whose item is out (index-only counts)

The overdue and due-soon counts of a work list read each side's active loans with a due date
and the item out with the requester. The former due indexes held every active record with a
due date, so the counts fetched each candidate from the table to check its kind and status
(and at a million records the planner preferred another index); these hold exactly the loans
the due tabs show, and the counts read the index alone.

Revision ID: f7b2d4e6a8c1
Revises: b4f7e2a9c6d1
Create Date: 2026-12-01 18:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f7b2d4e6a8c1'
down_revision = 'b4f7e2a9c6d1'
branch_labels = None
depends_on = None

# The same texts as portal.models.record.ACTIVE_SQL and OUT_DUE_SQL on the day of this revision.
ACTIVE = "archived = false AND status NOT IN ('CANCELLED', 'CONFIRMED', 'RETURN_CONFIRMED')"
DUE = ACTIVE + " AND due_on IS NOT NULL"
OUT_DUE = DUE + (" AND kind = 'loan' AND (status IN ('ARRIVED', 'CLAIM_ANSWERED', 'CLAIM_PENDING', 'ON_LOAN', "
                 "'RENEWAL_REQUESTED', 'SHIPPED') OR (status IN ('RETURN_CLAIM', 'RETURN_PROCESSING') "
                 "AND renewal_handling = true))")
OLD = [("ix_records_requester_active_due", ["requester_id", "due_on"], DUE),
       ("ix_records_lender_active_due", ["lender_id", "due_on"], DUE)]
NEW = [("ix_records_requester_out_due", ["requester_id", "due_on"], OUT_DUE),
       ("ix_records_lender_out_due", ["lender_id", "due_on"], OUT_DUE)]


def _replace(dropped, created):
    with op.batch_alter_table('records', schema=None) as batch_op:
        for name, _columns, _where in dropped:
            batch_op.drop_index(name)
        for name, columns, where in created:
            batch_op.create_index(name, columns, unique=False, postgresql_where=sa.text(where),
                                  sqlite_where=sa.text(where))


def upgrade():
    _replace(OLD, NEW)


def downgrade():
    _replace(NEW, OLD)
