"""Log-in, log-out and the language switch."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import format_time, gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired

from ..services import login_limits
from ..services.users import authenticate, end_sessions, set_language
from .htmx import render

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField("username", validators=[InputRequired()])
    password = PasswordField("password", validators=[InputRequired()])


def safe_next(target: str | None, default: str) -> str:
    """Only local paths: never redirect off the portal after log-in."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.worklists"))
    form = LoginForm()
    error = None
    status = 200
    headers = {}
    if form.validate_on_submit():
        name, address = form.username.data, request.remote_addr
        locked = login_limits.lockout(name, address)
        user = None if locked else authenticate(name, form.password.data)
        if user is not None:
            login_limits.clear_failures(name)
            login_user(user)
            session.pop("language", None)
            session["user_language"] = user.language  # for pages shown while the database is away
            return redirect(safe_next(request.args.get("next"), url_for("main.worklists")))
        if locked:
            error = _("Too many failed log-ins for this user name or from this computer. "
                      "Try again after %(time)s.", time=format_time(locked.until, "HH:mm"))
            status, headers = 429, {"Retry-After": str(locked.seconds)}
        else:
            login_limits.record_failure(name, address)
            error = _("Unknown user name or wrong password.")
            status = 401
    elif request.method == "POST":
        error = _("Enter your user name and password.")
        status = 422
    response = render("auth/login.html", form=form, error=error, status=status)
    response.headers.update(headers)
    return response


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        end_sessions(current_user)  # the user's other sessions end too
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language", endpoint="set_language")
def set_language_view():
    language = request.form.get("language", "")
    if language in current_app.config["LANGUAGES"]:
        if current_user.is_authenticated:
            set_language(current_user, language)
            session["user_language"] = language
        else:
            session["language"] = language
    return redirect(safe_next(request.form.get("next"), url_for("main.worklists")))

