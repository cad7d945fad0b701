"""Input of any shape on the staff pages: never a 500 (issue 11).

Digits that are not ASCII ("³" passes str.isdigit() and crashes int(); "١" is a
decimal digit int() reads), ILL IDs beyond the id column (an overflow on
PostgreSQL), huge page numbers."""
from __future__ import annotations

import re

import pytest

from portal.workflow.numbers import MAX_INT, clamp_page, parse_int, parse_page

ODD_NUMBERS = ["³", "١", "١٠٠٠٠٠٠٠٠١", "²⁰", "1000000001³", "-1", "+1", " 1", "1e3", "0x10", "٣"]
TOO_BIG_IDS = ["99999999999", "123456789012345678", "999999999999999999999999", "3147483648", "9" * 200]


@pytest.mark.parametrize("text, expected", [
    ("0", 0), ("42", 42), ("0042", 42), ("", None), ("³", None), ("١", None), ("٣", None), ("1.0", None),
    ("-1", None), ("+1", None), (" 1", None), ("1 ", None), ("1e3", None), ("9" * 41, None), (7, 7), (True, None),
])
def test_parse_int_reads_ascii_digits_only(text, expected):
    assert parse_int(text) == expected


def test_parse_int_bounds_and_pages():
    assert parse_int("5", 1, 5) == 5 and parse_int("6", 1, 5) is None and parse_int("0", 1) is None
    assert parse_page("1") == 1 and parse_page("0") is None and parse_page("³") is None
    assert parse_page("9" * 500) == MAX_INT
    assert clamp_page(99, 3, 2) == 2 and clamp_page(MAX_INT, 0, 50) == 1 and clamp_page(1, 100, 50) == 1


@pytest.mark.parametrize("odd", ODD_NUMBERS + TOO_BIG_IDS)
def test_odd_or_huge_ill_ids_are_not_found_on_every_page(world, desk, odd):
    record = world.record("PROCESSING")
    desk.as_user("L1")
    for url in (f"/records/{odd}", f"/records/{odd}/slips/receipt.pdf", f"/bulk/slips/receipt.pdf?ids={odd}",
                f"/bulk/slips/receipt.pdf?ids={record.ill_id},{odd}"):
        assert desk.get(url).status_code == 404, url
    for url in (f"/search?q={odd}", f"/?page={odd}", f"/search?all=1&page={odd}", f"/?side=lender&page={odd}"):
        response = desk.get(url)
        assert response.status_code == 200, url
    shown = desk.get(f"/search?q={odd}", htmx=True).get_data(as_text=True)
    assert record.ill_id not in shown


@pytest.mark.parametrize("odd", ODD_NUMBERS + TOO_BIG_IDS)
def test_odd_or_huge_ids_at_the_scan_field_are_no_such_record(world, desk, odd):
    desk.as_user("L1")
    response = desk.post("/bulk/send/scan", [("ill_id", odd)], htmx=True)
    assert response.status_code == 200
    assert odd[:30] in response.get_data(as_text=True)  # echoed with its reason
    response = desk.post("/bulk/send/total", {"total_for": odd}, htmx=True)
    assert response.status_code in (200, 404)
    response = desk.post("/bulk/send/run", [("row", odd), ("ill_id", odd)], htmx=True)
    assert response.status_code == 200


def test_huge_ill_id_at_the_scan_field_says_no_record(world, desk):
    from portal.services.bulk import UNKNOWN_ID, get_mode, scan

    for odd in TOO_BIG_IDS[:3]:
        assert scan(world.user("L1"), get_mode("send"), odd, []).outcome == UNKNOWN_ID
    assert scan(world.user("L1"), get_mode("send"), "³", []).template == "“%(ill_id)s” is not an ILL ID."


@pytest.mark.parametrize("odd", ["³", "١", "٣٠", "99999999999999999999"])
def test_odd_numbers_in_settings_are_422_or_404(world, desk, odd):
    desk.as_user("R")
    page = desk.get("/settings").get_data(as_text=True)
    assert "loan_days" in page
    response = desk.post("/settings", {"name": "Library R", "loan_days": odd})
    assert response.status_code == 422
    for url in (f"/settings/users/{odd}", f"/settings/templates/{odd}", f"/settings/tokens/{odd}/revoke"):
        assert desk.post(url, {}).status_code in (403, 404), url


def test_a_page_past_the_last_shows_the_last(app, world, desk):
    app.config["PAGE_SIZE"] = 2
    records = [world.record("UNPROCESSED") for _ in range(3)]
    desk.as_user("L1")
    for url in ("/?side=lender&page=99", "/?side=lender&page=" + "9" * 40, "/search?all=1&page=99"):
        html = desk.get(url).get_data(as_text=True)
        assert 'rel="prev"' in html and 'rel="next"' not in html, url
        assert re.search(r"\b2\b[^<]*\b2\b", html.split('class="pagination"')[1].split("</nav>")[0]), url
        shown = [r.ill_id for r in records if r.ill_id in html]
        assert len(shown) == 1, (url, shown)  # the third record alone: the last page
    first = desk.get("/?side=lender&page=1").get_data(as_text=True)
    assert 'rel="next"' in first


def test_user_id_in_the_session_is_read_safely(app, world, client):
    with client.session_transaction() as session:
        session["_user_id"] = "١"
    assert client.get("/").status_code == 302  # not logged in: to the log-in page, no error
    with client.session_transaction() as session:
        session["_user_id"] = "99999999999999999999"
    assert client.get("/").status_code == 302


def test_non_ascii_digits_in_fees_are_refused():
    from portal.workflow.errors import ValidationError
    from portal.workflow.fees import compute_fees

    with pytest.raises(ValidationError) as refused:
        compute_fees([{"item": "A4", "quantity": "١٠", "unit_price": "٣٥"}], "³", None)
    assert set(refused.value.fields) == {"groups.0.quantity", "groups.0.unit_price", "base_fee"}
