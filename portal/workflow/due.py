"""Due dates (DDATE) of loans: overdue and due soon, computed from the due date
and today (the portal's calendar), never stored. Pure rules, no database."""
from __future__ import annotations

from datetime import date, timedelta

from .statuses import Status

S = Status
#: A loan's item is out with the requesting library in these statuses...
ITEM_OUT = frozenset({S.SHIPPED, S.ARRIVED, S.CLAIM_PENDING, S.CLAIM_ANSWERED, S.ON_LOAN, S.RENEWAL_REQUESTED})
#: ...and in these while a renewal request is handled (the item was never sent back).
ITEM_OUT_IN_RENEWAL = frozenset({S.RETURN_PROCESSING, S.RETURN_CLAIM})
OVERDUE, DUE_SOON = "overdue", "due_soon"
DEFAULT_DUE_SOON_DAYS = 3


def item_out(kind: str, status: str, renewal_handling: bool) -> bool:
    """The lent item is with the requesting library (its due date matters)."""
    if kind != "loan":
        return False
    status = Status(status)
    return status in ITEM_OUT or (status in ITEM_OUT_IN_RENEWAL and bool(renewal_handling))


def due_state(kind: str, status: str, renewal_handling: bool, due_on: date | None, today: date,
              soon_days: int = DEFAULT_DUE_SOON_DAYS) -> str | None:
    """OVERDUE once the due date has passed, DUE_SOON within `soon_days` days of it, else None."""
    if due_on is None or not item_out(kind, status, renewal_handling):
        return None
    if due_on < today:
        return OVERDUE
    if due_on <= today + timedelta(days=max(soon_days, 0)):
        return DUE_SOON
    return None


def due_window(state: str, today: date, soon_days: int) -> tuple[date | None, date | None]:
    """The due dates (first, last; None = open) that put a loan in `state`, for a query."""
    if state == OVERDUE:
        return None, today - timedelta(days=1)
    return today, today + timedelta(days=max(soon_days, 0))
