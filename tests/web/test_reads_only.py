"""Views marked @reads_only read without a transaction (the driver's autocommit: no BEGIN and no
ROLLBACK round trips on PostgreSQL), never write, and hand their connection back in the pool's own
mode; every other request runs in a transaction as before (on SQLite, whose driver begins none
before a SELECT in any mode, the driver keeps its own mode, and no prepared statement is expired).
On both databases."""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select, update

from portal.database import ReadOnlyRequest, reads_only
from portal.extensions import db
from portal.models import Record


def in_autocommit(connection) -> bool:
    """The statement runs outside a transaction: psycopg's autocommit; on SQLite no transaction open
    (pysqlite begins one before an INSERT, UPDATE or DELETE only)."""
    dbapi = connection.connection.dbapi_connection
    if isinstance(dbapi, sqlite3.Connection):
        return not dbapi.in_transaction
    return dbapi.autocommit  # psycopg


@contextmanager
def statement_modes():
    """(autocommit?, statement) of every statement sent meanwhile."""
    seen: list[tuple[bool, str]] = []

    def note(connection, _cursor, statement, *_args):
        seen.append((in_autocommit(connection), " ".join(statement.split())[:80]))

    event.listen(db.engine, "after_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "after_cursor_execute", note)


def fresh_request(desk, method: str, url: str, **kwargs):
    """A request that opens its own transaction, as in production (the test's app context holds a
    session, which would otherwise still be in the transaction the world's set-up began)."""
    db.session.close()
    with statement_modes() as seen:
        response = getattr(desk, method)(url, **kwargs)
    return response, seen


def test_the_marked_pages_read_in_autocommit_and_a_command_in_a_transaction(world, desk):
    record = world.record("UNPROCESSED", citation={"title": "看護研究"})
    shipping = world.record("PROCESSING")
    desk.as_user("L1")
    pages = [("get", "/?side=lender", {}, 200), ("get", "/?side=lender&status=UNPROCESSED", {"htmx": True}, 200),
             ("get", f"/records/{record.ill_id}", {}, 200), ("get", f"/search?q={record.ill_id}", {}, 302),
             ("get", "/search?q=看護", {}, 200), ("get", "/bulk/send", {}, 200), ("get", "/bulk/receive", {}, 200),
             ("get", "/bulk/sendback", {}, 200), ("get", "/healthz", {}, 200),
             ("post", "/bulk/send/scan", {"data": {"ill_id": shipping.ill_id}, "htmx": True}, 200)]
    for method, url, kwargs, status in pages:
        response, seen = fresh_request(desk, method, url, **kwargs)
        assert response.status_code == status, (url, response.status_code)
        assert seen and all(autocommit for autocommit, _ in seen), (url, seen)
    assert shipping.ill_id in response.get_data(as_text=True)  # the scan found the record

    # The connections went back to the pool in its own mode: a command right after is one transaction.
    response, seen = fresh_request(desk, "post", f"/records/{record.ill_id}/commands/RECEIVE",
                                   data={"version": record.version})
    assert response.status_code in (200, 302), response.status_code
    assert any(statement.startswith("UPDATE records") for _, statement in seen), seen
    # (SQLite's driver begins the transaction at the first write; PostgreSQL's before the first statement)
    in_transaction = [statement for statement in seen if not statement[1].startswith("SELECT")] \
        if db.engine.dialect.name == "sqlite" else seen
    assert not any(autocommit for autocommit, _ in in_transaction), seen
    db.session.close()
    assert db.session.scalar(select(Record.status).where(Record.id == record.id)) == "PROCESSING"


def test_the_apis_record_and_list_read_in_autocommit(world, client):
    record = world.record("UNPROCESSED")
    auth = {"Authorization": f"Bearer {world.token('L1')}"}
    for url in (f"/api/v1/records/{record.ill_id}", "/api/v1/records?side=lender"):
        db.session.close()
        with statement_modes() as seen:
            response = client.get(url, headers=auth)
        assert response.status_code == 200, (url, response.get_json())
        assert seen and all(autocommit for autocommit, _ in seen), (url, seen)


def test_an_unmarked_page_reads_in_a_transaction(world, desk):
    desk.as_user("L1")
    response, seen = fresh_request(desk, "get", "/patrons")
    assert response.status_code == 200
    if db.engine.dialect.name == "sqlite":  # no BEGIN before a SELECT: the driver's mode is what differs
        assert seen and db.engine.raw_connection().driver_connection.isolation_level == ""
    else:
        assert seen and not any(autocommit for autocommit, _ in seen), seen


def test_reading_pages_leave_the_connections_settings_alone(world, desk, backend):
    """The marked pages change no setting of the pooled connection by a statement. On SQLite, setting
    the driver's mode back took a `PRAGMA read_uncommitted`, which expires every statement the
    connection has prepared: each statement of the next page was parsed and planned again. On
    PostgreSQL autocommit is psycopg's flag, and the connection goes back to the pool without it."""
    desk.as_user("L1")
    traced: list[str] = []
    used = []

    def checked_out(dbapi_connection, _record, _proxy):
        used.append(dbapi_connection)
        if backend == "sqlite":
            dbapi_connection.set_trace_callback(traced.append)

    event.listen(db.engine.pool, "checkout", checked_out)
    try:
        for _ in range(2):
            db.session.close()
            assert desk.get("/?side=lender").status_code == 200
            assert desk.get("/search?q=看護").status_code == 200
    finally:
        event.remove(db.engine.pool, "checkout", checked_out)
        for dbapi_connection in used:
            if backend == "sqlite":
                dbapi_connection.set_trace_callback(None)
    assert used
    if backend == "sqlite":
        assert any(statement.lstrip().upper().startswith("SELECT") for statement in traced), traced[:5]
        settings = [statement for statement in traced if "PRAGMA" in statement.upper() and "=" in statement]
        assert settings == [], settings  # (FTS5's own "-- PRAGMA 'main'.data_version" reads, sets nothing)
    else:
        assert not any(dbapi_connection.autocommit for dbapi_connection in used)


@pytest.fixture
def writing_views(app):
    """Two views marked @reads_only that write anyway (a bug the mark must catch): through the ORM's
    flush and through a Core UPDATE. Added before the app's first request."""
    def orm_write(record_id: int):
        db.session.get(Record, record_id).lender_staff = "written by a view"
        db.session.flush()
        return "written"

    def core_write(record_id: int):
        db.session.execute(update(Record).where(Record.id == record_id).values(lender_staff="written by a view"))
        return "written"

    app.add_url_rule("/test/orm-write/<int:record_id>", view_func=reads_only(orm_write))
    app.add_url_rule("/test/core-write/<int:record_id>", view_func=reads_only(core_write))
    return app


@pytest.mark.parametrize("how", ["orm-write", "core-write"])
def test_a_marked_view_that_writes_is_refused_before_the_database_sees_it(writing_views, world, how, caplog):
    record = world.record("UNPROCESSED")
    before = record.lender_staff
    db.session.close()
    client = writing_views.test_client()
    with statement_modes() as seen:
        response = client.get(f"/test/{how}/{record.id}")
    assert response.status_code == 500
    assert not any(statement.startswith("UPDATE") for _, statement in seen), seen
    assert any(isinstance(r.exc_info[1], ReadOnlyRequest) for r in caplog.records if r.exc_info), caplog.text
    db.session.close()
    assert db.session.scalar(select(Record.lender_staff).where(Record.id == record.id)) == before
