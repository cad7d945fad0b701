"""The Blocks tab on the patron page and on a partner's page: active and past blocks, a manual
block with a note and an expiry, lifting with a reason; refused input comes back on the same page
(422, inputs kept); another library sees none of it."""
from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "web"))

from blocks_helpers import block, rows, today  # noqa: E402
from portal.services.patrons import create_patron  # noqa: E402
from web_helpers import Desk  # noqa: E402


@pytest.fixture
def desk(client):
    return Desk(client)


@pytest.fixture
def hanako(world):
    return create_patron(world.user("R"), {"number": "P001", "name": "山田 花子", "group": "graduate"})


def panel(html: str) -> str:
    return html.split('id="blocks"')[1].split("</section>")[0]


def test_the_patron_page_blocks_a_patron_and_shows_the_block(world, desk, hanako):
    desk.as_user("R")
    page = desk.get("/patrons/P001").get_data(as_text=True)
    assert "ブロックはありません" in panel(page)
    assert 'action="/patrons/P001/blocks"' in page and "SUSPENDED" in panel(page)
    until = (today() + timedelta(days=30)).isoformat()
    done = desk.post("/patrons/P001/blocks", {"definition": "DISRUPTIVE", "note": "閲覧室で<大声>", "expires": until})
    assert done.status_code == 302 and done.headers["Location"].endswith("/patrons/P001#blocks")
    [made] = rows()
    assert (made.patron_id, made.definition.code, made.note, made.expires.isoformat(), made.created_by.username) == (
        hanako.id, "DISRUPTIVE", "閲覧室で<大声>", until, "user_r")
    page = desk.get("/patrons/P001").get_data(as_text=True)
    shown = panel(page)
    assert "DISRUPTIVE" in shown and "閲覧室で&lt;大声&gt;" in shown and "<大声>" not in shown
    assert "user_r" in shown and f'action="/blocks/{made.id}/lift"' in shown
    assert "block-mark" in page.split('class="page-head"')[1].split("</div>")[0]  # the mark in the head


def test_refused_block_comes_back_on_the_patron_page_with_the_inputs(world, desk, hanako):
    desk.as_user("R")
    bad = desk.post("/patrons/P001/blocks", {"definition": "SUSPENDED", "note": "残す", "expires": "2001-01-01"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    form = html.split('id="block-form"')[1].split("</form>")[0]
    assert "残す" in form and 'value="2001-01-01"' in form and 'aria-invalid="true"' in form
    assert "<details class=\"block-new\" open>" in html
    assert "山田 花子" in html and 'id="consent"' in html  # the whole patron page, not a bare form
    for data in ({"definition": "NOPE"}, {"definition": "FROM_TARGET"}, {"definition": "SUSPENDED", "expires": "x"},
                 {"definition": "SUSPENDED", "note": "あ" * 2001}, {}):
        assert desk.post("/patrons/P001/blocks", data).status_code == 422, data
    assert rows() == []


def test_lifting_from_the_patron_page_keeps_the_block_as_past_with_who_and_why(world, desk, hanako):
    made = block(world, "R", patron="P001", note="延滞")
    desk.as_user("R")
    back = desk.post(f"/blocks/{made.id}/lift", {"reason": "返却済み", "next": "/patrons/P001#blocks"})
    assert back.status_code == 302 and back.headers["Location"].endswith("/patrons/P001#blocks")
    shown = panel(desk.get("/patrons/P001").get_data(as_text=True))
    assert "返却済み" in shown and "延滞" in shown and f'action="/blocks/{made.id}/lift"' not in shown
    assert 'class="inactive"' in shown and "user_r" in shown
    assert desk.post(f"/blocks/{made.id}/lift", {"reason": "again", "next": "//evil.example/"}).headers[
        "Location"].endswith("/blocks")  # only a path of this site


def test_the_patron_blocks_page_shows_the_same_panel(world, desk, hanako):
    block(world, "R", patron="P001", note="tab note")
    desk.as_user("R")
    page = desk.get("/patrons/P001/blocks").get_data(as_text=True)
    assert "tab note" in panel(page) and 'action="/patrons/P001/blocks"' in page


def test_another_library_sees_no_patron_blocks_and_cannot_block_the_patron(world, desk, hanako):
    made = block(world, "R", patron="P001", note="R only")
    desk.as_user("X")
    assert desk.get("/patrons/P001").status_code == 404
    assert desk.get("/patrons/P001/blocks").status_code == 404
    assert desk.post("/patrons/P001/blocks", {"definition": "SUSPENDED"}).status_code == 404
    assert desk.post(f"/blocks/{made.id}/lift", {"reason": "x"}).status_code == 404
    create_patron(world.user("X"), {"number": "P001", "name": "別人"})  # the same card number at X
    page = desk.get("/patrons/P001").get_data(as_text=True)
    assert "R only" not in page and "別人" in page and "block-mark" not in page
    assert [b.patron_id for b in rows()] == [hanako.id] and rows()[0].lifted_at is None


def test_the_partner_page_blocks_a_library_and_lifts_it(world, desk):
    desk.as_user("R")
    page = desk.get("/partners/L1").get_data(as_text=True)
    assert 'action="/partners/L1/blocks"' in page
    bad = desk.post("/partners/L1/blocks", {"definition": "LATE_RETURNS", "note": "遅延", "expires": "yesterday"})
    assert bad.status_code == 422 and "遅延" in bad.get_data(as_text=True) and rows() == []
    done = desk.post("/partners/L1/blocks", {"definition": "LATE_RETURNS", "note": "遅延"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/partners/L1#blocks")
    [made] = rows()
    assert made.partner_id == world.libraries["L1"].id and made.library_id == world.libraries["R"].id
    page = desk.get("/partners/L1").get_data(as_text=True)
    assert "遅延" in panel(page) and "block-mark" in page.split("<h1")[1].split("</h1>")[0]
    desk.post(f"/blocks/{made.id}/lift", {"reason": "改善", "next": "/partners/L1#blocks"})
    assert rows()[0].lift_reason == "改善"
    assert "block-mark" not in desk.get("/partners/L1").get_data(as_text=True).split("<h1")[1].split("</h1>")[0]


def test_the_partner_page_of_the_own_library_has_no_block_form_and_others_see_only_network_blocks(world, desk):
    block(world, "R", library="L1", note="R's own view", definition="SUSPENDED")
    block(world, "R", library="L1", note="shared", definition="LATE_RETURNS")  # a network block
    desk.as_user("R")
    own = desk.get("/partners/R").get_data(as_text=True)
    assert 'action="/partners/R/blocks"' not in own
    assert desk.post("/partners/R/blocks", {"definition": "SUSPENDED"}).status_code == 422  # not itself
    assert desk.get("/partners/NOPE").status_code == 404
    assert desk.post("/partners/NOPE/blocks", {"definition": "SUSPENDED"}).status_code == 404
    desk.logout()
    desk.as_user("X")
    seen = panel(desk.get("/partners/L1").get_data(as_text=True))
    assert "R's own view" not in seen and "shared" in seen and "/lift" not in seen


@pytest.mark.parametrize("url", ["/patrons/P001/blocks", "/partners/L1/blocks"])
def test_the_block_forms_need_a_login_and_csrf(world, client, desk, hanako, url):
    assert client.post(url, data={"definition": "SUSPENDED"}).status_code in (302, 400)
    desk.as_user("R")
    assert desk.post(url, {"definition": "SUSPENDED"}, csrf=False).status_code == 400
    assert rows() == []


def test_the_panel_in_both_languages(world, desk, hanako):
    block(world, "R", patron="P001")
    desk.as_user("R")
    japanese = desk.get("/patrons/P001").get_data(as_text=True)
    assert "この利用者をブロック" in japanese and "この利用者はブロック中です: SUSPENDED。" in japanese
    desk.post("/language", {"language": "en", "next": "/"})
    english = desk.get("/patrons/P001").get_data(as_text=True)
    assert "Block this patron" in english and "This patron is blocked: SUSPENDED." in english
