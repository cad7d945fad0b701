"""Slip batches: the records of one bulk "… + print" run, kept under a short id."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete

from ..extensions import db
from ..models import SlipBatch, User
from ..workflow.errors import NotFound
from . import unit_of_work

KEEP_FOR = timedelta(days=7)  # a desk may reprint last week's run; older batches are deleted


def save_batch(actor: User, kind: str, ill_ids: list[str]) -> SlipBatch:
    with unit_of_work() as session:
        session.execute(delete(SlipBatch).where(SlipBatch.created_at < datetime.now(timezone.utc) - KEEP_FOR))
        batch = SlipBatch(id=secrets.token_urlsafe(9), library_id=actor.library_id, created_by_id=actor.id,
                          kind=kind, ill_ids=",".join(ill_ids))
        session.add(batch)
    return batch


def load_batch(actor: User, kind: str, batch_id: str) -> list[str]:
    """The batch's ILL IDs in order; NotFound for another library's batch (it is not theirs to know of)."""
    batch = db.session.get(SlipBatch, batch_id[:16])
    if batch is None or batch.library_id != actor.library_id or batch.kind != kind:
        raise NotFound("No such slip batch.")
    return [i for i in batch.ill_ids.split(",") if i]
