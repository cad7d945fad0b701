"""The SMS editors in Chromium: the template editor counts characters and messages while typing
(GSM-7 for plain Latin text, UCS-2 once Japanese is typed, the footer in the template's language
counted too), refuses a text over 660 characters on save; a manual SMS goes through the
confirmation step before anything is queued."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from browser_helpers import log_in
from playwright.sync_api import expect

sys.path.insert(0, str(Path(__file__).parents[1] / "notices"))

from notices_helpers import make_patron, notices  # noqa: E402
from portal.services.notices.manage import sms_preview_count  # noqa: E402
from portal.services.notices.templates import library_templates  # noqa: E402
from portal.services.notices.worker import Worker  # noqa: E402

pytestmark = pytest.mark.browser


def expected(world, text: str, language: str):
    return sms_preview_count(world.libraries["R"], text, True, language)


def test_template_editor_counts_live_and_refuses_more_than_660(world, live_server, new_page):
    page = new_page()
    log_in(page, live_server, "user_r")
    page.goto(live_server + "/settings/notices/templates/ARRIVED/sms/en")
    body, count = page.get_by_role("textbox", name="Text", exact=True), page.locator("#sms-count")
    body.fill("")
    text = "Your ILL item is ready at the counter."
    body.press_sequentially(text, delay=5)
    want = expected(world, text, "en")
    assert want.encoding == "GSM-7" and want.segments == 1
    expect(count.locator(".sms-count__chars")).to_have_attribute("data-characters", str(want.characters))
    expect(count).to_contain_text("GSM-7")
    expect(count.locator(".sms-count__segments")).to_have_attribute("data-segments", "1")

    body.press_sequentially(" 届きました", delay=5)  # one Japanese word: the whole SMS is UCS-2
    text += " 届きました"
    want = expected(world, text, "en")
    assert want.encoding == "UCS-2" and want.segments == 2  # 70 units per message, 67 per part
    expect(count).to_contain_text("UCS-2")
    expect(count.locator(".sms-count__chars")).to_have_attribute("data-characters", str(want.characters))
    expect(count.locator(".sms-count__segments")).to_have_attribute("data-segments", str(want.segments))
    expect(count).to_contain_text(f"docomo {want.carriers['docomo']}")

    body.fill("あ" * 661)
    expect(page.locator("#sms-too-long")).to_be_visible()
    page.get_by_role("button", name="Save template").click()
    expect(page.locator(".field-error").first).to_contain_text("660")
    expect(page.get_by_role("textbox", name="Text", exact=True)).to_have_value("あ" * 661)  # the input is kept
    assert library_templates(world.libraries["R"].id, "ARRIVED", "en") == {}  # nothing saved

    body = page.get_by_role("textbox", name="Text", exact=True)
    body.fill("{{ patron.name }}: ready.")
    expect(page.locator("#sms-too-long")).to_have_count(0)
    page.get_by_role("button", name="Save template").click()
    expect(page.locator(".message--success")).to_be_visible()
    assert library_templates(world.libraries["R"].id, "ARRIVED", "en")["sms"].body == "{{ patron.name }}: ready."


def test_a_manual_sms_is_confirmed_before_it_is_queued(world, live_server, new_page):
    make_patron(world, language="en", name="Ken Sato", email="ken@example.jp")
    page = new_page()
    log_in(page, live_server, "user_r")
    page.goto(live_server + "/notices/new?patron=P001")
    page.get_by_label("Channel").select_option("sms")
    text = "Please come to the ILL counter."
    page.get_by_role("textbox", name="Text (required)").press_sequentially(text, delay=5)
    want = expected(world, text, "en")  # the patron's language: the English footer
    count = page.locator("#sms-count")
    expect(count).to_contain_text("GSM-7")
    expect(count.locator(".sms-count__chars")).to_have_attribute("data-characters", str(want.characters))
    page.get_by_role("button", name="Check before sending").click()
    confirm = page.locator("#confirm")
    expect(confirm).to_contain_text("Ken Sato (P001)")
    expect(confirm).to_contain_text("+819012345678")
    expect(page.locator("#confirm-body")).to_contain_text(text)
    expect(page.locator("#confirm-body")).to_contain_text("Stop SMS:")
    expect(page.locator("#confirm-count")).to_contain_text(f"{want.segments} messages")
    assert notices() == []  # nothing before the confirmation
    page.get_by_role("link", name="No, change it").click()
    expect(page.get_by_role("textbox", name="Text (required)")).to_have_value(text)
    assert notices() == []
    page.get_by_role("button", name="Check before sending").click()
    page.get_by_role("button", name="Yes, send it").click()
    expect(page.locator(".message--success")).to_contain_text("queued")
    [notice] = notices(type="MANUAL")
    assert notice.channel == "sms" and notice.status == "queued" and notice.body.startswith(text)
    assert notice.segments == want.segments
    result = page.locator("#send-result")  # seed 003: the result follows the worker
    expect(result).to_have_attribute("data-status", "queued")
    Worker.from_config().run(once=True)  # the console SMS backend: sent
    expect(result).to_have_attribute("data-status", "sent", timeout=10_000)
    expect(result).to_contain_text("Sent")
    assert result.get_attribute("hx-trigger") is None  # final: no more polling
