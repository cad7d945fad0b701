"""A printed batch of slips, kept under a short id so its PDF URL stays short."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class SlipBatch(db.Model):
    """The ILL IDs of one "… + print" run, in row order. A run of hundreds of rows would
    not fit in a URL (gunicorn refuses request lines over 4094 bytes), so the page links
    /bulk/slips/<kind>/<id>.pdf and the IDs stay here. Only its library may open it."""

    __tablename__ = "slip_batches"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # random, not guessable
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(10))
    ill_ids: Mapped[str] = mapped_column(Text)  # comma-separated, in row order
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
