"""Versions and atomicity: a stale version is a Conflict, a refused command
changes nothing, and random command sequences keep the record's invariants."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from portal.services.admin import update_library
from portal.services.records import commands_for
from portal.workflow.errors import CommandNotAllowed, Conflict, Forbidden, ValidationError
from portal.workflow.machine import COMMANDS
from portal.workflow.statuses import FINAL_STATUSES, Queue, Status
from workflow_helpers import FEES, command_count, reach, reload


def snapshot(record):
    record = reload(record)
    return (record.status, record.version, command_count(record.id), len(record.history), record.lender_id,
            record.accepted_on, record.total, record.lender_number)


@pytest.mark.parametrize("command, data", [
    ("RECEIVE", {}),
    ("SEND", {"fees": FEES}),
    ("SAVE", {"fields": {"lender_number": "A-1"}}),
    ("PARDON", {"comment": "未所蔵"}),
])
def test_stale_version_is_a_conflict_and_changes_nothing(world, command, data):
    record = reach(world, "UNPROCESSED" if command == "RECEIVE" else "PROCESSING")
    stale = record.version
    world.run("L1", record, "SAVE", fields={"lender_number": "A-0"})  # someone changed it meanwhile
    before = snapshot(record)
    assert before[1] == stale + 1

    with pytest.raises(Conflict):
        world.run("L1", record, command, version=stale, **data)

    assert snapshot(record) == before
    # with the current version the same command goes through
    assert world.run("L1", record, command, version=before[1], **data).version == before[1] + 1


def test_version_given_as_text_is_accepted(world):
    record = reach(world, "UNPROCESSED")
    assert world.run("L1", record, "RECEIVE", version=str(record.version)).status == "PROCESSING"


# -- random command sequences (hypothesis stateful) ---------------------------

REFUSALS = (CommandNotAllowed, ValidationError, Forbidden, Conflict)  # Conflict: a lender whose record was called back
COMMENTS = ["更新可 (renewal granted)", "p.150 missing", "参照不完", "x"]
BAD_FEES = {"groups": [{"item": "A4", "quantity": -1, "unit_price": "30"}]}


class CommandSequences(RuleBasedStateMachine):
    """Drive one fresh record per example with random commands from random sides."""

    def __init__(self, world):
        super().__init__()
        self.world = world
        self.record = None
        self.visited: set[str] = set()
        # The model of CALLBACK chains: the standing transitions (code, command, to, state before),
        # kept here independently of the portal's own history walk.
        self.standing: list[tuple[str, str, str, tuple]] = []
        self.callbacks = 0

    @initialize(kind=st.sampled_from(["copy", "loan"]),
                candidates=st.sampled_from([("L1",), ("L1", "L2"), ("L2", "L1", "L3")]),
                l2_service=st.booleans())
    def create(self, kind, candidates, l2_service):
        update_library(self.world.libraries["L2"], service=l2_service)
        self.record = reload(reach(self.world, "PREPARING", kind=kind, candidates=candidates,
                                   client={"name": "利用者", "type": "faculty"}))
        self.assert_invariants(self.record)

    @rule(data=st.data())
    def run_a_command(self, data):
        world, record = self.world, self.record
        # mostly the side whose turn it is, so that sequences get somewhere
        turn = "R" if Status(record.status).queue is Queue.REQUESTER else "lender"
        other = "lender" if turn == "R" else "R"
        who = data.draw(st.sampled_from([turn, turn, turn, other, "X"]), label="who")
        if who == "lender":
            code = world.code_of(record.lender_id) if record.lender_id else data.draw(
                st.sampled_from(["L1", "L2", "L3"]), label="a former or future lender")
        else:
            code = who
        allowed = commands_for(world.user(code), record)
        if allowed and data.draw(st.integers(0, 3), label="pick an allowed command") > 0:
            # forward moves weigh more than SAVE, CANCEL and CALLBACK, so that sequences get somewhere
            forward = [c for c in allowed if c not in ("SAVE", "CANCEL", "CALLBACK")]
            command = data.draw(st.sampled_from(allowed + forward * 3), label="command")
        else:
            command = data.draw(st.sampled_from(COMMANDS), label="command")
        payload = {}
        if data.draw(st.integers(0, 5), label="with comment") > 0:
            payload["comment"] = data.draw(st.sampled_from(COMMENTS), label="comment")
        fee_choices = [FEES, FEES, FEES, None, BAD_FEES] if command == "SEND" else [None, None, None, FEES, BAD_FEES]
        fees = data.draw(st.sampled_from(fee_choices), label="fees")
        if fees is not None:
            payload["fees"] = fees
        if command == "SAVE" and who == "R" and data.draw(st.booleans(), label="edit candidates"):
            payload["candidates"] = [{"library": world.code_of(c.library_id)} for c in record.candidates] + [
                {"library": "L3"}, {"library": "X"}]
        self.execute(code, command, payload, allowed)

    @rule(data=st.data())
    def undo_the_latest(self, data):
        """Call back the latest standing transition, as its author: chains of CALLBACKs."""
        if not self.standing or data.draw(st.integers(0, 2), label="undo now") > 0:
            return  # now and then only, so that sequences still get somewhere
        code = self.standing[-1][0]
        self.execute(code, "CALLBACK", {}, commands_for(self.world.user(code), self.record))

    def execute(self, code, command, payload, allowed):
        world, record = self.world, self.record
        before_status, before_version = record.status, record.version
        before_entries = len(commands_in(record))
        before_core = core(record)

        try:
            world.run(code, record, command, **payload)
        except REFUSALS as error:
            outcome = type(error).__name__
            if isinstance(error, CommandNotAllowed):
                assert command not in allowed, f"{command} offered to {code} but refused: {error.message}"
                assert command in error.message
            if isinstance(error, (Forbidden, Conflict)):
                assert not allowed
        else:
            outcome = "ok"
            assert command in allowed, f"{command} by {code} in {before_status} ran but was not offered"
            if Status(before_status) in FINAL_STATUSES:
                assert command == "CALLBACK", f"{command} ran on a final record"

        self.record = after = reload(record)
        self.visited.add(after.status)
        entries = commands_in(after)
        if outcome == "ok":
            assert len(entries) == before_entries + 1
            assert after.version == before_version + 1
            last = entries[-1]
            assert (last.command, last.from_status, last.to_status) == (command, before_status, after.status)
            assert last.library_id == world.libraries[code].id
            self.follow_chain(code, command, after, before_core)
        else:
            assert len(entries) == before_entries
            assert after.version == before_version
            assert after.status == before_status
        self.assert_invariants(after)

    def follow_chain(self, code, command, after, before_core):
        if command == "SAVE":
            return
        if command != "CALLBACK":
            self.standing.append((code, command, after.status, before_core))
            return
        self.callbacks += 1
        author, undone, _to, restored = self.standing.pop()
        assert author == code, f"{code} called back {author}'s {undone}"
        if undone == "CANCEL":
            assert after.status == "PREPARING" and after.lender_id is None
            self.standing.clear()  # a fresh start: nothing before it can be called back
        else:
            assert core(after) == restored, f"CALLBACK of {undone} did not restore the record"

    def may_call_back(self, code) -> bool:
        if not self.standing:
            return False
        author, command, to, _ = self.standing[-1]
        return author == code and not (command == "PARDON" and to == "UNPROCESSED")

    def assert_invariants(self, record):
        for code in ("R", "L1", "L2", "L3", "X"):
            offered = "CALLBACK" in commands_for(self.world.user(code), record)
            assert offered == self.may_call_back(code), (
                f"CALLBACK {'offered' if offered else 'refused'} to {code}; standing: "
                f"{[(a, c) for a, c, _t, _s in self.standing]}")
        status = Status(record.status)  # a valid status
        if status.queue is Queue.LENDER:
            assert record.lender_id is not None
        for code in {"R", self.world.code_of(record.lender_id) if record.lender_id else "L1"}:
            allowed = set(commands_for(self.world.user(code), record))
            if status in FINAL_STATUSES:
                assert allowed <= {"CALLBACK"}
            side = "requester" if code == "R" else "lender"
            if status.queue.value != side:
                assert allowed <= {"CALLBACK"}, f"{code} may {allowed} in {status} ({status.queue} queue)"
        if record.total is not None:
            assert all(g.charge == g.quantity * g.unit_price for g in record.fee_groups)
            charges = sum((g.charge for g in record.fee_groups), Decimal(0))
            assert record.total == charges + (record.base_fee or 0) + (record.postage or 0)


def core(record):
    """What CALLBACK restores and SAVE never edits: status, lender, flags and dates."""
    return (record.status, record.lender_id, record.claim_handling, record.renewal_handling, record.ordered_on,
            record.accepted_on, record.sent_on, record.received_on, record.due_on, record.sent_back_on,
            record.return_received_on)


def commands_in(record):
    """History entries written by commands (the portal's SYSTEM notes excluded)."""
    return [h for h in record.history if h.command != "SYSTEM"]


def test_random_command_sequences_keep_the_invariants(world):
    visited: set[str] = set()
    callbacks = []

    class Sequences(CommandSequences):
        def teardown(self):
            visited.update(self.visited)
            callbacks.append(self.callbacks)

    run_state_machine_as_test(
        lambda: Sequences(world),
        settings=settings(max_examples=30, stateful_step_count=25, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]),
    )
    assert len(visited) >= 6, f"the sequences hardly got anywhere: {sorted(visited)}"
    assert sum(callbacks) >= 10, f"hardly any CALLBACK ran: {callbacks}"
