"""Work lists at /: two sides, kind filter, status tabs with live counts, rows."""
import pytest

from web_helpers import HTMX


def test_full_page_and_fragment(world, desk):
    world.record("PREPARING")
    desk.as_user("R")
    page = desk.get("/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and 'id="worklist"' in html
    assert "HX-Request" in page.headers["Vary"]
    fragment = desk.get("/?side=lender", htmx=True)
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and body.lstrip().startswith('<div id="worklist"')


def test_requester_side_lists_own_queue_with_counts(world, desk):
    preparing = world.record("PREPARING")
    inquiry = world.record("NEW_INQUIRY")
    waiting = world.record("UNPROCESSED")
    world.record("CONFIRMED")  # final: not in work lists
    desk.as_user("R")
    html = desk.get("/").get_data(as_text=True)
    table = html[html.index('<table class="list">'):]
    assert preparing.ill_id in table and inquiry.ill_id in table
    assert waiting.ill_id not in table  # waits on the lender
    tabs = html[html.index('id="status-tabs"'):html.index('<table')]
    assert "status=PREPARING" in tabs and "status=UNPROCESSED" in tabs
    waiting_html = desk.get("/?status=waiting").get_data(as_text=True)
    assert waiting.ill_id in waiting_html[waiting_html.index("<table"):]


def test_lender_side_and_status_tab(world, desk):
    unprocessed = world.record("UNPROCESSED")
    processing = world.record("PROCESSING")
    desk.as_user("L1")
    html = desk.get("/?side=lender&status=UNPROCESSED").get_data(as_text=True)
    table = html[html.index("<table"):]
    assert unprocessed.ill_id in table and processing.ill_id not in table
    assert "Library R" in table or ">R<" in table


def test_counts(world, desk):
    for _ in range(3):
        world.record("UNPROCESSED")
    world.record("UNPROCESSED", kind="loan")
    desk.as_user("L1")
    html = desk.get("/?side=lender").get_data(as_text=True)
    tab = html[html.index("status=UNPROCESSED"):][:400]
    assert '<span class="count count--active">4</span>' in tab
    html = desk.get("/?side=lender&kind=loan").get_data(as_text=True)
    tab = html[html.index("status=UNPROCESSED"):][:400]
    assert '<span class="count count--active">1</span>' in tab


def test_counts_refresh_fragment(world, desk):
    world.record("UNPROCESSED")
    desk.as_user("L1")
    response = desk.get("/?side=lender", headers={**HTMX, "HX-Target": "status-tabs"})
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="status-tabs"') and "<table" not in body
    assert 'hx-trigger="records-changed from:body' in body


def test_rows_show_kind_partner_last_action_dates_age(world, desk):
    record = world.record("SHIPPED", kind="loan")
    desk.as_user("R")
    html = desk.get("/?status=SHIPPED").get_data(as_text=True)
    row = html[html.index(record.ill_id):]
    row = row[:row.index("</tr>")]
    assert "L1" in row and "SEND" in row and "日本図書館情報学会誌" in row and "ILLの研究" in row
    assert '<td class="num"><span class="">0</span></td>' in row


@pytest.mark.parametrize("sort", ["updated", "oldest", "ill_id", "title", "ordered"])
def test_sorting(world, desk, sort):
    first = world.record("PREPARING", citation={"title": "B"})
    second = world.record("PREPARING", citation={"title": "A"})
    desk.as_user("R")
    html = desk.get(f"/?sort={sort}").get_data(as_text=True)
    assert first.ill_id in html and second.ill_id in html
    if sort == "ill_id":
        assert html.index(second.ill_id) < html.index(first.ill_id)


def test_pagination(app, world, desk):
    app.config["PAGE_SIZE"] = 2
    records = [world.record("PREPARING") for _ in range(3)]
    desk.as_user("R")
    html = desk.get("/?sort=ill_id").get_data(as_text=True)
    assert records[2].ill_id in html and records[0].ill_id not in html
    assert 'rel="next"' in html
    html = desk.get("/?sort=ill_id&page=2").get_data(as_text=True)
    assert records[0].ill_id in html


def test_other_libraries_records_never_listed(world, desk):
    record = world.record("UNPROCESSED")
    desk.as_user("X")
    for url in ("/", "/?side=lender", "/?status=waiting", "/?side=lender&status=waiting"):
        assert record.ill_id not in desk.get(url).get_data(as_text=True)


def test_header_badge_counts_own_queues(world, desk):
    world.record("PREPARING")
    world.record("UNPROCESSED")
    desk.as_user("R")
    html = desk.get("/").get_data(as_text=True)
    badge = html[html.index('id="queue-counts"'):][:600]
    assert "</span>1</span>" in badge and "</span>0</span>" in badge
