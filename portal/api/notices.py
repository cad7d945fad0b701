"""Notices in the JSON API (shared/spec/api.md): list, manual notice, cancel, and the
SMS provider's delivery receipts. Bodies are declared pydantic models, checked
before the service runs (422 naming the field); the services check again."""
from __future__ import annotations

import hmac
from datetime import datetime
from typing import Literal

from flask import current_app, g, jsonify, request
from pydantic import BaseModel, Field, StrictBool

from ..services.notices.manage import (NoticeFilters, cancel_notice, create_manual_notice, list_notices, load_notice,
                                       record_receipt)
from . import bp, error_response, token_required
from .openapi import add_path, errors, json_content, path_parameter
from .validation import ApiModel, Text, body, query, read_json_body, register, validate


def _iso(value: datetime | None):
    return value.isoformat() if value is not None else None


def notice_to_dict(notice) -> dict:
    """The notice shape of api.md, plus its patron, record, attempts and clicks."""
    return {
        "id": notice.id, "type": notice.type, "channel": notice.channel, "to": notice.recipient,
        "status": notice.status, "scheduled_for": _iso(notice.scheduled_for), "sent_at": _iso(notice.sent_at),
        "subject": notice.subject, "body": notice.body, "segments": notice.segments,
        "history": [{"status": e.status, "at": _iso(e.at), "detail": e.detail, "provider_answer": e.provider_answer,
                     "user": e.user_name or None} for e in notice.events],
        "patron": notice.patron.number if notice.patron else None,
        "record": notice.record.ill_id if notice.record else None,
        "attempts": notice.attempts, "provider_id": notice.provider_id,
        "clicks": [{"url": link.url, "clicks": link.clicks} for link in notice.links],
    }


# -- declared bodies (api.validation: checked before the view, 422 naming the field) ----------

@register
class NoticeEventOut(BaseModel):
    status: str
    at: datetime
    detail: str
    provider_answer: str = ""
    user: str | None = None


@register
class Notice(BaseModel):
    """A notice as the API answers it."""

    id: int
    type: str
    channel: Literal["email", "sms", "print"]
    to: str
    status: Literal["scheduled", "queued", "sending", "sent", "delivered", "bounced", "failed", "cancelled",
                    "suppressed"]
    scheduled_for: datetime
    sent_at: datetime | None
    subject: str
    body: str = Field(description="exactly the text sent")
    segments: int = Field(description="SMS messages as sent (0 for e-mail and letters)")
    history: list[NoticeEventOut]
    patron: str | None = None
    record: str | None = None


@register
class NoticeList(BaseModel):
    items: list[Notice]
    total: int


class NewNotice(ApiModel):
    """A manual notice to one of the caller's patrons."""

    patron: Text(64)
    channel: Literal["email", "sms"]
    subject: Text(300) | None = None
    body: Text(10000)
    send_at: Text(40) | None = Field(None, description="ISO 8601; up to a year ahead; SMS rounded up to 10 minutes")
    track_clicks: StrictBool | None = Field(None, description="SMS: count clicks on the first two URLs")


class NoticeQuery(ApiModel):
    record: Text(20) | None = None
    patron: Text(64) | None = None
    status: Text(20) | None = None
    type: Text(30) | None = None
    channel: Text(10) | None = None


class Receipt(ApiModel):
    """A delivery receipt from the SMS provider."""

    id: Text(200)
    status: Literal["delivered", "failed"]
    reason: Text(500) | None = None


# -- endpoints -------------------------------------------------------------------------------

@bp.get("/notices")
@token_required
@query(NoticeQuery)
def notices_list(args: dict):
    notices, total = list_notices(g.api_user.library_id, NoticeFilters(**{k: v or "" for k, v in args.items()}))
    return jsonify({"items": [notice_to_dict(n) for n in notices], "total": total})


@bp.post("/notices")
@token_required
@body(NewNotice)
def notices_create(data: dict):
    return jsonify(notice_to_dict(create_manual_notice(g.api_user, data))), 201


@bp.get("/notices/<notice_id>")
@token_required
def notices_get(notice_id):
    return jsonify(notice_to_dict(load_notice(g.api_user.library_id, notice_id)))


@bp.post("/notices/<notice_id>/cancel")
@token_required
def notices_cancel(notice_id):
    return jsonify(notice_to_dict(cancel_notice(g.api_user, notice_id)))


@bp.post("/notices/receipts")
def notices_receipt():
    """Delivery receipts from the SMS provider, with the provider's token (SMS_HTTP_TOKEN)."""
    expected = current_app.config.get("SMS_HTTP_TOKEN") or ""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer" or not hmac.compare_digest(secret.strip().encode(), expected.encode()):
        return error_response(401, "unauthorized", "The SMS provider's token is required (Authorization: Bearer TOKEN).")
    notice = record_receipt(validate(Receipt, read_json_body()))
    return jsonify(notice_to_dict(notice))


NOTICE = {"$ref": "#/components/schemas/Notice"}
NOTICE_ID = path_parameter("notice_id", {"type": "string", "pattern": "^[0-9]+$", "maxLength": 18})
add_path("/notices", "get", {"summary": "The caller's library's notices, newest first (filters: record, patron, "
                                        "status, type, channel)",
                             "responses": {"200": {"description": "notices", **json_content(
                                 {"$ref": "#/components/schemas/NoticeList"})}, **errors(401, 422)}})
add_path("/notices", "post", {"summary": "A manual notice (e-mail or SMS), now or scheduled up to a year ahead",
                              "responses": {"201": {"description": "the notice", **json_content(NOTICE)},
                                            **errors(401, 422)}})
add_path("/notices/{notice_id}", "get", {"summary": "One notice", "parameters": [NOTICE_ID],
                                         "responses": {"200": {"description": "the notice", **json_content(NOTICE)},
                                                       **errors(401, 404)}})
add_path("/notices/{notice_id}/cancel", "post", {
    "summary": "Cancel a scheduled or queued notice (409 once it is sending or sent)", "parameters": [NOTICE_ID],
    "responses": {"200": {"description": "the cancelled notice", **json_content(NOTICE)}, **errors(401, 404, 409)}})
add_path("/notices/receipts", "post", {
    "summary": "Delivery receipt from the SMS provider (Authorization: Bearer SMS_HTTP_TOKEN)",
    "requestBody": json_content({"$ref": "#/components/schemas/Receipt"}),
    "responses": {"200": {"description": "the notice", **json_content(NOTICE)}, **errors(401, 404, 422)}})
register(Receipt)
