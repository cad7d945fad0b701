"""Library settings (managers), libraries and users (admins), API tokens (everyone)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from ..extensions import db
from ..models import ApiToken, User
from ..services.admin import (SLIP_CLIENT, SLIP_SIZES, add_library, get_library, issue_token, revoke_token,
                             update_library)
from ..services.settings import (add_template, delete_template, move_template, save_fee_default,
                                 templates_by_side, update_template)
from ..services.staff import add_staff, manageable_users, may_manage, roles_for, update_staff
from ..services.worklists import participant_libraries
from ..workflow.errors import DomainError, Forbidden, NotFound, ValidationError
from ..workflow.numbers import parse_int
from . import labels
from .forms import FeeEditor
from .htmx import render
from .i18n import error_message, field_errors

bp = Blueprint("settings", __name__)

LIBRARY_TEXT = ("address", "email", "phone", "ill_section")
LIBRARY_FLAGS = ("service", "copy_service", "loan_service")


def require_manager() -> None:
    if not current_user.is_manager:
        abort(403)


def require_admin() -> None:
    if not current_user.is_admin:
        abort(403)


# -- the library's settings -------------------------------------------------------

def fee_editors(posted_kind: str | None = None, posted: FeeEditor | None = None) -> dict[str, FeeEditor]:
    library = current_user.library
    editors = {}
    for kind in ("copy", "loan"):
        if kind == posted_kind and posted is not None:
            editors[kind] = posted
            continue
        editors[kind] = FeeEditor.for_default(library.fee_default(kind), f"default-{kind}").compute(
            library.currency_places)
    return editors


def slip_client_options() -> list[tuple[str, str]]:
    """What a partner's book band may print of the library's end user (Library.slip_client)."""
    names = {"none": _("Nothing"), "type": _("End user type"), "name": _("Name and type"),
             "number": _("Patron number and type")}
    return [(value, names[value]) for value in SLIP_CLIENT]


def settings_page(status: int = 200, **context):
    library = current_user.library
    values = context.pop("values", None) or {
        "loan_days": str(library.loan_days), "slip_size": library.slip_size, "slip_client": library.slip_client,
        "due_soon_days": str(library.due_soon_days),
        **{name: getattr(library, name) for name in LIBRARY_TEXT + LIBRARY_FLAGS}}
    context.setdefault("editors", fee_editors())
    return render("settings/library.html", status=status, library=library, values=values,
                  templates=templates_by_side(library), slip_sizes=SLIP_SIZES, slip_client_options=slip_client_options(),
                  labels=labels, errors=context.pop("errors", {}), **context)


@bp.get("/settings")
def library():
    require_manager()
    return settings_page()


@bp.post("/settings")
def save_library():
    require_manager()
    form = request.form
    values = {name: form.get(name, "").strip() for name in LIBRARY_TEXT}
    values.update({name: form.get(name) == "1" for name in LIBRARY_FLAGS})
    values["slip_size"] = form.get("slip_size", "A5")
    values["slip_client"] = form.get("slip_client", "none")
    loan_days = form.get("loan_days", "").strip()
    due_soon_days = form.get("due_soon_days", "3").strip()
    shown = {**values, "loan_days": loan_days, "due_soon_days": due_soon_days}
    errors = {}
    if parse_int(loan_days) is None:
        errors["loan_days"] = _("Must be a whole number of days from 1 to 365.")
    if parse_int(due_soon_days) is None:
        errors["due_soon_days"] = _("Must be a whole number of days from 0 to 60.")
    if errors:
        return settings_page(422, values=shown, errors=errors)
    try:
        update_library(current_user.library, loan_days=parse_int(loan_days), due_soon_days=parse_int(due_soon_days),
                       **values)
    except ValidationError as error:
        return settings_page(422, values=shown, errors=field_errors(error))
    flash(_("Settings saved."), "success")
    return redirect(url_for("settings.library"))


@bp.post("/settings/templates")
def add_comment_template():
    require_manager()
    try:
        side, _sep, command = request.form.get("command", "").partition(":")
        add_template(current_user.library, side, command, request.form.get("text", ""), request.form.get("gloss", ""))
    except ValidationError as error:
        flash(error_message(error) + " " + " ".join(field_errors(error).values()), "error")
    else:
        flash(_("Template added."), "success")
    return redirect(url_for("settings.library", _anchor="templates"))


@bp.post("/settings/templates/<int:template_id>")
def change_comment_template(template_id: int):
    require_manager()
    action = request.form.get("action", "save")
    try:
        if action == "up":
            move_template(current_user.library, template_id, -1)
        elif action == "down":
            move_template(current_user.library, template_id, +1)
        elif action == "delete":
            delete_template(current_user.library, template_id)
            flash(_("Template deleted."), "success")
        else:
            update_template(current_user.library, template_id, request.form.get("text", ""), request.form.get("gloss"))
            flash(_("Template saved."), "success")
    except NotFound:
        abort(404)
    except ValidationError as error:
        flash(" ".join(field_errors(error).values()) or error_message(error), "error")
    return redirect(url_for("settings.library", _anchor=f"templates-{request.form.get('command', '').replace(':', '-')}"))


@bp.post("/settings/fees/<kind>")
def save_fees(kind: str):
    require_manager()
    if kind not in ("copy", "loan"):
        abort(404)
    editor = FeeEditor.from_form(request.form, prefix=f"default-{kind}")
    action = request.form.get("fee_action", "")
    if action and editor.apply_action(action):
        editor.compute(current_user.library.currency_places)
        return settings_page(editors=fee_editors(kind, editor), open_fees=kind)
    data = editor.as_data()
    try:
        save_fee_default(current_user.library, kind, data["groups"], data["base_fee"], data["postage"])
    except ValidationError:
        editor.compute(current_user.library.currency_places)
        return settings_page(422, editors=fee_editors(kind, editor), open_fees=kind)
    flash(_("Fee defaults saved."), "success")
    return redirect(url_for("settings.library", _anchor=f"fees-{kind}"))


# -- admins: libraries and users -------------------------------------------------------

LIBRARY_NEW_FIELDS = ("code", "name", "address", "email", "loan_days", "network")


@bp.route("/settings/libraries", methods=["GET", "POST"])
def libraries():
    require_admin()
    values, errors, status = None, {}, 200
    if request.method == "POST":
        values = {name: request.form.get(name, "").strip() for name in LIBRARY_NEW_FIELDS}
        if parse_int(values["loan_days"]) is None:
            errors["loan_days"] = _("Must be a whole number of days from 1 to 365.")
        else:
            try:
                add_library(values["code"], name=values["name"], address=values["address"],
                            email=values["email"], loan_days=parse_int(values["loan_days"]), network=values["network"])
            except ValidationError as error:
                errors = field_errors(error)
            else:
                flash(_("Library %(code)s added.", code=values["code"]), "success")
                return redirect(url_for("settings.libraries"))
        status = 422
    return libraries_page(status, values=values, errors=errors)


LIBRARY_EDIT_TEXT = ("name", "address", "email", "phone", "network", "currency", "slip_size", "slip_client", "ill_section")


def library_values(library) -> dict:
    return {"loan_days": str(library.loan_days), **{name: getattr(library, name) or "" for name in LIBRARY_EDIT_TEXT},
            **{name: getattr(library, name) for name in LIBRARY_FLAGS}}


def libraries_page(status: int = 200, values: dict | None = None, errors: dict | None = None,
                   edited: str | None = None, edit_values: dict | None = None, edit_errors: dict | None = None):
    """The list with an edit form per library; `edited` is the one re-shown with its inputs and errors."""
    values = values or {name: "" for name in LIBRARY_NEW_FIELDS} | {"loan_days": "14", "network": "NII"}
    libraries = participant_libraries()
    edits = {lib.code: (edit_values, edit_errors or {}) if lib.code == edited else (library_values(lib), {})
             for lib in libraries}
    return render("settings/libraries.html", status=status, libraries=libraries, values=values,
                  errors=errors or {}, edits=edits, edited=edited, slip_sizes=SLIP_SIZES,
                  slip_client_options=slip_client_options())


@bp.post("/settings/libraries/<path:code>")
def edit_library(code: str):
    require_admin()
    try:
        library = get_library(code)
    except NotFound:
        abort(404)
    form = request.form
    # a text field the form did not post keeps its value (an older form, a script)
    values = {name: form.get(name, getattr(library, name) or "").strip() for name in LIBRARY_EDIT_TEXT}
    values["currency"] = values["currency"].upper()
    values.update({name: form.get(name) == "1" for name in LIBRARY_FLAGS})
    loan_days = form.get("loan_days", "").strip()
    shown = {**values, "loan_days": loan_days}
    if parse_int(loan_days) is None:
        return libraries_page(422, edited=code, edit_values=shown,
                              edit_errors={"loan_days": _("Must be a whole number of days from 1 to 365.")})
    try:
        update_library(library, loan_days=parse_int(loan_days), **values)
    except ValidationError as error:
        return libraries_page(422, edited=code, edit_values=shown, edit_errors=field_errors(error))
    flash(_("Library %(code)s saved.", code=code), "success")
    return redirect(url_for("settings.libraries", _anchor=f"library-{code}"))


@bp.route("/settings/users", methods=["GET", "POST"])
def users():
    require_manager()  # an admin: every user; a manager: their own library's staff
    values = {"username": "", "library": current_user.library.code, "role": "staff"}
    errors, status = {}, 200
    if request.method == "POST":
        values = {name: request.form.get(name, "").strip() for name in ("username", "library", "role")}
        try:
            add_staff(current_user, values["username"], values["library"], request.form.get("password", ""),
                      values["role"])
        except ValidationError as error:
            errors = field_errors(error)
        except Forbidden:
            abort(403)
        except DomainError as error:  # unknown library
            errors = {"library": error_message(error)}
        else:
            flash(_("User %(username)s added.", username=values["username"]), "success")
            return redirect(url_for("settings.users"))
        status = 422
    return users_page(status, values=values, errors=errors)


def users_page(status: int = 200, values: dict | None = None, errors: dict | None = None,
               edited: int | None = None, edit_values: dict | None = None, edit_errors: dict | None = None):
    """The list with an edit form per user; `edited` is the one re-shown with its inputs and errors."""
    values = values or {"username": "", "library": current_user.library.code, "role": "staff"}
    users = manageable_users(current_user)
    edits = {user.id: (edit_values, edit_errors or {}) if user.id == edited else
             ({"role": user.role, "library": user.library.code, "active": user.active}, {}) for user in users}
    libraries = participant_libraries() if current_user.is_admin else [current_user.library]
    library_options = [(lib.code, f"{lib.code} {lib.name}") for lib in libraries]
    return render("settings/users.html", status=status, users=users, library_options=library_options,
                  roles=roles_for(current_user), values=values, errors=errors or {}, edits=edits, edited=edited)


@bp.post("/settings/users/<int:user_id>")
def edit_user(user_id: int):
    require_manager()
    user = db.session.get(User, user_id)
    if user is None or not may_manage(current_user, user):
        abort(404 if user is None or current_user.is_admin else 403)
    form = request.form
    shown = {"role": form.get("role", "").strip(), "library": form.get("library", "").strip() or user.library.code,
             "active": form.get("active") == "1"}
    password = form.get("password", "")
    try:
        update_staff(current_user, user, role=shown["role"], library_code=shown["library"], active=shown["active"],
                     password=password or None)
    except Forbidden:
        abort(403)
    except ValidationError as error:
        return users_page(422, edited=user_id, edit_values=shown, edit_errors=field_errors(error))
    if user.id == current_user.id and password:
        login_user(user)  # the admin's own new password: this session goes on, the others end
    flash(_("User %(username)s saved.", username=user.username), "success")
    return redirect(url_for("settings.users", _anchor=f"user-{user_id}"))


# -- everyone: own API tokens ----------------------------------------------------------------

@bp.get("/settings/tokens")
def tokens():
    # A token issued just before (post/redirect/get): shown once, then gone from the session,
    # and the page is never cached, so neither a reload nor the back button shows it again.
    secret = session.pop("new_token", None)
    response = render("settings/tokens.html", tokens=current_user.tokens, secret=secret)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/settings/tokens")
def issue():
    label = request.form.get("label", "").strip()[:100]
    session["new_token"] = issue_token(current_user, label)
    return redirect(url_for("settings.tokens"), 303)


def own_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id or token.revoked_at is not None:
        abort(404)
    return token


@bp.get("/settings/tokens/<int:token_id>/revoke")
def confirm_revoke(token_id: int):
    """Revoking cannot be undone (scripts using the token stop working): asked first, without JavaScript too."""
    return render("settings/revoke_token.html", token=own_token(token_id))


@bp.post("/settings/tokens/<int:token_id>/revoke")
def revoke(token_id: int):
    try:
        revoke_token(current_user, token_id)
    except NotFound:
        abort(404)
    flash(_("Token revoked."), "success")
    return redirect(url_for("settings.tokens"))
