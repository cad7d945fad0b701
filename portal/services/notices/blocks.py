"""BLOCK_APPLIED and BLOCK_LIFTED: optional notices to a patron whose block starts or ends.

Called by services.blocks wherever a block is applied or lifted (a manual block or
lift, an overdue or DEMERIT block after a late return, the daily job's expiries and
DEMERIT blocks), inside that transaction: a rolled-back block leaves no notice. A
library turns them on per channel in its notice settings (off by default). The
de-duplication key names the block, so the daily job run twice writes one notice.
"""
from __future__ import annotations

from datetime import date

from ...extensions import db
from ...models import Record
from .outbox import patron_drafts, write
from .preferences import cached_setting

BLOCK_TYPES = ("BLOCK_APPLIED", "BLOCK_LIFTED")


def block_context(block, language: str) -> dict:
    return {"block": {"code": block.definition.code, "description": block.definition.description.text(language),
                      "note": block.note or "", "starts": block.starts.isoformat(),
                      "until": block.expires.isoformat() if block.expires else "",
                      "lift_reason": block.lift_reason or ""}}


def queue_block_notice(notice_type: str, block, today: date) -> list[int]:
    """The patron's notice of a block applied or lifted (nothing for a partner library's block,
    or while the library has the type switched off)."""
    if block.patron_id is None or notice_type not in BLOCK_TYPES:
        return []
    setting = cached_setting(block.library_id, notice_type)
    if not setting.channels:  # the default: one cached lookup, no query
        return []
    if block.id is None:
        db.session.flush()
    patron = block.patron
    record = db.session.get(Record, block.record_id) if block.record_id else None
    context = {language: block_context(block, language) for language in ("ja", "en")}
    drafts = patron_drafts(notice_type, record, patron, f"block/{block.id}", today, setting=setting,
                           extra_context=context)
    return write(drafts)
