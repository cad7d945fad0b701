"""PDF slips, read back: text (pdftotext), pages (pdfinfo), barcodes (pdftoppm + zbarimg)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from shipping_helpers import decode_barcodes, pdf_page_size_mm, pdf_pages, pdf_text
from portal.extensions import db
from portal.models import Record
from portal.services.admin import update_library
from portal.services.records import create_record
from portal.services.search import SearchFilters, search_query
from portal.services.slips import barcode_svg, records_for_slips, render_slips
from portal.workflow.errors import Forbidden, NotFound, ValidationError

TITLE = "日本図書館情報学会誌"


def shipped(world, count=1, **data):
    return [world.record("SHIPPED", kind="loan" if i % 2 else "copy", **data) for i in range(count)]


def test_shipping_slip_has_id_title_address_and_total(world):
    record, = shipped(world, citation={"title": TITLE, "article": "大学図書館における相互貸借"})
    pdf = render_slips(world.user("L1"), [record], "shipping")
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert record.ill_id in text
    assert TITLE in text and "大学図書館における相互貸借" in text
    assert "発送票" in text and "Address of R" in text and "Library R" in text
    assert "¥600" in text  # 12 × 30 + base fee 100 + postage 140 (the demo's SEND fees)
    assert "¥360" in text and "¥140" in text
    assert record.sent_on.isoformat() in text


def test_loan_shipping_slip_shows_due_date_and_copy_does_not(world):
    copy, loan = shipped(world, 2)
    pdf = render_slips(world.user("L1"), [copy, loan], "shipping")
    assert "返却期限" not in pdf_text(pdf, page=1)
    assert "返却期限" in pdf_text(pdf, page=2) and loan.due_on.isoformat() in pdf_text(pdf, page=2)


def test_receipt_slip_has_candidate_holding_client_type_dates_and_comments(world):
    record = create_record(world.user("R"), {
        "kind": "copy", "citation": {"title": TITLE}, "client": {"name": "山田", "type": "大学院生"},
        "candidates": [{"library": "L1", "location": "書庫3F", "call_number": "010.5/N71", "volume": "62(3)"}],
    }, order_now=True)
    world.run("L1", record, "RECEIVE")
    world.run("L1", record, "SAVE", comment="至急 urgent")
    pdf = render_slips(world.user("L1"), [record], "receipt")
    text = pdf_text(pdf)
    for expected in (record.ill_id, "受付票", TITLE, "Library R", "書庫3F", "010.5/N71", "62(3)", "大学院生",
                     record.ordered_on.isoformat(), record.accepted_on.isoformat(), "至急 urgent", "複写"):
        assert expected in text, expected


def test_return_slip_has_lender_address_and_due_date(world):
    record = world.record("ON_LOAN", kind="loan")
    world.run("R", record, "SENDBACK")
    pdf = render_slips(world.user("R"), [record], "return")
    text = pdf_text(pdf)
    assert record.ill_id in text and "返送票" in text and "Address of L1" in text
    assert record.due_on.isoformat() in text


@pytest.mark.parametrize("kind", ["receipt", "shipping", "return"])
def test_barcode_decodes_back_to_the_ill_id(world, tmp_path, kind):
    record = world.record("RETURNED", kind="loan")
    user = world.user("R" if kind == "return" else "L1")
    pdf = render_slips(user, [record], kind)
    assert decode_barcodes(pdf, tmp_path) == [record.ill_id]


def test_barcode_is_python_barcode_svg_without_text():
    svg = barcode_svg("1000000123").decode()
    assert svg.startswith("<?xml") and "<svg" in svg and "<path" in svg
    assert "<text" not in svg and 'width="' in svg


def test_batch_is_one_pdf_one_page_per_slip_in_the_given_order(world, tmp_path):
    records = shipped(world, 4)
    order = [records[2], records[0], records[3], records[1]]
    pdf = render_slips(world.user("L1"), order, "shipping")
    assert pdf_pages(pdf) == 4
    for page, record in enumerate(order, start=1):
        text = pdf_text(pdf, page=page)
        assert record.ill_id in text
        assert all(other.ill_id not in text for other in order if other is not record)
    assert decode_barcodes(pdf, tmp_path, page=3) == [order[2].ill_id]


def test_markup_in_fields_is_printed_literally(world):
    record, = shipped(world, citation={"title": "<b>Bold</b> & <script>alert(1)</script>"})
    text = pdf_text(render_slips(world.user("L1"), [record], "shipping"))
    assert "<b>Bold</b> & <script>alert(1)</script>" in text


def longest_record(world, kind="loan"):
    """A record with every printed field at its longest (column sizes): it must still fit one slip."""
    long = "長い書名" * 120
    record = create_record(world.user("R"), {
        "kind": kind, "citation": {"title": long, "article": long, "author": long[:300], "volume": "9" * 90,
                                   "pages": "1-999", "year": "2016", "std_no": "9" * 50, "note": long},
        "client": {"name": "山田" * 50, "type": "大学院生" * 12}, "requester_number": "N" * 50,
        "candidates": [{"library": "L1", "location": "書庫3F" * 40, "call_number": "010.5/N71" * 11,
                        "volume": "62(3)" * 20}],
    }, order_now=True)
    record.requester_address = "〒000-0000 " + "住所" * 900
    db.session.commit()
    world.run("L1", record, "RECEIVE")
    for _ in range(3):
        world.run("L1", record, "SAVE", comment="コメント" * 400)
    groups = [{"item": "X" * 40, "quantity": 9999, "unit_price": "999999"} for _ in range(10)]
    world.run("L1", record, "SEND", fees={"groups": groups, "base_fee": "9999999", "postage": "9999999"})
    if kind == "loan":
        world.run("R", record, "RECEIVE")
        world.run("R", record, "BORROW")
        world.run("R", record, "SENDBACK")
    return record


@pytest.mark.parametrize("size, expected_mm", [("A5", (148, 210)), ("A4", (210, 297)), ("label", (100, 150))])
def test_slip_size_is_the_library_setting_and_the_longest_fields_still_fit_one_page(world, size, expected_mm):
    update_library(world.libraries["L1"], slip_size=size)
    update_library(world.libraries["R"], slip_size=size)
    records = [longest_record(world, "loan"), longest_record(world, "copy")]
    for kind in ("receipt", "shipping"):
        pdf = render_slips(world.user("L1"), records, kind)
        assert pdf_pages(pdf) == 2, kind
        assert pdf_page_size_mm(pdf) == expected_mm
    assert pdf_pages(render_slips(world.user("R"), records[:1], "return")) == 1


def test_printing_marks_the_records_without_touching_version_or_update_time(world):
    records = shipped(world, 2)
    versions = [(r.version, r.updated_at) for r in records]
    assert all(r.shipping_printed_at is None for r in records)
    render_slips(world.user("L1"), records, "shipping")
    db.session.expire_all()
    for record, (version, updated_at) in zip(records, versions):
        assert record.shipping_printed_at is not None
        assert record.receipt_printed_at is None
        assert (record.version, record.updated_at) == (version, updated_at)


def test_only_the_printing_side_of_a_visible_record_may_print(world):
    record = world.record("PROCESSING")
    with pytest.raises(Forbidden):
        render_slips(world.user("X"), [record], "receipt")  # another library
    with pytest.raises(Forbidden):
        render_slips(world.user("R"), [record], "receipt")  # the requester does not pull the item
    with pytest.raises(Forbidden):
        render_slips(world.user("L1"), [record], "return")  # the lender does not send it back
    with pytest.raises(NotFound):
        render_slips(world.user("L1"), [record], "invoice")
    with pytest.raises(ValidationError):
        render_slips(world.user("L1"), [], "receipt")
    db.session.expire_all()
    assert record.receipt_printed_at is None and record.return_printed_at is None


def test_a_refused_batch_prints_and_marks_nothing(world):
    mine, = shipped(world)
    foreign = world.record("SHIPPED", requester="X", candidates=("L2",))
    with pytest.raises(Forbidden):
        render_slips(world.user("L1"), [mine, foreign], "shipping")
    db.session.expire_all()
    assert mine.shipping_printed_at is None


def test_records_for_slips_keeps_the_order_and_names_a_missing_id(world):
    records = shipped(world, 3)
    ids = [records[1].ill_id, records[2].ill_id, records[0].ill_id]
    assert [r.ill_id for r in records_for_slips(world.user("L1"), ids)] == ids
    with pytest.raises(NotFound, match="1999999999"):
        records_for_slips(world.user("L1"), ids + ["1999999999"])


def test_search_filter_unprinted_and_printed_follows_the_slip_of_the_status(world):
    processing = world.record("PROCESSING")
    shipped_one, = shipped(world)
    library_id = world.libraries["L1"].id

    def found(slip):
        query = search_query(library_id, SearchFilters(side="lender", slip=slip))
        return {r.ill_id for r in db.session.scalars(query)}

    assert found("unprinted") == {processing.ill_id, shipped_one.ill_id}
    render_slips(world.user("L1"), [processing], "receipt")
    assert found("unprinted") == {shipped_one.ill_id}
    assert found("printed") == {processing.ill_id}
    render_slips(world.user("L1"), [shipped_one], "shipping")
    assert found("printed") == {processing.ill_id, shipped_one.ill_id}
    assert db.session.scalar(select(Record).where(Record.id == processing.id)).receipt_printed_at is not None


# -- the API endpoint -------------------------------------------------------------

def test_api_slip_endpoint_returns_a_pdf_and_respects_access(world, client):
    record, = shipped(world)
    lender, other = world.token("L1"), world.token("X")
    response = client.get(f"/api/v1/records/{record.ill_id}/slips/shipping.pdf",
                          headers={"Authorization": f"Bearer {lender}"})
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert record.ill_id in pdf_text(response.data)
    denied = client.get(f"/api/v1/records/{record.ill_id}/slips/shipping.pdf",
                        headers={"Authorization": f"Bearer {other}"})
    assert denied.status_code == 403 and denied.json["error"] == "forbidden"
    unknown = client.get(f"/api/v1/records/{record.ill_id}/slips/invoice.pdf",
                         headers={"Authorization": f"Bearer {lender}"})
    assert unknown.status_code == 404 and unknown.json["error"] == "not_found"
    anonymous = client.get(f"/api/v1/records/{record.ill_id}/slips/shipping.pdf")
    assert anonymous.status_code == 401


def test_slips_look_the_same_as_plain_weasyprint_html(world, tmp_path, caplog):
    """SlipHTML parses the XML-clean markup with the C XML parser and skips WeasyPrint's HTML5
    stylesheet, for speed; the pages must not change."""
    from weasyprint import HTML

    from portal.services.slip_pdf import SlipHTML, font_config, stylesheet
    from portal.services.slips import slips_html

    assert "_ua_stylesheets" in vars(HTML), "WeasyPrint renamed its user-agent stylesheet hook"
    records = shipped(world, 2, citation={"title": "<b>A</b> & \"B\" 'C'\x01\x1b"}) + [world.record("PROCESSING")]
    returned = world.record("ON_LOAN", kind="loan")
    world.run("R", returned, "SENDBACK")
    for kind, batch, size in (("shipping", records[:2], "A5"), ("receipt", records[2:], "A5"),
                              ("return", [returned], "A5"), ("shipping", records[:1], "label"),
                              ("receipt", records[2:], "A4")):
        html = slips_html(batch, kind, size)
        fast = SlipHTML(html).write_pdf(stylesheets=[stylesheet(size)], font_config=font_config)
        plain = HTML(string=html).write_pdf(stylesheets=[stylesheet(size)], font_config=font_config)
        for name, pdf in (("fast", fast), ("plain", plain)):
            (tmp_path / f"{name}.pdf").write_bytes(pdf)
            subprocess.run(["pdftoppm", "-r", "50", "-png", str(tmp_path / f"{name}.pdf"), str(tmp_path / name)],
                           check=True)
        pages = sorted(p.name for p in tmp_path.glob("fast-*.png"))
        assert pages and all((tmp_path / p).read_bytes() == (tmp_path / p.replace("fast", "plain")).read_bytes()
                             for p in pages), (kind, size)
        for page in tmp_path.glob("*.png"):
            page.unlink()
    assert "not well-formed" not in caplog.text  # the XML parser read every slip


def test_slips_render_side_by_side_in_threads(world):
    """Threaded servers print in several threads of one process; WeasyPrint must take them one by one."""
    from concurrent.futures import ThreadPoolExecutor

    from portal.services.slip_pdf import pdf_from_html
    from portal.services.slips import slips_html

    html = slips_html(shipped(world, 6), "shipping")
    with ThreadPoolExecutor(4) as threads:
        pdfs = list(threads.map(lambda _: pdf_from_html(html, "A5"), range(8)))
    assert all(pdf_pages(pdf) == 6 for pdf in pdfs)
    assert len({pdf_text(pdf) for pdf in pdfs}) == 1


def test_markup_that_is_not_xml_is_still_parsed_as_html(caplog):
    from portal.services.slip_pdf import SlipHTML, font_config, stylesheet

    pdf = SlipHTML("<p>発送票<br>ILL 1000000001").write_pdf(stylesheets=[stylesheet("A5")], font_config=font_config)
    assert "not well-formed" in caplog.text
    assert "ILL 1000000001" in pdf_text(pdf)


def pdf_fonts(pdf: bytes) -> str:
    from shipping_helpers import need
    return subprocess.run([need("pdffonts"), "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def test_characters_beyond_the_font_print_from_the_fallback_fonts(world):
    """𠮷 (U+20BB7, beyond the BMP), an emoji and a symbol are not in IPAex: they come from Noto Sans
    CJK JP, Noto Color Emoji and Symbola instead of printing as empty boxes (.notdef), and read back
    as themselves; the digits stay in the slip font."""
    record, = shipped(world, citation={"title": "𠮷野家の記録 📦", "article": "髙橋 ⛟"})
    pdf = render_slips(world.user("L1"), [record], "shipping")
    fonts = pdf_fonts(pdf)
    assert "IPAexGothic" in fonts or "Slip-Gothic" in fonts
    assert "Noto-Sans-CJK-JP" in fonts and "Noto-Color-Emoji" in fonts and "Symbola" in fonts
    text = pdf_text(pdf)
    assert "𠮷野家の記録" in text and "📦" in text and "⛟" in text
    plain, = shipped(world, citation={"title": "1234567890"})
    assert "Noto-Color-Emoji" not in pdf_fonts(render_slips(world.user("L1"), [plain], "shipping"))


def test_slips_without_unusual_characters_embed_only_the_slip_font(world):
    record, = shipped(world, citation={"title": TITLE})
    fonts = pdf_fonts(render_slips(world.user("L1"), [record], "shipping"))
    assert "Noto" not in fonts and "Symbola" not in fonts


# -- the loan's slip as a book band, envelope order -----------------------------------------

SAPPORO = "〒060-0808 北海道札幌市北区北8条西5丁目"
KYOTO = "606-8501 京都府京都市左京区吉田本町"


def banded_loan(world, slip_client="name", restriction="館内閲覧のみ"):
    from portal.services.demo import FEES
    update_library(world.libraries["R"], address=SAPPORO, ill_section="相互貸借係", slip_client=slip_client)
    update_library(world.libraries["L1"], address=KYOTO, ill_section="ILL担当")
    record = world.record("PROCESSING", kind="loan", requester_number="R-2026-0042",
                          client={"name": "山田太郎", "type": "大学院生"})
    return world.run("L1", record, "SEND", **FEES, fields={"use_restriction": restriction},
                     dates={"due": "2030-03-31"})


def ink_bottom(pdf: bytes, tmp_path) -> float:
    """How far down the page the lowest printed pixel is (0 top, 1 bottom)."""
    from PIL import Image
    from shipping_helpers import need
    (tmp_path / "s.pdf").write_bytes(pdf)
    subprocess.run([need("pdftoppm"), "-r", "40", "-gray", "-png", "-singlefile", "-f", "1", "-l", "1",
                    str(tmp_path / "s.pdf"), str(tmp_path / "p")], check=True)
    image = Image.open(tmp_path / "p.png").convert("L").point(lambda v: 255 if v < 128 else 0)
    box = image.getbbox()
    return box[3] / image.height


@pytest.mark.parametrize("size", ["A5", "label"])
def test_loan_shipping_slip_is_a_book_band(world, tmp_path, size):
    record = banded_loan(world)
    update_library(world.libraries["L1"], slip_size=size)
    assert record.use_restriction == "館内閲覧のみ"
    pdf = render_slips(world.user("L1"), [record], "shipping")
    assert pdf_pages(pdf) == 1
    text = " ".join(pdf_text(pdf).split())
    assert "返却期限 Due 2030-03-31" in text
    assert "R-2026-0042" in text and "山田太郎" in text and "大学院生" in text and "館内閲覧のみ" in text
    # envelope order: 〒 postcode, address, then the library with its ILL section and 御中
    to = text.index("〒060-0808")
    assert to < text.index("北海道札幌市北区北8条西5丁目") < text.index("Library R 相互貸借係 御中")
    # the "from" block: the sender's postcode and address (its postcode written with 〒 too)
    assert "〒606-8501" in text and "京都府京都市左京区吉田本町" in text and "Library L1 ILL担当" in text
    assert ink_bottom(pdf, tmp_path) > 0.6  # no two-thirds-empty page
    (Path(__file__).parents[2] / "test-artifacts").mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", "-", str(Path(__file__).parents[2]
                    / "test-artifacts" / f"slip-band-{size}")], input=pdf, check=True)


@pytest.mark.parametrize("allowed, shown, hidden", [("none", [], ["山田太郎", "大学院生"]),
                                                    ("type", ["大学院生"], ["山田太郎"]),
                                                    ("name", ["山田太郎", "大学院生"], [])])
def test_band_prints_the_end_user_only_as_far_as_the_requester_allows(world, allowed, shown, hidden):
    record = banded_loan(world, slip_client=allowed)
    text = pdf_text(render_slips(world.user("L1"), [record], "shipping"))
    assert all(t in text for t in shown) and not any(t in text for t in hidden)


def test_band_prints_the_patron_number_when_the_requester_chooses_it(world):
    from portal.services.demo import FEES
    from portal.services.patrons import create_patron
    create_patron(world.user("R"), {"number": "CARD-7781", "name": "山田 花子", "group": "graduate",
                                    "email": "hanako@example.ac.jp"})
    update_library(world.libraries["R"], slip_client="number")
    record = world.record("PROCESSING", kind="loan", patron="CARD-7781")
    record = world.run("L1", record, "SEND", **FEES, dates={"due": "2030-03-31"})
    text = " ".join(pdf_text(render_slips(world.user("L1"), [record], "shipping")).split())
    assert "利用者 End user: CARD-7781 · " in text
    assert "山田" not in text and "hanako@" not in text  # neither the name nor a contact detail
    # a loan without a linked patron prints only its type, never someone else's number
    plain = banded_loan(world, slip_client="number")
    text = pdf_text(render_slips(world.user("L1"), [plain], "shipping"))
    assert "大学院生" in text and "CARD" not in text and "山田太郎" not in text


def test_copy_shipping_slip_has_no_band(world):
    record, = shipped(world)
    text = pdf_text(render_slips(world.user("L1"), [record], "shipping"))
    assert "返却期限" not in text and "御中" in text


def test_return_slip_goes_to_the_lender_in_postal_order_with_its_call_number(world):
    record = banded_loan(world)
    record.candidate_for(record.lender_id).call_number = "080/Ky/12"
    db.session.commit()
    world.run("R", record, "RECEIVE")
    world.run("R", record, "BORROW")
    record = world.run("R", record, "SENDBACK")
    text = " ".join(pdf_text(render_slips(world.user("R"), [record], "return")).split())
    assert text.index("〒606-8501") < text.index("京都府京都市左京区吉田本町") < text.index("Library L1 ILL担当 御中")
    assert "請求記号 Call no. 080/Ky/12" in text
    assert "〒060-0808" in text  # from: the requester


def test_postal_split_of_addresses():
    from portal.services.slips import postal
    assert postal("〒060-0808 札幌市", 100) == ("〒060-0808", "札幌市")
    assert postal("0600808\n札幌市", 100) == ("〒060-0808", "札幌市")
    assert postal("〒 060ー0808、札幌市", 100) == ("〒060-0808", "札幌市")
    assert postal("Address of R", 100) == ("", "Address of R")
    assert postal("12345678 Main St", 100) == ("", "12345678 Main St")
    assert postal("", 100) == ("", "")
