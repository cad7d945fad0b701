"""Browser tests: Chromium (Playwright, sync API) against a live server that
runs the test app in a thread over the SQLite test database.

Each module sets `pytestmark = pytest.mark.browser`, which tests/conftest.py
runs on SQLite only. Without
Chromium they are skipped, except with CI=true, where that is a failure.
"""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium is required when CI=true (not found at {CHROMIUM})")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    """The test app served on 127.0.0.1 at a free port, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture
def new_page(browser, request):
    """Open browser pages (one context each: separate log-ins); the last page used
    is saved as test-artifacts/<test name>.png when the test ends."""
    contexts = []
    last = {}

    def open_page(locale: str = "en-US"):
        context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("framenavigated", lambda frame: last.update(page=page))
        page.on("request", lambda _request: last.update(page=page))
        last["page"] = page
        return page

    yield open_page
    ARTIFACTS.mkdir(exist_ok=True)
    if "page" in last:
        name = request.node.name.replace("/", "_").replace("[", "-").replace("]", "")
        last["page"].screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    for context in contexts:
        context.close()
