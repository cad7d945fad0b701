"""Due dates of loans: overdue and due soon, from DDATE and today (pure rules, table-driven)."""
from __future__ import annotations

from datetime import date

import pytest

from portal.workflow.due import DUE_SOON, OVERDUE, due_state, due_window

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize("kind, status, renewal, due, soon, expected", [
    ("loan", "ON_LOAN", False, date(2026, 11, 30), 3, OVERDUE),
    ("loan", "ON_LOAN", False, date(2026, 12, 1), 3, DUE_SOON),  # due today: not yet overdue
    ("loan", "ON_LOAN", False, date(2026, 12, 4), 3, DUE_SOON),
    ("loan", "ON_LOAN", False, date(2026, 12, 5), 3, None),
    ("loan", "ON_LOAN", False, date(2026, 12, 5), 4, DUE_SOON),
    ("loan", "ON_LOAN", False, date(2026, 12, 2), 0, None),
    ("loan", "ON_LOAN", False, date(2026, 12, 1), 0, DUE_SOON),
    ("loan", "SHIPPED", False, date(2026, 11, 1), 3, OVERDUE),
    ("loan", "ARRIVED", False, date(2026, 11, 1), 3, OVERDUE),
    ("loan", "RENEWAL_REQUESTED", False, date(2026, 11, 1), 3, OVERDUE),
    ("loan", "RETURN_PROCESSING", True, date(2026, 11, 1), 3, OVERDUE),  # renewal handling: item still out
    ("loan", "RETURN_CLAIM", True, date(2026, 11, 1), 3, OVERDUE),
    ("loan", "RETURN_PROCESSING", False, date(2026, 11, 1), 3, None),  # the item is back
    ("loan", "RETURN_CLAIM", False, date(2026, 11, 1), 3, None),
    ("loan", "RETURNED", False, date(2026, 11, 1), 3, None),  # sent back in time or not: on its way
    ("loan", "RETURN_CONFIRMED", False, date(2026, 11, 1), 3, None),
    ("loan", "PROCESSING", False, None, 3, None),
    ("loan", "ON_LOAN", False, None, 3, None),
    ("copy", "ARRIVED", False, date(2026, 11, 1), 3, None),  # copies are not returned
])
def test_due_state(kind, status, renewal, due, soon, expected):
    assert due_state(kind, status, renewal, due, TODAY, soon) == expected


@pytest.mark.parametrize("state, soon, window", [
    (OVERDUE, 3, (None, date(2026, 11, 30))),
    (DUE_SOON, 3, (TODAY, date(2026, 12, 4))),
    (DUE_SOON, 0, (TODAY, TODAY)),
])
def test_due_window_matches_due_state(state, soon, window):
    assert due_window(state, TODAY, soon) == window
