"""A blocked ORDER in Chromium: the refusal names the block, a manager overrides
it with a reason, and the record's history shows who did and why."""
from __future__ import annotations

import pytest
from browser_helpers import expect_status, log_in, open_command, open_record
from test_accessibility import axe_script  # noqa: F401  (the fixture)
from playwright.sync_api import expect

from portal.extensions import db
from portal.services.blocks import create_block
from portal.services.patrons import create_patron

pytestmark = pytest.mark.browser


def test_blocked_order_override_with_a_reason(world, live_server, new_page):
    patron = create_patron(world.user("R"), {"number": "P001", "name": "山田 花子", "group": "graduate"})
    record = world.record("PREPARING", candidates=("L1",))
    record.patron_id = patron.id
    db.session.commit()
    create_block(world.user("R"), {"patron": "P001", "definition": "SUSPENDED", "note": "罰金未納",
                                   "expires": "2099-01-31"})
    page = new_page()
    log_in(page, live_server, "user_r")
    open_record(page, record.ill_id)
    open_command(page, "ORDER")
    page.get_by_role("button", name="Run ORDER").click()
    refusal = page.locator(".command-form .message--error")
    expect(refusal).to_contain_text("山田 花子 (P001) is blocked (User is suspended)")
    expect(refusal).to_contain_text("罰金未納")
    expect(refusal).to_contain_text("2099")
    expect_status(page, "Preparing")
    reason = page.get_by_label("Reason for going ahead despite the block (kept in the history)")
    expect(refusal).to_be_focused()  # read out first; the reason field follows it
    reason.fill("学位論文の締切のため (thesis deadline)")
    page.get_by_role("button", name="Override and run ORDER").click()
    expect(page.locator("#record .message--success")).to_contain_text("ORDER")
    expect_status(page, "New request")
    history = page.locator("li.system", has_text="Block overridden")
    expect(history).to_contain_text("user_r")
    expect(history).to_contain_text("学位論文の締切のため (thesis deadline)")


def test_block_pages_pass_axe_and_fit_a_phone(world, live_server, browser, new_page, axe_script):
    from test_accessibility import PHONE, axe_problems, sideways_scroll

    patron = create_patron(world.user("R"), {"number": "P001", "name": "山田 花子"})
    create_block(world.user("R"), {"patron": patron.number, "definition": "SUSPENDED", "note": "罰金"})
    create_block(world.user("R"), {"library": "L1", "definition": "LATE_RETURNS", "note": "3 late"})
    from portal.services.blocks import daily_step
    from datetime import date
    daily_step(date.today())
    paths = ["/blocks", "/blocks?all=1", "/blocks/new", "/blocks/report", "/partners/L1", "/partners/R",
             "/patrons/P001/blocks", "/settings/blocks"]
    page = new_page()
    log_in(page, live_server, "user_r")
    problems = {}
    for path in paths:
        page.goto(live_server + path)
        problems[path] = axe_problems(page, axe_script)
    assert {p: found for p, found in problems.items() if found} == {}
    context = browser.new_context(viewport=PHONE, locale="ja-JP", is_mobile=True, has_touch=True)
    try:
        phone = context.new_page()
        log_in_ja(phone, live_server)
        wide = {}
        for path in paths:
            phone.goto(live_server + path)
            wide[path] = sideways_scroll(phone)
        assert {p: w for p, w in wide.items() if w > 0} == {}
    finally:
        context.close()


def log_in_ja(page, base):
    page.goto(base + "/login")
    page.locator("#username").fill("user_r")
    page.locator("#password").fill("secret-pass-1")
    page.locator("form button[type=submit]").last.click()
    expect(page).to_have_url(base + "/")
