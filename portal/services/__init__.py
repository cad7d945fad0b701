"""Operations that change data: plain functions taking an actor and arguments.

They never read the request, the session or ``g``; they raise the domain
errors of ``portal.workflow.errors``, which web and API turn into answers.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..workflow.errors import N_, Conflict


def portal_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["PORTAL_TIMEZONE"])


def portal_today() -> date:
    """'Today' is the calendar date in the portal's time zone."""
    return datetime.now(portal_zone()).date()


RECORD_BUSY = N_("The record is being changed by someone else; try again.")
PORTAL_BUSY = N_("The portal is busy with another change; try again in a moment.")


#: PostgreSQL's transaction-rollback errors a retry may well not meet: a serialization failure, a
#: deadlock (two changes taking the same status tallies in another order, say). PostgreSQL rolled the
#: transaction back; nothing of it was written.
TRANSIENT_SQLSTATES = ("40001", "40P01")


def is_transient(error: OperationalError) -> bool:
    """Whether a database error means "busy, try again" (SQLite's lock, PostgreSQL's serialization
    failure or deadlock), not a fault."""
    text = str(error).lower()
    return ("locked" in text or "could not serialize" in text
            or getattr(error.orig, "sqlstate", None) in TRANSIENT_SQLSTATES)


@contextmanager
def unit_of_work(busy: str = RECORD_BUSY, keep_loaded: bool = False):
    """The one place a transaction ends: commit on success, rollback on any error.

    A concurrent change of the same record (stale version, or SQLite's lock)
    becomes a Conflict, never a half-applied record or a server error; `busy` is
    what a lock says (a new record is not "the record" anyone else changes).
    `keep_loaded`: what the transaction loaded and wrote stays loaded after the
    commit (the answer shows what was just committed instead of reading it all again).
    """
    try:
        yield db.session
        if keep_loaded:
            session = db.session()  # the request's Session behind the scoped proxy
            expire, session.expire_on_commit = session.expire_on_commit, False
            try:
                session.commit()
            finally:
                session.expire_on_commit = expire
        else:
            db.session.commit()
    except StaleDataError as error:
        db.session.rollback()
        raise Conflict("The record was changed by someone else meanwhile; reload it and try again.") from error
    except OperationalError as error:
        db.session.rollback()
        if is_transient(error):
            raise Conflict(busy) from error
        raise
    except BaseException:
        db.session.rollback()
        raise
