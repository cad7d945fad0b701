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
    desk.client.set_cookie("language", "en")
    refused = post_borrow(desk, arrived)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "山田 花子 (P001) is blocked" in html or "ブロック中" in html
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
