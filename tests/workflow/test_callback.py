"""CALLBACK: undo the caller's own latest transition, with the spec's exceptions."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.services.access import load_record
from portal.services.archive import archive_old_records
from portal.services.records import commands_for
from portal.workflow.errors import CommandNotAllowed
from workflow_helpers import FEES, command_count, reach, reload

PARDON = {"comment": "未所蔵 (not held)"}


def state(record):
    """What a CALLBACK must restore: everything a command may change."""
    record = reload(record)
    return {
        "status": record.status, "lender_id": record.lender_id, "claim": record.claim_handling,
        "renewal": record.renewal_handling,
        "dates": [record.ordered_on, record.accepted_on, record.sent_on, record.received_on, record.due_on,
                  record.sent_back_on, record.return_received_on],
        "fees": [record.base_fee, record.postage, record.total],
        "groups": [(g.item, g.quantity, g.unit_price, g.charge) for g in record.fee_groups],
        "candidates": [(c.library_id, c.tried, c.skipped) for c in record.candidates],
    }


def callback(world, code, record):
    record = world.run(code, record, "CALLBACK")
    entry = reload(record).history[-1]
    assert (entry.command, entry.library_id) == ("CALLBACK", world.libraries[code].id)
    return reload(record)


def test_callback_of_order(world):
    record = reach(world, "PREPARING")
    before = state(record)
    record = world.run("R", record, "ORDER")
    assert record.lender_id is not None

    record = callback(world, "R", record)

    assert record.status == "PREPARING"
    assert record.lender_id is None
    assert state(record) == before
    with pytest.raises(Exception):
        load_record(world.libraries["L1"].id, record.ill_id)  # L1 never had it now
    # and the request can be ordered again
    assert world.run("R", record, "ORDER").status == "UNPROCESSED"


def test_callback_of_send_restores_dates_and_fees(world):
    record = reach(world, "PROCESSING", kind="loan")
    record = world.run("L1", record, "INQUIRE", comment="料金前納", fees={"groups": [], "postage": "520"})
    record = world.run("R", record, "RECEIVE")
    record = world.run("R", record, "ANSWER", comment="OK, we pay")
    record = world.run("L1", record, "RECEIVE")
    before = state(record)
    assert before["fees"] == [Decimal(0), Decimal(520), Decimal(520)] and before["groups"] == []

    record = reload(world.run("L1", record, "SEND", fees=FEES, due_date="2099-01-31"))
    assert record.sent_on is not None and record.due_on is not None and record.total == Decimal(600)

    record = callback(world, "L1", record)

    assert record.status == "PROCESSING"
    assert state(record) == before
    assert (record.sent_on, record.due_on) == (None, None)


def test_callback_of_send_without_earlier_fees_clears_them(world):
    record = reach(world, "PROCESSING")
    before = state(record)
    world.run("L1", record, "SEND", fees=FEES)
    record = callback(world, "L1", record)
    assert state(record) == before
    assert record.total is None and record.fee_groups == []


@pytest.mark.parametrize("start", ["PREPARING", "INQUIRY"])
def test_cancel_then_callback_returns_to_preparing(world, start):
    record = reach(world, start)
    record = world.run("R", record, "CANCEL", comment="利用者が取り下げ")
    assert record.status == "CANCELLED"

    record = callback(world, "R", record)

    assert record.status == "PREPARING"
    assert record.lender_id is None
    assert all(not c.tried for c in record.candidates)
    assert world.run("R", record, "ORDER").status == "UNPROCESSED"


def test_forwarding_pardon_cannot_be_called_back(world):
    record = reach(world, "PROCESSING", candidates=("L1", "L2"))
    record = world.run("L1", record, "PARDON", **PARDON)
    entries = command_count(record.id)
    with pytest.raises(CommandNotAllowed):
        world.run("L1", record, "CALLBACK")
    with pytest.raises(CommandNotAllowed):  # nor by the new lender or the requester
        world.run("L2", record, "CALLBACK")
    with pytest.raises(CommandNotAllowed):
        world.run("R", record, "CALLBACK")
    record = reload(record)
    assert record.status == "UNPROCESSED" and command_count(record.id) == entries


def test_all_declined_pardon_can_be_called_back(world):
    record = reach(world, "PROCESSING", candidates=("L1",))
    before = state(record)
    record = world.run("L1", record, "PARDON", **PARDON)
    assert (record.status, record.lender_id) == ("NEW_INQUIRY", None)
    assert "CALLBACK" in commands_for(world.user("L1"), record)  # the button is offered

    record = callback(world, "L1", record)

    assert record.status == "PROCESSING"
    assert record.lender_id == world.libraries["L1"].id
    assert state(record) == before
    assert world.run("L1", record, "SEND", fees=FEES).status == "SHIPPED"


def test_all_declined_pardon_cannot_be_called_back_once_the_requester_read_it(world):
    record = reach(world, "PROCESSING", candidates=("L1",))
    record = world.run("L1", record, "PARDON", **PARDON)
    world.run("R", record, "RECEIVE")
    with pytest.raises(CommandNotAllowed):
        world.run("L1", record, "CALLBACK")
    assert commands_for(world.user("L1"), reload(record)) == []


def test_callback_refused_once_the_partner_acted(world):
    record = reach(world, "PREPARING")
    record = world.run("R", record, "ORDER")
    record = world.run("L1", record, "RECEIVE")
    entries = command_count(record.id)
    with pytest.raises(CommandNotAllowed, match="CALLBACK in status PROCESSING"):
        world.run("R", record, "CALLBACK")
    record = reload(record)
    assert record.status == "PROCESSING" and command_count(record.id) == entries
    # but the partner may call back its own RECEIVE
    assert callback(world, "L1", record).status == "UNPROCESSED"


def test_callback_refused_without_a_command_of_ones_own(world):
    record = reach(world, "PREPARING")
    with pytest.raises(CommandNotAllowed):
        world.run("R", record, "CALLBACK")  # only CREATE so far


def test_a_callback_itself_is_not_called_back_the_command_before_it_is(world):
    record = reach(world, "SHIPPED")
    callback(world, "L1", record)  # undoes SEND
    record = callback(world, "L1", record)  # undoes RECEIVE, not the CALLBACK
    assert record.status == "UNPROCESSED"
    assert [h.command for h in record.history if h.command != "SYSTEM"][-2:] == ["CALLBACK", "CALLBACK"]


# -- chains: a transition called back no longer counts -------------------------

def test_lender_receives_by_mistake_then_requester_calls_back_its_order(world):
    record = reach(world, "PREPARING")
    before_order = state(record)
    record = world.run("R", record, "ORDER")
    record = world.run("L1", record, "RECEIVE")
    assert "CALLBACK" not in commands_for(world.user("R"), record)

    record = callback(world, "L1", record)
    assert record.status == "UNPROCESSED" and record.lender_id == world.libraries["L1"].id
    assert "CALLBACK" in commands_for(world.user("R"), record)  # ORDER is the latest again
    assert "CALLBACK" not in commands_for(world.user("L1"), record)

    record = callback(world, "R", record)
    assert state(record) == before_order
    with pytest.raises(CommandNotAllowed):  # CREATE is not a command to undo
        world.run("R", record, "CALLBACK")


@pytest.mark.parametrize("kind, start, steps", [
    ("copy", "UNPROCESSED", (("L1", "RECEIVE", {}), ("L1", "SEND", {"fees": FEES}))),
    ("copy", "SHIPPED", (("R", "RECEIVE", {}), ("R", "OK", {}))),
    ("loan", "SHIPPED", (("R", "RECEIVE", {}), ("R", "BORROW", {}), ("R", "RENEW", {"comment": "更新をお願いします"}))),
])
def test_a_library_undoes_its_consecutive_commands_one_by_one(world, kind, start, steps):
    record = reach(world, start, kind=kind)
    states = []
    for code, command, data in steps:
        states.append((code, state(record)))
        record = world.run(code, record, command, **data)
    for code, before in reversed(states):
        record = callback(world, code, record)
        assert state(record) == before
    assert record.status == start
    with pytest.raises(CommandNotAllowed):  # the partner's command before them is the latest now
        world.run(steps[0][0], record, "CALLBACK")


def test_undoing_a_whole_loan_back_to_the_order(world):
    record = reach(world, "PREPARING", kind="loan")
    start = state(record)
    steps = [("R", "ORDER", {}), ("L1", "RECEIVE", {}), ("L1", "SEND", {"fees": FEES}), ("R", "RECEIVE", {}),
             ("R", "BORROW", {}), ("R", "SENDBACK", {}), ("L1", "RECEIVE", {}), ("L1", "OK", {})]
    for code, command, data in steps:
        record = world.run(code, record, command, **data)
    assert record.status == "RETURN_CONFIRMED"
    for code, command, _data in reversed(steps):
        other = "R" if code == "L1" else "L1"
        with pytest.raises(CommandNotAllowed):
            world.run(other, record, "CALLBACK")  # only the latest standing command's author
        record = callback(world, code, record)
    assert state(record) == start


def test_callback_of_cancel_starts_afresh(world):
    record = reach(world, "INQUIRY")
    record = world.run("R", record, "CANCEL")
    record = callback(world, "R", record)
    assert record.status == "PREPARING"
    for code in ("R", "L1"):
        assert "CALLBACK" not in commands_for(world.user(code), record)
        with pytest.raises(CommandNotAllowed):
            world.run(code, record, "CALLBACK")
    # a fresh ORDER can be called back, and then again nothing
    record = world.run("R", record, "ORDER")
    record = callback(world, "R", record)
    assert record.status == "PREPARING" and record.lender_id is None
    with pytest.raises(CommandNotAllowed):
        world.run("R", record, "CALLBACK")


def test_after_a_forwarding_pardon_the_chain_stops_there(world):
    record = reach(world, "PROCESSING", candidates=("L1", "L2"))
    record = world.run("L1", record, "PARDON", **PARDON)
    record = world.run("L2", record, "RECEIVE")
    record = callback(world, "L2", record)
    assert (record.status, record.lender_id) == ("UNPROCESSED", world.libraries["L2"].id)
    for code in ("L1", "L2", "R"):
        with pytest.raises(CommandNotAllowed):
            world.run(code, record, "CALLBACK")


def test_declined_for_all_pardon_is_callable_again_once_the_requester_called_back_its_receive(world):
    record = reach(world, "PROCESSING", candidates=("L1",))
    before = state(record)
    record = world.run("L1", record, "PARDON", **PARDON)
    record = world.run("R", record, "RECEIVE")
    assert "CALLBACK" not in commands_for(world.user("L1"), record)
    record = callback(world, "R", record)
    assert record.status == "NEW_INQUIRY"
    assert "CALLBACK" in commands_for(world.user("L1"), record)
    record = callback(world, "L1", record)
    assert state(record) == before
    assert callback(world, "L1", record).status == "UNPROCESSED"  # and its RECEIVE before that


def test_a_settled_record_stops_a_chain(world):
    record = reach(world, "SHIPPED")
    callback(world, "L1", record)
    record = reload(record)
    record.settled_at = datetime.now(timezone.utc)
    db.session.commit()
    with pytest.raises(CommandNotAllowed, match="settlement"):
        world.run("L1", record, "CALLBACK")
    assert reload(record).status == "PROCESSING"


def test_callback_ignores_a_later_save(world):
    record = reach(world, "PROCESSING")
    world.run("L1", record, "SAVE", fields={"lender_number": "A-17"})
    record = callback(world, "L1", record)
    assert record.status == "UNPROCESSED"
    assert record.lender_number == "A-17"  # SAVE edits are not a transition


def test_on_loan_after_a_renewal_calls_back_to_return_claim_not_arrived(world):
    record = reach(world, "ON_LOAN", kind="loan")
    record = world.run("R", record, "RENEW", comment="更新をお願いします")
    record = world.run("L1", record, "RECEIVE")
    record = world.run("L1", record, "CLAIM", comment="更新可 (renewal granted)", due_date="2099-03-31")
    record = world.run("R", record, "RECEIVE")
    assert (record.status, record.renewal_handling) == ("ON_LOAN", False)

    record = callback(world, "R", record)

    assert record.status == "RETURN_CLAIM"
    assert record.status != "ARRIVED"
    assert record.renewal_handling is True
    assert str(record.due_on) == "2099-03-31"


def test_callback_of_a_final_confirmation(world):
    record = reach(world, "CONFIRMED")
    assert commands_for(world.user("R"), record) == ["CALLBACK"]
    assert callback(world, "R", record).status == "ARRIVED"


def test_archived_record_cannot_be_called_back(world):
    record = reach(world, "CONFIRMED")
    assert archive_old_records(0, now=datetime(2999, 1, 1, tzinfo=timezone.utc)) >= 1
    record = reload(record)
    assert record.archived
    with pytest.raises(CommandNotAllowed, match="archived"):
        world.run("R", record, "CALLBACK")
    assert commands_for(world.user("R"), reload(record)) == []
    assert reload(record).status == "CONFIRMED"


def test_settled_record_cannot_be_called_back(world):
    record = reach(world, "SHIPPED")
    record.settled_at = datetime.now(timezone.utc)
    db.session.commit()
    entries = command_count(record.id)
    with pytest.raises(CommandNotAllowed, match="settlement"):
        world.run("L1", record, "CALLBACK")
    record = reload(record)
    assert record.status == "SHIPPED" and command_count(record.id) == entries
