from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import Numeric

Money = Numeric(14, 2)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def to_decimal(value) -> Decimal | None:
    return None if value is None else Decimal(value)
