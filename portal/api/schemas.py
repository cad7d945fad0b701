"""The bodies and answers of /api/v1 (shared contract: docs in README, `openapi.json`).

Input models are checked by `validation.body` / `validation.query` before any
service runs; text lengths are the columns' lengths, so no database ever refuses
a value. The services still check everything themselves (the web forms use them).
"""
from __future__ import annotations

from typing import Literal

from flask import current_app
from pydantic import BaseModel, Field, ValidationInfo, field_validator

from ..models import Candidate, Record
from ..services.records import MAX_CANDIDATES, MAX_TEXT, text_limit
from ..workflow.fees import MAX_GROUPS
from ..workflow.statuses import Status
from .validation import (Amount, ApiModel, Date, PageNumber, QueryFlag, Text, Version, WholeNumber,
                         register)

DEFAULT_BULK_MAX_ROWS = 500


def column_text(name: str, model=Record, **kwargs):
    return Text(text_limit(model, name), **kwargs)


# -- records --------------------------------------------------------------------------------------

class Citation(ApiModel):
    """Bibliographic data; errors name the record's fields (`title`, `bib_note` for `note`)."""

    flat = True
    title: column_text("title") | None = None
    article: column_text("article") | None = None
    author: column_text("author") | None = None
    publisher: column_text("publisher") | None = None
    volume: column_text("volume") | None = None
    pages: column_text("pages") | None = None
    year: column_text("year") | None = None
    std_no: column_text("std_no") | None = None
    bib_id: column_text("bib_id") | None = None
    bib_note: column_text("bib_note") | None = Field(None, alias="note")
    verify_source: column_text("verify_source") | None = None


class Client(ApiModel):
    """The end user; errors name `client_name`, `client_type`."""

    flat = True
    client_name: column_text("client_name") | None = Field(None, alias="name")
    client_type: column_text("client_type") | None = Field(None, alias="type")


class Terms(ApiModel):
    flat = True
    account_type: column_text("account_type") | None = None
    copy_type: column_text("copy_type") | None = None
    send_via: column_text("send_via") | None = None
    permission: column_text("permission") | None = None


class CandidateInput(ApiModel):
    library: Text(20, description="the lender candidate's library code")
    location: column_text("location", Candidate) | None = None
    volume: column_text("volume", Candidate) | None = None
    call_number: column_text("call_number", Candidate) | None = None
    registration_number: column_text("registration_number", Candidate) | None = None


class NewRecord(ApiModel):
    """POST /records: a new request in PREPARING; the caller's library is the requester."""

    kind: Literal["copy", "loan"]
    network: Literal["NII", "OCLC"] | None = None
    citation: Citation | None = None
    client: Client | None = None
    terms: Terms | None = None
    candidates: list[CandidateInput] = Field(min_length=1, max_length=MAX_CANDIDATES)
    requester_number: column_text("requester_number") | None = None
    requester_staff: column_text("requester_staff") | None = None
    patron: Text(64, description="the card number of one of the caller's patrons: links the request and fills "
                                 "the client's name and type unless given (422 if unknown)") | None = None


# -- commands -------------------------------------------------------------------------------------

class Dates(ApiModel):
    """The record's dates a command may set; null or absent leaves a date to the command's default."""

    ordered: Date | None = None
    accepted: Date | None = None
    sent: Date | None = None
    received: Date | None = None
    due: Date | None = None
    sent_back: Date | None = None
    return_received: Date | None = None
    patron_returned: Date | None = Field(None, description="SENDBACK: the day the patron returned the loan "
                                                           "(default: sent_back); overdue blocks count to it")


class FeeGroupInput(ApiModel):
    item: Text(40) | None = None
    quantity: WholeNumber | None = None
    unit_price: Amount | None = None
    charge: Amount | None = Field(None, description="ignored: the portal computes every charge")


class FeesInput(ApiModel):
    """Fees (料金); errors name `groups.0.quantity`, `base_fee`, `postage`, as the fee arithmetic does."""

    flat = True
    groups: list[FeeGroupInput] | None = Field(None, max_length=MAX_GROUPS)
    base_fee: Amount | None = None
    postage: Amount | None = None


class SaveFields(ApiModel):
    """SAVE: the editable fields; each side may edit only its own (the service refuses the others)."""

    title: column_text("title") | None = None
    article: column_text("article") | None = None
    author: column_text("author") | None = None
    publisher: column_text("publisher") | None = None
    volume: column_text("volume") | None = None
    pages: column_text("pages") | None = None
    year: column_text("year") | None = None
    std_no: column_text("std_no") | None = None
    bib_id: column_text("bib_id") | None = None
    bib_note: column_text("bib_note") | None = None
    verify_source: column_text("verify_source") | None = None
    client_name: column_text("client_name") | None = None
    client_type: column_text("client_type") | None = None
    account_type: column_text("account_type") | None = None
    copy_type: column_text("copy_type") | None = None
    send_via: column_text("send_via") | None = None
    permission: column_text("permission") | None = None
    requester_number: column_text("requester_number") | None = None
    requester_staff: column_text("requester_staff") | None = None
    requester_address: column_text("requester_address") | None = None
    lender_number: column_text("lender_number") | None = None
    lender_staff: column_text("lender_staff") | None = None
    lender_address: column_text("lender_address") | None = None


class OverrideInput(ApiModel):
    """Go ahead despite a block the caller's role may override (the reason goes into the history)."""

    reason: Text(2000, min_length=1)


class CommandInput(ApiModel):
    """POST /records/{ill_id}/commands/{command}: what the command needs (all optional)."""

    comment: Text(MAX_TEXT) | None = None
    fees: FeesInput | None = None
    dates: Dates | None = None
    due_date: Date | None = Field(None, description="the same as dates.due")
    version: Version | None = None
    fields: SaveFields | None = None
    candidates: list[CandidateInput] | None = Field(
        None, max_length=MAX_CANDIDATES, description="SAVE (requester): the lender candidates not yet tried")
    local_note: Text(MAX_TEXT) | None = Field(None, description="the caller's private local note")
    override: OverrideInput | None = Field(None, description="ORDER, BORROW, RENEW refused by a block: go ahead "
                                                             "when the block's definition lets your role override")


class BulkRow(CommandInput):
    ill_id: Text(40, min_length=1)


class BulkInput(ApiModel):
    """POST /bulk/{command}: rows, each run as its own command; at most BULK_MAX_ROWS (default 500)."""

    records: list[BulkRow]

    @field_validator("records", mode="before")
    @classmethod
    def _not_too_many(cls, value, info: ValidationInfo):
        limit = (info.context or {}).get("max_rows")
        if isinstance(value, list) and limit is not None and len(value) > limit:
            raise ValueError(f"At most {limit} records per request; send the rest in further requests.")
        return value


def bulk_context() -> dict:
    return {"max_rows": current_app.config.get("BULK_MAX_ROWS", DEFAULT_BULK_MAX_ROWS)}


class RecordQuery(ApiModel):
    """GET /records: the caller's records, 50 a page."""

    side: Literal["requester", "lender"] | None = None
    status: Literal[tuple(s.value for s in Status)] | None = None
    kind: Literal["copy", "loan"] | None = None
    q: Text(500) | None = Field(None, description="ILL ID, title, article, note, client, local numbers or note")
    archive: QueryFlag | None = Field(None, description="also archived records")
    page: PageNumber | None = None

    @field_validator("side", "status", "kind", mode="before")
    @classmethod
    def _empty_is_absent(cls, value):
        return None if value == "" else value


# -- answers (documented; the schemathesis run checks the server keeps to them) -------------------

class Answer(BaseModel):
    """An answer's shape: further keys may be added over time."""


@register
class Error(Answer):
    error: Literal["unauthorized", "forbidden", "not_found", "method_not_allowed", "command_not_allowed",
                   "conflict", "invalid", "too_large", "unavailable", "server_error", "blocked"]
    message: str
    fields: dict[str, str] | None = Field(None, description="invalid: a message per field, named by its path")
    block: dict | None = Field(None, description="blocked: the block that refused the command (a Block)")
    overridable: bool | None = Field(None, description="blocked: your role may go ahead with an override reason")


@register
class BulkResult(Answer):
    ill_id: str
    ok: bool
    status: str | None = None
    error: str | None = None
    message: str | None = None


@register
class BulkResults(Answer):
    results: list[BulkResult]
