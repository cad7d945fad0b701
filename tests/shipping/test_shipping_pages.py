"""Bulk pages through the test client: starting checks, scanning, the run, the slips."""
from __future__ import annotations

import re

import pytest

from portal.extensions import db
from portal.services.settings import save_fee_default
from shipping_helpers import pdf_pages, pdf_text
from web.web_helpers import Desk


@pytest.fixture
def desk(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the texts below are the English ones
    return Desk(client)


@pytest.fixture
def lender(world, desk):
    save_fee_default(world.libraries["L1"], "copy", [{"item": "A4", "quantity": 10, "unit_price": "35"}], "100", "140")
    return desk.as_user("L1")


def checked_ids(html: str) -> set[str]:
    return set(re.findall(r'name="ill_id" value="(\d+)" id="check-\d+" checked', html))


def listed_ids(html: str) -> list[str]:
    return re.findall(r'<input type="hidden" name="row" value="(\d+)">', html)


def send_form(record_ids, checked, overrides=None, action="run"):
    """The bulk send form as the page posts it: every listed row, the checked ones."""
    data = [("action", action)]
    for ill_id in record_ids:
        data.append(("row", ill_id))
        if ill_id in checked:
            data.append(("ill_id", ill_id))
        fields = {"g0.item": "A4", "g0.quantity": "10", "g0.unit_price": "35", "base_fee": "100", "postage": "140",
                  "sent": ""}
        fields.update((overrides or {}).get(ill_id, {}))
        data += [(f"r{ill_id}.{key}", value) for key, value in fields.items()]
    return data


def test_bulk_receive_starts_all_checked(world, lender):
    records = [world.record("UNPROCESSED"), world.record("AWAITING_ANSWER")]
    html = lender.get("/bulk/receive").get_data(as_text=True)
    assert checked_ids(html) == {r.ill_id for r in records}
    assert "Receive + print receipt slips" in html and "Select all" in html and "Clear all" in html
    assert 'id="scan-input"' not in html
    cleared = lender.get("/bulk/receive?check=none").get_data(as_text=True)
    assert checked_ids(cleared) == set() and set(listed_ids(cleared)) == {r.ill_id for r in records}


def test_bulk_send_starts_none_checked_with_an_autofocused_scan_field(world, lender):
    record = world.record("PROCESSING")
    html = lender.get("/bulk/send").get_data(as_text=True)
    assert listed_ids(html) == [record.ill_id] and checked_ids(html) == set()
    assert re.search(r'<input id="scan-input" name="ill_id" autofocus', html)
    assert 'hx-sync="this:queue all"' in html and 'hx-post="/bulk/send/scan"' in html
    assert f'name="r{record.ill_id}.g0.unit_price" value="35"' in html  # fee defaults
    assert "¥590" in html  # their total
    assert "Leave bulk mode" in html and 'href="/?side=lender"' in html


@pytest.mark.parametrize("path", ["/bulk/receive", "/bulk/send", "/bulk/sendback", "/bulk/receive?side=requester"])
def test_pages_need_a_log_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def scan(desk, ids, scanned=(), mode="send"):
    data = [("ill_id", i) for i in ids] + [("scanned", s) for s in scanned]
    return desk.post(f"/bulk/{mode}/scan", data, htmx=True)


def test_scan_answers_each_outcome_with_its_own_message(world, lender):
    ok, shipped = world.record("PROCESSING"), world.record("SHIPPED")
    foreign = world.record("PROCESSING", requester="X", candidates=("L2",))
    cases = [
        ([ok.ill_id], [], "scan-msg--ok", f"{ok.ill_id}: row checked."),
        ([ok.ill_id], [ok.ill_id], "scan-msg--already_scanned", "already scanned"),
        (["1999999999"], [], "scan-msg--unknown_id", "No record has ILL ID 1999999999"),
        (["hello"], [], "scan-msg--unknown_id", "is not an ILL ID"),
        ([foreign.ill_id], [], "scan-msg--other_library", "belongs to another library"),
        ([shipped.ill_id], [], "scan-msg--wrong_status", "is in status SHIPPED"),
    ]
    for ids, scanned, css, text in cases:
        response = scan(lender, ids, scanned)
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert html.lstrip().startswith('<div id="scan-state"')
        assert css in html and text in html, (css, html)


def test_scan_echoes_the_running_list_and_brings_the_row(world, lender):
    first, second = world.record("PROCESSING"), world.record("PROCESSING")
    html = scan(lender, [first.ill_id, second.ill_id, first.ill_id]).get_data(as_text=True)
    assert re.findall(r'name="scanned" value="(\d+)"', html) == [first.ill_id, second.ill_id]
    assert "Scanned: 2" in html
    assert f'<template class="scan-row" data-ill-id="{second.ill_id}">' in html
    assert html.count('class="scan-msg ') == 3
    html = scan(lender, [second.ill_id], [first.ill_id, second.ill_id]).get_data(as_text=True)
    assert "already scanned" in html and "Scanned: 2" in html


def test_scan_without_ids_changes_nothing(world, lender):
    response = scan(lender, [])
    assert response.status_code == 204


def test_scan_without_javascript_renders_the_page_with_the_row_checked(world, lender):
    first, second = world.record("PROCESSING"), world.record("PROCESSING")
    html = lender.post("/bulk/send/scan", [("ill_id", second.ill_id)]).get_data(as_text=True)
    assert checked_ids(html) == {second.ill_id} and set(listed_ids(html)) == {first.ill_id, second.ill_id}


def test_bulk_send_failed_row_stays_with_its_inputs_the_others_leave(world, lender):
    records = [world.record("PROCESSING") for _ in range(3)]
    ids = [r.ill_id for r in records]
    left_alone = world.record("PROCESSING")
    data = send_form(ids + [left_alone.ill_id], set(ids),
                     {ids[1]: {"postage": "-5", "g0.item": "B4 <b>", "g0.quantity": "7"},
                      left_alone.ill_id: {"g0.quantity": "2"}})
    html = lender.post("/bulk/send/run", data, htmx=True).get_data(as_text=True)
    assert "2 done, 1 failed." in html
    assert listed_ids(html) == [ids[1], left_alone.ill_id]  # the sent rows left the list
    assert checked_ids(html) == {ids[1]}
    assert f'name="r{ids[1]}.postage" value="-5"' in html  # inputs untouched
    assert f'name="r{ids[1]}.g0.item" value="B4 &lt;b&gt;"' in html
    assert f'name="r{ids[1]}.g0.quantity" value="7"' in html
    assert f'name="r{left_alone.ill_id}.g0.quantity" value="2"' in html  # an unchecked row keeps its inputs too
    assert "Must not be negative." in html and 'aria-invalid="true"' in html
    db.session.expire_all()
    assert [r.status for r in records] == ["SHIPPED", "PROCESSING", "SHIPPED"]
    assert left_alone.status == "PROCESSING"
    assert records[0].total == 590


def test_bulk_send_with_print_links_one_pdf_of_the_sent_rows(world, lender):
    records = [world.record("PROCESSING") for _ in range(3)]
    ids = [r.ill_id for r in records]
    response = lender.post("/bulk/send/run", send_form(ids, set(ids), action="run_print"), htmx=True)
    html = response.get_data(as_text=True)
    assert "3 done, 0 failed." in html
    url = re.search(r'id="slips-link" class="[^"]*" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "bulk-print" in response.headers["HX-Trigger-After-Settle"]
    pdf = lender.get(url)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf_pages(pdf.data) == 3
    for page, ill_id in enumerate(ids, start=1):
        assert ill_id in pdf_text(pdf.data, page=page)
    db.session.expire_all()
    assert all(r.shipping_printed_at is not None for r in records)


def test_bulk_receive_with_print_prints_receipt_slips_of_new_requests_only(world, lender):
    new = world.record("UNPROCESSED")
    returned = world.record("RETURNED", kind="loan")
    data = [("action", "run_print"), ("row", new.ill_id), ("ill_id", new.ill_id),
            ("row", returned.ill_id), ("ill_id", returned.ill_id)]
    html = lender.post("/bulk/receive/run", data).get_data(as_text=True)  # without htmx: the whole page
    assert "2 done, 0 failed." in html and "<html" in html
    url = re.search(r'id="slips-link" class="[^"]*" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    pdf = lender.get(url).data
    assert pdf_pages(pdf) == 1 and new.ill_id in pdf_text(pdf) and returned.ill_id not in pdf_text(pdf)


def test_run_does_not_show_rows_of_other_libraries(world, lender):
    foreign = world.record("PROCESSING", requester="X", candidates=("L2",), citation={"title": "SECRET TITLE"})
    data = send_form([foreign.ill_id], {foreign.ill_id})
    html = lender.post("/bulk/send/run", data, htmx=True).get_data(as_text=True)
    assert "0 done, 1 failed." in html and "SECRET TITLE" not in html


def test_live_total_of_one_row(world, lender):
    record = world.record("PROCESSING")
    data = [("total_for", record.ill_id)] + send_form([record.ill_id], set(), {record.ill_id: {"g0.quantity": "12"}})
    html = lender.post("/bulk/send/total", data, htmx=True).get_data(as_text=True)
    assert f'id="total-{record.ill_id}"' in html and "¥660" in html
    data = [("total_for", record.ill_id)] + send_form([record.ill_id], set(), {record.ill_id: {"postage": "x"}})
    html = lender.post("/bulk/send/total", data, htmx=True).get_data(as_text=True)
    assert "—" in html and "¥" not in html


def test_requester_arrivals_and_sendback_pages(world, desk):
    shipped, on_loan = world.record("SHIPPED"), world.record("ON_LOAN", kind="loan")
    desk.as_user("R")
    html = desk.get("/bulk/receive?side=requester").get_data(as_text=True)
    assert listed_ids(html) == [shipped.ill_id] and checked_ids(html) == set()
    assert 'hx-post="/bulk/arrive/scan"' in html
    assert "ok" in scan(desk, [shipped.ill_id], mode="arrive").get_data(as_text=True)
    html = desk.post("/bulk/arrive/run", [("row", shipped.ill_id), ("ill_id", shipped.ill_id), ("action", "run")],
                     htmx=True).get_data(as_text=True)
    assert "1 done, 0 failed." in html
    html = desk.get("/bulk/sendback").get_data(as_text=True)
    assert listed_ids(html) == [on_loan.ill_id]
    response = desk.post("/bulk/sendback/run", [("row", on_loan.ill_id), ("ill_id", on_loan.ill_id),
                                                ("action", "run_print")], htmx=True)
    assert "1 done, 0 failed." in response.get_data(as_text=True)
    url = re.search(r'id="slips-link" class="[^"]*" href="([^"]+)"', response.get_data(as_text=True)).group(1)
    assert "返送票" in pdf_text(desk.get(url.replace("&amp;", "&")).data)
    db.session.expire_all()
    assert shipped.status == "ARRIVED" and on_loan.status == "RETURNED"


def test_record_slip_link_respects_access(world, desk):
    record = world.record("PROCESSING")
    desk.as_user("L1")
    response = desk.get(f"/records/{record.ill_id}/slips/receipt.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert desk.get(f"/records/{record.ill_id}/slips/nonsense.pdf").status_code == 404
    assert desk.get(f"/records/{record.ill_id}/slips/return.pdf").status_code == 403
    other_client = desk.client.application.test_client()
    other = Desk(other_client).as_user("X")
    assert other.get(f"/records/{record.ill_id}/slips/receipt.pdf").status_code == 403
    # the old list-of-IDs URL is gone: bulk runs print through a batch id of their own library
    assert other.get(f"/bulk/slips/receipt.pdf?ids={record.ill_id}").status_code == 404


def test_unknown_mode_is_404(world, lender):
    assert lender.post("/bulk/shred/scan", [("ill_id", "1")], htmx=True).status_code == 404


def test_bulk_messages_are_translated_to_japanese():
    from pathlib import Path

    from babel.messages.pofile import read_po

    root = Path(__file__).parents[2] / "portal"
    with open(root / "translations" / "ja" / "LC_MESSAGES" / "messages.po", "rb") as file:
        ja = {m.id: m.string for m in read_po(file) if m.id}
    marked = ["".join(re.findall(r'"((?:[^"\\]|\\.)*)"', call))
              for source in ("services/bulk.py", "services/slips.py")
              for call in re.findall(r"N_\(((?:\s*\"[^\"]*\"\s*)+)\)", (root / source).read_text(encoding="utf-8"))]
    assert len(marked) > 20
    assert [text for text in marked if not ja.get(text)] == []


def test_japanese_bulk_send_page_and_scan_message(world, lender):
    shipped = world.record("SHIPPED")
    html = lender.get("/bulk/send", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "一括発送処理モード" in html and "発送＋発送票印刷" in html and "全選択" in html
    html = lender.post("/bulk/send/scan", [("ill_id", shipped.ill_id)], htmx=True,
                       headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert f"{shipped.ill_id} は SHIPPED" in html and "一括発送の対象は処理中" in html


def test_bulk_send_of_a_loan_sets_its_use_restriction_for_the_book_band(world, lender):
    loan, copy = world.record("PROCESSING", kind="loan"), world.record("PROCESSING")
    world.run("L1", loan, "SAVE", fields={"use_restriction": "複写不可"})
    html = lender.get("/bulk/send").get_data(as_text=True)
    # the loan's row offers the restriction saved before (the copy's row has none to offer)
    assert f'name="r{loan.ill_id}.use_restriction" value="複写不可"' in html
    assert f'name="r{copy.ill_id}.use_restriction"' not in html and 'id="use-restrictions"' in html
    ids = [loan.ill_id, copy.ill_id]
    data = send_form(ids, set(ids), {loan.ill_id: {"use_restriction": "館内閲覧のみ", "due": "2030-03-31"}},
                     action="run_print")
    html = lender.post("/bulk/send/run", data, htmx=True).get_data(as_text=True)
    assert "2 done, 0 failed." in html
    db.session.expire_all()
    assert loan.use_restriction == "館内閲覧のみ" and copy.use_restriction == ""
    url = re.search(r'id="slips-link" class="[^"]*" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "館内閲覧のみ" in pdf_text(lender.get(url).data, page=1)


def test_bulk_send_refuses_a_too_long_use_restriction_and_keeps_it(world, lender):
    loan = world.record("PROCESSING", kind="loan")
    data = send_form([loan.ill_id], {loan.ill_id}, {loan.ill_id: {"use_restriction": "閲" * 101, "due": "2030-03-31"}})
    html = lender.post("/bulk/send/run", data, htmx=True).get_data(as_text=True)
    assert "0 done, 1 failed." in html and "Use restriction:" in html
    assert f'name="r{loan.ill_id}.use_restriction" value="{"閲" * 101}"' in html
    db.session.expire_all()
    assert loan.status == "PROCESSING" and loan.use_restriction == ""
