"""Shared helpers for the workflow tests (imported as `workflow_helpers`)."""
from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import HistoryEntry, Record

FEES = {"groups": [{"item": "A4", "quantity": 12, "unit_price": "30"}], "base_fee": "100", "postage": "140"}


def actor(world, record, who: str) -> str:
    """The library code acting: "R" (the requester), "lender" (the current one) or a code."""
    if who == "R":
        return world.code_of(record.requester_id)
    if who == "lender":
        assert record.lender_id is not None, "no current lender"
        return world.code_of(record.lender_id)
    return who


def reach(world, status: str, kind: str = "copy", candidates=("L1", "L2"), then=(), requester="R", **data):
    """A record brought to `status` by the demo path, then through the extra steps
    `then`: (who, command, data) tuples run with world.run."""
    record = world.record(status, kind=kind, candidates=candidates, requester=requester, **data)
    for who, command, extra in then:
        record = world.run(actor(world, record, who), record, command, **extra)
    return record


def reload(record) -> Record:
    """The record as stored now (the session may have rolled back meanwhile)."""
    db.session.expire_all()
    return db.session.get(Record, record.id)


def command_count(record_id: int) -> int:
    """History entries written by commands (the portal's SYSTEM notes excluded)."""
    return db.session.scalar(select(func.count()).select_from(HistoryEntry).where(
        HistoryEntry.record_id == record_id, HistoryEntry.command != "SYSTEM"))


def system_notes(record) -> list[str]:
    return [h.comment for h in reload(record).history if h.command == "SYSTEM"]
