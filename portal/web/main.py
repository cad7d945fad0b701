"""Work lists and search."""
from __future__ import annotations

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("main", __name__)


@bp.before_request
@login_required
def require_login():
    return None


@bp.get("/")
def worklists():
    return "work lists"


@bp.get("/search")
def search():
    return "search"
