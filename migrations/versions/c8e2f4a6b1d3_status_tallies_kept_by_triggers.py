"""national scale: the status tallies kept by triggers on records

The tallies were moved by the ORM's flush hooks, one more statement (and round trip) per command.
Triggers on `records` now move them inside the statement that writes the record, whatever wrote it
(services.tallies); this revision creates them and counts the records already there once more.

Stop the web and notice workers of the older code before this upgrade: a worker still running it
moves the tallies in its flush hooks while the triggers count the same change, so that change is
counted twice. If some did run, `flask db downgrade a3c5e7f9b2d4` and `flask db upgrade` count
everything again.

The SQL is the one of the day of this revision (services.tallies builds the same from the code;
tests/test_schema.py checks that they agree, so a change there needs a revision of its own).

Revision ID: c8e2f4a6b1d3
Revises: a3c5e7f9b2d4
Create Date: 2026-12-02 06:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c8e2f4a6b1d3'
down_revision = 'a3c5e7f9b2d4'
branch_labels = None
depends_on = None

POSTGRESQL_FUNCTION = """
CREATE OR REPLACE FUNCTION status_tallies_follow_records() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- OLD is NULL in an INSERT trigger and NEW in a DELETE trigger: their rows are left out by TG_OP
    INSERT INTO status_tallies AS tally (library_id, side, kind, status, count)
    SELECT library_id, side, kind, status, sum(delta) FROM (
        SELECT OLD.requester_id AS library_id, 'requester' AS side, OLD.kind AS kind, OLD.status AS
            status, -1 AS delta WHERE TG_OP <> 'INSERT' AND OLD.requester_id IS NOT NULL AND NOT
            OLD.archived AND OLD.status NOT IN ('CANCELLED', 'CONFIRMED', 'RETURN_CONFIRMED')
        UNION ALL
        SELECT OLD.lender_id AS library_id, 'lender' AS side, OLD.kind AS kind, OLD.status AS status,
            -1 AS delta WHERE TG_OP <> 'INSERT' AND OLD.lender_id IS NOT NULL AND NOT OLD.archived AND
            OLD.status NOT IN ('CANCELLED', 'CONFIRMED', 'RETURN_CONFIRMED')
        UNION ALL
        SELECT NEW.requester_id AS library_id, 'requester' AS side, NEW.kind AS kind, NEW.status AS
            status, 1 AS delta WHERE TG_OP <> 'DELETE' AND NEW.requester_id IS NOT NULL AND NOT
            NEW.archived AND NEW.status NOT IN ('CANCELLED', 'CONFIRMED', 'RETURN_CONFIRMED')
        UNION ALL
        SELECT NEW.lender_id AS library_id, 'lender' AS side, NEW.kind AS kind, NEW.status AS status,
            1 AS delta WHERE TG_OP <> 'DELETE' AND NEW.lender_id IS NOT NULL AND NOT NEW.archived AND
            NEW.status NOT IN ('CANCELLED', 'CONFIRMED', 'RETURN_CONFIRMED')
    ) AS moves
    GROUP BY library_id, side, kind, status HAVING sum(delta) <> 0
    ORDER BY library_id, side, kind, status
    ON CONFLICT (library_id, side, kind, status) DO UPDATE SET count = tally.count + excluded.count;
    RETURN NULL;
END
$$"""
POSTGRESQL_TRIGGERS = {
    "status_tallies_on_insert": """
        AFTER INSERT ON records FOR EACH ROW WHEN (NOT NEW.archived AND NEW.status NOT IN
            ('CANCELLED', 'CONFIRMED', 'RETURN_CONFIRMED'))""",
    "status_tallies_on_update": """
        AFTER UPDATE OF status, kind, archived, requester_id, lender_id ON records FOR EACH ROW WHEN
            ((OLD.status IS DISTINCT FROM NEW.status OR OLD.kind IS DISTINCT FROM NEW.kind OR
            OLD.archived IS DISTINCT FROM NEW.archived OR OLD.requester_id IS DISTINCT FROM
            NEW.requester_id OR OLD.lender_id IS DISTINCT FROM NEW.lender_id) AND ((NOT OLD.archived
            AND OLD.status NOT IN ('CANCELLED', 'CONFIRMED', 'RETURN_CONFIRMED')) OR (NOT NEW.archived
            AND NEW.status NOT IN ('CANCELLED', 'CONFIRMED', 'RETURN_CONFIRMED'))))""",
    "status_tallies_on_delete": """
        AFTER DELETE ON records FOR EACH ROW WHEN (NOT OLD.archived AND OLD.status NOT IN
            ('CANCELLED', 'CONFIRMED', 'RETURN_CONFIRMED'))""",
}
SQLITE_TRIGGERS = {
    "status_tallies_on_insert": """
        AFTER INSERT ON records WHEN NOT NEW.archived AND NEW.status NOT IN ('CANCELLED', 'CONFIRMED',
            'RETURN_CONFIRMED') BEGIN
        INSERT INTO status_tallies (library_id, side, kind, status, count) SELECT NEW.requester_id AS
            library_id, 'requester' AS side, NEW.kind AS kind, NEW.status AS status, 1 AS delta WHERE
            NEW.requester_id IS NOT NULL AND NOT NEW.archived AND NEW.status NOT IN ('CANCELLED',
            'CONFIRMED', 'RETURN_CONFIRMED') ON CONFLICT (library_id, side, kind, status) DO UPDATE
            SET count = count + excluded.count;
        INSERT INTO status_tallies (library_id, side, kind, status, count) SELECT NEW.lender_id AS
            library_id, 'lender' AS side, NEW.kind AS kind, NEW.status AS status, 1 AS delta WHERE
            NEW.lender_id IS NOT NULL AND NOT NEW.archived AND NEW.status NOT IN ('CANCELLED',
            'CONFIRMED', 'RETURN_CONFIRMED') ON CONFLICT (library_id, side, kind, status) DO UPDATE
            SET count = count + excluded.count;
        END""",
    "status_tallies_on_update": """
        AFTER UPDATE OF status, kind, archived, requester_id, lender_id ON records WHEN (NOT
            OLD.archived AND OLD.status NOT IN ('CANCELLED', 'CONFIRMED', 'RETURN_CONFIRMED')) OR (NOT
            NEW.archived AND NEW.status NOT IN ('CANCELLED', 'CONFIRMED', 'RETURN_CONFIRMED')) BEGIN
        INSERT INTO status_tallies (library_id, side, kind, status, count) SELECT OLD.requester_id AS
            library_id, 'requester' AS side, OLD.kind AS kind, OLD.status AS status, -1 AS delta WHERE
            OLD.requester_id IS NOT NULL AND NOT OLD.archived AND OLD.status NOT IN ('CANCELLED',
            'CONFIRMED', 'RETURN_CONFIRMED') ON CONFLICT (library_id, side, kind, status) DO UPDATE
            SET count = count + excluded.count;
        INSERT INTO status_tallies (library_id, side, kind, status, count) SELECT OLD.lender_id AS
            library_id, 'lender' AS side, OLD.kind AS kind, OLD.status AS status, -1 AS delta WHERE
            OLD.lender_id IS NOT NULL AND NOT OLD.archived AND OLD.status NOT IN ('CANCELLED',
            'CONFIRMED', 'RETURN_CONFIRMED') ON CONFLICT (library_id, side, kind, status) DO UPDATE
            SET count = count + excluded.count;
        INSERT INTO status_tallies (library_id, side, kind, status, count) SELECT NEW.requester_id AS
            library_id, 'requester' AS side, NEW.kind AS kind, NEW.status AS status, 1 AS delta WHERE
            NEW.requester_id IS NOT NULL AND NOT NEW.archived AND NEW.status NOT IN ('CANCELLED',
            'CONFIRMED', 'RETURN_CONFIRMED') ON CONFLICT (library_id, side, kind, status) DO UPDATE
            SET count = count + excluded.count;
        INSERT INTO status_tallies (library_id, side, kind, status, count) SELECT NEW.lender_id AS
            library_id, 'lender' AS side, NEW.kind AS kind, NEW.status AS status, 1 AS delta WHERE
            NEW.lender_id IS NOT NULL AND NOT NEW.archived AND NEW.status NOT IN ('CANCELLED',
            'CONFIRMED', 'RETURN_CONFIRMED') ON CONFLICT (library_id, side, kind, status) DO UPDATE
            SET count = count + excluded.count;
        END""",
    "status_tallies_on_delete": """
        AFTER DELETE ON records WHEN NOT OLD.archived AND OLD.status NOT IN ('CANCELLED', 'CONFIRMED',
            'RETURN_CONFIRMED') BEGIN
        INSERT INTO status_tallies (library_id, side, kind, status, count) SELECT OLD.requester_id AS
            library_id, 'requester' AS side, OLD.kind AS kind, OLD.status AS status, -1 AS delta WHERE
            OLD.requester_id IS NOT NULL AND NOT OLD.archived AND OLD.status NOT IN ('CANCELLED',
            'CONFIRMED', 'RETURN_CONFIRMED') ON CONFLICT (library_id, side, kind, status) DO UPDATE
            SET count = count + excluded.count;
        INSERT INTO status_tallies (library_id, side, kind, status, count) SELECT OLD.lender_id AS
            library_id, 'lender' AS side, OLD.kind AS kind, OLD.status AS status, -1 AS delta WHERE
            OLD.lender_id IS NOT NULL AND NOT OLD.archived AND OLD.status NOT IN ('CANCELLED',
            'CONFIRMED', 'RETURN_CONFIRMED') ON CONFLICT (library_id, side, kind, status) DO UPDATE
            SET count = count + excluded.count;
        END""",
}


# The final statuses on the day of this revision (portal.workflow.statuses.FINAL_STATUSES).
ACTIVE = "archived = false AND status NOT IN ('CANCELLED', 'CONFIRMED', 'RETURN_CONFIRMED')"
COUNT_AGAIN = [  # the active records (neither archived nor final) per library, side, kind and status
    "DELETE FROM status_tallies",
    "INSERT INTO status_tallies (library_id, side, kind, status, count) "
    "SELECT requester_id, 'requester', kind, status, count(*) FROM records WHERE " + ACTIVE + " "
    "GROUP BY requester_id, kind, status "
    "UNION ALL "
    "SELECT lender_id, 'lender', kind, status, count(*) FROM records WHERE " + ACTIVE + " AND lender_id IS NOT NULL "
    "GROUP BY lender_id, kind, status",
]


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute(POSTGRESQL_FUNCTION)
    for name, definition in (POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS).items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON records" if postgresql else ""))
        op.execute(f"CREATE TRIGGER {name} {definition}"
                   + (" EXECUTE FUNCTION status_tallies_follow_records()" if postgresql else ""))
    for statement in COUNT_AGAIN:
        op.execute(statement)


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name in POSTGRESQL_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON records" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS status_tallies_follow_records()")
