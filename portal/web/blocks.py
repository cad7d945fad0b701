"""Block pages: the library's blocks, block and lift, a partner's page and a patron's
Blocks tab, the daily job's report, and the block settings (managers).

Views load, check access, call one service and render; the rules are in
services.blocks and workflow.blockrules.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..models import Library
from ..services import blocks
from ..services.block_schemas import BlockSettings, parse
from ..services.patrons import find_patron
from ..services.worklists import participant_libraries
from ..workflow.blockrules import BLOCKED_ACTIONS, DEFINITION_TYPES, OVERDUE_UNITS, OVERRIDABLE
from ..workflow.errors import DomainError, Forbidden, NotFound, ValidationError
from ..workflow.numbers import parse_int
from .htmx import render
from .i18n import error_message, field_errors, language

bp = Blueprint("blocks", __name__)


def require_manager() -> None:
    if not current_user.is_manager:
        abort(403)


def _partner(code: str) -> Library:
    library = db.session.scalar(select(Library).where(Library.code == code[:20]))
    if library is None:
        abort(404)
    return library


def _back(default: str) -> str:
    target = request.form.get("next") or request.args.get("next") or ""
    # a path of this site only ("/\\host" is "//host" to a browser)
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else default


# -- lists ---------------------------------------------------------------------------------

@bp.get("/blocks")
def index():
    active_only = request.args.get("all") != "1"
    views = blocks.all_blocks(current_user.library_id, active_only)
    return render("blocks/index.html", views=views, active_only=active_only, lang=language())


def _partner_page(library: Library, status: int = 200, **form):
    views = blocks.blocks_for_partner(current_user.library_id, library.id)
    return render("blocks/partner.html", status=status, partner=library, views=views, lang=language(),
                  own=library.id == current_user.library_id,
                  definitions=blocks.manual_definitions(current_user.library_id), **form)


@bp.get("/partners/<code>")
def partner(code: str):
    return _partner_page(_partner(code))


@bp.get("/patrons/<number>/blocks")
def patron(number: str):
    found = find_patron(current_user.library_id, number)
    if found is None:
        abort(404)
    return render("blocks/patron.html", patron=found)  # the panel loads the patron's blocks


# -- block and lift ----------------------------------------------------------------------------

def _new_form(values: dict, errors: dict | None = None, message: str = "", status: int = 200):
    definitions = blocks.manual_definitions(current_user.library_id)
    partners = [lib for lib in participant_libraries() if lib.id != current_user.library_id]
    return render("blocks/new.html", "form", status=status, values=values, errors=errors or {}, message=message,
                  definitions=definitions, partners=partners, lang=language(), today=date.today())


@bp.get("/blocks/new")
def new():
    definitions = blocks.manual_definitions(current_user.library_id)
    default = next((d.code for d in definitions if d.description.is_default), definitions[0].code if definitions else "")
    values = {"patron": request.args.get("patron", ""), "library": request.args.get("library", ""),
              "subject": "library" if request.args.get("library") else "patron",
              "definition": default, "note": "", "expires": "", "next": _back("")}
    return _new_form(values)


@bp.post("/blocks/new")
def create():
    form = request.form
    values = {name: form.get(name, "").strip() for name in ("subject", "patron", "library", "definition", "note",
                                                            "expires", "next")}
    data = {"definition": values["definition"], "note": values["note"], "expires": values["expires"] or None}
    data["library" if values["subject"] == "library" else "patron"] = values[
        "library" if values["subject"] == "library" else "patron"]
    try:
        view = blocks.create_block(current_user, data)
    except ValidationError as error:
        return _new_form(values, field_errors(error), error_message(error), 422)
    flash(_("Blocked: %(subject)s (%(description)s).", subject=view.subject_label(),
            description=view.description(language())), "success")
    return redirect(_back(url_for("blocks.index")))


BLOCK_FORM_FIELDS = ("definition", "note", "expires")


def _block_values() -> dict:
    return {name: request.form.get(name, "").strip() for name in BLOCK_FORM_FIELDS}


def _subject_data(values: dict, **subject) -> dict:
    return {"definition": values["definition"], "note": values["note"], "expires": values["expires"] or None,
            **subject}


@bp.post("/patrons/<number>/blocks")
def create_for_patron(number: str):
    """The patron page's own block form: refused input comes back on the patron page (422)."""
    from .patrons import show_context

    found = find_patron(current_user.library_id, number)
    if found is None:
        abort(404)
    values = _block_values()
    try:
        view = blocks.create_block(current_user, _subject_data(values, patron=found.number))
    except ValidationError as error:
        return render("patrons/show.html", status=422, **show_context(
            found, block_values=values, block_errors=field_errors(error), block_message=error_message(error)))
    flash(_("Blocked: %(subject)s (%(description)s).", subject=view.subject_label(),
            description=view.description(language())), "success")
    return redirect(url_for("patrons.show", number=found.number, _anchor="blocks"))


@bp.post("/partners/<code>/blocks")
def create_for_partner(code: str):
    library = _partner(code)
    values = _block_values()
    try:
        view = blocks.create_block(current_user, _subject_data(values, library=library.code))
    except ValidationError as error:
        return _partner_page(library, 422, block_values=values, block_errors=field_errors(error),
                             block_message=error_message(error))
    flash(_("Blocked: %(subject)s (%(description)s).", subject=view.subject_label(),
            description=view.description(language())), "success")
    return redirect(url_for("blocks.partner", code=library.code, _anchor="blocks"))


@bp.post("/blocks/<int:block_id>/lift")
def lift(block_id: int):
    try:
        view = blocks.lift_block(current_user, block_id, request.form.get("reason", ""))
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    except ValidationError as error:
        flash(" ".join(field_errors(error).values()) or error_message(error), "error")
    else:
        flash(_("Block lifted: %(subject)s (%(description)s).", subject=view.subject_label(),
                description=view.description(language())), "success")
    return redirect(_back(url_for("blocks.index")))


@bp.get("/blocks/report")
def report():
    require_manager()
    return render("blocks/report.html", rows=blocks.job_report(current_user.library_id), lang=language())


# -- settings (managers) -------------------------------------------------------------------------

def _settings_page(status: int = 200, **context):
    library_id = current_user.library_id
    policy = blocks.policy_dict(library_id)
    context.setdefault("policy_values", _policy_values(policy))
    context.setdefault("errors", {})
    return render("blocks/settings.html", status=status, descriptions=blocks.descriptions(library_id),
                  definitions={d.description_id: d for d in blocks.definitions(library_id)},
                  types=DEFINITION_TYPES, overridable=OVERRIDABLE, actions=sorted(BLOCKED_ACTIONS),
                  units=OVERDUE_UNITS, system_codes=blocks.SYSTEM_CODES, lang=language(), **context)


def _policy_values(policy: dict) -> dict:
    d, o, c = policy["demerits"], policy["overdue"], policy["calendar"]
    return {
        "demerits_enabled": d["enabled"], "history_days": str(d["history_days"]), "threshold": str(d["threshold"]),
        "suspension_days": str(d["suspension_days"]),
        "points": "\n".join(f"{p['group']},{p['kind']},{p['regular']},{p['recalled']}" for p in d["points"]),
        "unit": o["unit"], "value": str(o["value"]), "cumulative": o["cumulative"],
        "max_days": "" if o["max_days"] is None else str(o["max_days"]), "max_per_block": o["max_per_block"],
        "closed_weekdays": c["closed_weekdays"], "public_holidays": c["public_holidays"],
        "closed_dates": "\n".join(c["closed_dates"]),
    }


def _number(text: str):
    text = text.strip()
    number = parse_int(text, 0, 10**8)
    return text if number is None else number  # the model refuses what is not a number


@bp.get("/settings/blocks")
def settings():
    require_manager()
    return _settings_page()


@bp.post("/settings/blocks/policy")
def save_policy():
    require_manager()
    form = request.form
    values = {name: form.get(name, "") for name in ("history_days", "threshold", "suspension_days", "points",
                                                     "unit", "value", "max_days", "closed_dates")}
    values.update({name: form.get(name) == "1" for name in ("demerits_enabled", "cumulative", "max_per_block",
                                                            "public_holidays")})
    values["closed_weekdays"] = [parse_int(d) for d in form.getlist("closed_weekdays") if parse_int(d) is not None]
    points, errors = [], {}
    for line_no, line in enumerate(values["points"].splitlines(), 1):
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split(",")]
        if len(cells) != 4:
            errors["demerits.points"] = _("Line %(line)s: write group,kind,regular,recalled.", line=line_no)
            break
        points.append({"group": cells[0], "kind": cells[1], "regular": _number(cells[2]),
                       "recalled": _number(cells[3])})
    dates = [d.strip() for d in values["closed_dates"].splitlines() if d.strip()]
    data = {
        "demerits": {"enabled": values["demerits_enabled"], "history_days": _number(values["history_days"]),
                     "threshold": _number(values["threshold"]), "suspension_days": _number(values["suspension_days"]),
                     "points": points},
        "overdue": {"unit": values["unit"], "value": _number(values["value"] or "0"),
                    "cumulative": values["cumulative"],
                    "max_days": _number(values["max_days"]) if values["max_days"].strip() else None,
                    "max_per_block": values["max_per_block"]},
        "calendar": {"closed_weekdays": values["closed_weekdays"], "public_holidays": values["public_holidays"],
                     "closed_dates": dates},
    }
    try:
        if errors:
            raise ValidationError(errors)
        blocks.update_policy(current_user, parse(BlockSettings, data))
    except ValidationError as error:
        fields = field_errors(error)
        shown = {}
        for name, message in fields.items():  # demerits.points.0.kind -> the points field
            key = "demerits.points" if name.startswith("demerits.points") else \
                "calendar.closed_dates" if name.startswith("calendar.closed_dates") else name
            shown.setdefault(key, message)
        return _settings_page(422, policy_values=values, errors=shown, message=error_message(error))
    flash(_("Block settings saved."), "success")
    return redirect(url_for("blocks.settings", _anchor="policy"))


def _description_data(form) -> dict:
    return {name: form.get(name, "").strip() for name in ("code", "description_ja", "description_en", "type",
                                                          "overridable", "blocked_action")} | {
        "network_block": form.get("network_block") == "1"}


@bp.post("/settings/blocks/descriptions")
def add_description():
    require_manager()
    try:
        blocks.add_description(current_user, _description_data(request.form))
    except ValidationError as error:
        return _settings_page(422, new_values=_description_data(request.form), new_errors=field_errors(error),
                              message=error_message(error))
    flash(_("Block description added."), "success")
    return redirect(url_for("blocks.settings", _anchor="descriptions"))


@bp.post("/settings/blocks/descriptions/<int:description_id>")
def change_description(description_id: int):
    require_manager()
    action = request.form.get("action", "save")
    try:
        if action in ("up", "down"):
            blocks.move(current_user, description_id, -1 if action == "up" else 1)
        elif action in ("enable", "disable"):
            blocks.set_enabled(current_user, description_id, action == "enable")
        elif action == "default":
            blocks.set_default(current_user, description_id)
        elif action == "delete":
            blocks.delete_description(current_user, description_id)
            flash(_("Block description deleted."), "success")
        else:
            blocks.update_description(current_user, description_id, _description_data(request.form))
            flash(_("Block description saved."), "success")
    except NotFound:
        abort(404)
    except ValidationError as error:
        flash(" ".join(field_errors(error).values()) or error_message(error), "error")
    return redirect(url_for("blocks.settings", _anchor=f"description-{description_id}"))


@bp.post("/settings/blocks/import")
def import_csv():
    require_manager()
    upload = request.files.get("file")
    raw = upload.read(200_000) if upload else b""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        flash(_("The file must be UTF-8 text (CSV)."), "error")
        return redirect(url_for("blocks.settings", _anchor="import"))
    try:
        results = blocks.import_descriptions(current_user, text)
    except DomainError as error:
        flash(error_message(error), "error")
        return redirect(url_for("blocks.settings", _anchor="import"))
    return _settings_page(import_results=results)
