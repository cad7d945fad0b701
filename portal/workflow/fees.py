"""Fee arithmetic (料金): one pure function on Decimal, never float.

CHRGE = QNT x UPRCE for each group; SUM = sum(CHRGE) + FEE + POSTG.
"""
import re
from dataclasses import dataclass
from decimal import Decimal, ROUND_HALF_UP

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


# What a person types into a fee field: plain digits with an optional decimal
# part, or thousands grouped by commas in threes (1,000 / 12,345.50); full-width
# digits and punctuation (１，０００) count as their ASCII forms. Anything else
# (1e3, 1,00, 1,2,3, 1_000, 一〇〇) is refused rather than guessed at.
NUMBER = re.compile(r"-?(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]+)?")
FULL_WIDTH = str.maketrans("０１２３４５６７８９，．－", "0123456789,.-")
NOT_A_NUMBER = "Must be a number such as 1000, 1,000 or 12.50."


def parse_number(value) -> Decimal | None:
    """The one parser of fee inputs (amounts and quantities): a Decimal, or None
    when the value is not a number as a person would write it. Empty is 0."""
    if value is None:
        return Decimal(0)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, float):
        value = repr(value)  # the literal the caller typed, not its binary noise
        if not re.fullmatch(r"-?[0-9]+(?:\.[0-9]+)?", value):
            return None  # 1e+20, inf, nan
        return Decimal(value)
    text = str(value).strip().translate(FULL_WIDTH)
    if not text:
        return Decimal(0)
    if not NUMBER.fullmatch(text):
        return None
    return Decimal(text.replace(",", ""))


def _amount(value, field: str, errors: dict, places: int) -> Decimal:
    amount = parse_number(value)
    if amount is None:
        errors[field] = NOT_A_NUMBER
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
    number = parse_number(value)
    if number is None or number != number.to_integral_value():
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
