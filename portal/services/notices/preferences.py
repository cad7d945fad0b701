"""A library's notice settings per type: channels on or off, channel policy, days.

Without a stored row the defaults of workflow.notice_rules.NOTICE_TYPES apply.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import select

from ...extensions import db
from ...models import NoticeSetting, User
from ...workflow.errors import N_, ValidationError
from ...workflow.notice_rules import CHANNELS, MAX_LEVELS, MAX_REPORT_RECIPIENTS, NOTICE_TYPES, POLICIES
from ...workflow.numbers import parse_int
from .. import unit_of_work

MAX_DAYS = 365


@dataclass(frozen=True)
class TypeSetting:
    type: str
    channels: frozenset[str]
    policy: str
    days: tuple[int, ...]
    default: bool
    recipients: tuple[str, ...] = ()  # SEND_REPORT: staff addresses (empty: the library's contact address)


def _default(code: str) -> TypeSetting:
    kind = NOTICE_TYPES[code]
    return TypeSetting(code, frozenset(kind.channels), kind.policy, kind.days, True)


def _from_row(row: NoticeSetting) -> TypeSetting:
    kind = NOTICE_TYPES[row.type]
    days = tuple(int(d) for d in (row.days or [])) or kind.days
    return TypeSetting(row.type, frozenset(c for c in (row.channels or []) if c in CHANNELS),
                       row.policy if row.policy in POLICIES else kind.policy, days, False,
                       tuple(str(a) for a in (row.recipients or [])))


def type_setting(library_id: int, code: str) -> TypeSetting:
    row = db.session.scalar(select(NoticeSetting).where(NoticeSetting.library_id == library_id,
                                                        NoticeSetting.type == code))
    return _from_row(row) if row is not None and row.type in NOTICE_TYPES else _default(code)


# -- a short per-process cache for the command path (settings and templates change rarely) --------

def cached(kind: str, library_id: int, key: tuple, load: Callable):
    """``load()``'s value, kept NOTICE_CONFIG_CACHE_SECONDS per app: a command that queues notices
    then reads no settings or templates. Saving in this process forgets the library's entries at
    once; other processes see a change within that many seconds."""
    seconds = current_app.config.get("NOTICE_CONFIG_CACHE_SECONDS", 30)
    cache = current_app.extensions.setdefault("notice_config_cache", {})
    entry = cache.get((kind, library_id, key))
    now = time.monotonic()
    if entry is not None and now - entry[0] < seconds:
        return entry[1]
    value = load()
    cache[(kind, library_id, key)] = (now, value)
    return value


def forget(library_id: int) -> None:
    cache = current_app.extensions.setdefault("notice_config_cache", {})
    for key in [k for k in cache if k[1] == library_id]:
        cache.pop(key, None)


def cached_setting(library_id: int, code: str) -> TypeSetting:
    return cached("setting", library_id, (code,), lambda: type_setting(library_id, code))


def all_settings(library_id: int) -> dict[str, TypeSetting]:
    settings = {code: _default(code) for code in NOTICE_TYPES if code != "MANUAL"}
    for row in db.session.scalars(select(NoticeSetting).where(NoticeSetting.library_id == library_id)):
        if row.type in settings:
            settings[row.type] = _from_row(row)
    return settings


def settings_for_libraries(library_ids, code: str) -> dict[int, TypeSetting]:
    """One query for the daily job: each library's setting of one type."""
    found = {row.library_id: _from_row(row) for row in db.session.scalars(select(NoticeSetting).where(
        NoticeSetting.type == code, NoticeSetting.library_id.in_(list(library_ids))))}
    return {library_id: found.get(library_id) or _default(code) for library_id in library_ids}


def parse_setting(code: str, data: dict) -> dict:
    """Check one type's input: channels (list), policy, days (list of whole numbers)."""
    errors: dict[str, str] = {}
    kind = NOTICE_TYPES.get(code)
    if kind is None or code == "MANUAL":
        raise ValidationError({"type": N_("Unknown notice type.")})
    channels = data.get("channels") or []
    if isinstance(channels, str):
        channels = [channels]
    if not isinstance(channels, list) or any(c not in CHANNELS for c in channels):
        errors["channels"] = N_("Channels must be among email, sms and print.")
    if kind.audience == "library" and any(c != "email" for c in channels or []):
        errors["channels"] = N_("Partner libraries are told by e-mail only.")
    policy = data.get("policy") or kind.policy
    if policy not in POLICIES:
        errors["policy"] = N_("Must be all or first.")
    days_raw = data.get("days")
    if days_raw in (None, "", []):
        days = list(kind.days)
    else:
        if isinstance(days_raw, str):
            days_raw = [part for part in days_raw.replace("、", ",").split(",") if part.strip()]
        days = []
        if not isinstance(days_raw, list):
            errors["days"] = N_("Give whole numbers of days, separated by commas.")
        else:
            for value in days_raw:
                text = str(value).strip()
                if parse_int(text, 0, MAX_DAYS) is None:
                    errors["days"] = N_("Give whole numbers of days from 0 to 365, separated by commas.")
                    break
                days.append(int(text))
        limit = MAX_LEVELS if code == "OVERDUE" else 1
        if not kind.days:
            days = []
        elif not errors.get("days") and not 1 <= len(days) <= limit:
            errors["days"] = N_("Give one number of days (OVERDUE: up to three, one per notice).")
    recipients: list[str] = []
    if code == "SEND_REPORT":
        try:
            recipients = parse_recipients(data.get("recipients"))
        except ValidationError as error:
            errors.update(error.fields)
    if errors:
        raise ValidationError(errors)
    return {"channels": sorted(set(channels)), "policy": policy, "days": sorted(days), "recipients": recipients}


def parse_recipients(value) -> list[str]:
    """Up to five staff e-mail addresses separated by ";" (seed 003), or a list of them; each
    checked for its form by email-validator (no DNS look-up) and kept once, in the order given."""
    parts = value if isinstance(value, list) else str(value or "").replace("；", ";").split(";")
    addresses: list[str] = []
    for part in parts:
        text = str(part).strip()
        if not text:
            continue
        try:
            address = validate_email(text, check_deliverability=False).normalized
        except EmailNotValidError:
            raise ValidationError({"recipients": N_("Each address must be an e-mail address; separate them with “;”.")}) from None
        if address not in addresses:
            addresses.append(address)
    if len(addresses) > MAX_REPORT_RECIPIENTS:
        raise ValidationError({"recipients": N_("At most five addresses, separated by “;”.")})
    return addresses


def save_setting(actor: User, code: str, data: dict) -> TypeSetting:
    values = parse_setting(code, data)
    with unit_of_work():
        row = db.session.scalar(select(NoticeSetting).where(NoticeSetting.library_id == actor.library_id,
                                                            NoticeSetting.type == code))
        if row is None:
            row = NoticeSetting(library_id=actor.library_id, type=code)
            db.session.add(row)
        row.channels, row.policy, row.days = values["channels"], values["policy"], values["days"]
        row.recipients = values["recipients"]
    forget(actor.library_id)
    return _from_row(row)
