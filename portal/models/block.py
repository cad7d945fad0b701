"""Blocks (ブロック) on patrons and partner libraries, with their code tables,
each library's block policy and calendar, demerit points and the daily job's report.

Whether a subject is blocked is never stored: it is computed from the block
rows (active = started, not expired, not lifted; see ``Block.active_on``).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, and_, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .library import Library
from .types import UTCDateTime, utcnow
from .user import User


class BlockDescription(db.Model):
    """A code table row: the reason a block gives (seed 001's ユーザーブロックの説明)."""

    __tablename__ = "block_descriptions"
    __table_args__ = (UniqueConstraint("library_id", "code", name="uq_block_descriptions_library_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    description_ja: Mapped[str] = mapped_column(String(200), default="")
    description_en: Mapped[str] = mapped_column(String(200), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[str] = mapped_column(String(80), default="system")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def text(self, language: str) -> str:
        return (self.description_ja if language == "ja" else self.description_en) or self.description_en \
            or self.description_ja or self.code


class BlockDefinition(db.Model):
    """What a block of one description does: named by the description's code."""

    __tablename__ = "block_definitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"), index=True)
    description_id: Mapped[int] = mapped_column(ForeignKey("block_descriptions.id"), unique=True)
    type: Mapped[str] = mapped_column(String(20), default="general")
    overridable: Mapped[str] = mapped_column(String(10), default="managers")  # none | managers | all
    blocked_action: Mapped[str] = mapped_column(String(2), default="03")  # 01 | 02 | 03
    network_block: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[str] = mapped_column(String(80), default="system")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    description: Mapped[BlockDescription] = relationship(lazy="joined")

    @property
    def code(self) -> str:
        return self.description.code


class Block(db.Model):
    """A block on a patron of the library, or on a partner library as this library sees it."""

    __tablename__ = "blocks"
    __table_args__ = (
        Index("ix_blocks_partner_library", "partner_id", "library_id"),
        Index("ix_blocks_library_expires", "library_id", "expires"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"), index=True)  # the blocking library
    patron_id: Mapped[int | None] = mapped_column(ForeignKey("patrons.id"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("libraries.id"))
    definition_id: Mapped[int] = mapped_column(ForeignKey("block_definitions.id"), index=True)
    origin: Mapped[str] = mapped_column(String(10), default="manual")  # manual | overdue | demerit | network
    note: Mapped[str] = mapped_column(Text, default="")
    starts: Mapped[date] = mapped_column(Date)
    expires: Mapped[date | None] = mapped_column(Date)  # the first day it no longer applies; None: until lifted
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lift_reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id", ondelete="SET NULL"), index=True)

    library: Mapped[Library] = relationship(foreign_keys=[library_id])
    partner: Mapped[Library | None] = relationship(foreign_keys=[partner_id])
    patron = relationship("Patron")
    definition: Mapped[BlockDefinition] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    lifted_by: Mapped[User | None] = relationship(foreign_keys=[lifted_by_id])

    @staticmethod
    def active_on(today: date):
        """SQL filter: started, not expired, not lifted."""
        return and_(Block.lifted_at.is_(None), Block.starts <= today,
                    or_(Block.expires.is_(None), Block.expires > today))

    def is_active(self, today: date) -> bool:
        return self.lifted_at is None and self.starts <= today and (self.expires is None or today < self.expires)

    def ended_on(self, portal_date_of_lift: date | None) -> date | None:
        """When it stopped applying: the lift day if lifted before its expiry."""
        if portal_date_of_lift is not None and (self.expires is None or portal_date_of_lift < self.expires):
            return portal_date_of_lift
        return self.expires


class LibraryCalendarSettings(db.Model):
    """A library's weekly closing days and whether Japan's public holidays are closed days."""

    __tablename__ = "library_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"), unique=True)
    closed_weekdays: Mapped[str] = mapped_column(String(20), default="")  # "5,6": Saturday and Sunday
    public_holidays: Mapped[bool] = mapped_column(Boolean, default=True)


class ClosedDate(db.Model):
    __tablename__ = "library_closed_dates"
    __table_args__ = (UniqueConstraint("library_id", "day", name="uq_library_closed_dates_library_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(200), default="")


class BlockPolicy(db.Model):
    """Demerit and overdue-block settings of a library (api.md PUT /settings/blocks)."""

    __tablename__ = "block_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"), unique=True)
    demerits_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    demerit_history_days: Mapped[int] = mapped_column(Integer, default=365)
    demerit_threshold: Mapped[int] = mapped_column(Integer, default=10)
    demerit_suspension_days: Mapped[int] = mapped_column(Integer, default=14)
    overdue_unit: Mapped[str] = mapped_column(String(40), default="none")
    overdue_value: Mapped[int] = mapped_column(Integer, default=0)
    overdue_cumulative: Mapped[bool] = mapped_column(Boolean, default=False)
    overdue_max_days: Mapped[int | None] = mapped_column(Integer)
    overdue_max_per_block: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by: Mapped[str] = mapped_column(String(80), default="system")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DemeritPointRule(db.Model):
    """One row of the points table: by patron group and kind, ``all`` allowed in either."""

    __tablename__ = "demerit_point_rules"
    __table_args__ = (UniqueConstraint("library_id", "group", "kind", name="uq_demerit_point_rules_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"), index=True)
    group: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(10))  # copy | loan | all
    regular: Mapped[int] = mapped_column(Integer, default=0)
    recalled: Mapped[int] = mapped_column(Integer, default=0)


class DemeritPoints(db.Model):
    """Points a library gave a patron or a partner for one late return."""

    __tablename__ = "demerit_points"
    __table_args__ = (Index("ix_demerit_points_subject", "library_id", "patron_id", "partner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"))
    patron_id: Mapped[int | None] = mapped_column(ForeignKey("patrons.id"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("libraries.id"))
    points: Mapped[int] = mapped_column(Integer)
    earned_on: Mapped[date] = mapped_column(Date)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id", ondelete="SET NULL"))
    spent_by_id: Mapped[int | None] = mapped_column(ForeignKey("blocks.id"))


class BlockJobReport(db.Model):
    """What the daily job did to a block on a day: one row per block and action."""

    __tablename__ = "block_job_reports"
    __table_args__ = (UniqueConstraint("run_date", "block_id", "action", name="uq_block_job_reports_run"),
                      Index("ix_block_job_reports_library_date", "library_id", "run_date"))

    id: Mapped[int] = mapped_column(primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"))
    run_date: Mapped[date] = mapped_column(Date)
    block_id: Mapped[int] = mapped_column(ForeignKey("blocks.id"))
    action: Mapped[str] = mapped_column(String(10))  # expired | applied
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    block: Mapped[Block] = relationship()
