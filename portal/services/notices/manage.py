"""Staff operations on notices: manual notices, cancelling, listing, the queue's
health; and the public ends: delivery receipts, opt-out links, click counting."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import bindparam, exists, func, select, update
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Notice, NoticeLink, Record, User, WorkerHeartbeat
from ...models.patron import Patron
from ...models.types import utcnow
from ...workflow.errors import Conflict, N_, NotFound, ValidationError
from ...workflow.notice_rules import CHANNELS, NOTICE_TYPES, OPEN_STATUSES, STATUSES, round_up
from ...workflow.segments import MAX_CHARACTERS, count_sms
from .. import portal_zone, unit_of_work
from .outbox import Draft, finish_sms, insert_events, library_context, write
from ...workflow.numbers import MAX_INT, parse_int

MAX_AHEAD = timedelta(days=366)  # "up to one year ahead" (a leap year included)
MAX_SUBJECT = 300
MAX_BODY = 10000
PAGE = 100


def _event(notice_id: int, status: str, detail: str = "", answer: str = "", user: User | None = None,
           at: datetime | None = None) -> dict:
    return {"notice_id": notice_id, "status": status, "at": at or utcnow(), "detail": detail,
            "provider_answer": answer, "user_id": user.id if user else None,
            "user_name": user.username if user else ""}


def add_events(events: list[dict]) -> None:
    insert_events(events)


# -- manual notices -------------------------------------------------------------------------

def parse_send_at(value, channel: str, now: datetime) -> datetime | None:
    """None: now. An aware time (or a naive one in the portal's zone), up to a year ahead;
    SMS times rounded up to the provider's granularity."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError({"send_at": N_("Must be a date and time like 2026-04-01T15:00+09:00.")}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=portal_zone())
    moment = moment.astimezone(timezone.utc)
    if channel == "sms":
        moment = round_up(moment, current_app.config["SMS_SCHEDULE_MINUTES"])
    if moment > now + MAX_AHEAD:
        raise ValidationError({"send_at": N_("A notice can be scheduled at most one year ahead.")})
    return None if moment <= now else moment


def default_subject(moment: datetime) -> str:
    """Seed 003: without a subject, the send time as YYYYMMDDHHMMSS."""
    return moment.astimezone(portal_zone()).strftime("%Y%m%d%H%M%S")


@dataclass
class ManualNotice:
    """A checked manual notice, before it is written: what the confirmation step shows."""

    patron: Patron
    channel: str
    recipient: str
    subject: str
    body: str
    send_at: datetime | None
    track_clicks: bool
    draft: Draft

    @property
    def count(self):
        return count_sms(self.draft.body) if self.channel == "sms" else None


def prepare_manual(actor: User, data: dict, now: datetime | None = None) -> ManualNotice:
    """Check a manual notice: ValidationError naming each bad field; nothing is written."""
    from ..patrons import find_patron

    now = now or utcnow()
    errors: dict[str, str] = {}
    number = str(data.get("patron") or "").strip()
    patron = find_patron(actor.library_id, number) if number else None
    if patron is None:
        errors["patron"] = N_("No patron with this number in your library.")
    channel = data.get("channel")
    if channel not in ("email", "sms"):
        errors["channel"] = N_("Must be email or sms.")
    body = data.get("body")
    if not isinstance(body, str) or not body.strip():
        errors["body"] = N_("The text is empty.")
    elif len(body) > MAX_BODY:
        errors["body"] = N_("Is too long.")
    subject = data.get("subject") or ""
    if not isinstance(subject, str) or len(subject) > MAX_SUBJECT:
        errors["subject"] = N_("Must be text of at most 300 characters.")
    track = data.get("track_clicks", False)
    if not isinstance(track, bool):
        track = str(track).lower() in ("1", "true", "on", "yes")
    send_at = None
    try:
        send_at = parse_send_at(data.get("send_at"), channel if isinstance(channel, str) else "", now)
    except ValidationError as error:
        errors.update(error.fields)
    if patron is not None and channel == "email" and not patron.email:
        errors["channel"] = N_("The patron has no e-mail address.")
    if patron is not None and channel == "sms":
        if not patron.mobile:
            errors["channel"] = N_("The patron has no mobile number for SMS.")
        elif not patron.sms_consent:
            errors["channel"] = N_("The patron has not consented to SMS (or withdrew the consent).")
        elif not patron.active:
            errors["patron"] = N_("The patron is not active.")
    if errors:
        raise ValidationError(errors)
    subject = subject.strip() or default_subject(send_at or now)
    recipient = patron.email if channel == "email" else patron.mobile
    draft = Draft(library_id=actor.library_id, type="MANUAL", channel=channel, recipient=recipient,
                  language=patron.language if patron.language in ("ja", "en") else "ja", subject=subject,
                  body=body.replace("\r\n", "\n").strip(), status="scheduled" if send_at else "queued",
                  detail=("scheduled by " if send_at else "written by ") + actor.username,
                  scheduled_for=send_at, patron_id=patron.id, dedup=False, created_by_id=actor.id,
                  user_name=actor.username)
    if channel == "sms":
        finish_sms(draft, body, {"library": library_context(actor.library)}, track_clicks=track)
        if draft.status == "failed":
            raise ValidationError({"body": N_("An SMS may have at most 660 characters (with the sender's name and "
                                              "the opt-out link).")})
    return ManualNotice(patron, channel, recipient, subject, draft.body, send_at, track, draft)


def create_manual_notice(actor: User, data: dict) -> Notice:
    manual = prepare_manual(actor, data)
    with unit_of_work():
        (notice_id,) = write([manual.draft])
    return db.session.get(Notice, notice_id)


# -- cancel and suppress ----------------------------------------------------------------------

def load_notice(library_id: int, notice_id) -> Notice:
    text = str(notice_id).strip()
    pk = parse_int(text, 1, MAX_INT)
    notice = db.session.get(Notice, pk) if pk else None
    if notice is None or notice.library_id != library_id:  # another library's notice does not exist for you
        raise NotFound("There is no notice %(id)s.", id=text[:20])
    return notice


def cancel_notice(actor: User, notice_id) -> Notice:
    """Cancel a scheduled or queued notice (配信取消); once it is sending or sent: Conflict."""
    with unit_of_work():
        notice = load_notice(actor.library_id, notice_id)
        result = db.session.execute(update(Notice).where(Notice.id == notice.id, Notice.status.in_(OPEN_STATUSES))
                                    .values(status="cancelled", claimed_by=None, claimed_until=None)
                                    .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            db.session.refresh(notice)
            raise Conflict("Notice %(id)s is %(status)s: only a scheduled or queued notice can be cancelled.",
                           id=notice.id, status=notice.status)
        add_events([_event(notice.id, "cancelled", "配信取消 (cancelled by %s)" % actor.username, user=actor)])
    db.session.refresh(notice)
    return notice


def suppress_queued_sms(patron: Patron, reason: str = "SMS opt-out") -> int:
    """Stop a patron's SMS not yet handed to a worker, at once (the caller's transaction).

    A mandatory notice (OVERDUE) that was going by SMS alone goes by e-mail or print instead.
    """
    rows = db.session.execute(
        update(Notice).where(Notice.patron_id == patron.id, Notice.channel == "sms",
                             Notice.status.in_(OPEN_STATUSES))
        .values(status="suppressed").returning(Notice.id, Notice.mandatory, Notice.type, Notice.record_id,
                                                Notice.cycle)
        .execution_options(synchronize_session=False)).all()
    add_events([_event(row.id, "suppressed", reason) for row in rows])
    mandatory = [row for row in rows if row.mandatory and row.record_id]
    if mandatory:
        from .daily import fallback_drafts

        write([d for row in mandatory for d in fallback_drafts(row.type, row.record_id, row.cycle, patron)])
    return len(rows)


# -- listing -------------------------------------------------------------------------------

@dataclass
class NoticeFilters:
    record: str = ""
    patron: str = ""
    status: str = ""
    type: str = ""
    channel: str = ""


def check_filters(filters: NoticeFilters) -> None:
    errors = {}
    if filters.status and filters.status not in STATUSES:
        errors["status"] = N_("Unknown status.")
    if filters.type and filters.type not in NOTICE_TYPES:
        errors["type"] = N_("Unknown notice type.")
    if filters.channel and filters.channel not in CHANNELS:
        errors["channel"] = N_("Unknown channel.")
    if filters.record and Record.pk_from_ill_id(filters.record) is None:
        errors["record"] = N_("Not an ILL ID.")
    if errors:
        raise ValidationError(errors)


def list_notices(library_id: int, filters: NoticeFilters, limit: int = PAGE, offset: int = 0) -> tuple[list[Notice], int]:
    """The library's own notices, newest first (another library's never appear)."""
    check_filters(filters)
    query = select(Notice).where(Notice.library_id == library_id)
    if filters.record:
        query = query.where(Notice.record_id == Record.pk_from_ill_id(filters.record))
    if filters.patron:
        query = query.join(Patron, Patron.id == Notice.patron_id).where(Patron.number == filters.patron,
                                                                         Patron.library_id == library_id)
    for name in ("status", "type", "channel"):
        if getattr(filters, name):
            query = query.where(getattr(Notice, name) == getattr(filters, name))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.options(selectinload(Notice.events), selectinload(Notice.links),
                                            selectinload(Notice.patron), selectinload(Notice.record))
                              .order_by(Notice.id.desc()).limit(limit).offset(offset)).all()
    return rows, total


#: record_notices's statement, built once (every record page asks it; building it and its cache key
#: each time cost as much as running it)
_RECORD_NOTICES = (select(Notice).where(Notice.library_id == bindparam("library_id"),
                                        Notice.record_id == bindparam("record_id"))
                   .options(selectinload(Notice.events), selectinload(Notice.links))
                   .order_by(Notice.id.desc()).limit(bindparam("limit")))


def has_notices_column(library_id):
    """SQL, a column of a statement of records: whether `library_id` has a notice of the record (the
    record page reads it along with the record, and reads the panel's notices only if so)."""
    return exists().where(Notice.record_id == Record.id, Notice.library_id == library_id)


def record_notices(library_id: int, record: Record, limit: int = 50) -> list[Notice]:
    """The record's notices of the library, newest first, for the record page's panel: no count,
    and neither the record nor its patron read again (the page shows them already)."""
    return list(db.session.scalars(_RECORD_NOTICES, {"library_id": library_id, "record_id": record.id,
                                                     "limit": limit}))


@dataclass
class QueueHealth:
    waiting: int
    scheduled: int
    sending: int
    failed: int
    oldest_waiting: datetime | None
    worker_last_seen: datetime | None
    workers: list

    @property
    def oldest_age(self) -> timedelta | None:
        return utcnow() - self.oldest_waiting if self.oldest_waiting else None

    @property
    def worker_stale(self) -> bool:
        return self.worker_last_seen is None or utcnow() - self.worker_last_seen > timedelta(minutes=5)


def queue_health(library_id: int) -> QueueHealth:
    now = utcnow()
    counts = dict(db.session.execute(select(Notice.status, func.count()).where(
        Notice.library_id == library_id, Notice.status.in_(("queued", "scheduled", "sending", "failed")))
        .group_by(Notice.status)).all())
    oldest = db.session.scalar(select(func.min(Notice.next_attempt_at)).where(
        Notice.library_id == library_id, Notice.status == "queued", Notice.next_attempt_at <= now))
    workers = db.session.scalars(select(WorkerHeartbeat).order_by(WorkerHeartbeat.seen_at.desc()).limit(10)).all()
    return QueueHealth(counts.get("queued", 0), counts.get("scheduled", 0), counts.get("sending", 0),
                       counts.get("failed", 0), oldest, workers[0].seen_at if workers else None, workers)


# -- public ends: receipts, opt-out, clicks ------------------------------------------------------

RECEIPT_STATUSES = {"delivered": "delivered", "failed": "bounced"}


def record_receipt(data: dict) -> Notice:
    """A delivery receipt from the SMS provider: {"id", "status": delivered|failed, "reason"?}."""
    errors = {}
    provider_id = data.get("id")
    if not isinstance(provider_id, str) or not provider_id.strip() or len(provider_id) > 200:
        errors["id"] = N_("The provider's message id is required.")
    status = data.get("status")
    if status not in RECEIPT_STATUSES:
        errors["status"] = N_("Must be delivered or failed.")
    reason = data.get("reason") or ""
    if not isinstance(reason, str):
        errors["reason"] = N_("Must be text.")
    if errors:
        raise ValidationError(errors)
    with unit_of_work():
        notice = db.session.scalar(select(Notice).where(Notice.provider_id == provider_id.strip(),
                                                        Notice.channel == "sms"))
        if notice is None:
            raise NotFound("No SMS was sent with the id %(id)s.", id=provider_id[:60])
        new = RECEIPT_STATUSES[status]
        if notice.status in ("sent", "delivered", "bounced"):
            notice.status = new
        add_events([_event(notice.id, new, reason[:500] or f"provider receipt: {status}", answer=str(data)[:1000])])
    return notice


def notice_for_opt_out(token: str) -> Notice | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Notice).where(Notice.opt_out_token == token))


def opt_out_by_link(token: str) -> Patron | None:
    """The patron of the SMS whose opt-out link this is, opted out of SMS (services.patrons.opt_out)."""
    from ..patrons import opt_out

    notice = notice_for_opt_out(token)
    if notice is None or notice.patron is None:
        return None
    opt_out(notice.patron, "sms", "link", actor=None)
    return notice.patron


def follow_click(token: str) -> str | None:
    """Count a click on a rewritten URL and return where it goes."""
    if not token or len(token) > 64:
        return None
    with unit_of_work():
        link = db.session.scalar(select(NoticeLink).where(NoticeLink.token == token))
        if link is None:
            return None
        now = utcnow()
        db.session.execute(update(NoticeLink).where(NoticeLink.id == link.id).values(
            clicks=NoticeLink.clicks + 1, last_click_at=now,
            first_click_at=func.coalesce(NoticeLink.first_click_at, now)).execution_options(synchronize_session=False))
        url = link.url
    return url


__all__ = ["MAX_CHARACTERS", "cancel_notice", "create_manual_notice", "list_notices", "queue_health",
           "record_receipt", "suppress_queued_sms"]


def sms_preview_count(library, text: str, with_footer: bool = True, language: str = "ja"):
    """The count an editor shows while typing: the text as sent, with the sender's name and an
    opt-out link of the real length when ``with_footer`` (a template's placeholders count as typed).
    The footer is in the recipient's language, as sent: the Japanese one alone makes an SMS UCS-2."""
    from .outbox import new_token, opt_out_url
    from .templates import LANGUAGES, render_text, sms_footer

    text = str(text or "")[:MAX_BODY]
    if with_footer:
        language = language if language in LANGUAGES else "ja"
        footer = render_text(sms_footer(language), {"library": library_context(library),
                                                    "opt_out_url": opt_out_url(new_token())})
        return count_sms(text.strip() + footer) if text.strip() else count_sms("")
    return count_sms(text)
