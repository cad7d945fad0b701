"""A big slip batch split over helper processes and joined: same pages, same order, read back."""
from __future__ import annotations

import os
import subprocess

from concurrent.futures.process import BrokenProcessPool

import pytest

from shipping_helpers import decode_barcodes, need, pdf_pages, pdf_text
from portal.services import slip_pdf, slip_pool
from portal.services.slips import render_slips
from web.web_helpers import Desk

BIG = slip_pdf.SPLIT_FROM + 3


def shipped(world, count):
    return [world.record("SHIPPED", kind="loan" if i % 3 == 2 else "copy") for i in range(count)]


def font_names(pdf: bytes) -> list[str]:
    out = subprocess.run([need("pdffonts"), "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return [line.split()[0] for line in out.splitlines()[2:] if line.strip()]


def assert_pages_in_order(pdf: bytes, records) -> None:
    assert pdf_pages(pdf) == len(records)
    for page, record in enumerate(records, start=1):
        text = pdf_text(pdf, page=page)
        assert record.ill_id in text, page
        assert all(other.ill_id not in text for other in records if other is not record), page


@pytest.mark.parametrize("count, processes, sizes", [
    (slip_pdf.SPLIT_FROM - 1, 3, [slip_pdf.SPLIT_FROM - 1]),  # small: one part, here
    (20, 0, [20]),  # no helpers: one part
    (20, 1, [10, 10]),
    (21, 1, [11, 10]),
    (20, 3, [5, 5, 5, 5]),
    (slip_pdf.SPLIT_FROM, 100, [1] * slip_pdf.SPLIT_FROM),  # never an empty part
])
def test_parts_are_contiguous_in_order_and_cover_the_batch(count, processes, sizes):
    items = list(range(count))
    parts = slip_pdf.parts(items, processes)
    assert [len(part) for part in parts] == sizes
    assert [item for part in parts for item in part] == items


def test_a_split_batch_is_one_pdf_with_every_slip_in_order(app, world, tmp_path, caplog):
    app.config["SLIP_PROCESSES"] = 1
    records = shipped(world, BIG)
    order = records[::-1]
    pdf = render_slips(world.user("L1"), order, "shipping")
    assert "Slip helper" not in caplog.text and "slip helper" not in caplog.text  # a helper did render its part
    assert_pages_in_order(pdf, order)
    half = len(order) - len(order) // 2  # the first page the helper rendered
    for page in (1, half, half + 1, len(order)):
        assert decode_barcodes(pdf, tmp_path, page=page) == [order[page - 1].ill_id]
    info = subprocess.run([need("pdfinfo"), "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "発送票 ILL shipping slip" in info  # the title of the first part
    names = font_names(pdf)
    assert len(names) == 2 and len(set(names)) == 2, names  # each part's subset under its own name
    assert all(name.endswith("+Slip-Gothic") for name in names)


def test_a_split_batch_matches_the_same_batch_rendered_in_one_process(app, world):
    records = shipped(world, BIG)
    app.config["SLIP_PROCESSES"] = 0
    alone = render_slips(world.user("L1"), records, "shipping")
    app.config["SLIP_PROCESSES"] = 1
    split = render_slips(world.user("L1"), records, "shipping")
    assert pdf_pages(split) == pdf_pages(alone) == BIG
    assert pdf_text(split) == pdf_text(alone)


def test_a_broken_pool_still_prints_the_whole_batch_and_is_replaced(app, world):
    app.config["SLIP_PROCESSES"] = 1
    records = shipped(world, BIG)
    broken = slip_pool._pool(1)
    with pytest.raises(BrokenProcessPool):
        broken.submit(os._exit, 1).result()  # a helper dies (as if killed by the OOM killer)
    pdf = render_slips(world.user("L1"), records, "shipping")  # its part is rendered here instead
    assert_pages_in_order(pdf, records)
    assert slip_pool._pool(1) is not broken  # the next batch gets fresh helpers
    assert_pages_in_order(render_slips(world.user("L1"), records, "shipping"), records)


def test_the_sample_slip_that_warms_a_helper_up_is_a_whole_slip(tmp_path):
    from portal.services.slips import sample_html

    pdf = slip_pdf.pdf_from_html(sample_html(), slip_pdf.DEFAULT_SIZE)
    assert pdf_pages(pdf) == 1
    assert "発送票" in pdf_text(pdf) and "¥600" in pdf_text(pdf)
    assert decode_barcodes(pdf, tmp_path) == ["1000000001"]


def test_opening_a_bulk_page_that_prints_starts_the_helpers(app, world, client):
    app.config["SLIP_PROCESSES"] = 1
    slip_pool._discard()
    desk = Desk(client).as_user("L1")
    assert slip_pool._executor is None
    assert desk.get("/bulk/send").status_code == 200
    pool = slip_pool._executor
    assert pool is not None and pool.submit(int, "7").result(timeout=60) == 7
