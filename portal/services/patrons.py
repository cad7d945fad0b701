"""Patrons of a library: create, edit, find, and their SMS consent.

Plain functions like the rest of ``services``: the web pages, the API, the CLI
and the CSV import all come through here, so a rule lives in one place.
Each library sees only its own patrons: every lookup takes the library.

Phone numbers are parsed with ``phonenumbers`` (default region JP) and stored
in E.164; only a mobile number (MOBILE, or FIXED_LINE_OR_MOBILE where the
numbering plan cannot tell) is accepted as ``mobile``, since it is the number
SMS notices go to. E-mail addresses are checked with ``email-validator``
(syntax only, no DNS look-up) and stored in its normalised form.
"""
from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Library, Patron, PatronConsent, User
from ..models.patron import CONSENT_CHANNELS
from ..models.types import utcnow
from ..workflow.errors import Forbidden, N_, NotFound, ValidationError
from . import unit_of_work

PHONE_REGION = "JP"
LANGUAGES = ("ja", "en")
#: Suggested groups (the field is free text up to 40 characters; '' allowed).
GROUPS = ("faculty", "graduate", "undergraduate", "staff", "external")
#: How a consent was given or withdrawn.
CONSENT_METHODS = ("form", "counter", "phone", "email", "letter", "link", "api", "import")
PATRON_FIELDS = ("number", "name", "group", "email", "mobile", "language", "active")
NUMBER_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
MAX_WORDING = 2000
PER_PAGE = 25

#: The consent wording offered by default, in the patron's language.
DEFAULT_SMS_WORDING = {
    "ja": "図書館から、文献複写・相互貸借の連絡（到着・返却期限など）をこの携帯電話番号にSMSで受け取ることに同意します。"
          "各メッセージのリンクからいつでも配信を停止できます。",
    "en": "I agree to receive interlibrary-loan notices (arrivals, due dates and similar) from the library "
          "by SMS at this mobile number. I can stop them at any time with the link in each message.",
}

MESSAGES = [
    N_("A patron number is required."),
    N_("Use letters, digits, '.', '-' and '_' only (at most 64 characters)."),
    N_("A patron with this number already exists in your library."),
    N_("Must be text."),
    N_("Not a valid e-mail address."),
    N_("Not a valid phone number."),
    N_("Must be a mobile phone number (it receives the SMS notices)."),
    N_("Must be ja or en."),
    N_("Must be true or false."),
    N_("Choose how the consent was given: form, counter, phone, email, letter, link, api or import."),
    N_("Only the SMS channel has a consent."),
    N_("No patron with this number in your library."),
    N_("No patron %(number)s in your library."),
    N_("This patron belongs to another library."),
    N_("Must be an object with method and wording."),
]
#: Field messages filled in before raising (see web.i18n.translate_message).
FILLED_MESSAGES = [
    N_("Patron %(number)s is inactive."),
]


# -- validation -------------------------------------------------------------

def normalize_mobile(value: str) -> str:
    """The number in E.164 if it is a valid mobile number, else ValidationError on `mobile`."""
    try:
        number = phonenumbers.parse(value, PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError({"mobile": "Not a valid phone number."}) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError({"mobile": "Not a valid phone number."})
    if phonenumbers.number_type(number) not in (phonenumbers.PhoneNumberType.MOBILE,
                                                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise ValidationError({"mobile": "Must be a mobile phone number (it receives the SMS notices)."})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValidationError({"email": "Not a valid e-mail address."}) from None


def clean_patron_data(data: dict, partial: bool = False) -> dict:
    """Check the patron fields present in `data`; all of them unless `partial`.

    Returns the values to store (E.164 mobile, normalised e-mail, None for an
    empty contact). Raises ValidationError naming every bad field.
    """
    errors: dict[str, str] = {}
    values: dict = {}
    for name in ("number", "name", "group", "email", "mobile", "language"):
        if name not in data or data[name] is None:
            continue
        if not isinstance(data[name], str):
            errors[name] = "Must be text."
            continue
        values[name] = data[name].strip()
    if "active" in data and data["active"] is not None:
        if not isinstance(data["active"], bool):
            errors["active"] = "Must be true or false."
        else:
            values["active"] = data["active"]

    if not partial or "number" in values:
        number = values.get("number", "")
        if not number:
            errors.setdefault("number", "A patron number is required.")
        elif len(number) > 64 or not NUMBER_PATTERN.match(number):
            errors["number"] = "Use letters, digits, '.', '-' and '_' only (at most 64 characters)."
    if not partial or "name" in values:
        if not values.get("name"):
            errors.setdefault("name", "A name is required.")
        elif len(values["name"]) > 200:
            errors["name"] = "Is too long (at most 200 characters)."
    if len(values.get("group", "")) > 40:
        errors["group"] = "Is too long (at most 40 characters)."
    if not partial:
        values.setdefault("group", "")
        values.setdefault("language", "ja")
    if "language" in values and values["language"] not in LANGUAGES:
        errors.setdefault("language", "Must be ja or en.")
    for name, normalize in (("email", normalize_email), ("mobile", normalize_mobile)):
        if name not in values:
            continue
        if values[name] == "":
            values[name] = None
            continue
        if len(values[name]) > 254:
            errors.setdefault(name, "Is too long (at most 254 characters).")
            continue
        try:
            values[name] = normalize(values[name])
        except ValidationError as error:
            errors.update({k: v for k, v in error.fields.items() if k not in errors})
    if errors:
        raise ValidationError(errors)
    return values


def clean_consent(channel: str, method, wording) -> tuple[str, str]:
    errors = {}
    if channel not in CONSENT_CHANNELS:
        errors["channel"] = "Only the SMS channel has a consent."
    if not isinstance(method, str) or method.strip() not in CONSENT_METHODS:
        errors["method"] = "Choose how the consent was given: form, counter, phone, email, letter, link, api or import."
    if wording is not None and not isinstance(wording, str):
        errors["wording"] = "Must be text."
    elif wording and len(wording.strip()) > MAX_WORDING:
        errors["wording"] = f"Is too long (at most {MAX_WORDING} characters)."
    if errors:
        raise ValidationError(errors)
    return method.strip(), (wording or "").strip()


# -- reading ------------------------------------------------------------------

def find_patron(library_id: int, number) -> Patron | None:
    """The library's patron with this card number, else None (another library's too)."""
    if not isinstance(number, str) or not number.strip():
        return None
    return db.session.scalar(select(Patron).where(Patron.library_id == library_id,
                                                  Patron.number == number.strip()))


def get_patron(library_id: int, number) -> Patron:
    patron = find_patron(library_id, number)
    if patron is None:
        raise NotFound("No patron %(number)s in your library.", number=str(number)[:64])
    return patron


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_patrons(library_id: int, query: str = "", page: int = 1, per_page: int = PER_PAGE,
                   active_only: bool = False) -> tuple[list[Patron], int]:
    """The library's patrons whose number or name contains `query`: (one page, total).

    An exact card number comes first, then the rest by name.
    """
    query = (query or "").strip()[:200]
    where = [Patron.library_id == library_id]
    if active_only:
        where.append(Patron.active.is_(True))
    if query:
        pattern = _like(query.lower())
        where.append(or_(func.lower(Patron.number).like(pattern, escape="\\"),
                         func.lower(Patron.name).like(pattern, escape="\\")))
    total = db.session.scalar(select(func.count(Patron.id)).where(*where)) or 0
    page = max(1, int(page))
    order = [(func.lower(Patron.number) == query.lower()).desc()] if query else []
    items = list(db.session.scalars(
        select(Patron).where(*where).order_by(*order, Patron.name, Patron.number)
        .limit(per_page).offset((page - 1) * per_page)))
    return items, total


def block_state(patron: Patron) -> tuple[bool, list[dict]]:
    """(blocked, blocks) for the patron shape: computed from the block rows (services.blocks)."""
    from .blocks import blocks_for_patron
    views = blocks_for_patron(patron.library_id, patron.id)
    return any(v.active for v in views), [v.as_dict() for v in views]


def patron_as_dict(patron: Patron) -> dict:
    """The API's patron shape (only ever shown to the patron's own library)."""
    blocked, blocks = block_state(patron)
    return {"number": patron.number, "name": patron.name, "group": patron.group, "email": patron.email,
            "mobile": patron.mobile, "language": patron.language, "sms_consent": patron.sms_consent, "blocked": blocked, "blocks": blocks}


# -- changing -------------------------------------------------------------------

def _check_own(actor: User | None, patron: Patron) -> None:
    if actor is not None and actor.library_id != patron.library_id:
        raise Forbidden("This patron belongs to another library.")


def _duplicate_number() -> ValidationError:
    return ValidationError({"number": "A patron with this number already exists in your library."})


def new_consent_row(patron: Patron, action: str, channel: str, method: str, wording: str,
                 actor: User | None) -> PatronConsent:
    consent = PatronConsent(channel=channel, action=action, method=method, wording=wording,
                            recorded_by_id=actor.id if actor is not None else None, at=utcnow())
    patron.consents.append(consent)
    return consent


def build_patron(library: Library, data: dict, actor: User | None = None) -> Patron:
    """A checked new patron (with its consent if `data["sms_consent"]` is given), added
    to the session but not committed: for callers that own the transaction (import)."""
    values = clean_patron_data(data)
    consent = data.get("sms_consent")
    if consent is not None and consent is not False:
        if consent is True:
            consent = {"method": "form"}
        if not isinstance(consent, dict):
            raise ValidationError({"sms_consent": "Must be an object with method and wording."})
        try:
            method, wording = clean_consent("sms", consent.get("method"), consent.get("wording"))
        except ValidationError as error:
            raise ValidationError({f"sms_consent.{k}": v for k, v in error.fields.items()}) from None
    if find_patron(library.id, values["number"]) is not None:
        raise _duplicate_number()
    patron = Patron(library_id=library.id, **values)
    patron.library = library
    db.session.add(patron)
    if consent:
        new_consent_row(patron, "given", "sms", method,
                     wording or DEFAULT_SMS_WORDING[patron.language], actor)
    return patron


def create_patron(actor: User | None, data: dict, library: Library | None = None) -> Patron:
    """A new patron of the actor's library (or of `library` for the CLI, actor None).

    `data`: number, name, group, email, mobile, language, active, and optionally
    sms_consent {"method", "wording"} recorded with it in the same transaction.
    """
    library = library or actor.library
    try:
        with unit_of_work():
            patron = build_patron(library, data, actor)
    except IntegrityError:  # the same number created concurrently
        raise _duplicate_number() from None
    return patron


def update_patron(actor: User | None, patron: Patron, data: dict) -> Patron:
    """Change the fields present in `data` (a missing field is unchanged; '' clears a contact)."""
    _check_own(actor, patron)
    values = clean_patron_data({k: v for k, v in data.items() if k in PATRON_FIELDS}, partial=True)
    if "number" in values and values["number"] != patron.number:
        if find_patron(patron.library_id, values["number"]) is not None:
            raise _duplicate_number()
    try:
        with unit_of_work():
            for name, value in values.items():
                setattr(patron, name, value)
            patron.updated_at = utcnow()
    except IntegrityError:
        raise _duplicate_number() from None
    return patron


def record_consent(patron: Patron, channel: str, method: str, wording: str | None, actor: User | None) -> PatronConsent:
    """Record that the patron consented (who recorded it, how, to which wording)."""
    _check_own(actor, patron)
    method, wording = clean_consent(channel, method, wording)
    with unit_of_work():
        consent = new_consent_row(patron, "given", channel, method, wording or DEFAULT_SMS_WORDING[patron.language],
                               actor)
    return consent


def opt_out(patron: Patron, channel: str, method: str, actor: User | None = None) -> PatronConsent | None:
    """Record a withdrawal (actor None: the patron through the opt-out link).

    Returns the new row, or None when there was no consent to withdraw (a
    second click on the link records nothing twice).
    """
    _check_own(actor, patron)
    method, _ = clean_consent(channel, method, None)
    from .notices import suppress_queued_sms

    with unit_of_work():
        consent = None
        if patron.sms_consent:
            consent = new_consent_row(patron, "withdrawn", channel, method, "", actor)
        if channel == "sms":  # at once, in the same transaction: no queued SMS goes out after this
            suppress_queued_sms(patron, f"SMS opt-out ({method})")
    return consent


# -- requests made for a patron ------------------------------------------------

#: The end-user type (CLNTP) a request gets from the patron's group; another group is copied as it is.
CLIENT_TYPE_OF_GROUP = {"faculty": "教員", "graduate": "大学院生", "undergraduate": "学部生", "staff": "職員",
                        "external": "学外者"}


def client_type_for(patron: Patron) -> str:
    return CLIENT_TYPE_OF_GROUP.get(patron.group.lower(), patron.group)


def patron_for_request(library_id: int, number) -> Patron:
    """The active patron of the requesting library a new request is for; ValidationError on `patron`."""
    if not isinstance(number, str):
        raise ValidationError({"patron": "Must be text."})
    patron = find_patron(library_id, number)
    if patron is None:
        raise ValidationError({"patron": "No patron with this number in your library."})
    if not patron.active:
        raise ValidationError({"patron": f"Patron {patron.number} is inactive."})
    return patron
