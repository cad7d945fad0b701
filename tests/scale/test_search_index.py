"""The search index (services.search_index): finds two-character Japanese words, Latin words and
partial ISSNs, gives exactly the LIKE search's results, and stays equal to a fresh computation."""
import random

import pytest
from sqlalchemy import delete, select

from portal.extensions import db
from portal.models import Record, SearchPosting
from portal.services import search_index
from portal.services.records import create_record, perform_command
from portal.services.search import SearchFilters, search_query, text_term_sets
from portal.services.worklists import SearchForm, search_page
from portal.workflow.errors import DomainError


def found(library_id, q, use_index=True, **filters):
    query = search_query(library_id, SearchFilters(q=q, **filters), use_index=use_index)
    return set(db.session.scalars(query.with_only_columns(Record.id)))


def test_index_finds_japanese_words_latin_words_and_partial_issn(world):
    nursing = world.record("PROCESSING", citation={"title": "日本看護研究学会雑誌", "std_no": "0285-0524",
                                                   "article": "Evidence-based Nursing in Japan"})
    other = world.record("PROCESSING", citation={"title": "図書館雑誌", "std_no": "0385-4000"})
    requester, lender, stranger = (world.libraries[c].id for c in ("R", "L1", "X"))
    for q in ("看護", "看護研究", "Nursing", "nursing", "0285-0524", "02850524", "8505",
              "285-05"):
        assert text_term_sets(q) is not None, q  # the index answers, not the scan
        assert found(requester, q) == {nursing.id} == found(lender, q), q
        assert found(stranger, q) == set(), q
    assert found(requester, "雑誌") == {nursing.id, other.id}
    assert found(requester, "雑誌", side="lender") == set()


def test_short_searches_scan_and_agree(world):
    record = world.record("UNPROCESSED", citation={"title": "IT 看"})
    requester = world.libraries["R"].id
    for q in ("IT", "看", "t"):
        assert text_term_sets(q) is None
        assert found(requester, q) == {record.id}


ALPHABET = "看護学研究相互貸借のabcAB01- "


def _text(rng, longest=12):
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, longest)))


def _corpus(world, rng, count=30):
    """Records of random texts taken through random commands: forwarded (a former lender), received,
    local notes of either side, a SAVE that changes the title."""
    records = []
    for n in range(count):
        candidates = rng.sample(["L1", "L2", "L3"], rng.randrange(1, 4))
        record = create_record(world.users["R"], {
            "kind": "copy", "candidates": [{"library": c} for c in candidates],
            "citation": {"title": _text(rng) or "x", "article": _text(rng), "author": _text(rng),
                         "std_no": _text(rng, 10), "note": _text(rng)},
            "client": {"name": _text(rng)}, "requester_number": _text(rng, 8)})
        steps = ["ORDER"] if rng.random() < 0.8 else []
        if steps and rng.random() < 0.6:
            steps += ["RECEIVE"] + (["PARDON"] if rng.random() < 0.6 else [])  # forwarded: a former lender
        steps += rng.sample(["NOTE_R", "NOTE_L", "SAVE", "RECEIVE", "PARDON"], rng.randrange(0, 3))
        for step in steps:
            try:
                if step == "ORDER":
                    perform_command(world.users["R"], record.ill_id, "ORDER")
                elif step in ("PARDON", "RECEIVE", "NOTE_L") and record.lender_id:
                    code = world.code_of(record.lender_id)
                    data = ({"local_note": _text(rng)} if step == "NOTE_L" else
                            {"comment": "未所蔵 (not held)"} if step == "PARDON" else {})
                    perform_command(world.users[code], record.ill_id, "SAVE" if step == "NOTE_L" else step, data)
                elif step == "NOTE_R":
                    perform_command(world.users["R"], record.ill_id, "SAVE", {"local_note": _text(rng)})
                elif step == "SAVE":
                    perform_command(world.users["R"], record.ill_id, "SAVE",
                                    {"fields": {"title": _text(rng) or "y", "author": _text(rng)}})
            except DomainError:
                db.session.rollback()
            record = db.session.get(Record, record.id)
        records.append(record)
    return records


def test_index_gives_exactly_the_like_search_results_on_a_random_corpus(world):
    rng = random.Random(20261201)
    records = _corpus(world, rng)
    fields = ("title", "article", "author", "std_no", "bib_note", "client_name", "requester_number")
    queries = []
    for _ in range(60):
        record = rng.choice(records)
        value = getattr(record, rng.choice(fields))
        if value and rng.random() < 0.8:
            start = rng.randrange(len(value))
            queries.append(value[start:start + rng.randrange(1, 7)])
        else:
            queries.append(_text(rng, 6))
    libraries = [world.libraries[c].id for c in ("R", "L1", "L2", "L3", "X")]
    indexed = 0
    for q in queries:
        if not q.strip():
            continue
        indexed += text_term_sets(q.strip()) is not None
        for library_id in libraries:
            for archive in (False, True):
                assert found(library_id, q, include_archive=archive) == \
                    found(library_id, q, use_index=False, include_archive=archive), (q, library_id)
    assert indexed >= 20  # most queries went through the index


def test_search_page_fields_through_the_index_agree_with_the_scan(world):
    rng = random.Random(7)
    records = _corpus(world, rng, count=15)
    library_id = world.libraries["R"].id
    for record in records[:10]:
        title = record.title[:4]
        with_index = {r.id for r in search_page(library_id, SearchFilters(), SearchForm(title=title)).rows}
        scan = set(db.session.scalars(search_query(library_id, SearchFilters(), use_index=False)
                                      .with_only_columns(Record.id)))
        scan = {pk for pk in scan if title.lower() in " ".join(
            (db.session.get(Record, pk).title, db.session.get(Record, pk).article,
             db.session.get(Record, pk).bib_note)).lower()}
        assert with_index == scan, title


def test_kept_terms_equal_a_fresh_computation_after_random_commands(world):
    _corpus(world, random.Random(99), count=25)
    db.session.commit()
    connection = db.session.connection()
    stored = search_index.stored_terms(connection)
    fresh = {record_id: terms for record_id, terms in search_index.computed_terms(connection)}
    assert stored == fresh and len(fresh) >= 25
    # the former lenders' rows are the records' former-only terms, each with its record's latest change
    former = search_index.former_rows(connection)
    assert former == search_index.former_rows_of_terms(fresh) and former
    # the postings: each current-access library with each n-gram, with the record's latest change
    postings = search_index.posting_rows(connection)
    assert postings == search_index.posting_rows_of_terms(fresh) and postings
    # the benchmark's load fills them from the stored terms in one statement: the same rows
    connection.execute(delete(SearchPosting.__table__))
    search_index.fill_postings(connection)
    assert search_index.posting_rows(connection) == postings


def test_callback_takes_the_access_back_as_the_scan_does(world):
    """CALLBACK restores the lender: the called-back lender that never acted no longer finds the record."""
    record = world.record("UNPROCESSED", citation={"title": "看護の相互貸借"})
    lender = world.libraries[world.code_of(record.lender_id)].id
    assert found(lender, "看護") == {record.id}
    perform_command(world.users["R"], record.ill_id, "CALLBACK")
    assert found(lender, "看護") == found(lender, "看護", use_index=False)


def _index_is_fresh(connection):
    """The kept terms are a fresh computation, and the former lenders' rows and the postings those of the
    terms, each with its record's latest change."""
    stored = search_index.stored_terms(connection)
    assert stored == dict(search_index.computed_terms(connection))
    assert search_index.former_rows(connection) == search_index.former_rows_of_terms(stored)
    assert search_index.posting_rows(connection) == search_index.posting_rows_of_terms(stored)


def _candidates(library_id, q, include_archive):
    """The ids the index alone gives (before any condition on the records)."""
    query = search_index.matching_ids(db.session.get_bind().dialect.name, library_id, text_term_sets(q),
                                      include_archive=include_archive)
    return set(db.session.scalars(query))


def test_archived_records_are_no_candidates_of_the_default_search(world):
    """The archive job's records leave the index's default candidates (the backfile is never fetched to be
    thrown away) and are still found with the archive filter; the kept terms stay a fresh computation."""
    from datetime import datetime, timedelta, timezone

    from portal.services.archive import archive_old_records

    old = world.record("CONFIRMED", citation={"title": "看護学雑誌 (old)"})
    current = world.record("CONFIRMED", citation={"title": "看護学雑誌 (current)"})
    active = world.record("PROCESSING", citation={"title": "看護学雑誌 (active)"})
    requester, lender = world.libraries["R"].id, old.lender_id
    for library_id in (requester, lender):
        assert _candidates(library_id, "看護", include_archive=False) >= {old.id, current.id, active.id}
    db.session.get(Record, old.id).updated_at = datetime.now(timezone.utc) - timedelta(days=400)
    db.session.commit()
    assert archive_old_records(days=183) == 1
    for library_id in (requester, lender):
        assert old.id not in _candidates(library_id, "看護", include_archive=False)
        assert old.id in _candidates(library_id, "看護", include_archive=True)
        assert found(library_id, "看護") == {current.id, active.id} == found(library_id, "看護", use_index=False)
        assert found(library_id, "看護", include_archive=True) == {old.id, current.id, active.id}
        assert found(library_id, old.ill_id, include_archive=True) == {old.id}  # the ILL ID too
        assert found(library_id, old.ill_id) == set()
    assert found(world.libraries["X"].id, "看護", include_archive=True) == set()
    connection = db.session.connection()
    _index_is_fresh(connection)


def test_a_record_archived_through_the_orm_leaves_the_default_candidates(world):
    """Any flush that changes `archived` rewrites the terms (not only the archive job)."""
    record = world.record("CONFIRMED", citation={"title": "相互貸借の手引"})
    requester = world.libraries["R"].id
    assert record.id in _candidates(requester, "貸借", include_archive=False)
    db.session.get(Record, record.id).archived = True
    db.session.commit()
    assert record.id not in _candidates(requester, "貸借", include_archive=False)
    assert found(requester, "貸借", include_archive=True) == {record.id}
    connection = db.session.connection()
    _index_is_fresh(connection)


def _plain_page(library_id, filters, form, page, per_page):
    """The same page through the index's candidates sorted (no reading in order)."""
    return [r.id for r in search_page(library_id, filters, form, page=page, per_page=per_page, count_limit=None).rows]


def test_a_common_word_read_in_order_gives_the_same_pages_as_sorting_every_match(world):
    """More matches than the count limit: each side's latest records read newest first (and the former
    lenders' few through the index) give exactly the pages that sorting every candidate gives, for the
    requester, lenders, a former lender and a stranger, either side, any page; a window too small to
    settle it leaves the page to the index."""
    from datetime import datetime, timedelta, timezone

    from portal.services.archive import archive_old_records
    from portal.services.search import latest_matches

    rng = random.Random(4242)
    records = _corpus(world, rng, count=40)
    for n, record in enumerate(records):  # distinct, shuffled latest changes; some old final ones archived
        db.session.get(Record, record.id).updated_at = (datetime.now(timezone.utc)
                                                        - timedelta(days=rng.randrange(0, 900), minutes=n))
    db.session.commit()
    archive_old_records(days=500)
    connection = db.session.connection()  # the triggers moved the former lenders' rows with their records
    _index_is_fresh(connection)
    assert search_index.former_rows(connection) != set() != search_index.posting_rows(connection)
    libraries = [world.libraries[c].id for c in ("R", "L1", "L2", "L3", "X")]
    walked = settled_by_index = 0
    for q in ("看護", "研究", "a", "ab", "相互", "貸借", "01"):
        if text_term_sets(q) is None:
            continue
        for library_id in libraries:
            for side in (None, "requester", "lender"):
                filters = SearchFilters(q=q, side=side)
                for window in (3, 1000):
                    every = _plain_page(library_id, filters, SearchForm(), 1, 1000)
                    for page, per_page in ((1, 4), (2, 1), (3, 1)):
                        got = search_page(library_id, filters, SearchForm(), page=page, per_page=per_page,
                                          count_limit=2, latest_window=window)
                        shown = every[(got.page - 1) * per_page:got.page * per_page]
                        assert [r.id for r in got.rows] == shown, (q, library_id, side, window, page)
                    ids = latest_matches(library_id, filters,
                                         lambda f, use_index, former_only: search_query(
                                             library_id, f, use_index=use_index, former_only=former_only), 4, window)
                    walked += ids is not None
                    settled_by_index += ids is None
    assert walked >= 10 and settled_by_index >= 5, (walked, settled_by_index)  # both ways were taken


def test_a_single_word_read_from_its_postings_gives_the_pages_of_sorting_every_match(world, monkeypatch):
    """A single word's pages from the library's postings of its rarest n-gram, newest first, are exactly
    those of sorting every candidate, for every library, either side, any page, with page fields, past the
    count limit or not; a window of postings too small to settle the count leaves it to the index."""
    from datetime import datetime, timedelta, timezone

    from portal.services import worklists
    from portal.services.archive import archive_old_records

    rng = random.Random(1206)
    records = _corpus(world, rng, count=40)
    now = datetime.now(timezone.utc)
    for n, record in enumerate(records):  # shuffled latest changes, a few at the same instant; some archived
        db.session.get(Record, record.id).updated_at = now - timedelta(days=rng.randrange(0, 900),
                                                                       minutes=n if n % 5 else 0)
    db.session.commit()
    archive_old_records(days=500)
    _index_is_fresh(db.session.connection())
    outcomes = []
    original = worklists._page_of_postings

    def spy(*args, **kwargs):
        page = original(*args, **kwargs)
        outcomes.append("index" if page is None else "more" if page.more else "every")
        return page

    monkeypatch.setattr(worklists, "_page_of_postings", spy)
    libraries = [world.libraries[c].id for c in ("R", "L1", "L2", "L3", "X")]
    cases = [(SearchFilters(q=q, side=side), SearchForm()) for q in ("看護", "研究", "abc", "相互貸借", "01")
             for side in (None, "requester", "lender")]
    cases += [(SearchFilters(), SearchForm(title="看護")), (SearchFilters(), SearchForm(client="ab")),
              (SearchFilters(q="貸借", status="UNPROCESSED"), SearchForm())]
    for filters, form in cases:
        for library_id in libraries:
            every = _plain_page(library_id, filters, form, 1, 1000)
            for count_limit, window in ((2, 2), (2, 1000), (1000, 3), (1000, 1000)):
                for page, per_page in ((1, 3), (2, 2), (9, 1)):
                    got = search_page(library_id, filters, form, page=page, per_page=per_page,
                                      count_limit=count_limit, postings_window=window)
                    assert [r.id for r in got.rows] == every[(got.page - 1) * per_page:got.page * per_page], \
                        (filters, form, library_id, count_limit, window, page)
                    assert (got.total, got.more) == (min(len(every), count_limit), len(every) > count_limit)
    assert {"index", "more", "every"} <= set(outcomes), outcomes  # each way was taken


def test_several_words_an_issn_and_an_ill_id_are_left_to_the_index(world):
    from portal.services.search import posting_term
    from portal.workflow.search_terms import word_grams

    assert posting_term(word_grams("看護"), text_term_sets("看護")) == "看護"
    assert posting_term(word_grams("Nursing"), text_term_sets("Nursing")) in word_grams("Nursing")[0]
    assert posting_term(word_grams("看護 研究"), text_term_sets("看護 研究")) is None
    assert posting_term(word_grams("0285-0524"), text_term_sets("0285-0524")) is None  # two sets of terms
    assert posting_term([], None) is None


def test_the_postings_are_read_in_the_order_of_their_index(world):
    """SQLite reads a page of postings along their index (no sort of every candidate); PostgreSQL never
    scans them in parallel (the plan that sorted a parallel bitmap scan instead, models.search)."""
    from sqlalchemy import text

    from portal.services.search import postings_of

    world.record("UNPROCESSED", citation={"title": "看護研究"})
    library_id = world.libraries["R"].id
    postings = postings_of(library_id, "看護")
    query = (search_query(library_id, SearchFilters(q="看護"), use_index=False, postings=postings)
             .with_only_columns(Record.id).order_by(postings.c.updated_at.desc(), postings.c.record_id.desc())
             .limit(50))
    assert list(db.session.scalars(query))  # the record is found through its postings
    if db.session.get_bind().dialect.name == "sqlite":
        compiled = query.compile(db.engine)
        params = tuple(compiled.params[name] for name in compiled.positiontup)
        plan = [row[3] for row in db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled),
                                                                          params)]
        assert any("ix_search_postings_library_term_updated" in step for step in plan), plan
        assert not any("TEMP B-TREE" in step for step in plan), plan
    else:
        options = db.session.execute(text("SELECT reloptions FROM pg_class WHERE relname = 'search_postings'"))
        assert "parallel_workers=0" in options.scalar()


def test_a_common_word_read_in_order_with_changes_at_the_same_instant(world):
    """Records changed at the same instant on both sides: the lender side, read only since the requester
    side's latest matches, still gives the pages that sorting every candidate gives (ties by ILL ID)."""
    from datetime import datetime, timedelta, timezone

    rng = random.Random(515)
    records = _corpus(world, rng, count=20)
    for n in range(20):  # L1 asks R and L2 too: R and L1 have matches on both sides
        requester, candidates = ("L1", ("R", "L2")) if n % 2 else ("R", ("L1",))
        records.append(world.record(rng.choice(["UNPROCESSED", "PROCESSING"]), requester=requester,
                                    candidates=candidates, citation={"title": f"看護研究 {_text(rng, 4)}"}))
    instants = [datetime.now(timezone.utc) - timedelta(hours=hours) for hours in (1, 2, 3)]
    for record in records:
        db.session.get(Record, record.id).updated_at = rng.choice(instants)
    db.session.commit()
    checked = 0
    for q in ("看護", "研究", "相互", "01", "ab"):
        if text_term_sets(q) is None:
            continue
        for code in ("R", "L1", "L2"):
            library_id = world.libraries[code].id
            every = _plain_page(library_id, SearchFilters(q=q), SearchForm(), 1, 1000)
            for page, per_page in ((1, 3), (2, 2), (1, 5)):
                for window in (2, 4, 1000):
                    got = search_page(library_id, SearchFilters(q=q), SearchForm(), page=page, per_page=per_page,
                                      count_limit=2, latest_window=window)
                    assert [r.id for r in got.rows] == every[(got.page - 1) * per_page:got.page * per_page], \
                        (q, code, page, per_page, window)
                    checked += got.more
    assert checked >= 5  # the pages were read in order, past the count limit


def test_a_common_word_with_the_page_fields_read_in_order(world):
    rng = random.Random(77)
    _corpus(world, rng, count=20)
    library_id = world.libraries["R"].id
    for form in (SearchForm(title="看護"), SearchForm(title="ab"), SearchForm(client="a看")):
        every = _plain_page(library_id, SearchFilters(), form, 1, 1000)
        got = search_page(library_id, SearchFilters(), form, page=2, per_page=1, count_limit=1, latest_window=50)
        assert [r.id for r in got.rows] == every[(got.page - 1):got.page], form


def test_asking_the_index_for_the_narrowing_terms_alone_gives_the_same_results(world, monkeypatch):
    """With term statistics (PostgreSQL's, here the corpus's own shares with some terms left out as rare),
    the index is asked for fewer terms: the results stay exactly those of the scan, and the pages of a
    common word read in order stay those of sorting every match."""
    from collections import Counter

    from portal.workflow.search_terms import grams, narrowing_terms, word_grams

    rng = random.Random(5150)
    records = _corpus(world, rng, count=40)
    stored = search_index.stored_terms(db.session.connection())
    counts = Counter(term for terms in stored.values() for term in terms if not term.startswith("_"))
    shares = {term: n / len(stored) for term, n in counts.items() if rng.random() < 0.7}
    asked = []
    monkeypatch.setattr(search_index, "term_shares", lambda session, terms=(): asked.append(1) or shares)
    fields = ("title", "article", "author", "std_no", "client_name", "requester_number")
    queries = ["看護", "研究", "相互貸借", "ab", "abc 01", "看護 研究", "b看a"]
    for _ in range(40):
        value = getattr(rng.choice(records), rng.choice(fields)) or "看護研究 abc"
        start = rng.randrange(len(value))
        queries.append(value[start:start + rng.randrange(2, 10)])
    libraries = [world.libraries[c].id for c in ("R", "L1", "L2", "L3", "X")]
    narrowed = 0
    for q in (q.strip() for q in queries):
        if not q or text_term_sets(q) is None:
            continue
        narrowed += len(narrowing_terms(grams(q), shares, word_grams(q))) < len(grams(q))
        for library_id in libraries:
            for archive in (False, True):
                assert found(library_id, q, include_archive=archive) == \
                    found(library_id, q, use_index=False, include_archive=archive), (q, library_id)
    assert narrowed >= 10 and asked  # the index was asked for fewer terms, often
    for q in ("看護", "ab", "研究"):
        for library_id in libraries[:3]:
            filters = SearchFilters(q=q)
            every = _plain_page(library_id, filters, SearchForm(), 1, 1000)
            got = search_page(library_id, filters, SearchForm(), page=2, per_page=2, count_limit=2, latest_window=6)
            assert [r.id for r in got.rows] == every[(got.page - 1) * 2:got.page * 2], (q, library_id)


@pytest.mark.sqlite_only
def test_sqlite_reads_each_terms_share_from_its_index(world):
    """SQLite keeps no statistics of the terms: the shares narrowing_terms reads are FTS5's own counts,
    each asked n-gram's records over all records (0 for one no record holds; access terms are not asked).
    Searches with them find what the scan finds (the other tests here run with them too)."""
    from collections import Counter

    from portal.workflow.search_terms import current_access_term, grams

    rng = random.Random(808)
    _corpus(world, rng, count=30)
    search_index._sqlite_shares.clear()
    stored = search_index.stored_terms(db.session.connection())
    counts = Counter(term for terms in stored.values() for term in terms)
    asked = sorted(grams("看護研究") | grams("abc 01") | {"qq"})
    library_id = world.libraries["R"].id
    shares = search_index.term_shares(db.session, [*asked, current_access_term(library_id)])
    assert shares == {term: counts[term] / len(stored) for term in asked}
    assert shares["qq"] == 0 and any(0 < share < 1 for share in shares.values())
    for q in ("看護", "研究", "abc", "看護研究"):
        assert found(library_id, q) == found(library_id, q, use_index=False), q


def test_reading_a_common_word_in_order_takes_four_statements(world):
    """Both sides' windows in one statement, each side's latest matches, the former lenders' few: four
    statements (the windows took one per side before)."""
    from sqlalchemy import event

    from portal.services.search import latest_matches

    for n in range(6):
        world.record("UNPROCESSED", citation={"title": f"看護研究 {n}"})
    library_id = world.libraries["R"].id
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    def build(filters, use_index, former_only):
        return search_query(library_id, filters, use_index=use_index, former_only=former_only)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        ids = latest_matches(library_id, SearchFilters(q="看護"), build, 2, window=3)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert ids is not None and len(ids) == 2
    # the terms' shares are read once an hour per process (term_shares): whether this test reads them
    # depends on the tests before it in the process
    shares = ("pg_stats", "record_search_vocab", "count(*) FROM record_search")
    assert len([s for s in statements if not any(mark in s for mark in shares)]) == 4, statements


def test_caseless_characters_have_no_case_and_are_no_letters_lower_case():
    """contains() compares a caseless text with LIKE: sound only if no character of any case lowers to
    (or is itself a case of) a caseless one. Checked over every code point, by Python's Unicode tables."""
    from portal.services.search import caseless

    for point in range(0x110000):
        char = chr(point)
        if caseless(char):
            assert char.lower() == char == char.upper(), hex(point)
        lowered = char.lower()
        if lowered != char:
            assert not any(caseless(part) for part in lowered), (hex(point), lowered)
    assert caseless("看護・相互貸借ー2026（１）") and not caseless("看護 Nursing") and not caseless("Ⓐ")


def test_a_caseless_text_finds_with_like_what_ilike_finds(world):
    """The database's own ILIKE, on values in every case (Latin, full-width, Greek) around Japanese."""
    from portal.services.search import caseless, contains

    values = ["看護ABC", "看護abc", "ＡＢＣ看護", "ａｂｃ看護", "Σ看護σ", "看 護", "看護-01", "相互貸借ー２０２６", "kango"]
    for value in values:
        world.record("PROCESSING", citation={"title": value})
    db.session.commit()
    queries = ["看護", "看 護", "護-0", "ー２０", "２０２６", "-", "01", "看護ABC", "ａｂｃ", "σ看"]
    for q in queries:
        like = set(db.session.scalars(select(Record.title).where(contains(Record.title, q))))
        ilike = set(db.session.scalars(select(Record.title).where(Record.title.ilike(f"%{q}%"))))
        assert like == ilike, q
        compiled = str(contains(Record.title, q).compile(dialect=db.session.get_bind().dialect))
        assert ("ILIKE" in compiled or "lower(" in compiled) != caseless(q), (q, compiled)
