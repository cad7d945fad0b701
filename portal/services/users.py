"""Staff log-in and personal preferences."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import User
from . import unit_of_work

LANGUAGES = ("ja", "en")


def authenticate(username: str, password: str) -> User | None:
    """The active user with this name and password, else None (no hint which was wrong)."""
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None or not user.active or not user.check_password(password or ""):
        return None
    return user


def set_language(user: User, language: str) -> None:
    if language not in LANGUAGES:
        return
    with unit_of_work():
        user.language = language
