"""How many active records each library has per side, kind and status, kept by services.tallies."""
from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class StatusTally(db.Model):
    """The work lists' tab counts and the header badge: active records (neither final nor archived) of
    one library on one side, of one kind, in one status. Written in the transaction of the change."""

    __tablename__ = "status_tallies"

    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id", ondelete="CASCADE"), primary_key=True,
                                            autoincrement=False)
    side: Mapped[str] = mapped_column(String(10), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
