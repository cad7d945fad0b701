"""Bulk modes as services: which records, starting checks and inputs, scanning, the run."""
from __future__ import annotations

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import Record
from portal.services import portal_today
from portal.services.bulk import (ALREADY_SCANNED, MODES, OK, OTHER_LIBRARY, UNKNOWN_ID, WRONG_STATUS, bulk_rows,
                                  default_inputs, get_mode, run_bulk, scan, scan_many)
from portal.services.settings import save_fee_default
from portal.services.slips import render_slips
from portal.workflow.errors import NotFound


@pytest.fixture
def fee_defaults(world):
    lender = world.libraries["L1"]
    save_fee_default(lender, "copy", [{"item": "A4", "quantity": 10, "unit_price": "35"}], "100", "140")
    save_fee_default(lender, "loan", [], "0", "520")
    return lender


def ids(rows):
    return [row.ill_id for row in rows]


# -- which records ----------------------------------------------------------------

def test_bulk_receive_lists_every_receivable_status_all_checked(world):
    receivable = {status: world.record(status, kind="loan" if status in ("RETURNED", "RENEWAL_REQUESTED") else "copy")
                  for status in ("UNPROCESSED", "AWAITING_ANSWER", "RETURNED", "RENEWAL_REQUESTED", "CLAIM_PENDING")}
    world.record("PROCESSING")
    world.record("SHIPPED")
    world.record("UNPROCESSED", candidates=("L2",))  # another lender's
    rows = bulk_rows(world.user("L1"), get_mode("receive"))
    assert ids(rows) == sorted(r.ill_id for r in receivable.values())  # oldest first
    assert all(row.checked for row in rows)


def test_bulk_send_lists_processing_outside_claim_handling_none_checked(world):
    processing = world.record("PROCESSING")
    claim = world.record("CLAIM_PENDING")
    world.run("L1", claim, "RECEIVE")  # PROCESSING in claim handling: answered with ANSWER, not sent
    world.record("UNPROCESSED")
    rows = bulk_rows(world.user("L1"), get_mode("send"))
    assert ids(rows) == [processing.ill_id]
    assert not any(row.checked for row in rows)


def test_requester_modes_list_arrivals_and_loans(world):
    shipped = world.record("SHIPPED")
    answered = world.record("CLAIM_ANSWERED")
    on_loan = world.record("ON_LOAN", kind="loan")
    world.record("ARRIVED")
    assert ids(bulk_rows(world.user("R"), get_mode("arrive"))) == [shipped.ill_id, answered.ill_id]
    assert ids(bulk_rows(world.user("R"), get_mode("sendback"))) == [on_loan.ill_id]
    assert bulk_rows(world.user("L1"), get_mode("arrive")) == []


def test_unknown_mode_is_not_found():
    with pytest.raises(NotFound):
        get_mode("shred")


def test_receipt_slip_filter_on_lender_modes(world):
    first, second = world.record("PROCESSING"), world.record("PROCESSING")
    render_slips(world.user("L1"), [first], "receipt")
    mode = get_mode("send")
    assert ids(bulk_rows(world.user("L1"), mode, slip="unprinted")) == [second.ill_id]
    assert ids(bulk_rows(world.user("L1"), mode, slip="printed")) == [first.ill_id]
    assert ids(bulk_rows(world.user("L1"), mode)) == [first.ill_id, second.ill_id]


# -- row inputs ----------------------------------------------------------------------

def test_send_rows_start_from_the_fee_defaults_with_total_and_dates(world, fee_defaults):
    copy, loan = world.record("PROCESSING"), world.record("PROCESSING", kind="loan")
    rows = {row.ill_id: row for row in bulk_rows(world.user("L1"), get_mode("send"))}
    today = portal_today()
    copy_row, loan_row = rows[copy.ill_id], rows[loan.ill_id]
    assert copy_row.inputs["fees"] == {"groups": [{"item": "A4", "quantity": "10", "unit_price": "35"}],
                                       "base_fee": "100", "postage": "140"}
    assert copy_row.total == 590
    assert copy_row.inputs["dates"] == {"sent": today.isoformat()}
    assert loan_row.inputs["fees"]["postage"] == "520" and loan_row.total == 520
    assert loan_row.inputs["dates"] == {"sent": today.isoformat(), "due": (today + timedelta(days=14)).isoformat()}


def test_send_rows_without_fee_defaults_offer_one_empty_group(world):
    record = world.record("PROCESSING")
    inputs = default_inputs(world.user("L1"), get_mode("send"), record)
    assert inputs["fees"]["groups"] == [{"item": "", "quantity": "", "unit_price": ""}]


def test_other_modes_have_no_inputs_besides_the_id(world):
    record = world.record("UNPROCESSED")
    assert default_inputs(world.user("L1"), get_mode("receive"), record) == {"ill_id": record.ill_id}


# -- scanning ----------------------------------------------------------------------

def test_scan_ok_gives_the_checked_row(world, fee_defaults):
    record = world.record("PROCESSING")
    result = scan(world.user("L1"), get_mode("send"), f"  {record.ill_id}\n", [])
    assert result.outcome == OK and result.ok and result.checks_row
    assert result.ill_id == record.ill_id and result.row.checked and result.row.total == 590


def test_rescan_says_already_scanned_and_keeps_the_row_checked(world):
    record = world.record("PROCESSING")
    result = scan(world.user("L1"), get_mode("send"), record.ill_id, [record.ill_id])
    assert result.outcome == ALREADY_SCANNED and result.checks_row
    assert "already scanned" in result.message


@pytest.mark.parametrize("raw, fragment", [("1999999999", "No record has ILL ID 1999999999"),
                                           ("ABC-12", "is not an ILL ID"), ("0", "No record")])
def test_scan_unknown_id(world, raw, fragment):
    result = scan(world.user("L1"), get_mode("send"), raw, [])
    assert result.outcome == UNKNOWN_ID and not result.checks_row
    assert fragment in result.message


def test_scan_other_library(world):
    foreign = world.record("PROCESSING", requester="X", candidates=("L2",))
    result = scan(world.user("L1"), get_mode("send"), foreign.ill_id, [])
    assert result.outcome == OTHER_LIBRARY and "belongs to another library" in result.message
    own_request = world.record("PROCESSING")  # R requested it: R cannot ship it
    result = scan(world.user("R"), get_mode("send"), own_request.ill_id, [])
    assert result.outcome == OTHER_LIBRARY and "your library made" in result.message


def test_scan_wrong_status_names_the_status(world):
    record = world.record("SHIPPED")
    result = scan(world.user("L1"), get_mode("send"), record.ill_id, [])
    assert result.outcome == WRONG_STATUS and result.status == "SHIPPED"
    assert "SHIPPED" in result.message and "発送" in result.message and "PROCESSING" in result.message


def test_scan_in_claim_handling_is_a_wrong_status(world):
    record = world.record("CLAIM_PENDING")
    world.run("L1", record, "RECEIVE")
    result = scan(world.user("L1"), get_mode("send"), record.ill_id, [])
    assert result.outcome == WRONG_STATUS and "claim handling" in result.message


def test_scanning_changes_nothing_and_can_be_repeated(world):
    record = world.record("PROCESSING")
    version = record.version
    for _ in range(3):
        assert scan(world.user("L1"), get_mode("send"), record.ill_id, []).outcome == OK
    db.session.expire_all()
    assert record.version == version and record.status == "PROCESSING"


def test_scan_many_keeps_order_and_the_running_list(world):
    first, second = world.record("PROCESSING"), world.record("PROCESSING")
    results, scanned = scan_many(world.user("L1"), get_mode("send"),
                                 [first.ill_id, "", second.ill_id, first.ill_id, "42"], [])
    assert [r.outcome for r in results] == [OK, OK, ALREADY_SCANNED, UNKNOWN_ID]
    assert scanned == [first.ill_id, second.ill_id]
    _, scanned = scan_many(world.user("L1"), get_mode("send"), [second.ill_id], scanned)
    assert scanned == [first.ill_id, second.ill_id]


# -- the run -----------------------------------------------------------------------

def test_bulk_send_each_row_its_own_transaction_failed_row_keeps_inputs(world, fee_defaults):
    records = [world.record("PROCESSING"), world.record("PROCESSING", kind="loan"), world.record("PROCESSING")]
    user, mode = world.user("L1"), get_mode("send")
    rows = [default_inputs(user, mode, r) for r in records]
    rows[1]["fees"]["postage"] = "-5"  # refused: negative
    rows[1]["dates"]["due"] = "2001-01-01"
    rows[2]["fees"]["groups"][0]["quantity"] = "3"
    bad_inputs = {**rows[1], "fees": dict(rows[1]["fees"]), "dates": dict(rows[1]["dates"])}
    outcome = run_bulk(user, mode, rows)
    assert outcome.done_ids == [records[0].ill_id, records[2].ill_id]
    (failed_inputs, result), = outcome.failed
    assert failed_inputs == bad_inputs and result.ill_id == records[1].ill_id
    assert result.error == "invalid" and "postage" in result.error_obj.fields
    db.session.expire_all()
    assert [r.status for r in records] == ["SHIPPED", "PROCESSING", "SHIPPED"]
    assert records[2].total == 3 * 35 + 100 + 140
    assert records[1].total is None and records[1].sent_on is None


def test_bulk_send_stores_row_dates(world):
    loan = world.record("PROCESSING", kind="loan")
    sent, due = portal_today() - timedelta(days=1), portal_today() + timedelta(days=30)
    outcome = run_bulk(world.user("L1"), get_mode("send"), [{
        "ill_id": loan.ill_id, "fees": {"groups": [{"item": "", "quantity": "", "unit_price": ""}],
                                        "base_fee": "", "postage": "0"},
        "dates": {"sent": sent.isoformat(), "due": due.isoformat()}}])
    assert outcome.done_ids == [loan.ill_id]
    db.session.expire_all()
    assert (loan.sent_on, loan.due_on, loan.total, loan.fee_groups) == (sent, due, 0, [])


def test_bulk_receive_lender(world):
    new, answered = world.record("UNPROCESSED"), world.record("AWAITING_ANSWER")
    outcome = run_bulk(world.user("L1"), get_mode("receive"), [{"ill_id": new.ill_id}, {"ill_id": answered.ill_id}])
    assert outcome.done_ids == [new.ill_id, answered.ill_id] and outcome.failed == []
    db.session.expire_all()
    assert new.status == answered.status == "PROCESSING"


def test_requester_bulk_receive_and_sendback(world):
    shipped, on_loan = world.record("SHIPPED", kind="loan"), world.record("ON_LOAN", kind="loan")
    outcome = run_bulk(world.user("R"), get_mode("arrive"), [{"ill_id": shipped.ill_id}])
    assert outcome.done_ids == [shipped.ill_id]
    outcome = run_bulk(world.user("R"), get_mode("sendback"), [{"ill_id": on_loan.ill_id}])
    assert outcome.done_ids == [on_loan.ill_id]
    db.session.expire_all()
    assert shipped.status == "ARRIVED" and shipped.received_on == portal_today()
    assert on_loan.status == "RETURNED" and on_loan.sent_back_on == portal_today()


def test_bulk_run_refuses_rows_outside_the_mode_and_runs_the_rest(world):
    mine = world.record("UNPROCESSED")
    own_request = world.record("SHIPPED", requester="L1", candidates=("L2",))  # L1 is its requester
    moved_on = world.record("PROCESSING")
    foreign = world.record("UNPROCESSED", requester="X", candidates=("L2",))
    outcome = run_bulk(world.user("L1"), get_mode("receive"), [
        {"ill_id": own_request.ill_id}, {"ill_id": mine.ill_id}, {"ill_id": moved_on.ill_id},
        {"ill_id": foreign.ill_id}, {"ill_id": "1999999999"}])
    assert outcome.done_ids == [mine.ill_id]
    reasons = {inputs["ill_id"]: result.error for inputs, result in outcome.failed}
    assert reasons == {own_request.ill_id: "command_not_allowed", moved_on.ill_id: "command_not_allowed",
                       foreign.ill_id: "forbidden", "1999999999": "not_found"}
    db.session.expire_all()
    assert own_request.status == "SHIPPED"  # not received as its requester by the lender's bulk receive
    assert moved_on.status == "PROCESSING"


def test_modes_table_matches_the_spec():
    assert MODES["receive"].all_checked and not MODES["receive"].scan
    assert {m.name for m in MODES.values() if not m.all_checked} == {"send", "arrive", "sendback"}
    assert MODES["send"].fees and MODES["send"].slip == "shipping" and MODES["receive"].slip == "receipt"
    assert MODES["sendback"].slip == "return"


def test_a_record_changed_by_the_partner_during_the_run_fails_alone(world, fee_defaults, monkeypatch):
    """run_bulk keeps the records it loaded across the rows' commits: a change made meanwhile
    by someone else must still be caught (version check), for that row only."""
    from sqlalchemy import update

    import portal.services.bulk as bulk_service

    records = [world.record("PROCESSING") for _ in range(3)]
    user, mode = world.user("L1"), get_mode("send")
    real_bulk_command = bulk_service.bulk_command

    def partner_acts_first(actor, command, items):
        with db.engine.begin() as connection:  # another request, another connection
            connection.execute(update(Record.__table__).where(Record.__table__.c.id == records[1].id)
                               .values(version=Record.__table__.c.version + 1, lender_staff="someone else"))
        return real_bulk_command(actor, command, items)

    monkeypatch.setattr(bulk_service, "bulk_command", partner_acts_first)
    outcome = run_bulk(user, mode, [default_inputs(user, mode, r) for r in records])
    assert outcome.done_ids == [records[0].ill_id, records[2].ill_id]
    (_inputs, result), = outcome.failed
    assert result.ill_id == records[1].ill_id and result.error == "conflict"
    db.session.expire_all()
    assert [r.status for r in records] == ["SHIPPED", "PROCESSING", "SHIPPED"]
