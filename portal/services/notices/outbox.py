"""The outbox: notices rendered and written in the caller's transaction.

A command's notices are inserted by the command's own transaction (called from
services.records), the daily job's by its step; nothing here commits. Inserts use
INSERT … ON CONFLICT (dedup_key) DO NOTHING, so running the daily job twice, or
two of them at once, never makes a second notice of the same cycle.
"""
from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from flask import current_app
from sqlalchemy import bindparam, insert, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import joinedload
from sqlalchemy.dialects import postgresql, sqlite

from ...extensions import db
from ...models import Library, Notice, NoticeEvent, NoticeLink, Patron, Record
from ...models.types import utcnow
from ...workflow.fees import currency_places, format_amount
from ...workflow.notice_rules import NOTICE_TYPES, Reach, TransitionFacts, choose_channels, notices_for_transition
from ...workflow.segments import MAX_CHARACTERS, count_sms, prepare_sms
from .preferences import TypeSetting, cached, cached_setting
from .templates import LANGUAGES, RenderError, cached_templates, render_text, sms_footer, template_for

log = logging.getLogger(__name__)

KIND_LABELS = {"ja": {"copy": "複写", "loan": "貸借"}, "en": {"copy": "copy", "loan": "loan"}}
URL_PATTERN = re.compile(r"https?://[^\s<>\"「」（）]+")
MAX_TRACKED_LINKS = 2  # seed 003: clicks are counted for the first two URLs of an SMS
INSERT_CHUNK = 500


@dataclass
class Draft:
    """One notice to write."""

    library_id: int
    type: str
    channel: str
    recipient: str
    language: str
    subject: str
    body: str
    status: str = "queued"
    detail: str = ""
    segments: int = 0
    mandatory: bool = False
    scheduled_for: datetime | None = None
    patron_id: int | None = None
    record_id: int | None = None
    partner_id: int | None = None
    cycle: str = ""
    dedup: bool = True
    opt_out_token: str | None = None
    created_by_id: int | None = None
    user_name: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)  # (token, url)

    @property
    def dedup_key(self) -> str | None:
        if not self.dedup:
            return None
        text = "|".join([self.type, str(self.record_id or "-"), self.channel, self.recipient, self.cycle])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(16)  # 128 random bits: cannot be guessed


def base_url() -> str:
    return current_app.config["PORTAL_BASE_URL"].rstrip("/")


def opt_out_url(token: str) -> str:
    return f"{base_url()}/o/{token}"


def click_url(token: str) -> str:
    return f"{base_url()}/c/{token}"


# -- context ------------------------------------------------------------------------------

def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def record_context(record: Record | None, language: str) -> dict:
    if record is None:
        return {}
    total = ""
    if record.total is not None:
        total = format_amount(record.total, currency_places(record.currency))
    return {"ill_id": record.ill_id, "title": record.title or record.article or record.bib_note[:200],
            "article": record.article, "author": record.author,
            "kind": KIND_LABELS.get(language, KIND_LABELS["en"]).get(record.kind, record.kind),
            "due": _iso(record.due_on), "received": _iso(record.received_on), "sent": _iso(record.sent_on),
            "total": total, "currency": record.currency}


def library_context(library: Library | None) -> dict:
    if library is None:
        return {}
    return {"name": library.name, "address": library.address, "email": library.email, "phone": library.phone,
            "code": library.code}


def cached_library_context(library_id: int) -> dict:
    """A library's placeholders, kept like its settings and templates (NOTICE_CONFIG_CACHE_SECONDS):
    a command that queues notices then reads no library row."""
    return cached("library", library_id, (), lambda: library_context(db.session.get(Library, library_id)))


def notice_context(notice_type: str, record, patron, library: dict, partner: dict, cycle: str, today: date,
                   language: str) -> dict:
    """The placeholders of one notice; ``library`` and ``partner`` are library_context() dicts."""
    level, days_overdue = 0, 0
    if notice_type in ("OVERDUE", "PARTNER_OVERDUE") and record is not None and record.due_on:
        days_overdue = (today - record.due_on).days
        level = int(cycle.split("/")[1]) if "/" in cycle else 1
    return {"patron": {"name": patron.name, "number": patron.number} if patron is not None else {},
            "record": record_context(record, language), "library": library, "partner": partner or {},
            "level": level, "days_overdue": days_overdue}


# -- rendering -----------------------------------------------------------------------------

def _render_pair(library_id, notice_type, channel, language, context, own) -> tuple[str, str, str]:
    """(subject, body, note): the library's template, or the default when the library's fails."""
    subject, body, is_default = template_for(library_id, notice_type, channel, language, own)
    try:
        return render_text(subject, context), render_text(body, context), ""
    except RenderError as error:
        if is_default:
            raise
        log.warning("notice template of library %s for %s/%s/%s failed: %s", library_id, notice_type, channel,
                    language, error)
        subject, body, _ = template_for(library_id, notice_type, channel, language, {})
        return (render_text(subject, context), render_text(body, context),
                f"the library's template failed ({error}); the default was used")


def finish_sms(draft: Draft, text: str, context: dict, track_clicks: bool = False) -> Draft:
    """Trim, rewrite up to two URLs for click counting, add the sender's name and the
    opt-out link, count the segments; refuse (failed) over 660 characters."""
    text = prepare_sms(text)
    if track_clicks:
        for url in URL_PATTERN.findall(text)[:MAX_TRACKED_LINKS]:
            token = new_token()
            draft.links.append((token, url))
            text = text.replace(url, click_url(token), 1)
    draft.opt_out_token = new_token()
    footer = render_text(sms_footer(draft.language), {**context, "opt_out_url": opt_out_url(draft.opt_out_token)})
    count = count_sms(text + footer)
    draft.body, draft.segments = count.text, count.segments
    if count.too_long:
        draft.status = "failed"
        draft.detail = f"the SMS has {count.characters} characters, more than {MAX_CHARACTERS}"
    return draft


def render_draft(draft: Draft, context: dict, own, email_subject: str = "") -> Draft:
    subject, body, note = _render_pair(draft.library_id, draft.type, draft.channel, draft.language, context, own)
    draft.detail = "; ".join(p for p in (draft.detail, note) if p)
    if draft.channel == "sms":
        draft.subject = email_subject or subject
        return finish_sms(draft, body, context)
    draft.subject, draft.body = subject, body
    return draft


# -- drafts for patrons and partner libraries ------------------------------------------------

def patron_drafts(notice_type: str, record, patron, cycle: str, today: date, *, setting: TypeSetting | None = None,
                  exclude: tuple[str, ...] = (), scheduled_for: datetime | None = None, detail: str = "",
                  extra_context: dict | None = None) -> list[Draft]:
    """The notices of one type to one patron, by the channels the library's policy picks.
    ``extra_context``: more placeholders by language (e.g. the block of a BLOCK_* notice)."""
    if patron is None or not patron.active:
        return []
    setting = setting or cached_setting(patron.library_id, notice_type)
    enabled = set(setting.channels) - set(exclude)
    if not enabled:
        return []
    consent = bool(patron.mobile) and "sms" in enabled and patron.sms_consent
    chosen = choose_channels(setting.policy, enabled, Reach(bool(patron.email), bool(patron.mobile), consent))
    if not chosen:
        return []
    language = patron.language if patron.language in LANGUAGES else "ja"
    context = notice_context(notice_type, record, patron, cached_library_context(patron.library_id), {}, cycle, today,
                             language)
    if extra_context:
        context.update(extra_context.get(language) or {})
    own = cached_templates(patron.library_id, notice_type, language)
    email_subject = ""
    drafts = []
    for channel, reason in chosen:
        recipient = {"email": patron.email, "sms": patron.mobile}.get(channel) or ""
        draft = Draft(library_id=patron.library_id, type=notice_type, channel=channel, recipient=recipient,
                      language=language, subject="", body="", patron_id=patron.id,
                      record_id=record.id if record is not None else None, cycle=cycle,
                      mandatory=NOTICE_TYPES[notice_type].mandatory, scheduled_for=scheduled_for, detail=detail)
        if reason:
            draft.status, draft.detail = "suppressed", reason
            draft.subject = email_subject or _safe_subject(draft, context, own)
            drafts.append(draft)
            continue
        render_draft(draft, context, own, email_subject)
        if channel == "email":
            email_subject = draft.subject
        drafts.append(draft)
    return drafts


def _safe_subject(draft: Draft, context: dict, own) -> str:
    try:
        return _render_pair(draft.library_id, draft.type, "email", draft.language, context, own)[0]
    except RenderError:
        return draft.type


def staff_language(library: Library) -> str:
    """The language of a library's staff notices: Japanese on NACSIS-ILL (NII), else English."""
    return "ja" if library.network == "NII" else "en"


def partner_drafts(notice_type: str, record: Record, owner: Library, partner: Library, recipient_library: Library,
                   cycle: str, today: date, setting: TypeSetting | None = None) -> list[Draft]:
    """A staff alert to a library's contact address (e-mail only)."""
    setting = setting or cached_setting(owner.id, notice_type)
    if "email" not in setting.channels:
        return []
    language = staff_language(recipient_library)
    draft = Draft(library_id=owner.id, type=notice_type, channel="email", recipient=recipient_library.email or "",
                  language=language, subject="", body="", record_id=record.id, partner_id=partner.id, cycle=cycle)
    context = notice_context(notice_type, record, None, library_context(owner), library_context(partner), cycle, today,
                             language)
    render_draft(draft, context, cached_templates(owner.id, notice_type, language))
    if not draft.recipient:
        draft.status, draft.detail = "suppressed", f"library {recipient_library.code} has no contact e-mail address"
    return [draft]


# -- writing ------------------------------------------------------------------------------

def _insert(table):
    name = db.session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    return None


EVENT_CHUNK = 100  # 700 parameters a statement
EVENT_COLUMNS = ("notice_id", "status", "at", "detail", "provider_answer", "user_id", "user_name")


@lru_cache(maxsize=8)
def _events_insert(rows: int):
    """One INSERT of ``rows`` events as a textual statement built once per size: SQLAlchemy caches a
    text() statement, but compiles a multi-row ``insert().values([...])`` anew at every call."""
    table = NoticeEvent.__table__
    values = ", ".join("(" + ", ".join(f":{name}_{i}" for name in EVENT_COLUMNS) + ")" for i in range(rows))
    statement = text(f"INSERT INTO {table.name} ({', '.join(EVENT_COLUMNS)}) VALUES {values}")
    return statement.bindparams(*(bindparam(f"{name}_{i}", type_=table.c[name].type)
                                  for i in range(rows) for name in EVENT_COLUMNS))


def insert_events(events: list[dict]) -> None:
    """History rows (dicts of EVENT_COLUMNS) in multi-row INSERTs: a command's or a worker's few
    events in one statement, without the pipelined executemany's overhead."""
    for start in range(0, len(events), EVENT_CHUNK):
        chunk = events[start:start + EVENT_CHUNK]
        db.session.execute(_events_insert(len(chunk)),
                           {f"{name}_{i}": event[name] for i, event in enumerate(chunk) for name in EVENT_COLUMNS})


def write(drafts: list[Draft], now: datetime | None = None) -> list[int]:
    """Insert the drafts (a duplicate of an existing key is skipped) with their first
    history event; return the ids of the notices written."""
    if not drafts:
        return []
    now = now or utcnow()
    written: list[tuple[int, Draft]] = []
    table = Notice.__table__
    for start in range(0, len(drafts), INSERT_CHUNK):
        chunk = drafts[start:start + INSERT_CHUNK]
        rows = [_row(d, now) for d in chunk]
        statement = _insert(table)
        if statement is None:  # another database: one at a time, skipping existing keys
            for draft, row in zip(chunk, rows):
                key = row["dedup_key"]
                if key and db.session.scalar(select(table.c.id).where(table.c.dedup_key == key)):
                    continue
                written.append((db.session.execute(insert(table).values(row).returning(table.c.id)).scalar_one(), draft))
            continue
        # executemany (one cached statement, SQLAlchemy's insertmanyvalues batching), not one
        # multi-VALUES statement compiled anew for every number of rows
        result = db.session.execute(
            statement.on_conflict_do_nothing(index_elements=["dedup_key"])
            .returning(table.c.id, table.c.dedup_key, table.c.opt_out_token), rows)
        by_key = {d.dedup_key: d for d in chunk if d.dedup_key}
        by_token = {d.opt_out_token: d for d in chunk if d.opt_out_token}
        unkeyed = [d for d in chunk if not d.dedup_key]
        for notice_id, key, token in result:
            draft = by_key.get(key) if key else (by_token.get(token) if token else None)
            if draft is None:
                draft = unkeyed.pop(0)
            written.append((notice_id, draft))
    events = [{"notice_id": nid, "status": d.status, "at": now, "detail": d.detail or _first_detail(d),
               "provider_answer": "", "user_id": d.created_by_id, "user_name": d.user_name} for nid, d in written]
    insert_events(events)
    links = [{"notice_id": nid, "position": i, "token": token, "url": url, "clicks": 0}
             for nid, d in written for i, (token, url) in enumerate(d.links)]
    if links:
        db.session.execute(insert(NoticeLink.__table__), links)
    return [nid for nid, _ in written]


def _first_detail(draft: Draft) -> str:
    if draft.status == "scheduled":
        return "scheduled"
    return "queued"


def _row(draft: Draft, now: datetime) -> dict:
    """The notice's columns. claimed_until, claimed_by, provider_id and sent_at start NULL and are
    left out, so that two notices stay within psycopg's 50 parameters of a statement it converts
    once and caches."""
    when = draft.scheduled_for or now
    return {"library_id": draft.library_id, "type": draft.type, "channel": draft.channel,
            "recipient": draft.recipient[:254], "patron_id": draft.patron_id, "record_id": draft.record_id,
            "partner_id": draft.partner_id, "language": draft.language, "subject": draft.subject[:300],
            "body": draft.body, "segments": draft.segments, "mandatory": draft.mandatory, "status": draft.status,
            "attempts": 0, "scheduled_for": when, "next_attempt_at": when, "dedup_key": draft.dedup_key,
            "cycle": draft.cycle, "opt_out_token": draft.opt_out_token,
            "last_error": draft.detail if draft.status == "failed" else "", "created_at": now,
            "created_by_id": draft.created_by_id}


# -- from a command ---------------------------------------------------------------------------

def transition_facts(record: Record, entry) -> TransitionFacts:
    undo = entry.undo or {}

    def before(name, current):
        if name not in undo:
            return current
        value = undo[name]
        return date.fromisoformat(value) if isinstance(value, str) and value else (value or None)

    return TransitionFacts(
        command=entry.command, from_status=entry.from_status, to_status=record.status, kind=record.kind,
        lender_id=record.lender_id, due_before=before("due_on", record.due_on), due_after=record.due_on,
        renewal_before=bool(undo.get("renewal_handling", record.renewal_handling)), total=record.total,
        account_type=record.account_type or "", comment=entry.comment or "", entry_id=entry.id or 0)


def _patron_of(record: Record) -> Patron | None:
    """The record's patron with its consents (the SMS check reads them): usually loaded with the
    record already (services.access.COMMAND_OPTIONS), else in one query."""
    state = sa_inspect(record)
    if "patron" not in state.unloaded:
        patron = record.patron
        if patron is not None and patron.id == record.patron_id and "consents" not in sa_inspect(patron).unloaded:
            return patron
    return db.session.execute(select(Patron).options(joinedload(Patron.consents))
                              .where(Patron.id == record.patron_id)).unique().scalar_one_or_none()


def queue_for_transition(record: Record, entry, today: date) -> list[int]:
    """The notices a command causes, written in the command's transaction.

    Called by services.records after fire(); a refused command never gets here and a
    rolled-back one takes its notices with it.
    """
    if entry is None or entry.command in ("CALLBACK", "SAVE"):
        return []
    if entry.id is None:
        db.session.flush()
    wanted = notices_for_transition(transition_facts(record, entry))
    drafts: list[Draft] = []
    patron = None
    for notice_type, cycle in wanted:
        if notice_type == "PARTNER_NEW_REQUEST":
            # the command set lender_id; the relationship attribute may still hold the previous lender
            lender = db.session.get(Library, record.lender_id) if record.lender_id else None
            if lender is not None:
                drafts += partner_drafts(notice_type, record, lender, record.requester, lender, cycle, today)
        elif getattr(record, "patron_id", None) is not None:
            if patron is None:
                patron = _patron_of(record)
            drafts += patron_drafts(notice_type, record, patron, cycle, today)
    return write(drafts)
