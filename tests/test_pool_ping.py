"""The pool's ping on PostgreSQL: a connection given back just now goes out without one, any other
is pinged, and a connection whose session the server ended is replaced before a request meets it."""
from __future__ import annotations

import select
import time

import psycopg
import pytest
from sqlalchemy import text

from portal import create_app, database
from portal.config import TestConfig
from portal.extensions import db

TEST_SETTINGS = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}


@pytest.fixture
def pg_app(database_urls):
    urls, _created = database_urls
    if "postgresql" not in urls:
        pytest.skip("PostgreSQL server binaries are not installed")
    app = create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": urls["postgresql"]})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def pings(pg_app, monkeypatch):
    """The pings the pool sends, counted (the dialect's own ping still runs)."""
    dialect = db.engine.dialect
    sent = []
    ping = dialect.do_ping

    def counted(dbapi_connection):
        sent.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return sent


def backend_pid() -> int:
    """The server process of the connection a statement gets now (given back afterwards)."""
    with db.engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_the_engine_has_no_ping_before_every_checkout_but_the_portals_check(pg_app):
    assert db.engine.pool._pre_ping is False
    assert "pool_pre_ping" not in pg_app.config["SQLALCHEMY_ENGINE_OPTIONS"]


def test_a_connection_given_back_just_now_goes_out_without_a_ping(pings):
    first = backend_pid()
    assert backend_pid() == first and backend_pid() == first  # the same pooled connection
    assert pings == []


def test_a_connection_idle_longer_than_a_few_seconds_is_pinged(pings, monkeypatch):
    first = backend_pid()
    monkeypatch.setattr(database, "RECENTLY_USED", 0.0)  # every connection counts as idle now
    assert backend_pid() == first
    assert len(pings) == 1


def test_a_connection_the_server_ended_is_pinged_and_replaced_before_a_statement_meets_it(pg_app, pings):
    pid = backend_pid()
    pooled = db.engine.pool._pool.queue[0].dbapi_connection
    with psycopg.connect(pg_app.config["SQLALCHEMY_DATABASE_URI"].replace("+psycopg", ""), autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
    # the server says so (an error message, then the end of the stream) within moments
    assert select.select([pooled.pgconn.socket], [], [], 5)[0], "the ended session's socket stayed silent"
    assert not database.quiet(pooled)

    started = time.monotonic()
    assert backend_pid() != pid  # no error: the pool replaced the connection
    assert len(pings) == 1 and time.monotonic() - started < 5
    client = pg_app.test_client()
    assert client.get("/healthz").status_code == 200


def test_a_closed_connection_is_not_quiet(pg_app):
    with db.engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert database.quiet(raw)
    raw.close()
    assert not database.quiet(raw)
