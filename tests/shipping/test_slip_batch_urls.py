""""… + print" on a big bulk page: the slips' URL stays short (the batch is kept under a short
id), the PDF has every row in order, and only the batch's library can open it."""
from __future__ import annotations

import re

import pytest

from portal.extensions import db
from portal.models import SlipBatch
from shipping_helpers import pdf_pages, pdf_text
from web.web_helpers import Desk

ROWS = 370  # the page that once built a 4.5 kB slip URL: gunicorn refuses request lines over 4094 bytes


@pytest.fixture
def lender(world, client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return Desk(client).as_user("L1")


def receive_with_print(desk, ids):
    data = [("action", "run_print")] + [(name, i) for i in ids for name in ("row", "ill_id")]
    response = desk.post("/bulk/receive/run", data, htmx=True)
    html = response.get_data(as_text=True)
    return response, html, re.search(r'id="slips-link" class="[^"]*" href="([^"]+)"', html).group(1)


def test_a_run_of_370_rows_prints_from_a_short_url(world, lender):
    records = [world.record("UNPROCESSED") for _ in range(ROWS)]
    ids = [r.ill_id for r in records]
    response, html, url = receive_with_print(lender, ids)
    assert f"{ROWS} done, 0 failed." in html
    assert len(url) < 60 and re.fullmatch(r"/bulk/slips/receipt/[\w-]{12}\.pdf", url)
    assert url in response.headers["HX-Trigger-After-Settle"]  # the page opens it
    pdf = lender.get(url)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf_pages(pdf.data) == ROWS
    for page in (1, 2, ROWS // 2, ROWS):
        assert ids[page - 1] in pdf_text(pdf.data, page=page)  # row order
    assert db.session.scalar(db.select(db.func.count()).select_from(SlipBatch)) == 1


def test_a_batch_opens_only_for_its_own_library_and_kind(world, lender, app):
    record = world.record("UNPROCESSED")
    _, _, url = receive_with_print(lender, [record.ill_id])
    assert lender.get(url).status_code == 200
    other = Desk(app.test_client()).as_user("L2")
    assert other.get(url).status_code == 404  # not theirs: as if it did not exist
    assert lender.get(url.replace("/receipt/", "/shipping/")).status_code == 404
    assert lender.get(url.replace("/receipt/", "/invoice/")).status_code == 404
    assert lender.get("/bulk/slips/receipt/nosuchbatch1.pdf").status_code == 404
    assert lender.get("/bulk/slips/receipt/" + "x" * 300 + ".pdf").status_code == 404
    assert Desk(app.test_client()).get(url).status_code == 302  # log-in first
