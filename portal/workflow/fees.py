"""Fee arithmetic (料金): one pure function on Decimal, never float.

CHRGE = QNT x UPRCE for each group; SUM = sum(CHRGE) + FEE + POSTG.
"""
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, ROUND_HALF_UP

from .errors import ValidationError

MAX_GROUPS = 10
MAX_AMOUNT = Decimal("9999999999")
MAX_TOTAL = Decimal("999999999999")  # what the money columns hold (14 digits, 2 decimals)


@dataclass(frozen=True)
class FeeGroup:
    item: str
    quantity: int
    unit_price: Decimal
    charge: Decimal


@dataclass(frozen=True)
class Fees:
    groups: tuple[FeeGroup, ...]
    base_fee: Decimal
    postage: Decimal
    total: Decimal


def _amount(value, field: str, errors: dict, places: int) -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal(0)
    if isinstance(value, float):
        value = repr(value)  # the literal the caller typed, not its binary noise
    if isinstance(value, bool) or not str(value).isascii():  # "３５" or "٣٥": not what the desk meant to type
        errors[field] = "Must be a number."
        return Decimal(0)
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        errors[field] = "Must be a number."
        return Decimal(0)
    if not amount.is_finite():
        errors[field] = "Must be a number."
    elif amount < 0:
        errors[field] = "Must not be negative."
    elif amount > MAX_AMOUNT:
        errors[field] = "Is too large."
    elif amount != amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):
        errors[field] = "Has too many decimal places."
    else:
        return amount.quantize(Decimal(1).scaleb(-places))
    return Decimal(0)


def _quantity(value, field: str, errors: dict) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    if not str(value).isascii():
        errors[field] = "Must be a whole number."
        return 0
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors[field] = "Must be a whole number."
        return 0
    if isinstance(value, bool) or not number.is_finite() or number != number.to_integral_value():
        errors[field] = "Must be a whole number."
    elif number < 0:
        errors[field] = "Must not be negative."
    elif number > 1_000_000:
        errors[field] = "Is too large."
    else:
        return int(number)
    return 0


def compute_fees(groups: list[dict] | None, base_fee=None, postage=None, places: int = 0) -> Fees:
    """Validate raw fee inputs and compute every subtotal and the total.

    `groups` holds dicts with item, quantity, unit_price (any charge given by
    the caller is ignored: the portal always recomputes it). Raises
    ValidationError naming each bad field, e.g. ``groups.2.unit_price``.
    """
    groups = list(groups or [])
    errors: dict[str, str] = {}
    if len(groups) > MAX_GROUPS:
        errors["groups"] = "At most 10 fee groups are allowed."
    computed = []
    for index, raw in enumerate(groups[:MAX_GROUPS]):
        if not isinstance(raw, dict):
            errors[f"groups.{index}"] = "Must be an object."
            continue
        item = str(raw.get("item") or "").strip()
        quantity = _quantity(raw.get("quantity"), f"groups.{index}.quantity", errors)
        unit_price = _amount(raw.get("unit_price"), f"groups.{index}.unit_price", errors, places)
        if len(groups) > 1 and not item:
            errors[f"groups.{index}.item"] = "An item is required when there is more than one group."
        if len(item) > 40:
            errors[f"groups.{index}.item"] = "Is too long."
        computed.append(FeeGroup(item, quantity, unit_price, unit_price * quantity))
    base = _amount(base_fee, "base_fee", errors, places)
    post = _amount(postage, "postage", errors, places)
    total = sum((g.charge for g in computed), Decimal(0)) + base + post
    for index, group in enumerate(computed):
        if group.charge > MAX_TOTAL:
            errors.setdefault(f"groups.{index}.quantity", "The subtotal is too large.")
    if total > MAX_TOTAL and not errors:
        errors["total"] = "The total is too large."
    if errors:
        raise ValidationError(errors, "Fees are not valid.")
    return Fees(tuple(computed), base, post, total)


def currency_places(currency: str) -> int:
    """Decimal places of amounts in a currency: none for yen and won."""
    return 0 if currency in ("JPY", "KRW") else 2


def used_group_indices(groups: list[dict] | None) -> list[int]:
    """Fee rows left completely empty are not fee groups: the indices of the others."""
    return [i for i, g in enumerate(groups or []) if any(str(v or "").strip() for v in g.values())]


def plain_amount(amount) -> str:
    """A stored amount as the user would type it: 30, not 30.00."""
    if amount is None:
        return ""
    text = str(amount)
    return text[:-3] if text.endswith(".00") else text


def format_amount(amount: Decimal | None, places: int = 0) -> str | None:
    if amount is None:
        return None
    return str(Decimal(amount).quantize(Decimal(1).scaleb(-places)))
