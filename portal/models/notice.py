"""Notices to patrons and partner libraries: the outbox, its history, settings and templates.

A notice is written in the same transaction as the command (or daily job) that
causes it; worker processes send it (services.notices.worker). Every change of
its status is a NoticeEvent row, with the provider's answer.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .library import Library
from .patron import Patron
from .record import Record
from .types import UTCDateTime, utcnow


class Notice(db.Model):
    __tablename__ = "notices"
    __table_args__ = (
        # the worker's claim: due notices in order of their time
        Index("ix_notices_status_next", "status", "next_attempt_at"),
        Index("ix_notices_library_created", "library_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"))  # whose notice (settings, history)
    type: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(10))  # email | sms | print
    recipient: Mapped[str] = mapped_column(String(254), default="")  # address, E.164 number, or "" (print)
    patron_id: Mapped[int | None] = mapped_column(ForeignKey("patrons.id", ondelete="SET NULL"), index=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id", ondelete="SET NULL"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("libraries.id"))  # recipient library (PARTNER_*)
    language: Mapped[str] = mapped_column(String(2), default="ja")
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")  # exactly what is sent
    segments: Mapped[int] = mapped_column(Integer, default=0)  # SMS messages as sent (0 for other channels)
    mandatory: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a worker's lease
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    # (type, record, recipient, channel, due-date cycle): the daily job can run twice
    dedup_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    cycle: Mapped[str] = mapped_column(String(20), default="")
    provider_id: Mapped[str | None] = mapped_column(String(200), index=True)
    opt_out_token: Mapped[str | None] = mapped_column(String(32), unique=True)  # SMS: the link that stops SMS
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    library: Mapped[Library] = relationship(foreign_keys=[library_id])
    partner: Mapped[Library | None] = relationship(foreign_keys=[partner_id])
    patron: Mapped[Patron | None] = relationship()
    record: Mapped[Record | None] = relationship()
    events: Mapped[list[NoticeEvent]] = relationship(order_by="NoticeEvent.id", cascade="all, delete-orphan",
                                                      back_populates="notice")
    links: Mapped[list[NoticeLink]] = relationship(order_by="NoticeLink.position", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Notice {self.id} {self.type} {self.channel} {self.status}>"


class NoticeEvent(db.Model):
    """One change of a notice's status: when, why, and what the provider answered."""

    __tablename__ = "notice_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    detail: Mapped[str] = mapped_column(Text, default="")
    provider_answer: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # staff who cancelled, for example
    user_name: Mapped[str] = mapped_column(String(80), default="")

    notice: Mapped[Notice] = relationship(back_populates="events")


class NoticeLink(db.Model):
    """A URL in an SMS rewritten to the portal's redirect, which counts the clicks."""

    __tablename__ = "notice_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    url: Mapped[str] = mapped_column(Text)
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    first_click_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_click_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NoticeSetting(db.Model):
    """A library's choice for one notice type; without a row the defaults of
    workflow.notice_rules.NOTICE_TYPES apply."""

    __tablename__ = "notice_settings"
    __table_args__ = (UniqueConstraint("library_id", "type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"))
    type: Mapped[str] = mapped_column(String(30))
    channels: Mapped[list] = mapped_column(JSON, default=list)  # the channels switched on
    policy: Mapped[str] = mapped_column(String(10), default="first")
    days: Mapped[list] = mapped_column(JSON, default=list)
    # staff addresses of a SEND_REPORT (empty: the library's contact address)
    recipients: Mapped[list] = mapped_column(JSON, default=list)


class NoticeTemplate(db.Model):
    """A library's own copy of a default template (雛形), per type, channel and language."""

    __tablename__ = "notice_templates"
    __table_args__ = (UniqueConstraint("library_id", "type", "channel", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    library_id: Mapped[int] = mapped_column(ForeignKey("libraries.id"))
    type: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(2))
    name: Mapped[str] = mapped_column(String(100), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class WorkerHeartbeat(db.Model):
    """When each notice worker was last seen, so a stalled worker is noticed."""

    __tablename__ = "notice_workers"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # host:pid:random
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed: Mapped[int] = mapped_column(Integer, default=0)
