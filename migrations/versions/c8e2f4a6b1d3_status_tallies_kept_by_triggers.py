"""national scale: the status tallies kept by triggers on records

The tallies were moved by the ORM's flush hooks, one more statement (and round trip) per command.
Triggers on `records` now move them inside the statement that writes the record, whatever wrote it
(services.tallies); this revision creates them and counts the records already there once more.

Revision ID: c8e2f4a6b1d3
Revises: a3c5e7f9b2d4
Create Date: 2026-12-02 06:30:00

"""
from alembic import op

from portal.services import tallies


# revision identifiers, used by Alembic.
revision = 'c8e2f4a6b1d3'
down_revision = 'a3c5e7f9b2d4'
branch_labels = None
depends_on = None


def upgrade():
    connection = op.get_bind()
    tallies.create_triggers(connection)
    tallies.rebuild(connection)


def downgrade():
    connection = op.get_bind()
    tallies.drop_triggers(connection)
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS status_tallies_follow_records()")
