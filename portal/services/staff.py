"""Who manages which user accounts: an admin every user; a library's manager the
staff and managers of their own library (add, change role, deactivate, reset a
password), never another library's users and never an admin."""
from __future__ import annotations

from ..models import User
from ..models.user import ROLES
from ..workflow.errors import Forbidden, ValidationError
from .admin import add_user, update_user
from .worklists import library_users

MANAGER_ROLES = ("staff", "manager")  # the roles a manager may give


def roles_for(actor: User) -> tuple[str, ...]:
    return tuple(ROLES) if actor.is_admin else MANAGER_ROLES


def may_manage(actor: User, user: User) -> bool:
    if actor.is_admin:
        return True
    return actor.is_manager and user.library_id == actor.library_id and not user.is_admin


def manageable_users(actor: User) -> list[User]:
    if actor.is_admin:
        return library_users()
    return [u for u in library_users(actor.library_id) if not u.is_admin]


def _check_role(actor: User, role: str | None) -> None:
    if role is not None and role in ROLES and role not in roles_for(actor):
        raise ValidationError({"role": "A manager gives the roles staff or manager only."})


def add_staff(actor: User, username: str, library_code: str, password: str, role: str = "staff") -> User:
    """A new user; a manager adds them to their own library only."""
    if not actor.is_manager:
        raise Forbidden("Only managers and admins manage users.")
    if not actor.is_admin:
        library_code = actor.library.code
    _check_role(actor, role)
    return add_user(username, library_code, password, role)


def update_staff(actor: User, user: User, role: str | None = None, library_code: str | None = None,
                 active: bool | None = None, password: str | None = None) -> User:
    """Change a user; a manager keeps them in their own library."""
    if not may_manage(actor, user):
        raise Forbidden("You may not manage this user.")
    if not actor.is_admin:
        library_code = None  # only an admin moves a user to another library
    _check_role(actor, role)
    return update_user(user, role=role, library_code=library_code, active=active, password=password, actor=actor)
