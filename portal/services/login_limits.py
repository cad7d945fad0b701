"""Limits on failed log-ins, per user name and per client address.

Failures are rows in the database (models.LoginFailure) rather than counters in a worker's
memory: every gunicorn worker on every host sees the same counts with no further service to
run (Flask-Limiter would need Redis or memcached for that; its in-memory default counts per
worker). A failure counts for its user name and for its address for LOGIN_FAILURE_WINDOW
seconds; a successful log-in clears its user name's failures. Check and insert are not one
atomic step, so parallel attempts may overshoot a limit by the number of workers: the limit
is against guessing, where a handful more attempts does not matter.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import delete, select

from ..extensions import db
from ..models import LoginFailure
from . import unit_of_work


@dataclass(frozen=True)
class Lockout:
    until: datetime  # when the oldest counted failure expires (UTC)
    seconds: int  # from now until then


def _key(username: str | None) -> str:
    return (username or "").strip()[:80]


def _window() -> timedelta:
    return timedelta(seconds=current_app.config["LOGIN_FAILURE_WINDOW"])


def lockout(username: str | None, address: str | None) -> Lockout | None:
    """A Lockout when this user name or this address has failed too often lately, else None."""
    now = datetime.now(timezone.utc)
    since = now - _window()
    config = current_app.config
    oldest = []
    for column, value, limit in ((LoginFailure.username, _key(username), config["LOGIN_FAILURES_PER_USER"]),
                                 (LoginFailure.address, (address or "")[:64], config["LOGIN_FAILURES_PER_ADDRESS"])):
        times = db.session.scalars(select(LoginFailure.at).where(column == value, LoginFailure.at > since)
                                   .order_by(LoginFailure.at.desc()).limit(limit)).all()
        if len(times) >= limit:
            oldest.append(times[-1])  # the limit-th most recent: when it expires, one more try is allowed
    if not oldest:
        return None
    free_at = max(oldest) + _window()
    return Lockout(until=free_at, seconds=max(1, math.ceil((free_at - now).total_seconds())))


def record_failure(username: str | None, address: str | None) -> None:
    with unit_of_work() as session:
        session.execute(delete(LoginFailure).where(LoginFailure.at < datetime.now(timezone.utc) - _window()))
        session.add(LoginFailure(username=_key(username), address=(address or "")[:64]))


def clear_failures(username: str) -> None:
    with unit_of_work() as session:
        session.execute(delete(LoginFailure).where(LoginFailure.username == _key(username)))
