"""Patrons (the end users a request is made for) and their consent history."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .library import Library
from .types import UTCDateTime, utcnow
from .user import User

CONSENT_CHANNELS = ("sms",)
CONSENT_ACTIONS = ("given", "withdrawn")


class Patron(db.Model):
    """A library's patron; `number` is the card barcode, unique within the library.

    The contact details (email, mobile) never leave the patron's own library:
    a lender sees only the record's CLNT / CLNTP, copied from name and group.
    """

    __tablename__ = "patrons"
    __table_args__ = (
        UniqueConstraint("library_id", "number", name="uq_patrons_library_number"),
        Index("ix_patrons_library_name", "library_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"), index=True)
    number: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    group: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    mobile: Mapped[str | None] = mapped_column(String(20))  # E.164, a mobile number: the SMS number
    language: Mapped[str] = mapped_column(String(2), default="ja")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    library: Mapped[Library] = relationship()
    consents: Mapped[list[PatronConsent]] = relationship(
        back_populates="patron", order_by="PatronConsent.id", cascade="save-update, merge")

    def latest_consent(self, channel: str = "sms") -> PatronConsent | None:
        return next((c for c in reversed(self.consents) if c.channel == channel), None)

    @property
    def sms_consent(self) -> bool:
        """The latest SMS consent row says 'given'."""
        latest = self.latest_consent("sms")
        return latest is not None and latest.action == "given"

    def __repr__(self) -> str:
        return f"<Patron {self.number}>"


class PatronConsent(db.Model):
    """One consent event; never deleted: a withdrawal is a new row."""

    __tablename__ = "patron_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    patron_id: Mapped[int] = mapped_column(ForeignKey("patrons.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10), default="sms")
    action: Mapped[str] = mapped_column(String(10))  # given | withdrawn
    method: Mapped[str] = mapped_column(String(20))  # form, counter, phone, link, api, import…
    wording: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the patron via the link
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    patron: Mapped[Patron] = relationship(back_populates="consents")
    recorded_by: Mapped[User | None] = relationship()
