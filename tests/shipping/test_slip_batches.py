"""A big slip batch split over helper processes and joined: same pages, same order, read back."""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import Future

from concurrent.futures.process import BrokenProcessPool

import pytest

from shipping_helpers import decode_barcodes, need, pdf_pages, pdf_text
from portal.services import slip_pdf, slip_pool
from portal.services.slips import render_slips
from web.web_helpers import Desk

BIG = slip_pdf.SPLIT_FROM + 3


@pytest.fixture(autouse=True)
def fresh_helpers():
    """Each test starts without helpers and leaves none behind (some stop or kill them)."""
    slip_pool.discard()
    yield
    slip_pool.discard()


def helper_pids(pool) -> list[int]:
    return list(pool._processes)


def ready_pool():
    slip_pool.warm_up(1, wait=True)
    pool = slip_pool._executor
    assert pool is not None and len(helper_pids(pool)) == 1
    return pool


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a killed child not yet reaped is a zombie: gone
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


def wait_until(condition, seconds: float = 20.0) -> bool:
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


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
    from pypdf import PdfReader

    app.config["SLIP_PROCESSES"] = 1
    ready_pool()  # started as a bulk page starts it: the batch's own deadline is for rendering
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
    assert PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Lang"] == "ja"  # kept from the first part


def test_a_split_batch_matches_the_same_batch_rendered_in_one_process(app, world, caplog):
    records = shipped(world, BIG)
    app.config["SLIP_PROCESSES"] = 0
    alone = render_slips(world.user("L1"), records, "shipping")
    app.config["SLIP_PROCESSES"] = 1
    ready_pool()
    split = render_slips(world.user("L1"), records, "shipping")
    assert "slip helper" not in caplog.text.lower()  # the helper rendered the second part
    assert pdf_pages(split) == pdf_pages(alone) == BIG
    assert pdf_text(split) == pdf_text(alone)


def test_a_pool_broken_before_the_batch_still_prints_it_all_and_is_replaced(app, world, caplog):
    app.config["SLIP_PROCESSES"] = 1
    records = shipped(world, BIG)
    broken = ready_pool()
    with pytest.raises(BrokenProcessPool):
        broken.submit(os._exit, 1).result()  # a helper dies (as if killed by the OOM killer)
    pdf = render_slips(world.user("L1"), records, "shipping")  # its part is rendered here instead
    assert "Slip helpers unavailable" in caplog.text
    assert_pages_in_order(pdf, records)
    assert slip_pool._pool(1) is not broken  # the next batch gets fresh helpers
    assert_pages_in_order(render_slips(world.user("L1"), records, "shipping"), records)


def test_a_helper_killed_while_its_part_waits_leaves_the_part_to_this_process(app, world, caplog):
    app.config["SLIP_PROCESSES"] = 1
    records = shipped(world, BIG)
    pid, = helper_pids(ready_pool())
    os.kill(pid, signal.SIGSTOP)  # it takes the part, then dies before it answers
    threading.Timer(0.5, os.kill, (pid, signal.SIGKILL)).start()
    pdf = render_slips(world.user("L1"), records, "shipping")
    assert "A slip helper failed" in caplog.text
    assert_pages_in_order(pdf, records)


def test_a_helper_that_does_not_answer_is_killed_and_its_part_rendered_here(caplog):
    from portal.services.slips import sample_html

    pool = ready_pool()
    pid, = helper_pids(pool)
    os.kill(pid, signal.SIGSTOP)
    started = time.monotonic()
    pdf = slip_pdf.render([sample_html(), sample_html().replace("1000000001", "1000000002")], "A5", 1, timeout=1.0)
    assert time.monotonic() - started < 10
    assert "did not answer in time" in caplog.text
    assert pdf_pages(pdf) == 2 and "1000000002" in pdf_text(pdf, page=2)
    assert wait_until(lambda: not alive(pid)), "the stuck helper was left running"
    assert slip_pool._executor is None and slip_pool._pool(1) is not pool


def test_a_late_failure_of_an_old_pool_leaves_the_new_pool_and_its_work_alone():
    old = slip_pool._pool(1)
    slip_pool._failed(old)  # one request finds its pool broken
    new = slip_pool._pool(1)
    pending = new.submit(int, "5")  # another request's part
    slip_pool._failed(old)  # the first request's next part fails too, later
    assert slip_pool._executor is new and pending.result(timeout=60) == 5
    cancelled = Future()
    cancelled.cancel()
    assert slip_pool.result(new, cancelled, time.monotonic() + 1) is None  # rendered here, no error


def test_helpers_rest_after_failing_again_and_again(caplog):
    for _ in range(slip_pool.MAX_FAILURES):
        slip_pool._failed(slip_pool._pool(1))
    assert "batches render in the calling process" in caplog.text
    assert slip_pool._pool(1) is None  # no respawning for every batch
    assert slip_pool.submit(["<p>x</p>"], "A5", 1) == (None, [None])


def test_helpers_exit_when_their_web_worker_is_killed(tmp_path):
    worker = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import time
        from portal.services import slip_pool
        slip_pool.warm_up(1, wait=True)
        print(*slip_pool._executor._processes, flush=True)
        time.sleep(600)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(pid) for pid in worker.stdout.readline().split()]
        assert pids and all(alive(pid) for pid in pids)
    finally:
        worker.kill()  # SIGKILL: no exit handler of the worker runs
        worker.wait()
        worker.stdout.close()
    assert wait_until(lambda: not any(alive(pid) for pid in pids)), "orphaned slip helpers"


def test_the_sample_slip_that_warms_a_helper_up_is_a_whole_slip(tmp_path):
    from portal.services.slips import sample_html

    pdf = slip_pdf.pdf_from_html(sample_html(), slip_pdf.DEFAULT_SIZE)
    assert pdf_pages(pdf) == 1
    assert "発送票" in pdf_text(pdf) and "¥600" in pdf_text(pdf)
    assert decode_barcodes(pdf, tmp_path) == ["1000000001"]


def test_opening_a_bulk_page_that_prints_starts_the_helpers(app, world, client):
    app.config["SLIP_PROCESSES"] = 1
    desk = Desk(client).as_user("L1")
    assert desk.get("/bulk/send").status_code == 200
    pool = slip_pool._executor
    assert pool is not None and pool.submit(int, "7").result(timeout=60) == 7


def test_a_bulk_page_starts_no_helpers_when_they_are_off(app, world, client):
    app.config["SLIP_PROCESSES"] = 0
    desk = Desk(client).as_user("L1")
    assert desk.get("/bulk/send").status_code == 200
    assert slip_pool._executor is None


def test_joined_parts_never_share_a_font_name():
    from pypdf import PdfReader

    one = slip_pdf.pdf_from_html('<p class="k">発送票</p>', "A5")

    def font_tag(number: int) -> str:
        reader = PdfReader(io.BytesIO(one))
        if number:
            slip_pdf.retag_fonts(reader, number)
        font = next(iter(reader.pages[0]["/Resources"]["/Font"].values())).get_object()
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        assert str(font["/BaseFont"]) == str(descriptor["/FontName"])  # renamed together
        return str(font["/BaseFont"])

    numbers = [0, 1, 2, 25, 26, 27, 300, 675]
    assert len({font_tag(number) for number in numbers}) == len(numbers)
