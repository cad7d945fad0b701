"""The database going away: what counts as an outage, and /healthz for load balancers.

While PostgreSQL is down (or restarting) every query fails with a connection error; the
error handlers answer those with 503 and Retry-After instead of 500. The engine pings a
pooled connection before handing it out (pool_pre_ping), so once the server is back the
stale connections are replaced without a failed request each.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import exc, text

from ..database import reads_only
from ..extensions import db

bp = Blueprint("health", __name__)


def is_database_outage(error: BaseException) -> bool:
    """A connection that failed or broke, or no connection to be had (pool time-out).

    OperationalError is the DB-API's class for exactly that (server gone, connection
    refused or reset, too many connections); SQLite's "database is locked" is one too and
    is turned into a Conflict before it gets here (services.unit_of_work).
    """
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, (exc.OperationalError, exc.TimeoutError))


def summary(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    return f"{type(original).__name__}: {str(original).strip().splitlines()[0] if str(original).strip() else ''}"


def forget_failed_transaction() -> None:
    """Roll back what the failed request began (its ORM objects are expired, so the error
    page must not read them); with the server gone even that may fail."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - nothing more to undo on a dead connection
        pass


@bp.get("/healthz")
@reads_only
def healthz():
    """200 when the database answers, else 503: no log-in, no CSRF (a GET changes nothing)."""
    try:
        db.session.execute(text("SELECT 1"))
    except exc.SQLAlchemyError as error:
        forget_failed_transaction()
        current_app.logger.warning("healthz: database unavailable: %s", summary(error))
        return (jsonify({"status": "unavailable", "database": "unreachable"}), 503,
                {"Retry-After": str(current_app.config["DATABASE_RETRY_AFTER"])})
    return jsonify({"status": "ok", "database": "ok"})
