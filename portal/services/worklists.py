"""Read queries the staff pages need: work lists, queue totals, the
participant directory and the extra search fields. Nothing here writes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import NamedTuple

from sqlalchemy import Integer, bindparam, case, exists, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import HistoryEntry, Library, Record, User
from ..models.block import Block
from ..workflow.machine import Side
from ..workflow.statuses import Queue, Status, statuses_in_queue
from ..workflow.numbers import clamp_page
from . import portal_today, portal_zone
from .blocks import partner_blocked
from ..workflow.search_terms import grams, word_grams
from .search import (LATEST_WINDOW, POSTINGS_WINDOW, SearchFilters, contains, latest_matches, own_note_contains,
                     posting_term, postings_of, search_query, sort_order, status_counts_by_side, text_term_sets)


@cache
def queue_statuses(side: Side) -> tuple[Status, ...]:
    """Statuses in this side's own queue: it acts next (every page's header sums them)."""
    return tuple(statuses_in_queue(Queue(side.value)))


@cache
def waiting_statuses(side: Side) -> tuple[Status, ...]:
    """Active statuses where this side waits on the partner."""
    statuses = statuses_in_queue(Queue.LENDER if side is Side.REQUESTER else Queue.REQUESTER)
    if side is Side.LENDER:  # a record in preparation has no lender yet
        statuses.remove(Status.PREPARING)
    return tuple(statuses)


def queue_totals(library_id: int, counts_of=None) -> dict[str, int]:
    """How many records wait on this library, per side (the header badge).

    `counts_of(side)` gives the side's status counts when the caller already has them
    (a work list page counts once and the badge reuses them); by default they are counted."""
    both = None if counts_of else status_counts_by_side(library_id)
    totals = {}
    for side in Side:
        counts = counts_of(side) if counts_of else both[side]
        totals[side.value] = sum(counts.get(s.value, 0) for s in queue_statuses(side))
    return totals


#: What a row of a work list or search result reads: plain columns, no Record objects (a page of 50
#: Records with their libraries and history entries cost more to build than to fetch).
LIST_COLUMNS = (Record.id, Record.kind, Record.status, Record.archived, Record.requester_id, Record.lender_id,
                Record.title, Record.article, Record.bib_note, Record.ordered_on, Record.due_on,
                Record.renewal_handling, Record.updated_at)
#: ... and what the CSV export adds.
EXPORT_COLUMNS = LIST_COLUMNS + (Record.author, Record.volume, Record.pages, Record.year, Record.std_no,
                                 Record.client_name, Record.requester_number, Record.lender_number, Record.sent_on)


class RowDetails(NamedTuple):
    """What a listed record's row shows beside its own columns (a tuple: fifty a page, made in C)."""

    partner_code: str | None  # the lender of our requests, the requester of the others; None: no lender yet
    partner_name: str
    partner_blocked: bool  # we (or the network) block that partner today
    last_command: str  # the latest staff command ("" if none yet)
    last_at: datetime | None


NO_DETAILS = RowDetails(None, "", False, "", None)


@dataclass
class Page:
    rows: list  # plain rows of LIST_COLUMNS (EXPORT_COLUMNS for the CSV export), in the list's order
    total: int
    page: int
    per_page: int
    details: dict[int, RowDetails]  # by record id
    more: bool = False  # more matches than `total` (counted no further)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def row_details(library_id: int, record_ids: list[int], today: date | None = None) -> dict[int, RowDetails]:
    """Each listed record's partner library (the lender of our requests, the requester of the others),
    whether it is blocked, and the record's latest staff command (system notes left out): one query for
    the whole page."""
    if not record_ids:
        return {}
    statement = _row_details_query(db.session.get_bind().dialect.name == "postgresql")
    rows = db.session.execute(statement, {"library_id": library_id, "ids": record_ids,
                                          "today": today or portal_today()})
    return {pk: RowDetails(code, name or "", bool(blocked), command or "", at)
            for pk, code, name, blocked, command, at in rows}


@cache
def _row_details_query(postgresql: bool):
    """row_details's statement, built once (its parameters bound per page). The partner's code and name
    are looked up by key per row: a join on "whichever party is not us" hashed every library instead.
    On PostgreSQL the page's ids go as one array (= ANY): an IN of fifty parameters is rewritten and
    adapted one by one per page (7% of a work list's instructions)."""
    library_id = bindparam("library_id")
    latest = aliased(HistoryEntry)
    latest_id = (select(func.max(HistoryEntry.id))
                 .where(HistoryEntry.record_id == Record.id, HistoryEntry.command != "SYSTEM")
                 .correlate(Record).scalar_subquery())
    partner_id = case((Record.requester_id == library_id, Record.lender_id), else_=Record.requester_id)
    partner = {column: select(column).where(Library.id == partner_id).correlate(Record).scalar_subquery()
               for column in (Library.code, Library.name)}
    blocked = exists().where(Block.partner_id == partner_id, partner_id != library_id,
                             partner_blocked(library_id, bindparam("today"))).correlate(Record)
    return (select(Record.id, partner[Library.code], partner[Library.name], blocked, latest.command, latest.at)
            .outerjoin(latest, latest.id == latest_id)
            .where(Record.id == func.any(bindparam("ids", type_=ARRAY(Integer))) if postgresql
                   else Record.id.in_(bindparam("ids", expanding=True))))


def rows_of(query, page: int, per_page: int, sort: str, library_id: int, columns=LIST_COLUMNS) -> list:
    """One page of a record query in the chosen order, as plain rows of `columns`."""
    return list(db.session.execute(
        query.with_only_columns(*columns).order_by(*sort_order(sort, library_id))
        .limit(per_page).offset((page - 1) * per_page)))


def rows_by_id(ids: list[int], columns=LIST_COLUMNS) -> list:
    """These records as plain rows, in the order of `ids`."""
    if db.session.get_bind().dialect.name == "postgresql":  # one array, as row_details
        chosen = Record.id == func.any(bindparam(None, list(ids), type_=ARRAY(Integer)))
    else:
        chosen = Record.id.in_(ids)
    found = {row.id: row for row in db.session.execute(select(*columns).where(chosen))}
    return [found[pk] for pk in ids if pk in found]


def _page(query, page: int, per_page: int, sort: str, library_id: int, total: int | None = None,
          count_limit: int | None = None, columns=LIST_COLUMNS) -> Page:
    more = False
    if total is None and count_limit is not None:  # count no further than "more than count_limit"
        total, more = _count_upto(query, count_limit)
    elif total is None:
        total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    page = clamp_page(page, total, per_page)  # past the last page: the last page
    rows = rows_of(query, page, per_page, sort, library_id, columns)
    return Page(rows, total, page, per_page, row_details(library_id, [r.id for r in rows]), more)


def _count_upto(query, limit: int) -> tuple[int, bool]:
    """(matches counted up to `limit`, whether there are more). The limited subquery selects the id alone:
    SQLite cannot flatten a subquery with a LIMIT, and read every column of each of the 1,001 matches
    (a common word at 1M: 7.3 -> 5.4 ms)."""
    limited = query.with_only_columns(Record.id).order_by(None).limit(limit + 1).subquery()
    total = db.session.scalar(select(func.count()).select_from(limited)) or 0
    return min(total, limit), total > limit


def worklist(library_id: int, side: Side, statuses: list[str], kind: str | None = None,
             sort: str = "updated", page: int = 1, per_page: int = 50, due: str | None = None,
             today: date | None = None, due_soon_days: int = 3, total: int | None = None,
             columns=LIST_COLUMNS) -> Page:
    """One page of a work list; `total` when the caller knows it from the tab counts (no second count)."""
    filters = SearchFilters(side=side.value, kind=kind, statuses=list(statuses), include_final=False,
                            due=due, today=today, due_soon_days=due_soon_days)
    return _page(search_query(library_id, filters), page, per_page, sort, library_id, total, columns=columns)


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
                latest_window: int = LATEST_WINDOW, postings_window: int = POSTINGS_WINDOW,
                columns=LIST_COLUMNS) -> Page:
    """One page of the search page's matches. In the default order and without the archive, a single word:
    the library's postings of its rarest n-gram read newest first (_page_of_postings); a common search of
    several words (more matches than `count_limit`): the latest matches read in order
    (search.latest_matches). Neither fetches and sorts every match."""
    title, client, number = extra.title.strip(), extra.client.strip(), extra.local_number.strip()
    # every match of a field holds that field's terms: the search index narrows by them too
    extra_terms = grams(title) | grams(client) | grams(number)

    def build(filters_: SearchFilters, use_index: bool = True, former_only: bool = False, postings=None):
        query = search_query(library_id, filters_, extra_terms, use_index=use_index, former_only=former_only,
                             postings=postings)
        if title:
            query = query.where(or_(contains(Record.title, title), contains(Record.article, title),
                                    contains(Record.bib_note, title)))
        if client:
            query = query.where(contains(Record.client_name, client))
        if number:
            query = query.where(or_(contains(Record.requester_number, number), contains(Record.lender_number, number),
                                    own_note_contains(library_id, number)))
        return query

    text = filters.q.strip()
    term_sets = text_term_sets(text) if text else None
    indexed = term_sets is not None if text else bool(extra_terms)
    if count_limit is None or sort != "updated" or filters.include_archive or not indexed:
        return _page(build(filters), page, per_page, sort, library_id, count_limit=count_limit, columns=columns)
    words = [word for source in (text, title, client, number) for word in word_grams(source)]
    term = None if Record.pk_from_ill_id(text) else posting_term(words, term_sets)
    if term is not None:
        found = _page_of_postings(library_id, lambda postings: build(filters, False, postings=postings), term,
                                  page, per_page, count_limit, postings_window, columns)
        if found is not None:
            return found
    query = build(filters)
    total, more = _count_upto(query, count_limit)
    page = clamp_page(page, total, per_page)
    ids = latest_matches(library_id, filters, build, page * per_page, latest_window) if more else None
    rows = (rows_of(query, page, per_page, sort, library_id, columns) if ids is None
            else rows_by_id(ids[(page - 1) * per_page:], columns))
    return Page(rows, total, page, per_page, row_details(library_id, [r.id for r in rows]), more)


def _page_of_postings(library_id: int, build, term: str, page: int, per_page: int, count_limit: int,
                      window: int, columns) -> Page | None:
    """One page of a single word's matches (latest change first) from the library's postings of the n-gram
    `term`, which every match holds: the matches among the `window` latest postings counted up to
    `count_limit` (with how many postings there are, up to `window`), then the page read along the
    postings newest first. None when the window ends before `count_limit` matches and more postings follow
    (the word is rare among its n-gram's records: the index settles it). `build(postings)` gives the
    search's query over those candidates.

    The count reads at most `window` postings (and their records) at any size; when it finds more than
    `count_limit` matches, every match of the pages it allows lies within them."""
    counted = build(postings_of(library_id, term, newest=window)).with_only_columns(Record.id).order_by(None)
    postings = postings_of(library_id, term)
    in_window = select(postings.c.record_id).limit(window + 1).subquery()
    total, candidates = db.session.execute(select(
        select(func.count()).select_from(counted.limit(count_limit + 1).subquery()).scalar_subquery(),
        select(func.count()).select_from(in_window).scalar_subquery())).one()
    more = total > count_limit
    if not more and candidates > window:
        return None
    total = min(total, count_limit)
    page = clamp_page(page, total, per_page)
    rows = list(db.session.execute(
        build(postings).with_only_columns(*columns)
        .order_by(postings.c.updated_at.desc(), postings.c.record_id.desc())
        .limit(per_page).offset((page - 1) * per_page)))
    return Page(rows, total, page, per_page, row_details(library_id, [r.id for r in rows]), more)


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


def age_in_days(record, today: date, zone=None) -> int:
    """Days since the record (or a row with its `updated_at`) last changed, in the portal's calendar
    (`zone`: the portal's zone, when the caller has it already)."""
    return max(0, (today - record.updated_at.astimezone(zone or portal_zone()).date()).days)

