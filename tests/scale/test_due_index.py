"""The due tabs' counts (services.search.due_counts): exactly the loans workflow.due puts in each tab,
read from the partial indexes over the loans out (ix_records_*_out_due) alone."""
import random
from datetime import date, timedelta

from sqlalchemy import select, text

from portal.extensions import db
from portal.models import Record
from portal.services.search import due_counts
from portal.workflow.due import DUE_SOON, OVERDUE, due_state
from portal.workflow.machine import Side
from portal.workflow.statuses import Status

TODAY = date(2026, 12, 1)


def _scrambled_loans(world, rng, count):
    """Records made by the commands, then given random kinds, statuses, renewal marks, due dates and
    archive states (every combination the due tabs must tell apart)."""
    records = [world.record("PROCESSING", kind="loan") for _ in range(count)]
    for record in records:
        row = db.session.get(Record, record.id)
        row.kind = rng.choice(("loan", "loan", "copy"))
        row.status = rng.choice(list(Status)).value
        row.renewal_handling = rng.choice((True, False))
        row.due_on = rng.choice((None, TODAY + timedelta(days=rng.randrange(-6, 8))))
        row.archived = rng.random() < 0.15
    db.session.commit()
    return records


def _expected(library_id, side, soon_days, kind=None):
    column = Record.requester_id if side is Side.REQUESTER else Record.lender_id
    counts = {OVERDUE: 0, DUE_SOON: 0}
    for row in db.session.scalars(select(Record).where(column == library_id)):
        if row.archived or Status(row.status).is_final or (kind and row.kind != kind):
            continue
        state = due_state(row.kind, row.status, row.renewal_handling, row.due_on, TODAY, soon_days)
        if state:
            counts[state] += 1
    return counts


def test_due_counts_are_exactly_the_loans_the_rules_put_in_each_tab(world):
    rng = random.Random(2026)
    _scrambled_loans(world, rng, 40)
    checked = 0
    for code in ("R", "L1", "L2"):
        library_id = world.libraries[code].id
        for side in Side:
            for soon_days in (0, 3):
                for kind in (None, "loan", "copy"):
                    expected = _expected(library_id, side, soon_days, kind)
                    assert due_counts(library_id, side, TODAY, soon_days, kind) == expected, (code, side, kind)
                    checked += sum(expected.values())
    assert checked > 20  # the scrambled loans did land in the tabs


def _due_count_sql(library_id):
    """The SQL of the lender side's due counts, with its values in it."""
    from portal.services.search import due_counts_query

    return str(due_counts_query(library_id, Side.LENDER, TODAY, 3).compile(
        db.engine, compile_kwargs={"literal_binds": True}))


def test_both_due_counts_take_one_statement(world):
    from sqlalchemy import event

    world.record("PROCESSING", kind="loan")
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert due_counts(world.libraries["L1"].id, Side.LENDER, TODAY, 3) == {OVERDUE: 0, DUE_SOON: 0}
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1, statements  # both tabs (two statements before)


def test_the_due_count_is_served_by_the_index_over_the_loans_out(world):
    """Both databases can prove the partial index applies to the count's conditions: SQLite runs it with
    the index forced (it refuses when the index does not apply), PostgreSQL plans it on the index."""
    world.record("PROCESSING", kind="loan")
    sql = _due_count_sql(world.libraries["L1"].id)
    if db.engine.dialect.name == "sqlite":
        forced = sql.replace("FROM records", "FROM records INDEXED BY ix_records_lender_out_due", 1)
        assert db.session.execute(text(forced)).scalar() == 0
        return
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    db.session.execute(text("SET LOCAL enable_bitmapscan = off"))
    plan = "\n".join(db.session.scalars(text("EXPLAIN " + sql)))
    # either side's index (a few rows here: the planner may take the other) proves the predicate applies
    assert "ix_records_lender_out_due" in plan or "ix_records_requester_out_due" in plan, plan
    db.session.rollback()
