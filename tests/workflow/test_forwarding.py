"""Forwarding (lender candidates): ORDER, FORWARD and PARDON go to the next
untried candidate that offers the service; all declined -> NEW_INQUIRY."""
from __future__ import annotations

import pytest

from portal.services.access import load_record
from portal.services.admin import update_library
from portal.services.search import SearchFilters, search_records
from portal.workflow.errors import CommandNotAllowed, Forbidden, ValidationError
from portal.workflow.machine import ALL_DECLINED_NOTE, SKIPPED_NOTE
from workflow_helpers import command_count, reach, reload, system_notes

PARDON = {"comment": "未所蔵 (not held)"}


def lender_code(world, record):
    return world.code_of(record.lender_id) if record.lender_id else None


@pytest.mark.parametrize("kind, suspended", [
    ("copy", {"service": False}),
    ("loan", {"service": False}),
    ("copy", {"copy_service": False}),
    ("loan", {"loan_service": False}),
])
def test_order_skips_a_candidate_without_the_service(world, kind, suspended):
    update_library(world.libraries["L1"], **suspended)
    record = reach(world, "PREPARING", kind=kind, candidates=("L1", "L2", "L3"))

    record = reload(world.run("R", record, "ORDER"))

    assert record.status == "UNPROCESSED"
    assert lender_code(world, record) == "L2"
    notes = system_notes(record)
    assert len(notes) == 1 and notes[0].startswith("Service suspended") and notes[0] == f"{SKIPPED_NOTE}: L1"
    assert [(c.tried, c.skipped) for c in record.candidates] == [(True, True), (True, False), (False, False)]
    # the skipped library never held the record: no access at all
    with pytest.raises(Forbidden):
        load_record(world.libraries["L1"].id, record.ill_id)
    assert search_records(world.libraries["L1"].id, SearchFilters())[1] == 0


@pytest.mark.parametrize("kind, off", [("loan", "copy_service"), ("copy", "loan_service")])
def test_the_other_kinds_service_does_not_matter(world, kind, off):
    update_library(world.libraries["L1"], **{off: False})
    record = reload(world.run("R", reach(world, "PREPARING", kind=kind), "ORDER"))
    assert lender_code(world, record) == "L1"
    assert system_notes(record) == []


def test_order_with_no_candidate_offering_the_service_is_refused(world):
    for code in ("L1", "L2"):
        update_library(world.libraries[code], loan_service=False)
    record = reach(world, "PREPARING", kind="loan")
    with pytest.raises(CommandNotAllowed, match="ORDER in status PREPARING"):
        world.run("R", record, "ORDER")
    record = reload(record)
    assert record.status == "PREPARING" and record.lender_id is None and system_notes(record) == []


def test_pardon_forwards_to_the_next_available_candidate(world):
    record = reach(world, "PROCESSING", candidates=("L1", "L2", "L3"))
    update_library(world.libraries["L2"], service=False)

    record = reload(world.run("L1", record, "PARDON", **PARDON))

    assert record.status == "UNPROCESSED"
    assert lender_code(world, record) == "L3"
    assert system_notes(record) == [f"{SKIPPED_NOTE}: L2"]
    pardon = [h for h in record.history if h.command == "PARDON"][-1]
    assert (pardon.library_id, pardon.comment, pardon.to_status) == (world.libraries["L1"].id, PARDON["comment"],
                                                                    "UNPROCESSED")
    # the new lender works it as usual
    assert world.run("L3", record, "RECEIVE").status == "PROCESSING"


def test_declined_lender_keeps_read_only_access(world, client):
    record = reach(world, "PROCESSING", candidates=("L1", "L2"))
    record = reload(world.run("L1", record, "PARDON", **PARDON))
    assert lender_code(world, record) == "L2"
    l1 = world.libraries["L1"].id

    assert load_record(l1, record.ill_id).id == record.id
    for command, data in [("SAVE", {}), ("RECEIVE", {}), ("PARDON", PARDON), ("CALLBACK", {})]:
        with pytest.raises(CommandNotAllowed):
            world.run("L1", record, command, **data)
    found, total = search_records(l1, SearchFilters(q=record.ill_id))
    assert total == 1 and found[0].id == record.id
    assert [r.id for r in search_records(l1, SearchFilters(side="lender"))[0]] == []  # left its queue

    token = world.token("L1")
    answer = client.get(f"/api/v1/records/{record.ill_id}", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert answer.json["allowed_commands"] == []
    assert answer.json["lender"] == "L2"
    refused = client.post(f"/api/v1/records/{record.ill_id}/commands/SAVE", json={},
                          headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 409


def declined_by_all(world, **kwargs):
    record = reach(world, "PROCESSING", candidates=("L1", "L2"), **kwargs)
    record = world.run("L1", record, "PARDON", **PARDON)
    assert lender_code(world, record) == "L2"
    world.run("L2", record, "RECEIVE")
    return reload(world.run("L2", record, "PARDON", comment="貸出中 (on loan)"))


def test_pardon_by_the_last_candidate_declines_for_all(world):
    record = declined_by_all(world)

    assert record.status == "NEW_INQUIRY"
    assert record.lender_id is None
    assert system_notes(record) == [ALL_DECLINED_NOTE]
    assert ALL_DECLINED_NOTE.startswith("Declined by all designated lenders")
    # both decliners can still read it; neither can act
    for code in ("L1", "L2"):
        assert load_record(world.libraries[code].id, record.ill_id).id == record.id
        with pytest.raises(CommandNotAllowed):
            world.run(code, record, "RECEIVE")

    record = reload(world.run("R", record, "RECEIVE"))
    assert record.status == "INQUIRY"
    with pytest.raises(CommandNotAllowed, match="lender"):
        world.run("R", record, "ANSWER", comment="vol. 62 no. 3")
    with pytest.raises(CommandNotAllowed, match="FORWARD"):
        world.run("R", record, "FORWARD")  # nobody untried is left
    assert reload(record).status == "INQUIRY"


def test_forward_after_adding_a_candidate(world):
    record = world.run("R", declined_by_all(world), "RECEIVE")
    record = world.run("R", record, "SAVE", candidates=[{"library": "L1"}, {"library": "L2"},
                                                        {"library": "L3", "call_number": "020/N"}])
    record = reload(record)
    assert [(world.code_of(c.library_id), c.tried) for c in record.candidates] == [
        ("L1", True), ("L2", True), ("L3", False)]

    record = reload(world.run("R", record, "FORWARD"))

    assert record.status == "UNPROCESSED"
    assert lender_code(world, record) == "L3"
    assert record.candidate_for(world.libraries["L3"].id).call_number == "020/N"
    forward = [h for h in record.history if h.command == "FORWARD"][-1]
    assert (forward.from_status, forward.to_status) == ("INQUIRY", "UNPROCESSED")


def test_save_cannot_add_a_candidate_of_another_network_or_the_requester(world):
    record = world.run("R", declined_by_all(world), "RECEIVE")
    entries = command_count(record.id)
    for candidates, says in [([{"library": "L1"}, {"library": "O2"}], "NII network"),
                             ([{"library": "R"}], "cannot ask itself"),
                             ([{"library": "NOPE"}], "No participant library")]:
        with pytest.raises(ValidationError) as refused:
            world.run("R", record, "SAVE", candidates=candidates)
        assert says in refused.value.fields[f"candidates.{len(candidates) - 1}.library"]
    assert len(reload(record).candidates) == 2 and command_count(record.id) == entries


def test_forward_skips_a_suspended_new_candidate(world):
    record = world.run("R", declined_by_all(world), "RECEIVE")
    world.run("R", record, "SAVE", candidates=[{"library": "L1"}, {"library": "L2"}, {"library": "L3"},
                                               {"library": "X"}])
    update_library(world.libraries["L3"], service=False)
    record = reload(world.run("R", record, "FORWARD"))
    assert lender_code(world, record) == "X"
    assert system_notes(record) == [ALL_DECLINED_NOTE, f"{SKIPPED_NOTE}: L3"]


def test_retry_after_all_declined(world):
    record = world.run("R", declined_by_all(world), "RECEIVE")

    record = reload(world.run("R", record, "RETRY"))

    assert record.status == "PREPARING"
    assert record.lender_id is None
    assert all(not c.tried and not c.skipped for c in record.candidates)
    # edit and order again: back to the top of the list
    record = world.run("R", record, "SAVE", fields={"title": "日本図書館情報学会誌 (改題)"})
    record = reload(world.run("R", record, "ORDER"))
    assert record.status == "UNPROCESSED" and lender_code(world, record) == "L1"
    assert record.title == "日本図書館情報学会誌 (改題)"


def test_declined_lenders_keep_read_access_after_retry(world):
    """RETRY resets the candidates, not the decliners' read-only access."""
    record = world.run("R", declined_by_all(world), "RECEIVE")
    record = reload(world.run("R", record, "RETRY"))
    for code in ("L1", "L2"):
        assert load_record(world.libraries[code].id, record.ill_id).id == record.id
        found, _ = search_records(world.libraries[code].id, SearchFilters(q=record.ill_id))
        assert [r.id for r in found] == [record.id]
    with pytest.raises(Forbidden):
        load_record(world.libraries["L3"].id, record.ill_id)


def test_cancel_after_all_declined(world):
    record = world.run("R", declined_by_all(world), "RECEIVE")
    assert reload(world.run("R", record, "CANCEL")).status == "CANCELLED"


def test_forward_from_an_inquiry_of_a_lender(world):
    """FORWARD also leaves a lender's INQUIRE unanswered and goes on to the next one."""
    record = reach(world, "INQUIRY", candidates=("L1", "L2"))
    record = reload(world.run("R", record, "FORWARD"))
    assert lender_code(world, record) == "L2"
    assert load_record(world.libraries["L1"].id, record.ill_id).id == record.id  # L1 reads on


def test_requester_reorders_untried_candidates_before_forward(world):
    record = reach(world, "INQUIRY", candidates=("L1", "L2", "L3"))
    world.run("R", record, "SAVE", candidates=[{"library": "L1"}, {"library": "L3"}, {"library": "L2"}])
    record = reload(world.run("R", record, "FORWARD"))
    assert lender_code(world, record) == "L3"
    assert [world.code_of(c.library_id) for c in record.candidates] == ["L1", "L3", "L2"]
    assert [c.position for c in record.candidates] == [0, 1, 2]
