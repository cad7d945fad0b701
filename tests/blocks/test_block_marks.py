"""The block mark beside a blocked partner or patron wherever the name is listed: search results,
work lists, the record page, the new-request candidates and patron picker, the notice lists.
One query for all the rows of a page, never one per row; and only what the library may see."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).parents[1] / "web"))
sys.path.insert(0, str(Path(__file__).parents[1] / "notices"))

from blocks_helpers import block  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.services.patrons import create_patron  # noqa: E402
from web_helpers import Desk  # noqa: E402


@pytest.fixture
def desk(client):
    return Desk(client)


def row_of(html: str, text: str) -> str:
    """The table row that holds `text`."""
    before, after = html.split(text, 1)
    return before[before.rindex("<tr"):] + text + after[:after.index("</tr>")]


class Statements:
    """The SQL a request sends (the app's engine), to count the block lookups of a page."""

    def __init__(self):
        self.seen: list[str] = []

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.seen.append(statement)

    def on_blocks(self) -> int:
        return sum(1 for s in self.seen if "FROM blocks" in s)


def lent_by(world, lenders):
    """One record of R's in PROCESSING at each lender."""
    return {code: world.record("PROCESSING", candidates=(code,)) for code in lenders}


def test_search_results_and_work_lists_mark_the_blocked_partner(world, desk):
    records = lent_by(world, ["L1", "L2"])
    block(world, "R", library="L1", note="late")
    desk.as_user("R")
    for url in ("/search?all=1", "/?status=waiting"):
        html = desk.get(url).get_data(as_text=True)
        assert "block-mark" in row_of(html, records["L1"].ill_id), url
        assert "block-mark" not in row_of(html, records["L2"].ill_id), url
    fragment = desk.get("/search?all=1", htmx=True).get_data(as_text=True)
    assert "<html" not in fragment and "block-mark" in row_of(fragment, records["L1"].ill_id)


@pytest.mark.parametrize("url", ["/search?all=1", "/", "/patrons", "/notices"])
def test_one_block_query_per_page_however_many_rows(world, desk, url):
    from notices_helpers import make_patron, record_for

    for number in range(6):
        patron = make_patron(world, number=f"P{number:03}", name=f"利用者 {number}", mobile=None,
                             email=f"p{number}@example.jp")
        record = record_for(world, patron, "SHIPPED", kind="copy", candidates=(("L1", "L2", "L3")[number % 3],))
        world.run("R", record, "RECEIVE")  # ARRIVED: in R's work list, with an ARRIVED notice
    desk.as_user("R")
    desk.get(url)  # first use seeds the code tables
    db.session.expire_all()  # the tests share one session: each measured request loads the same rows afresh
    with Statements() as plain:
        desk.get(url)
    for code in ("L1", "L2", "L3"):
        block(world, "R", library=code)
    for number in range(6):
        block(world, "R", patron=f"P{number:03}")
    db.session.expire_all()
    with Statements() as blocked:
        html = desk.get(url).get_data(as_text=True)
    assert html.count("block-mark") >= 3
    assert 1 <= blocked.on_blocks() <= 2  # the header's and the rows' marks: one query each, not one per row
    assert len(blocked.seen) == len(plain.seen)  # blocks on every row cost no further query


def test_the_record_page_marks_a_blocked_patron_for_the_requester_only(world, desk, app):
    patron = create_patron(world.user("R"), {"number": "P001", "name": "山田 花子"})
    record = world.record("PROCESSING", candidates=("L1",))
    record.patron_id = patron.id
    db.session.commit()
    desk.as_user("R")
    assert "block-mark" not in desk.get(f"/records/{record.ill_id}").get_data(as_text=True).split(
        'class="record-patron"')[1].split("</dd>")[0]
    block(world, "R", patron="P001")
    page = desk.get(f"/records/{record.ill_id}").get_data(as_text=True)
    assert "block-mark" in page.split('class="record-patron"')[1].split("</dd>")[0]
    lender = Desk(app.test_client()).as_user("L1")
    seen = lender.get(f"/records/{record.ill_id}").get_data(as_text=True)
    assert "record-patron" not in seen and "山田 花子" not in seen.split("OMLID")[1].split("CLNT")[0]


def test_new_request_candidates_name_the_lenders_the_library_blocks(world, desk):
    block(world, "R", library="L1")
    desk.as_user("R")
    form = desk.get("/records/new").get_data(as_text=True)
    option = form.split('value="L1"')[1].split("</option>")[0]
    assert "自館がブロック中" in option
    assert "自館がブロック中" not in form.split('value="L2"')[1].split("</option>")[0]
    desk.post("/language", {"language": "en", "next": "/"})
    form = desk.get("/records/new").get_data(as_text=True)
    assert "blocked by your library" in form.split('value="L1"')[1].split("</option>")[0]


def test_the_patron_picker_marks_and_warns_about_a_blocked_patron(world, desk):
    create_patron(world.user("R"), {"number": "P001", "name": "山田 花子"})
    create_patron(world.user("R"), {"number": "P002", "name": "山田 太郎"})
    block(world, "R", patron="P001")
    desk.as_user("R")
    suggestions = desk.get("/patrons/lookup?q=山田", htmx=True).get_data(as_text=True)
    assert "block-mark" in suggestions.split('<span class="mono">P001')[1].split("</li>")[0]
    assert "block-mark" not in suggestions.split('<span class="mono">P002')[1].split("</li>")[0]
    picked = desk.get("/patrons/lookup?pick=P001", htmx=True).get_data(as_text=True)
    assert "block-mark" in picked and "この利用者は自館によりブロックされています" in picked
    assert "/patrons/P001#blocks" in picked
    other = desk.get("/patrons/lookup?pick=P002", htmx=True).get_data(as_text=True)
    assert "block-mark" not in other and "patron-blocked" not in other


def test_another_library_sees_only_network_blocks_marked(world, desk):
    records = {"X": world.record("PROCESSING", requester="X", candidates=("L1",)),
               "X2": world.record("PROCESSING", requester="X", candidates=("L2",))}
    block(world, "R", library="L1", definition="SUSPENDED")  # R's own view only
    block(world, "R", library="L2", definition="LATE_RETURNS")  # a network block: partners see it
    create_patron(world.user("R"), {"number": "P001", "name": "山田 花子"})
    block(world, "R", patron="P001")
    desk.as_user("X")
    html = desk.get("/?status=waiting").get_data(as_text=True)
    assert "block-mark" not in row_of(html, records["X"].ill_id)
    assert "block-mark" in row_of(html, records["X2"].ill_id)
    create_patron(world.user("X"), {"number": "P001", "name": "同番号 別人"})
    assert "block-mark" not in desk.get("/patrons").get_data(as_text=True)


def test_bulk_rows_mark_the_blocked_partner_with_one_query_for_the_page(world, desk):
    lent = {code: world.record("PROCESSING", candidates=(code,)) for code in ("L1", "L2", "L3")}
    blocked_one = world.record("PROCESSING", candidates=("L2",))
    block(world, "R", library="L2", note="late returns")
    desk.as_user("R")
    # R's arrivals mode lists what its lenders shipped
    for code, record in {**lent, "L2b": blocked_one}.items():
        world.run(code[:2], record, "SEND", fees={"groups": [], "base_fee": "0", "postage": "0"})
    desk.get("/bulk/receive?side=requester")
    db.session.expire_all()
    with Statements() as seen:
        html = desk.get("/bulk/receive?side=requester").get_data(as_text=True)
    assert "block-mark" in row_of(html, lent["L2"].ill_id) and "block-mark" in row_of(html, blocked_one.ill_id)
    assert "block-mark" not in row_of(html, lent["L1"].ill_id) and "block-mark" not in row_of(html, lent["L3"].ill_id)
    assert seen.on_blocks() == 1
    # a scan brings its row with the mark too
    fragment = desk.post("/bulk/arrive/scan", [("ill_id", lent["L2"].ill_id)], htmx=True).get_data(as_text=True)
    assert "block-mark" in fragment.split('class="scan-row"')[1]


def test_the_record_statement_reads_the_block_marks_blocked_partner_ids_gives(world):
    """The record page reads its parties' and candidates' marks with the record (one text column of
    its statement): for every library looking, the same set as blocked_partner_ids, through own and
    network blocks, and never a lifted, expired or not yet started block, nor the library itself."""
    from datetime import timedelta

    from sqlalchemy import select

    from portal.models import Record
    from portal.models.types import utcnow
    from portal.services import portal_today
    from portal.services.blocks import blocked_parties_column, blocked_partner_ids, ids_of_text
    from blocks_helpers import set_definition

    record = world.record("PROCESSING", candidates=("L1", "L2", "L3"))
    today = portal_today()
    block(world, "R", library="L1")  # R's own block on its lender
    set_definition(world, "SUSPENDED", "L2", network_block=True)
    block(world, "L2", library="L3")  # a network block: every library sees L3 blocked
    block(world, "L3", library="R")  # L3's own block on the requester: only L3 sees it
    lifted, expired, later = (block(world, "R", library="L2") for _ in range(3))
    lifted.lifted_at = utcnow()
    expired.expires = today
    later.starts = today + timedelta(days=1)
    db.session.commit()

    record = db.session.get(Record, record.id)
    parties = [record.requester_id, record.lender_id] + [c.library_id for c in record.candidates]
    seen = {}
    for code, library in world.libraries.items():
        text = db.session.scalar(select(blocked_parties_column(library.id, today)).where(Record.id == record.id))
        seen[code] = ids_of_text(text)
        assert seen[code] == blocked_partner_ids(library.id, parties), code
    ids = {code: library.id for code, library in world.libraries.items()}
    assert seen["R"] == {ids["L1"], ids["L3"]}
    assert seen["L3"] == {ids["R"]}  # its own block on R; the network block on itself is not its mark
    assert seen["L1"] == {ids["L3"]}
