"""Parsing the staff forms into the plain dicts the services take, and the
view models that re-render a form with its inputs and messages.

Fee groups and candidate rows arrive as parallel lists (request.form.getlist),
so a page without JavaScript can post any number of them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from werkzeug.datastructures import MultiDict

from ..models import Record
from ..models.record import CITATION_FIELDS, LENDER_EDITABLE, REQUESTER_EDITABLE, TERMS_FIELDS
from ..services.records import MAX_CANDIDATES
from ..workflow.errors import ValidationError
from ..workflow.fees import MAX_GROUPS, Fees, compute_fees, plain_amount, used_group_indices
from ..workflow.numbers import parse_int
from ..workflow.machine import Side
from .i18n import field_errors


# -- fee editor ----------------------------------------------------------------

@dataclass
class FeeEditor:
    """Raw fee inputs as typed, plus what the server computed from them."""

    prefix: str = "fees"
    groups: list[dict] = field(default_factory=list)  # {item, quantity, unit_price} as strings
    base_fee: str = ""
    postage: str = ""
    fees: Fees | None = None
    errors: dict[str, str] = field(default_factory=dict)
    enabled: bool = True  # INQUIRE: fees only when asked for
    focus_row: int | None = None
    row_charges: dict[int, object] = field(default_factory=dict)  # subtotals of valid rows when others are not

    @classmethod
    def from_form(cls, form: MultiDict, prefix: str = "fees") -> FeeEditor:
        items = form.getlist("fee_item")
        quantities = form.getlist("fee_quantity")
        prices = form.getlist("fee_unit_price")
        count = max(len(items), len(quantities), len(prices))
        groups = []
        for i in range(count):
            row = {"item": _at(items, i), "quantity": _at(quantities, i), "unit_price": _at(prices, i)}
            groups.append(row)
        # INQUIRE offers fees as an option: only a ticked box sends them.
        enabled = "fees_optional" not in form or form.get("include_fees") == "1"
        return cls(prefix=prefix, groups=groups, base_fee=form.get("base_fee", ""), postage=form.get("postage", ""),
                   enabled=enabled)

    @classmethod
    def from_saved(cls, groups, base_fee, postage, prefix: str = "fees") -> FeeEditor:
        rows = [{"item": str(g.get("item", "")), "quantity": str(g.get("quantity", "")),
                 "unit_price": plain_amount(g.get("unit_price"))} for g in groups or []]
        return cls(prefix=prefix, groups=rows or [_blank_group()], base_fee=plain_amount(base_fee),
                   postage=plain_amount(postage))

    @classmethod
    def for_record(cls, record: Record, library, prefix: str = "fees") -> FeeEditor:
        """What the lender has entered before, else its fee defaults for this kind."""
        if record.total is not None:
            groups = [g.as_dict() for g in record.fee_groups]
            return cls.from_saved(groups, record.base_fee, record.postage, prefix)
        return cls.for_default(library.fee_default(record.kind), prefix)

    @classmethod
    def for_default(cls, default, prefix: str = "fees") -> FeeEditor:
        """A library's fee defaults (会計情報初期値) for one kind, or one blank row."""
        if default is None:
            return cls(prefix=prefix, groups=[_blank_group()])
        return cls.from_saved(default.groups, default.base_fee, default.postage, prefix)

    @property
    def used_indices(self) -> list[int]:
        """Rows the user left completely empty are not fee groups: the indices of the others."""
        return used_group_indices(self.groups)

    def used_groups(self) -> list[dict]:
        return [self.groups[i] for i in self.used_indices]

    def as_data(self) -> dict:
        return {"groups": self.used_groups(), "base_fee": self.base_fee, "postage": self.postage}

    def compute(self, places: int) -> FeeEditor:
        """Fill `fees` or `errors` (keys like groups.2.unit_price, against `groups`)."""
        used = self.used_indices
        self.row_charges = {}
        try:
            self.fees = compute_fees([self.groups[i] for i in used], self.base_fee, self.postage, places)
            self.errors = {}
        except ValidationError as error:
            self.fees = None
            self.errors = remap_row_errors(field_errors(error), used)
            # Rows that are fine on their own still show their subtotal.
            for index in used:
                try:
                    self.row_charges[index] = compute_fees([self.groups[index]], places=places).groups[0].charge
                except ValidationError:
                    pass
        return self

    def charge(self, index: int):
        """The computed subtotal of row `index` of the editor, if it is a used row."""
        if self.fees is None:
            return self.row_charges.get(index)
        used = self.used_indices
        if index not in used:
            return None
        return self.fees.groups[used.index(index)].charge

    def apply_action(self, action: str) -> bool:
        """Add or remove a row (the editor's own buttons). True when handled."""
        if action == "add":
            if len(self.groups) < MAX_GROUPS:
                self.groups.append(_blank_group())
                self.focus_row = len(self.groups) - 1
            return True
        if action.startswith("remove-") and parse_int(action[7:]) is not None:
            index = parse_int(action[7:])
            if 0 <= index < len(self.groups):
                del self.groups[index]
            if not self.groups:
                self.groups.append(_blank_group())
            self.focus_row = min(index, len(self.groups) - 1)
            return True
        return False

    @property
    def can_add(self) -> bool:
        return len(self.groups) < MAX_GROUPS


def remap_row_errors(errors: dict[str, str], used: list[int], rows: str = "groups") -> dict[str, str]:
    """Service keys (groups.N…, candidates.N…) count only the used rows; the form counts every row."""
    remapped = {}
    for key, message in errors.items():
        parts = key.split(".")
        index = parse_int(parts[1]) if len(parts) >= 2 and parts[0] == rows else None
        if index is not None and index < len(used):
            parts[1] = str(used[index])
        remapped[".".join(parts)] = message
    return remapped


def _blank_group() -> dict:
    return {"item": "", "quantity": "", "unit_price": ""}


def _at(values: list, index: int) -> str:
    return values[index].strip() if index < len(values) else ""


# -- command forms ---------------------------------------------------------------

@dataclass
class DateInput:
    key: str  # dates.<key> for the service
    label: str
    value: str = ""
    required: bool = False
    hint: str = ""


@dataclass
class CommandForm:
    """Everything one command's inline form shows."""

    command: str
    side: Side
    comment: str = ""
    comment_required: bool = False
    dates: list[DateInput] = field(default_factory=list)
    fee_editor: FeeEditor | None = None
    fees_optional: bool = False  # INQUIRE
    inquiry_warning: bool = False
    save_fields: dict[str, str] = field(default_factory=dict)
    send_fields: dict[str, str] | None = None  # the lender's SEND of a loan: its use restriction
    local_note: str | None = None
    candidates: list[dict] | None = None  # requester's SAVE
    version: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""  # form-level error (conflict, not allowed)
    templates: list = field(default_factory=list)
    block_override: bool = False  # refused by a block the user may override: ask for a reason
    override_reason: str = ""


def date_inputs(record: Record, command: str, side: Side, today: date, labels: dict[str, str]) -> list[DateInput]:
    """The dates a command may take, prefilled with what the desk would enter."""
    iso = today.isoformat()
    status = record.status
    if command == "RECEIVE":
        key = {("UNPROCESSED", Side.LENDER): "accepted", ("SHIPPED", Side.REQUESTER): "received",
               ("RETURNED", Side.LENDER): "return_received"}.get((status, side))
        return [DateInput(key, labels[key], iso)] if key else []
    if command == "SEND":
        # Not required: an empty SDATE is today, an empty DDATE SDATE + the loan period (the hints say so).
        dates = [DateInput("sent", labels["sent"], iso, hint=labels["default_today"])]
        if record.kind == "loan":
            loan_days = record.lender.loan_days if record.lender else 14
            dates.append(DateInput("due", labels["due"], (today + timedelta(days=loan_days)).isoformat(),
                                   hint=labels["default_due"] % {"days": loan_days}))
        return dates
    if command == "SENDBACK":
        dates = [DateInput("sent_back", labels["sent_back"], iso)]
        if record.patron_id is not None:  # the day the patron brought it back (overdue blocks); default BDATE
            dates.append(DateInput("patron_returned", labels["patron_returned"], ""))
        return dates
    if command == "ANSWER" and side is Side.LENDER:
        return [DateInput("sent", labels["resent"], "")]
    if command == "CLAIM" and side is Side.LENDER:
        return [DateInput("due", labels["new_due"], "")]
    return []


def editable_fields(side: Side) -> tuple[str, ...]:
    return REQUESTER_EDITABLE if side is Side.REQUESTER else LENDER_EDITABLE


def comment_with_template(form: MultiDict) -> str:
    """The comment as typed; a template picked without JavaScript goes first."""
    comment = form.get("comment", "").strip()
    template = form.get("template", "").strip()
    if template and template not in comment:
        comment = f"{template}\n{comment}".strip()
    return comment


def candidate_rows(form: MultiDict) -> list[dict]:
    """Candidate rows as posted (blank rows kept, so messages line up with rows)."""
    columns = {name: form.getlist(f"candidate_{name}") for name in ("library", "location", "volume", "call_number")}
    count = max((len(v) for v in columns.values()), default=0)
    return [{name: _at(values, i) for name, values in columns.items()} for i in range(count)]


def used_candidates(rows: list[dict]) -> tuple[list[dict], list[int]]:
    used = [i for i, row in enumerate(rows) if row["library"]]
    return [rows[i] for i in used], used


def pad_candidates(rows: list[dict]) -> list[dict]:
    rows = list(rows)[:MAX_CANDIDATES]
    while len(rows) < MAX_CANDIDATES:
        rows.append({"library": "", "location": "", "volume": "", "call_number": ""})
    return rows


def record_candidates(record: Record) -> list[dict]:
    return [{"library": c.library.code, "location": c.location, "volume": c.volume, "call_number": c.call_number,
             "tried": c.tried} for c in record.candidates]


# -- new request -------------------------------------------------------------------

NEW_TEXT_FIELDS = CITATION_FIELDS + ("client_name", "client_type") + TERMS_FIELDS + ("requester_number",)


def new_request_values(form: MultiDict) -> dict:
    values = {name: form.get(name, "").strip() for name in NEW_TEXT_FIELDS}
    values["kind"] = form.get("kind", "")
    values["patron"] = form.get("patron", "").strip()  # the card number the patron picker chose
    return values


def new_request_data(values: dict, candidates: list[dict]) -> dict:
    citation = {("note" if name == "bib_note" else name): values[name] for name in CITATION_FIELDS}
    return {
        "kind": values["kind"] or None,
        "citation": citation,
        "client": {"name": values["client_name"], "type": values["client_type"]},
        "terms": {name: values[name] for name in TERMS_FIELDS},
        "requester_number": values["requester_number"],
        "patron": values.get("patron") or None,
        "candidates": candidates,
    }


def new_request_errors(errors: dict[str, str]) -> dict[str, str]:
    """Service keys (citation fields without prefix; 'note') to form names."""
    return {("bib_note" if key == "note" else key): message for key, message in errors.items()}
