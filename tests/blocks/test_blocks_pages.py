"""The record page refuses a blocked command with the block named, in the
user's language, and offers an override with a reason to the roles allowed."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "web"))

from blocks_helpers import block, reload  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.services.admin import add_user  # noqa: E402
from portal.services.patrons import create_patron  # noqa: E402
from web_helpers import Desk  # noqa: E402


@pytest.fixture
def desk(client):
    return Desk(client)


@pytest.fixture
def arrived(world):
    patron = create_patron(world.user("R"), {"number": "P001", "name": "山田 花子", "group": "graduate"})
    record = world.record("ARRIVED", kind="loan", candidates=("L1",))
    record.patron_id = patron.id
    db.session.commit()
    block(world, "R", patron="P001", note="罰金未納 <b>")
    return record


def post_borrow(desk, record, **extra):
    return desk.post(f"/records/{record.ill_id}/commands/BORROW", {"version": str(record.version), **extra},
                     htmx=True)


def test_a_blocked_borrow_names_the_block_and_a_manager_overrides(world, desk, arrived):
    desk.as_user("R")
    refused = post_borrow(desk, arrived)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "山田 花子 (P001) はブロック中です" in html
    assert "罰金未納 &lt;b&gt;" in html and "<b>" not in html.split("罰金未納")[1][:10]
    assert 'name="override_reason"' in html
    assert reload(arrived).status == "ARRIVED"
    done = post_borrow(desk, arrived, override_reason="試験前のため")
    assert done.status_code == 200, done.get_data(as_text=True)[:500]
    record = reload(arrived)
    assert record.status == "ON_LOAN"
    [note] = [h for h in record.history if h.command == "SYSTEM"]
    assert note.user_name == "user_r" and "試験前のため" in note.comment
    page = desk.get(f"/records/{record.ill_id}").get_data(as_text=True)
    assert "試験前のため" in page


def test_staff_get_no_override_form(world, desk, arrived):
    add_user("staff_r", "R", "secret-pass-1", "staff")
    desk.login("staff_r")
    refused = post_borrow(desk, arrived, override_reason="try anyway")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409 and 'name="override_reason"' not in html
    assert reload(arrived).status == "ARRIVED"


def test_the_refusal_in_japanese(world, desk, arrived):
    desk.as_user("R")
    html = post_borrow(desk, arrived, ).get_data(as_text=True)
    assert "BORROW は実行できません: 山田 花子 (P001) はブロック中です (利用停止中、解除まで)。" in html


# -- the block pages -------------------------------------------------------------------------

PAGES = ["/blocks", "/blocks?all=1", "/blocks/new", "/blocks/report", "/partners/L1", "/settings/blocks",
         "/patrons/P001/blocks"]


@pytest.mark.parametrize("url", PAGES)
def test_every_block_page_needs_a_login(client, world, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("url, data", [("/blocks/new", {"patron": "P001", "definition": "SUSPENDED"}),
                                       ("/blocks/1/lift", {"reason": "x"}),
                                       ("/settings/blocks/policy", {}), ("/settings/blocks/descriptions", {})])
def test_every_block_form_needs_csrf(world, desk, url, data):
    desk.as_user("R")
    assert desk.post(url, data, csrf=False).status_code == 400


def test_block_a_patron_through_the_form_and_lift_it(world, desk):
    create_patron(world.user("R"), {"number": "P001", "name": "山田 花子"})
    desk.as_user("R")
    form = desk.get("/blocks/new?patron=P001").get_data(as_text=True)
    assert 'value="P001"' in form and "SUSPENDED" in form
    bad = desk.post("/blocks/new", {"subject": "patron", "patron": "P001", "definition": "SUSPENDED",
                                    "note": "keep me", "expires": "2001-01-01"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "keep me" in html and 'value="2001-01-01"' in html
    done = desk.post("/blocks/new", {"subject": "patron", "patron": "P001", "definition": "SUSPENDED",
                                     "note": "罰金", "next": "/patrons/P001/blocks"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/patrons/P001/blocks")
    tab = desk.get("/patrons/P001/blocks").get_data(as_text=True)
    assert "罰金" in tab and "SUSPENDED" in tab
    [made] = blocks_rows()
    assert desk.post(f"/blocks/{made.id}/lift", {"reason": ""}).status_code == 302
    assert blocks_rows()[0].lifted_at is None  # no reason: not lifted
    desk.post(f"/blocks/{made.id}/lift", {"reason": "paid"})
    assert blocks_rows()[0].lift_reason == "paid"


def blocks_rows():
    from blocks_helpers import rows
    return rows()


def test_block_pages_show_only_what_the_library_may_see(world, desk):
    patron = create_patron(world.user("R"), {"number": "P001", "name": "秘密 太郎"})
    block(world, "R", patron="P001", note="patron secret")
    on_l1 = block(world, "R", library="L1", note="about L1")
    desk.as_user("X")
    assert "秘密 太郎" not in desk.get("/blocks?all=1").get_data(as_text=True)
    assert desk.get("/patrons/P001/blocks").status_code == 404  # R's patron: not X's
    page = desk.get("/partners/L1").get_data(as_text=True)
    assert "about L1" not in page  # R's own block on L1, not a network one
    assert desk.post(f"/blocks/{on_l1.id}/lift", {"reason": "x"}).status_code == 404
    desk.logout()
    desk.as_user("L1")
    own = desk.get("/partners/L1").get_data(as_text=True)
    assert "FROM_TARGET" in own and "about L1" in own and "patron secret" not in own
    assert desk.post(f"/blocks/{on_l1.id}/lift", {"reason": "x"}).status_code == 403
    assert patron.id


def test_report_and_settings_are_for_managers(world, desk):
    add_user("staff_r", "R", "secret-pass-1", "staff")
    desk.login("staff_r")
    assert desk.get("/blocks/report").status_code == 403
    assert desk.get("/settings/blocks").status_code == 403
    assert desk.post("/settings/blocks/policy", {}).status_code == 403
    assert desk.get("/blocks").status_code == 200


def test_settings_descriptions_add_edit_order_default_delete(world, desk):
    from portal.services import blocks as service
    desk.as_user("R")
    assert "LATE_RETURNS" in desk.get("/settings/blocks").get_data(as_text=True)
    bad = desk.post("/settings/blocks/descriptions", {"code": "bad code!", "description_en": "x"})
    assert bad.status_code == 422 and 'value="bad code!"' in bad.get_data(as_text=True)
    desk.post("/settings/blocks/descriptions", {"code": "LOST", "description_ja": "紛失", "description_en": "Lost item",
                                                "type": "loan", "overridable": "all", "blocked_action": "02"})
    rows = service.descriptions(world.libraries["R"].id)
    lost = rows[-1]
    assert lost.code == "LOST" and lost.updated_by == "user_r"
    definition = service.definition_for(world.libraries["R"].id, "LOST")
    assert (definition.type, definition.overridable, definition.blocked_action) == ("loan", "all", "02")
    desk.post(f"/settings/blocks/descriptions/{lost.id}", {"action": "up"})
    assert [d.code for d in service.descriptions(world.libraries["R"].id)][-2] == "LOST"
    desk.post(f"/settings/blocks/descriptions/{lost.id}", {"action": "default"})
    assert [d.code for d in service.descriptions(world.libraries["R"].id) if d.is_default] == ["LOST"]
    desk.post(f"/settings/blocks/descriptions/{lost.id}", {"action": "disable"})
    assert not service.descriptions(world.libraries["R"].id)[-2].enabled
    assert "LOST" not in [d.code for d in service.manual_definitions(world.libraries["R"].id)]
    desk.post(f"/settings/blocks/descriptions/{lost.id}", {"action": "enable"})
    block(world, "R", library="L1", definition="LOST")
    desk.post(f"/settings/blocks/descriptions/{lost.id}", {"action": "delete"})
    assert "LOST" in [d.code for d in service.descriptions(world.libraries["R"].id)]  # in use: kept
    overdue = next(d for d in service.descriptions(world.libraries["R"].id) if d.code == "OVERDUE")
    desk.post(f"/settings/blocks/descriptions/{overdue.id}", {"action": "delete"})
    assert "OVERDUE" in [d.code for d in service.descriptions(world.libraries["R"].id)]  # the system's
    disruptive = next(d for d in service.descriptions(world.libraries["R"].id) if d.code == "DISRUPTIVE")
    desk.post(f"/settings/blocks/descriptions/{disruptive.id}", {"action": "delete"})
    assert "DISRUPTIVE" not in [d.code for d in service.descriptions(world.libraries["R"].id)]
    # another library's description: 404
    other = service.descriptions(world.libraries["X"].id)[0]
    assert desk.post(f"/settings/blocks/descriptions/{other.id}", {"action": "delete"}).status_code == 404


def test_csv_import_adds_and_updates(world, desk):
    import io
    from portal.services import blocks as service
    desk.as_user("R")
    csv_text = ("code,description_ja,description_en\n"
                "NOISE,騒音,Noise in the reading room,user,all,01,false\n"
                "SUSPENDED,利用停止,Suspended (edited)\n"
                "bad!,x,y\n")
    response = desk.post("/settings/blocks/import", {"file": (io.BytesIO(csv_text.encode()), "blocks.csv")},
                         content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "NOISE" in html
    codes = {d.code: d for d in service.descriptions(world.libraries["R"].id)}
    assert codes["NOISE"].description_en == "Noise in the reading room"
    assert codes["SUSPENDED"].description_en == "Suspended (edited)"
    assert "BAD!" not in codes and "bad!" not in codes


def test_policy_form_saves_and_keeps_bad_input(world, desk):
    from portal.services import blocks as service
    desk.as_user("R")
    bad = desk.post("/settings/blocks/policy", {"unit": "weeks", "value": "two", "history_days": "90",
                                                "threshold": "5", "suspension_days": "7",
                                                "points": "graduate,all,1,2"})
    assert bad.status_code == 422 and 'value="two"' in bad.get_data(as_text=True)
    assert service.policy_dict(world.libraries["R"].id)["overdue"]["unit"] == "none"
    done = desk.post("/settings/blocks/policy", [
        ("unit", "open_days"), ("value", "3"), ("cumulative", "1"), ("max_days", "30"), ("max_per_block", "1"),
        ("demerits_enabled", "1"), ("history_days", "90"), ("threshold", "5"), ("suspension_days", "7"),
        ("points", "graduate,all,1,2\nall,loan,3,6"), ("closed_weekdays", "6"), ("public_holidays", "1"),
        ("closed_dates", "2026-12-29\n2026-12-30")])
    assert done.status_code == 302
    policy = service.policy_dict(world.libraries["R"].id)
    assert policy["overdue"] == {"unit": "open_days", "value": 3, "cumulative": True, "max_days": 30,
                                 "max_per_block": True}
    assert policy["demerits"]["points"][1] == {"group": "all", "kind": "loan", "regular": 3, "recalled": 6}
    assert policy["calendar"] == {"closed_weekdays": [6], "public_holidays": True,
                                  "closed_dates": ["2026-12-29", "2026-12-30"]}
    calendar = service.calendar_for(world.libraries["R"].id)
    from datetime import date
    assert not calendar.is_open(date(2026, 12, 29)) and not calendar.is_open(date(2026, 12, 27))


def test_marks_on_the_record_page_and_candidates_shown_unavailable(world, desk):
    record = world.record("PROCESSING", candidates=("L1", "L2"))
    block(world, "R", library="L1")  # R blocks L1 (its lender here)
    block(world, "L2", library="R", note="late")  # L2 blocks R's requests
    desk.as_user("R")
    page = desk.get(f"/records/{record.ill_id}").get_data(as_text=True)
    assert page.count("block-mark") == 2  # beside the lender and its candidate row
    assert "自館の依頼をブロック中" in page  # L2, a candidate, blocks R
    form = desk.get("/records/new").get_data(as_text=True)
    options = form.split('value="L2"')[1].split("</option>")[0]
    assert "利用不可: 自館からの依頼をブロック中 (利用停止中)" in options
    assert "利用不可" not in form.split('value="L3"')[1].split("</option>")[0]


def test_patron_list_marks_blocked_patrons_and_the_patron_page_links_its_blocks(world, desk):
    create_patron(world.user("R"), {"number": "P001", "name": "山田 花子"})
    create_patron(world.user("R"), {"number": "P002", "name": "佐藤 一郎"})
    block(world, "R", patron="P001")
    desk.as_user("R")
    listing = desk.get("/patrons").get_data(as_text=True)
    row_1 = listing.split("山田 花子")[1].split("</td>")[0]
    row_2 = listing.split("佐藤 一郎")[1].split("</td>")[0]
    assert "block-mark" in row_1 and "block-mark" not in row_2
    page = desk.get("/patrons/P001").get_data(as_text=True)
    assert "/patrons/P001/blocks" in page and "block-mark" in page
