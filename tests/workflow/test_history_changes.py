"""History entries record what a command changed besides the status (HistoryEntry.changes);
the record page and the API show them (tests/web/test_records.py)."""
from __future__ import annotations

from datetime import timedelta

from portal.services import portal_today
from workflow_helpers import FEES, reach, reload


def last_changes(record, command):
    entry = [h for h in reload(record).history if h.command == command][-1]
    return entry.changes or {}


def test_send_of_a_loan_records_dates_and_fees(world):
    record = reach(world, "PROCESSING", kind="loan")
    world.run("L1", record, "SEND", fees=FEES, dates={"sent": "2026-03-02"})
    changes = last_changes(record, "SEND")
    assert changes["sent_on"] == {"from": None, "to": "2026-03-02"}
    assert changes["due_on"] == {"from": None, "to": "2026-03-16"}  # L1 lends for 14 days
    assert changes["total"] == {"from": None, "to": "600"}
    assert changes["base_fee"]["to"] == "100" and changes["postage"]["to"] == "140"
    assert changes["fee_groups"] == {"from": [], "to": ["A4 12 × 30 = 360"]}
    assert "status" not in changes


def test_renewal_granted_records_the_new_due_date(world):
    record = reach(world, "ON_LOAN", kind="loan")
    old_due = reload(record).due_on
    new_due = old_due + timedelta(days=14)
    record = world.run("R", record, "RENEW", comment="更新をお願いします")
    record = world.run("L1", record, "RECEIVE")
    assert last_changes(record, "RECEIVE") == {"renewal_handling": {"from": False, "to": True}}
    world.run("L1", record, "CLAIM", comment="更新可", due_date=new_due.isoformat())
    assert last_changes(record, "CLAIM") == {"due_on": {"from": old_due.isoformat(), "to": new_due.isoformat()}}


def test_save_records_the_edited_fields_and_candidates(world):
    record = reach(world, "PREPARING")
    world.run("R", record, "SAVE", fields={"title": "図書館雑誌", "pages": "1-10"},
              candidates=[{"library": "L2"}, {"library": "L3"}])
    changes = last_changes(record, "SAVE")
    assert changes["title"] == {"from": "日本図書館情報学会誌", "to": "図書館雑誌"}
    assert changes["pages"] == {"from": "", "to": "1-10"}
    assert changes["candidates"] == {"from": ["L1", "L2"], "to": ["L2", "L3"]}


def test_a_command_changing_nothing_else_records_nothing(world):
    record = reach(world, "PROCESSING")
    world.run("L1", record, "INQUIRE", comment="参照不完")
    world.run("R", record, "RECEIVE")
    assert last_changes(record, "RECEIVE") == {}
    assert [h for h in reload(record).history if h.command == "RECEIVE"][-1].changes is None


def test_order_and_its_callback(world):
    record = reach(world, "PREPARING")
    world.run("R", record, "ORDER")
    today = portal_today().isoformat()
    order = last_changes(record, "ORDER")
    assert order["ordered_on"] == {"from": None, "to": today}
    assert order["lender"] == {"from": None, "to": "L1"}
    world.run("R", record, "CALLBACK")
    back = last_changes(record, "CALLBACK")
    assert back["ordered_on"] == {"from": today, "to": None}
    assert back["lender"] == {"from": "L1", "to": None}
