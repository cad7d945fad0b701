"""Language and time zone for staff pages, and translation of domain errors.

The locale is the user's saved language, else the browser's Accept-Language,
else the default (ja). Domain errors carry English templates with named
parameters: translate the template first, then fill it in.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

from flask import Flask, current_app, g, request, session
from flask_babel import format_currency, format_date, get_locale, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup

from ..services import portal_zone
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
    locale = _babel_context()[1] or get_locale()
    return locale.language if locale is not None else "ja"


# -- translations, looked up once per request -------------------------------------
# A page asks for about fifty strings (its labels and messages), and Flask-Babel finds the
# translations for each by walking about ten context proxies and formatting the locale's name:
# a tenth of a record page's time. The templates' _() and the labels' lazy strings (text_l) ask
# request_translations() instead.

def _babel_context() -> tuple:
    """Flask-Babel's state of this app context and the locale it holds in force (None, None outside
    an app context; None for the locale until Flask-Babel has chosen it)."""
    try:
        babel_context = g.get("_flask_babel")
    except RuntimeError:  # outside an app context
        return None, None
    return babel_context, getattr(babel_context, "babel_locale", None)


def request_translations():
    """flask_babel.get_translations(), remembered for the locale in force (force_locale, which the
    notices use to write in the recipient's language, puts another locale in force)."""
    babel_context, locale = _babel_context()
    if locale is None:  # Flask-Babel chooses the locale (or, outside an app context, none)
        return get_translations()
    remembered = getattr(babel_context, "portal_translations", None)
    if remembered is None or remembered[0] is not locale:
        remembered = babel_context.portal_translations = (locale, get_translations())
    return remembered[1]


def translate(string: str, **variables) -> str:
    """gettext through request_translations, filled in as Flask-Babel fills it."""
    text = request_translations().ugettext(string)
    return text % variables if variables else text


def text_l(string: str, **variables) -> LazyString:
    """lazy_gettext through request_translations: a label translated when shown (extracted as _l)."""
    return LazyString(translate, string, **variables)


def install_template_gettext(app: Flask) -> None:
    """The templates' _(), gettext and ngettext through request_translations (in place of the
    callables Flask-Babel installs, which look the translations up on every call).

    Jinja's own new-style _() reaches the translation through three context calls (the alias, the
    wrapper that marks it safe and fills it in, the callable) and looks the translations up each
    time; a page asks for fifty strings. So each rendered page gets an _() and a gettext of its own
    that do the same in one call, with the translations in force when the page is rendered (the
    globals, for macros imported without the page's context, look them up per call)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
        newstyle=True)
    looked_up_per_call = _template_gettext(None)
    app.jinja_env.globals.update(_=looked_up_per_call, gettext=looked_up_per_call)

    @app.context_processor
    def page_gettext() -> dict:
        page = _template_gettext(request_translations())
        return {"_": page, "gettext": page}


def _template_gettext(translations):
    """What Jinja's new-style gettext does: the translation, marked safe where the template escapes
    (a translation is trusted text), filled in with its variables (escaped by Markup's %); with
    `translations` (else those of the moment, looked up per call)."""

    @pass_eval_context
    def gettext(eval_context, string: str, **variables) -> str:
        text = (translations or request_translations()).ugettext(string)
        if eval_context.autoescape:
            text = Markup(text)
        return text % variables if variables or "%" in text else text  # without a %, filling in changes nothing

    return gettext


#: code -> (Japanese, English) label: a dictionary lookup, where Status(code) builds through the enum machinery
_STATUS_LABELS = {status.value: (status.label_ja, status.label_en) for status in Status}


def status_label(code: str | None) -> str:
    labels = _STATUS_LABELS.get(code) if code else None
    if labels is None:
        return code or ""
    return labels[0] if language() == "ja" else labels[1]


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
    """A stored UTC timestamp in the portal's time zone, as 2026-12-03 09:30: digits only, the same in
    every locale, so strftime writes it (Babel's pattern machinery cost a record page's history a
    tenth of its time)."""
    if not value:
        return ""
    if value.tzinfo is None:  # SQLite gives stored UTC back without its zone
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(portal_zone()).strftime("%Y-%m-%d %H:%M")


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
        return translate(message, **params)
    translated = translate(message)
    if translated != message:
        return translated
    if _FILLED is None:
        _FILLED = _filled_templates()
    for template, pattern in _FILLED:
        match = pattern.match(message)
        if match:
            return translate(template, **match.groupdict())
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
