"""Blocks on partner libraries: forwarding past a lender that blocks the
requester, refused BORROW and RENEW, network (CONSORTIA) and FROM_TARGET views,
overdue blocks when a late loan comes back to its lender."""
from __future__ import annotations

from datetime import timedelta

import pytest

from blocks_helpers import block, loan_on_loan, reload, rows, set_definition, set_policy, today
from portal.services import blocks
from portal.workflow.errors import Blocked, CommandNotAllowed
from portal.workflow.machine import BLOCKED_NOTE, SKIPPED_NOTE


def notes(record):
    return [h.comment for h in reload(record).history if h.command == "SYSTEM"]


def test_order_skips_a_lender_that_blocks_the_requester(world):
    block(world, "L1", library="R", note="3 late returns")
    record = world.record("PREPARING", candidates=("L1", "L2"))
    record = world.run("R", record, "ORDER")
    assert record.lender_id == world.libraries["L2"].id
    assert notes(record) == [f"{BLOCKED_NOTE}: L1"]
    first = reload(record).candidates[0]
    assert first.tried and first.skipped


def test_order_refused_when_every_candidate_blocks(world):
    block(world, "L1", library="R", note="3 late returns", expires=(today() + timedelta(days=30)).isoformat())
    block(world, "L2", library="R")
    record = world.record("PREPARING", candidates=("L1", "L2"))
    with pytest.raises(Blocked) as refused:
        world.run("R", record, "ORDER")
    assert "L1 blocks requests from your library" in refused.value.message
    assert "3 late returns" in refused.value.message
    assert (today() + timedelta(days=30)).isoformat() in refused.value.message
    assert not refused.value.overridable
    again = reload(record)
    assert again.status == "PREPARING" and len(again.history) == 1
    # an override reason does not help: only the lender could lift its block
    with pytest.raises(Blocked):
        world.run("R", record, "ORDER", override={"reason": "urgent"})


def test_a_suspended_lender_is_still_skipped_with_its_own_note(world):
    from portal.services.admin import update_library
    update_library(world.libraries["L1"], service=False)
    block(world, "L2", library="R")
    record = world.run("R", world.record("PREPARING", candidates=("L1", "L2", "L3")), "ORDER")
    assert record.lender_id == world.libraries["L3"].id
    assert notes(record) == [f"{SKIPPED_NOTE}: L1", f"{BLOCKED_NOTE}: L2"]


@pytest.mark.parametrize("action, skipped", [("01", False), ("02", False), ("03", True)])
def test_only_blocked_action_03_stops_requests(world, action, skipped):
    set_definition(world, "SUSPENDED", "L1", blocked_action=action)
    block(world, "L1", library="R")
    record = world.run("R", world.record("PREPARING", candidates=("L1", "L2")), "ORDER")
    assert record.lender_id == world.libraries["L2" if skipped else "L1"].id


def test_lifted_and_expired_blocks_stop_nothing(world):
    lifted = block(world, "L1", library="R")
    blocks.lift_block(world.user("L1"), lifted.id, "paid the fine")
    record = world.run("R", world.record("PREPARING", candidates=("L1",)), "ORDER")
    assert record.lender_id == world.libraries["L1"].id
    ended = block(world, "L1", library="R", expires=(today() + timedelta(days=1)).isoformat())
    assert not blocks.is_blocked(world.libraries["L1"].id, partner_id=world.libraries["R"].id,
                                 today=today() + timedelta(days=1))
    assert blocks.is_blocked(world.libraries["L1"].id, partner_id=world.libraries["R"].id, today=today())
    assert ended.expires == today() + timedelta(days=1)


def test_pardon_forwards_past_a_blocking_lender(world):
    record = world.record("PROCESSING", candidates=("L1", "L2", "L3"))
    block(world, "L2", library="R")
    record = world.run("L1", record, "PARDON", comment="未所蔵 (not held)")
    assert record.status == "UNPROCESSED" and record.lender_id == world.libraries["L3"].id
    assert f"{BLOCKED_NOTE}: L2" in notes(record)


def test_pardon_declines_for_all_when_the_rest_block(world):
    record = world.record("PROCESSING", candidates=("L1", "L2"))
    block(world, "L2", library="R")
    record = world.run("L1", record, "PARDON", comment="未所蔵 (not held)")
    assert record.status == "NEW_INQUIRY" and record.lender_id is None


def test_forward_past_a_blocking_lender_and_refused_when_none_is_left(world):
    record = world.record("PROCESSING", candidates=("L1", "L2", "L3"))
    record = world.run("L1", record, "INQUIRE", comment="参照不完")
    record = world.run("R", record, "RECEIVE")
    block(world, "L2", library="R")
    forwarded = world.run("R", record, "FORWARD")
    assert forwarded.lender_id == world.libraries["L3"].id

    other = world.record("PROCESSING", candidates=("L1", "L2"))
    other = world.run("L1", other, "INQUIRE", comment="参照不完")
    other = world.run("R", other, "RECEIVE")
    with pytest.raises(Blocked):
        world.run("R", other, "FORWARD")


@pytest.mark.parametrize("action, command, stopped", [
    ("01", "BORROW", True), ("02", "BORROW", True), ("03", "BORROW", True),
    ("01", "RENEW", False), ("02", "RENEW", True), ("03", "RENEW", True),
])
def test_borrow_and_renew_of_a_loan_from_the_blocking_lender(world, action, command, stopped):
    set_definition(world, "SUSPENDED", "L1", blocked_action=action)
    record = world.record("ARRIVED", kind="loan", candidates=("L1",))
    if command == "RENEW":
        record = world.run("R", record, "BORROW")
    block(world, "L1", library="R")
    data = {"comment": "更新をお願いします"} if command == "RENEW" else {}
    if stopped:
        with pytest.raises(Blocked):
            world.run("R", record, command, **data)
    else:
        assert world.run("R", record, command, **data).status in ("ON_LOAN", "RENEWAL_REQUESTED")


def test_returns_answers_and_cancellations_go_through(world):
    record = world.record("ON_LOAN", kind="loan", candidates=("L1",))
    block(world, "L1", library="R")
    assert world.run("R", record, "SENDBACK").status == "RETURNED"
    prep = world.record("PREPARING", candidates=("L1",))
    assert world.run("R", prep, "CANCEL").status == "CANCELLED"


def test_a_refused_status_is_refused_for_its_status_not_the_block(world):
    record = world.record("ON_LOAN", kind="loan", candidates=("L1",))
    block(world, "L1", library="R")
    with pytest.raises(CommandNotAllowed) as refused:
        world.run("R", record, "BORROW")
    assert not isinstance(refused.value, Blocked)


# -- network blocks -----------------------------------------------------------------------

def test_a_network_block_stops_requests_at_the_partners_through_their_consortia(world):
    block(world, "X", library="R", definition="LATE_RETURNS", note="5 late returns")  # a network definition
    set_definition(world, "CONSORTIA", "L3", blocked_action="02")  # L3's CONSORTIA does not stop requests
    record = world.run("R", world.record("PREPARING", candidates=("L1", "X", "L2", "L3")), "ORDER")
    assert notes(record) == [f"{BLOCKED_NOTE}: L1", f"{BLOCKED_NOTE}: X", f"{BLOCKED_NOTE}: L2"]
    assert record.lender_id == world.libraries["L3"].id
    # L1, X and L2 stop R (X by its own block, the others through their CONSORTIA definition, 03)
    with pytest.raises(Blocked) as refused:
        world.run("R", world.record("PREPARING", candidates=("L1", "L2")), "ORDER")
    assert "L1 blocks requests from your library (Consortial block)" in refused.value.message


def test_each_partner_decides_with_its_own_consortia_definition(world):
    set_definition(world, "CONSORTIA", "L1", blocked_action="01")  # L1 lets requests through
    block(world, "X", library="R", definition="LATE_RETURNS")
    record = world.run("R", world.record("PREPARING", candidates=("L2", "L1")), "ORDER")
    assert record.lender_id == world.libraries["L1"].id
    assert notes(record) == [f"{BLOCKED_NOTE}: L2"]


def test_a_block_without_network_stays_with_its_library(world):
    block(world, "X", library="R", definition="SUSPENDED")
    record = world.run("R", world.record("PREPARING", candidates=("L1",)), "ORDER")
    assert record.lender_id == world.libraries["L1"].id


def test_consortia_and_from_target_views(world):
    made = block(world, "X", library="R", definition="LATE_RETURNS", note="5 late returns",
                 expires=(today() + timedelta(days=20)).isoformat())
    lib = world.libraries
    # L1 sees R blocked as CONSORTIA, the note naming the original type and library
    [seen] = blocks.blocks_for_partner(lib["L1"].id, lib["R"].id)
    assert seen.view == "consortia" and seen.code == "CONSORTIA"
    assert "LATE_RETURNS" in seen.note("en") and "X" in seen.note("en") and "5 late returns" in seen.note("en")
    assert seen.as_dict()["origin"] == "network"
    # R sees why: FROM_TARGET, blocked by X for late returns until …
    [own] = blocks.blocks_for_partner(lib["R"].id, lib["R"].id)
    assert own.view == "from_target" and own.code == "FROM_TARGET"
    assert own.note("en").startswith("blocked by X for consistently returns items late until "
                                     + made.expires.isoformat())
    assert own.as_dict()["subject"] == {"library": "R", "blocked_by": "X"}
    # X sees its own block as it made it
    [mine] = blocks.blocks_for_partner(lib["X"].id, lib["R"].id)
    assert mine.view == "own" and mine.code == "LATE_RETURNS" and mine.note("en") == "5 late returns"
    # a third library sees nothing of a non-network block
    block(world, "X", library="L3", definition="SUSPENDED")
    assert blocks.blocks_for_partner(lib["L1"].id, lib["L3"].id) == []
    assert [v.view for v in blocks.blocks_for_partner(lib["L3"].id, lib["L3"].id)] == ["from_target"]


def test_only_the_blocking_library_lifts(world):
    from portal.workflow.errors import Forbidden, NotFound, ValidationError
    made = block(world, "X", library="R", definition="LATE_RETURNS")
    with pytest.raises(Forbidden):
        blocks.lift_block(world.user("L1"), made.id, "not mine")  # visible as CONSORTIA, not liftable
    plain = block(world, "X", library="L3")
    with pytest.raises(NotFound):
        blocks.lift_block(world.user("L1"), plain.id, "not visible")
    with pytest.raises(ValidationError):
        blocks.lift_block(world.user("X"), made.id, " ")
    lifted = blocks.lift_block(world.user("X"), made.id, "talked to them")
    assert not lifted.active and lifted.block.lift_reason == "talked to them"
    assert lifted.block.lifted_by_id == world.user("X").id
    with pytest.raises(ValidationError):
        blocks.lift_block(world.user("X"), made.id, "twice")


# -- overdue blocks on partners ---------------------------------------------------------------

def test_a_late_return_blocks_the_requesting_library_at_the_lender(world):
    set_policy(world, "L1", overdue={"unit": "days_per_overdue_day", "value": 2})
    record = loan_on_loan(world, due_days_ago=5)
    record = world.run("R", record, "SENDBACK")  # BDATE today: 5 days late
    assert rows(origin="overdue") == []  # created when the lender receives the return
    record = world.run("L1", record, "RECEIVE")
    [made] = rows(origin="overdue")
    assert made.library_id == world.libraries["L1"].id and made.partner_id == world.libraries["R"].id
    assert made.starts == today() and made.expires == today() + timedelta(days=10)
    assert made.record_id == record.id and "5 days overdue" in made.note
    assert made.definition.code == "OVERDUE"
    # CALLBACK of that RECEIVE: the return was not received after all
    world.run("L1", record, "CALLBACK")
    [lifted] = rows(origin="overdue")
    assert lifted.lifted_at is not None


def test_no_overdue_block_for_a_return_in_time_or_without_a_policy(world):
    set_policy(world, "L1", overdue={"unit": "all_days", "value": 7})
    on_time = loan_on_loan(world, due_days_ago=-3)
    world.run("L1", world.run("R", on_time, "SENDBACK"), "RECEIVE")
    late_no_policy = loan_on_loan(world, requester="R", lender="L2", due_days_ago=3)
    world.run("L2", world.run("R", late_no_policy, "SENDBACK"), "RECEIVE")
    assert rows(origin="overdue") == []


def test_demerit_points_and_a_demerit_block_for_a_partner(world):
    set_policy(world, "L1", demerits={"enabled": True, "history_days": 365, "threshold": 3, "suspension_days": 30,
                                      "points": [{"group": "partner", "kind": "loan", "regular": 2, "recalled": 5}]})
    first = loan_on_loan(world, due_days_ago=2)
    world.run("L1", world.run("R", first, "SENDBACK"), "RECEIVE")
    assert rows(origin="demerit") == []  # 2 points: not more than 3
    second = loan_on_loan(world, due_days_ago=2)
    world.run("L1", world.run("R", second, "SENDBACK"), "RECEIVE")
    [suspension] = rows(origin="demerit")  # 4 points > 3
    assert suspension.expires == today() + timedelta(days=30) and suspension.partner_id == world.libraries["R"].id
    from portal.models import DemeritPoints
    from portal.extensions import db
    points = list(db.session.scalars(db.select(DemeritPoints).order_by(DemeritPoints.id)))
    assert [p.spent_by_id for p in points] == [suspension.id, suspension.id]


def test_the_order_check_costs_the_same_queries_however_many_network_blocks(world):
    """Each lender's CONSORTIA definition is looked up once, not once per network block row."""
    from sqlalchemy import event

    from portal.extensions import db

    def queries_for_order(network_blocks: int) -> int:
        for code in ("L3", "X", "O1", "O2")[:network_blocks]:
            block(world, code, library="R", definition="LATE_RETURNS", note=f"late at {code}")
        record = world.record("PREPARING", candidates=("L1", "L2"))
        set_definition(world, "CONSORTIA", "L1", blocked_action="01")  # L1 and L2 let R's requests through
        set_definition(world, "CONSORTIA", "L2", blocked_action="01")
        db.session.expire_all()
        seen = []
        listen = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            record = world.run("R", record, "ORDER")
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
        assert record.lender_id == world.libraries["L1"].id
        return len(seen)

    queries_for_order(0)  # the first ORDER seeds code tables and caches
    assert queries_for_order(1) == queries_for_order(4)
