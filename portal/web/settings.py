"""Library settings (managers), libraries and users (admins), API tokens (everyone)."""
from __future__ import annotations

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("settings", __name__)


@bp.before_request
@login_required
def require_login():
    return None


@bp.get("/settings")
def library():
    return "settings"


@bp.get("/settings/tokens")
def tokens():
    return "tokens"
