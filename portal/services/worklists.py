"""Read queries the staff pages need: work lists, queue totals, the
participant directory and the extra search fields. Nothing here writes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import HistoryEntry, Library, Record, User
from ..workflow.machine import Side
from ..workflow.statuses import Queue, Status, statuses_in_queue
from ..workflow.numbers import clamp_page
from . import portal_zone
from ..workflow.search_terms import grams
from .search import (LATEST_WINDOW, SearchFilters, contains, latest_matches, own_note_contains, page_of, search_query, status_counts,
                     text_term_sets)


def queue_statuses(side: Side) -> list[Status]:
    """Statuses in this side's own queue: it acts next."""
    return statuses_in_queue(Queue(side.value))


def waiting_statuses(side: Side) -> list[Status]:
    """Active statuses where this side waits on the partner."""
    statuses = statuses_in_queue(Queue.LENDER if side is Side.REQUESTER else Queue.REQUESTER)
    if side is Side.LENDER:  # a record in preparation has no lender yet
        statuses.remove(Status.PREPARING)
    return statuses


def queue_totals(library_id: int, counts_of=None) -> dict[str, int]:
    """How many records wait on this library, per side (the header badge).

    `counts_of(side)` gives the side's status counts when the caller already has them
    (a work list page counts once and the badge reuses them); by default they are counted."""
    totals = {}
    for side in Side:
        counts = counts_of(side) if counts_of else status_counts(library_id, side)
        totals[side.value] = sum(counts.get(s.value, 0) for s in queue_statuses(side))
    return totals


@dataclass
class Page:
    rows: list[Record]
    total: int
    page: int
    per_page: int
    last_actions: dict[int, HistoryEntry]
    more: bool = False  # more matches than `total` (counted no further)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def last_actions(record_ids: list[int]) -> dict[int, HistoryEntry]:
    """The latest staff command of each record (system notes left out), one query."""
    if not record_ids:
        return {}
    latest = (select(func.max(HistoryEntry.id))
              .where(HistoryEntry.record_id.in_(record_ids), HistoryEntry.command != "SYSTEM")
              .group_by(HistoryEntry.record_id))
    entries = db.session.scalars(select(HistoryEntry).where(HistoryEntry.id.in_(latest)))
    return {entry.record_id: entry for entry in entries}


def _page(query, page: int, per_page: int, sort: str, library_id: int | None = None,
          total: int | None = None, count_limit: int | None = None) -> Page:
    more = False
    if total is None and count_limit is not None:  # count no further than "more than count_limit"
        total, more = _count_upto(query, count_limit)
    rows, total = page_of(query, page, per_page, sort, library_id=library_id, total=total)
    return Page(rows, total, clamp_page(page, total, per_page), per_page, last_actions([r.id for r in rows]), more)


def _count_upto(query, limit: int) -> tuple[int, bool]:
    """(matches counted up to `limit`, whether there are more)."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).limit(limit + 1).subquery())) or 0
    return min(total, limit), total > limit


def worklist(library_id: int, side: Side, statuses: list[str], kind: str | None = None,
             sort: str = "updated", page: int = 1, per_page: int = 50, due: str | None = None,
             today: date | None = None, due_soon_days: int = 3, total: int | None = None) -> Page:
    """One page of a work list; `total` when the caller knows it from the tab counts (no second count)."""
    filters = SearchFilters(side=side.value, kind=kind, statuses=list(statuses), include_final=False,
                            due=due, today=today, due_soon_days=due_soon_days)
    return _page(search_query(library_id, filters), page, per_page, sort, library_id, total)


@dataclass
class SearchForm:
    """The search page's fields beyond SearchFilters."""

    title: str = ""
    client: str = ""
    local_number: str = ""


#: The search page counts its matches up to this many: past it, "more than" is all a page needs.
SEARCH_COUNT_LIMIT = 1_000


def search_page(library_id: int, filters: SearchFilters, extra: SearchForm, sort: str = "updated",
                page: int = 1, per_page: int = 50, count_limit: int | None = SEARCH_COUNT_LIMIT,
                latest_window: int = LATEST_WINDOW) -> Page:
    """One page of the search page's matches. A common word (more matches than `count_limit`) in the
    default order and without the archive: the latest matches read in order (search.latest_matches),
    not every match fetched and sorted."""
    title, client, number = extra.title.strip(), extra.client.strip(), extra.local_number.strip()
    # every match of a field holds that field's terms: the search index narrows by them too
    extra_terms = grams(title) | grams(client) | grams(number)

    def build(filters_: SearchFilters, use_index: bool = True, former_only: bool = False):
        query = search_query(library_id, filters_, extra_terms, use_index=use_index, former_only=former_only)
        if title:
            query = query.where(or_(contains(Record.title, title), contains(Record.article, title),
                                    contains(Record.bib_note, title)))
        if client:
            query = query.where(contains(Record.client_name, client))
        if number:
            query = query.where(or_(contains(Record.requester_number, number), contains(Record.lender_number, number),
                                    own_note_contains(library_id, number)))
        return query

    query = build(filters)
    text = filters.q.strip()
    indexed = text_term_sets(text) is not None if text else bool(extra_terms)
    if count_limit is None or sort != "updated" or filters.include_archive or not indexed:
        return _page(query, page, per_page, sort, library_id, count_limit=count_limit)
    total, more = _count_upto(query, count_limit)
    page = clamp_page(page, total, per_page)
    ids = latest_matches(library_id, filters, build, page * per_page, latest_window) if more else None
    if ids is None:
        rows, total = page_of(query, page, per_page, sort, library_id=library_id, total=total)
    else:
        shown = ids[(page - 1) * per_page:]
        loaded = {record.id: record for record in db.session.scalars(
            select(Record).where(Record.id.in_(shown)).options(selectinload(Record.requester),
                                                               selectinload(Record.lender)))}
        rows = [loaded[pk] for pk in shown if pk in loaded]
    return Page(rows, total, page, per_page, last_actions([r.id for r in rows]), more)


def participant_libraries(network: str | None = None) -> list[Library]:
    query = select(Library).order_by(Library.network, Library.code)
    if network:
        query = query.where(Library.network == network)
    return list(db.session.scalars(query))


def partner_choices(library_id: int) -> list[tuple[str, str]]:
    """(code, name) of every other library, for the search page's partner select: plain rows, not
    1,000 Library objects."""
    return [tuple(row) for row in db.session.execute(
        select(Library.code, Library.name).where(Library.id != library_id).order_by(Library.network, Library.code))]


def library_users(library_id: int | None = None) -> list[User]:
    query = select(User).order_by(User.library_id, User.username)
    if library_id is not None:
        query = query.where(User.library_id == library_id)
    return list(db.session.scalars(query))


def age_in_days(record: Record, today: date) -> int:
    """Days since the record last changed (in the portal's calendar)."""
    return max(0, (today - record.updated_at.astimezone(portal_zone()).date()).days)

