"""The ILL transition table of shared/spec/workflow.md, driven by ONE Machine.

Read the table top to bottom next to the spec. Each row is
(command, side, from, to, conditions, effects). Conditions are named
functions with a refusal message; effects validate their inputs first and
then change the record's fields. `fire()` is the one way to run a command.

The machine is built once at import with ``model=None``: records are never
added to it (``add_model`` would reset their status); events are triggered
against a record with ``machine.events[name].trigger(record, ctx=...)``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Callable

from transitions import EventData, Machine

from .errors import CommandNotAllowed, ValidationError
from .fees import Fees
from .statuses import FINAL_STATUSES, Status

S = Status


class Side(StrEnum):
    REQUESTER = "requester"
    LENDER = "lender"


SYSTEM = "SYSTEM"  # history entries written by the portal itself
SKIPPED_NOTE = "Service suspended; forwarded by the system (サービス停止中につきシステムが転送しました)"
ALL_DECLINED_NOTE = "Declined by all designated lenders (指定した全ての受付館で謝絶されました)"
ARCHIVED_NOTE = "ARCHIVE: moved to the archive (アーカイブに移動しました)"  # written by `flask archive`
BLOCKED_NOTE = "Blocked by this lender; forwarded by the system (受付館によるブロック中につきシステムが転送しました)"


@dataclass
class CommandContext:
    """Everything a command needs besides the record. Built by the service."""

    command: str
    side: Side
    library_id: int
    today: date
    user_id: int | None = None
    user_name: str = ""
    comment: str = ""
    fees: Fees | None = None
    dates: dict[str, date] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)  # SAVE edits
    system_notes: list[str] = field(default_factory=list)  # filled by effects
    # lenders (library id -> why) that block the requester: forwarding skips them (services.blocks)
    blocked_lenders: dict[int, str] = field(default_factory=dict)


def available(candidate, record, ctx: CommandContext) -> bool:
    """The candidate offers the service and does not block the requesting library."""
    return candidate.offers_service(record.kind) and candidate.library_id not in ctx.blocked_lenders


# -- conditions -------------------------------------------------------------

def condition(refusal: str) -> Callable:
    """Give a condition the message that explains a refusal."""

    def attach(func):
        func.refusal = refusal
        return func

    return attach


def _ctx(event: EventData) -> CommandContext:
    return event.kwargs["ctx"]


@condition("%(command)s in status %(status)s is a command of the requesting library.")
def by_requester(event):
    return _ctx(event).side is Side.REQUESTER


@condition("%(command)s in status %(status)s is a command of the lending library.")
def by_lender(event):
    return _ctx(event).side is Side.LENDER


@condition("%(command)s in status %(status)s is only for copy records.")
def is_copy(event):
    return event.model.kind == "copy"


@condition("%(command)s in status %(status)s is only for loan records.")
def is_loan(event):
    return event.model.kind == "loan"


@condition("OCLC-ILL has no claim states: %(command)s in status %(status)s is not available for OCLC records.")
def on_nii_network(event):
    return event.model.network == "NII"


@condition("%(command)s is not allowed in status %(status)s during claim handling (answer the claim with ANSWER).")
def not_in_claim_handling(event):
    return not event.model.claim_handling


@condition("%(command)s in status %(status)s is only for answering a claim.")
def in_claim_handling(event):
    return bool(event.model.claim_handling)


@condition("%(command)s in status %(status)s needs a lender holding the request; all lenders declined: "
           "FORWARD, RETRY or CANCEL.")
def lender_holds(event):
    return event.model.lender_id is not None


@condition("%(command)s in status %(status)s is only possible after all lenders declined.")
def declined_by_all(event):
    return event.model.lender_id is None


@condition("%(command)s in status %(status)s needs at least one lender candidate: add one and save the request first.")
def has_candidates(event):
    return bool(event.model.candidates)


@condition("%(command)s in status %(status)s: no lender candidate currently offers this service.")
def any_candidate_available(event):
    record = event.model
    return any(available(c, record, _ctx(event)) for c in record.candidates)


@condition("%(command)s in status %(status)s: no untried lender candidate currently offers this service.")
def next_candidate_available(event):
    record = event.model
    return any(not c.tried and available(c, record, _ctx(event)) for c in record.candidates)


@condition("%(command)s in status %(status)s needs the item back; this is a renewal request.")
def not_in_renewal_handling(event):
    return not event.model.renewal_handling


@condition("%(command)s in status %(status)s: only the library whose work list holds the record can save it.")
def holds_queue(event):
    return Status(event.model.status).queue.value == _ctx(event).side.value


@condition("%(command)s in status %(status)s: archived records and records in a fee settlement are read-only.")
def not_frozen(event):
    return not event.model.archived and event.model.settled_at is None


# -- CALLBACK chains ----------------------------------------------------------
# A transition that was called back no longer counts: the one before it is the
# latest again. History entries that never move the status (SAVE, the portal's
# SYSTEM notes) are not transitions.
NOT_TRANSITIONS = frozenset({"SAVE", "SYSTEM"})


def standing_transitions(history) -> list:
    """The transitions that still count, oldest first: each CALLBACK removes
    the latest standing one; a called-back CANCEL starts the request afresh,
    so nothing before it stands any more."""
    standing: list = []
    for entry in history:
        if entry.command in NOT_TRANSITIONS:
            continue
        if entry.command != "CALLBACK":
            standing.append(entry)
        elif standing and standing.pop().command == "CANCEL":
            standing.clear()
    return standing


def latest_transition(history):
    """The transition a CALLBACK would undo now (None: nothing left to undo)."""
    standing = standing_transitions(history)
    return standing[-1] if standing else None


def _latest(event):
    return latest_transition(event.model.history)


@condition("%(command)s in status %(status)s: only your own latest command can be called back, and the "
           "partner has acted since or you have not acted.")
def caller_acted_last(event):
    last = _latest(event)
    ctx = _ctx(event)
    return (
        last is not None
        and last.command != "CREATE"
        and last.library_id == ctx.library_id
        and last.side == ctx.side.value
    )


@condition("%(command)s in status %(status)s: a PARDON that forwarded the record to another lender "
           "cannot be called back.")
def not_forwarding_pardon(event):
    last = _latest(event)
    return not (last and last.command == "PARDON" and last.to_status == S.UNPROCESSED)


def declined_for_all_by(history, library_id: int) -> bool:
    """The library's PARDON declined for all lenders and is still the latest
    transition: that lender may call it back though it holds no record."""
    last = latest_transition(history)
    return (last is not None and last.command == "PARDON" and last.to_status == S.NEW_INQUIRY
            and last.library_id == library_id)


# -- effects ------------------------------------------------------------------

def require(*names: str) -> Callable:
    """An effect that refuses the command when an input is missing."""

    def check(event):
        ctx, record = _ctx(event), event.model
        missing = {}
        for name in names:
            if name == "comment" and not ctx.comment.strip():
                missing["comment"] = "A comment is required for %(command)s." % {"command": ctx.command}
            if name == "citation" and not (record.title or record.bib_note or record.bib_id).strip():
                missing["title"] = "A title or a citation is required for %(command)s." % {"command": ctx.command}
            if name == "fees" and ctx.fees is None and record.total is None:
                missing["fees"] = "The total (SUM) is required for %(command)s; it may be 0." % {"command": ctx.command}
        if missing:
            raise ValidationError(missing, "%(command)s needs more input.", command=ctx.command)

    check.__name__ = "require_" + "_".join(names)
    return check


def _date(event, key: str, default: date | None) -> date | None:
    return _ctx(event).dates.get(key, default)


def set_date(key: str, attribute: str) -> Callable:
    def effect(event):
        setattr(event.model, attribute, _date(event, key, _ctx(event).today))

    effect.__name__ = f"set_{attribute}"
    return effect


def forward_to_next_candidate(record, ctx: CommandContext) -> None:
    """Send the record to the next untried candidate that offers the service."""
    for candidate in sorted(record.candidates, key=lambda c: c.position):
        if candidate.tried:
            continue
        candidate.tried = True
        if available(candidate, record, ctx):
            record.lender_id = candidate.library_id
            record.lender_address = candidate.library.address
            return
        candidate.skipped = True
        if candidate.offers_service(record.kind):
            ctx.system_notes.append(f"{BLOCKED_NOTE}: {candidate.library.code}")
        else:
            ctx.system_notes.append(f"{SKIPPED_NOTE}: {candidate.library.code}")
    raise AssertionError("forwarding was allowed with no available candidate")  # conditions prevent this


def order(event):
    record, ctx = event.model, _ctx(event)
    for candidate in record.candidates:
        candidate.tried = candidate.skipped = False
    record.ordered_on = ctx.today
    forward_to_next_candidate(record, ctx)


def forward(event):
    forward_to_next_candidate(event.model, _ctx(event))


def decline_all(event):
    event.model.lender_id = None
    _ctx(event).system_notes.append(ALL_DECLINED_NOTE)


def retry(event):
    record = event.model
    record.lender_id = None
    for candidate in record.candidates:
        candidate.tried = candidate.skipped = False


def accept(event):
    record, ctx = event.model, _ctx(event)
    record.accepted_on = _date(event, "accepted", ctx.today)
    if not record.lender_staff:
        record.lender_staff = ctx.user_name


def apply_fees(event):
    ctx = _ctx(event)
    if ctx.fees is not None:
        event.model.apply_fees(ctx.fees)


def send(event):
    record, ctx = event.model, _ctx(event)
    record.sent_on = _date(event, "sent", ctx.today)
    if "use_restriction" in ctx.fields:  # e.g. 館内閲覧のみ, printed on the loan's shipping slip
        record.use_restriction = ctx.fields["use_restriction"]
    if record.kind == "loan":
        default_due = record.sent_on + timedelta(days=record.lender.loan_days)
        due = _date(event, "due", default_due)
        if due < record.sent_on:
            raise ValidationError({"due": "The due date cannot be before the send date."})
        record.due_on = due


def send_back(event):
    """BDATE, and the day the patron returned the loan (by default BDATE)."""
    record = event.model
    sent_back = _date(event, "sent_back", _ctx(event).today)
    returned = _date(event, "patron_returned", sent_back)
    if returned > sent_back:
        raise ValidationError({"dates.patron_returned": "The patron's return cannot be after the send-back date."})
    record.sent_back_on, record.patron_returned_on = sent_back, returned


def resend_if_dated(event):
    if "sent" in _ctx(event).dates:
        event.model.sent_on = _ctx(event).dates["sent"]


def start_claim_handling(event):
    event.model.claim_handling = True


def end_claim_handling(event):
    event.model.claim_handling = False


def receive_return(event):
    record = event.model
    record.return_received_on = _date(event, "return_received", _ctx(event).today)
    record.renewal_handling = False


def start_renewal_handling(event):
    event.model.renewal_handling = True


def end_renewal_handling(event):
    event.model.renewal_handling = False


def new_due_date(event):
    if "due" in _ctx(event).dates:
        event.model.due_on = _ctx(event).dates["due"]


def save(event):
    ctx = _ctx(event)
    event.model.apply_edits(ctx.fields, ctx.side)


def call_back(event):
    """Undo the caller's latest transition: restore what it changed."""
    record = event.model
    last = _latest(event)
    record.restore_snapshot(last.undo or {})
    if last.command == "CANCEL":
        record.status = S.PREPARING.value  # how a cancelled request is re-sent
        record.lender_id = None
        for candidate in record.candidates:
            candidate.tried = candidate.skipped = False
    else:
        record.status = last.from_status


# -- the transition table ---------------------------------------------------

@dataclass(frozen=True)
class Rule:
    command: str
    side: Side | None  # None: either side (SAVE, CALLBACK)
    source: tuple[Status, ...]
    dest: Status | None  # None: no status change (SAVE), or decided by the effect (CALLBACK)
    conditions: tuple[Callable, ...] = ()
    effects: tuple[Callable, ...] = ()


REQ, LEN = Side.REQUESTER, Side.LENDER
comment = require("comment")
ACTIVE = tuple(s for s in Status if s not in FINAL_STATUSES)

RULES: list[Rule] = [
    # requester (依頼館)
    Rule("ORDER", REQ, (S.PREPARING,), S.UNPROCESSED, (has_candidates, any_candidate_available),
         (require("citation"), order)),
    Rule("RECEIVE", REQ, (S.NEW_INQUIRY,), S.INQUIRY),
    Rule("ANSWER", REQ, (S.INQUIRY,), S.AWAITING_ANSWER, (lender_holds,), (comment,)),
    Rule("FORWARD", REQ, (S.INQUIRY,), S.UNPROCESSED, (next_candidate_available,), (forward,)),
    Rule("CANCEL", REQ, (S.PREPARING, S.INQUIRY), S.CANCELLED),
    Rule("RETRY", REQ, (S.INQUIRY,), S.PREPARING, (declined_by_all,), (retry,)),
    Rule("RECEIVE", REQ, (S.SHIPPED,), S.ARRIVED, (), (set_date("received", "received_on"),)),
    Rule("RECEIVE", REQ, (S.CLAIM_ANSWERED,), S.ARRIVED, (), (end_claim_handling,)),
    Rule("OK", REQ, (S.ARRIVED,), S.CONFIRMED, (is_copy,)),
    Rule("CLAIM", REQ, (S.ARRIVED,), S.CLAIM_PENDING, (on_nii_network,), (comment,)),
    Rule("BORROW", REQ, (S.ARRIVED,), S.ON_LOAN, (is_loan,)),
    Rule("RENEW", REQ, (S.ON_LOAN,), S.RENEWAL_REQUESTED, (), (comment,)),
    Rule("SENDBACK", REQ, (S.ON_LOAN,), S.RETURNED, (), (send_back,)),
    Rule("RECEIVE", REQ, (S.RETURN_CLAIM,), S.ON_LOAN, (), (end_renewal_handling,)),
    # lender (受付館)
    Rule("RECEIVE", LEN, (S.UNPROCESSED,), S.PROCESSING, (), (accept,)),
    Rule("INQUIRE", LEN, (S.PROCESSING,), S.NEW_INQUIRY, (not_in_claim_handling,), (comment, apply_fees)),
    Rule("RECEIVE", LEN, (S.AWAITING_ANSWER,), S.PROCESSING),
    # PARDON forwards to the next available candidate, else declines for all:
    # the machine takes the first row whose conditions hold.
    Rule("PARDON", LEN, (S.PROCESSING,), S.UNPROCESSED, (not_in_claim_handling, next_candidate_available), (comment, forward)),
    Rule("PARDON", LEN, (S.PROCESSING,), S.NEW_INQUIRY, (not_in_claim_handling,), (comment, decline_all)),
    Rule("SEND", LEN, (S.PROCESSING,), S.SHIPPED, (not_in_claim_handling,), (require("fees"), apply_fees, send)),
    Rule("RECEIVE", LEN, (S.CLAIM_PENDING,), S.PROCESSING, (on_nii_network,), (start_claim_handling,)),
    Rule("ANSWER", LEN, (S.PROCESSING,), S.CLAIM_ANSWERED, (in_claim_handling,), (comment, resend_if_dated)),
    Rule("RECEIVE", LEN, (S.RETURNED,), S.RETURN_PROCESSING, (), (receive_return,)),
    Rule("RECEIVE", LEN, (S.RENEWAL_REQUESTED,), S.RETURN_PROCESSING, (), (start_renewal_handling,)),
    Rule("CLAIM", LEN, (S.RETURN_PROCESSING,), S.RETURN_CLAIM, (), (comment, new_due_date)),
    Rule("OK", LEN, (S.RETURN_PROCESSING,), S.RETURN_CONFIRMED, (not_in_renewal_handling,)),
    # both sides
    Rule("SAVE", None, ACTIVE, None, (holds_queue, not_frozen), (save, apply_fees)),
    Rule("CALLBACK", None, tuple(Status), None, (not_frozen, caller_acted_last, not_forwarding_pardon), (call_back,)),
]

COMMANDS = sorted({rule.command for rule in RULES})
#: Commands refused without a comment: their forms mark the comment required.
COMMENT_REQUIRED = frozenset(rule.command for rule in RULES if comment in rule.effects)
SIDE_CONDITION = {REQ: by_requester, LEN: by_lender}


def commands_of(side: Side) -> list[str]:
    """The commands a side may ever run, in the order of the transition table."""
    return list(dict.fromkeys(rule.command for rule in RULES if rule.side in (side, None)))


def _build_machine() -> Machine:
    machine = Machine(
        model=None,
        states=[s.value for s in Status],
        initial=None,
        auto_transitions=False,
        send_event=True,
        model_attribute="status",
    )
    for rule in RULES:
        conditions = ([SIDE_CONDITION[rule.side]] if rule.side else []) + list(rule.conditions)
        machine.add_transition(
            rule.command,
            source=[s.value for s in rule.source],
            dest=rule.dest.value if rule.dest else None,
            conditions=conditions,
            before=list(rule.effects),
        )
    return machine


machine = _build_machine()


def _event_data(record, ctx: CommandContext) -> EventData:
    event = machine.events[ctx.command]
    return EventData(machine.get_state(record.status), event, machine, record, args=(), kwargs={"ctx": ctx})


def check_allowed(record, ctx: CommandContext) -> None:
    """Raise CommandNotAllowed, with the reason, unless ctx.command may run now."""
    params = {"command": ctx.command, "status": record.status}
    event = machine.events.get(ctx.command)
    if event is None:
        raise CommandNotAllowed("There is no command %(command)s.", **params)
    transitions = event.transitions.get(record.status, [])
    if not transitions:
        raise CommandNotAllowed("%(command)s is not allowed in status %(status)s.", **params)
    data = _event_data(record, ctx)
    refusal = None
    for transition in transitions:
        failing = next((c for c in transition.conditions if not c.check(data)), None)
        if failing is None:
            return
        refusal = failing.func.refusal
    raise CommandNotAllowed(refusal, **params)


def allowed_commands(record, side: Side, library_id: int, today: date) -> list[str]:
    """The commands this side may run now: what the UI offers as buttons."""
    allowed = []
    for command in COMMANDS:
        try:
            check_allowed(record, CommandContext(command, side, library_id, today))
        except CommandNotAllowed:
            continue
        allowed.append(command)
    return allowed


def fire(record, ctx: CommandContext):
    """Run one command on a record and write its history entry.

    Raises CommandNotAllowed or ValidationError and then changes nothing
    that the caller's transaction rollback would not undo.
    """
    check_allowed(record, ctx)
    from_status = record.status
    before = record.undo_snapshot()
    seen = record.change_snapshot()
    if not machine.events[ctx.command].trigger(record, ctx=ctx):
        raise CommandNotAllowed("%(command)s is not allowed in status %(status)s.", command=ctx.command, status=from_status)
    undo = record.snapshot_diff(before) if ctx.command not in ("CALLBACK", "SAVE") else None
    entry = record.add_history(ctx, from_status, undo, record.changes_since(seen))
    for note in ctx.system_notes:
        record.add_system_note(note, record.status)
    return entry


def mermaid_graph() -> str:
    """The state graph as a mermaid diagram (docs/state-graph.md)."""
    lines = ["stateDiagram-v2", "    [*] --> PREPARING"]
    seen = set()
    for rule in RULES:
        if rule.dest is None:
            continue
        for source in rule.source:
            who = rule.side.value if rule.side else "both"
            line = f"    {source.value} --> {rule.dest.value}: {rule.command} ({who})"
            if line not in seen:
                seen.add(line)
                lines.append(line)
    lines += ["    CONFIRMED --> [*]", "    RETURN_CONFIRMED --> [*]", "    CANCELLED --> [*]"]
    return "\n".join(lines) + "\n"
