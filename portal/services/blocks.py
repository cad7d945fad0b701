"""Blocks on patrons and partner libraries (shared/spec: blocks.md).

- every library's code tables (descriptions, definitions) and policy, seeded
  lazily on first use, the same way for old and new libraries;
- manual blocks and lifts;
- the check inside ``records.perform_command`` (``check_command``, before
  ``fire()``): ORDER, BORROW and RENEW refused as the definition's blocked
  action says, an override for the roles allowed, forwarding past lenders that
  block the requester;
- what a late return causes (``after_command``): overdue blocks, demerit points,
  DEMERIT blocks; lifted again when the due date moves past the return;
- the views: a network block as CONSORTIA at the partners, a lender's block on
  a requesting library as FROM_TARGET at that library;
- ``daily_step(today)``: the daily job's part.

Whether a subject is blocked is always computed from the block rows.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from sqlalchemy import String, and_, bindparam, cast, delete, exists, func, or_, select, union_all
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Candidate, HistoryEntry, Library, Record, User
from ..models.block import (Block, BlockDefinition, BlockDescription, BlockJobReport, BlockPolicy, ClosedDate,
                            DemeritPointRule, DemeritPoints, LibraryCalendarSettings)
from ..models.types import utcnow
from ..workflow import blockrules as rules
from ..workflow.errors import Blocked, Forbidden, NotFound, ValidationError
from ..workflow.machine import SYSTEM, CommandContext, Side, check_allowed
from . import portal_today, portal_zone, unit_of_work
from ..workflow.numbers import MAX_INT, parse_int

# -- seeds ------------------------------------------------------------------------

#: code, Japanese, English (seed 001's code table, mapped onto ILL)
SEED_DESCRIPTIONS = [
    ("SUSPENDED", "利用停止中", "User is suspended"),
    ("CONSORTIA", "コンソーシアムブロック", "Consortial block"),
    ("OVERDUE", "延滞資料の返却", "Overdue loan returned late"),
    ("DEMERIT", "デメリットによる利用停止", "Suspended for demerit points"),
    ("FROM_TARGET", "相手館によるブロック", "Blocked by a partner library"),
    ("LATE_RETURNS", "返却の遅延が続いている", "Consistently returns items late"),
    ("DISRUPTIVE", "館内での迷惑行為", "Disruptive behaviour in the library"),
]
#: code: type, overridable, blocked action, network block
SEED_DEFINITIONS = {
    "SUSPENDED": ("general", "managers", "03", False),
    "OVERDUE": ("loan", "managers", "03", False),
    "DEMERIT": ("demerit", "none", "03", False),
    "CONSORTIA": ("consortial", "managers", "03", False),
    "FROM_TARGET": ("consortial", "none", "03", False),
    "LATE_RETURNS": ("user", "managers", "03", True),
    "DISRUPTIVE": ("user", "all", "01", False),
}
SYSTEM_CODES = ("CONSORTIA", "OVERDUE", "DEMERIT", "FROM_TARGET")  # the system uses them: never deleted
#: commands whose check needs the block rows; every other command costs nothing here
FORWARDING = ("ORDER", "FORWARD", "PARDON")
#: the history note of an override (the web shows it translated: labels.SYSTEM_NOTES)
OVERRIDE_NOTE = "Block overridden (ブロックを解除して実行)"
WATCHED = frozenset(FORWARDING) | rules.BLOCKABLE_COMMANDS


def ensure_setup(library_id: int) -> None:
    """Seed a library's descriptions, definitions and policy if it has none yet."""
    if db.session.scalar(select(BlockDescription.id).where(BlockDescription.library_id == library_id).limit(1)):
        return
    try:
        with db.session.begin_nested():
            for position, (code, ja, en) in enumerate(SEED_DESCRIPTIONS):
                description = BlockDescription(library_id=library_id, code=code, description_ja=ja,
                                               description_en=en, position=position, is_default=code == "SUSPENDED")
                db.session.add(description)
                kind, overridable, action, network = SEED_DEFINITIONS[code]
                db.session.add(BlockDefinition(library_id=library_id, description=description, type=kind,
                                               overridable=overridable, blocked_action=action, network_block=network))
            if db.session.scalar(select(BlockPolicy.id).where(BlockPolicy.library_id == library_id)) is None:
                db.session.add(BlockPolicy(library_id=library_id))
    except IntegrityError:  # another request seeded it meanwhile
        pass


def definition_for(library_id: int, code: str) -> BlockDefinition | None:
    ensure_setup(library_id)
    return db.session.scalar(select(BlockDefinition).join(BlockDefinition.description).where(
        BlockDefinition.library_id == library_id, BlockDescription.code == code))


def policy_row(library_id: int) -> BlockPolicy:
    ensure_setup(library_id)
    policy = db.session.scalar(select(BlockPolicy).where(BlockPolicy.library_id == library_id))
    if policy is None:
        policy = BlockPolicy(library_id=library_id)
        db.session.add(policy)
        db.session.flush()
    return policy


def point_rules(library_id: int) -> list[DemeritPointRule]:
    return list(db.session.scalars(select(DemeritPointRule).where(DemeritPointRule.library_id == library_id)
                                   .order_by(DemeritPointRule.id)))


def overdue_policy(policy: BlockPolicy) -> rules.OverduePolicy:
    return rules.OverduePolicy(unit=policy.overdue_unit, value=policy.overdue_value,
                               cumulative=policy.overdue_cumulative, max_days=policy.overdue_max_days,
                               max_per_block=policy.overdue_max_per_block)


def demerit_policy(policy: BlockPolicy) -> rules.DemeritPolicy:
    return rules.DemeritPolicy(
        enabled=policy.demerits_enabled, history_days=policy.demerit_history_days,
        threshold=policy.demerit_threshold, suspension_days=policy.demerit_suspension_days,
        rows=tuple(rules.DemeritRow(r.group, r.kind, r.regular, r.recalled) for r in point_rules(policy.library_id)))


def calendar_for(library_id: int) -> rules.LibraryCalendar:
    settings = db.session.scalar(select(LibraryCalendarSettings).where(LibraryCalendarSettings.library_id == library_id))
    closed = frozenset(db.session.scalars(select(ClosedDate.day).where(ClosedDate.library_id == library_id)))
    if settings is None:
        return rules.LibraryCalendar(closed_dates=closed, public_holidays=True)
    weekdays = frozenset(int(d) for d in settings.closed_weekdays.split(",") if parse_int(d.strip()) is not None)
    return rules.LibraryCalendar(closed_weekdays=weekdays, closed_dates=closed,
                                 public_holidays=settings.public_holidays)


# -- the views of a block ----------------------------------------------------------------

@dataclass
class BlockView:
    """A block as one library sees it: its own, a partner's network block (CONSORTIA),
    or a lender's block on this library (FROM_TARGET)."""

    block: Block
    definition: BlockDefinition  # the viewer's: its own, or its CONSORTIA / FROM_TARGET definition
    view: str  # own | consortia | from_target
    today: date

    @property
    def active(self) -> bool:
        return self.block.is_active(self.today)

    @property
    def code(self) -> str:
        return self.definition.code

    @property
    def actions(self) -> list[str]:
        """What it stops: at the lender for FROM_TARGET (the lender's definition), else here."""
        definition = self.block.definition if self.view == "from_target" else self.definition
        return sorted(rules.BLOCKED_ACTIONS.get(definition.blocked_action, ()))

    def description(self, language: str) -> str:
        return self.definition.description.text(language)

    def note(self, language: str) -> str:
        block = self.block
        if self.view == "own":
            return block.note
        original = block.definition.description.text(language)
        until = block.expires.isoformat() if block.expires else ("解除まで" if language == "ja" else "until lifted")
        if self.view == "consortia":
            text = (f"{block.library.code} の {original} ({block.definition.code})" if language == "ja"
                    else f"{original} ({block.definition.code}) at {block.library.code}")
        else:
            text = (f"{block.library.code} によるブロック: {original}、{until}" if language == "ja"
                    else f"blocked by {block.library.code} for {original.lower()} until {until}")
        return text + (f" — {block.note}" if block.note else "")

    def subject_label(self) -> str:
        block = self.block
        if block.patron_id is not None:
            return f"{block.patron.name} ({block.patron.number})"
        return block.partner.code if self.view != "from_target" else block.library.code

    def as_dict(self, language: str = "en") -> dict:
        block = self.block
        if block.patron_id is not None:
            subject = {"patron": block.patron.number}
        elif self.view == "from_target":
            subject = {"library": block.partner.code, "blocked_by": block.library.code}
        else:
            subject = {"library": block.partner.code}
        return {
            "id": block.id, "subject": subject, "definition": self.code, "description": self.description(language),
            "actions": self.actions, "blocked_action": self.definition.blocked_action,
            "overridable": self.definition.overridable if self.view == "own" else "none",
            "origin": "network" if self.view != "own" else block.origin, "view": self.view,
            "library": block.library.code, "note": self.note(language),
            "starts": block.starts.isoformat(), "expires": block.expires.isoformat() if block.expires else None,
            "lifted_at": block.lifted_at.isoformat() if block.lifted_at else None,
            "lift_reason": block.lift_reason or None, "active": self.active,
            "record": str(Record(id=block.record_id).ill_id) if block.record_id else None,
        }


def _views(library_id: int, rows, today: date) -> list[BlockView]:
    """Block rows as library_id sees them, newest first."""
    consortia = from_target = None
    views = []
    for block in rows:
        if block.library_id == library_id:
            views.append(BlockView(block, block.definition, "own", today))
        elif block.partner_id == library_id:
            from_target = from_target or definition_for(library_id, "FROM_TARGET")
            if from_target is not None:
                views.append(BlockView(block, from_target, "from_target", today))
        elif block.definition.network_block and block.partner_id is not None:
            consortia = consortia or definition_for(library_id, "CONSORTIA")
            if consortia is not None:
                views.append(BlockView(block, consortia, "consortia", today))
    views.sort(key=lambda v: (not v.active, -v.block.id))
    return views


def _network_visible(library_id: int):
    """SQL filter: every block row library_id may see."""
    network = select(BlockDefinition.id).where(BlockDefinition.network_block.is_(True))
    return or_(Block.library_id == library_id, Block.partner_id == library_id,
               and_(Block.partner_id.is_not(None), Block.definition_id.in_(network)))


def blocks_for_patron(library_id: int, patron_id: int, active_only: bool = False) -> list[BlockView]:
    today = portal_today()
    query = select(Block).where(Block.library_id == library_id, Block.patron_id == patron_id)
    if active_only:
        query = query.where(Block.active_on(today))
    return _views(library_id, db.session.scalars(query), today)


def blocks_for_partner(library_id: int, partner_id: int, active_only: bool = False) -> list[BlockView]:
    """A partner's blocks as library_id sees them: its own and the partners' network blocks;
    for library_id's own code: the blocks lenders put on it (FROM_TARGET)."""
    today = portal_today()
    if partner_id == library_id:
        query = select(Block).where(Block.partner_id == library_id)
    else:
        network = select(BlockDefinition.id).where(BlockDefinition.network_block.is_(True))
        query = select(Block).where(Block.partner_id == partner_id, or_(
            Block.library_id == library_id, and_(Block.definition_id.in_(network), Block.library_id != library_id)))
    if active_only:
        query = query.where(Block.active_on(today))
    return _views(library_id, db.session.scalars(query), today)


def all_blocks(library_id: int, active_only: bool = False) -> list[BlockView]:
    today = portal_today()
    query = select(Block).where(_network_visible(library_id))
    if active_only:
        query = query.where(Block.active_on(today))
    return _views(library_id, db.session.scalars(query.order_by(Block.id.desc()).limit(500)), today)


def partner_blocked(library_id: int, today: date):
    """SQL filter on blocks: a block library_id sees on a partner today (its own, or a network block)."""
    network = select(BlockDefinition.id).where(BlockDefinition.network_block.is_(True))
    return and_(Block.active_on(today), or_(Block.library_id == library_id, Block.definition_id.in_(network)))


def blocked_partner_ids(library_id: int, partner_ids) -> set[int]:
    """Which of these partners library_id sees as blocked now (own or network blocks): list marks."""
    ids = [i for i in set(partner_ids) if i is not None and i != library_id]
    if not ids:
        return set()
    return set(db.session.scalars(_blocked_partners_query(),
                                  {"ids": ids, "library_id": library_id, "today": portal_today()}))


def blocked_parties_column(library_id, today):
    """SQL, a column of a statement of records: which of the record's parties and candidates
    `library_id` sees as blocked on `today` (blocked_partner_ids's answer for them), as one text of
    ids ("3,17", None for none), so that the record page reads them along with the record;
    `ids_of_text` reads it."""
    parties = union_all(
        select(Record.requester_id.label("id")).correlate(Record), select(Record.lender_id).correlate(Record),
        select(Candidate.library_id).where(Candidate.record_id == Record.id).correlate(Record)).subquery()
    return (select(func.aggregate_strings(cast(Block.partner_id, String), ","))
            .join_from(parties, Block, Block.partner_id == parties.c.id)  # a probe of ix_blocks_partner_library each
            .where(Block.partner_id != library_id, partner_blocked(library_id, today))
            .scalar_subquery())


def ids_of_text(ids: str | None) -> set[int]:
    """The ids of blocked_parties_column's text."""
    return {int(i) for i in (ids or "").split(",") if i}


@cache
def _blocked_partners_query():
    """blocked_partner_ids's statement, built once (every record page asks it)."""
    return select(Block.partner_id).where(Block.partner_id.in_(bindparam("ids", expanding=True)),
                                          partner_blocked(bindparam("library_id"), bindparam("today")))


def blocked_patron_ids(library_id: int, patron_ids) -> set[int]:
    ids = [i for i in set(patron_ids) if i is not None]
    if not ids:
        return set()
    return set(db.session.scalars(select(Block.patron_id).where(
        Block.library_id == library_id, Block.patron_id.in_(ids), Block.active_on(portal_today()))))


def lenders_blocking(requester_id: int, lender_ids, today: date | None = None) -> dict[int, BlockView]:
    """Lenders among lender_ids that refuse requests (ORDER) from requester_id now, with the block."""
    today = today or portal_today()
    lender_ids = [i for i in set(lender_ids) if i is not None and i != requester_id]
    if not lender_ids:
        return {}
    rows = db.session.execute(
        select(Block, BlockDefinition).join(BlockDefinition, Block.definition_id == BlockDefinition.id)
        .where(Block.partner_id == requester_id, Block.active_on(today),
               or_(Block.library_id.in_(lender_ids), BlockDefinition.network_block.is_(True)))).all()
    return _partner_hits(rows, lender_ids, "ORDER", today)


def _partner_hits(rows, lender_ids, command: str, today: date) -> dict[int, BlockView]:
    """For each lender, the first block (own, or a network block through its CONSORTIA) stopping command."""
    hits: dict[int, BlockView] = {}
    consortia_of: dict[int, BlockDefinition | None] = {}  # one lookup per lender, not one per network row
    for lender_id in lender_ids:
        for block, definition in rows:
            if block.library_id == lender_id:
                view = BlockView(block, definition, "own", today)
            elif definition.network_block:
                if lender_id not in consortia_of:
                    consortia_of[lender_id] = definition_for(lender_id, "CONSORTIA")
                consortia = consortia_of[lender_id]
                if consortia is None:
                    continue
                view = BlockView(block, consortia, "consortia", today)
            else:
                continue
            if rules.stops(view.definition.blocked_action, command):
                hits[lender_id] = view
                break
    return hits


# -- manual blocks and lifts ---------------------------------------------------------------

MAX_NOTE = 2000


def notify(notice_type: str, block: Block, today: date) -> None:
    """BLOCK_APPLIED / BLOCK_LIFTED to the patron, in the caller's transaction (if the library wants it)."""
    from .notices.blocks import queue_block_notice  # the notices package imports services that import this one

    queue_block_notice(notice_type, block, today)


def _parse_date(value, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({field: "Must be a date like 2026-04-01."}) from None


def _patron(library_id: int, number: str):
    from ..models import Patron
    patron = db.session.scalar(select(Patron).where(Patron.library_id == library_id, Patron.number == number))
    if patron is None:
        raise ValidationError({"patron": "No patron %(number)s in your library." % {"number": number[:64]}})
    return patron


def create_block(actor: User, data: dict, origin: str = "manual") -> BlockView:
    """A block on a patron of the actor's library ({"patron": NUMBER}) or a partner ({"library": CODE})."""
    errors: dict[str, str] = {}
    patron_number = str(data.get("patron") or "").strip()
    library_code = str(data.get("library") or "").strip()
    patron = partner = None
    if bool(patron_number) == bool(library_code):
        errors["subject"] = "Give a patron or a library, not both."
    elif patron_number:
        try:
            patron = _patron(actor.library_id, patron_number)
        except ValidationError as error:
            errors.update(error.fields)
    else:
        partner = db.session.scalar(select(Library).where(Library.code == library_code))
        if partner is None:
            errors["library"] = f"No participant library {library_code[:20]!r}."
        elif partner.id == actor.library_id:
            errors["library"] = "A library cannot block itself."
    code = str(data.get("definition") or "").strip()
    definition = definition_for(actor.library_id, code) if code else None
    if definition is None:
        errors["definition"] = "Choose a block definition of your library."
    elif not definition.description.enabled:
        errors["definition"] = "This block description is disabled."
    elif definition.code in ("CONSORTIA", "FROM_TARGET"):
        errors["definition"] = "This definition is only for blocks shared by partner libraries."
    note = str(data.get("note") or "").strip()
    if len(note) > MAX_NOTE:
        errors["note"] = "Is too long."
    today = portal_today()
    try:
        expires = _parse_date(data.get("expires"), "expires")
    except ValidationError as error:
        errors.update(error.fields)
        expires = None
    if expires is not None and expires <= today:
        errors["expires"] = "The expiry must be after today."
    if errors:
        raise ValidationError(errors)
    with unit_of_work():
        block = Block(library_id=actor.library_id, patron_id=patron.id if patron else None,
                      partner_id=partner.id if partner else None, definition_id=definition.id, origin=origin,
                      note=note, starts=today, expires=expires, created_by_id=actor.id)
        db.session.add(block)
        notify("BLOCK_APPLIED", block, today)
    return BlockView(block, definition, "own", today)


def load_block(library_id: int, block_id) -> Block:
    """A block the library may see (its own, a network block, one on itself): NotFound otherwise."""
    pk = parse_int(block_id, 1, MAX_INT)
    block = db.session.get(Block, pk) if pk else None
    if block is None or not _views(library_id, [block], portal_today()):
        raise NotFound("No block %(id)s.", id=str(block_id)[:20])
    return block


def view_of(library_id: int, block: Block) -> BlockView:
    return _views(library_id, [block], portal_today())[0]


def lift_block(actor: User, block_id, reason: str) -> BlockView:
    block = load_block(actor.library_id, block_id)
    if block.library_id != actor.library_id:
        raise Forbidden("Only the library that made a block can lift it.")
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "A reason is required."})
    if len(reason) > MAX_NOTE:
        raise ValidationError({"reason": "Is too long."})
    if block.lifted_at is not None:
        raise ValidationError({"reason": "This block was already lifted."}, "This block was already lifted.")
    with unit_of_work():
        block.lifted_at, block.lifted_by_id, block.lift_reason = utcnow(), actor.id, reason
        notify("BLOCK_LIFTED", block, portal_today())
    return view_of(actor.library_id, block)


def is_blocked(library_id: int, patron_id: int | None = None, partner_id: int | None = None,
               today: date | None = None) -> bool:
    """Whether the library's own rows block the subject on that day (computed, never stored)."""
    subject = Block.patron_id == patron_id if patron_id is not None else Block.partner_id == partner_id
    return db.session.scalar(select(exists().where(Block.library_id == library_id, subject,
                                                   Block.active_on(today or portal_today())))) or False


# -- the check inside perform_command ----------------------------------------------------------

def _lender_ids_for(record: Record, command: str) -> list[int]:
    if command in ("BORROW", "RENEW"):
        return [record.lender_id] if record.lender_id else []
    if command == "ORDER":
        return [c.library_id for c in record.candidates]
    if command in ("FORWARD", "PARDON"):
        return [c.library_id for c in record.candidates if not c.tried]
    return []


def _blocked_error(command: str, view: BlockView, overridable: bool, language: str = "en") -> Blocked:
    block = view.block
    params = {"command": command, "description": view.description("en"), "note": view.note("en"),
              "until": block.expires.isoformat() if block.expires else ""}
    if view.view == "own" and block.patron_id is not None:
        params["subject"] = f"{block.patron.name} ({block.patron.number})"
        template = ("%(command)s refused: %(subject)s is blocked (%(description)s) until %(until)s. %(note)s"
                    if block.expires else
                    "%(command)s refused: %(subject)s is blocked (%(description)s) until the block is lifted. %(note)s")
    else:
        params["lender"] = db.session.get(Library, view.definition.library_id).code  # whose definition applies
        template = ("%(command)s refused: %(lender)s blocks requests from your library (%(description)s) "
                    "until %(until)s. %(note)s" if block.expires else
                    "%(command)s refused: %(lender)s blocks requests from your library (%(description)s) "
                    "until the block is lifted. %(note)s")
    return Blocked(template, view=view, overridable=overridable, **params)


def _concerning_blocks():
    """SQL: the blocks active on :today that concern a command: the requester's own blocks on
    :patron, and blocks on :requester by one of :lenders or by the network (a NULL :patron and an
    empty :lenders match nothing)."""
    return and_(Block.active_on(bindparam("today")),
                or_(and_(Block.patron_id == bindparam("patron"), Block.library_id == bindparam("requester")),
                    and_(Block.partner_id == bindparam("requester"),
                         or_(Block.library_id.in_(bindparam("lenders", expanding=True)),
                             BlockDefinition.network_block.is_(True)))))


# Built once: most commands meet no block, and for them the check is this one small query,
# without building a statement or loading rows each time (the benchmark's "block check" goal).
_ANY_BLOCK = (select(Block.id).join(BlockDefinition, Block.definition_id == BlockDefinition.id)
              .where(_concerning_blocks()).limit(1))
_BLOCK_ROWS = (select(Block, BlockDefinition).join(BlockDefinition, Block.definition_id == BlockDefinition.id)
               .where(_concerning_blocks()))


def check_command(actor: User, record: Record, ctx: CommandContext, data: dict) -> list[str]:
    """Refuse a blocked ORDER, BORROW or RENEW (Blocked), or let an override through.

    Fills ``ctx.blocked_lenders`` for forwarding. Returns the history notes of
    the overrides used. One indexed query for the commands concerned, none otherwise.
    """
    command = ctx.command
    if command not in WATCHED or record.kind not in ("copy", "loan"):
        return []
    if command in rules.BLOCKABLE_COMMANDS and ctx.side is not Side.REQUESTER:
        return []
    check_allowed(record, ctx)  # a command the status refuses is refused for that reason, not a block
    patron_id = getattr(record, "patron_id", None) if command in rules.BLOCKABLE_COMMANDS else None
    lender_ids = _lender_ids_for(record, command)
    if patron_id is None and not lender_ids:
        return []
    params = {"today": ctx.today, "patron": patron_id, "requester": record.requester_id, "lenders": list(lender_ids)}
    if db.session.execute(_ANY_BLOCK, params).first() is None:
        return []
    rows = db.session.execute(_BLOCK_ROWS, params).all()
    partner_rows = [(b, d) for b, d in rows if b.partner_id is not None]
    if command in FORWARDING:
        hits = _partner_hits(partner_rows, lender_ids, "ORDER", ctx.today)
        ctx.blocked_lenders = {lender_id: view.code for lender_id, view in hits.items()}
        remaining = [c for c in record.candidates if c.library_id in lender_ids and c.offers_service(record.kind)]
        if command != "PARDON" and remaining and all(c.library_id in hits for c in remaining):
            raise _blocked_error(command, hits[remaining[0].library_id], overridable=False)
    elif partner_rows:
        hits = _partner_hits(partner_rows, lender_ids, command, ctx.today)
        if hits:  # a lender's block: only the lender could override it
            raise _blocked_error(command, next(iter(hits.values())), overridable=False)
    notes = []
    if command in rules.BLOCKABLE_COMMANDS:
        patron_views = [BlockView(b, d, "own", ctx.today) for b, d in rows
                        if b.patron_id is not None and rules.stops(d.blocked_action, command)]
        if patron_views:
            may = all(rules.may_override(v.definition.overridable, actor.role) for v in patron_views)
            reason = _override_reason(data)
            if not (may and reason):
                raise _blocked_error(command, patron_views[0], overridable=may)
            for view in patron_views:
                notes.append(f"{OVERRIDE_NOTE} by {actor.username}: {view.code} #{view.block.id} — {reason}")
    return notes


def _override_reason(data: dict) -> str:
    override = data.get("override")
    if isinstance(override, dict):
        return str(override.get("reason") or "").strip()[:MAX_NOTE]
    return ""


def write_overrides(actor: User, record: Record, ctx: CommandContext, notes: list[str]) -> None:
    for note in notes:
        record.history.append(HistoryEntry(command=SYSTEM, from_status=record.status, to_status=record.status,
                                           side=ctx.side.value, library_id=actor.library_id, user_id=actor.id,
                                           user_name=actor.username, comment=note))


# -- late returns ------------------------------------------------------------------------------

def after_command(actor: User, record: Record, ctx: CommandContext, from_status: str) -> None:
    """What a command on a loan causes: overdue blocks and demerits for a late return;
    the overdue blocks of this record lifted when it was not late after all."""
    if record.kind != "loan" or ctx.command not in ("SENDBACK", "RECEIVE", "CLAIM", "CALLBACK"):
        return
    if ctx.command == "SENDBACK" and getattr(record, "patron_id", None) is not None:
        _late_return(record.requester_id, record, ctx.today, patron=record.patron,
                     returned=record.patron_returned_on)
    elif ctx.command == "RECEIVE" and from_status == "RETURNED":
        _late_return(record.lender_id, record, ctx.today, partner_id=record.requester_id,
                     returned=record.sent_back_on)
    if ctx.command in ("CLAIM", "CALLBACK", "RECEIVE"):
        _reconcile(record)


def _recalled(record: Record) -> bool:
    """The lender shortened the due date at some point (a recall)."""
    for entry in record.history:
        old = (entry.undo or {}).get("due_on")
        if entry.command == "CLAIM" and old and record.due_on and date.fromisoformat(old) > record.due_on:
            return True
    return False


def _subject_filter(model, patron_id, partner_id):
    return model.patron_id == patron_id if patron_id is not None else model.partner_id == partner_id


def _late_return(library_id: int | None, record: Record, today: date, returned: date | None,
                 patron=None, partner_id: int | None = None) -> None:
    due = record.due_on
    if library_id is None or due is None or returned is None or returned <= due:
        return
    patron_id = patron.id if patron is not None else None
    policy = policy_row(library_id)
    days = rules.overdue_days(due, returned)
    existing = db.session.scalars(select(Block).where(
        Block.library_id == library_id, Block.origin == "overdue", _subject_filter(Block, patron_id, partner_id)))
    periods = [rules.Period(b.starts, b.ended_on(_local_day(b.lifted_at))) for b in existing]
    expires = rules.overdue_block_expiry(overdue_policy(policy), today, due, returned, periods,
                                         calendar_for(library_id))
    note = f"ILL {record.ill_id}: 延滞 {days} 日 / {days} days overdue"
    if expires is not None:
        definition = definition_for(library_id, "OVERDUE")
        if definition is not None:
            block = Block(library_id=library_id, patron_id=patron_id, partner_id=partner_id,
                          definition_id=definition.id, origin="overdue", note=note, starts=today,
                          expires=expires, record_id=record.id)
            db.session.add(block)
            notify("BLOCK_APPLIED", block, today)
    demerits = demerit_policy(policy)
    if demerits.enabled:
        group = patron.group if patron is not None else rules.PARTNER_GROUP
        points = rules.demerit_points(demerits.rows, group or "", record.kind, _recalled(record))
        if points > 0:
            db.session.add(DemeritPoints(library_id=library_id, patron_id=patron_id, partner_id=partner_id,
                                         points=points, earned_on=today, record_id=record.id))
            db.session.flush()
            apply_demerit_block(library_id, patron_id, partner_id, today, demerits)


def _local_day(moment) -> date | None:
    return moment.astimezone(portal_zone()).date() if moment is not None else None


def _reconcile(record: Record) -> None:
    """Lift this record's overdue blocks (and drop its unspent points) if the return is not late any more."""
    blocks = list(db.session.scalars(select(Block).where(Block.record_id == record.id, Block.origin == "overdue",
                                                         Block.lifted_at.is_(None))))
    points = list(db.session.scalars(select(DemeritPoints).where(DemeritPoints.record_id == record.id,
                                                                 DemeritPoints.spent_by_id.is_(None))))
    for item in blocks + points:
        if _still_late(record, item.patron_id is not None):
            continue
        if isinstance(item, Block):
            item.lifted_at, item.lift_reason = utcnow(), "The due date is now on or after the return (期限変更)."
            notify("BLOCK_LIFTED", item, portal_today())
        else:
            db.session.delete(item)


def _still_late(record: Record, for_patron: bool) -> bool:
    """Patron: the patron's return (kept while the loan is sent back) after the due date;
    partner: the send-back date after it, once the lender received the return."""
    due = record.due_on
    returned = record.patron_returned_on if for_patron else (record.sent_back_on if record.return_received_on else None)
    return due is not None and returned is not None and returned > due


def _earned(library_id: int, patron_id, partner_id) -> list[rules.EarnedPoints]:
    rows = db.session.scalars(select(DemeritPoints).where(
        DemeritPoints.library_id == library_id, _subject_filter(DemeritPoints, patron_id, partner_id)))
    return [rules.EarnedPoints(p.id, p.earned_on, p.points, p.spent_by_id is not None) for p in rows]


def _demerit_suspended(library_id: int, patron_id, partner_id, today: date) -> bool:
    return bool(db.session.scalar(select(exists().where(
        Block.library_id == library_id, Block.origin == "demerit", _subject_filter(Block, patron_id, partner_id),
        Block.active_on(today)))))


def apply_demerit_block(library_id: int, patron_id, partner_id, today: date,
                        demerits: rules.DemeritPolicy | None = None, starts: date | None = None) -> Block | None:
    """A DEMERIT block if the points in the window exceed the threshold; the points it used are spent."""
    demerits = demerits or demerit_policy(policy_row(library_id))
    suspended = _demerit_suspended(library_id, patron_id, partner_id, today)
    spend = rules.demerit_points_to_spend(demerits, _earned(library_id, patron_id, partner_id), today, suspended)
    definition = definition_for(library_id, "DEMERIT") if spend else None
    if not spend or definition is None:
        return None
    starts = starts or today
    total = sum(p.points for p in spend)
    block = Block(library_id=library_id, patron_id=patron_id, partner_id=partner_id, definition_id=definition.id,
                  origin="demerit", starts=starts, expires=starts + timedelta(days=demerits.suspension_days),
                  note=f"デメリット {total} 点 / {total} demerit points (> {demerits.threshold})")
    db.session.add(block)
    db.session.flush()
    ids = [p.id for p in spend]
    for row in db.session.scalars(select(DemeritPoints).where(DemeritPoints.id.in_(ids))):
        row.spent_by_id = block.id
    notify("BLOCK_APPLIED", block, today)
    return block


# -- the daily job ------------------------------------------------------------------------------

@dataclass
class DailyBlocks:
    """What the daily step did: one line per block ended or applied."""

    lines: list[str]

    def summary(self) -> str:
        ended = sum(1 for line in self.lines if line.endswith("expired"))
        return f"{ended} block(s) ended, {len(self.lines) - ended} DEMERIT block(s) applied"


def daily_step(today: date) -> DailyBlocks:
    """The daily job's block step (services.daily runs it), one transaction; safe to run twice."""
    with unit_of_work():
        return DailyBlocks(daily_changes(today))


def daily_changes(today: date) -> list[str]:
    """Report what expired, continue or apply DEMERIT blocks; safe to run twice for a date.

    Expired blocks need no change (activity is computed from the dates); the
    report keeps what ended and why. A DEMERIT suspension that ends while the
    threshold is exceeded again (points earned during it) is followed by the next.
    """
    lines = []
    reported = select(BlockJobReport.block_id).where(BlockJobReport.action == "expired")
    expired = list(db.session.scalars(select(Block).where(
        Block.lifted_at.is_(None), Block.expires.is_not(None), Block.expires <= today,
        Block.id.not_in(reported)).order_by(Block.id)))
    for block in expired:
        detail = f"{block.definition.code} ended on {block.expires.isoformat()}"
        db.session.add(BlockJobReport(library_id=block.library_id, run_date=today, block_id=block.id,
                                      action="expired", detail=detail))
        lines.append(f"block {block.id} ({block.definition.code}) expired")
        follow = None
        if block.origin == "demerit":
            follow = apply_demerit_block(block.library_id, block.patron_id, block.partner_id, today)
            if follow is not None:
                _report_applied(follow, today, f"DEMERIT again after block {block.id}: threshold exceeded")
                lines.append(f"block {follow.id} (DEMERIT) applied after {block.id}")
        if follow is None:  # a suspension followed by the next is not "open again"
            notify("BLOCK_LIFTED", block, today)
    # subjects over the threshold without a suspension (e.g. the policy changed)
    subjects = db.session.execute(select(DemeritPoints.library_id, DemeritPoints.patron_id, DemeritPoints.partner_id)
                                  .where(DemeritPoints.spent_by_id.is_(None)).distinct()).all()
    for library_id, patron_id, partner_id in subjects:
        block = apply_demerit_block(library_id, patron_id, partner_id, today)
        if block is not None:
            _report_applied(block, today, "DEMERIT: threshold exceeded")
            lines.append(f"block {block.id} (DEMERIT) applied")
    db.session.flush()
    return lines


def _report_applied(block: Block, today: date, detail: str) -> None:
    db.session.add(BlockJobReport(library_id=block.library_id, run_date=today, block_id=block.id,
                                  action="applied", detail=detail))


def job_report(library_id: int, limit: int = 200) -> list[BlockJobReport]:
    return list(db.session.scalars(select(BlockJobReport).where(BlockJobReport.library_id == library_id)
                                   .order_by(BlockJobReport.run_date.desc(), BlockJobReport.id.desc()).limit(limit)))


# -- settings: descriptions, definitions, policy ----------------------------------------------------

def descriptions(library_id: int) -> list[BlockDescription]:
    ensure_setup(library_id)
    return list(db.session.scalars(select(BlockDescription).where(BlockDescription.library_id == library_id)
                                   .order_by(BlockDescription.position, BlockDescription.id)))


def definitions(library_id: int) -> list[BlockDefinition]:
    ensure_setup(library_id)
    return list(db.session.scalars(select(BlockDefinition).join(BlockDefinition.description)
                                   .where(BlockDefinition.library_id == library_id)
                                   .order_by(BlockDescription.position, BlockDescription.id)))


def manual_definitions(library_id: int) -> list[BlockDefinition]:
    """What staff may choose when blocking someone."""
    return [d for d in definitions(library_id)
            if d.description.enabled and d.code not in ("CONSORTIA", "FROM_TARGET")]


def _description(library_id: int, description_id) -> BlockDescription:
    pk = parse_int(description_id, 1, MAX_INT)
    row = db.session.get(BlockDescription, pk) if pk else None
    if row is None or row.library_id != library_id:
        raise NotFound("No such block description.")
    return row


def _clean_description(data: dict) -> dict:
    errors = {}
    code = str(data.get("code") or "").strip().upper()
    if not code or len(code) > 20 or not all(ch.isalnum() or ch == "_" for ch in code):
        errors["code"] = "A code of 1 to 20 letters, digits or _ is required."
    ja = str(data.get("description_ja") or "").strip()
    en = str(data.get("description_en") or "").strip()
    if not (ja or en):
        errors["description_en"] = "A description is required."
    for key, value in (("description_ja", ja), ("description_en", en)):
        if len(value) > 200:
            errors[key] = "Is too long."
    if errors:
        raise ValidationError(errors)
    return {"code": code, "description_ja": ja, "description_en": en}


def _clean_definition(data: dict) -> dict:
    errors = {}
    kind = str(data.get("type") or "general")
    if kind not in rules.DEFINITION_TYPES:
        errors["type"] = "Choose a block type."
    overridable = str(data.get("overridable") or "none")
    if overridable not in rules.OVERRIDABLE:
        errors["overridable"] = "Must be none, managers or all."
    action = str(data.get("blocked_action") or "03")
    if action not in rules.BLOCKED_ACTIONS:
        errors["blocked_action"] = "Must be 01, 02 or 03."
    if errors:
        raise ValidationError(errors)
    network = data.get("network_block")
    return {"type": kind, "overridable": overridable, "blocked_action": action,
            "network_block": network in (True, "1", "true", "on", "y")}


def add_description(actor: User, data: dict) -> BlockDescription:
    """A new description with its definition (type, overridable, blocked action, network)."""
    ensure_setup(actor.library_id)
    values, definition = _clean_description(data), _clean_definition(data)
    if db.session.scalar(select(BlockDescription.id).where(BlockDescription.library_id == actor.library_id,
                                                          BlockDescription.code == values["code"])):
        raise ValidationError({"code": "The code %(code)s is taken." % values})
    position = (db.session.scalar(select(func.max(BlockDescription.position))
                                  .where(BlockDescription.library_id == actor.library_id)) or 0) + 1
    with unit_of_work():
        description = BlockDescription(library_id=actor.library_id, position=position, updated_by=actor.username,
                                       **values)
        db.session.add(description)
        db.session.add(BlockDefinition(library_id=actor.library_id, description=description,
                                       updated_by=actor.username, **definition))
    return description


def update_description(actor: User, description_id, data: dict) -> BlockDescription:
    row = _description(actor.library_id, description_id)
    values, definition_values = _clean_description({"code": row.code, **data}), _clean_definition(data)
    if row.code in SYSTEM_CODES and values["code"] != row.code:
        raise ValidationError({"code": "The system uses this code: it cannot change."})
    if values["code"] != row.code and db.session.scalar(select(BlockDescription.id).where(
            BlockDescription.library_id == actor.library_id, BlockDescription.code == values["code"])):
        raise ValidationError({"code": "The code %(code)s is taken." % values})
    definition = db.session.scalar(select(BlockDefinition).where(BlockDefinition.description_id == row.id))
    with unit_of_work():
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_by, row.updated_at = actor.username, utcnow()
        if definition is None:
            db.session.add(BlockDefinition(library_id=actor.library_id, description=row, updated_by=actor.username,
                                           **definition_values))
        else:
            for name, value in definition_values.items():
                setattr(definition, name, value)
            definition.updated_by, definition.updated_at = actor.username, utcnow()
    return row


def set_enabled(actor: User, description_id, enabled: bool) -> None:
    row = _description(actor.library_id, description_id)
    with unit_of_work():
        row.enabled, row.updated_by, row.updated_at = bool(enabled), actor.username, utcnow()


def set_default(actor: User, description_id) -> None:
    row = _description(actor.library_id, description_id)
    with unit_of_work():
        for other in descriptions(actor.library_id):
            other.is_default = other.id == row.id
        row.updated_by, row.updated_at = actor.username, utcnow()


def move(actor: User, description_id, step: int) -> None:
    rows = descriptions(actor.library_id)
    row = _description(actor.library_id, description_id)
    index = rows.index(row)
    other = index + (1 if step > 0 else -1)
    if not 0 <= other < len(rows):
        return
    rows[index], rows[other] = rows[other], rows[index]
    with unit_of_work():
        for position, item in enumerate(rows):
            item.position = position
        row.updated_by, row.updated_at = actor.username, utcnow()


def delete_description(actor: User, description_id) -> None:
    row = _description(actor.library_id, description_id)
    if row.code in SYSTEM_CODES:
        raise ValidationError({"code": "The system uses this code: it cannot be deleted."},
                              "The system uses this code: it cannot be deleted.")
    definition = db.session.scalar(select(BlockDefinition).where(BlockDefinition.description_id == row.id))
    if definition is not None and db.session.scalar(select(exists().where(Block.definition_id == definition.id))):
        raise ValidationError({"code": "Blocks use this description: disable it instead."},
                              "Blocks use this description: disable it instead.")
    with unit_of_work():
        if definition is not None:
            db.session.delete(definition)
        db.session.delete(row)


def import_descriptions(actor: User, text: str) -> list[tuple[int, str, str]]:
    """CSV lines code,description_ja,description_en[,type,overridable,blocked_action,network_block]:
    new codes added, existing ones updated; one result per line (line, code, ok|message)."""
    results = []
    reader = csv.reader(io.StringIO(text))
    for line_no, row in enumerate(reader, 1):
        if not row or not any(cell.strip() for cell in row):
            continue
        if line_no == 1 and row[0].strip().lower() == "code":
            continue  # a header line
        cells = [c.strip() for c in row] + [""] * 7
        data = {"code": cells[0], "description_ja": cells[1], "description_en": cells[2],
                "type": cells[3] or "general", "overridable": cells[4] or "managers",
                "blocked_action": cells[5] or "03", "network_block": cells[6].lower() in ("1", "true", "y", "yes")}
        existing = db.session.scalar(select(BlockDescription).where(
            BlockDescription.library_id == actor.library_id, BlockDescription.code == cells[0].upper()))
        try:
            if existing is None:
                add_description(actor, data)
            else:
                update_description(actor, existing.id, data)
        except ValidationError as error:
            results.append((line_no, cells[0], "; ".join(error.fields.values()) or error.message))
        else:
            results.append((line_no, cells[0].upper(), "ok"))
    return results


# -- the policy (api.md GET/PUT /settings/blocks) ---------------------------------------------------

def policy_dict(library_id: int) -> dict:
    policy = policy_row(library_id)
    calendar = db.session.scalar(select(LibraryCalendarSettings).where(LibraryCalendarSettings.library_id == library_id))
    closed = db.session.scalars(select(ClosedDate.day).where(ClosedDate.library_id == library_id)
                                .order_by(ClosedDate.day))
    return {
        "demerits": {"enabled": policy.demerits_enabled, "history_days": policy.demerit_history_days,
                     "threshold": policy.demerit_threshold, "suspension_days": policy.demerit_suspension_days,
                     "points": [{"group": r.group, "kind": r.kind, "regular": r.regular, "recalled": r.recalled}
                                for r in point_rules(library_id)]},
        "overdue": {"unit": policy.overdue_unit, "value": policy.overdue_value,
                    "cumulative": policy.overdue_cumulative, "max_days": policy.overdue_max_days,
                    "max_per_block": policy.overdue_max_per_block},
        "calendar": {"closed_weekdays": [int(d) for d in (calendar.closed_weekdays if calendar else "").split(",")
                                         if parse_int(d.strip()) is not None],
                     "public_holidays": calendar.public_holidays if calendar else True,
                     "closed_dates": [d.isoformat() for d in closed]},
    }


def update_policy(actor: User, settings) -> dict:
    """Store a validated ``BlockSettings`` (services.block_schemas) for the actor's library."""
    if not actor.is_manager:
        raise Forbidden("Only managers change the block settings.")
    library_id = actor.library_id
    policy = policy_row(library_id)
    with unit_of_work():
        if settings.demerits is not None:
            d = settings.demerits
            policy.demerits_enabled, policy.demerit_history_days = d.enabled, d.history_days
            policy.demerit_threshold, policy.demerit_suspension_days = d.threshold, d.suspension_days
            if d.points is not None:
                db.session.execute(delete(DemeritPointRule).where(DemeritPointRule.library_id == library_id))
                for row in d.points:
                    db.session.add(DemeritPointRule(library_id=library_id, group=row.group, kind=row.kind,
                                                    regular=row.regular, recalled=row.recalled))
        if settings.overdue is not None:
            o = settings.overdue
            policy.overdue_unit, policy.overdue_value, policy.overdue_cumulative = o.unit, o.value, o.cumulative
            policy.overdue_max_days, policy.overdue_max_per_block = o.max_days, o.max_per_block
        if settings.calendar is not None:
            c = settings.calendar
            row = db.session.scalar(select(LibraryCalendarSettings).where(
                LibraryCalendarSettings.library_id == library_id))
            if row is None:
                row = LibraryCalendarSettings(library_id=library_id)
                db.session.add(row)
            row.closed_weekdays = ",".join(str(d) for d in sorted(set(c.closed_weekdays)))
            row.public_holidays = c.public_holidays
            if c.closed_dates is not None:
                db.session.execute(delete(ClosedDate).where(ClosedDate.library_id == library_id))
                for day in sorted(set(c.closed_dates)):
                    db.session.add(ClosedDate(library_id=library_id, day=day))
        policy.updated_by, policy.updated_at = actor.username, utcnow()
    return policy_dict(library_id)
