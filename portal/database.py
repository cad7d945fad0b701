"""Fewer round trips to PostgreSQL: views that only read run without a transaction, and the pool
pings a connection only when it may be stale.

On PostgreSQL every statement is a round trip to the server, and on a busy machine each costs
about half a millisecond however small the statement. A record page once cost nine round trips
for its six statements: the pool's ping of the connection, BEGIN, the six, and ROLLBACK.

**Views that only read.** A view marked ``@reads_only`` runs its statements in the driver's
autocommit mode: no BEGIN before the first, no ROLLBACK after the last. What the page reads does
not change: under PostgreSQL's default isolation (READ COMMITTED, which the portal keeps) each
statement of a transaction already sees what was committed when it began. SQLite's driver begins
no transaction for a SELECT in any mode, so there the mark only refuses writes (see
``autocommit_engine``). Nothing is decided on what a page read: a command checks the record's
version in its own transaction.

- Nothing is written that way: an INSERT, UPDATE or DELETE in such a request raises
  ``ReadOnlyRequest`` before it reaches the database (a bug in the view, not a user's error).
  Changes go through ``services.unit_of_work`` from unmarked views.
- A request that finds a transaction already open (a test's, around the test client) joins it,
  as an unmarked view does.

**The pool's ping only when a connection may be stale** (PostgreSQL; ``ping_only_when_needed``). The
ping before every checkout (SQLAlchemy's ``pool_pre_ping``) exists so that after a database
restart a request never meets a dead connection. A server that stops, restarts or ends a session
(``pg_terminate_backend``, ``idle_session_timeout``) tells the client: it sends an error message
and closes the socket, so the socket has something to read. A connection given back to the pool
a few seconds ago whose socket has nothing to read goes out without a ping; any other (idle
longer, a socket with something to read, a broken or closed connection) is pinged as before, and
a failed ping replaces every connection of the pool, as ``pool_pre_ping`` does. What is left to
a ping alone is a server gone without a word (its host lost power, a firewall dropped the
connection) in the seconds since the connection's last request: that request fails with the
503 of an outage, and the pool starts afresh.
"""
from __future__ import annotations

import select
import time

from flask import Flask, current_app, request
from flask_sqlalchemy.session import Session
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

READS = "reads_only"  # the mark on a view function, and the flag in its request's Session.info


class ReadOnlyRequest(RuntimeError):
    """A view marked @reads_only tried to write."""


def reads_only(view):
    """Mark a view that never writes (put it below the route decorator)."""
    setattr(view, READS, True)
    return view


class PortalSession(Session):
    """Flask-SQLAlchemy's session, bound to an autocommit copy of its engine while the flag is set."""

    def get_bind(self, *args, **kwargs):
        bind = super().get_bind(*args, **kwargs)
        if self.info.get(READS) and isinstance(bind, Engine):
            return autocommit_engine(bind)
        return bind


def autocommit_engine(engine: Engine) -> Engine:
    """The engine with isolation_level AUTOCOMMIT, sharing its pool; made once per engine. A
    connection it hands out goes back to the pool in the engine's own mode.

    On SQLite the copy keeps the driver's own mode: pysqlite begins no transaction before a SELECT
    in either mode, and SQLAlchemy sets the mode back with ``PRAGMA read_uncommitted``, a flag pragma
    that expires every statement the connection has prepared, so that each statement of the next
    request was parsed and planned again (5% of a work list's instructions)."""
    copy = engine.__dict__.get("_reads_only_copy")
    if copy is None:
        options = {} if engine.dialect.name == "sqlite" else {"isolation_level": "AUTOCOMMIT"}
        copy = engine.__dict__["_reads_only_copy"] = engine.execution_options(**options)
        event.listen(copy, "before_cursor_execute", _refuse_writes)  # on the copy only
    return copy


def _refuse_writes(connection, cursor, statement, parameters, context, executemany):
    """Before an INSERT, UPDATE or DELETE (the ORM's flush or a Core statement) reaches the database."""
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        raise ReadOnlyRequest(f"the @reads_only view {request.endpoint if request else '?'} tried to write")


def init_database(app: Flask, db, ping_when_needed: bool = False) -> None:
    """Register the two request hooks (before any other hook that may query), and the pool's
    ping only when needed (instead of pool_pre_ping, which create_app took out of the options)."""
    if ping_when_needed:
        with app.app_context():
            ping_only_when_needed(db.engine)

    @app.before_request
    def read_without_a_transaction():
        if getattr(current_app.view_functions.get(request.endpoint or ""), READS, False):
            session = db.session()
            if not session.in_transaction():
                session.info[READS] = True

    @app.teardown_request
    def end_reading(error=None):
        session = db.session() if db.session.registry.has() else None
        if session is None or not session.info.get(READS):
            return
        try:
            session.rollback()  # nothing to undo: the connection goes back to the pool
        except exc.SQLAlchemyError:
            pass  # the connection broke (the error page said so): nothing to give back
        finally:
            del session.info[READS]


# -- the pool's ping, only when a connection may be stale -----------------------------------------

#: A connection given back to the pool within this many seconds goes out again without a ping if
#: its socket has nothing to read.
RECENTLY_USED = 10.0
CHECKED_IN = "portal_checked_in"  # in a connection record's info: time.monotonic() when last given back


def ping_only_when_needed(engine: Engine) -> None:
    """Ping a pooled PostgreSQL connection at checkout only if it may be stale (see the module's
    docstring); a failed ping replaces the whole pool, as pool_pre_ping does."""
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def connected(dbapi_connection, record):
        record.info[CHECKED_IN] = time.monotonic()  # just made: no ping needed

    @event.listens_for(engine, "checkin")
    def checked_in(dbapi_connection, record):
        record.info[CHECKED_IN] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def checked_out(dbapi_connection, record, proxy):
        given_back = record.info.get(CHECKED_IN)
        if given_back is not None and time.monotonic() - given_back < RECENTLY_USED and quiet(dbapi_connection):
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.InvalidatePoolError(str(error)) from error  # the pool retries with a new connection
            raise


def quiet(dbapi_connection) -> bool:
    """True if the psycopg connection is open and nothing has come from the server since its last
    answer was read: no error message, no end of the stream (a zero-timeout poll of its socket)."""
    if dbapi_connection.closed or dbapi_connection.broken:
        return False
    try:
        poller = select.poll()
        poller.register(dbapi_connection.pgconn.socket, select.POLLIN)
        return not poller.poll(0)
    except (OSError, ValueError, AttributeError):
        return False  # no socket to ask (closed in between, or no poll here): ping
