"""Views that only read run without a transaction: two round trips fewer on PostgreSQL.

On PostgreSQL every statement is a round trip to the server, and on a busy machine each costs
about half a millisecond however small the statement. A record page's six statements cost nine
round trips: the pool's ping of the connection (kept: after a database restart it replaces the
stale connections before a request meets one), BEGIN, the six, and ROLLBACK.

A view marked ``@reads_only`` runs its statements in the driver's autocommit mode: no BEGIN
before the first, no ROLLBACK after the last. What the page reads does not change: under
PostgreSQL's default isolation (READ COMMITTED, which the portal keeps) each statement of a
transaction already sees what was committed when it began, and SQLite's driver begins no
transaction for a SELECT. Nothing is decided on what a page read: a command checks the record's
version in its own transaction.

- Nothing is written that way: an INSERT, UPDATE or DELETE in such a request raises
  ``ReadOnlyRequest`` before it reaches the database (a bug in the view, not a user's error).
  Changes go through ``services.unit_of_work`` from unmarked views.
- A request that finds a transaction already open (a test's, around the test client) joins it,
  as an unmarked view does.
"""
from __future__ import annotations

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
    connection it hands out goes back to the pool in the engine's own mode."""
    copy = engine.__dict__.get("_reads_only_copy")
    if copy is None:
        copy = engine.__dict__["_reads_only_copy"] = engine.execution_options(isolation_level="AUTOCOMMIT")
        event.listen(copy, "before_cursor_execute", _refuse_writes)  # on the copy only
    return copy


def _refuse_writes(connection, cursor, statement, parameters, context, executemany):
    """Before an INSERT, UPDATE or DELETE (the ORM's flush or a Core statement) reaches the database."""
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        raise ReadOnlyRequest(f"the @reads_only view {request.endpoint if request else '?'} tried to write")


def init_database(app: Flask, db) -> None:
    """Register the two request hooks (before any other hook that may query)."""

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
