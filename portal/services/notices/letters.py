"""Printed letters for patrons that neither e-mail nor SMS reaches: one PDF per
library and worker batch, through the slip renderer (services.slip_pdf), kept in
the instance folder (instance/letters/<library code>/) for the library to print."""
from __future__ import annotations

import os
import secrets
from datetime import datetime
from pathlib import Path

from flask import current_app
from jinja2 import Environment, FileSystemLoader, select_autoescape

from .. import portal_zone, slip_pdf

TEMPLATE_DIR = Path(__file__).resolve().parent.parent.parent / "templates" / "notices"
_templates = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=select_autoescape(default=True),
                         trim_blocks=True, lstrip_blocks=True)
CONTROL = {c: None for c in range(32) if c not in (10,)}


def letters_dir(library) -> Path:
    return Path(current_app.instance_path) / "letters" / library.code


def clean(text: str) -> str:
    return (text or "").translate(CONTROL)


def letters_html(library, notices, now: datetime) -> str:
    date = now.astimezone(portal_zone()).strftime("%Y-%m-%d")
    letters = [{"id": n.id, "date": date, "subject": clean(n.subject), "lines": clean(n.body).split("\n"),
                "name": clean(n.patron.name) if n.patron else "", "number": n.patron.number if n.patron else "",
                "group": n.patron.group if n.patron else ""} for n in notices]
    language = notices[0].language if notices else "ja"
    return _templates.get_template("letter.html").render(library=library, letters=letters, language=language)


def render_letters(library, notices, now: datetime) -> Path:
    """Write the batch's PDF (atomically: a half-written file is never listed) and return its path."""
    folder = letters_dir(library)
    folder.mkdir(parents=True, exist_ok=True)
    pdf = slip_pdf.render([letters_html(library, notices, now)], "A4", processes=0)
    stamp = now.astimezone(portal_zone()).strftime("%Y%m%d-%H%M%S")
    path = folder / f"letters-{stamp}-{secrets.token_hex(3)}.pdf"
    part = path.with_suffix(".part")
    part.write_bytes(pdf)
    os.replace(part, path)
    return path


def list_letter_files(library) -> list[Path]:
    folder = letters_dir(library)
    if not folder.is_dir():
        return []
    return sorted(folder.glob("letters-*.pdf"), reverse=True)
