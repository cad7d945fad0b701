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
from ..workflow.errors import Conflict


def portal_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["PORTAL_TIMEZONE"])


def portal_today() -> date:
    """'Today' is the calendar date in the portal's time zone."""
    return datetime.now(portal_zone()).date()


@contextmanager
def unit_of_work():
    """The one place a transaction ends: commit on success, rollback on any error.

    A concurrent change of the same record (stale version, or SQLite's lock)
    becomes a Conflict, never a half-applied record or a server error.
    """
    try:
        yield db.session
        db.session.commit()
    except StaleDataError as error:
        db.session.rollback()
        raise Conflict("The record was changed by someone else meanwhile; reload it and try again.") from error
    except OperationalError as error:
        db.session.rollback()
        if "locked" in str(error).lower() or "could not serialize" in str(error).lower():
            raise Conflict("The record is being changed by someone else; try again.") from error
        raise
    except BaseException:
        db.session.rollback()
        raise
