"""Work lists, counts and search over the records a library may see."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import cache
from datetime import date, datetime

from sqlalchemy import String, and_, bindparam, case, cast, exists, func, or_, select, text, true
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (Candidate, FormerLender, HistoryEntry, Library, LocalNote, Record, SearchPosting,
                      StatusTally)
from ..models.record import ACTIVE_SQL, CURRENT_SQL, item_out_sql
from ..workflow.due import DEFAULT_DUE_SOON_DAYS, DUE_SOON, OVERDUE, due_window
from ..workflow.machine import Side
from ..workflow.numbers import clamp_page
from ..workflow.statuses import FINAL_STATUSES, Status
from ..workflow.search_terms import grams, word_grams
from . import search_index
from .access import visible_to

# Every column of a record list sorts both ways: "title" ascending, "-title" descending.
# "updated" (latest change first) is the default; "oldest" its reverse (kept for old links).
SORT_COLUMNS = ("ill_id", "status", "kind", "title", "partner", "last_action", "ordered", "due", "age")
SORTS = {"updated", "oldest", *SORT_COLUMNS, *(f"-{key}" for key in SORT_COLUMNS)}


def _partner_code(library_id: int | None):
    """The partner's library code: the lender for our requests, the requester for the others."""
    partner_id = case((Record.requester_id == library_id, Record.lender_id), else_=Record.requester_id)
    return select(Library.code).where(Library.id == partner_id).correlate(Record).scalar_subquery()


def sort_order(sort: str, library_id: int | None = None) -> list:
    """ORDER BY clauses of a sort key (unknown keys: latest change first); ties by ILL ID."""
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SORT_COLUMNS:
        return [Record.updated_at.asc() if sort == "oldest" else Record.updated_at.desc(), Record.id.desc()]
    columns = {
        "ill_id": [Record.id], "status": [Record.status], "kind": [Record.kind],
        "title": [Record.title_key, Record.volume_key], "partner": [_partner_code(library_id)],
        "last_action": [Record.updated_at], "ordered": [Record.ordered_on], "due": [Record.due_on],
        "age": [Record.updated_at.desc()],  # the oldest change has the greatest age
    }[key]
    if key == "age":
        order = [Record.updated_at.asc() if descending else Record.updated_at.desc()]
    else:
        order = [c.desc().nulls_last() if descending else c.asc().nulls_last() for c in columns]
    return order + [Record.id.desc() if descending else Record.id.asc()]


# What a whole record reads (its JSON, its allowed commands): one query per relation, not per record.
WHOLE_RECORD = (selectinload(Record.candidates).selectinload(Candidate.library), selectinload(Record.fee_groups),
                selectinload(Record.history).selectinload(HistoryEntry.library), selectinload(Record.local_notes))


@dataclass
class SearchFilters:
    side: str | None = None  # requester | lender | None (both)
    status: str | None = None
    kind: str | None = None
    q: str = ""  # ILL ID, title, client, local numbers
    partner: str = ""  # library code
    date_from: date | None = None
    date_to: date | None = None
    include_archive: bool = False
    include_final: bool = True
    slip: str | None = None  # "unprinted" | "printed" for the slip of the status
    statuses: list[str] = field(default_factory=list)
    due: str | None = None  # "overdue" | "due_soon": loans out with the requester, by DDATE and `today`
    today: date | None = None
    due_soon_days: int = DEFAULT_DUE_SOON_DAYS
    changed_since: datetime | None = None  # the latest change at or after this (search.latest_matches)


# The slip the work in a status calls for: the "unprinted / printed" filter looks at that slip.
SLIP_STATUSES = {
    "receipt": (Status.UNPROCESSED, Status.PROCESSING, Status.AWAITING_ANSWER, Status.CLAIM_PENDING),
    "shipping": (Status.SHIPPED,),
    "return": (Status.RETURNED,),
}


def slip_printed(printed: bool):
    """SQL filter: records whose status's slip is (not yet) printed."""
    conditions = []
    for kind, statuses in SLIP_STATUSES.items():
        column = getattr(Record, f"{kind}_printed_at")
        conditions.append(and_(Record.status.in_([s.value for s in statuses]),
                               column.is_not(None) if printed else column.is_(None)))
    return or_(*conditions)


def contains(column, text: str):
    """SQL: the column contains `text` literally, in any case (% and _ are not wildcards here).

    A text without case (Japanese, digits, punctuation: `caseless`) is compared as it is (LIKE): ILIKE
    would find the same rows, lower-casing every value it reads first (on PostgreSQL a common word's
    candidates at 1M took twice as long with ILIKE)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    compare = column.like if caseless(text) else column.ilike
    return compare(f"%{escaped}%", escape="\\")


#: Unicode categories whose characters have no case and are no other character's lower case: letters
#: of scripts without case (kanji, kana, hangul: Lo; the long-vowel mark ー: Lm), digits, punctuation,
#: spaces. (Symbols are not among them: circled letters such as Ⓐ have a lower case.)
CASELESS_CATEGORIES = frozenset({"Lo", "Lm", "Nd", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Zs"})


def caseless(text: str) -> bool:
    """Whether every character of `text` is without case (CASELESS_CATEGORIES): then a value holds the
    text in some case exactly when it holds the text itself."""
    return all(unicodedata.category(char) in CASELESS_CATEGORIES for char in text)


def own_note_contains(library_id: int, text: str):
    """SQL: the library's own local note of the record contains `text` (a probe of the note's unique key
    per record, not a scan of the library's notes)."""
    return exists().where(LocalNote.record_id == Record.id, LocalNote.library_id == library_id,
                          contains(LocalNote.text, text))


def item_out_condition():
    """SQL twin of workflow.due.item_out: a loan whose item is with the requester, in the very words of the
    due indexes' predicate (ix_records_*_out_due: literals, so that a generic plan can use them too)."""
    return text(item_out_sql("records."))


def due_condition(state: str, today: date, soon_days: int):
    """SQL: loans out whose DDATE puts them in `state` (overdue / due soon) today."""
    first, last = due_window(state, today, soon_days)
    conditions = [item_out_condition(), Record.due_on.is_not(None)]
    if first is not None:
        conditions.append(Record.due_on >= first)
    if last is not None:
        conditions.append(Record.due_on <= last)
    return and_(*conditions)


def due_counts_query(library_id: int, side: Side, today: date, soon_days: int, kind: str | None = None):
    """SELECT of the overdue and due-soon counts: one index-only scan of the side's loans out
    (ix_records_*_out_due) over both tabs' due dates, each tab counted by its own (its values bound)."""
    return _due_counts_statement(side, kind in ("copy", "loan")).params(
        _due_params(library_id, today, soon_days, kind))


@cache
def _due_counts_statement(side: Side, by_kind: bool):
    """due_counts' statement for one side (and a kind or every kind), built once: the windows' dates are
    bound parameters (first_N / last_N for each tab, first / last for the range of both)."""
    column = Record.requester_id if Side(side) is Side.REQUESTER else Record.lender_id
    shapes = [due_window(state, date(2000, 1, 1), 1) for state in DUE_STATES]  # which ends are open

    def within(first, last) -> list:
        return ([Record.due_on >= first] if first is not None else []) + \
            ([Record.due_on <= last] if last is not None else [])

    counts = [func.count().filter(and_(true(), *within(None if first is None else bindparam(f"first_{n}"),
                                                       None if last is None else bindparam(f"last_{n}"))))
              for n, (first, last) in enumerate(shapes)]
    query = select(*counts).select_from(Record).where(
        column == bindparam("library_id"), active_condition(), item_out_condition(), Record.due_on.is_not(None),
        *within(None if any(first is None for first, _ in shapes) else bindparam("first"),
                None if any(last is None for _, last in shapes) else bindparam("last")))
    return query.where(Record.kind == bindparam("kind")) if by_kind else query


def _due_params(library_id: int, today: date, soon_days: int, kind: str | None) -> dict:
    windows = [due_window(state, today, soon_days) for state in DUE_STATES]
    params = {"library_id": library_id, "kind": kind}
    for n, (first, last) in enumerate(windows):
        params[f"first_{n}"], params[f"last_{n}"] = first, last
    firsts = [first for first, _ in windows if first is not None]
    lasts = [last for _, last in windows if last is not None]
    params["first"], params["last"] = min(firsts, default=None), max(lasts, default=None)
    return params


DUE_STATES = (OVERDUE, DUE_SOON)


def due_counts(library_id: int, side: Side, today: date, soon_days: int, kind: str | None = None) -> dict[str, int]:
    """How many of this side's loans are overdue and due soon (the work list's due tabs), one statement."""
    statement = _due_counts_statement(side, kind in ("copy", "loan"))
    counts = db.session.execute(statement, _due_params(library_id, today, soon_days, kind)).one()
    return {state: count or 0 for state, count in zip(DUE_STATES, counts)}


def std_no_digits(text: str) -> str | None:
    """An ISSN or ISBN as typed (0385-4000, 978-4-00-..., 03854000) reduced to its digits and X, or None."""
    compact = re.sub(r"[\s\-‐－]", "", unicodedata.normalize("NFKC", text)).upper()
    return compact if re.fullmatch(r"[0-9]{4,12}[0-9X]?", compact) and len(compact) >= 4 else None


def active_condition():
    """SQL: the record is neither archived nor final, in the very words of the partial indexes' predicate."""
    return text(ACTIVE_SQL.replace("archived", "records.archived").replace("status", "records.status"))


def text_term_sets(text: str) -> list[set[str]] | None:
    """The search index's terms for a free-text search: one set per way the text matches (the text
    itself, an ISSN/ISBN's digits), or None when one of them has no term (too short: scan instead)."""
    sets = [grams(text)]
    standard_number = std_no_digits(text)
    if standard_number:
        sets.append(grams(standard_number))
    return sets if all(sets) else None


def search_query(library_id: int, filters: SearchFilters, extra_terms: set[str] | frozenset = frozenset(),
                 use_index: bool = True, former_only: bool = False, postings=None):
    """The records a search finds. With searched text, the search index narrows the records to those
    holding its terms and visible to the library, and not archived unless the filters include the
    archive (one index lookup: the backfile's candidates are never fetched), and the conditions below then
    check each of those candidates exactly; `extra_terms` are terms every match holds besides.
    (`use_index=False`: the same search by scanning, which the tests compare it with; `former_only`: only
    the unarchived records the library sees as a former lender alone, through the index, or without it
    those of former_lenders, changed since `filters.changed_since` in one index range; `postings`, with
    `use_index=False`: the candidates are the library's rows of search_postings that `postings_of` gives,
    joined, which say the library may see them.)"""
    query = select(Record)
    text = filters.q.strip()
    by_former_lenders = former_only and not use_index  # their rows say the library may see these
    if by_former_lenders:
        former = select(FormerLender.record_id).where(FormerLender.library_id == library_id)
        if filters.changed_since is not None:
            former = former.where(FormerLender.updated_at >= filters.changed_since)
        query = query.where(Record.id.in_(former), Record.archived.is_(False))
    if postings is not None:
        query = query.join(postings, postings.c.record_id == Record.id)
    term_sets = text_term_sets(text) if text and use_index else None
    if (text and term_sets is None) or not use_index:
        indexed = None  # too short for the index (or not asked for): the plain scan
    elif term_sets is not None:
        indexed = [terms | extra_terms for terms in term_sets]
    else:
        indexed = [set(extra_terms)] if extra_terms else None
    if indexed:  # visibility comes with the index's candidates
        dialect = db.session.get_bind().dialect.name
        words = word_grams(text) + word_grams(std_no_digits(text) or "")
        query = search_index.restrict_to_matches(
            query, dialect, library_id, indexed, Record.pk_from_ill_id(text) if text else None,
            include_archive=filters.include_archive, former_only=former_only,
            shares=search_index.term_shares(db.session, set().union(*indexed)), words=words)
    if filters.side == Side.REQUESTER:
        query = query.where(Record.requester_id == library_id)
    elif filters.side == Side.LENDER:
        query = query.where(Record.lender_id == library_id)
    elif not indexed and not by_former_lenders and postings is None:
        query = query.where(visible_to(library_id))
    if not filters.include_archive and not filters.include_final:
        query = query.where(active_condition())
    elif not filters.include_archive:
        query = query.where(Record.archived.is_(False))
    if filters.status:
        query = query.where(Record.status == filters.status)
    if filters.statuses:
        query = query.where(Record.status.in_(filters.statuses))
    if not filters.include_final and filters.include_archive:
        query = query.where(Record.status.not_in([s.value for s in FINAL_STATUSES]))
    if filters.kind in ("copy", "loan"):
        query = query.where(Record.kind == filters.kind)
    if filters.due in (OVERDUE, DUE_SOON) and filters.today is not None:
        query = query.where(due_condition(filters.due, filters.today, filters.due_soon_days))
    if filters.slip in ("unprinted", "printed"):
        query = query.where(slip_printed(filters.slip == "printed"))
    if text:
        pk = Record.pk_from_ill_id(text)
        conditions = [contains(column, text) for column in (Record.title, Record.article, Record.bib_note,
                                                            Record.author, Record.client_name,
                                                            Record.requester_number, Record.lender_number)]
        conditions.append(own_note_contains(library_id, text))
        standard_number = std_no_digits(text)
        if standard_number:  # ISSN / ISBN with or without hyphens, on either side
            stored = func.upper(func.replace(func.replace(Record.std_no, "-", ""), " ", ""))
            conditions.append(stored.like(f"%{standard_number}%"))
        if pk:
            conditions.append(Record.id == pk)
        query = query.where(or_(*conditions))
    if filters.partner:
        partner = select(Library.id).where(Library.code == filters.partner.strip())
        tried = select(Candidate.record_id).where(Candidate.library_id.in_(partner), Candidate.tried.is_(True))
        query = query.where(or_(Record.requester_id.in_(partner), Record.lender_id.in_(partner), Record.id.in_(tried)))
    if filters.date_from:
        query = query.where(func.coalesce(Record.ordered_on, func.date(Record.created_at)) >= filters.date_from)
    if filters.date_to:
        query = query.where(func.coalesce(Record.ordered_on, func.date(Record.created_at)) <= filters.date_to)
    if filters.changed_since is not None:
        query = query.where(Record.updated_at >= filters.changed_since)
    return query


#: A single word's search counts its matches among at most this many of the library's latest postings
#: of its n-gram (worklists._page_of_postings): enough for the count limit's 1,001 matches of a common
#: word, whose rarest n-gram's records mostly hold it.
POSTINGS_WINDOW = 3_000


def postings_of(library_id: int, term: str, newest: int | None = None):
    """The library's rows of search_postings holding `term` (its current records holding the n-gram), as a
    subquery of (record_id, updated_at) for search_query; `newest`: only that many, the latest changed."""
    postings = SearchPosting.__table__
    query = select(postings.c.record_id, postings.c.updated_at).where(postings.c.library_id == library_id,
                                                                       postings.c.term == term)
    if newest is not None:
        query = query.order_by(postings.c.updated_at.desc(), postings.c.record_id.desc()).limit(newest)
    return query.subquery("postings")


def posting_term(words: list[set[str]], term_sets: list[set[str]] | None) -> str | None:
    """The n-gram whose postings hold every match of a search of one word (`words`: the n-grams of each
    word searched, word_grams; `term_sets`: text_term_sets): the word's rarest, by the terms' shares (the
    candidates are fewest). None for any other search: several words narrow better by the index, which
    intersects their n-grams, and an ISSN/ISBN matches by two sets of terms."""
    if len(words) != 1 or (term_sets is not None and len(term_sets) != 1):
        return None
    word = words[0]
    if len(word) == 1:
        return next(iter(word))
    shares = search_index.term_shares(db.session, word)
    return min(word, key=lambda term: (shares.get(term, 0.0), term))


#: A search of a common word reads this many of each side's latest unarchived records in order
#: (ix_records_*_current_updated) before leaving the page to the index (latest_matches).
LATEST_WINDOW = 2_000


def current_condition():
    """SQL: the record is not archived, in the very words of the current-records indexes' predicate."""
    return text(CURRENT_SQL.replace("archived", "records.archived"))


def latest_matches(library_id: int, filters: SearchFilters, build, needed: int,
                   window: int = LATEST_WINDOW) -> list[int] | None:
    """The ids of the `needed` latest matches (latest change first) of a search that leaves the archive
    out, read in order instead of sorting every match: each side's records newest first, within its
    `window` latest (an index range), and the few the library sees as a former lender alone changed since
    (former_lenders). None when a side's window holds fewer than `needed` matches (the word is not common there:
    the index's candidates are few, and the caller sorts them instead).

    `build(filters, use_index, former_only)` gives the search's query for other filters (the search
    page adds its own field conditions)."""
    sides = [filters.side] if filters.side in (Side.REQUESTER.value, Side.LENDER.value) else \
        [Side.REQUESTER.value, Side.LENDER.value]
    order = sort_order("updated")
    columns = {Side.REQUESTER.value: Record.requester_id, Side.LENDER.value: Record.lender_id}
    # each side's window: the change of its `window`-th latest record (None: the side has fewer), one statement
    bounds = db.session.execute(select(*[
        select(Record.updated_at).where(columns[side] == library_id, current_condition())
        .order_by(Record.updated_at.desc(), Record.id.desc()).offset(window - 1).limit(1).scalar_subquery()
        for side in sides])).one()
    found: list = []
    for side, bound in zip(sides, bounds):
        # past the `needed`-th latest match found so far, no record can make the page: the next side
        # reads only its records changed since (a side's window ends there if sooner)
        least = _least_needed(found, needed)
        window_ends_first = bound is not None and (least is None or bound > least)
        since = bound if window_ends_first else least
        query = build(replace(filters, side=side, changed_since=since), False, False).where(current_condition())
        rows = db.session.execute(query.with_only_columns(Record.updated_at, Record.id).order_by(*order)
                                  .limit(needed)).all()
        if len(rows) < needed and window_ends_first:
            return None  # the window ended before the side's matches did
        found.extend(rows)
    if len(sides) == 2:
        # the records the library sees as a former lender alone: those changed since the `needed`-th latest
        # match, one index range of former_lenders (a few: most are older); with fewer matches found,
        # every such match, through the index
        least = _least_needed(found, needed)
        query = (build(filters, True, True) if least is None
                 else build(replace(filters, changed_since=least), False, True))
        found.extend(db.session.execute(query.with_only_columns(Record.updated_at, Record.id).order_by(*order)
                                        .limit(needed)).all())
    found.sort(key=lambda row: (row[0], row[1]), reverse=True)
    ids = list(dict.fromkeys(row[1] for row in found))  # a record is on one side only; never twice
    return ids[:needed]


def _least_needed(rows: list, needed: int):
    """The change time of the `needed`-th latest of these (updated_at, id) rows, or None when fewer."""
    if len(rows) < needed:
        return None
    return sorted(rows, key=lambda row: (row[0], row[1]), reverse=True)[needed - 1][0]


def page_of(query, page: int, per_page: int, sort: str, *options,
            library_id: int | None = None, total: int | None = None) -> tuple[list[Record], int]:
    """One page of a record query in the chosen order (with both parties loaded), and the query's total
    (counted unless the caller knows it).

    A page past the last shows the last (`clamp_page` tells which page that is)."""
    if total is None:
        total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    page = clamp_page(page, total, per_page)  # past the last page: the last page
    rows = db.session.scalars(
        query.order_by(*sort_order(sort, library_id))
        .options(selectinload(Record.requester), selectinload(Record.lender), *options)
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(rows), total or 0


def search_records(library_id: int, filters: SearchFilters, page: int = 1, per_page: int = 50,
                   sort: str = "updated") -> tuple[list[Record], int]:
    """Whole records (the API's list), one page."""
    return page_of(search_query(library_id, filters), page, per_page, sort, *WHOLE_RECORD, library_id=library_id)


ACTIVE_STATUSES = tuple(status.value for status in Status if status not in FINAL_STATUSES)


def status_counts_by_side(library_id: int, kind: str | None = None) -> dict[Side, dict[str, int]]:
    """Live counts per status for both sides of a library's work lists: a few rows of the status
    tallies (services.tallies keeps them in every change's own transaction), never a count of the
    library's active records."""
    by_kind = kind in ("copy", "loan")
    return _counts(db.session.execute(_status_counts_query(by_kind),
                                      {"library_id": library_id, "kind": kind if by_kind else None}))


def tallies_column(library_id):
    """SQL: the status tallies of the library `library_id` names (a column of another statement) as
    one text, a "side status count" per row, for reading along with that statement (the session's
    user: every page's header counts them); `counts_of_tallies` reads it."""
    return (select(func.aggregate_strings(StatusTally.side + " " + StatusTally.status + " "
                                          + cast(StatusTally.count, String), ","))
            .where(StatusTally.library_id == library_id, StatusTally.count != 0).scalar_subquery())


def counts_of_tallies(tallies: str | None) -> dict[Side, dict[str, int]]:
    """status_counts_by_side's answer (every kind) from the text of `tallies_column`."""
    rows = (item.split(" ") for item in (tallies or "").split(",") if item)
    return _counts((side, status, count) for side, status, count in rows)


def _counts(rows) -> dict[Side, dict[str, int]]:
    """Both sides' counts per active status from (side, status, count) rows, summed."""
    counts = {side: dict.fromkeys(ACTIVE_STATUSES, 0) for side in Side}
    by_value = {side.value: counts[side] for side in Side}  # rows name the side by its value
    for side, status, count in rows:
        side_counts = by_value[side]
        if status in side_counts:
            side_counts[status] += int(count)
    return counts


@cache
def _status_counts_query(by_kind: bool):
    """status_counts_by_side's statement, built once."""
    query = (select(StatusTally.side, StatusTally.status, func.sum(StatusTally.count))
             .where(StatusTally.library_id == bindparam("library_id"))
             .group_by(StatusTally.side, StatusTally.status))
    return query.where(StatusTally.kind == bindparam("kind")) if by_kind else query
