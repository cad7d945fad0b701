"""Chromium reports no Content-Security-Policy violation on the main pages, with htmx at work:
log in, work lists, a record and one of its commands, bulk send with scans and a send, settings,
search, tokens. (The policy allows no inline script or style and no eval.) And nothing the
browser asks for on the way, the requests it makes on its own included, fails."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from browser_helpers import PASSWORD, log_in, run_command
from portal.security import CONTENT_SECURITY_POLICY
from portal.services.settings import save_fee_default

pytestmark = pytest.mark.browser

# Every violation the page sees, collected from the moment it starts (an init script runs
# outside the page's policy).
COLLECT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


def watched(new_page):
    page = new_page()
    page.add_init_script(COLLECT)
    console = []
    page.on("console", lambda message: console.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text else None)
    return page, console


def violations(page, console) -> list[str]:
    return page.evaluate("window.__csp || []") + console


def answers_seen(app, monkeypatch) -> list[tuple[str, str]]:
    """(path, status) of every request the live server answers from now on: the browser's own
    requests too (an icon), which Playwright's page events do not show."""
    seen = []
    inner = app.wsgi_app

    def recording(environ, start_response):
        def start(status, headers, exc_info=None):
            seen.append((environ["PATH_INFO"], status))
            return start_response(status, headers, exc_info)
        return inner(environ, start)

    monkeypatch.setattr(app, "wsgi_app", recording)
    return seen


def test_main_pages_raise_no_csp_violation(world, app, live_server, new_page, monkeypatch):
    answers = answers_seen(app, monkeypatch)
    save_fee_default(world.libraries["L1"], "copy", [{"item": "A4", "quantity": 10, "unit_price": "35"}], "100", "140")
    record = world.record("UNPROCESSED")
    to_send = [world.record("PROCESSING") for _ in range(2)]
    page, console = watched(new_page)
    seen = []

    def check(what: str) -> None:
        found = violations(page, console)
        assert not found, f"{what}: {found}"
        seen.append(what)

    response = page.goto(live_server + "/login")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    check("log-in page")
    log_in(page, live_server, "user_l1")
    check("work lists")
    page.goto(live_server + "/?side=lender")
    page.locator("#status-tabs").wait_for()
    check("lender work list")

    page.goto(live_server + f"/records/{record.ill_id}")
    check("record page")
    run_command(page, "RECEIVE", comment="受付しました")  # an htmx form opened, posted and swapped
    check("record command")

    page.goto(live_server + "/bulk/send")
    expect(page.locator("#scan-input")).to_be_focused()
    for item in to_send:
        page.keyboard.type(item.ill_id)
        page.keyboard.press("Enter")
    expect(page.locator(".scan-count")).to_have_text("Scanned: 2")
    postage = page.locator(f"input[name='r{to_send[0].ill_id}.postage']")
    postage.fill("")
    postage.press_sequentially("200")  # the live total (an htmx swap)
    expect(page.locator(f"#total-{to_send[0].ill_id}")).to_contain_text("650")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".bulk-summary")).to_contain_text("2 done, 0 failed.")
    check("bulk send with scans")

    for path in ("/settings", "/settings/tokens", "/search?q=ILL", "/records/new"):
        page.goto(live_server + path)
        check(path)
    page.locator("input[name=title]").fill("CSP")
    check("new request form")
    assert len(seen) == 11
    assert ("/static/favicon.svg", "200 OK") in answers  # the icon the layout names
    failed = [(path, status) for path, status in answers if not status.startswith(("2", "3"))]
    assert not failed, failed
