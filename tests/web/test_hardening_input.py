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
    for url in (f"/records/{odd}", f"/records/{odd}/slips/receipt.pdf", f"/bulk/slips/receipt/{odd}.pdf"):
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
        assert desk.post(url, {}).status_code in (403, 404, 405), url  # never a 500


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


# -- NUL characters (one guard for every input) -----------------------------------------

def test_nul_in_any_page_input_is_422_naming_the_field(world, desk, client):
    from portal.extensions import db
    from portal.models import Record

    record = world.record("PROCESSING")
    before = db.session.query(Record).count()
    desk.as_user("L1")
    response = desk.get("/search?q=ab%00c")
    assert response.status_code == 422 and "q" in response.get_data(as_text=True)
    response = desk.post("/records/new", {"kind": "copy", "title": "図書館\x00界", "action": "save",
                                          "candidate_library": "L2"})
    assert response.status_code == 422 and "title" in response.get_data(as_text=True)
    response = desk.post(f"/records/{record.ill_id}/commands/SAVE",
                         {"version": record.version, "local_note": "note\x00"})
    assert response.status_code == 422 and "local_note" in response.get_data(as_text=True)
    response = desk.post(f"/records/{record.ill_id}/commands/SEND", {"version": record.version, "comment": "\x00"})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.query(Record).count() == before
    assert db.session.get(Record, record.id).version == record.version  # nothing changed
    assert db.session.get(Record, record.id).local_note_for(world.libraries["L1"].id) == ""


def test_nul_in_the_log_in_name_is_422(world, desk):
    from web_helpers import csrf_token

    page = desk.get("/login").get_data(as_text=True)
    response = desk.post("/login", {"username": "user_l1\x00", "password": "x", "csrf_token": csrf_token(page)})
    assert response.status_code == 422
    assert "username" in response.get_data(as_text=True)


# -- bulk pages ---------------------------------------------------------------------------

def test_row_total_without_htmx_is_the_fragment(world, desk):
    record = world.record("PROCESSING")
    desk.as_user("L1")
    prefix = f"r{record.ill_id}."
    form = {"total_for": record.ill_id, prefix + "g0.item": "A4", prefix + "g0.quantity": "10",
            prefix + "g0.unit_price": "35", prefix + "base_fee": "", prefix + "postage": "140"}
    plain = desk.post("/bulk/send/total", form)
    assert plain.status_code == 200, plain.get_data(as_text=True)[:300]
    assert plain.get_data(as_text=True) == desk.post("/bulk/send/total", form, htmx=True).get_data(as_text=True)
    assert "490" in plain.get_data(as_text=True) and "<html" not in plain.get_data(as_text=True)


def test_bulk_run_with_more_rows_than_the_limit_is_413(app, world, desk):
    app.config["BULK_MAX_ROWS"] = 3
    records = [world.record("UNPROCESSED") for _ in range(4)]
    desk.as_user("L1")
    rows = [("row", r.ill_id) for r in records] + [("ill_id", r.ill_id) for r in records]
    response = desk.post("/bulk/receive/run", rows)
    assert response.status_code == 413 and "3" in response.get_data(as_text=True)
    from portal.extensions import db
    from portal.models import Record
    db.session.expire_all()
    assert {db.session.get(Record, r.id).status for r in records} == {"UNPROCESSED"}  # nothing ran
    assert len(records[:3]) == 3 and desk.post("/bulk/receive/run", rows[:3] + rows[4:7]).status_code == 200


# -- search: LIKE wildcards are literal -----------------------------------------------------

def test_search_matches_percent_underscore_and_backslash_literally(world, desk):
    from portal.services.search import SearchFilters, search_records

    titles = {"pct": "100% 純粋", "plain": "100 ページ", "under": "a_b 論集", "other": "axb 論集",
              "slash": "back\\slash", "none": "backslash"}
    made = {key: world.record("PREPARING", citation={"title": title}) for key, title in titles.items()}
    library = world.libraries["R"].id

    def found(q):
        return {key for key, r in made.items() if r.id in {x.id for x in search_records(library, SearchFilters(q=q))[0]}}

    assert found("100%") == {"pct"}
    assert found("a_b") == {"under"}
    assert found("%") == {"pct"} and found("_") == {"under"}
    assert found("\\") == {"slash"}
    assert found("100") == {"pct", "plain"}
    desk.as_user("R")
    html = desk.get("/search?title=a_b", htmx=True).get_data(as_text=True)
    assert made["under"].ill_id in html and made["other"].ill_id not in html


# -- local note: refused when too long, never cut -----------------------------------------------

def test_too_long_local_note_is_refused_not_cut(world, desk):
    from portal.services.records import MAX_TEXT
    from portal.workflow.errors import ValidationError

    record = world.record("PROCESSING")
    with pytest.raises(ValidationError) as refused:
        world.run("L1", record, "SAVE", local_note="x" * (MAX_TEXT + 1))
    assert set(refused.value.fields) == {"local_note"}
    desk.as_user("L1")
    response = desk.post(f"/records/{record.ill_id}/commands/SAVE",
                         {"version": record.version, "local_note": "長" * (MAX_TEXT + 1)})
    assert response.status_code == 422
    assert "長" * 50 in response.get_data(as_text=True)  # the input is kept
    world.run("L1", record, "SAVE", local_note="x" * MAX_TEXT)
    assert record.local_note_for(world.libraries["L1"].id) == "x" * MAX_TEXT
