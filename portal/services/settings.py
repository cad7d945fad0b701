"""A library's own settings: comment templates and fee defaults (会計情報初期値)."""
from __future__ import annotations

from ..extensions import db
from ..models import CommentTemplate, FeeDefault, Library
from ..workflow.errors import NotFound, ValidationError
from ..workflow.fees import Fees, compute_fees
from ..workflow.machine import COMMANDS
from . import unit_of_work

MAX_TEMPLATE = 500


def _template(library: Library, template_id: int) -> CommentTemplate:
    template = db.session.get(CommentTemplate, template_id)
    if template is None or template.library_id != library.id:
        raise NotFound("No such comment template.")
    return template


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Enter the comment text."})
    if len(text) > MAX_TEMPLATE:
        raise ValidationError({"text": "Is too long."})
    return text


def templates_by_command(library: Library) -> dict[str, list[CommentTemplate]]:
    grouped: dict[str, list[CommentTemplate]] = {}
    for template in library.templates:
        grouped.setdefault(template.command, []).append(template)
    return grouped


def add_template(library: Library, command: str, text: str) -> CommentTemplate:
    if command not in COMMANDS:
        raise ValidationError({"command": "Choose a command."})
    text = _clean_text(text)
    with unit_of_work():
        position = max((t.position for t in library.templates if t.command == command), default=-1) + 1
        template = CommentTemplate(command=command, text=text, position=position)
        library.templates.append(template)
    return template


def update_template(library: Library, template_id: int, text: str) -> CommentTemplate:
    template = _template(library, template_id)
    text = _clean_text(text)
    with unit_of_work():
        template.text = text
    return template


def delete_template(library: Library, template_id: int) -> None:
    template = _template(library, template_id)
    with unit_of_work():
        library.templates.remove(template)


def move_template(library: Library, template_id: int, offset: int) -> None:
    """Move a template up (-1) or down (+1) among its command's templates."""
    template = _template(library, template_id)
    siblings = sorted((t for t in library.templates if t.command == template.command), key=lambda t: (t.position, t.id))
    index = siblings.index(template)
    target = index + offset
    if not 0 <= target < len(siblings):
        return
    siblings[index], siblings[target] = siblings[target], siblings[index]
    with unit_of_work():
        for position, sibling in enumerate(siblings):
            sibling.position = position


def save_fee_default(library: Library, kind: str, groups: list[dict], base_fee, postage) -> Fees:
    if kind not in ("copy", "loan"):
        raise ValidationError({"kind": "Choose copy or loan."})
    fees = compute_fees(groups, base_fee, postage, library.currency_places)
    with unit_of_work():
        default = library.fee_default(kind)
        if default is None:
            default = FeeDefault(kind=kind)
            library.fee_defaults.append(default)
        default.groups = [{"item": g.item, "quantity": g.quantity, "unit_price": str(g.unit_price)} for g in fees.groups]
        default.base_fee = fees.base_fee
        default.postage = fees.postage
    return fees
