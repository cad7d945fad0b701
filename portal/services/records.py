"""Create records and run commands on them: the one door for web, API and CLI."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import inspect, select
from sqlalchemy.orm.base import NO_VALUE

from ..extensions import db
from ..models import Candidate, Library, Record, User
from ..models.record import CITATION_FIELDS, CLIENT_FIELDS, LENDER_EDITABLE, REQUESTER_EDITABLE, TERMS_FIELDS
from ..workflow.errors import CommandNotAllowed, Conflict, DomainError, ValidationError
from ..workflow.fees import compute_fees
from ..workflow.machine import CommandContext, Side, allowed_commands, fire
from ..workflow.statuses import Status
from . import PORTAL_BUSY, blocks, portal_today, unit_of_work
from .access import load_record_for_command, side_of
from .patrons import client_type_for, patron_for_request
from .notices import queue_for_transition

MAX_CANDIDATES = 5
DATE_KEYS = ("ordered", "accepted", "sent", "received", "due", "sent_back", "return_received", "patron_returned")
CANDIDATE_FIELDS = ("location", "volume", "call_number", "registration_number")
MAX_TEXT = 2000


# -- input parsing --------------------------------------------------------

def parse_dates(data: dict) -> dict[str, date]:
    raw = dict(data.get("dates") or {})
    if data.get("due_date"):
        raw["due"] = data["due_date"]
    dates, errors = {}, {}
    for key, value in raw.items():
        if key not in DATE_KEYS:
            errors[f"dates.{key}"] = "Unknown date field."
        elif value in (None, ""):
            continue
        elif isinstance(value, date):
            dates[key] = value
        else:
            try:
                dates[key] = date.fromisoformat(str(value))
            except ValueError:
                errors[f"dates.{key}"] = "Must be a date like 2026-04-01."
    if errors:
        raise ValidationError(errors)
    return dates


def parse_fees(data: dict, places: int):
    fees = data.get("fees")
    if fees is None:
        return None
    if not isinstance(fees, dict):
        raise ValidationError({"fees": "Must be an object with groups, base_fee and postage."})
    return compute_fees(fees.get("groups"), fees.get("base_fee"), fees.get("postage"), places)


def text_limit(model, name: str) -> int:
    """The column's length (a Text column: MAX_TEXT), so that no database refuses a value."""
    column = model.__table__.columns.get(name)
    length = getattr(column.type, "length", None) if column is not None else None
    return length or MAX_TEXT


def clean_text(data: dict, names: tuple[str, ...], errors: dict, prefix: str = "",
               model=Record) -> dict[str, str]:
    cleaned = {}
    for name in names:
        if name in data and data[name] is not None:
            value = str(data[name]).strip()
            limit = text_limit(model, name)
            if len(value) > limit:
                errors[prefix + name] = f"Is too long (at most {limit} characters)."
            cleaned[name] = value
    return cleaned


def resolve_candidates(raw: list, requester: Library, network: str | None,
                       required: bool = True) -> tuple[list[dict], str]:
    """Check a candidate list (library codes) and return rows and the network.

    A draft (PREPARING) may have none (`required=False`): candidates are needed
    only to ORDER; its network is then the one given, else the requester's.
    """
    errors: dict[str, str] = {}
    if raw is None and not required:
        raw = []
    if not isinstance(raw, list) or (not raw and required):
        raise ValidationError({"candidates": "At least one lender candidate is required."})
    if not raw:
        return [], network or requester.network
    if len(raw) > MAX_CANDIDATES:
        raise ValidationError({"candidates": "At most 5 lender candidates are allowed."})
    codes = [str((c or {}).get("library", "")).strip() if isinstance(c, dict) else "" for c in raw]
    libraries = {lib.code: lib for lib in db.session.scalars(select(Library).where(Library.code.in_(codes)))}
    rows, seen = [], set()
    for index, (code, item) in enumerate(zip(codes, raw)):
        library = libraries.get(code)
        key = f"candidates.{index}.library"
        if library is None:
            errors[key] = f"No participant library {code!r}." if code else "Choose a library."
            continue
        if library.id == requester.id:
            errors[key] = "A library cannot ask itself."
        elif library.id in seen:
            errors[key] = "This library is listed twice."
        seen.add(library.id)
        row = {"library_id": library.id, "library": library}
        row.update(clean_text(item, CANDIDATE_FIELDS, errors, f"candidates.{index}.", Candidate))
        rows.append(row)
    if not errors:
        network = network or rows[0]["library"].network
        for index, row in enumerate(rows):
            if row["library"].network != network:
                errors[f"candidates.{index}.library"] = f"Every candidate must be on the {network} network."
    if errors:
        raise ValidationError(errors)
    for row in rows:
        del row["library"]
    return rows, network


# -- create ---------------------------------------------------------------

def create_record(actor: User, data: dict, order_now: bool = False) -> Record:
    """A new request in PREPARING (or ordered at once), requester = actor's library."""
    errors: dict[str, str] = {}
    kind = data.get("kind")
    if kind not in ("copy", "loan"):
        errors["kind"] = "Choose copy or loan."
    network = data.get("network") or None
    if network not in (None, "NII", "OCLC"):
        errors["network"] = "Must be NII or OCLC."
    citation = data.get("citation") or {}
    client = data.get("client") or {}
    if not isinstance(citation, dict) or not isinstance(client, dict):
        raise ValidationError({"citation": "Must be an object."})
    fields = clean_text({("bib_note" if k == "note" else k): v for k, v in citation.items()}, CITATION_FIELDS, errors)
    fields.update(clean_text({f"client_{k}": v for k, v in client.items()}, CLIENT_FIELDS, errors))
    fields.update(clean_text(data.get("terms") or {}, TERMS_FIELDS, errors))
    fields.update(clean_text(data, ("requester_number", "requester_staff"), errors))
    try:
        candidates, network = resolve_candidates(data.get("candidates"), actor.library, network, required=order_now)
    except ValidationError as error:
        errors.update(error.fields)
    patron = None
    if data.get("patron") not in (None, ""):
        try:  # the requesting library's own patron; CLNT / CLNTP come from it unless given
            patron = patron_for_request(actor.library_id, data["patron"])
        except ValidationError as error:
            errors.update(error.fields)
        else:
            fields["client_name"] = fields.get("client_name") or patron.name[:text_limit(Record, "client_name")]
            fields["client_type"] = fields.get("client_type") or client_type_for(patron)[:text_limit(Record, "client_type")]
    if not any(fields.get(name) for name in ("title", "bib_note", "bib_id")):
        errors["title"] = "A title or a citation is required."  # all a draft needs
    if errors:
        raise ValidationError(errors)
    with unit_of_work(busy=PORTAL_BUSY):
        fields["requester_staff"] = fields.get("requester_staff") or actor.username
        record = Record(kind=kind, network=network, requester=actor.library,
                        requester_address=actor.library.address, patron=patron, **fields)
        record.candidates = [Candidate(position=i, **row) for i, row in enumerate(candidates)]
        db.session.add(record)
        db.session.flush()
        record.add_history(_context(actor, "CREATE", Side.REQUESTER, data), "PREPARING", None)
        if order_now:
            ctx = _context(actor, "ORDER", Side.REQUESTER, data)
            overrides = blocks.check_command(actor, record, ctx, data)  # may refuse: Blocked
            entry = fire(record, ctx)
            blocks.write_overrides(actor, record, ctx, overrides)
            queue_for_transition(record, entry, ctx.today)
    return record


# -- commands ---------------------------------------------------------------

def _context(actor: User, command: str, side: Side, data: dict, places: int = 0) -> CommandContext:
    comment = str(data.get("comment") or "").strip()
    if len(comment) > MAX_TEXT:
        raise ValidationError({"comment": "Is too long."})
    return CommandContext(
        command=command, side=side, library_id=actor.library_id, today=portal_today(),
        user_id=actor.id, user_name=actor.username, comment=comment,
        fees=parse_fees(data, places), dates=parse_dates(data),
    )


def _save_fields(record: Record, actor: User, side: Side, data: dict) -> dict:
    errors: dict[str, str] = {}
    raw = dict(data.get("fields") or {})
    editable = REQUESTER_EDITABLE if side is Side.REQUESTER else LENDER_EDITABLE
    unknown = [name for name in raw if name not in editable]
    for name in unknown:
        errors[f"fields.{name}"] = "This field cannot be edited by your side."
    fields = clean_text(raw, editable, errors, "fields.")
    if "candidates" in data:
        if side is not Side.REQUESTER:
            errors["candidates"] = "Only the requesting library edits the candidates."
        else:
            try:
                fields["candidates"], _ = resolve_candidates(data["candidates"], actor.library, record.network,
                                                             required=record.status != Status.PREPARING)
            except ValidationError as error:
                errors.update(error.fields)
    if data.get("fees") is not None and side is not Side.LENDER:
        errors["fees"] = "Only the lending library enters fees."
    if errors:
        raise ValidationError(errors)
    return fields


#: What SEND may set besides fees and dates: the loan's use restriction, printed on its slip.
SEND_FIELDS = ("use_restriction",)


def _send_fields(data: dict) -> dict:
    errors: dict[str, str] = {}
    raw = data.get("fields")
    if not isinstance(raw, dict):
        raise ValidationError({"fields": "Must be an object."})
    for name in raw:
        if name not in SEND_FIELDS:
            errors[f"fields.{name}"] = "This field cannot be edited by your side."
    fields = clean_text(raw, SEND_FIELDS, errors, "fields.")
    if errors:
        raise ValidationError(errors)
    return fields


def perform_command(actor: User, ill_id, command: str, data: dict | None = None) -> Record:
    """Run one command for the actor's library, as one transaction."""
    data = data or {}
    command = str(command).upper()
    note = data.get("local_note")
    if note is not None and len(str(note)) > MAX_TEXT:  # refused like every other text, never cut
        raise ValidationError({"local_note": f"Is too long (at most {MAX_TEXT} characters)."})
    with unit_of_work(keep_loaded=True):  # the answer shows the record as committed, without reading it again
        record = load_record_for_command(actor.library_id, ill_id)
        side = side_of(record, actor.library_id)
        if side is None:
            raise CommandNotAllowed(
                "%(command)s: your library declined this request and can only read it.", command=command)
        expected = data.get("version")
        if expected not in (None, "") and str(expected) != str(record.version):
            raise Conflict("The record was changed meanwhile (version %(current)s, you had %(given)s): reload it.",
                           current=record.version, given=expected)
        places = (record.lender or actor.library).currency_places
        ctx = _context(actor, command, side, data, places)
        if command == "SAVE":
            ctx.fields = _save_fields(record, actor, side, data)
        elif command == "SEND" and data.get("fields"):
            ctx.fields = _send_fields(data)
        overrides = blocks.check_command(actor, record, ctx, data)  # may refuse: Blocked
        from_status = record.status
        with db.session.no_autoflush:  # one UPDATE per command: the version moves by exactly one
            entry = fire(record, ctx)
            blocks.write_overrides(actor, record, ctx, overrides)
        blocks.after_command(actor, record, ctx, from_status)
        if data.get("local_note") is not None:
            record.set_local_note(actor.library_id, str(data["local_note"]))
        queue_for_transition(record, entry, ctx.today)  # the notices it causes, in this transaction
    # kept loaded past the commit: only a party whose id the command changed (CALLBACK restores lender_id,
    # PARDON forwards to the next lender) follows its id again
    state = inspect(record)
    stale = [name for name, key in (("lender", "lender_id"), ("requester", "requester_id"), ("patron", "patron_id"))
             if _holds_other(state.attrs[name].loaded_value, getattr(record, key))]
    if stale:
        db.session.expire(record, stale)
    return record


def _holds_other(loaded, foreign_key) -> bool:
    """Whether a loaded many-to-one relation holds another object than its foreign key names now."""
    return loaded is not NO_VALUE and (None if loaded is None else loaded.id) != foreign_key


@dataclass
class BulkResult:
    ill_id: str
    ok: bool
    status: str | None = None
    error: str | None = None
    message: str | None = None
    error_obj: DomainError | None = None

    def as_dict(self) -> dict:
        if self.ok:
            return {"ill_id": self.ill_id, "ok": True, "status": self.status}
        return {"ill_id": self.ill_id, "ok": False, "error": self.error, "message": self.message}


def bulk_command(actor: User, command: str, items: list[dict]) -> list[BulkResult]:
    """Each record its own transaction: every row is tried, each gets its result."""
    results = []
    for item in items:
        ill_id = str(item.get("ill_id", "")).strip()
        try:
            record = perform_command(actor, ill_id, command, item)
        except DomainError as error:
            results.append(BulkResult(ill_id, False, error=error.code, message=error.message, error_obj=error))
        else:
            results.append(BulkResult(ill_id, True, status=record.status))
    return results


def commands_for(actor: User, record: Record) -> list[str]:
    side = side_of(record, actor.library_id)
    if side is None:
        return []
    return allowed_commands(record, side, actor.library_id, portal_today())
