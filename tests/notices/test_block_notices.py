"""BLOCK_APPLIED and BLOCK_LIFTED: optional notices (off until a library turns a channel on),
queued in the transaction that applies or lifts the block (manual, overdue, DEMERIT, the daily
job's expiries), sent through the real SMTP server in the patron's language, one per block."""
from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "blocks"))

from blocks_helpers import block, loan_on_loan, rows, set_policy, today  # noqa: E402
from notices_helpers import make_patron, notices  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.services import blocks  # noqa: E402
from portal.services.notices.preferences import save_setting  # noqa: E402
from portal.services.notices.worker import Worker  # noqa: E402
from portal.workflow.errors import ValidationError  # noqa: E402


def turn_on(world, *types, channels=("email",), library="R"):
    for code in types:
        save_setting(world.users[library], code, {"channels": list(channels), "policy": "first"})


@pytest.fixture
def hanako(world):
    return make_patron(world, mobile=None)


def test_off_by_default(world, hanako):
    made = block(world, "R", patron="P001", note="罰金未納")
    blocks.lift_block(world.user("R"), made.id, "支払済み")
    assert notices() == []


def test_a_manual_block_and_its_lift_reach_the_patron_by_email(world, hanako, smtp_app, smtp_server):
    turn_on(world, "BLOCK_APPLIED", "BLOCK_LIFTED")
    until = today() + timedelta(days=30)
    made = block(world, "R", patron="P001", note="罰金未納", expires=until.isoformat())
    [applied] = notices(type="BLOCK_APPLIED")
    assert (applied.patron_id, applied.channel, applied.recipient, applied.status) == (
        hanako.id, "email", "hanako@example.jp", "queued")
    assert Worker.from_config().run(once=True) == 1
    [message] = [r.message for r in smtp_server.wait_for(1)]
    assert message["To"].addresses[0].addr_spec == "hanako@example.jp"
    assert message["Subject"].strip() == "【Library R】ILLのご利用を停止しました"
    body = message.get_content()
    assert "山田 花子 様" in body and "理由: 利用停止中（罰金未納）" in body
    assert f"期間: {today().isoformat()} から {until.isoformat()} まで" in body
    blocks.lift_block(world.user("R"), made.id, "支払済み")
    [lifted] = notices(type="BLOCK_LIFTED")
    assert lifted.status == "queued" and lifted.cycle == f"block/{made.id}"
    Worker.from_config().run(once=True)
    message = smtp_server.wait_for(2)[1].message
    assert message["Subject"].strip() == "【Library R】ILLのご利用停止を解除しました"
    assert "ILLのご利用停止（利用停止中）を解除しました" in message.get_content()


def test_in_english_for_an_english_patron(world, smtp_app, smtp_server):
    make_patron(world, number="P002", name="Ken Sato", email="ken@example.jp", mobile=None, language="en")
    turn_on(world, "BLOCK_APPLIED")
    block(world, "R", patron="P002", definition="DISRUPTIVE", note="noise")
    Worker.from_config().run(once=True)
    message = smtp_server.wait_for(1)[0].message
    assert message["Subject"].strip() == "[Library R] Your interlibrary loan service is suspended"
    body = message.get_content()
    assert "Dear Ken Sato" in body and "Reason: Disruptive behaviour in the library (noise)" in body
    assert "until further notice" in body


def test_a_refused_block_leaves_no_notice_and_a_partners_block_sends_none(world, hanako):
    turn_on(world, "BLOCK_APPLIED")
    with pytest.raises(ValidationError):
        block(world, "R", patron="P001", expires="2001-01-01")
    block(world, "R", library="L1")  # a partner library: not a patron notice
    assert notices() == [] and len(rows()) == 1


def test_an_overdue_block_on_a_late_return_and_its_lift_when_the_due_date_moves(world, hanako):
    turn_on(world, "BLOCK_APPLIED", "BLOCK_LIFTED")
    set_policy(world, "R", overdue={"unit": "all_days", "value": 7})
    set_policy(world, "L1", overdue={"unit": "all_days", "value": 7})
    record = loan_on_loan(world, due_days_ago=3, patron=hanako)
    record = world.run("R", record, "SENDBACK")
    [applied] = notices(type="BLOCK_APPLIED")
    [made] = rows(origin="overdue", patron_id=hanako.id)
    assert applied.record_id == record.id and applied.cycle == f"block/{made.id}"
    assert "延滞資料の返却" in applied.body and (today() + timedelta(days=7)).isoformat() in applied.body
    record = world.run("L1", record, "RECEIVE")
    world.run("L1", record, "CLAIM", comment="更新可 (renewal granted)",
              dates={"due": (today() + timedelta(days=7)).isoformat()})
    [lifted] = notices(type="BLOCK_LIFTED")
    assert lifted.patron_id == hanako.id and lifted.cycle == f"block/{made.id}"


def test_a_refused_command_leaves_no_block_notice(world, hanako):
    turn_on(world, "BLOCK_APPLIED")
    set_policy(world, "R", overdue={"unit": "all_days", "value": 7})
    record = loan_on_loan(world, due_days_ago=3, patron=hanako)
    with pytest.raises(ValidationError):  # a patron's return after the send-back date is refused
        world.run("R", record, "SENDBACK", dates={"patron_returned": (today() + timedelta(days=1)).isoformat()})
    db.session.rollback()
    assert notices(type="BLOCK_APPLIED") == [] and rows(origin="overdue") == []


def test_the_daily_job_tells_of_an_ended_block_once_and_of_a_demerit_block(world, hanako):
    turn_on(world, "BLOCK_APPLIED", "BLOCK_LIFTED")
    made = block(world, "R", patron="P001", expires=(today() + timedelta(days=5)).isoformat())
    end = made.expires
    blocks.daily_step(end)
    blocks.daily_step(end)  # safe twice: one notice
    [lifted] = notices(type="BLOCK_LIFTED")
    assert lifted.cycle == f"block/{made.id}"
    set_policy(world, "R", demerits={"enabled": True, "history_days": 90, "threshold": 1, "suspension_days": 10,
                                     "points": [{"group": "all", "kind": "all", "regular": 2, "recalled": 2}]})
    world.run("R", loan_on_loan(world, due_days_ago=2, patron=hanako), "SENDBACK")
    [suspension] = rows(origin="demerit")
    applied = [n for n in notices(type="BLOCK_APPLIED") if n.cycle == f"block/{suspension.id}"]
    assert len(applied) == 1 and "デメリットによる利用停止" in applied[0].body


def test_the_settings_page_offers_the_block_notices_with_their_templates(world, client):
    sys.path.insert(0, str(Path(__file__).parents[1] / "web"))
    from web_helpers import Desk

    desk = Desk(client).as_user("R")
    page = desk.get("/settings/notices").get_data(as_text=True)
    form = page.split('id="type-BLOCK_APPLIED"')[1].split("</form>")[0]
    assert 'value="email"' in form and "checked" not in form  # optional: off until turned on
    editor = desk.get("/settings/notices/templates/BLOCK_LIFTED/sms/ja").get_data(as_text=True)
    assert "block.description" in editor
    done = desk.post("/settings/notices/types/BLOCK_APPLIED", [("channels", "email"), ("channels", "sms"),
                                                               ("policy", "all")])
    assert done.status_code in (200, 302)
    from portal.services.notices.preferences import type_setting
    assert type_setting(world.libraries["R"].id, "BLOCK_APPLIED").channels == {"email", "sms"}
