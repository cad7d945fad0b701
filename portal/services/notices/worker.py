"""The notice worker (`flask --app portal notices work`): claims due notices, checks
they are still true, sends them, records every change with the provider's answer.

Claiming: due notices are marked ``sending`` with a lease (claimed_by, claimed_until)
in a short transaction; on PostgreSQL the rows are picked with FOR UPDATE SKIP
LOCKED, so several workers on several machines never take the same notice. A
worker killed mid-batch leaves its claims to expire; the next worker takes them
again ("lease expired"), so a notice is never lost. On SQLite one worker runs.

Each notice's result is committed on its own, right after the send: a crash can
at worst repeat the one notice in flight, never skip one. A worker stops working
on its batch before its lease runs out and gives the rest back.
"""
from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from flask import current_app
from sqlalchemy import case, select, update
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Library, Notice, WorkerHeartbeat
from ...models.patron import Patron
from ...models.types import utcnow
from ...workflow.notice_rules import RecordFacts, no_longer_true, retry_delay
from .channels import PERMANENT, SENT, TEMPORARY, Email, MailSender, Outcome, Sms, SmsBackend, mail_sender, sms_backend
from .manage import _event, add_events
from .outbox import write
from .send_report import report_drafts

log = logging.getLogger("portal.notices.worker")


def new_worker_id() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


def mask(recipient: str) -> str:
    """Recipients in the log line, shortened: a log is not a contact list."""
    if "@" in recipient:
        name, _, domain = recipient.partition("@")
        return f"{name[:2]}…@{domain}"
    return recipient[:-4] + "****" if len(recipient) > 6 else recipient


@dataclass(frozen=True)
class Job:
    """A claimed notice as plain values, read once: each result's commit then costs no reloads."""

    id: int
    type: str
    channel: str
    recipient: str
    subject: str
    body: str
    attempts: int
    cycle: str
    mandatory: bool
    library_id: int
    partner_id: int | None
    record_id: int | None
    patron_id: int | None
    facts: RecordFacts | None
    record_missing: bool
    sender_name: str
    reply_to: str

    @classmethod
    def of(cls, notice: Notice) -> Job:
        record = notice.record
        sender = notice.partner if notice.type == "PARTNER_NEW_REQUEST" and notice.partner else notice.library
        return cls(notice.id, notice.type, notice.channel, notice.recipient, notice.subject, notice.body,
                   notice.attempts, notice.cycle, notice.mandatory, notice.library_id, notice.partner_id,
                   notice.record_id, notice.patron_id,
                   RecordFacts(record.status, record.lender_id, record.due_on, record.renewal_handling) if record else None,
                   notice.record_id is not None and record is None, sender.name, sender.email or "")


@dataclass
class Worker:
    worker_id: str = field(default_factory=new_worker_id)
    batch: int = 50
    lease: int = 120
    max_attempts: int = 6
    retry_base: int = 60
    on_line: Callable[[str], None] | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    processed: int = 0
    mail: MailSender | None = None
    sms: SmsBackend | None = None

    @classmethod
    def from_config(cls, **overrides) -> Worker:
        config = current_app.config
        values = {"batch": config["NOTICE_BATCH"], "lease": config["NOTICE_LEASE_SECONDS"],
                  "max_attempts": config["NOTICE_MAX_ATTEMPTS"], "retry_base": config["NOTICE_RETRY_SECONDS"]}
        values.update(overrides)
        return cls(**values)

    # -- claiming ------------------------------------------------------------------
    def claim(self, now: datetime) -> list[int]:
        """Take up to ``batch`` due notices. Short transactions of single statements, each
        atomic on its own: expired leases given back, scheduled notices whose time came
        queued, then one UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING
        claims the batch (on SQLite the UPDATE holds the write lock, so it is atomic too)."""
        postgres = db.session.get_bind().dialect.name == "postgresql"
        try:
            expired = db.session.execute(
                update(Notice).where(Notice.status == "sending", Notice.claimed_until < now)
                .values(status=case((Notice.attempts >= self.max_attempts, "failed"), else_="queued"),
                        last_error=case((Notice.attempts >= self.max_attempts,
                                         "the worker stopped while sending it, too many times"), else_=Notice.last_error),
                        claimed_by=None, claimed_until=None)
                .returning(Notice.id, Notice.status).execution_options(synchronize_session=False)).all()
            add_events([_event(row.id, row.status, "the worker's lease expired (it stopped mid-send): "
                               + ("tried again" if row.status == "queued" else "too many attempts"), at=now)
                        for row in expired])
            promoted = db.session.execute(
                update(Notice).where(Notice.status == "scheduled", Notice.next_attempt_at <= now)
                .values(status="queued").returning(Notice.id).execution_options(synchronize_session=False)).scalars().all()
            add_events([_event(nid, "queued", "the scheduled time came", at=now) for nid in promoted])
            db.session.commit()
            pick = (select(Notice.id).where(Notice.status == "queued", Notice.next_attempt_at <= now)
                    .order_by(Notice.next_attempt_at, Notice.id).limit(self.batch))
            if postgres:
                pick = pick.with_for_update(skip_locked=True)
            ids = db.session.execute(
                update(Notice).where(Notice.id.in_(pick.scalar_subquery()))
                .values(status="sending", claimed_by=self.worker_id, claimed_until=now + timedelta(seconds=self.lease),
                        attempts=Notice.attempts + 1)
                .returning(Notice.id).execution_options(synchronize_session=False)).scalars().all()
            add_events([_event(nid, "sending", f"claimed by {self.worker_id}", at=now) for nid in ids])
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        return list(ids)

    def release(self, ids: list[int]) -> None:
        """Give claimed notices back (the lease is running out, or the worker stops)."""
        if not ids:
            return
        db.session.execute(update(Notice).where(Notice.id.in_(ids), Notice.claimed_by == self.worker_id,
                                                Notice.status == "sending")
                           .values(status="queued", claimed_by=None, claimed_until=None,
                                   attempts=Notice.attempts - 1).execution_options(synchronize_session=False))
        add_events([_event(nid, "queued", f"given back by {self.worker_id}") for nid in ids])
        db.session.commit()

    # -- one batch ------------------------------------------------------------------------
    def run_batch(self, now: datetime | None = None) -> int:
        """Claim and handle one batch; the number of notices handled."""
        now = now or utcnow()
        claimed = self.claim(now)
        if not claimed:
            return 0
        deadline = time.monotonic() + self.lease * 0.8
        ids = claimed
        notices = [Job.of(n) for n in db.session.scalars(select(Notice).where(Notice.id.in_(ids)).options(
            selectinload(Notice.record), selectinload(Notice.library),
            selectinload(Notice.partner)).order_by(Notice.next_attempt_at, Notice.id))]
        db.session.rollback()  # the batch's read ends here; results are committed one by one
        letters: list[Job] = []
        done = 0
        try:
            for index, notice in enumerate(notices):
                if self.stop.is_set() or time.monotonic() > deadline:
                    self.release([n.id for n in notices[index:] if n.channel != "print"])
                    break
                if notice.channel == "print":
                    letters.append(notice)
                    continue
                self.handle(notice, now)
                done += 1
            if letters:
                done += self.print_letters(letters, now)
        finally:
            db.session.rollback()  # nothing left open; results are committed one by one
        self.processed += done
        return done

    def handle(self, notice: Job, now: datetime) -> None:
        reason = self.no_longer_true(notice)
        if reason:
            self.finish(notice, "suppressed", Outcome(PERMANENT, reason))
            if notice.mandatory and notice.channel == "sms" and "consent" in reason and notice.record_id:
                from .daily import fallback_drafts

                write(fallback_drafts(notice.type, notice.record_id, notice.cycle, db.session.get(Patron, notice.patron_id)))
                db.session.commit()
            return
        try:
            outcome = self.send(notice)
        except Exception as error:  # noqa: BLE001 - a backend bug must not stop the worker
            log.exception("notice %s: the backend raised", notice.id)
            outcome = Outcome(TEMPORARY, f"{type(error).__name__}: {error}")
        self.finish(notice, None, outcome)

    def no_longer_true(self, notice: Job) -> str | None:
        if notice.channel == "sms" and notice.patron_id is not None:
            patron = db.session.get(Patron, notice.patron_id)
            if patron is None or not patron.sms_consent:
                return "no SMS consent any more (withdrawn before sending)"
        if notice.record_missing:
            return "the record no longer exists"
        return no_longer_true(notice.type, notice.cycle, notice.partner_id, notice.facts)

    def send(self, notice: Job) -> Outcome:
        if notice.channel == "email":
            if self.mail is None:
                self.mail = mail_sender()
            return self.mail.send(Email(to=notice.recipient, subject=notice.subject, body=notice.body,
                                        sender_name=notice.sender_name, reply_to=notice.reply_to,
                                        reference=str(notice.id)))
        if notice.channel == "sms":
            if self.sms is None:
                self.sms = sms_backend()
            return self.sms.send(Sms(to=notice.recipient, text=notice.body, reference=str(notice.id)))
        return Outcome(PERMANENT, f"unknown channel {notice.channel}")

    def finish(self, notice: Job, status: str | None, outcome: Outcome) -> None:
        """Record the result: sent, retried later, failed or suppressed; committed at once."""
        now = utcnow()
        values: dict = {"claimed_by": None, "claimed_until": None}
        if status == "suppressed":
            values.update(status="suppressed", last_error=outcome.detail)
            detail = outcome.detail
        elif outcome.result == SENT:
            values.update(status="sent", sent_at=now, provider_id=outcome.provider_id, last_error="")
            status, detail = "sent", outcome.detail
        elif outcome.result == TEMPORARY and notice.attempts < self.max_attempts:
            wait = retry_delay(notice.attempts, self.retry_base)
            if outcome.retry_after:
                wait = max(wait, timedelta(seconds=min(outcome.retry_after, 6 * 3600)))
            values.update(status="queued", next_attempt_at=now + wait, last_error=outcome.detail)
            status = "queued"
            detail = (f"temporary failure (attempt {notice.attempts} of {self.max_attempts}): {outcome.detail}; "
                      f"next try in {int(wait.total_seconds())} s")
        else:
            status = "failed"
            detail = outcome.detail if outcome.result == PERMANENT else \
                f"gave up after {notice.attempts} attempts: {outcome.detail}"
            values.update(status="failed", last_error=detail)
        notices = Notice.__table__  # the table, not the entity: no ORM bulk-update machinery per notice
        result = db.session.execute(update(notices).where(notices.c.id == notice.id, notices.c.status == "sending",
                                                          notices.c.claimed_by == self.worker_id).values(**values))
        if result.rowcount != 1:  # the lease ran out and another worker took it: its result counts
            db.session.rollback()
            log.warning("notice %s: lost the claim before recording %s", notice.id, status)
            return
        add_events([_event(notice.id, status, detail, outcome.answer, at=now)])
        if notice.type == "MANUAL":  # the staff's e-mailed report, in the outcome's own transaction
            write(report_drafts(notice, status, detail, now, mask(notice.recipient)), now)
        db.session.commit()
        self.line(f"notice {notice.id} {notice.type} {notice.channel} to {mask(notice.recipient)}: {status}"
                  + (f" ({detail})" if detail else ""))

    # -- printed letters ---------------------------------------------------------------------
    def print_letters(self, letters: list[Job], now: datetime) -> int:
        """One PDF per library and batch (the slip renderer); each letter then marked sent."""
        from .letters import render_letters

        by_library: dict[int, list[Job]] = defaultdict(list)
        for notice in letters:
            reason = self.no_longer_true(notice)
            if reason:
                self.finish(notice, "suppressed", Outcome(PERMANENT, reason))
            else:
                by_library[notice.library_id].append(notice)
        for library_id, group in by_library.items():
            library = db.session.get(Library, library_id)
            try:
                path = render_letters(library, [db.session.get(Notice, job.id) for job in group], now)
            except Exception as error:  # noqa: BLE001 - retried like any temporary failure
                log.exception("letters for %s failed", library.code)
                for notice in group:
                    self.finish(notice, None, Outcome(TEMPORARY, f"PDF: {type(error).__name__}: {error}"))
                continue
            for notice in group:
                self.finish(notice, None, Outcome(SENT, f"letter in {path.name}", provider_id=f"letters/{path.name}"))
        return len(letters)

    # -- the loop --------------------------------------------------------------------------
    def heartbeat(self) -> None:
        now = utcnow()
        try:
            row = db.session.get(WorkerHeartbeat, self.worker_id)
            if row is None:
                db.session.add(WorkerHeartbeat(id=self.worker_id, seen_at=now, started_at=now, processed=self.processed))
            else:
                row.seen_at, row.processed = now, self.processed
            db.session.commit()
        except Exception:  # noqa: BLE001 - a missed heartbeat is not worth stopping for
            db.session.rollback()
            log.exception("heartbeat failed")

    def line(self, text: str) -> None:
        log.info(text)
        if self.on_line:
            self.on_line(text)

    def close(self) -> None:
        for backend in (self.mail, self.sms):
            if backend is not None:
                try:
                    backend.close()
                except Exception:  # noqa: BLE001
                    log.exception("closing a backend failed")
        self.mail = self.sms = None

    def run(self, once: bool = False, poll: float = 5.0, now: Callable[[], datetime] = utcnow) -> int:
        """Work until stopped (SIGTERM/SIGINT), or with ``once`` until nothing is due."""
        self.heartbeat()
        last_beat = time.monotonic()
        try:
            while not self.stop.is_set():
                count = self.run_batch(now())
                if time.monotonic() - last_beat > 10 or count == 0:
                    self.heartbeat()
                    last_beat = time.monotonic()
                if count == 0:
                    self.close()  # no idle SMTP connection or half-written SMS batch file
                    if once:
                        break
                    self.stop.wait(poll)
        finally:
            self.close()
            self.heartbeat()
        return self.processed


def install_signal_handlers(worker: Worker) -> None:
    def stop(signum, frame):
        worker.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

