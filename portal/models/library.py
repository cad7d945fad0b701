"""Participant libraries, their comment templates and fee defaults."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..workflow.fees import currency_places
from .types import Money


class Library(db.Model):
    __tablename__ = "libraries"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # like NACSIS FA codes
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    loan_days: Mapped[int] = mapped_column(Integer, default=14)  # LOANP
    service: Mapped[bool] = mapped_column(Boolean, default=True)  # STAT
    copy_service: Mapped[bool] = mapped_column(Boolean, default=True)  # COPYS
    loan_service: Mapped[bool] = mapped_column(Boolean, default=True)  # LOANS
    network: Mapped[str] = mapped_column(String(10), default="NII")
    currency: Mapped[str] = mapped_column(String(3), default="JPY")
    slip_size: Mapped[str] = mapped_column(String(10), default="A5")
    # What the partner's shipping slip (book band) may print of this library's end user, as the
    # requester: "none", "type" (client type) or "name" (name and type).
    slip_client: Mapped[str] = mapped_column(String(10), default="none")
    ill_section: Mapped[str] = mapped_column(String(100), default="")  # e.g. 相互貸借係
    due_soon_days: Mapped[int] = mapped_column(Integer, default=3, server_default="3")  # "due soon" within N days

    templates: Mapped[list[CommentTemplate]] = relationship(
        back_populates="library", order_by="CommentTemplate.position", cascade="all, delete-orphan"
    )
    fee_defaults: Mapped[list[FeeDefault]] = relationship(back_populates="library", cascade="all, delete-orphan")

    @property
    def currency_places(self) -> int:
        return currency_places(self.currency)

    def offers(self, kind: str) -> bool:
        return self.service and (self.copy_service if kind == "copy" else self.loan_service)

    def fee_default(self, kind: str) -> FeeDefault | None:
        return next((d for d in self.fee_defaults if d.kind == kind), None)

    def __repr__(self) -> str:
        return f"<Library {self.code}>"


class CommentTemplate(db.Model):
    """A reusable comment of one side's command: `text` is what is sent (the
    library's own wording); `gloss` an optional hint shown in the English UI only."""

    __tablename__ = "comment_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"), index=True)
    side: Mapped[str] = mapped_column(String(10))  # requester | lender
    command: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(String(500))
    gloss: Mapped[str] = mapped_column(String(200), default="")

    library: Mapped[Library] = relationship(back_populates="templates")


class FeeDefault(db.Model):
    """会計情報初期値: a library's default fee inputs for copy or loan."""

    __tablename__ = "fee_defaults"
    __table_args__ = (UniqueConstraint("library_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"))
    kind: Mapped[str] = mapped_column(String(10))
    groups: Mapped[list] = mapped_column(JSON, default=list)  # [{item, quantity, unit_price}]
    base_fee: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    postage: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))

    library: Mapped[Library] = relationship(back_populates="fee_defaults")
