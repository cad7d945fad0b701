"""The migrations build exactly the schema the models describe, on SQLite and
PostgreSQL, and the committed state graph is the one the machine draws."""
from __future__ import annotations

import logging
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text

from portal import create_app
from portal.cli import GRAPH_PATH, WORKFLOW_PATH, render_graph_document, render_workflow_document
from portal.config import TestConfig
from portal.models.search import schema_filter
from portal.extensions import db


@pytest.fixture
def keep_logging():
    """Alembic's env.py runs logging.fileConfig, which disables every logger it
    does not name; give the rest of the suite its loggers back."""
    loggers = {name: logger.disabled for name, logger in logging.root.manager.loggerDict.items()
               if isinstance(logger, logging.Logger)}
    root_level, root_handlers = logging.root.level, list(logging.root.handlers)
    yield
    for name, disabled in loggers.items():
        logging.getLogger(name).disabled = disabled
    logging.root.setLevel(root_level)
    logging.root.handlers[:] = root_handlers


@pytest.fixture
def empty_database(backend, database_urls, tmp_path):
    """The URL of a database with nothing in it."""
    urls, _ = database_urls
    if backend == "sqlite":
        yield "sqlite:///" + str(tmp_path / "fresh.sqlite")
        return
    if backend not in urls:
        pytest.skip("PostgreSQL server binaries are not installed")
    name = "fresh_" + uuid.uuid4().hex[:12]
    server = create_engine(urls["postgresql"], isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield urls["postgresql"].rsplit("/", 1)[0] + "/" + name
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def test_migrations_match_the_models(empty_database, keep_logging):
    app = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert set(db.metadata.tables) <= tables
        assert "alembic_version" in tables
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={
                "compare_type": True, "compare_server_default": True,
                "include_object": schema_filter(connection.dialect.name)})
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == []


def test_state_graph_document_is_current():
    assert GRAPH_PATH.read_text(encoding="utf-8") == render_graph_document(), (
        "docs/state-graph.md is out of date: run `flask --app portal graph`")


def test_workflow_document_is_current():
    """docs/workflow.md is generated from the status and transition tables: every rule row is in it."""
    text = WORKFLOW_PATH.read_text(encoding="utf-8")
    assert text == render_workflow_document(), "docs/workflow.md is out of date: run `flask --app portal graph`"
    from portal.workflow.machine import RULES
    for rule in RULES:
        assert f"| {rule.command} | {rule.side.value if rule.side else 'either'} |" in text


def test_comment_templates_migrate_to_a_side_with_the_gloss_apart(empty_database, keep_logging):
    """Templates of a database from before sides: each command's templates land on the
    side that has it, the seed's renewal answers on the lender's, the gloss apart, the
    typo fixed; a custom template of a command both sides have is kept for both."""
    app = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": empty_database})
    old = [("INQUIRE", "要前頁複写許可願 (permission for whole-issue copy)"), ("CLAIM", "更新可 (renewal granted)"),
           ("ANSWER", "欠落ページを送付しました (missing pages sent)"), ("RENEW", "更新願います"),
           ("CLAIM", "届いていません"), ("PARDON", "要前頁複写許可願が必要")]
    with app.app_context():
        upgrade(revision="a7c3e1d2f4b5")
        with db.engine.begin() as connection:
            connection.execute(text("INSERT INTO libraries (id, code, name, address, email, phone, loan_days, service, "
                                    "copy_service, loan_service, network, currency, slip_size, slip_client, ill_section) "
                                    "VALUES (1, 'FA1', 'A', '', '', '', 14, true, true, true, 'NII', 'JPY', 'A5', 'none', '')"))
            for position, (command, old_text) in enumerate(old):
                connection.execute(text("INSERT INTO comment_templates (library_id, command, position, text) "
                                        "VALUES (1, :command, :position, :text)"),
                                   {"command": command, "position": position, "text": old_text})
        upgrade()
        with db.engine.connect() as connection:
            rows = set(connection.execute(text("SELECT side, command, text, gloss FROM comment_templates")).all())
        db.engine.dispose()
    assert rows == {
        ("lender", "INQUIRE", "要全頁複写許可願", "permission for whole-issue copy"),
        ("lender", "CLAIM", "更新可", "renewal granted"),
        ("lender", "ANSWER", "欠落ページを送付しました", "missing pages sent"),
        ("requester", "RENEW", "更新願います", ""),
        ("lender", "CLAIM", "届いていません", ""), ("requester", "CLAIM", "届いていません", ""),
        ("lender", "PARDON", "要全頁複写許可願が必要", ""),
    }


def test_search_index_migration_fills_the_terms_of_the_records_already_there(empty_database, keep_logging):
    """A database at the revision before the search index, with records in it: the upgrade builds the
    index for them (texts, local notes, parties and former lenders), and search answers through it."""
    from sqlalchemy import insert, select

    from portal.models import HistoryEntry, Library, LocalNote, Record
    from portal.services.search import SearchFilters, search_query, text_term_sets
    from portal.services.search_index import computed_terms, stored_terms
    from portal.workflow.search_terms import access_term

    app = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade(revision="e5a1c9b3d7f2")
        with db.engine.begin() as connection:  # Core rows: the models' flush hook needs the new table
            connection.execute(insert(Library.__table__), [{"id": n, "code": f"FA{n}", "name": f"L{n}"}
                                                           for n in (1, 2, 3, 4)])
            connection.execute(insert(Record.__table__), [
                {"id": 1, "kind": "copy", "status": "PROCESSING", "version": 1, "requester_id": 1, "lender_id": 2,
                 "title": "日本看護研究学会雑誌", "std_no": "0285-0524", "author": "Nursing Society"},
                {"id": 2, "kind": "loan", "status": "PREPARING", "version": 1, "requester_id": 4, "lender_id": None,
                 "title": "図書館雑誌", "std_no": "", "author": ""}])
            connection.execute(insert(HistoryEntry.__table__), [
                {"record_id": 1, "command": "PARDON", "from_status": "PROCESSING", "to_status": "UNPROCESSED",
                 "side": "lender", "library_id": 3}])
            connection.execute(insert(LocalNote.__table__), [{"record_id": 1, "library_id": 1, "text": "相互貸借メモ"}])
        upgrade()
        with db.engine.connect() as connection:
            stored = stored_terms(connection)
            assert stored == dict(computed_terms(connection))
        assert set(stored) == {1, 2}
        assert {access_term(1), access_term(2), access_term(3), "看護", "メモ", "850", "nur"} <= set(stored[1])
        assert access_term(4) in stored[2] and access_term(1) not in stored[2]
        assert text_term_sets("看護") is not None
        for library_id, expected in ((1, {1}), (3, {1}), (4, set())):  # requester, former lender, stranger
            query = search_query(library_id, SearchFilters(q="看護")).with_only_columns(Record.id)
            assert set(db.session.scalars(query)) == expected
        assert set(db.session.scalars(search_query(3, SearchFilters(q="02850524")).with_only_columns(Record.id))) \
            == {1}
        db.session.remove()
        db.engine.dispose()


def test_archive_state_migration_gives_the_records_already_indexed_their_current_access(empty_database,
                                                                                        keep_logging):
    """A database at the revision before the archive state in the index, with records and their terms in
    it: the upgrades add the current-access (and former-lender-only) terms of the records not archived
    (the archived keep theirs without), the default search then finds only those, and the downgrades
    take the terms back."""
    from flask_migrate import downgrade
    from sqlalchemy import insert, select

    from portal.models import HistoryEntry, Library, Record, RecordSearch
    from portal.services.search import SearchFilters, search_query
    from portal.services.search_index import computed_terms, stored, stored_terms
    from portal.workflow.search_terms import current_access_term, document_terms, former_access_term

    app = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade(revision="a7d3e9c1f5b2")
        with db.engine.begin() as connection:
            name = connection.dialect.name
            connection.execute(insert(Library.__table__), [{"id": n, "code": f"FA{n}", "name": f"L{n}"}
                                                           for n in (1, 2, 3)])
            connection.execute(insert(Record.__table__), [
                {"id": pk, "kind": "copy", "status": "CONFIRMED", "version": 1, "requester_id": 1, "lender_id": 2,
                 "title": f"看護研究 {pk}", "std_no": "", "author": "", "archived": pk == 2} for pk in (1, 2, 3)])
            connection.execute(insert(HistoryEntry.__table__), [  # library 3: a former lender of record 3
                {"record_id": 3, "command": "PARDON", "from_status": "PROCESSING", "to_status": "UNPROCESSED",
                 "side": "lender", "library_id": 3}])
            before = {pk: document_terms([f"看護研究 {pk}"], [1, 2], archived=True, former=[3] if pk == 3 else [])
                      for pk in (1, 2, 3)}
            connection.execute(insert(RecordSearch.__table__), [  # as the previous revision wrote them
                {"record_id": pk, "terms": stored(name, terms)} for pk, terms in before.items()])
        upgrade()
        with db.engine.connect() as connection:
            after = stored_terms(connection)
            assert after == dict(computed_terms(connection))
        assert current_access_term(1) in after[1] and current_access_term(2) in after[3]
        assert former_access_term(3) in after[3] and not any(t.startswith("_w") for t in after[1])
        assert after[2] == before[2]  # archived: no current access
        former = search_query(3, SearchFilters(q="看護"), former_only=True).with_only_columns(Record.id)
        assert set(db.session.scalars(former)) == {3}
        for library_id in (1, 2):
            default = search_query(library_id, SearchFilters(q="看護")).with_only_columns(Record.id)
            everything = search_query(library_id, SearchFilters(q="看護", include_archive=True))
            assert set(db.session.scalars(default)) == {1, 3}
            assert set(db.session.scalars(everything.with_only_columns(Record.id))) == {1, 2, 3}
        db.session.remove()
        downgrade(revision="a7d3e9c1f5b2")
        with db.engine.connect() as connection:
            assert stored_terms(connection) == before
        db.session.remove()
        db.engine.dispose()


def test_records_have_party_status_statistics_after_the_migrations_and_create_all(database_urls, keep_logging):
    """The extended statistics the work lists' plans need exist in a migrated database and in one made
    by create_all (the benchmark's and the tests')."""
    import uuid

    urls, _created = database_urls
    assert "postgresql" in urls, "the PostgreSQL server of the test session"
    names = {"st_records_lender_status", "st_records_requester_status"}
    server = create_engine(urls["postgresql"], isolation_level="AUTOCOMMIT")
    fresh = "fresh_" + uuid.uuid4().hex[:12]
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{fresh}"'))
    try:
        for url, make in ((urls["postgresql"].rsplit("/", 1)[0] + "/" + fresh, "migrations"),
                          (urls["postgresql"], "create_all")):
            app = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                              "SQLALCHEMY_DATABASE_URI": url})
            with app.app_context():
                if make == "migrations":
                    upgrade()
                else:
                    db.create_all()
                found = set(db.session.scalars(text("SELECT stxname FROM pg_statistic_ext")))
                db.session.remove()
                db.engine.dispose()
            assert names <= found, make
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)'))
        server.dispose()


def test_status_tallies_migration_counts_the_records_already_there(empty_database, keep_logging):
    """A database at the revision before the status tallies, with active, final and archived records:
    the upgrade counts the active ones per library, side, kind and status, and the work list reads them."""
    from sqlalchemy import insert

    from portal.models import Library, Record
    from portal.services import tallies
    from portal.services.search import status_counts_by_side
    from portal.workflow.machine import Side

    app = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade(revision="e9c3a5d7b1f2")
        with db.engine.begin() as connection:  # Core rows, as a database of that revision holds them
            connection.execute(insert(Library.__table__), [{"id": n, "code": f"FA{n}", "name": f"L{n}"}
                                                           for n in (1, 2, 3)])
            rows = [("copy", "UNPROCESSED", False, 2), ("copy", "UNPROCESSED", False, 2), ("loan", "ON_LOAN", False, 3),
                    ("copy", "PREPARING", False, None), ("copy", "CONFIRMED", False, 2), ("copy", "PROCESSING", True, 2)]
            connection.execute(insert(Record.__table__), [
                {"id": n, "kind": kind, "status": status, "archived": archived, "version": 1, "requester_id": 1,
                 "lender_id": lender, "title": "t", "std_no": "", "author": ""}
                for n, (kind, status, archived, lender) in enumerate(rows, start=1)])
        upgrade()
        with db.engine.connect() as connection:
            assert tallies.stored(connection) == tallies.counted(connection) == {
                (1, "requester", "copy", "UNPROCESSED"): 2, (1, "requester", "loan", "ON_LOAN"): 1,
                (1, "requester", "copy", "PREPARING"): 1, (2, "lender", "copy", "UNPROCESSED"): 2,
                (3, "lender", "loan", "ON_LOAN"): 1}
        assert status_counts_by_side(2)[Side.LENDER]["UNPROCESSED"] == 2
        assert status_counts_by_side(1, "loan")[Side.REQUESTER]["ON_LOAN"] == 1
        with db.engine.begin() as connection:  # the migrations' triggers count what is written after them
            records = Record.__table__
            connection.execute(records.update().where(records.c.id == 1).values(status="PROCESSING"))
            connection.execute(records.update().where(records.c.id == 3).values(lender_id=2))
            assert tallies.stored(connection) == tallies.counted(connection)
            assert tallies.stored(connection)[(2, "lender", "copy", "PROCESSING")] == 1
        db.session.remove()
        db.engine.dispose()


def test_due_index_migration_replaces_the_due_indexes_on_a_database_with_loans(empty_database, keep_logging):
    """A database at the revision before, with loans in it: the upgrade replaces the due indexes by the
    ones over the loans out, the due counts stay what they were, and the downgrade gives the old back."""
    from datetime import date, timedelta

    from flask_migrate import downgrade
    from sqlalchemy import insert

    from portal.models import Library, Record
    from portal.services.search import due_counts
    from portal.workflow.machine import Side

    today = date(2026, 12, 1)
    app = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": empty_database})
    loans = [  # (status, kind, renewal handling, due in days, archived)
        ("ON_LOAN", "loan", False, -2, False), ("ARRIVED", "loan", False, 1, False),
        ("RETURN_PROCESSING", "loan", True, -1, False), ("RETURN_PROCESSING", "loan", False, -1, False),
        ("ON_LOAN", "copy", False, -2, False), ("CONFIRMED", "loan", False, -2, True),
        ("SHIPPED", "loan", False, 2, False), ("ON_LOAN", "loan", False, 9, False)]

    def index_names():
        return {index["name"] for index in inspect(db.engine).get_indexes("records")}

    with app.app_context():
        upgrade(revision="b4f7e2a9c6d1")
        with db.engine.begin() as connection:
            connection.execute(insert(Library.__table__), [{"id": n, "code": f"FA{n}", "name": f"L{n}"} for n in (1, 2)])
            connection.execute(insert(Record.__table__), [
                {"id": pk, "kind": kind, "status": status, "version": 1, "requester_id": 1, "lender_id": 2,
                 "title": "", "std_no": "", "author": "", "renewal_handling": renewal,
                 "due_on": today + timedelta(days=days), "archived": archived}
                for pk, (status, kind, renewal, days, archived) in enumerate(loans, start=1)])
        expected = {"overdue": 2, "due_soon": 2}
        assert {"ix_records_lender_active_due", "ix_records_requester_active_due"} <= index_names()
        upgrade()
        names = index_names()
        assert {"ix_records_lender_out_due", "ix_records_requester_out_due"} <= names
        assert not {"ix_records_lender_active_due", "ix_records_requester_active_due"} & names
        for library_id, side in ((1, Side.REQUESTER), (2, Side.LENDER)):
            assert due_counts(library_id, side, today, 3) == expected
        db.session.remove()
        downgrade(revision="b4f7e2a9c6d1")
        names = index_names()
        assert {"ix_records_lender_active_due", "ix_records_requester_active_due"} <= names
        assert not {"ix_records_lender_out_due", "ix_records_requester_out_due"} & names
        db.session.remove()
        db.engine.dispose()


def _tally_triggers(connection, function: str = "status_tallies_follow_records") -> dict[str, str]:
    """The triggers on records as the database holds them (and PostgreSQL's `function`), whitespace
    folded: name -> definition."""
    if connection.dialect.name == "postgresql":
        found = dict(connection.execute(text(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'records'::regclass "
            "AND NOT tgisinternal")).all())
        found["function"] = connection.execute(text(
            "SELECT prosrc FROM pg_proc WHERE proname = :name"), {"name": function}).scalar()
    else:
        found = dict(connection.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'records'")).all())
    return {name: " ".join(str(definition).split()) for name, definition in found.items()}


def test_the_migrated_tally_triggers_are_the_ones_the_code_builds(empty_database, keep_logging):
    """The revision that installs the tally triggers holds their SQL of its day; services.tallies builds
    them from the code (create_all, the benchmark's load). Both must be the same: a change to the code's
    triggers (a new final status, say) needs a revision that installs it on migrated databases."""
    from portal.services import tallies

    app = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        with db.engine.begin() as connection:
            migrated = _tally_triggers(connection)
            tallies.create_triggers(connection)
            built = _tally_triggers(connection)
        db.engine.dispose()
    assert set(tallies.TRIGGERS) <= set(migrated)
    assert migrated == built


def test_former_lenders_migration_fills_the_rows_of_the_records_already_there(empty_database, keep_logging):
    """A database at the revision before former_lenders, with records and their history: the upgrade gives
    each record not archived a row per former lender that is no party now, with the record's latest
    change; its trigger then moves the row with the record, and the downgrade takes it all back."""
    from datetime import datetime, timedelta, timezone

    from flask_migrate import downgrade
    from sqlalchemy import insert

    from portal.models import HistoryEntry, Library, Record

    app = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": empty_database})
    changed = datetime(2026, 11, 1, 9, 30, tzinfo=timezone.utc)
    with app.app_context():
        upgrade(revision="c8e2f4a6b1d3")
        with db.engine.begin() as connection:
            connection.execute(insert(Library.__table__), [{"id": n, "code": f"FA{n}", "name": f"L{n}"}
                                                           for n in (1, 2, 3, 4)])
            connection.execute(insert(Record.__table__), [  # 1: current; 2: archived; 3: 3 lends it now
                {"id": pk, "kind": "copy", "status": "PROCESSING", "version": 1, "requester_id": 1,
                 "lender_id": 3 if pk == 3 else 2, "title": f"看護研究 {pk}", "std_no": "", "author": "",
                 "archived": pk == 2, "updated_at": changed + timedelta(minutes=pk)} for pk in (1, 2, 3)])
            connection.execute(insert(HistoryEntry.__table__), [
                {"record_id": pk, "command": "PARDON", "from_status": "PROCESSING", "to_status": "UNPROCESSED",
                 "side": "lender", "library_id": library_id}
                for pk in (1, 2, 3) for library_id in (3, 4, 3)])  # twice: one row still
        upgrade()
        rows = "SELECT record_id, library_id, updated_at FROM former_lenders ORDER BY record_id, library_id"
        with db.engine.begin() as connection:
            found = [(pk, library_id, str(at)[:16]) for pk, library_id, at in connection.execute(text(rows))]
            assert found == [(1, 3, "2026-11-01 09:31"), (1, 4, "2026-11-01 09:31"), (3, 4, "2026-11-01 09:33")]
            connection.execute(Record.__table__.update().where(Record.__table__.c.id == 1)
                               .values(updated_at=changed + timedelta(days=1)))
            moved = {library_id: str(at)[:16] for pk, library_id, at in connection.execute(text(rows)) if pk == 1}
            assert moved == {3: "2026-11-02 09:30", 4: "2026-11-02 09:30"}
        downgrade(revision="c8e2f4a6b1d3")
        assert "former_lenders" not in inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()


def test_the_migrated_search_triggers_are_the_ones_the_code_builds(empty_database, keep_logging):
    """The revisions that install former_lenders' and search_postings' triggers hold their SQL of their day;
    services.search_index builds them for create_all and the benchmark's load: the two are the same."""
    from portal.services import search_index

    app = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        with db.engine.begin() as connection:
            migrated = {trigger: _tally_triggers(connection, trigger) for trigger in search_index.FOLLOWING}
            search_index.create_triggers(connection)
            built = {trigger: _tally_triggers(connection, trigger) for trigger in search_index.FOLLOWING}
        db.engine.dispose()
    for trigger in search_index.FOLLOWING:
        assert trigger in migrated[trigger]
        assert migrated[trigger].get("function") or "sqlite" in empty_database
    assert migrated == built


def test_search_postings_migration_fills_the_rows_of_the_records_already_there(empty_database, keep_logging):
    """A database at the revision before search_postings, with records and their terms: the upgrade gives
    each record not archived a row per current-access library and n-gram, with the record's latest change;
    its trigger then moves the rows with the record, and the downgrade takes it all back."""
    from datetime import datetime, timedelta, timezone

    from flask_migrate import downgrade
    from sqlalchemy import insert

    from portal.models import Library, Record, RecordSearch
    from portal.services import search_index
    from portal.workflow.search_terms import document_terms

    app = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": empty_database})
    changed = datetime(2026, 11, 1, 9, 30, tzinfo=timezone.utc)
    terms = {pk: document_terms([f"看護研究 {pk}", "Nursing"], [1, 2], archived=pk == 2,
                                former=[3] if pk == 3 else []) for pk in (1, 2, 3)}
    with app.app_context():
        upgrade(revision="d4a8f2c6e1b9")
        with db.engine.begin() as connection:
            name = connection.dialect.name
            connection.execute(insert(Library.__table__), [{"id": n, "code": f"FA{n}", "name": f"L{n}"}
                                                           for n in (1, 2, 3)])
            connection.execute(insert(Record.__table__), [  # 2 is archived; 3 has a former lender
                {"id": pk, "kind": "copy", "status": "PROCESSING", "version": 1, "requester_id": 1,
                 "lender_id": 2, "title": f"看護研究 {pk}", "std_no": "", "author": "", "archived": pk == 2,
                 "updated_at": changed + timedelta(minutes=pk)} for pk in (1, 2, 3)])
            connection.execute(insert(RecordSearch.__table__), [
                {"record_id": pk, "terms": search_index.stored(name, terms[pk])} for pk in (1, 2, 3)])
        upgrade()
        rows = "SELECT record_id, library_id, term, updated_at FROM search_postings"
        with db.engine.begin() as connection:
            found = {(pk, library_id, term): str(at)[:16]
                     for pk, library_id, term, at in connection.execute(text(rows))}
            expected = search_index.posting_rows_of_terms(terms)
            assert set(found) == expected and {pk for pk, _, _ in expected} == {1, 3}
            assert {(1, 1, "看護"), (1, 2, "看護"), (3, 3, "看護"), (3, 1, "urs")} <= expected  # 3: a former lender
            assert {found[key] for key in found if key[0] == 3} == {"2026-11-01 09:33"}
            connection.execute(Record.__table__.update().where(Record.__table__.c.id == 1)
                               .values(updated_at=changed + timedelta(days=1)))
            moved = {str(at)[:16] for pk, _, _, at in connection.execute(text(rows)) if pk == 1}
            assert moved == {"2026-11-02 09:30"}
            if name == "postgresql":  # never scanned in parallel (models.search.POSTINGS_STORAGE)
                options = connection.execute(text("SELECT reloptions FROM pg_class WHERE relname = 'search_postings'"))
                assert "parallel_workers=0" in options.scalar()
        downgrade(revision="d4a8f2c6e1b9")
        assert "search_postings" not in inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()
