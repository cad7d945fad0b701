"""ILL records (one shared record per request) with candidates, fees and history."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (DDL, JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, event, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..workflow.due import ITEM_OUT, ITEM_OUT_IN_RENEWAL
from ..workflow.fees import Fees
from ..workflow.numbers import MAX_INT, parse_int
from ..workflow.sorting import TITLE_KEY_LENGTH, VOLUME_KEY_LENGTH, natural_key
from ..workflow.statuses import Status
from .library import Library
from .patron import Patron
from .types import Money, UTCDateTime, to_decimal, utcnow

ILL_ID_OFFSET = 1_000_000_000  # ILL IDs are ten digits, assigned in order

CITATION_FIELDS = ("title", "article", "volume", "pages", "year", "std_no", "bib_id", "bib_note",
                   "verify_source", "author", "publisher")
CLIENT_FIELDS = ("client_name", "client_type")
TERMS_FIELDS = ("account_type", "copy_type", "send_via", "permission")
REQUESTER_EDITABLE = CITATION_FIELDS + CLIENT_FIELDS + TERMS_FIELDS + (
    "requester_number", "requester_staff", "requester_address")
LENDER_EDITABLE = ("lender_number", "lender_staff", "lender_address", "use_restriction")
DATE_FIELDS = ("ordered_on", "accepted_on", "sent_on", "received_on", "due_on", "sent_back_on",
               "return_received_on", "patron_returned_on")
MONEY_FIELDS = ("base_fee", "postage", "total")
# What a command may change and CALLBACK must be able to restore.
UNDO_FIELDS = ("lender_id", "lender_address", "lender_staff", "use_restriction", "claim_handling", "renewal_handling",
               *DATE_FIELDS, *MONEY_FIELDS)
# What a history entry records as changed besides the status (HistoryEntry.changes).
CHANGE_FIELDS = tuple(dict.fromkeys((*REQUESTER_EDITABLE, *LENDER_EDITABLE, "claim_handling", "renewal_handling",
                                     *DATE_FIELDS, *MONEY_FIELDS)))


# The records a work list shows and counts: not archived, not final. The same SQL text is the
# predicate of the partial indexes below and a condition of every work-list query
# (services.search.active_condition), so that both databases can prove the index applies
# (literals, not bound parameters: a generic plan could not use a partial index).
ACTIVE_SQL = "archived = false AND status NOT IN ({})".format(
    ", ".join(f"'{s.value}'" for s in sorted(Status) if s.is_final))


def item_out_sql(table: str = "") -> str:
    """SQL twin of workflow.due.item_out (a loan whose item is with the requester), in literals, its columns
    qualified by `table` ("records.") when given."""
    def listed(statuses) -> str:
        return ", ".join(f"'{s.value}'" for s in sorted(statuses))
    return (f"{table}kind = 'loan' AND ({table}status IN ({listed(ITEM_OUT)}) OR "
            f"({table}status IN ({listed(ITEM_OUT_IN_RENEWAL)}) AND {table}renewal_handling = true))")


# The loans a due tab counts and lists (overdue, due soon): active, with a due date, the item out. The
# predicate of ix_records_*_out_due, in the same words as the due tabs' conditions
# (services.search.due_condition), so that the counts are index-only scans of a few hundred entries.
OUT_DUE_SQL = f"{ACTIVE_SQL} AND due_on IS NOT NULL AND {item_out_sql()}"


# The records a search shows by default: not archived (the current-records indexes' predicate,
# services.search.current_condition).
CURRENT_SQL = "archived = false"


def _current_index(name: str, *columns: str) -> Index:
    where = text(CURRENT_SQL)
    return Index(name, *columns, postgresql_where=where, sqlite_where=where)


def _active_index(name: str, *columns: str, extra: str = "") -> Index:
    where = text(ACTIVE_SQL + (f" AND {extra}" if extra else ""))
    return Index(name, *columns, postgresql_where=where, sqlite_where=where)


class Record(db.Model):
    __tablename__ = "records"
    __table_args__ = (
        Index("ix_records_requester_status", "requester_id", "status"),
        Index("ix_records_lender_status", "lender_id", "status"),
        # work lists at national scale: a status tab and the whole list in the default order (latest
        # change first), the due tabs; each over the active records alone (the counts per status are
        # the status tallies)
        _active_index("ix_records_requester_active_status", "requester_id", "status", "updated_at", "id"),
        _active_index("ix_records_lender_active_status", "lender_id", "status", "updated_at", "id"),
        _active_index("ix_records_requester_active_updated", "requester_id", "updated_at", "id"),
        _active_index("ix_records_lender_active_updated", "lender_id", "updated_at", "id"),
        Index("ix_records_requester_out_due", "requester_id", "due_on", postgresql_where=text(OUT_DUE_SQL),
              sqlite_where=text(OUT_DUE_SQL)),
        Index("ix_records_lender_out_due", "lender_id", "due_on", postgresql_where=text(OUT_DUE_SQL),
              sqlite_where=text(OUT_DUE_SQL)),
        # search of a common word: each side's latest unarchived records, read in order
        _current_index("ix_records_requester_current_updated", "requester_id", "updated_at", "id"),
        _current_index("ix_records_lender_current_updated", "lender_id", "updated_at", "id"),
        Index("ix_records_status_updated", "status", "updated_at"),
        Index("ix_records_status_due", "status", "due_on"),  # the daily job: due soon, overdue
        Index("ix_records_status_received", "status", "received_on"),  # the daily job: pickup reminders
        Index("ix_records_title_key", "title_key", "volume_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # copy | loan
    network: Mapped[str] = mapped_column(String(10), default="NII")
    status: Mapped[str] = mapped_column(String(20), default=Status.PREPARING.value)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # parties
    requester_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"))
    lender_id: Mapped[int | None] = mapped_column(ForeignKey("libraries.id"))
    requester_number: Mapped[str] = mapped_column(String(50), default="")  # ONO
    lender_number: Mapped[str] = mapped_column(String(50), default="")  # ANO
    requester_staff: Mapped[str] = mapped_column(String(100), default="")  # OSTAF
    lender_staff: Mapped[str] = mapped_column(String(100), default="")  # ASTAF
    requester_address: Mapped[str] = mapped_column(Text, default="")  # OADRS
    lender_address: Mapped[str] = mapped_column(Text, default="")  # AADRS
    # set by the lender (SAVE, SEND), printed on the loan's shipping slip / book band, e.g. 館内閲覧のみ
    use_restriction: Mapped[str] = mapped_column(String(100), default="")
    # end user
    client_name: Mapped[str] = mapped_column(String(200), default="")  # CLNT
    client_type: Mapped[str] = mapped_column(String(50), default="")  # CLNTP
    patron_id: Mapped[int | None] = mapped_column(ForeignKey("patrons.id"), index=True)  # never shown to lenders
    # citation
    bib_id: Mapped[str] = mapped_column(String(50), default="")  # BIBID
    bib_note: Mapped[str] = mapped_column(Text, default="")  # BIBNT
    std_no: Mapped[str] = mapped_column(String(50), default="")  # STDNO
    title: Mapped[str] = mapped_column(String(500), default="")
    author: Mapped[str] = mapped_column(String(300), default="")
    publisher: Mapped[str] = mapped_column(String(300), default="")
    article: Mapped[str] = mapped_column(String(500), default="")  # ARTCL
    volume: Mapped[str] = mapped_column(String(100), default="")  # VLNO
    pages: Mapped[str] = mapped_column(String(100), default="")  # PAGE
    year: Mapped[str] = mapped_column(String(20), default="")  # YEAR
    verify_source: Mapped[str] = mapped_column(String(200), default="")  # BVRFY/HVRFY
    # natural sort keys of the title (else the citation) and the volume, kept by set_sort_keys
    title_key: Mapped[str] = mapped_column(String(TITLE_KEY_LENGTH), default="")
    volume_key: Mapped[str] = mapped_column(String(VOLUME_KEY_LENGTH), default="")
    # terms
    account_type: Mapped[str] = mapped_column(String(50), default="")  # ACCT
    copy_type: Mapped[str] = mapped_column(String(50), default="")  # TYPE
    send_via: Mapped[str] = mapped_column(String(50), default="")  # SPVIA
    permission: Mapped[str] = mapped_column(String(50), default="")  # PRMT
    # dates
    ordered_on: Mapped[date | None] = mapped_column(Date)  # ODATE
    accepted_on: Mapped[date | None] = mapped_column(Date)  # ADATE
    sent_on: Mapped[date | None] = mapped_column(Date)  # SDATE
    received_on: Mapped[date | None] = mapped_column(Date)  # RDATE
    due_on: Mapped[date | None] = mapped_column(Date)  # DDATE
    sent_back_on: Mapped[date | None] = mapped_column(Date)  # BDATE
    return_received_on: Mapped[date | None] = mapped_column(Date)  # KDATE
    # the day the patron returned the loan to the requesting library (by default BDATE): overdue blocks
    patron_returned_on: Mapped[date | None] = mapped_column(Date)
    # flags
    claim_handling: Mapped[bool] = mapped_column(Boolean, default=False)  # CLAIMFLG
    renewal_handling: Mapped[bool] = mapped_column(Boolean, default=False)
    # fees (料金)
    base_fee: Mapped[Decimal | None] = mapped_column(Money)  # FEE
    postage: Mapped[Decimal | None] = mapped_column(Money)  # POSTG
    total: Mapped[Decimal | None] = mapped_column(Money)  # SUM; None = never entered
    currency: Mapped[str] = mapped_column(String(3), default="JPY")
    # slips
    receipt_printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shipping_printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __mapper_args__ = {"version_id_col": version}

    requester: Mapped[Library] = relationship(foreign_keys=[requester_id])
    lender: Mapped[Library | None] = relationship(foreign_keys=[lender_id])
    patron: Mapped[Patron | None] = relationship()
    candidates: Mapped[list[Candidate]] = relationship(
        back_populates="record", order_by="Candidate.position", cascade="all, delete-orphan")
    fee_groups: Mapped[list[FeeGroupRow]] = relationship(
        order_by="FeeGroupRow.position", cascade="all, delete-orphan")
    history: Mapped[list[HistoryEntry]] = relationship(
        back_populates="record", order_by="HistoryEntry.id", cascade="all, delete-orphan")
    local_notes: Mapped[list[LocalNote]] = relationship(cascade="all, delete-orphan")

    # -- identity -----------------------------------------------------------
    @property
    def ill_id(self) -> str:
        return Record.ill_id_of(self.id)

    @staticmethod
    def ill_id_of(pk: int) -> str:
        """The ILL ID of a primary key (a list's plain rows have the key, not the Record)."""
        return str(ILL_ID_OFFSET + pk)

    @staticmethod
    def pk_from_ill_id(ill_id) -> int | None:
        """The primary key of an ILL ID (ASCII digits), or None: also for an ID beyond the id column."""
        number = parse_int(str(ill_id).strip(), ILL_ID_OFFSET + 1, ILL_ID_OFFSET + MAX_INT)
        return None if number is None else number - ILL_ID_OFFSET

    # -- history ------------------------------------------------------------
    def add_history(self, ctx, from_status: str, undo: dict | None, changes: dict | None = None) -> HistoryEntry:
        entry = HistoryEntry(
            command=ctx.command, from_status=from_status, to_status=self.status, side=ctx.side.value,
            library_id=ctx.library_id, user_id=ctx.user_id, user_name=ctx.user_name,
            comment=ctx.comment, undo=undo, changes=changes or None,
        )
        self.history.append(entry)
        self.updated_at = utcnow()
        return entry

    def add_system_note(self, note: str, status: str) -> None:
        self.history.append(HistoryEntry(command="SYSTEM", from_status=status, to_status=status,
                                         comment=note))

    # -- what a command changed (history) -------------------------------------
    def change_snapshot(self) -> dict:
        """The record's fields as the history shows them: libraries by code, fee lines as text."""
        snapshot = {name: _jsonable(getattr(self, name)) for name in CHANGE_FIELDS}
        snapshot["lender"] = _code(self, self.lender_id)
        snapshot["candidates"] = [_code(self, c.library_id) for c in self.candidates]
        snapshot["fee_groups"] = [f"{g.item} {g.quantity} × {_jsonable(g.unit_price)} = {_jsonable(g.charge)}".strip()
                                  for g in self.fee_groups]
        return snapshot

    def changes_since(self, before: dict) -> dict:
        """{field: {"from": old, "to": new}} for every field that differs from `before`."""
        after = self.change_snapshot()
        return {name: {"from": old, "to": after[name]} for name, old in before.items() if after[name] != old}

    # -- undo (CALLBACK) ----------------------------------------------------
    def undo_snapshot(self) -> dict:
        snapshot = {name: _jsonable(getattr(self, name)) for name in UNDO_FIELDS}
        snapshot["candidates"] = [[c.id, c.tried, c.skipped] for c in self.candidates]
        snapshot["fee_groups"] = [g.as_dict() for g in self.fee_groups]
        return snapshot

    def snapshot_diff(self, before: dict) -> dict:
        after = self.undo_snapshot()
        return {key: value for key, value in before.items() if after.get(key) != value}

    def restore_snapshot(self, snapshot: dict) -> None:
        for name, value in snapshot.items():
            if name == "candidates":
                flags = {cid: (tried, skipped) for cid, tried, skipped in value}
                for candidate in self.candidates:
                    if candidate.id in flags:
                        candidate.tried, candidate.skipped = flags[candidate.id]
            elif name == "fee_groups":
                self.fee_groups = [FeeGroupRow.from_dict(i, g) for i, g in enumerate(value)]
            elif name in DATE_FIELDS:
                setattr(self, name, date.fromisoformat(value) if value else None)
            elif name in MONEY_FIELDS:
                setattr(self, name, to_decimal(value))
            else:
                setattr(self, name, value)

    # -- fees and edits -----------------------------------------------------
    def apply_fees(self, fees: Fees) -> None:
        self.fee_groups = [
            FeeGroupRow(position=i, item=g.item, quantity=g.quantity, unit_price=g.unit_price, charge=g.charge)
            for i, g in enumerate(fees.groups)
        ]
        self.base_fee, self.postage, self.total = fees.base_fee, fees.postage, fees.total
        if self.lender is not None:
            self.currency = self.lender.currency

    def apply_edits(self, fields: dict, side) -> None:
        editable = REQUESTER_EDITABLE if side.value == "requester" else LENDER_EDITABLE
        for name, value in fields.items():
            if name in editable:
                setattr(self, name, value)
        if side.value == "requester" and "candidates" in fields:
            self.replace_untried_candidates(fields["candidates"])

    def replace_untried_candidates(self, wanted: list[dict]) -> None:
        """Keep the candidates already tried, in order; the rest follow as given."""
        kept = [c for c in self.candidates if c.tried]
        tried_ids = {c.library_id for c in kept}
        fresh = [Candidate(**data) for data in wanted if data["library_id"] not in tried_ids]
        self.candidates = kept + fresh
        for position, candidate in enumerate(self.candidates):
            candidate.position = position

    def local_note_for(self, library_id: int) -> str:
        return next((n.text for n in self.local_notes if n.library_id == library_id), "")

    def set_local_note(self, library_id: int, text: str) -> None:
        note = next((n for n in self.local_notes if n.library_id == library_id), None)
        if note is None:
            self.local_notes.append(LocalNote(library_id=library_id, text=text))
        else:
            note.text = text

    def candidate_for(self, library_id: int | None) -> Candidate | None:
        return next((c for c in self.candidates if c.library_id == library_id), None)

    def set_sort_keys(self) -> None:
        self.title_key = natural_key(self.title or self.bib_note, TITLE_KEY_LENGTH)
        self.volume_key = natural_key(self.volume, VOLUME_KEY_LENGTH)

    def __repr__(self) -> str:
        return f"<Record {self.ill_id if self.id else '?'} {self.kind} {self.status}>"


# PostgreSQL: how the records of one library spread over the statuses (extended statistics, MCV). The
# planner otherwise multiplies "lender = the busiest library" by "status in the queue" as if they were
# independent, expects a few hundred rows where there are thousands, and sorts them all instead of
# reading ix_records_*_active_updated backwards (80 ms against 0.1 ms for a work list at 1M records).
# Alembic does not compare statistics objects: the migration and create_all both make them.
RECORD_STATISTICS_DDL = [
    "CREATE STATISTICS IF NOT EXISTS st_records_lender_status (mcv) ON lender_id, status FROM records",
    "CREATE STATISTICS IF NOT EXISTS st_records_requester_status (mcv) ON requester_id, status FROM records",
]
for _statement in RECORD_STATISTICS_DDL:
    event.listen(Record.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))


@event.listens_for(Record, "before_insert")
@event.listens_for(Record, "before_update")
def _keep_sort_keys(_mapper, _connection, record: Record) -> None:
    """The sort keys follow the title and volume in the same flush (a derived copy kept for the index)."""
    record.set_sort_keys()


def _code(record: Record, library_id: int | None) -> str | None:
    """A library's code without flushing (the lender and candidates may be new)."""
    if library_id is None:
        return None
    library = db.session.get(Library, library_id)
    return library.code if library is not None else None


def _jsonable(value):
    if isinstance(value, (date, Decimal)):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    return value


class Candidate(db.Model):
    """A lender candidate (HMLG), in order; `tried` once the record went there."""

    __tablename__ = "candidates"
    __table_args__ = (Index("ix_candidates_library_record", "library_id", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"))
    location: Mapped[str] = mapped_column(String(200), default="")
    volume: Mapped[str] = mapped_column(String(100), default="")
    call_number: Mapped[str] = mapped_column(String(100), default="")
    registration_number: Mapped[str] = mapped_column(String(100), default="")
    tried: Mapped[bool] = mapped_column(Boolean, default=False)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)  # passed over: service suspended

    record: Mapped[Record] = relationship(back_populates="candidates")
    library: Mapped[Library] = relationship()

    def offers_service(self, kind: str) -> bool:
        return self.library.offers(kind)


class FeeGroupRow(db.Model):
    """One fee line (内訳): ITEM, QNT, UPRCE, CHRGE."""

    __tablename__ = "fee_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    item: Mapped[str] = mapped_column(String(40), default="")
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    unit_price: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    charge: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))

    def as_dict(self) -> dict:
        return {"item": self.item, "quantity": self.quantity,
                "unit_price": str(self.unit_price), "charge": str(self.charge)}

    @classmethod
    def from_dict(cls, position: int, data: dict) -> FeeGroupRow:
        return cls(position=position, item=data["item"], quantity=data["quantity"],
                   unit_price=Decimal(data["unit_price"]), charge=Decimal(data["charge"]))


class HistoryEntry(db.Model):
    """SENDG: every command with its comment; command SYSTEM for the portal's notes."""

    __tablename__ = "history_entries"
    __table_args__ = (Index("ix_history_library_side", "library_id", "side", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    command: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    side: Mapped[str | None] = mapped_column(String(10))
    library_id: Mapped[int | None] = mapped_column(ForeignKey("libraries.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    user_name: Mapped[str] = mapped_column(String(80), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    undo: Mapped[dict | None] = mapped_column(JSON)  # what CALLBACK restores
    changes: Mapped[dict | None] = mapped_column(JSON)  # {field: {"from", "to"}} besides the status

    record: Mapped[Record] = relationship(back_populates="history")
    library: Mapped[Library | None] = relationship()


class LocalNote(db.Model):
    """Each side's private local data (OLDF / ALDF), never shown to another library."""

    __tablename__ = "local_notes"
    __table_args__ = (UniqueConstraint("record_id", "library_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"))
    text: Mapped[str] = mapped_column(Text, default="")
