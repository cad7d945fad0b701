"""The desk by keyboard in Chromium: Enter in fee fields, focus after every swap, stale tabs,
shortcuts, and a bulk send done without the mouse."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from browser_helpers import expect_status, log_in, open_command, open_record, run_command
from portal.extensions import db
from portal.models import Record
from portal.services.settings import save_fee_default

pytestmark = pytest.mark.browser


def fresh(record) -> Record:
    db.session.expire_all()
    return db.session.get(Record, record.id)


@pytest.mark.parametrize("field", ["#fees-qty-0", "#fees-postage", "#f-date_sent"])
def test_enter_in_a_fee_or_date_field_runs_send_and_keeps_fee_group_1(world, live_server, new_page, field):
    record = world.record("PROCESSING")
    page = new_page()
    log_in(page, live_server, "user_l1")
    open_record(page, record.ill_id)
    open_command(page, "SEND")
    page.locator("#fees-item-0").fill("A4")
    page.locator("#fees-qty-0").fill("12")
    page.locator("#fees-price-0").fill("30")
    page.locator(field).press("Enter")
    expect(page.locator("#record .message--success")).to_contain_text("SEND")
    expect_status(page, "Shipped")
    sent = fresh(record)
    assert [(g.item, g.quantity) for g in sent.fee_groups] == [("A4", 12)]


def test_enter_in_a_fee_default_saves_them_and_keeps_group_1(world, live_server, new_page):
    save_fee_default(world.libraries["L1"], "copy", [{"item": "A4", "quantity": 10, "unit_price": "35"}], "100", "140")
    page = new_page()
    log_in(page, live_server, "user_l1")  # the World's L1 user is its manager
    page.goto(live_server + "/settings")
    quantity = page.locator("#default-copy-qty-0")
    quantity.fill("11")
    quantity.press("Enter")
    expect(page.locator(".message--success")).to_contain_text("Fee defaults saved.")
    expect(page.locator("#default-copy-item-0")).to_have_value("A4")
    expect(page.locator("#default-copy-qty-0")).to_have_value("11")


def test_focus_goes_to_the_next_command_after_a_command_and_to_the_first_invalid_field(world, live_server, new_page):
    record = world.record("PROCESSING")
    page = new_page()
    log_in(page, live_server, "user_l1")
    open_record(page, record.ill_id)
    open_command(page, "PARDON")
    expect(page.locator("#f-comment")).to_be_focused()
    page.get_by_role("button", name="Run PARDON").click()  # a comment is required
    expect(page.locator("#f-comment")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-comment")).to_be_focused()
    page.keyboard.type("未所蔵")
    page.keyboard.press("Tab")
    run_command(page, "INQUIRE", comment="巻号をご確認ください")
    expect(page.locator("#first-command")).to_be_focused()


def test_a_field_clicked_right_after_the_form_appears_keeps_the_focus_and_the_typing(world, live_server, new_page):
    """The desk clicks into fee group 1 the moment the SEND form is shown: the portal's own
    focus move must not come later and send the typing into another field."""
    record = world.record("PROCESSING")
    page = new_page()
    log_in(page, live_server, "user_l1")
    open_record(page, record.ill_id)
    # the user's click, as early as a user can: the task right after the swap, before htmx settles
    page.evaluate("""() => document.body.addEventListener("htmx:afterSwap", (event) => {
        if (event.target.id === "command-form") setTimeout(() => document.getElementById("fees-item-0").focus(), 0);
    })""")
    open_command(page, "SEND")
    page.wait_for_timeout(100)  # well past htmx's 20 ms settle delay
    expect(page.locator("#fees-item-0")).to_be_focused()
    page.keyboard.type("A4")
    expect(page.locator("#fees-item-0")).to_have_value("A4")


def test_new_request_errors_put_the_focus_on_the_first_invalid_field(world, live_server, new_page):
    page = new_page()
    log_in(page, live_server, "user_r")
    page.goto(live_server + "/records/new")
    page.get_by_role("button", name="Order now").click()
    expect(page.locator("#new-request [aria-invalid=true]").first).to_be_focused()


def test_a_stale_tab_shows_the_record_as_it_is_now(world, live_server, new_page):
    record = world.record("PROCESSING")
    page = new_page()
    log_in(page, live_server, "user_l1")
    open_record(page, record.ill_id)
    open_command(page, "PARDON")
    page.locator("#f-comment").fill("未所蔵")
    world.run("L1", record, "INQUIRE", comment="巻号をご確認ください")  # meanwhile, in another tab
    page.get_by_role("button", name="Run PARDON").click()
    expect(page.locator("#record .conflict")).to_be_visible()
    expect_status(page, "New inquiry")
    expect(page.locator(".commands")).not_to_contain_text("PARDON")
    expect(page.locator(".timeline")).to_contain_text("巻号をご確認ください")
    expect(page.locator("#first-command")).to_be_focused()
    assert fresh(record).status == "NEW_INQUIRY"


def test_shortcuts_reach_the_search_box_the_scan_field_and_the_commands(world, live_server, new_page):
    record = world.record("PROCESSING")
    page = new_page()
    log_in(page, live_server, "user_l1")
    page.goto(live_server + "/bulk/send")
    page.locator("#leave-bulk").focus()
    page.keyboard.press("Alt+Shift+S")  # the header's search box
    expect(page.locator("#global-search")).to_be_focused()
    page.keyboard.press("Alt+Shift+I")  # the scan field
    expect(page.locator("#scan-input")).to_be_focused()
    page.locator("#leave-bulk").focus()
    page.keyboard.press("/")  # "/" outside a text field: the search box too
    expect(page.locator("#global-search")).to_be_focused()
    open_record(page, record.ill_id)
    page.wait_for_load_state()
    page.keyboard.press("Alt+Shift+C")  # the first command
    expect(page.locator("#first-command")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#command-form-title")).to_be_visible()


def test_keyboard_only_bulk_send_three_scans_print_and_scan_the_next(world, live_server, new_page):
    save_fee_default(world.libraries["L1"], "copy", [{"item": "A4", "quantity": 10, "unit_price": "35"}], "100", "140")
    records = [world.record("PROCESSING") for _ in range(4)]
    ids = [r.ill_id for r in records]
    page = new_page()
    log_in(page, live_server, "user_l1")
    page.goto(live_server + "/bulk/send")
    expect(page.locator("#scan-input")).to_be_focused()
    for ill_id in ids[:3]:
        page.keyboard.type(ill_id)
        page.keyboard.press("Enter")
    expect(page.locator(".scan-count")).to_have_text("Scanned: 3")
    # to "Send + print" by keyboard: the shortcut to the run buttons, then Tab to the second
    page.keyboard.press("Alt+Shift+R")
    expect(page.locator("#bulk-form button[value=run]")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#bulk-form button[value=run_print]")).to_be_focused()
    with page.expect_popup() as popup:
        page.keyboard.press("Enter")
    expect(page.locator(".bulk-summary")).to_contain_text("3 done, 0 failed.")
    popup.value.close()
    page.bring_to_front()
    expect(page.locator("#scan-input")).to_be_focused()
    page.keyboard.type(ids[3])
    page.keyboard.press("Enter")
    expect(page.locator(f"#check-{ids[3]}")).to_be_checked()
    expect(page.locator(".scan-count")).to_have_text("Scanned: 1")
    for record in records[:3]:
        assert fresh(record).status == "SHIPPED"
    assert re.fullmatch(r"/bulk/slips/shipping/[\w-]+\.pdf", page.locator("#slips-link").get_attribute("href"))  # a batch id
