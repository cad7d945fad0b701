"""Patron pages: list and search, one patron (details, consent history,
requests), create / edit, SMS consent, CSV import, and the patron picker of
the new-request form.

Each view loads the patron within the user's own library (another library's
patron is 404), validates, calls ONE service and renders the page or, for
htmx, the region that changed.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..extensions import db
from ..models import Patron, Record
from ..services.patron_import import import_patrons
from ..services.patrons import (DEFAULT_SMS_WORDING, GROUPS, LANGUAGES, client_type_for, create_patron, find_patron,
                                opt_out, record_consent, search_patrons, update_patron)
from ..workflow.errors import DomainError, ValidationError
from ..workflow.numbers import parse_int
from . import labels
from .htmx import fragment, is_htmx, render
from .i18n import error_message, field_errors
from .i18n import text_l as _l

bp = Blueprint("patrons", __name__)

PER_PAGE = 25
RECENT_REQUESTS = 50
FORM_FIELDS = ("number", "name", "group", "email", "mobile", "language")

GROUP_LABELS = {"faculty": _l("Faculty"), "graduate": _l("Graduate student"), "undergraduate": _l("Undergraduate"),
                "staff": _l("Staff"), "external": _l("External")}
#: How staff record a consent (the link and the API record their own).
CONSENT_METHOD_LABELS = {"form": _l("Signed form"), "counter": _l("At the counter"), "phone": _l("By phone"),
                         "email": _l("By e-mail"), "letter": _l("By letter"), "link": _l("Opt-out link"),
                         "api": _l("API"), "import": _l("CSV import")}
STAFF_METHODS = ("form", "counter", "phone", "email", "letter")
LANGUAGE_LABELS = {"ja": "日本語", "en": "English"}


@dataclass
class PatronPage:
    rows: list[Patron]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def helpers() -> dict:
    return {"group_label": group_label, "method_label": lambda m: str(CONSENT_METHOD_LABELS.get(m, m)),
            "language_label": lambda code: LANGUAGE_LABELS.get(code, code), "groups": GROUPS,
            "group_labels": GROUP_LABELS, "staff_methods": STAFF_METHODS, "languages": LANGUAGES}


def group_label(group: str) -> str:
    label = GROUP_LABELS.get(group)
    return str(label) if label else group


def load(number: str) -> Patron:
    patron = find_patron(current_user.library_id, number)
    if patron is None:
        abort(404)
    return patron


def _page_number() -> int:
    page = request.args.get("page", "1")
    return parse_int(page, 1, 99_999) or 1


# -- list and search -----------------------------------------------------------

@bp.get("/patrons")
def index():
    q = request.args.get("q", "").strip()[:200]
    typed = request.headers.get("HX-Trigger") == "patron-q"  # while typing: never jump to a patron
    if q and not typed:
        patron = find_patron(current_user.library_id, q)
        if patron is not None:  # a typed or scanned card number + Enter opens the patron
            target = url_for("patrons.show", number=patron.number)
            return ("", 200, {"HX-Redirect": target}) if is_htmx() else redirect(target)
    rows, total = search_patrons(current_user.library_id, q, _page_number(), PER_PAGE)
    page = PatronPage(rows, total, _page_number(), PER_PAGE)
    return render("patrons/index.html", "results", q=q, page=page,
                  page_url=lambda n: url_for("patrons.index", q=q or None, page=n), **helpers())


# -- one patron ------------------------------------------------------------------

def patron_requests(patron: Patron) -> tuple[list[Record], int]:
    """The patron's requests, newest first (only the requesting library links patrons)."""
    where = (Record.patron_id == patron.id, Record.requester_id == current_user.library_id)
    total = db.session.scalar(select(func.count(Record.id)).where(*where)) or 0
    rows = list(db.session.scalars(select(Record).where(*where).order_by(Record.id.desc()).limit(RECENT_REQUESTS)))
    return rows, total


def show_context(patron: Patron, **extra) -> dict:
    requests, total = patron_requests(patron)
    context = {"patron": patron, "requests": requests, "requests_total": total, "consent_errors": {},
               "consent_values": {"method": "counter", "wording": DEFAULT_SMS_WORDING[patron.language]},
               "notice": "", **helpers()}
    context.update(extra)
    return context


@bp.get("/patrons/<number>")
def show(number: str):
    return render("patrons/show.html", None, **show_context(load(number)))


@bp.post("/patrons/<number>/consent")
def give_consent(number: str):
    patron = load(number)
    values = {"method": request.form.get("method", ""), "wording": request.form.get("wording", "")}
    try:
        record_consent(patron, "sms", values["method"], values["wording"], current_user)
    except ValidationError as error:
        return render("patrons/show.html", "consent", status=422,
                      **show_context(patron, consent_errors=field_errors(error), consent_values=values,
                                     consent_message=error_message(error)))
    return _consent_done(patron, _("SMS consent recorded."))


@bp.post("/patrons/<number>/consent/withdraw")
def withdraw_consent(number: str):
    patron = load(number)
    method = request.form.get("method", "")
    try:
        opt_out(patron, "sms", method, current_user)
    except ValidationError as error:
        return render("patrons/show.html", "consent", status=422,
                      **show_context(patron, consent_errors=field_errors(error), consent_message=error_message(error)))
    return _consent_done(patron, _("SMS consent withdrawn: no more SMS to this patron."))


def _consent_done(patron: Patron, notice: str):
    if not is_htmx():
        flash(notice, "success")
        return redirect(url_for("patrons.show", number=patron.number) + "#consent")
    return render("patrons/show.html", "consent", **show_context(patron, notice=notice))


# -- create and edit ---------------------------------------------------------------

def form_values(form) -> dict:
    values = {name: form.get(name, "").strip() for name in FORM_FIELDS}
    values["active"] = form.get("active") == "1"
    values["sms_consent"] = form.get("sms_consent") == "1"
    values["consent_method"] = form.get("consent_method", "counter")
    values["consent_wording"] = form.get("consent_wording", "").strip()
    return values


def service_data(values: dict, new: bool) -> dict:
    data = {name: values[name] for name in FORM_FIELDS}
    data["active"] = values["active"]
    if new and values["sms_consent"]:
        data["sms_consent"] = {"method": values["consent_method"], "wording": values["consent_wording"] or None}
    return data


def blank_values() -> dict:
    language = "en" if request.args.get("language") == "en" else "ja"
    return {"number": request.args.get("number", "")[:64], "name": "", "group": "", "email": "", "mobile": "",
            "language": language, "active": True, "sms_consent": False, "consent_method": "counter",
            "consent_wording": ""}


def render_form(patron: Patron | None, values: dict, errors: dict | None = None, message: str = "",
                status: int = 200):
    return render("patrons/form.html", "form", status=status, patron=patron, values=values, errors=errors or {},
                  message=message, default_wording=DEFAULT_SMS_WORDING, **helpers())


@bp.route("/patrons/new", methods=["GET", "POST"])
def new():
    if request.method == "GET":
        return render_form(None, blank_values())
    values = form_values(request.form)
    try:
        patron = create_patron(current_user, service_data(values, new=True))
    except ValidationError as error:
        errors = {("consent_method" if k == "sms_consent.method" else "consent_wording" if k == "sms_consent.wording"
                   else k): v for k, v in field_errors(error).items()}
        return render_form(None, values, errors, error_message(error), 422)
    flash(_("Patron %(number)s added.", number=patron.number), "success")
    return _to_patron(patron)


@bp.route("/patrons/<number>/edit", methods=["GET", "POST"])
def edit(number: str):
    patron = load(number)
    if request.method == "GET":
        values = {name: getattr(patron, name) or "" for name in FORM_FIELDS}
        values.update(active=patron.active, sms_consent=False, consent_method="counter", consent_wording="")
        return render_form(patron, values)
    values = form_values(request.form)
    try:
        update_patron(current_user, patron, service_data(values, new=False))
    except ValidationError as error:
        db.session.rollback()
        patron = load(number)
        return render_form(patron, values, field_errors(error), error_message(error), 422)
    flash(_("Patron %(number)s saved.", number=patron.number), "success")
    return _to_patron(patron)


def _to_patron(patron: Patron):
    target = url_for("patrons.show", number=patron.number)
    if is_htmx():
        return "", 200, {"HX-Redirect": target}
    return redirect(target)


# -- CSV import ----------------------------------------------------------------------

@bp.route("/patrons/import", methods=["GET", "POST"])
def import_csv():
    if request.method == "GET":
        return render("patrons/import.html", "result", result=None, errors={}, message="")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render("patrons/import.html", "result", status=422, result=None,
                      errors={"file": _("Choose a CSV file.")}, message=_("Please correct the marked fields."))
    try:
        result = import_patrons(current_user.library, upload.read(), current_user)
    except DomainError as error:
        return render("patrons/import.html", "result", status=422, result=None, errors=field_errors(error),
                      message=error_message(error))
    translated = [(row, {k: field_errors(ValidationError({k: v}))[k] for k, v in row.errors.items()})
                  for row in result.rows]
    return render("patrons/import.html", "result", status=200 if result.applied else 422, result=result,
                  rows=translated, errors={}, message="", filename=upload.filename)


# -- the patron picker of the new-request form ------------------------------------------

def picked_context(patron: Patron | None, query: str = "", suggestions=None, message: str = "",
                   oob: bool = False) -> dict:
    return {"picked": patron, "query": query, "suggestions": suggestions or [], "picker_message": message,
            "client_type_of": client_type_for, "client_types": labels.CLIENT_TYPES, "oob": oob, **helpers()}


def resolve_choice(query: str) -> tuple[Patron | None, list[Patron], str]:
    """What Enter in the picker means: an exact card number (a scan), else the only match."""
    library_id = current_user.library_id
    query = query.strip()[:200]
    if not query:
        return None, [], _("Scan a patron card or type a number or name.")
    patron = find_patron(library_id, query)
    if patron is not None and patron.active:
        return patron, [], ""
    matches, total = search_patrons(library_id, query, per_page=8, active_only=True)
    if total == 1:
        return matches[0], [], ""
    if not matches:
        return None, [], _("No active patron matches %(query)s.", query=query)
    return None, matches, _("Several patrons match: choose one.")


@bp.get("/patrons/lookup")
def lookup():
    """htmx: suggestions while typing (into #patron-suggestions), or the chosen patron
    (into #patron-picker, with the end-user fields of the form swapped out of band)."""
    if not is_htmx():  # the picker works without JavaScript through the new-request page
        return redirect(url_for("records.new", patron_q=request.args.get("q", "")[:200]))
    if "pick" in request.args:
        patron = find_patron(current_user.library_id, request.args["pick"])
        if patron is None or not patron.active:
            return fragment("patrons/_picker.html", "picker",
                            **picked_context(None, message=_("No active patron matches %(query)s.",
                                                             query=request.args["pick"][:64])))
        return fragment("patrons/_picker.html", "picker", "client_fields_oob", **picked_context(patron, oob=True))
    if "clear" in request.args:
        return fragment("patrons/_picker.html", "picker", **picked_context(None))
    query = request.args.get("q", "")
    if request.headers.get("HX-Trigger") == "patron-lookup":  # typing: suggestions only
        matches = search_patrons(current_user.library_id, query, per_page=8, active_only=True)[0] if query.strip() else []
        return fragment("patrons/_picker.html", "suggestions", **picked_context(None, query, matches))
    patron, matches, message = resolve_choice(query)
    if patron is not None:
        return fragment("patrons/_picker.html", "picker", "client_fields_oob", **picked_context(patron, oob=True))
    return fragment("patrons/_picker.html", "picker", **picked_context(None, query, matches, message))


def new_request_patron(args, form) -> dict:
    """The picker's state for the new-request page: a patron chosen by `patron`
    (posted, or a link from the patron page) or looked up by `patron_q` (no JavaScript)."""
    number = (form.get("patron") if form is not None else None) or args.get("patron", "")
    if number:
        patron = find_patron(current_user.library_id, number)
        return picked_context(patron, message="" if patron else _("No active patron matches %(query)s.",
                                                                     query=number[:64]))
    if args.get("patron_q"):
        patron, matches, message = resolve_choice(args["patron_q"])
        return picked_context(patron, args["patron_q"], matches, message)
    return picked_context(None)


def client_values_for(patron: Patron) -> dict:
    return {"client_name": patron.name, "client_type": client_type_for(patron)}
