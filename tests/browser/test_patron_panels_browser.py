"""The patron page in Chromium: the Blocks tab blocks the patron with a note and an expiry and
lifts the block with a reason; the Notices panel shows the patron's notices; the page passes axe
and does not scroll sideways on a phone."""
from __future__ import annotations

from datetime import timedelta

import pytest
from browser_helpers import log_in
from test_blocks_browser import log_in_ja
from test_accessibility import axe_script  # noqa: F401  (the fixture)
from playwright.sync_api import expect

from portal.extensions import db
from portal.services import portal_today
from portal.services.patrons import create_patron

pytestmark = pytest.mark.browser


def test_block_and_lift_from_the_patron_page(world, live_server, new_page, browser, axe_script):
    from test_accessibility import PHONE, axe_problems, sideways_scroll

    patron = create_patron(world.user("R"), {"number": "P001", "name": "山田 花子", "group": "graduate",
                                             "email": "hanako@example.jp"})
    record = world.record("SHIPPED", kind="copy", candidates=("L1",))
    record.patron_id = patron.id
    db.session.commit()
    world.run("R", record, "RECEIVE")  # queues the ARRIVED notice
    page = new_page()
    log_in(page, live_server, "user_r")
    page.goto(live_server + "/patrons/P001")
    notices = page.locator("#patron-notices")
    expect(notices).to_contain_text("Item arrived")  # the ARRIVED notice, under its name
    expect(notices).to_contain_text("hanako@example.jp")

    blocks = page.locator("#blocks")
    expect(blocks).to_contain_text("No blocks.")
    blocks.get_by_text("Block this patron").click()
    until = (portal_today() + timedelta(days=14)).isoformat()
    blocks.get_by_label("Block", exact=True).select_option("DISRUPTIVE")
    blocks.get_by_label("Expires on (empty: until lifted)").fill(until)
    blocks.get_by_label("Note").fill("閲覧室で大声 (noise)")
    blocks.get_by_role("button", name="Block", exact=True).click()
    expect(page.locator(".message--success")).to_contain_text("山田 花子 (P001)")
    expect(page).to_have_url(live_server + "/patrons/P001#blocks")
    row = page.locator("#blocks tbody tr").first
    expect(row).to_contain_text("DISRUPTIVE")
    expect(row).to_contain_text("閲覧室で大声 (noise)")
    expect(row).to_contain_text("active")
    expect(page.locator(".page-head .block-mark")).to_have_count(1)
    assert axe_problems(page, axe_script) == []

    row.get_by_label("Reason for lifting").fill("謝罪あり (apologised)")
    row.get_by_role("button", name="Lift").click()
    expect(page.locator(".message--success")).to_contain_text("Block lifted")
    row = page.locator("#blocks tbody tr").first
    expect(row).to_contain_text("謝罪あり (apologised)")
    expect(row).to_contain_text("lifted")
    expect(row.get_by_role("button", name="Lift")).to_have_count(0)
    expect(page.locator(".page-head .block-mark")).to_have_count(0)

    context = browser.new_context(viewport=PHONE, locale="ja-JP", is_mobile=True, has_touch=True)
    try:
        phone = context.new_page()
        log_in_ja(phone, live_server)
        phone.goto(live_server + "/patrons/P001")
        expect(phone.locator("#blocks")).to_contain_text("謝罪あり")
        phone.screenshot(path="test-artifacts/patron-page-phone.png", full_page=True)
        wide = phone.evaluate("""() => [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).map(e => e.tagName + '.' + e.className + '#' + e.id).slice(0, 15)""")
        assert sideways_scroll(phone) == 0, wide
        phone.screenshot(path="test-artifacts/patron-page-phone.png", full_page=True)
    finally:
        context.close()


def test_the_send_report_page_passes_axe(world, live_server, new_page, axe_script):
    from test_accessibility import axe_problems

    patron = create_patron(world.user("R"), {"number": "P002", "name": "佐藤 一郎", "email": "ichiro@example.jp"})
    record = world.record("SHIPPED", kind="copy", candidates=("L1",))
    record.patron_id = patron.id
    db.session.commit()
    world.run("R", record, "RECEIVE")
    page = new_page()
    log_in(page, live_server, "user_r")
    page.goto(live_server + "/notices")
    page.get_by_role("link", name="Send report").click()
    report = page.locator("#send-report")
    expect(report.locator("tr[data-type=ARRIVED][data-channel=email] [data-status=queued]")).to_have_text("1")
    expect(page.locator("#report-total")).to_have_text("1")
    assert axe_problems(page, axe_script) == []
