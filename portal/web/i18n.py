"""Language and time zone for staff pages, and translation of domain errors.

The locale is the user's saved language, else the browser's Accept-Language,
else the default (ja). Domain errors carry English templates with named
parameters: translate the template first, then fill it in.
"""
from __future__ import annotations

import re
from datetime import date, datetime

from flask import current_app, g, request, session
from flask_babel import format_currency, format_date, format_datetime, get_locale, gettext
from flask_login import current_user

from ..workflow.errors import DomainError, ValidationError
from ..workflow.statuses import Status


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if g.get("database_down"):  # the user's saved language cannot be read: the copy kept at log-in
        if session.get("user_language") in languages:
            return session["user_language"]
    elif current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    if session.get("language") in languages:
        return session["language"]
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["PORTAL_TIMEZONE"]


def language() -> str:
    return str(get_locale() or "ja")[:2]


def status_label(code: str | None) -> str:
    if not code:
        return ""
    try:
        status = Status(code)
    except ValueError:
        return code
    return status.label_ja if language() == "ja" else status.label_en


def local_date(value: date | None) -> str:
    return format_date(value, "medium") if value else ""


def money(amount, currency: str = "JPY") -> str:
    if amount is None:
        return ""
    return format_currency(amount, currency)


def local_date_of(value: datetime | None) -> str:
    """The calendar date of a stored UTC timestamp, in the portal's time zone."""
    return format_date(value, "medium") if value else ""


def local_datetime(value: datetime | None) -> str:
    """A stored UTC timestamp in the portal's time zone and the user's locale."""
    return format_datetime(value, "yyyy-MM-dd HH:mm") if value else ""


# -- domain errors ------------------------------------------------------------

# Some services fill a field message before raising it ("A comment is required
# for ANSWER."). To translate those, match the message against the English
# templates and re-fill the translated template with the captured values.
def _pattern(template: str) -> re.Pattern:
    parts = re.split(r"%\((\w+)\)s", template)
    regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
    return re.compile(regex + r"\Z")


def _filled_templates() -> list[tuple[str, re.Pattern]]:
    from .messages import FILLED_TEMPLATES
    return [(template, _pattern(template)) for template in FILLED_TEMPLATES]


_FILLED: list[tuple[str, re.Pattern]] | None = None


def translate_message(message: str, params: dict | None = None) -> str:
    """Translate one English message template (or an already filled message)."""
    global _FILLED
    if params:
        return gettext(message, **params)
    translated = gettext(message)
    if translated != message:
        return translated
    if _FILLED is None:
        _FILLED = _filled_templates()
    for template, pattern in _FILLED:
        match = pattern.match(message)
        if match:
            return gettext(template, **match.groupdict())
    return message


def error_message(error: DomainError) -> str:
    """The error in the user's language, naming the status by its label."""
    params = dict(error.params)
    if "status" in params:
        params["status"] = status_label(str(params["status"]))
    view = getattr(error, "view", None)
    if view is not None:  # Blocked: the block's description and note in the user's language
        lang = language()
        params["description"], params["note"] = view.description(lang), view.note(lang)
        if view.block.expires:
            params["until"] = local_date(view.block.expires)
    return translate_message(error.template, params).strip()


def field_errors(error: DomainError) -> dict[str, str]:
    if not isinstance(error, ValidationError):
        return {}
    return {name: translate_message(message) for name, message in error.fields.items()}
