"""Notice pages: the library's notice history and queue health, manual notices with a
confirmation step, cancelling, printed letters; and the public ends of an SMS: the
opt-out link and the click-counting redirect (no log-in)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, send_file, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..services.notices.letters import list_letter_files
from ..services.notices.manage import (NoticeFilters, cancel_notice, create_manual_notice, follow_click, list_notices,
                                       load_notice, notice_for_opt_out, opt_out_by_link, prepare_manual, queue_health)
from ..workflow.errors import DomainError, NotFound, ValidationError
from ..workflow.numbers import MAX_INT, parse_int
from ..workflow.notice_rules import CHANNELS, NOTICE_TYPES, STATUSES
from .htmx import render
from .i18n import error_message, field_errors

bp = Blueprint("notices", __name__)
public = Blueprint("notice_links", __name__)

MANUAL_FIELDS = ("patron", "channel", "subject", "body", "send_at", "track_clicks")
MAX_RESULT_POLLS = 150  # a send result box asks every 2 s for at most 5 minutes


def _filters() -> NoticeFilters:
    args = request.args
    return NoticeFilters(record=args.get("record", "").strip(), patron=args.get("patron", "").strip(),
                         status=args.get("status", ""), type=args.get("type", ""), channel=args.get("channel", ""))


@bp.get("/notices")
def index():
    filters = _filters()
    errors = {}
    try:
        notices, total = list_notices(current_user.library_id, filters)
    except ValidationError as error:
        notices, total, errors = [], 0, field_errors(error)
    watched = None
    watch = parse_int(request.args.get("watch", ""), 1, MAX_INT)
    if watch:
        try:
            watched = load_notice(current_user.library_id, watch)
        except NotFound:
            watched = None  # another library's notice: nothing to show
    return render("notices/index.html", "results", notices=notices, total=total, filters=filters, errors=errors,
                  watched=watched, polls=0, max_polls=MAX_RESULT_POLLS,
                  health=queue_health(current_user.library_id), types=[t for t in NOTICE_TYPES],
                  statuses=STATUSES, channels=CHANNELS,
                  letters=list_letter_files(current_user.library)[:10])


@bp.get("/notices/report")
def report():
    """Send reports: the library's notices of a date range per type, channel and state."""
    from ..services import portal_today
    from ..services.notices.report import parse_range, send_report

    values = {"from": request.args.get("from", ""), "to": request.args.get("to", "")}
    try:
        start, end = parse_range(values["from"], values["to"], portal_today())
    except ValidationError as error:
        return render("notices/report.html", status=422, values=values, errors=field_errors(error), report=None)
    values = {"from": start.isoformat(), "to": end.isoformat()}
    return render("notices/report.html", values=values, errors={},
                  report=send_report(current_user.library_id, start, end))


@bp.post("/notices/<int:notice_id>/cancel")
def cancel(notice_id: int):
    try:
        notice = cancel_notice(current_user, notice_id)
    except DomainError as error:
        flash(error_message(error), "error")
    else:
        flash(_("Notice %(id)s cancelled (配信取消).", id=notice.id), "success")
    target = request.form.get("next") or ""
    # only a path of this site: a form field must not send staff elsewhere (open redirect)
    safe = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return redirect(target if safe else url_for("notices.index"))


@bp.get("/notices/letters/<name>")
def letter_file(name: str):
    files = {path.name: path for path in list_letter_files(current_user.library)}
    if name not in files:  # only this library's own letters
        abort(404)
    return send_file(files[name], mimetype="application/pdf", download_name=name)


# -- manual notice: form, confirmation, send --------------------------------------------------------

def _manual_values() -> dict:
    values = {name: request.values.get(name, "") for name in MANUAL_FIELDS}
    values["track_clicks"] = request.values.get("track_clicks") in ("1", "on", "true")
    values["channel"] = values["channel"] or "email"
    return values


@bp.get("/notices/new")
def new():
    values = _manual_values()
    return render("notices/new.html", values=values, errors={}, confirm=None)


@bp.post("/notices/new")
def create():
    values = _manual_values()
    data = {**values, "send_at": values["send_at"] or None}
    try:
        manual = prepare_manual(current_user, data)
    except ValidationError as error:
        return render("notices/new.html", status=422, values=values, errors=field_errors(error), confirm=None)
    if request.form.get("confirmed") != "1":  # the confirmation step (seed 003: 送信前チェック)
        return render("notices/new.html", values=values, errors={}, confirm=manual)
    try:
        notice = create_manual_notice(current_user, data)
    except ValidationError as error:
        return render("notices/new.html", status=422, values=values, errors=field_errors(error), confirm=None)
    if notice.status == "scheduled":
        flash(_("Notice %(id)s scheduled.", id=notice.id), "success")
        return redirect(url_for("notices.index", patron=manual.patron.number))
    flash(_("Notice %(id)s queued for sending.", id=notice.id), "success")
    # seed 003 (送信後に送信結果を表示する): the list opens with the notice's result, which
    # follows the worker until the notice is sent or has failed
    return redirect(url_for("notices.index", patron=manual.patron.number, watch=notice.id))


@bp.get("/notices/<int:notice_id>/result")
def result(notice_id: int):
    """The send result box of one of the library's notices (htmx polls it until it is final)."""
    try:
        notice = load_notice(current_user.library_id, notice_id)
    except NotFound:
        abort(404)
    polls = min(parse_int(request.args.get("n", "0"), 0) or 0, MAX_RESULT_POLLS)
    return render("notices/_result.html", notice=notice, polls=polls + 1, max_polls=MAX_RESULT_POLLS)


# -- public: the opt-out link and click counting ------------------------------------------------

@public.get("/o/<token>")
def opt_out_page(token: str):
    notice = notice_for_opt_out(token)
    if notice is None or notice.patron is None:
        abort(404)
    with force_locale(notice.language):
        return render("notices/opt_out.html", notice=notice, library=notice.library, done=False,
                      consent=notice.patron.sms_consent)


@public.post("/o/<token>")
def opt_out_confirm(token: str):
    notice = notice_for_opt_out(token)
    if notice is None or notice.patron is None:
        abort(404)
    opt_out_by_link(token)
    with force_locale(notice.language):
        return render("notices/opt_out.html", notice=notice, library=notice.library, done=True, consent=False)


@public.get("/c/<token>")
def click(token: str):
    url = follow_click(token)
    if url is None:
        abort(404)
    return redirect(url, 302)


# -- live character and message count (the SMS editors; same rules as sending) ------------------

@bp.post("/notices/count")
def count():
    from ..services.notices.manage import sms_preview_count

    channel = request.form.get("channel", "sms")
    if channel != "sms":
        return render("notices/_count.html", count=None, channel=channel)
    with_footer = request.form.get("footer", "1") != "0"
    language = request.form.get("language", "")
    if not language and request.form.get("patron"):  # the manual notice: the footer in the patron's language
        from ..services.patrons import find_patron

        patron = find_patron(current_user.library_id, request.form.get("patron", "").strip()[:64])
        language = patron.language if patron is not None else ""
    count = sms_preview_count(current_user.library, request.form.get("body", ""), with_footer, language or "ja")
    return render("notices/_count.html", count=count, channel=channel, with_footer=with_footer)


# -- settings: channels per type, templates, test connection (managers) --------------------------

def _require_manager():
    if not current_user.is_manager:
        abort(403)


def _settings_page(status: int = 200, type_errors: dict | None = None, report=None, posted: dict | None = None):
    from ..services.notices.preferences import all_settings
    from ..services.notices.templates import LANGUAGES, TEMPLATE_CHANNELS, library_templates

    settings = all_settings(current_user.library_id)
    own = {(code, lang): library_templates(current_user.library_id, code, lang) for code in settings for lang in LANGUAGES}
    return render("notices/settings.html", status=status, settings=settings, types=NOTICE_TYPES, own=own,
                  languages=LANGUAGES, template_channels=TEMPLATE_CHANNELS, type_errors=type_errors or {},
                  report=report, posted=posted or {})


@bp.get("/settings/notices")
def settings():
    _require_manager()
    return _settings_page()


@bp.post("/settings/notices/types/<code>")
def save_type(code: str):
    from ..services.notices.preferences import save_setting

    _require_manager()
    data = {"channels": request.form.getlist("channels"), "policy": request.form.get("policy"),
            "days": request.form.get("days", ""), "recipients": request.form.get("recipients", "")}
    try:
        save_setting(current_user, code, data)
    except ValidationError as error:
        return _settings_page(422, type_errors={code: field_errors(error)}, posted={code: data})
    flash(_("Notice settings saved."), "success")
    return redirect(url_for("notices.settings") + f"#type-{code}")


@bp.post("/settings/notices/test/<channel>")
def test_connection(channel: str):
    from ..services.notices.channels import mail_sender, sms_backend

    _require_manager()
    if channel == "email":
        report = mail_sender().test_connection()
    elif channel == "sms":
        to = request.form.get("to", "").strip() or None
        report = sms_backend().test_connection(to)
    else:
        abort(404)
    return _settings_page(200 if report.ok else 502, report=(channel, report))


def _editor(code: str, channel: str, language: str, values: dict | None = None, errors: dict | None = None,
            status: int = 200, preview: dict | None = None):
    from ..services.notices.templates import LANGUAGES, TEMPLATE_CHANNELS, library_templates, template_for

    if code not in NOTICE_TYPES or code == "MANUAL" or channel not in TEMPLATE_CHANNELS or language not in LANGUAGES:
        abort(404)
    subject, body, is_default = template_for(current_user.library_id, code, channel, language)
    own = library_templates(current_user.library_id, code, language).get(channel)
    values = values or {"name": own.name if own else "", "subject": subject, "body": body}
    return render("notices/template.html", status=status, code=code, channel=channel, language=language,
                  values=values, errors=errors or {}, is_default=is_default, preview=preview)


@bp.get("/settings/notices/templates/<code>/<channel>/<language>")
def template(code: str, channel: str, language: str):
    _require_manager()
    return _editor(code, channel, language)


@bp.post("/settings/notices/templates/<code>/<channel>/<language>")
def save_template_view(code: str, channel: str, language: str):
    from ..services.notices.templates import check_template, save_template

    _require_manager()
    values = {name: request.form.get(name, "") for name in ("name", "subject", "body")}
    if request.form.get("action") == "preview":
        try:
            preview = check_template(current_user.library, code, channel, language, values["subject"].strip(),
                                     values["body"].replace("\r\n", "\n"))
        except ValidationError as error:
            return _editor(code, channel, language, values, field_errors(error), 422)
        return _editor(code, channel, language, values, preview=preview)
    try:
        save_template(current_user, code, channel, language, values)
    except ValidationError as error:
        return _editor(code, channel, language, values, field_errors(error), 422)
    flash(_("Template saved."), "success")
    return redirect(url_for("notices.template", code=code, channel=channel, language=language))


@bp.post("/settings/notices/templates/<code>/<channel>/<language>/reset")
def reset_template_view(code: str, channel: str, language: str):
    from ..services.notices.templates import reset_template

    _require_manager()
    reset_template(current_user, code, channel, language)
    flash(_("Back to the default template."), "success")
    return redirect(url_for("notices.template", code=code, channel=channel, language=language))
