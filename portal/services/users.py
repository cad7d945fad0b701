"""Staff log-in and personal preferences."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import ApiToken, User
from ..models.user import hash_token
from . import unit_of_work

LANGUAGES = ("ja", "en")


def authenticate(username: str, password: str) -> User | None:
    """The active user with this name and password, else None (no hint which was wrong)."""
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None or not user.active or not user.check_password(password or ""):
        return None
    return user


def user_for_token(secret: str) -> User | None:
    """The active user whose unrevoked API token this is, else None."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    return token.user


def set_language(user: User, language: str) -> None:
    if language not in LANGUAGES:
        return
    with unit_of_work():
        user.language = language
