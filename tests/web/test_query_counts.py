"""Queries per page do not grow with the rows shown: work list, its tab, search, record page.
(Speed itself is measured by `flask --app portal bench --pages`, never asserted here.)"""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from portal.extensions import db


@contextmanager
def counted():
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def queries(desk, url: str, htmx: bool = False) -> int:
    desk.get(url, htmx=htmx)  # warm: the log-in's user, the catalogues
    with counted() as statements:
        response = desk.get(url, htmx=htmx)
    assert response.status_code == 200, response.status_code
    return len(statements)


def test_work_list_and_search_queries_do_not_grow_with_the_rows(world, desk):
    world.record("UNPROCESSED", citation={"title": "看護研究 0"})
    world.record("PROCESSING", kind="loan", candidates=("L2",), citation={"title": "看護研究 1"})
    desk.as_user("L1")
    pages = ["/?side=lender", "/?side=lender&status=UNPROCESSED", "/search?q=看護研究", "/search?title=看護",
             "/?side=requester"]
    few = {url: queries(desk, url) for url in pages}
    few_tab = queries(desk, "/?side=lender&status=UNPROCESSED", htmx=True)
    for n in range(8):
        world.record(["UNPROCESSED", "PROCESSING", "SHIPPED"][n % 3], kind="loan" if n % 2 else "copy",
                     candidates=("L1", "L2"), citation={"title": f"看護研究 {n + 2}"})
    many = {url: queries(desk, url) for url in pages}
    assert many == few
    assert queries(desk, "/?side=lender&status=UNPROCESSED", htmx=True) == few_tab
    assert "看護研究 9" in desk.get("/search?q=看護研究").get_data(as_text=True)  # the rows are there


def test_record_page_queries_do_not_grow_with_the_history(world, desk):
    short = world.record("PROCESSING")
    long = world.record("RETURN_CONFIRMED", kind="loan")
    assert len(long.history) > len(short.history) + 4
    desk.as_user("R")
    assert queries(desk, f"/records/{long.ill_id}") == queries(desk, f"/records/{short.ill_id}")


def test_the_work_list_counts_both_sides_once(world, desk):
    """The header badge reuses the work list's counts: one count statement for both sides, not one per
    side and use."""
    world.record("UNPROCESSED")
    desk.as_user("L1")
    desk.get("/?side=lender")
    with counted() as statements:
        desk.get("/?side=lender")
    per_status = [s for s in statements if "FROM status_tallies" in " ".join(s.split())]
    assert len(per_status) == 1, statements  # this side and the other, the badge reusing both


def test_a_work_list_page_reads_its_rows_as_plain_rows_in_two_statements(world, desk):
    """The rows come in one statement of plain columns and their partners, block marks and latest commands
    in one more (no Record objects, no statement per relation): the user, the counts, the due tabs and
    these two, whatever the rows' partners."""
    world.record("UNPROCESSED")
    world.record("PROCESSING", kind="loan", candidates=("L1", "L2"))
    world.record("UNPROCESSED", requester="L2", candidates=("L1",))
    desk.as_user("L1")
    with counted() as statements:
        desk.get("/?side=lender")
    flat = [" ".join(s.split()) for s in statements]
    rows = [s for s in flat if s.startswith("SELECT records.id, records.kind")]
    assert len(rows) == 1 and "records.client_name" not in rows[0], flat  # the list's columns only
    assert not [s for s in flat if s.startswith("SELECT libraries.") or "FROM history_entries WHERE" in s[:200]], flat
    assert len(flat) <= 6, flat


def test_search_reads_no_archived_match_and_its_queries_stay_flat(world, desk):
    """Archived matches add no statement to the default search (which leaves them out in the index,
    tests/scale/test_search_index.py) and are not shown; with the archive filter they are found."""
    from portal.models import Record

    world.record("PROCESSING", citation={"title": "看護研究 current"})
    desk.as_user("R")
    url = "/search?q=看護研究"
    few = queries(desk, url)
    archived = [world.record("CONFIRMED", citation={"title": f"看護研究 old {n}"}) for n in range(6)]
    for record in archived:
        db.session.get(Record, record.id).archived = True
    db.session.commit()
    assert queries(desk, url) == few
    page = desk.get(url).get_data(as_text=True)
    assert "看護研究 current" in page and "看護研究 old" not in page
    assert "看護研究 old 5" in desk.get(url + "&archive=1").get_data(as_text=True)


def test_the_record_pages_notices_panel_reads_only_its_notices(world, desk):
    """The panel reads the notices, their events and links: not a count, nor the record and its patron
    again (the page has them), nor the patron's block mark a second time."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "notices"))
    from notices_helpers import make_patron, record_for

    patron = make_patron(world)
    quiet = record_for(world, patron, "PREPARING")  # no notice yet
    noticed = record_for(world, patron, "ON_LOAN")  # ARRIVED by e-mail and SMS
    desk.as_user("R")
    with counted() as statements:
        desk.get(f"/records/{noticed.ill_id}")
    assert 'id="record-notices"' in desk.get(f"/records/{noticed.ill_id}").get_data(as_text=True)
    extra = queries(desk, f"/records/{noticed.ill_id}") - queries(desk, f"/records/{quiet.ill_id}")
    assert extra <= 3, extra
    flat = [" ".join(s.split()) for s in statements]
    assert not [s for s in flat if s.startswith("SELECT count(*)") and "notices" in s]
    assert not [s for s in flat if s.startswith("SELECT blocks.partner_id")]  # the parties' and candidates' marks
    assert len([s for s in flat if s.startswith("SELECT records.") and "JOIN blocks" in s]) == 1  # ... come with it


def test_the_record_page_reads_a_record_without_notices_in_three_statements(world, desk):
    """The user with its library's tallies (the header's counts), the record with its parties,
    candidates, note, block marks and whether the library has notices of it, and its history."""
    from sqlalchemy import delete

    from portal.models import Notice

    url = f"/records/{world.record('PROCESSING', candidates=('L1', 'L2')).ill_id}"
    db.session.execute(delete(Notice))  # the order's notice to the lender: a record without notices
    db.session.commit()
    desk.as_user("L1")  # its lender: no ORDER to offer, so no lender's refusal to look up
    desk.get(url)
    db.session.expire_all()  # the tests share one session: the measured request loads the rows afresh
    with counted() as statements:
        page = desk.get(url).get_data(as_text=True)
    flat = [" ".join(s.split()) for s in statements]
    assert len(flat) == 3, flat
    assert flat[0].startswith("SELECT users.") and "FROM status_tallies" in flat[0]
    assert flat[1].startswith("SELECT records.") and "JOIN blocks" in flat[1] and "FROM notices" in flat[1]
    assert "FROM history_entries" in flat[2]
    assert 'id="record-notices"' not in page and "ILL ID" in page


def test_the_work_list_shows_the_tallies_and_counts_no_records(world, desk):
    for status in ("UNPROCESSED", "UNPROCESSED", "PROCESSING"):
        world.record(status)
    desk.as_user("L1")
    with counted() as statements:
        page = desk.get("/?side=lender").get_data(as_text=True)
    assert 'id="tab-UNPROCESSED"' in page
    tab = page.split('id="tab-UNPROCESSED"', 1)[1].split("</a>", 1)[0]
    assert '<span class="count count--active">2</span>' in tab, tab
    flat = [" ".join(s.split()) for s in statements]
    assert [s for s in flat if "FROM status_tallies" in s]
    assert not [s for s in flat if "GROUP BY records.status" in s], flat


def test_a_status_tab_reads_its_page_in_order_from_an_index(world):
    """One status of one side, latest change first: the index over (party, status, updated_at, id) gives
    the rows in order (SQLite forced onto it sorts nothing; PostgreSQL plans no sort), instead of fetching
    every record of that status and sorting them."""
    from sqlalchemy import text

    from portal.services.search import SearchFilters, search_query, sort_order
    from portal.services.worklists import LIST_COLUMNS

    for _ in range(3):
        world.record("UNPROCESSED")
    library_id = world.libraries["L1"].id
    query = (search_query(library_id, SearchFilters(side="lender", statuses=["UNPROCESSED"], include_final=False))
             .with_only_columns(*LIST_COLUMNS).order_by(*sort_order("updated", library_id)).limit(50))
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "sqlite":
        forced = sql.replace("FROM records", "FROM records INDEXED BY ix_records_lender_active_status", 1)
        plan = " ".join(str(row) for row in db.session.execute(text("EXPLAIN QUERY PLAN " + forced)))
        assert "ix_records_lender_active_status" in plan and "TEMP B-TREE" not in plan, plan
        assert len(db.session.execute(text(forced)).all()) == 3
        return
    for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
        db.session.execute(text(f"SET LOCAL {setting} = off"))
    plan = "\n".join(db.session.scalars(text("EXPLAIN " + sql)))
    assert "Index" in plan and "Sort" not in plan, plan
    db.session.rollback()
