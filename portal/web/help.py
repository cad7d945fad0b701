"""The help page: the desk's keyboard shortcuts and how the pages place the focus."""
from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("help", __name__)

#: (key, what it reaches): the same keys as the data-shortcut attributes portal.js reads.
SHORTCUTS = ("S", "I", "C", "R")


@bp.get("/help")
def index():
    return render_template("help/index.html", shortcuts=SHORTCUTS)
