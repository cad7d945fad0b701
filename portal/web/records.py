"""Record pages: new request, one record, and every command."""
from __future__ import annotations

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("records", __name__)


@bp.before_request
@login_required
def require_login():
    return None


@bp.get("/records/new")
def new():
    return "new"
