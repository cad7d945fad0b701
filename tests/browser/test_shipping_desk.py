"""The shipping desk in Chromium: scanning into bulk send, fees, send + print, rapid scans.

Here rather than in tests/shipping so that it shares this folder's Chromium and live
server (conftest.py): a second Playwright in the same process cannot start."""
from __future__ import annotations

import os
import re
import subprocess
import time

import pytest
from playwright.sync_api import expect

from browser_helpers import log_in
from portal.services import slip_pdf, slip_pool
from portal.services.settings import save_fee_default
from portal.web import bulk as bulk_views
from shipping.shipping_helpers import need, pdf_text

pytestmark = pytest.mark.browser


def pdf_page_count(pdf: bytes) -> int:
    info = subprocess.run([need("pdfinfo"), "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


@pytest.fixture
def send_desk(world, live_server, new_page):
    save_fee_default(world.libraries["L1"], "copy", [{"item": "A4", "quantity": 10, "unit_price": "35"}], "100", "140")
    page = new_page()
    log_in(page, live_server, "user_l1")
    return page


def scan(page, ill_id: str) -> None:
    """What a barcode scanner does: type the digits into the focused field, then Enter."""
    page.keyboard.type(ill_id)
    page.keyboard.press("Enter")


def test_scan_three_change_a_fee_send_and_print(world, live_server, send_desk):
    page = send_desk
    records = [world.record("PROCESSING") for _ in range(3)]
    untouched = world.record("PROCESSING")
    ids = [r.ill_id for r in records]
    page.goto(live_server + "/bulk/send")
    expect(page.locator("#scan-input")).to_be_focused()
    for checkbox in page.locator("#bulk-rows input[name=ill_id]").all():
        expect(checkbox).not_to_be_checked()

    for ill_id in ids:
        scan(page, ill_id)
    expect(page.locator(".scan-count")).to_have_text("Scanned: 3")
    for ill_id in ids:
        expect(page.locator(f"#check-{ill_id}")).to_be_checked()
    expect(page.locator(f"#check-{untouched.ill_id}")).not_to_be_checked()
    expect(page.locator("#scan-input")).to_be_focused()
    expect(page.locator("#scan-input")).to_have_value("")

    # a rescan says so, and never unchecks
    scan(page, ids[1])
    expect(page.locator(".scan-msg").first).to_have_class(re.compile("scan-msg--already_scanned"))
    expect(page.locator(f"#check-{ids[1]}")).to_be_checked()
    scan(page, "1999999999")
    expect(page.locator(".scan-msg").first).to_have_class(re.compile("scan-msg--unknown_id"))
    expect(page.locator(".scan-msg").first).to_contain_text("No record has ILL ID 1999999999")

    # change one fee: the total follows
    total = page.locator(f"#total-{ids[2]}")
    expect(total).to_contain_text("590")
    postage = page.locator(f"input[name='r{ids[2]}.postage']")
    postage.fill("")
    postage.press_sequentially("200")
    expect(total).to_contain_text("650")

    with page.expect_popup() as popup:
        page.get_by_role("button", name="Send + print shipping slips").click()
    expect(page.locator(".bulk-summary")).to_contain_text("3 done, 0 failed.")
    for ill_id in ids:
        expect(page.locator(f"#row-{ill_id}")).to_have_count(0)
    expect(page.locator(f"#row-{untouched.ill_id}")).to_have_count(1)
    link = page.locator("#slips-link")
    url = link.get_attribute("href")
    assert popup.value.url.endswith(url)
    popup.value.close()

    response = page.request.get(live_server + url)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    assert pdf_page_count(pdf) == 3
    assert "¥650" in pdf_text(pdf, page=3) and ids[2] in pdf_text(pdf, page=3)
    page.bring_to_front()


def test_ten_rapid_scans_are_all_counted(world, live_server, send_desk, monkeypatch):
    page = send_desk
    records = [world.record("PROCESSING") for _ in range(10)]
    ids = [r.ill_id for r in records]
    page.goto(live_server + "/bulk/send")
    expect(page.locator("#scan-input")).to_be_focused()
    # A slow answer (a busy server) makes sure the scans outrun it and wait in htmx's queue.
    scan_many = bulk_views.scan_many
    monkeypatch.setattr(bulk_views, "scan_many", lambda *args: (time.sleep(0.3), scan_many(*args))[1])
    sent = []
    page.on("request", lambda request: sent.append(request.post_data) if request.url.endswith("/scan") else None)

    started = time.monotonic()
    for ill_id in ids:  # no waiting between scans, like a scanner in a hurry
        scan(page, ill_id)
    typed = time.monotonic() - started
    # Ten scans within two seconds; Playwright's keystrokes slow down only on an overloaded machine.
    assert typed < 2 or os.getloadavg()[0] > (os.cpu_count() or 1), typed

    expect(page.locator(".scan-count")).to_have_text("Scanned: 10")
    scanned = page.locator("#scan-state input[name=scanned]")
    expect(scanned).to_have_count(10)
    assert [scanned.nth(i).get_attribute("value") for i in range(10)] == ids  # none dropped, merged or reordered
    for ill_id in ids:
        expect(page.locator(f"#check-{ill_id}")).to_be_checked()
    expect(page.locator(".scan-msg--unknown_id")).to_have_count(0)
    expect(page.locator("#checked-count")).to_have_text("Checked: 10 of 10")
    carrying = [body for body in sent if "ill_id=" in body]
    assert len(carrying) < 10  # some requests carried several queued scans
    assert sum(body.count("ill_id=") for body in carrying) == 10  # each scan sent exactly once


def test_a_morning_of_twenty_scans_sends_and_prints_one_pdf_from_two_processes(world, app, live_server, send_desk,
                                                                                   caplog):
    """The whole desk with slip helpers on: the bulk page starts them, the batch is split
    between the (threaded) server and a helper, and the PDF comes back whole, in row order."""
    app.config["SLIP_PROCESSES"] = 1
    slip_pool.discard()
    page = send_desk
    records = [world.record("PROCESSING") for _ in range(slip_pdf.SPLIT_FROM + 4)]
    try:
        page.goto(live_server + "/bulk/send")
        assert slip_pool._executor is not None  # opening the page started the helper
        rows = [box.get_attribute("value") for box in page.locator("#bulk-rows input[name=ill_id]").all()]
        assert sorted(rows) == sorted(r.ill_id for r in records)
        for record in reversed(records):
            scan(page, record.ill_id)
        expect(page.locator(".scan-count")).to_have_text(f"Scanned: {len(records)}")
        with page.expect_popup() as popup:
            page.get_by_role("button", name="Send + print shipping slips").click()
        expect(page.locator(".bulk-summary")).to_contain_text(f"{len(records)} done, 0 failed.")
        popup.value.close()
        response = page.request.get(live_server + page.locator("#slips-link").get_attribute("href"))
        assert response.ok and response.headers["content-type"] == "application/pdf"
        pdf = response.body()
        assert pdf_page_count(pdf) == len(records)
        for number, ill_id in enumerate(rows, start=1):
            assert ill_id in pdf_text(pdf, page=number), number
        assert "slip helper" not in caplog.text.lower()  # the helper rendered its part
    finally:
        slip_pool.discard()
