"""Block endpoints of /api/v1 (api.md "Patrons, notices and blocks").

Bodies are the pydantic models of services.block_schemas, declared with
``validation.body`` (checked before the view runs; the same models are the
OpenAPI schemas); the paths are described with ``openapi.add_path``.
"""
from __future__ import annotations

from typing import ClassVar

from flask import g, jsonify
from pydantic import BaseModel, Field
from sqlalchemy import select

from ..extensions import db
from ..models import Library
from ..services import blocks
from ..services.block_schemas import BlockSettings, LiftBlock, NewBlock, parse
from ..services.patrons import find_patron
from ..workflow.errors import Forbidden, NotFound, ValidationError
from . import bp, token_required
from .openapi import REF, add_path, errors, json_content
from .validation import QueryFlag, body, query, register


class BlockQuery(BaseModel):
    """GET /blocks: one patron, one library (as the caller sees it; its own code: FROM_TARGET), or all."""

    model_config = {"extra": "forbid"}
    flat: ClassVar[bool] = False
    patron: str | None = Field(None, max_length=64)
    library: str | None = Field(None, max_length=20)
    active: QueryFlag | None = None


@register
class Block(BaseModel):
    """A block as the caller's library sees it."""

    id: int
    subject: dict = Field(description='{"patron": NUMBER} or {"library": CODE} (FROM_TARGET: and "blocked_by")')
    definition: str = Field(description="the code of the definition that applies here (CONSORTIA, FROM_TARGET …)")
    description: str
    actions: list[str] = Field(description="the commands it stops: BORROW, RENEW, ORDER")
    blocked_action: str
    overridable: str
    origin: str = Field(description="manual | overdue | demerit | network")
    view: str = Field(description="own | consortia (a partner's network block) | from_target (a lender's on you)")
    library: str = Field(description="the library that made the block")
    note: str
    starts: str
    expires: str | None
    lifted_at: str | None
    lift_reason: str | None
    active: bool
    record: str | None = Field(description="the ILL ID the block came from (overdue blocks)")


def _language() -> str:
    return g.api_user.language or "en"


def _manager() -> None:
    if not g.api_user.is_manager:
        raise Forbidden("Only managers change the block settings.")


@bp.post("/blocks")
@token_required
@body(NewBlock)
def create_block(data: dict):
    return jsonify(blocks.create_block(g.api_user, data).as_dict(_language())), 201


@bp.get("/blocks")
@token_required
@query(BlockQuery)
def list_blocks(args: dict):
    user, active = g.api_user, args.get("active")
    if args.get("patron") and args.get("library"):
        raise ValidationError({"patron": "Give a patron or a library, not both."})
    if args.get("patron"):
        patron = find_patron(user.library_id, args["patron"])
        if patron is None:
            raise NotFound("No patron %(number)s in your library.", number=args["patron"])
        views = blocks.blocks_for_patron(user.library_id, patron.id)
    elif args.get("library"):
        library = db.session.scalar(select(Library).where(Library.code == args["library"]))
        if library is None:
            raise NotFound("No library %(code)s.", code=args["library"])
        views = blocks.blocks_for_partner(user.library_id, library.id)
    else:
        views = blocks.all_blocks(user.library_id)
    if active is not None:
        views = [v for v in views if v.active is active]
    return jsonify({"items": [v.as_dict(_language()) for v in views]})


@bp.post("/blocks/<block_id>/lift")
@token_required
@body(LiftBlock)
def lift_block(block_id, data: dict):
    return jsonify(blocks.lift_block(g.api_user, block_id, data["reason"]).as_dict(_language()))


@bp.get("/settings/blocks")
@token_required
def get_block_settings():
    _manager()
    return jsonify(blocks.policy_dict(g.api_user.library_id))


@bp.put("/settings/blocks")
@token_required
@body(BlockSettings)
def put_block_settings(data: dict):
    _manager()
    return jsonify(blocks.update_policy(g.api_user, parse(BlockSettings, data)))


BLOCK = {"$ref": REF.format(model="Block")}
SETTINGS = json_content({"$ref": REF.format(model="BlockSettings")})
BLOCK_ID = {"name": "block_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[0-9]+$"}}
add_path("/blocks", "post", {
    "summary": "Block a patron of the caller's library or a partner library",
    "responses": {"201": {"description": "the block", **json_content(BLOCK)}, **errors(401, 422)}})
add_path("/blocks", "get", {
    "summary": "Blocks as the caller's library sees them: its own, partners' network blocks (CONSORTIA), "
               "lenders' blocks on it (FROM_TARGET)",
    "responses": {"200": {"description": "the blocks", **json_content({
        "type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": BLOCK}}})},
        **errors(401, 404, 422)}})
add_path("/blocks/{block_id}/lift", "post", {
    "summary": "Lift a block the caller's library made", "parameters": [BLOCK_ID],
    "responses": {"200": {"description": "the lifted block", **json_content(BLOCK)}, **errors(401, 403, 404, 422)}})
add_path("/settings/blocks", "get", {
    "summary": "Demerit, overdue-block and calendar settings (managers)",
    "responses": {"200": {"description": "the settings", **SETTINGS}, **errors(401, 403)}})
add_path("/settings/blocks", "put", {
    "summary": "Change the demerit, overdue-block and calendar settings (managers)",
    "responses": {"200": {"description": "the settings", **SETTINGS}, **errors(401, 403, 422)}})
