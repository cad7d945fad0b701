from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import DateTime, Numeric
from sqlalchemy.types import TypeDecorator

Money = Numeric(14, 2)


class UTCDateTime(TypeDecorator):
    """A timestamp that is timezone-aware UTC on every backend.

    SQLite keeps no offset and hands back naive datetimes, which then cannot
    be compared with aware ones (the ORM's evaluation of an UPDATE's WHERE)
    and would be serialised without the offset the API promises.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def to_decimal(value) -> Decimal | None:
    return None if value is None else Decimal(value)
