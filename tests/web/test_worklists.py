"""Work lists at /: two sides, kind filter, status tabs with live counts, rows."""
import re

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


@pytest.mark.parametrize("sort", ["updated", "oldest", "ill_id", "-ill_id", "status", "-status", "kind", "-kind",
                                  "title", "-title", "partner", "-partner", "last_action", "-last_action",
                                  "ordered", "-ordered", "due", "-due", "age", "-age", "bogus"])
def test_every_column_sorts_both_ways(world, desk, sort):
    first = world.record("PREPARING", citation={"title": "B"})
    second = world.record("PREPARING", citation={"title": "A"})
    desk.as_user("R")
    html = desk.get(f"/?sort={sort}").get_data(as_text=True)
    assert first.ill_id in html and second.ill_id in html
    if sort in ("ill_id", "-title"):
        assert html.index(first.ill_id) < html.index(second.ill_id)
    if sort in ("-ill_id", "title"):
        assert html.index(second.ill_id) < html.index(first.ill_id)


def test_titles_and_volumes_sort_naturally(world, desk):
    tenth = world.record("PREPARING", citation={"title": "図書館雑誌", "volume": "第10号"})
    second = world.record("PREPARING", citation={"title": "図書館雑誌", "volume": "第2号"})
    other = world.record("PREPARING", citation={"title": "図書館雑誌 第9巻"})
    later = world.record("PREPARING", citation={"title": "図書館雑誌 第１０巻"})  # full-width digits
    desk.as_user("R")
    html = desk.get("/?sort=title").get_data(as_text=True)
    order = sorted((tenth, second, other, later), key=lambda r: html.index(r.ill_id))
    assert order == [second, tenth, other, later]
    html = desk.get("/?sort=-title").get_data(as_text=True)
    assert sorted((tenth, second, other, later), key=lambda r: html.index(r.ill_id)) == [later, other, tenth, second]
    link = re.search(r'<th scope="col" aria-sort="descending"><a href="([^"]+)"', html)
    assert link and "sort=title" in link.group(1)  # the next click sorts ascending again


def test_partner_sort_uses_the_other_sides_code(world, desk):
    to_l2 = world.record("UNPROCESSED", candidates=("L2",))
    to_l1 = world.record("UNPROCESSED", candidates=("L1",))
    desk.as_user("R")
    html = desk.get("/?side=requester&status=waiting&sort=partner").get_data(as_text=True)
    assert html.index(to_l1.ill_id) < html.index(to_l2.ill_id)
    html = desk.get("/?side=requester&status=waiting&sort=-partner").get_data(as_text=True)
    assert html.index(to_l2.ill_id) < html.index(to_l1.ill_id)


def test_pagination(app, world, desk):
    app.config["PAGE_SIZE"] = 2
    records = [world.record("PREPARING") for _ in range(3)]
    desk.as_user("R")
    html = desk.get("/?sort=-ill_id").get_data(as_text=True)
    assert records[2].ill_id in html and records[0].ill_id not in html
    assert 'rel="next"' in html
    html = desk.get("/?sort=-ill_id&page=2").get_data(as_text=True)
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


# -- due dates --------------------------------------------------------------------

def loan_due_on(world, due, status="ON_LOAN"):
    """A loan sent on its due date's eve (the real commands) and brought to `status`."""
    from datetime import timedelta
    from portal.services.records import perform_command
    record = world.record("PROCESSING", kind="loan")
    lender, requester = world.user("L1"), world.user("R")
    perform_command(lender, record.ill_id, "SEND", {
        "fees": {"groups": []}, "dates": {"sent": (due - timedelta(days=20)).isoformat()},
        "due_date": due.isoformat()})
    if status in ("ARRIVED", "ON_LOAN"):
        perform_command(requester, record.ill_id, "RECEIVE", {})
    if status == "ON_LOAN":
        perform_command(requester, record.ill_id, "BORROW", {})
    return record


def test_overdue_and_due_soon_tabs_and_marks_on_both_sides(world, desk, other_desk):
    from datetime import timedelta
    from portal.services import portal_today
    today = portal_today()
    overdue = loan_due_on(world, today - timedelta(days=2))
    soon = loan_due_on(world, today + timedelta(days=3), status="SHIPPED")
    later = loan_due_on(world, today + timedelta(days=4))
    desk.as_user("R")
    html = desk.get("/?side=requester").get_data(as_text=True)
    assert re.search(r'id="tab-overdue"[^>]*>\s*延滞 <span class="count[^"]*">1</span>', html)
    assert re.search(r'id="tab-due_soon"[^>]*>\s*返却期限間近 <span class="count[^"]*">1</span>', html)
    listed = desk.get("/?side=requester&status=overdue").get_data(as_text=True)
    assert overdue.ill_id in listed and soon.ill_id not in listed and later.ill_id not in listed
    assert 'class="badge badge--overdue"' in listed
    listed = desk.get("/?side=requester&status=due_soon").get_data(as_text=True)
    assert soon.ill_id in listed and overdue.ill_id not in listed and later.ill_id not in listed
    page = desk.get(f"/records/{overdue.ill_id}").get_data(as_text=True)
    assert 'class="badge badge--overdue"' in page
    # the lender sees the same loans as overdue / due soon on its side
    other_desk.as_user("L1")
    lender = other_desk.get("/?side=lender&status=overdue").get_data(as_text=True)
    assert overdue.ill_id in lender and later.ill_id not in lender
    assert re.search(r'id="tab-due_soon"[^>]*>\s*返却期限間近 <span class="count[^"]*">1</span>', lender)
    # copies have no due dates: no due tabs in the copy filter
    assert 'id="tab-overdue"' not in desk.get("/?side=requester&kind=copy").get_data(as_text=True)


def test_due_soon_follows_the_library_setting(world, desk):
    from datetime import timedelta
    from portal.services import portal_today
    from portal.services.admin import update_library
    later = loan_due_on(world, portal_today() + timedelta(days=5))
    desk.as_user("R")
    assert later.ill_id not in desk.get("/?side=requester&status=due_soon").get_data(as_text=True)
    update_library(world.libraries["R"], due_soon_days=7)
    assert later.ill_id in desk.get("/?side=requester&status=due_soon").get_data(as_text=True)


def test_work_list_sorted_by_due_date_both_ways(world, desk):
    from datetime import timedelta
    from portal.services import portal_today
    today = portal_today()
    first = loan_due_on(world, today + timedelta(days=10))
    second = loan_due_on(world, today + timedelta(days=20))
    desk.as_user("R")
    html = desk.get("/?side=requester&sort=due").get_data(as_text=True)
    assert html.index(first.ill_id) < html.index(second.ill_id)
    html = desk.get("/?side=requester&sort=-due").get_data(as_text=True)
    assert html.index(second.ill_id) < html.index(first.ill_id)


def test_rows_escape_titles_articles_and_partner_names(world, desk):
    """Rows are written in Python (web/rows.py), not by the template: every value is still escaped."""
    from portal.extensions import db

    world.libraries["L1"].name = 'Library "<L1>" & co'
    db.session.commit()
    hostile = {"title": "<script>alert(1)</script>", "article": "<img src=x onerror=alert(2)>"}
    shipped = world.record("SHIPPED", citation=hostile)
    done = world.record("CONFIRMED", citation=hostile)
    desk.as_user("R")
    for path, record in (("/?status=SHIPPED", shipped), ("/search?q=script", done)):
        html = desk.get(path).get_data(as_text=True)
        row = html[html.index(f'<a href="/records/{record.ill_id}">'):]
        row = row[:row.index("</tr>")]
        assert "<script>" not in row and "<img" not in row and '"<L1>"' not in row, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in row and "<small>&lt;img src=x onerror=alert(2)&gt;</small>" in row
        assert 'title="Library &#34;&lt;L1&gt;&#34; &amp; co">L1</span>' in row, path
    html = desk.get("/search?q=script").get_data(as_text=True)
    assert f'<form method="post" action="/records/{done.ill_id}/copy" class="inline">' in html
    assert re.search(r'name="csrf_token" value="[^"<>]+"', html)
