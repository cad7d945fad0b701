"""Steps a desk user takes in the browser."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

PASSWORD = "secret-pass-1"


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(base + "/")


def open_record(page: Page, ill_id: str) -> None:
    """Type (or scan) the ILL ID into the header's search box and press Enter."""
    box = page.locator("#global-search")
    box.fill(ill_id)
    box.press("Enter")
    expect(page).to_have_url(re.compile(rf"/records/{ill_id}$"))


def open_command(page: Page, command: str) -> None:
    page.locator(".commands a", has=page.locator(f"span.mono:text-is('{command}')")).click()
    expect(page.locator("#command-form-title")).to_contain_text(command)


def run_command(page: Page, command: str, comment: str | None = None, **dates: str) -> None:
    """Open the command's inline form, fill it, run it and wait for the record to update."""
    open_command(page, command)
    for key, value in dates.items():
        page.locator(f"#f-date_{key}").fill(value)
    if comment is not None:
        page.locator("#f-comment").fill(comment)
    submit(page, command)


def submit(page: Page, command: str) -> None:
    page.get_by_role("button", name=f"Run {command}").click()
    expect(page.locator("#record .message--success")).to_contain_text(command)


def expect_status(page: Page, label: str) -> None:
    expect(page.locator(".record-head .badge").first).to_have_text(label)
