"""Bulk modes of the shipping desk: bulk receive / send (lender), bulk arrival
RECEIVE and SENDBACK (requester), the scan lookup and the bulk run.

A bulk run is a loop of single commands (records.bulk_command), each its own
transaction: every row is tried, the rows that succeed leave the list, the
failed rows stay with their inputs and the reason.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Record, User
from ..workflow.errors import CommandNotAllowed, N_, NotFound, ValidationError
from ..workflow.fees import Fees, compute_fees, plain_amount, used_group_indices
from ..workflow.machine import Side
from ..workflow.numbers import parse_int
from ..workflow.statuses import Status
from . import portal_today
from .access import side_of
from .records import BulkResult, bulk_command
from .search import SearchFilters, search_query

S = Status


MAX_ROWS = 500  # the default of BULK_MAX_ROWS


def max_rows() -> int:
    """BULK_MAX_ROWS: the most rows a bulk page lists and a bulk run takes."""
    return current_app.config.get("BULK_MAX_ROWS", MAX_ROWS)
SLIP_FILTERS = ("unprinted", "printed")


@dataclass(frozen=True)
class BulkMode:
    name: str
    side: Side
    command: str
    statuses: tuple[Status, ...]
    all_checked: bool  # bulk receive starts with every row checked; scanning modes with none
    scan: bool  # rows are picked by scanning ILL IDs
    slip: str | None  # the slip "… + print" produces
    fees: bool = False  # per-row fee and date inputs (SEND)

    def takes(self, record: Record) -> bool:
        """Whether the record's status (and handling) is one this mode processes."""
        if record.status not in self.statuses:
            return False
        return not (self.command == "SEND" and record.claim_handling)  # a claim is answered with ANSWER


MODES: dict[str, BulkMode] = {
    # 一括受付処理モード: new requests, answers, returns, renewal requests, claims.
    "receive": BulkMode("receive", Side.LENDER, "RECEIVE",
                        (S.UNPROCESSED, S.AWAITING_ANSWER, S.RETURNED, S.RENEWAL_REQUESTED, S.CLAIM_PENDING),
                        all_checked=True, scan=False, slip="receipt"),
    # 一括発送処理モード: scan the receipt slips of the items to ship.
    "send": BulkMode("send", Side.LENDER, "SEND", (S.PROCESSING,), all_checked=False, scan=True,
                     slip="shipping", fees=True),
    # The requester's arrivals, scanned from the shipping slips that came with them.
    "arrive": BulkMode("arrive", Side.REQUESTER, "RECEIVE", (S.SHIPPED, S.CLAIM_ANSWERED),
                       all_checked=False, scan=True, slip=None),
    # The requester's returns of loans.
    "sendback": BulkMode("sendback", Side.REQUESTER, "SENDBACK", (S.ON_LOAN,), all_checked=False, scan=True,
                         slip="return"),
}


def get_mode(name: str) -> BulkMode:
    mode = MODES.get(name)
    if mode is None:
        raise NotFound(N_("There is no bulk mode %(mode)s."), mode=str(name)[:20])
    return mode


# -- the list -------------------------------------------------------------------

def bulk_records(actor: User, mode: BulkMode, slip: str | None = None) -> list[Record]:
    """The records this mode processes for the actor's library, oldest first.

    `slip` ("unprinted" / "printed") filters the lender's modes on the receipt
    slip (受付票), the lender's pull slip: not yet printed = not yet pulled.
    """
    filters = SearchFilters(side=mode.side, statuses=[s.value for s in mode.statuses])
    query = search_query(actor.library_id, filters)
    if mode.command == "SEND":
        query = query.where(Record.claim_handling.is_(False))
    if slip in SLIP_FILTERS and mode.side is Side.LENDER:
        printed = Record.receipt_printed_at
        query = query.where(printed.is_not(None) if slip == "printed" else printed.is_(None))
    query = query.order_by(Record.id).limit(max_rows()).options(
        selectinload(Record.requester), selectinload(Record.lender))
    return list(db.session.scalars(query))


# -- rows and their inputs ----------------------------------------------------------

@dataclass
class BulkRow:
    """One row of a bulk page: the record, the inputs as typed, and what went wrong."""

    record: Record
    inputs: dict  # command data: {"ill_id", "fees"?: {"groups", "base_fee", "postage"}, "dates"?: {...}}
    checked: bool = False
    total: Decimal | None = None  # the fees' SUM computed from the inputs, None while they are invalid
    message: str | None = None  # why the command failed (template, English)
    message_params: dict = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # field -> message template

    @property
    def ill_id(self) -> str:
        return self.record.ill_id


def default_inputs(actor: User, mode: BulkMode, record: Record, today: date | None = None) -> dict:
    """The row's starting inputs: fee defaults (会計情報初期値) and SDATE / DDATE for SEND."""
    inputs: dict = {"ill_id": record.ill_id}
    if not mode.fees:
        return inputs
    library = actor.library
    default = library.fee_default(record.kind)
    groups = [{"item": str(g.get("item") or ""), "quantity": str(g.get("quantity") or ""),
               "unit_price": plain_amount(g.get("unit_price"))} for g in (default.groups if default else [])]
    inputs["fees"] = {
        "groups": groups or [{"item": "", "quantity": "", "unit_price": ""}],
        "base_fee": plain_amount(default.base_fee) if default else "",
        "postage": plain_amount(default.postage) if default else "",
    }
    sent = today or portal_today()
    inputs["dates"] = {"sent": sent.isoformat()}
    if record.kind == "loan":
        inputs["dates"]["due"] = (sent + timedelta(days=library.loan_days)).isoformat()
        # printed large on the loan's shipping slip (its book band), as in the single SEND
        inputs["fields"] = {"use_restriction": record.use_restriction or ""}
    return inputs


def used_groups(groups: list[dict]) -> list[dict]:
    return [groups[i] for i in used_group_indices(groups)]


def fee_total(fees: dict, places: int) -> tuple[Fees | None, dict[str, str]]:
    """The fees computed from raw inputs (the live total), or the field errors."""
    try:
        return compute_fees(used_groups(fees.get("groups")), fees.get("base_fee"), fees.get("postage"), places), {}
    except ValidationError as error:
        return None, dict(error.fields)


def make_row(actor: User, mode: BulkMode, record: Record, inputs: dict | None = None, checked: bool = False) -> BulkRow:
    row = BulkRow(record, inputs or default_inputs(actor, mode, record), checked=checked)
    if mode.fees:
        fees, _errors = fee_total(row.inputs.get("fees") or {}, actor.library.currency_places)
        row.total = fees.total if fees else None
    return row


def rows_for_inputs(actor: User, mode: BulkMode, posted: list[tuple[dict, bool]],
                    failures: dict[str, BulkResult] | None = None) -> list[BulkRow]:
    """Rows re-built from what a page posted (inputs as typed, checked or not), in that order,
    with each failure's reason. Records the actor may not act on in this mode are left out,
    so a crafted post cannot show another library's record."""
    failures = failures or {}
    pks = [Record.pk_from_ill_id(inputs.get("ill_id")) for inputs, _checked in posted]
    found = {r.id: r for r in db.session.scalars(
        select(Record).where(Record.id.in_([pk for pk in pks if pk])).options(
            selectinload(Record.requester), selectinload(Record.lender)))}
    rows = []
    for pk, (inputs, checked) in zip(pks, posted):
        record = found.get(pk)
        if record is None or side_of(record, actor.library_id) is not mode.side:
            continue
        row = make_row(actor, mode, record, inputs, checked)
        failure = failures.get(record.ill_id)
        if failure is not None:
            error = failure.error_obj
            row.message = error.template if error else failure.message
            row.message_params = dict(error.params) if error else {}
            row.errors = dict(getattr(error, "fields", None) or {})
        rows.append(row)
    return rows


def bulk_rows(actor: User, mode: BulkMode, slip: str | None = None) -> list[BulkRow]:
    """The page's rows with their default inputs; all checked for bulk receive, none otherwise."""
    today = portal_today()
    return [make_row(actor, mode, record, default_inputs(actor, mode, record, today), checked=mode.all_checked)
            for record in bulk_records(actor, mode, slip)]


# -- scanning ----------------------------------------------------------------------

OK, ALREADY_SCANNED, UNKNOWN_ID, OTHER_LIBRARY, WRONG_STATUS = (
    "ok", "already_scanned", "unknown_id", "other_library", "wrong_status")

WRONG_STATUS_MESSAGES = {  # what each mode takes, said when a scan is in another status
    "receive": N_("%(ill_id)s is in status %(status)s (%(label)s): bulk receive takes new requests, answers, "
                  "returns, renewal requests and claims."),
    "send": N_("%(ill_id)s is in status %(status)s (%(label)s): bulk send takes records in PROCESSING."),
    "arrive": N_("%(ill_id)s is in status %(status)s (%(label)s): arrivals are records in SHIPPED or CLAIM_ANSWERED."),
    "sendback": N_("%(ill_id)s is in status %(status)s (%(label)s): send back takes records in ON_LOAN."),
}


@dataclass
class ScanResult:
    outcome: str  # ok | already_scanned | unknown_id | other_library | wrong_status
    ill_id: str
    template: str  # English message template; the web translates it, then fills in `params`
    params: dict = field(default_factory=dict)
    record: Record | None = None
    row: BulkRow | None = None
    status: str | None = None  # the record's status, for wrong_status

    @property
    def ok(self) -> bool:
        return self.outcome == OK

    @property
    def checks_row(self) -> bool:
        """A rescan keeps (or puts back) the row's check: scanning never unchecks."""
        return self.outcome in (OK, ALREADY_SCANNED)

    @property
    def message(self) -> str:
        return self.template % self.params if self.params else self.template


def normalize_scan(raw: str) -> str:
    """What a scanner or a keyboard typed, without surrounding blanks."""
    return "".join(str(raw or "").split())


def scan(actor: User, mode: BulkMode, raw_id: str, already_scanned) -> ScanResult:
    """Look up one scanned ILL ID for a bulk mode. Reads only: safe to repeat."""
    ill_id = normalize_scan(raw_id)
    shown = ill_id[:30]
    if ill_id in set(already_scanned or ()):
        return ScanResult(ALREADY_SCANNED, ill_id, N_("%(ill_id)s was already scanned."), {"ill_id": shown})
    pk = Record.pk_from_ill_id(ill_id)
    record = db.session.get(Record, pk) if pk else None
    if record is None:
        if parse_int(ill_id) is None:
            return ScanResult(UNKNOWN_ID, ill_id, N_("“%(ill_id)s” is not an ILL ID."), {"ill_id": shown})
        return ScanResult(UNKNOWN_ID, ill_id, N_("No record has ILL ID %(ill_id)s."), {"ill_id": shown})
    params = {"ill_id": record.ill_id}
    side = side_of(record, actor.library_id)
    if side is None:  # another library's record, or one it declined: it may not act on it
        return ScanResult(OTHER_LIBRARY, record.ill_id, N_("%(ill_id)s belongs to another library."), params, record)
    if side is not mode.side:
        template = (N_("%(ill_id)s is a request your library made, not one it supplies.") if mode.side is Side.LENDER
                    else N_("%(ill_id)s is a request your library supplies, not one it made."))
        return ScanResult(OTHER_LIBRARY, record.ill_id, template, params, record)
    if not mode.takes(record):
        status = Status(record.status)
        template = (N_("%(ill_id)s is in claim handling: answer the claim on the record page.")
                    if record.status in mode.statuses else WRONG_STATUS_MESSAGES[mode.name])
        return ScanResult(WRONG_STATUS, record.ill_id, template,
                          {**params, "status": status.value, "label": f"{status.label_ja} {status.label_en}"},
                          record, status=record.status)
    return ScanResult(OK, record.ill_id, N_("%(ill_id)s: row checked."), params, record,
                      row=make_row(actor, mode, record, checked=True))


def scan_many(actor: User, mode: BulkMode, raw_ids: list[str], already_scanned) -> tuple[list[ScanResult], list[str]]:
    """Scans in the order typed; returns their results and the running list of scanned IDs."""
    scanned = [i for i in (normalize_scan(r) for r in already_scanned or ()) if i]
    results = []
    for raw in raw_ids:
        if not normalize_scan(raw):
            continue
        result = scan(actor, mode, raw, scanned)
        if result.ok:
            scanned.append(result.ill_id)
        results.append(result)
    return results, scanned


# -- the run -------------------------------------------------------------------------

@dataclass
class BulkOutcome:
    done: list[BulkResult]
    failed: list[tuple[dict, BulkResult]]  # the row's inputs, untouched, and why it failed

    @property
    def done_ids(self) -> list[str]:
        return [r.ill_id for r in self.done]


def command_data(mode: BulkMode, inputs: dict) -> dict:
    """A row's inputs as the command takes them: empty fee rows dropped."""
    data = {"ill_id": str(inputs.get("ill_id", "")).strip()}
    if mode.fees:
        fees = inputs.get("fees") or {}
        data["fees"] = {"groups": used_groups(fees.get("groups")), "base_fee": fees.get("base_fee"),
                        "postage": fees.get("postage")}
        data["dates"] = {k: v for k, v in (inputs.get("dates") or {}).items() if k in ("sent", "due") and v}
        if "use_restriction" in (inputs.get("fields") or {}):
            data["fields"] = {"use_restriction": inputs["fields"]["use_restriction"]}
    return data


def _screen(actor: User, mode: BulkMode, ill_ids: list[str]) -> tuple[dict[str, BulkResult], list[Record]]:
    """Load the rows' records once, with what the commands read, and refuse up front the rows
    this mode must not run: the other side's records (RECEIVE would act as that side) and
    records that moved on to a status the mode does not take. Returns those and the records."""
    pks = {pk: i for i in ill_ids if (pk := Record.pk_from_ill_id(i))}
    found = db.session.scalars(select(Record).where(Record.id.in_(list(pks))).options(
        selectinload(Record.lender), selectinload(Record.candidates), selectinload(Record.fee_groups),
        selectinload(Record.history))).all() if pks else []
    refused = {}
    for record in found:
        side = side_of(record, actor.library_id)
        if side is None:
            continue  # not the actor's to act on: the command itself refuses it (403 / read-only)
        if side is not mode.side:
            error = CommandNotAllowed(N_("%(ill_id)s is not a record of this bulk mode."), ill_id=record.ill_id)
        elif not mode.takes(record):
            status = Status(record.status)
            error = CommandNotAllowed(N_("%(ill_id)s is now in status %(status)s (%(label)s): not in this bulk mode."),
                                      ill_id=record.ill_id, status=status.value,
                                      label=f"{status.label_ja} {status.label_en}")
        else:
            continue
        refused[pks[record.id]] = BulkResult(pks[record.id], False, error=error.code, message=error.message,
                                             error_obj=error)
    return refused, found


def run_bulk(actor: User, mode: BulkMode, rows: list[dict]) -> BulkOutcome:
    """Run the mode's command on every row, each its own transaction, in the given order."""
    refused, loaded = _screen(actor, mode, [str(r.get("ill_id", "")).strip() for r in rows])
    todo = [r for r in rows if str(r.get("ill_id", "")).strip() not in refused]
    session = db.session()
    expire_on_commit = session.expire_on_commit
    # Keep what is loaded (the actor, its library, the records with their candidates, fees
    # and history: `loaded` holds them, the session only refers to them weakly) across the
    # rows' commits instead of reloading it after each one: less than half the queries per
    # row. Safe: every command moves its record's version, and its UPDATE checks it.
    session.expire_on_commit = False
    try:
        results = iter(bulk_command(actor, mode.command, [command_data(mode, r) for r in todo]))
    finally:
        session.expire_on_commit = expire_on_commit
        session.expire_all()
        del loaded
    done, failed = [], []
    for row in rows:
        ill_id = str(row.get("ill_id", "")).strip()
        result = refused.get(ill_id) or next(results)
        if result.ok:
            done.append(result)
        else:
            failed.append((row, result))
    return BulkOutcome(done, failed)
