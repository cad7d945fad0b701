"""Notice templates: the defaults, a library's own copies, and rendering in a sandbox.

Library templates are written by staff, so they are rendered in Jinja2's
SandboxedEnvironment (no attribute access to internals, no imports) with
StrictUndefined: a misspelt placeholder fails on save, with the reason, instead
of sending an empty gap to a patron.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import select

from ...extensions import db
from ...models import NoticeTemplate, User
from ...models.types import utcnow
from ...workflow.errors import N_, ValidationError
from ...workflow.notice_rules import NOTICE_TYPES
from ...workflow.segments import MAX_CHARACTERS, count_sms
from .. import unit_of_work
from .defaults import SMS_FOOTER, default_template
from .preferences import forget

TEMPLATE_CHANNELS = ("email", "sms")  # a printed letter uses the e-mail template
LANGUAGES = ("ja", "en")
MAX_SUBJECT = 300
MAX_BODY = 10000

_sandbox = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


class RenderError(Exception):
    pass


@lru_cache(maxsize=1024)
def _compiled(source: str):
    return _sandbox.from_string(source)


def render_text(source: str, context: dict) -> str:
    """Render one template text; RenderError with Jinja's reason when it cannot."""
    try:
        return _compiled(source).render(context)
    except TemplateError as error:
        raise RenderError(f"{type(error).__name__}: {error}") from error
    except (TypeError, ValueError, ArithmeticError, AttributeError, KeyError, IndexError, RecursionError) as error:
        raise RenderError(f"{type(error).__name__}: {error}") from error


def library_templates(library_id: int, notice_type: str, language: str) -> dict[str, NoticeTemplate]:
    rows = db.session.scalars(select(NoticeTemplate).where(
        NoticeTemplate.library_id == library_id, NoticeTemplate.type == notice_type,
        NoticeTemplate.language == language))
    return {row.channel: row for row in rows}


@dataclass(frozen=True)
class OwnTemplate:
    subject: str
    body: str


def cached_templates(library_id: int, notice_type: str, language: str) -> dict[str, OwnTemplate]:
    """The library's own templates as plain values, through the short config cache."""
    from .preferences import cached

    return cached("templates", library_id, (notice_type, language), lambda: {
        channel: OwnTemplate(row.subject, row.body)
        for channel, row in library_templates(library_id, notice_type, language).items()})


def template_for(library_id: int, notice_type: str, channel: str, language: str,
                 own: dict[str, NoticeTemplate] | None = None) -> tuple[str, str, bool]:
    """(subject, body, is_default) for a channel: the library's copy, else the default."""
    own = library_templates(library_id, notice_type, language) if own is None else own
    key = "email" if channel == "print" else channel
    row = own.get(key)
    if row is not None:
        return row.subject, row.body, False
    subject, body = default_template(notice_type, key, language) or ("", "")
    return subject, body, True


def sms_footer(language: str) -> str:
    return SMS_FOOTER.get(language, SMS_FOOTER["ja"])


# -- editing -------------------------------------------------------------------------

def sample_context(library, language: str) -> dict:
    """Placeholder values used to check a template on save and to preview it."""
    ja = language == "ja"
    return {
        "patron": {"name": "山田 花子" if ja else "Hanako Yamada", "number": "2026000123"},
        "record": {"ill_id": "1000000123", "title": "日本図書館情報学会誌" if ja else "Journal of Library Science",
                   "article": "ILLの研究" if ja else "A study of ILL", "author": "図書 太郎" if ja else "Taro Tosho",
                   "kind": "貸借" if ja else "loan", "due": "2026-04-30", "received": "2026-04-01",
                   "sent": "2026-03-28", "total": "1,200", "currency": "JPY"},
        "library": {"name": library.name, "address": library.address, "email": library.email, "phone": library.phone,
                    "code": library.code},
        "partner": {"name": "東北大学附属図書館" if ja else "Tohoku University Library", "code": "FA000002"},
        "level": 2, "days_overdue": 8,
        "block": {"code": "SUSPENDED", "description": "利用停止中" if ja else "User is suspended",
                  "note": "延滞資料あり" if ja else "overdue items", "starts": "2026-04-01", "until": "2026-05-01",
                  "lift_reason": "返却済み" if ja else "returned"},
        "digest": {"date": "2026-04-01", "sections": [
            {"code": "new_requests", "title_ja": "新しい依頼（受付待ち）", "title_en": "New requests waiting for you",
             "count": 2, "records": [{"ill_id": "1000000123", "partner": "FA000002",
                                      "title": "日本図書館情報学会誌" if ja else "Journal of Library Science", "due": ""}]}]},
        "report": {"id": 123, "status": "sent", "outcome": "送信済み" if ja else "sent",
                   "channel": "SMS", "recipient": "+8190123****", "subject": "20260401093000",
                   "detail": "accepted", "at": "2026-04-01 09:30",
                   "url": "https://ill.example.ac.jp/notices?patron=2026000123"},
        "opt_out_url": "https://ill.example.ac.jp/o/aB3dE5fG7hJ9kL1mN3pQ5r",
    }


def check_template(library, notice_type: str, channel: str, language: str, subject: str, body: str) -> dict:
    """Render with sample values; raise ValidationError naming the field and the reason."""
    errors: dict[str, str] = {}
    context = sample_context(library, language)
    if channel == "email" and not subject.strip():
        errors["subject"] = N_("An e-mail needs a subject.")
    if not body.strip():
        errors["body"] = N_("The text is empty.")
    if len(subject) > MAX_SUBJECT:
        errors["subject"] = N_("Is too long.")
    if len(body) > MAX_BODY:
        errors["body"] = N_("Is too long.")
    rendered_subject = rendered_body = ""
    if not errors:
        try:
            rendered_subject = render_text(subject, context) if subject else ""
        except RenderError as error:
            errors["subject"] = str(error)
        try:
            rendered_body = render_text(body, context)
        except RenderError as error:
            errors["body"] = str(error)
    count = None
    if channel == "sms" and "body" not in errors:
        raw = count_sms(body)
        full = count_sms(rendered_body + render_text(sms_footer(language), context))
        if raw.too_long or full.too_long:
            errors["body"] = N_("An SMS may have at most 660 characters (with the sender's name and the opt-out link).")
        count = full
    if errors:
        raise ValidationError(errors, N_("The template cannot be saved."))
    return {"subject": rendered_subject, "body": rendered_body, "count": count}


def save_template(actor: User, notice_type: str, channel: str, language: str, data: dict) -> NoticeTemplate:
    errors = {}
    if notice_type not in NOTICE_TYPES or notice_type == "MANUAL":
        errors["type"] = N_("Unknown notice type.")
    if channel not in TEMPLATE_CHANNELS:
        errors["channel"] = N_("Must be email or sms.")
    if language not in LANGUAGES:
        errors["language"] = N_("Must be ja or en.")
    if errors:
        raise ValidationError(errors)
    subject = str(data.get("subject") or "").strip() if channel == "email" else ""
    body = str(data.get("body") or "").replace("\r\n", "\n")
    name = str(data.get("name") or "").strip()[:100]
    check_template(actor.library, notice_type, channel, language, subject, body)
    with unit_of_work():
        row = library_templates(actor.library_id, notice_type, language).get(channel)
        if row is None:
            row = NoticeTemplate(library_id=actor.library_id, type=notice_type, channel=channel, language=language)
            db.session.add(row)
        row.name, row.subject, row.body = name, subject, body
        row.updated_at, row.updated_by_id = utcnow(), actor.id
    forget(actor.library_id)
    return row


def reset_template(actor: User, notice_type: str, channel: str, language: str) -> bool:
    """Back to the default: the library's copy is deleted."""
    with unit_of_work():
        row = library_templates(actor.library_id, notice_type, language).get(channel)
        if row is None:
            return False
        db.session.delete(row)
    forget(actor.library_id)
    return True


__all__ = ["MAX_CHARACTERS", "RenderError", "check_template", "render_text", "reset_template", "save_template",
           "template_for"]
