"""Participant libraries, users and API tokens."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import ApiToken, CommentTemplate, Library, User
from ..models.user import ROLES
from ..workflow.errors import NotFound, ValidationError
from . import unit_of_work
from .records import text_limit

LIBRARY_FIELDS = ("name", "address", "email", "phone", "loan_days", "service", "copy_service",
                  "loan_service", "network", "currency", "slip_size", "slip_client", "ill_section",
                  "due_soon_days")
SLIP_SIZES = ("A5", "A4", "label")  # the page sizes services.slips lays out
#: What a partner's shipping slip may print of this library's end user (Library.slip_client).
SLIP_CLIENT = ("none", "type", "name", "number")

# Comment templates the seed manual gives, per side and command: the library's own
# wording (sent to the partner) and an English gloss (a hint in the English UI only).
DEFAULT_TEMPLATES: list[tuple[str, str, str, str]] = [
    ("lender", "INQUIRE", "参照不完", "incomplete citation"),
    ("lender", "INQUIRE", "料金前納", "prepayment required"),
    ("lender", "INQUIRE", "時間がかかります", "will take time"),
    ("lender", "INQUIRE", "貸出中", "on loan until …"),
    ("lender", "INQUIRE", "重複依頼", "duplicate of …"),
    ("lender", "INQUIRE", "要全頁複写許可願", "permission for whole-issue copy"),
    ("lender", "PARDON", "欠号", "missing issue"),
    ("lender", "PARDON", "未着", "not yet received"),
    ("lender", "PARDON", "未所蔵", "not held"),
    ("lender", "PARDON", "製本中", "at the bindery"),
    ("lender", "PARDON", "貸出中", "on loan"),
    ("lender", "PARDON", "貸し出し不可(貴重書)", "not for loan: rare book"),
    ("lender", "PARDON", "複写不可(劣化資料)", "no copying: fragile"),
    ("lender", "CLAIM", "破損していました", "arrived damaged"),
    ("lender", "CLAIM", "別表が同封されていませんでした", "supplement missing"),
    ("lender", "CLAIM", "切手代不足", "postage short"),
    ("lender", "CLAIM", "更新不可", "renewal refused"),
    ("lender", "CLAIM", "更新可", "renewal granted"),
    ("lender", "ANSWER", "欠落ページを送付しました", "missing pages sent"),
    ("requester", "CLAIM", "欠落ページがあります", "pages are missing"),
    ("requester", "CLAIM", "判読できないページがあります", "pages are illegible"),
    ("requester", "RENEW", "貸出期間の更新をお願いします", "please renew the loan"),
    ("requester", "CANCEL", "利用者が依頼を取り下げました", "withdrawn by the end user"),
]


def default_templates() -> list[CommentTemplate]:
    positions: dict[tuple[str, str], int] = {}
    templates = []
    for side, command, text, gloss in DEFAULT_TEMPLATES:
        position = positions[side, command] = positions.get((side, command), -1) + 1
        templates.append(CommentTemplate(side=side, command=command, position=position, text=text, gloss=gloss))
    return templates


def validate_library_fields(values: dict) -> dict:
    errors = {}
    if "loan_days" in values and (not isinstance(values["loan_days"], int) or not 1 <= values["loan_days"] <= 365):
        errors["loan_days"] = "Must be a whole number of days from 1 to 365."
    if "due_soon_days" in values and (not isinstance(values["due_soon_days"], int)
                                      or not 0 <= values["due_soon_days"] <= 60):
        errors["due_soon_days"] = "Must be a whole number of days from 0 to 60."
    if "network" in values and values["network"] not in ("NII", "OCLC"):
        errors["network"] = "Must be NII or OCLC."
    if "name" in values and not str(values["name"]).strip():
        errors["name"] = "A name is required."
    if values.get("email") and not _is_email(str(values["email"])):
        errors["email"] = "Must be an e-mail address such as ill@library.example."
    if "currency" in values and not re.fullmatch(r"[A-Z]{3}", str(values["currency"])):
        errors["currency"] = "Must be a three-letter currency code such as JPY."
    if "slip_size" in values and values["slip_size"] not in SLIP_SIZES:
        errors["slip_size"] = "Must be A5, A4 or label."
    if "slip_client" in values and values["slip_client"] not in SLIP_CLIENT:
        errors["slip_client"] = "Must be none, type, name or number."
    for name in ("name", "address", "email", "phone", "currency", "ill_section"):
        if name in values and len(str(values[name])) > text_limit(Library, name):
            errors[name] = f"Is too long (at most {text_limit(Library, name)} characters)."
    if errors:
        raise ValidationError(errors)
    return values


def _is_email(address: str) -> bool:
    """Syntax only (email-validator): the desk may be offline, so no DNS look-up."""
    try:
        validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def add_library(code: str, **values) -> Library:
    code = code.strip()
    if not code or len(code) > 20:
        raise ValidationError({"code": "A code of 1 to 20 characters is required."})
    if db.session.scalar(select(Library).where(Library.code == code)):
        raise ValidationError({"code": f"Library {code} already exists."})
    values = {k: v for k, v in values.items() if v is not None}
    values.setdefault("name", "")  # refused: every library has a name
    validate_library_fields(values)
    with unit_of_work() as session:
        library = Library(code=code, **values)
        library.templates = default_templates()
        session.add(library)
    return library


def get_library(code: str) -> Library:
    library = db.session.scalar(select(Library).where(Library.code == code))
    if library is None:
        raise NotFound("No library %(code)s.", code=code)
    return library


def update_library(library: Library, **values) -> Library:
    values = validate_library_fields({k: v for k, v in values.items() if v is not None and k in LIBRARY_FIELDS})
    with unit_of_work():
        for name, value in values.items():
            setattr(library, name, value)
    from .notices.preferences import forget

    forget(library.id)  # its name and address in notices: at once in this process, within 30 s elsewhere
    return library


def add_user(username: str, library_code: str, password: str, role: str = "staff", language: str | None = None) -> User:
    errors = {}
    if not username.strip() or len(username) > 80:
        errors["username"] = "A user name of 1 to 80 characters is required."
    elif db.session.scalar(select(User).where(User.username == username)):
        errors["username"] = f"User {username} already exists."
    if len(password) < 8:
        errors["password"] = "A password needs at least 8 characters."
    if role not in ROLES:
        errors["role"] = "Must be staff, manager or admin."
    if errors:
        raise ValidationError(errors)
    library = get_library(library_code)
    with unit_of_work() as session:
        user = User(username=username.strip(), role=role, library=library, language=language)
        user.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])
        session.add(user)
    return user


def update_user(user: User, role: str | None = None, library_code: str | None = None, active: bool | None = None,
                password: str | None = None, actor: User | None = None) -> User:
    """Change a user's role, library, active flag or password (None: unchanged).

    An admin (`actor`) cannot demote or deactivate themselves: the portal would lose its admin.
    A deactivated user can no longer log in, their sessions end and their API tokens are
    revoked; a new password ends every session of the user.
    """
    errors = {}
    if role is not None and role not in ROLES:
        errors["role"] = "Must be staff, manager or admin."
    elif role is not None and actor is not None and actor.id == user.id and role != user.role:
        errors["role"] = "You cannot change your own role."
    if active is False and actor is not None and actor.id == user.id:
        errors["active"] = "You cannot deactivate your own account."
    if password is not None and len(password) < 8:
        errors["password"] = "A password needs at least 8 characters."
    library = None
    if library_code is not None:
        library = db.session.scalar(select(Library).where(Library.code == library_code))
        if library is None:
            errors["library"] = f"No participant library {library_code}."
    if errors:
        raise ValidationError(errors)
    with unit_of_work():
        if role is not None:
            user.role = role
        if library is not None:
            user.library = library
        if active is False and user.active:
            deactivate(user)
        elif active is not None:
            user.active = active
        if password is not None:
            user.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])
            user.end_sessions()  # whoever knew the old password is logged out everywhere
    return user


def deactivate(user: User) -> None:
    """No more log-in, no session, no API token: the tokens are revoked for good, so that
    reactivating the user later does not bring them back (the caller commits)."""
    user.active = False
    user.end_sessions()
    now = datetime.now(timezone.utc)
    for token in user.tokens:
        if token.revoked_at is None:
            token.revoked_at = now


def get_user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("No user %(username)s.", username=username)
    return user


def issue_token(user: User, label: str = "") -> str:
    """A new API token; only its hash is kept, so the secret is shown once."""
    with unit_of_work() as session:
        token, secret = ApiToken.issue(user, label)
        session.add(token)
    return secret


def revoke_token(user: User, token_id: int) -> None:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("No such token.")
    with unit_of_work():
        token.revoked_at = datetime.now(timezone.utc)
