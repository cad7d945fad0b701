"""The new-request form's patron picker in Chromium: suggestions while typing,
a scanned card + Enter picks the patron without submitting the request, the
request is linked; and the patron pages as a user sees them (screenshots)."""
from __future__ import annotations

import re

import pytest
from browser_helpers import log_in
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Record
from portal.services.patrons import create_patron

from conftest import ARTIFACTS

pytestmark = pytest.mark.browser


@pytest.fixture
def patrons(world):
    create_patron(world.user("R"), {"number": "CARD-7781", "name": "山田 花子", "group": "graduate",
                                    "email": "hanako@example.jp", "mobile": "090-1234-5678",
                                    "sms_consent": {"method": "counter"}})
    create_patron(world.user("R"), {"number": "CARD-7782", "name": "山田 次郎", "group": "faculty", "language": "en"})
    create_patron(world.user("R"), {"number": "CARD-9000", "name": "John Smith", "group": "external", "language": "en"})


def test_scanned_card_and_enter_picks_the_patron(world, patrons, live_server, new_page):
    page = new_page()
    log_in(page, live_server, "user_r")
    page.goto(live_server + "/records/new")
    lookup = page.locator("#patron-lookup")
    expect(lookup).to_be_focused()
    lookup.press_sequentially("山田")
    expect(page.locator("#patron-suggestions li")).to_have_count(2)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "patron-picker-suggestions.png"))
    lookup.fill("CARD-7781")  # what a card scanner types, then Enter
    lookup.press("Enter")
    expect(page.locator(".patron-picked")).to_contain_text("山田 花子")
    expect(page).to_have_url(live_server + "/records/new")  # the request form was not submitted
    expect(page.locator("#f-client_name")).to_have_value("山田 花子")
    expect(page.locator("#f-client_type")).to_have_value("大学院生")
    page.screenshot(path=str(ARTIFACTS / "patron-picker-picked.png"))
    assert db.session.scalar(db.select(db.func.count(Record.id))) == 0

    page.locator("#f-title").fill("図書館雑誌")
    page.locator("select[name=candidate_library]").first.select_option("L1")
    page.get_by_role("button", name="Order now").click()
    expect(page).to_have_url(re.compile(r"/records/\d+$"))
    expect(page.locator(".record-patron")).to_contain_text("CARD-7781")
    db.session.expire_all()
    record = db.session.scalars(db.select(Record)).one()
    assert record.patron.number == "CARD-7781" and record.client_type == "大学院生"


def test_clicking_a_suggestion_picks_it(world, patrons, live_server, new_page):
    page = new_page()
    log_in(page, live_server, "user_r")
    page.goto(live_server + "/records/new")
    page.locator("#patron-lookup").press_sequentially("smith")
    page.locator("#patron-suggestions a", has_text="John Smith").click()
    expect(page.locator(".patron-picked")).to_contain_text("CARD-9000")
    expect(page.locator("#f-client_name")).to_have_value("John Smith")
    page.get_by_role("link", name="Choose another patron").click()
    expect(page.locator("#patron-lookup")).to_be_visible()


def test_patron_pages_in_japanese(world, patrons, live_server, new_page):
    page = new_page(locale="ja-JP")
    log_in_ja(page, live_server)
    page.goto(live_server + "/patrons")
    expect(page.locator("table.patron-list tbody tr")).to_have_count(3)
    page.screenshot(path=str(ARTIFACTS / "patron-list.png"), full_page=True)
    page.locator("#patron-q").press_sequentially("次郎")
    expect(page.locator("table.patron-list tbody tr")).to_have_count(1)
    page.locator("#patron-q").fill("CARD-7781")
    page.locator("#patron-q").press("Enter")
    expect(page).to_have_url(live_server + "/patrons/CARD-7781")
    page.get_by_role("button", name="撤回を記録").click()
    expect(page.locator("#consent")).to_contain_text("同意なし")
    page.screenshot(path=str(ARTIFACTS / "patron-page.png"), full_page=True)
    page.goto(live_server + "/patrons/new")
    page.locator("#f-number").fill("N 1")
    page.locator("#f-mobile").fill("03-1234-5678")
    page.get_by_role("button", name="利用者を登録").click()
    expect(page.locator("#error-mobile")).to_contain_text("携帯電話番号")
    expect(page.locator("#f-number")).to_have_value("N 1")
    page.screenshot(path=str(ARTIFACTS / "patron-form-errors.png"), full_page=True)


def log_in_ja(page, base):
    page.goto(base + "/login")
    page.locator("input[name=username]").fill("user_r")
    page.locator("input[name=password]").fill("secret-pass-1")
    page.locator("form button[type=submit]").last.click()
    expect(page).to_have_url(base + "/")
