"""The two desk flows end to end in Chromium: a copy request and a loan."""
from __future__ import annotations

import re

import pytest
from browser_helpers import expect_status, log_in, open_command, open_record, run_command, submit
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_copy_flow(world, live_server, new_page):
    base = live_server
    requester = new_page()
    log_in(requester, base, "user_r")

    # the requester creates and orders a copy request
    requester.get_by_role("link", name="New request", exact=True).first.click()
    requester.get_by_label("Copy (複写)").check()
    requester.get_by_label("Title", exact=True).fill("日本図書館情報学会誌")
    requester.get_by_label("Article title").fill("相互貸借の現状")
    requester.get_by_label("Library, candidate 1").select_option("L1")
    requester.get_by_role("button", name="Order now").click()
    expect(requester).to_have_url(re.compile(r"/records/\d+$"))
    ill_id = requester.url.rsplit("/", 1)[1]
    expect_status(requester, "New request")

    # the lender receives it and inquires
    lender = new_page()
    log_in(lender, base, "user_l1")
    open_record(lender, ill_id)
    run_command(lender, "RECEIVE")
    expect_status(lender, "Processing")
    open_command(lender, "INQUIRE")
    expect(lender.locator(".command-form .notice")).to_contain_text("参照不完")
    lender.locator("#f-comment").fill("巻号をご確認ください")
    submit(lender, "INQUIRE")
    expect_status(lender, "New inquiry")

    # the requester reads the inquiry and answers
    requester.reload()
    expect_status(requester, "New inquiry")
    run_command(requester, "RECEIVE")
    expect_status(requester, "Inquiry")
    run_command(requester, "ANSWER", comment="62巻3号です")
    expect_status(requester, "Answer received")

    # the lender receives the answer and sends, with three fee groups; the total follows the typing
    lender.reload()
    run_command(lender, "RECEIVE")
    open_command(lender, "SEND")
    total = lender.locator("#fees-total")
    lender.locator("#fees-item-0").fill("A4")
    lender.locator("#fees-qty-0").press_sequentially("12")
    lender.locator("#fees-price-0").press_sequentially("30")
    expect(total).to_contain_text("360")
    lender.get_by_role("button", name="Add group").click()
    expect(lender.locator("#fees-item-1")).to_be_focused()
    lender.locator("#fees-item-1").press_sequentially("B4")
    lender.locator("#fees-qty-1").press_sequentially("3")
    lender.locator("#fees-price-1").press_sequentially("50")
    expect(total).to_contain_text("510")
    expect(lender.locator("#fees-charge-1")).to_contain_text("150")
    lender.get_by_role("button", name="Add group").click()
    lender.locator("#fees-item-2").press_sequentially("カラー")
    lender.locator("#fees-qty-2").press_sequentially("2")
    lender.locator("#fees-price-2").press_sequentially("100")
    expect(total).to_contain_text("710")
    lender.locator("#fees-base-fee").fill("")
    lender.locator("#fees-base-fee").press_sequentially("100")
    lender.locator("#fees-postage").fill("")
    lender.locator("#fees-postage").press_sequentially("140")
    expect(total).to_contain_text("950")
    submit(lender, "SEND")
    expect_status(lender, "Shipped")
    expect(lender.locator(".record table.fees .total")).to_contain_text("950")

    # the requester receives and confirms
    requester.reload()
    run_command(requester, "RECEIVE")
    expect_status(requester, "Arrival processing")
    run_command(requester, "OK")
    expect_status(requester, "Confirmed")
    expect(requester.locator(".timeline")).to_contain_text("62巻3号です")


def test_loan_flow(world, live_server, new_page):
    base = live_server
    record = world.record("ARRIVED", kind="loan")
    ill_id = record.ill_id
    requester, lender = new_page(), new_page()
    log_in(requester, base, "user_r")
    log_in(lender, base, "user_l1")

    open_record(requester, ill_id)
    run_command(requester, "BORROW")
    expect_status(requester, "On loan")
    run_command(requester, "RENEW", comment="更新をお願いします")
    expect_status(requester, "Renewal requested")

    open_record(lender, ill_id)
    run_command(lender, "RECEIVE")
    expect_status(lender, "Return processing")
    expect(lender.locator(".record-head")).to_contain_text("Renewal handling")
    run_command(lender, "CLAIM", comment="更新可 (renewal granted)", due="2030-03-31")
    expect_status(lender, "Return claim")

    requester.reload()
    run_command(requester, "RECEIVE")
    expect_status(requester, "On loan")
    expect(requester.locator("#record")).to_contain_text("Mar 31, 2030")
    run_command(requester, "SENDBACK")
    expect_status(requester, "Returned (in transit)")

    lender.reload()
    run_command(lender, "RECEIVE")
    expect_status(lender, "Return processing")
    run_command(lender, "OK")
    expect_status(lender, "Return confirmed")
