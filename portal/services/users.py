"""Staff log-in and personal preferences."""
from __future__ import annotations

import functools
import secrets

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import ApiToken, User
from ..models.user import hash_token
from . import unit_of_work
from .search import tallies_column

LANGUAGES = ("ja", "en")


def authenticate(username: str, password: str) -> User | None:
    """The active user with this name and password, else None (no hint which was wrong).

    An unknown or inactive name costs the same password check as a known one (against a
    dummy hash of the configured method), so the answer time does not tell which names exist.
    """
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()[:80]))
    stored = user.password_hash if user is not None else dummy_hash(current_app.config["PASSWORD_HASH_METHOD"])
    password_ok = check_password_hash(stored, password or "")
    if user is None or not user.active or not password_ok:
        return None
    return user


@functools.cache
def dummy_hash(method: str) -> str:
    """A hash of a random password, made once per process and hash method."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


#: every API request's first statement, built once: the token and its user in one statement
_TOKEN = select(ApiToken).options(joinedload(ApiToken.user)).where(ApiToken.token_hash == bindparam("token_hash"))

#: every staff page's first statement, built once: the session's user and its library
SESSION_USER = select(User).options(joinedload(User.library)).where(User.id == bindparam("pk"))
#: ... and for a GET, its library's status tallies too (the header's badge counts them)
SESSION_USER_AND_TALLIES = SESSION_USER.add_columns(tallies_column(User.library_id))


def user_for_token(secret: str) -> User | None:
    """The active user whose unrevoked API token this is, else None."""
    token = db.session.scalar(_TOKEN, {"token_hash": hash_token(secret)})
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    return token.user


def end_sessions(user: User) -> None:
    """Log the user out everywhere (every browser, every worker): the log-out button."""
    with unit_of_work():
        user.end_sessions()


def set_language(user: User, language: str) -> None:
    if language not in LANGUAGES:
        return
    with unit_of_work():
        user.language = language
