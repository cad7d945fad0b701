"""Import patrons from a CSV export of a library system: all rows or none.

The file is checked completely first; if any row is bad, nothing is saved and
every row gets its result (so staff fix the file and import it again). A good
file is applied in one transaction: a new number creates a patron, a known
number updates it (the file is the newer export), an identical row is left
unchanged.

Format: a header row naming the columns (any order; `number` and `name` are
required): number, name, group, email, mobile, language, active, sms_consent.
`sms_consent` holds the consent method (form, counter…) when the patron has
consented: a consent row is recorded unless the patron's latest already is one;
an empty cell records nothing (a withdrawal goes through opt-out, never an
import). `active` is 1/0, true/false, yes/no. An empty email or mobile cell clears it.
Encoding: UTF-8 (with or without BOM), else Shift_JIS (cp932, as Japanese
library systems and Excel export it). Comma or tab separated.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Library, Patron, User
from ..models.types import utcnow
from ..workflow.errors import N_, ValidationError
from . import unit_of_work
from .patrons import DEFAULT_SMS_WORDING, new_consent_row, clean_consent, clean_patron_data

COLUMNS = ("number", "name", "group", "email", "mobile", "language", "active", "sms_consent")
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
TRUE, FALSE = ("1", "true", "yes", "y"), ("0", "false", "no", "n")

MESSAGES = [
    N_("The file is empty."),
    N_("The file is not UTF-8 or Shift_JIS text."),
    N_("The file is larger than 5 MB."),
    N_("The file has more than 20000 rows."),
    N_("The file is not valid CSV."),
    N_("Use 1 or 0 (true / false)."),
    N_("The same number is on an earlier row of the file."),
    N_("The row has more cells than the header."),
    N_("A patron in the file was created meanwhile by someone else; import the file again."),
]
FILLED_MESSAGES = [
    N_("The header lacks the column %(column)s."),
    N_("Unknown column %(column)s (known: number, name, group, email, mobile, language, active, sms_consent)."),
    N_("Column %(column)s appears twice."),
]


@dataclass
class RowResult:
    line: int  # the line in the file (the header is line 1)
    number: str
    outcome: str  # created | updated | unchanged | error
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class ImportResult:
    rows: list[RowResult]
    applied: bool

    @property
    def counts(self) -> dict[str, int]:
        counts = {"created": 0, "updated": 0, "unchanged": 0, "error": 0}
        for row in self.rows:
            counts[row.outcome] += 1
        return counts


def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise ValidationError({"file": "The file is larger than 5 MB."})
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError({"file": "The file is not UTF-8 or Shift_JIS text."})


def read_rows(text: str) -> list[tuple[int, dict]]:
    """(line, row) pairs with the header's column names; file-level problems raise."""
    if not text.strip():
        raise ValidationError({"file": "The file is empty."})
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, dict]] = []
    header: list[str] | None = None
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue  # blank lines (Excel adds some at the end)
            if header is None:
                header = _check_header(cells)
                continue
            if len(rows) >= MAX_ROWS:
                raise ValidationError({"file": "The file has more than 20000 rows."})
            row = dict(zip(header, cells))
            if len(cells) > len(header):
                row["__too_many__"] = True
            rows.append((reader.line_num, row))
    except csv.Error:
        raise ValidationError({"file": "The file is not valid CSV."}) from None
    return rows


def _check_header(cells: list[str]) -> list[str]:
    header = [name.strip().lower() for name in cells]
    for name in header:
        if name not in COLUMNS:
            raise ValidationError({"file": f"Unknown column {name[:40]} (known: {', '.join(COLUMNS)})."})
        if header.count(name) > 1:
            raise ValidationError({"file": f"Column {name} appears twice."})
    for required in ("number", "name"):
        if required not in header:
            raise ValidationError({"file": f"The header lacks the column {required}."})
    return header


def _row_values(row: dict) -> tuple[dict, str | None, dict]:
    """Checked patron values, the consent method or None, and the errors."""
    errors: dict[str, str] = {}
    if row.get("__too_many__"):
        return {}, None, {"row": "The row has more cells than the header."}
    data = {name: row[name] for name in ("number", "name", "group", "email", "mobile", "language") if name in row}
    if not data.get("language", "").strip():
        data.pop("language", None)  # empty: Japanese for a new patron, unchanged for a known one
    if "active" in row:
        flag = row["active"].strip().lower()
        if flag in TRUE or flag == "":
            data["active"] = True
        elif flag in FALSE:
            data["active"] = False
        else:
            errors["active"] = "Use 1 or 0 (true / false)."
    values = {}
    try:
        values = clean_patron_data(data)
    except ValidationError as error:
        errors.update(error.fields)
    method = None
    if row.get("sms_consent", "").strip():
        try:
            method, _ = clean_consent("sms", row["sms_consent"].strip().lower(), None)
        except ValidationError as error:
            errors["sms_consent"] = error.fields["method"]
    return values, method, errors


def data_columns(row: dict) -> set[str]:
    """The columns a known patron takes from the row (an empty language cell changes nothing)."""
    columns = set(row) | {"number"}
    if not row.get("language", "").strip():
        columns.discard("language")
    return columns


def import_patrons(library: Library, data: bytes, actor: User | None = None) -> ImportResult:
    """Check every row, then apply all of them in one transaction, or none."""
    rows = read_rows(decode(data))
    numbers = [str(row.get("number", "")).strip() for _line, row in rows]
    existing = {p.number: p for p in db.session.scalars(
        select(Patron).where(Patron.library_id == library.id, Patron.number.in_(set(numbers))))}
    results: list[RowResult] = []
    plans = []
    seen: set[str] = set()
    for (line, row), number in zip(rows, numbers):
        values, method, errors = _row_values(row)
        if number and number in seen:
            errors["number"] = "The same number is on an earlier row of the file."
        seen.add(number)
        if errors:
            results.append(RowResult(line, number, "error", errors))
            continue
        patron = existing.get(values["number"])
        if patron is None:
            outcome = "created"
        else:
            present = {k: v for k, v in values.items() if k in data_columns(row)}
            changed = any(getattr(patron, k) != v for k, v in present.items())
            wants_consent = method is not None and not patron.sms_consent
            outcome = "updated" if changed or wants_consent else "unchanged"
            values = present
        results.append(RowResult(line, values["number"], outcome))
        plans.append((patron, values, method))
    if any(r.outcome == "error" for r in results):
        db.session.rollback()
        return ImportResult(results, applied=False)
    try:
        _apply(library, plans, actor)
    except IntegrityError:  # the same number created meanwhile by someone else: nothing was saved
        raise ValidationError({"file": "A patron in the file was created meanwhile by someone else; "
                                       "import the file again."}) from None
    return ImportResult(results, applied=True)


def _apply(library: Library, plans: list, actor: User | None) -> None:
    with unit_of_work():
        for patron, values, method in plans:
            if patron is None:
                patron = Patron(library_id=library.id, **values)
                db.session.add(patron)
            else:
                for name, value in values.items():
                    setattr(patron, name, value)
                patron.updated_at = utcnow()
            if method is not None and not patron.sms_consent:
                new_consent_row(patron, "given", "sms", method, DEFAULT_SMS_WORDING[patron.language], actor)
