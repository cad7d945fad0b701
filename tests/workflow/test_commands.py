"""One case per row of the requester and lender command tables of
shared/spec/workflow.md, and one per kind of refusal.

Each case brings a record to the row's from-status by real commands, runs the
row's command as the row's side and checks the to-status, the history entry
and the row's effects on dates, fees and flags.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Callable

import pytest

from portal.services import portal_today
from portal.services.admin import update_library
from portal.services.records import commands_for, create_record
from portal.workflow.errors import CommandNotAllowed, Forbidden, ValidationError
from workflow_helpers import FEES, actor, command_count, reach, reload

SENT, DUE, OTHER = "2026-03-02", "2026-04-20", "2026-03-09"
LENDER_LOAN_DAYS = 21
PARDON = {"comment": "未所蔵 (not held)"}
DECLINED_BY_ALL = (("lender", "PARDON", PARDON), ("R", "RECEIVE", {}))
IN_CLAIM_HANDLING = (("lender", "RECEIVE", {}),)


@dataclass
class Row:
    id: str
    start: str
    who: str  # "R" or "lender"
    command: str
    to: str
    kind: str = "copy"
    data: dict = field(default_factory=dict)
    candidates: tuple = ("L1", "L2")
    then: tuple = ()  # extra steps after the demo path to `start`
    check: Callable | None = None  # check(record, today, world)
    at: str = ""  # the status when the command runs: `start`, or where `then` led

    def __post_init__(self):
        self.at = self.at or self.start


def lender_is(code):
    def check(record, today, world):
        assert record.lender_id == world.libraries[code].id
    check.__name__ = f"lender_is_{code}"
    return check


def no_lender(record, today, world):
    assert record.lender_id is None


def ordered_today(record, today, world):
    assert record.ordered_on == today
    lender_is("L1")(record, today, world)


def received_today(record, today, world):
    assert record.received_on == today


def received_on_given(record, today, world):
    assert record.received_on == date.fromisoformat(OTHER)


def claim_handling_off(record, today, world):
    assert record.claim_handling is False


def claim_handling_on(record, today, world):
    assert record.claim_handling is True


def renewal_handling_on(record, today, world):
    assert record.renewal_handling is True


def renewal_handling_off(record, today, world):
    assert record.renewal_handling is False


def sent_back_today(record, today, world):
    assert record.sent_back_on == today


def sent_back_on_given(record, today, world):
    assert record.sent_back_on == date.fromisoformat(OTHER)


def accepted_today(record, today, world):
    assert record.accepted_on == today
    assert record.lender_staff == "user_l1"


def accepted_on_given(record, today, world):
    assert record.accepted_on == date.fromisoformat(OTHER)


def inquiry_fees_stored(record, today, world):
    assert record.total == Decimal(12 * 30 + 100 + 140)
    assert [(g.item, g.quantity, g.charge) for g in record.fee_groups] == [("A4", 12, Decimal(360))]


def forwarded_to_l2(record, today, world):
    lender_is("L2")(record, today, world)
    assert [c.tried for c in record.candidates] == [True, True]


def copy_sent_today(record, today, world):
    assert record.sent_on == today
    assert record.total == Decimal(600)
    assert record.due_on is None


def total_zero(record, today, world):
    assert record.total == Decimal(0)


def loan_due_after_loan_period(record, today, world):
    assert record.sent_on == today
    assert record.due_on == today + timedelta(days=LENDER_LOAN_DAYS)


def loan_dates_given(record, today, world):
    assert record.sent_on == date.fromisoformat(SENT)
    assert record.due_on == date.fromisoformat(DUE)


def loan_default_due_from_given_send_date(record, today, world):
    assert record.due_on == date.fromisoformat(SENT) + timedelta(days=LENDER_LOAN_DAYS)


def resent_on_given(record, today, world):
    assert record.sent_on == date.fromisoformat(OTHER)
    assert record.claim_handling is True


def resend_date_kept(record, today, world):
    assert record.sent_on == today  # the SEND of the demo path ran today


def return_received_today(record, today, world):
    assert record.return_received_on == today
    assert record.renewal_handling is False


def return_received_on_given(record, today, world):
    assert record.return_received_on == date.fromisoformat(OTHER)


def renewal_granted_with_new_due(record, today, world):
    assert record.due_on == date.fromisoformat(DUE)
    assert record.renewal_handling is True


def due_unchanged(record, today, world):
    assert record.due_on == today + timedelta(days=14)  # L1's period when the demo path sent it


REQUESTER_ROWS = [
    Row("ORDER", "PREPARING", "R", "ORDER", "UNPROCESSED", check=ordered_today),
    Row("RECEIVE new inquiry", "NEW_INQUIRY", "R", "RECEIVE", "INQUIRY", check=lender_is("L1")),
    Row("ANSWER", "INQUIRY", "R", "ANSWER", "AWAITING_ANSWER", data={"comment": "vol. 62 no. 3"},
        check=lender_is("L1")),
    Row("FORWARD", "INQUIRY", "R", "FORWARD", "UNPROCESSED", check=forwarded_to_l2),
    Row("CANCEL from PREPARING", "PREPARING", "R", "CANCEL", "CANCELLED"),
    Row("CANCEL from INQUIRY", "INQUIRY", "R", "CANCEL", "CANCELLED", data={"comment": "withdrawn"}),
    Row("RETRY", "PROCESSING", "R", "RETRY", "PREPARING", candidates=("L1",), then=DECLINED_BY_ALL,
        at="INQUIRY", check=no_lender),
    Row("RECEIVE shipped", "SHIPPED", "R", "RECEIVE", "ARRIVED", check=received_today),
    Row("RECEIVE shipped, date given", "SHIPPED", "R", "RECEIVE", "ARRIVED",
        data={"dates": {"received": OTHER}}, check=received_on_given),
    Row("RECEIVE claim answer", "CLAIM_ANSWERED", "R", "RECEIVE", "ARRIVED", check=claim_handling_off),
    Row("OK copy", "ARRIVED", "R", "OK", "CONFIRMED"),
    Row("CLAIM", "ARRIVED", "R", "CLAIM", "CLAIM_PENDING", data={"comment": "p.150 missing"},
        check=claim_handling_off),
    Row("BORROW loan", "ARRIVED", "R", "BORROW", "ON_LOAN", kind="loan"),
    Row("RENEW", "ON_LOAN", "R", "RENEW", "RENEWAL_REQUESTED", kind="loan", data={"comment": "please renew"}),
    Row("SENDBACK", "ON_LOAN", "R", "SENDBACK", "RETURNED", kind="loan", check=sent_back_today),
    Row("SENDBACK, date given", "ON_LOAN", "R", "SENDBACK", "RETURNED", kind="loan",
        data={"dates": {"sent_back": OTHER}}, check=sent_back_on_given),
    Row("RECEIVE return claim", "RETURN_CLAIM", "R", "RECEIVE", "ON_LOAN", kind="loan",
        check=renewal_handling_off),
    Row("SENDBACK answers a return claim", "RETURN_CLAIM", "R", "SENDBACK", "RETURNED", kind="loan",
        then=(("R", "RECEIVE", {}),), at="ON_LOAN", check=sent_back_today),
]

LENDER_ROWS = [
    Row("RECEIVE new request", "UNPROCESSED", "lender", "RECEIVE", "PROCESSING", check=accepted_today),
    Row("RECEIVE new request, date given", "UNPROCESSED", "lender", "RECEIVE", "PROCESSING",
        data={"dates": {"accepted": OTHER}}, check=accepted_on_given),
    Row("INQUIRE", "PROCESSING", "lender", "INQUIRE", "NEW_INQUIRY", data={"comment": "参照不完"},
        check=lender_is("L1")),
    Row("INQUIRE with prepayment fees", "PROCESSING", "lender", "INQUIRE", "NEW_INQUIRY",
        data={"comment": "料金前納", "fees": FEES}, check=inquiry_fees_stored),
    Row("RECEIVE answer", "AWAITING_ANSWER", "lender", "RECEIVE", "PROCESSING", check=lender_is("L1")),
    Row("PARDON forwards", "PROCESSING", "lender", "PARDON", "UNPROCESSED", data=PARDON, check=forwarded_to_l2),
    Row("PARDON by the last lender", "PROCESSING", "lender", "PARDON", "NEW_INQUIRY", data=PARDON,
        candidates=("L1",), check=no_lender),
    Row("SEND copy", "PROCESSING", "lender", "SEND", "SHIPPED", data={"fees": FEES}, check=copy_sent_today),
    Row("SEND copy free of charge", "PROCESSING", "lender", "SEND", "SHIPPED",
        data={"fees": {"groups": [], "base_fee": "0", "postage": "0"}}, check=total_zero),
    Row("SEND loan", "PROCESSING", "lender", "SEND", "SHIPPED", kind="loan", data={"fees": FEES},
        check=loan_due_after_loan_period),
    Row("SEND loan, dates given", "PROCESSING", "lender", "SEND", "SHIPPED", kind="loan",
        data={"fees": FEES, "dates": {"sent": SENT}, "due_date": DUE}, check=loan_dates_given),
    Row("SEND loan, send date given", "PROCESSING", "lender", "SEND", "SHIPPED", kind="loan",
        data={"fees": FEES, "dates": {"sent": SENT}}, check=loan_default_due_from_given_send_date),
    Row("RECEIVE claim", "CLAIM_PENDING", "lender", "RECEIVE", "PROCESSING", check=claim_handling_on),
    Row("ANSWER claim", "CLAIM_PENDING", "lender", "ANSWER", "CLAIM_ANSWERED", then=IN_CLAIM_HANDLING,
        at="PROCESSING", data={"comment": "欠落ページを送付しました"}, check=resend_date_kept),
    Row("ANSWER claim, re-sent", "CLAIM_PENDING", "lender", "ANSWER", "CLAIM_ANSWERED", then=IN_CLAIM_HANDLING,
        at="PROCESSING", data={"comment": "re-sent", "dates": {"sent": OTHER}}, check=resent_on_given),
    Row("RECEIVE return", "RETURNED", "lender", "RECEIVE", "RETURN_PROCESSING", kind="loan",
        check=return_received_today),
    Row("RECEIVE return, date given", "RETURNED", "lender", "RECEIVE", "RETURN_PROCESSING", kind="loan",
        data={"dates": {"return_received": OTHER}}, check=return_received_on_given),
    Row("RECEIVE renewal request", "RENEWAL_REQUESTED", "lender", "RECEIVE", "RETURN_PROCESSING", kind="loan",
        check=renewal_handling_on),
    Row("CLAIM return", "RETURN_PROCESSING", "lender", "CLAIM", "RETURN_CLAIM", kind="loan",
        data={"comment": "破損していました"}, check=due_unchanged),
    Row("CLAIM renewal granted, new due date", "RENEWAL_REQUESTED", "lender", "CLAIM", "RETURN_CLAIM",
        kind="loan", then=(("lender", "RECEIVE", {}),), at="RETURN_PROCESSING",
        data={"comment": "更新可", "due_date": DUE},
        check=renewal_granted_with_new_due),
    Row("CLAIM renewal refused", "RENEWAL_REQUESTED", "lender", "CLAIM", "RETURN_CLAIM", kind="loan",
        then=(("lender", "RECEIVE", {}),), at="RETURN_PROCESSING", data={"comment": "更新不可"},
        check=due_unchanged),
    Row("OK return", "RETURN_PROCESSING", "lender", "OK", "RETURN_CONFIRMED", kind="loan"),
]


@pytest.mark.parametrize("row", REQUESTER_ROWS + LENDER_ROWS, ids=lambda row: f"{row.who}:{row.id}")
def test_command_row(world, row):
    record = reach(world, row.start, kind=row.kind, candidates=row.candidates, then=row.then)
    update_library(world.libraries["L1"], loan_days=LENDER_LOAN_DAYS)
    code = actor(world, record, row.who)
    before = command_count(record.id)
    version = record.version

    result = world.run(code, record, row.command, **row.data)

    record = reload(result)
    assert record.status == row.to
    assert record.version > version
    assert command_count(record.id) == before + 1
    entry = [h for h in record.history if h.command != "SYSTEM"][-1]
    assert (entry.command, entry.from_status, entry.to_status) == (row.command, row.at, row.to)
    assert (entry.library_id, entry.side) == (
        world.libraries[code].id, "requester" if row.who == "R" else "lender")
    assert entry.comment == row.data.get("comment", "")
    assert entry.user_name == world.user(code).username
    if row.check:
        row.check(record, portal_today(), world)


# -- refusals -----------------------------------------------------------------

@dataclass
class Refusal:
    id: str
    start: str
    who: str
    command: str
    error: type
    says: tuple[str, ...] = ()  # words the message must contain
    bad_field: str | None = None  # ValidationError: the field named
    kind: str = "copy"
    data: dict = field(default_factory=dict)
    then: tuple = ()
    candidates: tuple = ("L1", "L2")
    requester: str = "R"
    names_status: bool = True  # CommandNotAllowed: the message names the status


REFUSALS = [
    # wrong side
    Refusal("requester runs a lender command", "UNPROCESSED", "R", "RECEIVE", CommandNotAllowed,
            ("RECEIVE", "UNPROCESSED", "lending library")),
    Refusal("lender runs a requester command", "ARRIVED", "lender", "OK", CommandNotAllowed,
            ("OK", "ARRIVED", "requesting library")),
    Refusal("lender answers an inquiry it made", "INQUIRY", "lender", "ANSWER", CommandNotAllowed,
            ("ANSWER", "INQUIRY", "requesting library"), data={"comment": "x"}),
    # wrong status
    Refusal("OK while shipped", "SHIPPED", "R", "OK", CommandNotAllowed, ("OK", "SHIPPED")),
    Refusal("SEND before accepting", "UNPROCESSED", "lender", "SEND", CommandNotAllowed, ("SEND", "UNPROCESSED"),
            data={"fees": FEES}),
    Refusal("CANCEL after shipping", "SHIPPED", "R", "CANCEL", CommandNotAllowed, ("CANCEL", "SHIPPED")),
    Refusal("SAVE on a confirmed record", "CONFIRMED", "R", "SAVE", CommandNotAllowed, ("SAVE", "CONFIRMED")),
    Refusal("unknown command", "PROCESSING", "lender", "LEND", CommandNotAllowed, ("LEND",),
            names_status=False),
    # wrong kind
    Refusal("OK on a loan", "ARRIVED", "R", "OK", CommandNotAllowed, ("OK", "ARRIVED", "copy"), kind="loan"),
    Refusal("BORROW on a copy", "ARRIVED", "R", "BORROW", CommandNotAllowed, ("BORROW", "ARRIVED", "loan")),
    # network
    Refusal("requester CLAIM on an OCLC record", "ARRIVED", "R", "CLAIM", CommandNotAllowed, ("OCLC", "CLAIM"),
            requester="O1", candidates=("O2",), data={"comment": "pages missing"}),
    # a third library
    Refusal("a third library", "PROCESSING", "X", "RECEIVE", Forbidden),
    Refusal("a third library reads nothing either", "PREPARING", "X", "SAVE", Forbidden),
    # missing comment
    Refusal("ANSWER without comment", "INQUIRY", "R", "ANSWER", ValidationError, bad_field="comment"),
    Refusal("CLAIM without comment", "ARRIVED", "R", "CLAIM", ValidationError, bad_field="comment"),
    Refusal("RENEW without comment", "ON_LOAN", "R", "RENEW", ValidationError, bad_field="comment", kind="loan"),
    Refusal("INQUIRE without comment", "PROCESSING", "lender", "INQUIRE", ValidationError, bad_field="comment",
            data={"comment": "   "}),
    Refusal("PARDON without comment", "PROCESSING", "lender", "PARDON", ValidationError, bad_field="comment"),
    Refusal("lender CLAIM without comment", "RETURN_PROCESSING", "lender", "CLAIM", ValidationError,
            bad_field="comment", kind="loan"),
    Refusal("claim ANSWER without comment", "CLAIM_PENDING", "lender", "ANSWER", ValidationError,
            bad_field="comment", then=IN_CLAIM_HANDLING),
    # fees
    Refusal("SEND without fees", "PROCESSING", "lender", "SEND", ValidationError, bad_field="fees"),
    Refusal("SEND loan without fees", "PROCESSING", "lender", "SEND", ValidationError, bad_field="fees", kind="loan"),
    Refusal("SEND loan due before sent", "PROCESSING", "lender", "SEND", ValidationError, bad_field="due",
            kind="loan", data={"fees": FEES, "dates": {"sent": DUE}, "due_date": SENT}),
    # claim handling
    Refusal("INQUIRE in claim handling", "CLAIM_PENDING", "lender", "INQUIRE", CommandNotAllowed,
            ("INQUIRE", "claim"), then=IN_CLAIM_HANDLING, data={"comment": "?"}),
    Refusal("PARDON in claim handling", "CLAIM_PENDING", "lender", "PARDON", CommandNotAllowed,
            ("PARDON", "claim"), then=IN_CLAIM_HANDLING, data=PARDON),
    Refusal("SEND in claim handling", "CLAIM_PENDING", "lender", "SEND", CommandNotAllowed,
            ("SEND", "claim"), then=IN_CLAIM_HANDLING, data={"fees": FEES}),
    Refusal("claim ANSWER outside claim handling", "PROCESSING", "lender", "ANSWER", CommandNotAllowed,
            ("ANSWER", "PROCESSING", "claim"), data={"comment": "x"}),
    # renewal handling
    Refusal("OK in renewal handling", "RENEWAL_REQUESTED", "lender", "OK", CommandNotAllowed,
            ("OK", "RETURN_PROCESSING", "renewal"), kind="loan", then=(("lender", "RECEIVE", {}),)),
    # all lenders declined
    Refusal("ANSWER with no lender", "PROCESSING", "R", "ANSWER", CommandNotAllowed, ("ANSWER", "INQUIRY"),
            candidates=("L1",), then=DECLINED_BY_ALL, data={"comment": "vol. 3"}),
    Refusal("RETRY while a lender holds the record", "INQUIRY", "R", "RETRY", CommandNotAllowed,
            ("RETRY", "INQUIRY")),
]


@pytest.mark.parametrize("case", REFUSALS, ids=lambda case: case.id)
def test_refusal_changes_nothing(world, case):
    record = reach(world, case.start, kind=case.kind, candidates=case.candidates, then=case.then,
                   requester=case.requester)
    code = actor(world, record, case.who)
    status, version, entries = record.status, record.version, command_count(record.id)

    with pytest.raises(case.error) as refused:
        world.run(code, record, case.command, **case.data)

    message = refused.value.message
    for word in case.says:
        assert word in message
    if case.error is CommandNotAllowed:
        # spec: "refused with a clear message naming the status and the command"
        assert case.command in message
        assert status in message or not case.names_status
    if case.bad_field:
        assert case.bad_field in refused.value.fields
    record = reload(record)
    assert (record.status, record.version, command_count(record.id)) == (status, version, entries)


def test_claim_handling_is_refused_for_oclc_lenders_too(world):
    """OCLC has no claim states at all: nothing reaches CLAIM_PENDING."""
    record = reach(world, "ARRIVED", requester="O1", candidates=("O2",))
    with pytest.raises(CommandNotAllowed, match="OCLC"):
        world.run("O1", record, "CLAIM", comment="missing pages")
    assert reload(record).status == "ARRIVED"
    assert world.run("O1", record, "OK").status == "CONFIRMED"


def test_oclc_fees_keep_the_lenders_cents(world):
    """O2 works in USD (2 places): the SEND total keeps cents exactly."""
    record = reach(world, "PROCESSING", requester="O1", candidates=("O2",))
    fees = {"groups": [{"item": "PDF", "quantity": 3, "unit_price": "0.10"}], "base_fee": "0.20", "postage": 0.1}
    record = reload(world.run("O2", record, "SEND", fees=fees))
    assert record.total == Decimal("0.60")
    assert record.currency == "USD"


def test_rows_cover_every_transition_of_the_machine():
    """Every (command, side, from, to) of the machine is one of the rows above, and
    no row exists that the machine lacks: the tables and RULES say the same."""
    from portal.workflow.machine import RULES

    machine = {(rule.command, rule.side.value, source.value, rule.dest.value)
               for rule in RULES if rule.side is not None for source in rule.source}
    rows = {(row.command, "requester" if row.who == "R" else "lender", row.at, row.to)
            for row in REQUESTER_ROWS + LENDER_ROWS}
    assert rows == machine


def test_a_draft_needs_a_citation_and_nothing_else(world):
    with pytest.raises(ValidationError) as refused:
        create_record(world.user("R"), {"kind": "copy", "citation": {"volume": "62(3)"}, "candidates": [{"library": "L1"}]})
    assert set(refused.value.fields) == {"title"}
    draft = create_record(world.user("R"), {"kind": "copy", "citation": {"title": "書名"}})
    assert (draft.status, draft.candidates, draft.network) == ("PREPARING", [], "NII")
    oclc = create_record(world.user("O1"), {"kind": "copy", "citation": {"title": "Title"}})
    assert oclc.network == "OCLC"  # the requester's network while no candidate says otherwise


def test_order_without_candidates_is_refused_with_a_clear_message(world):
    draft = create_record(world.user("R"), {"kind": "copy", "citation": {"title": "書名"}})
    assert "ORDER" not in commands_for(world.user("R"), draft)
    with pytest.raises(CommandNotAllowed, match="ORDER in status PREPARING needs at least one lender candidate"):
        world.run("R", draft, "ORDER")
    with pytest.raises(ValidationError) as refused:
        create_record(world.user("R"), {"kind": "copy", "citation": {"title": "書名"}}, order_now=True)
    assert "candidates" in refused.value.fields
    world.run("R", draft, "SAVE", candidates=[{"library": "L2"}])
    assert world.run("R", draft, "ORDER").status == "UNPROCESSED"


def test_a_draft_may_drop_all_its_candidates(world):
    record = reach(world, "PREPARING")
    world.run("R", record, "SAVE", candidates=[])
    assert reload(record).candidates == []
    ordered = reach(world, "INQUIRY")
    with pytest.raises(ValidationError):
        world.run("R", ordered, "SAVE", candidates=[])


def test_order_needs_a_title_or_a_citation(world):
    record = reach(world, "PREPARING")
    world.run("R", record, "SAVE", fields={"title": "", "volume": "62(3)"})
    with pytest.raises(ValidationError) as refused:
        world.run("R", record, "ORDER")
    assert "title" in refused.value.fields
    assert reload(record).status == "PREPARING"
    world.run("R", record, "SAVE", fields={"bib_note": "日本図書館情報学会誌 62(3) p.145-160"})
    assert world.run("R", record, "ORDER").status == "UNPROCESSED"


def test_a_new_claim_may_follow_a_claim_answer(world):
    record = reach(world, "CLAIM_ANSWERED")
    record = world.run("R", record, "RECEIVE")
    assert (record.status, record.claim_handling) == ("ARRIVED", False)
    record = world.run("R", record, "CLAIM", comment="p.151 is missing too")
    record = world.run("L1", record, "RECEIVE")
    assert (record.status, record.claim_handling) == ("PROCESSING", True)
    record = world.run("L1", record, "ANSWER", comment="sent p.151")
    assert world.run("R", record, "RECEIVE").status == "ARRIVED"
    assert world.run("R", record, "OK").status == "CONFIRMED"


def test_a_return_claim_is_answered_by_sending_back(world):
    record = reach(world, "RETURN_PROCESSING", kind="loan")
    record = world.run("L1", record, "CLAIM", comment="別表が同封されていませんでした")
    record = world.run("R", record, "RECEIVE")
    record = world.run("R", record, "SENDBACK", comment="supplement enclosed")
    record = world.run("L1", record, "RECEIVE")
    assert (record.status, record.renewal_handling) == ("RETURN_PROCESSING", False)
    assert world.run("L1", record, "OK").status == "RETURN_CONFIRMED"


def test_network_follows_the_first_candidate_and_binds_the_others(world):
    assert reach(world, "PREPARING", requester="O1", candidates=("O2",)).network == "OCLC"
    assert reach(world, "PREPARING").network == "NII"
    with pytest.raises(ValidationError) as refused:
        reach(world, "PREPARING", candidates=("L1",), network="OCLC")
    assert "candidates.0.library" in refused.value.fields
