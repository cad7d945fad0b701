"""A library's own settings: comment templates and fee defaults (会計情報初期値)."""
from __future__ import annotations

from ..extensions import db
from ..models import CommentTemplate, FeeDefault, Library
from ..workflow.errors import NotFound, ValidationError
from ..workflow.fees import Fees, compute_fees
from ..workflow.machine import Side, commands_of
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


def templates_for(library: Library, side: Side | str, command: str) -> list[CommentTemplate]:
    """The templates a command form of this side offers, in order."""
    side = Side(side)
    return sorted((t for t in library.templates if t.side == side.value and t.command == command),
                  key=lambda t: (t.position, t.id))


def templates_by_side(library: Library) -> dict[str, dict[str, list[CommentTemplate]]]:
    """{side: {command: templates}} for every command of each side (the settings page)."""
    return {side.value: {command: templates_for(library, side, command) for command in commands_of(side)}
            for side in Side}


def add_template(library: Library, side: str, command: str, text: str, gloss: str = "") -> CommentTemplate:
    if side not in {s.value for s in Side}:
        raise ValidationError({"side": "Choose the requesting or the lending side."})
    if command not in commands_of(Side(side)):
        raise ValidationError({"command": "Choose a command."})
    text = _clean_text(text)
    gloss = (gloss or "").strip()[:200]
    with unit_of_work():
        position = max((t.position for t in templates_for(library, side, command)), default=-1) + 1
        template = CommentTemplate(side=side, command=command, text=text, gloss=gloss, position=position)
        library.templates.append(template)
    return template


def update_template(library: Library, template_id: int, text: str, gloss: str | None = None) -> CommentTemplate:
    template = _template(library, template_id)
    text = _clean_text(text)
    with unit_of_work():
        template.text = text
        if gloss is not None:
            template.gloss = gloss.strip()[:200]
    return template


def delete_template(library: Library, template_id: int) -> None:
    template = _template(library, template_id)
    with unit_of_work():
        library.templates.remove(template)


def move_template(library: Library, template_id: int, offset: int) -> None:
    """Move a template up (-1) or down (+1) among its side's and command's templates."""
    template = _template(library, template_id)
    siblings = templates_for(library, template.side, template.command)
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
