"""axe-core on every page type, and the phone-sized screen: no page scrolls sideways.

axe-core comes from the npm registry (scripts/setup.sh installs it into .node/, git-ignored)
and is served to each page with page.add_script_tag. A serious or critical violation fails, and
so does any landmark rule (unique, one banner, one main…), whatever its impact."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from browser_helpers import log_in, open_command, open_record

pytestmark = pytest.mark.browser

ROOT = Path(__file__).parents[2]
AXE = ROOT / ".node" / "node_modules" / "axe-core" / "axe.min.js"
IMPACTS = ("serious", "critical")
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe.min.js at the version scripts/setup.sh pins (installed here too if setup.sh has not run yet)."""
    version = re.search(r'^AXE_VERSION="([^"]+)"', (ROOT / "scripts" / "setup.sh").read_text(), re.M).group(1)
    package = AXE.parent / "package.json"
    if not AXE.exists() or json.loads(package.read_text())["version"] != version:
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("axe-core is missing and npm is not installed: run scripts/setup.sh")
        subprocess.run([npm, "install", "--prefix", str(ROOT / ".node"), "--no-audit", "--no-fund", "--no-save",
                        "--loglevel=error", f"axe-core@{version}"], check=True, capture_output=True, timeout=300)
    return AXE


def axe_problems(page, script: Path) -> list[str]:
    # Evaluated through the DevTools protocol, not as a <script> tag: the pages' Content-Security-Policy
    # refuses inline script, and the test must see the pages under the policy they are served with.
    page.evaluate("source => { (0, eval)(source); }", script.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] for n in v["nodes"][:5])
            for v in result["violations"] if v["impact"] in IMPACTS or v["id"].startswith("landmark")]


def sideways_scroll(page) -> int:
    """How far the page itself scrolls sideways (0: it fits the screen)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def page_states(world, page, base):
    """Each page type in the state a desk sees it, by name; the page is left in that state."""
    record = world.record("PROCESSING")
    world.record("UNPROCESSED")
    world.record("SHIPPED", candidates=("L1",))

    def record_with_form():
        open_record(page, record.ill_id)
        open_command(page, "SEND")

    def new_request_with_errors():
        page.goto(base + "/records/new")
        page.locator("#new-request button[value=order]").click()
        expect(page.locator("#new-request .message--error")).to_be_visible()

    def search_results():
        page.goto(base + "/search?q=日本")
        expect(page.locator("main")).to_be_visible()

    def bulk_send_scanned():
        page.goto(base + "/bulk/send")
        page.locator("#scan-input").fill(record.ill_id)
        page.locator("#scan-input").press("Enter")
        expect(page.locator(".scan-count")).to_contain_text("1")

    return {
        "work list (lender)": lambda: page.goto(base + "/?side=lender"),
        "work list (requester)": lambda: page.goto(base + "/"),
        "record with the SEND form open": record_with_form,
        "new request with errors": new_request_with_errors,
        "search": search_results,
        "bulk receive": lambda: page.goto(base + "/bulk/receive"),
        "bulk send after a scan": bulk_send_scanned,
        "arrivals": lambda: page.goto(base + "/bulk/receive?side=requester"),
        "send back": lambda: page.goto(base + "/bulk/sendback"),
        "settings": lambda: page.goto(base + "/settings"),
        "API tokens": lambda: page.goto(base + "/settings/tokens"),
        "help": lambda: page.goto(base + "/help"),
    }


@pytest.mark.parametrize("locale", ["en-US", "ja-JP"])
def test_axe_finds_no_serious_violation_on_any_page_type(world, live_server, new_page, axe_script, locale):
    page = new_page(locale=locale)
    page.goto(live_server + "/login")
    problems = {"log-in": axe_problems(page, axe_script)}
    log_in_as(page, live_server, "user_l1", locale)
    for name, go in page_states(world, page, live_server).items():
        go()
        problems[name] = axe_problems(page, axe_script)
    found = {name: found for name, found in problems.items() if found}
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)


def test_axe_on_the_admin_pages(world, live_server, new_page, axe_script):
    from portal.services.admin import add_user
    add_user("root", "R", "secret-pass-1", "admin")
    page = new_page()
    log_in(page, live_server, "root")
    problems = {}
    for path in ("/settings/libraries", "/settings/users"):
        page.goto(live_server + path)
        problems[path] = axe_problems(page, axe_script)
    assert {name: found for name, found in problems.items() if found} == {}


def log_in_as(page, base, username, locale):
    if locale.startswith("en"):
        log_in(page, base, username)
        return
    page.goto(base + "/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill("secret-pass-1")
    page.locator("form button[type=submit]").last.click()
    expect(page).to_have_url(base + "/")


def test_no_page_scrolls_sideways_on_a_phone(world, live_server, browser, axe_script):
    """At 390×844 every page fits the width (wide tables scroll in their own box), the header
    stays short, and axe finds nothing serious at that size either (e.g. scrollable regions)."""
    context = browser.new_context(viewport=PHONE, locale="ja-JP", device_scale_factor=1, is_mobile=True,
                                  has_touch=True)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(live_server + "/login")
        wide = {"log-in": sideways_scroll(page)}
        problems = {}
        log_in_as(page, live_server, "user_l1", "ja-JP")
        header = page.locator(".site-header").bounding_box()["height"]
        for name, go in page_states(world, page, live_server).items():
            go()
            wide[name] = sideways_scroll(page)
            problems[name] = axe_problems(page, axe_script)
            page.screenshot(path=str(ROOT / "test-artifacts" / f"phone-{name.replace(' ', '-')}.png"), full_page=True)
        assert {name: px for name, px in wide.items() if px > 0} == {}
        assert header <= 80  # the header takes little of the 844 px (it took 135, with the navigation 225)
        assert {name: found for name, found in problems.items() if found} == {}
    finally:
        context.close()
