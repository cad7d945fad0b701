"""Helpers for the block tests (imported as `blocks_helpers`)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import Block, Record
from portal.services import blocks, portal_today
from portal.services.block_schemas import BlockSettings, parse

FEES = {"groups": [{"item": "A4", "quantity": 1, "unit_price": "0"}], "base_fee": "0", "postage": "0"}


def today():
    return portal_today()


def block(world, by: str, *, library: str | None = None, patron: str | None = None, definition="SUSPENDED",
          note="", expires=None):
    """A manual block made by library `by` through the service."""
    data = {"definition": definition, "note": note, "expires": expires}
    if library:
        data["library"] = world.libraries[library].code
    if patron:
        data["patron"] = patron
    return blocks.create_block(world.user(by), data).block


def set_definition(world, code: str, library: str, **values):
    definition = blocks.definition_for(world.libraries[library].id, code)
    row = definition.description
    data = {"code": row.code, "description_ja": row.description_ja, "description_en": row.description_en,
            "type": definition.type, "overridable": definition.overridable,
            "blocked_action": definition.blocked_action, "network_block": definition.network_block, **values}
    blocks.update_description(world.user(library), row.id, data)


def set_policy(world, library: str, **settings):
    blocks.update_policy(world.user(library), parse(BlockSettings, settings))


def loan_on_loan(world, requester="R", lender="L1", due_days_ago=10, patron=None, **data):
    """A loan from `lender` on loan at `requester`, due `due_days_ago` days ago (negative: in the future)."""
    record = world.record("PROCESSING", kind="loan", requester=requester, candidates=(lender,), **data)
    sent = today() - timedelta(days=max(due_days_ago, 0) + 20)
    due = today() - timedelta(days=due_days_ago)
    record = world.run(lender, record, "SEND", fees=FEES, dates={"sent": sent.isoformat(), "due": due.isoformat()})
    record = world.run(requester, record, "RECEIVE")
    record = world.run(requester, record, "BORROW")
    if patron is not None:  # after BORROW: a suspended patron may still have loans out
        record.patron_id = patron.id
        db.session.commit()
    return record


def rows(**where) -> list[Block]:
    db.session.expire_all()
    query = select(Block).order_by(Block.id)
    for name, value in where.items():
        query = query.where(getattr(Block, name) == value)
    return list(db.session.scalars(query))


def reload(record) -> Record:
    db.session.expire_all()
    return db.session.get(Record, record.id)
