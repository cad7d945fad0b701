"""Notice rules (pure): channel choice, overdue levels, retry waits, rounding, the check before sending."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from portal.workflow.notice_rules import (RecordFacts, Reach, choose_channels, due_soon, no_longer_true,
                                          overdue_level, retry_delay, round_up)

ALL3 = {"email", "sms", "print"}


@pytest.mark.parametrize("policy, enabled, reach, expected", [
    # all: e-mail beside SMS; print only when neither reaches the patron
    ("all", ALL3, Reach(True, True, True), [("email", None), ("sms", None)]),
    ("all", ALL3, Reach(True, True, False), [("email", None), ("sms", "no SMS consent")]),
    ("all", ALL3, Reach(False, True, False), [("sms", "no SMS consent"), ("print", None)]),
    ("all", ALL3, Reach(False, False, False), [("print", None)]),
    ("all", ALL3, Reach(False, True, True), [("sms", None)]),
    ("all", {"email"}, Reach(False, True, True), []),
    ("all", {"email", "print"}, Reach(True, True, True), [("email", None)]),
    # first available: SMS, else e-mail, else print
    ("first", ALL3, Reach(True, True, True), [("sms", None)]),
    ("first", ALL3, Reach(True, True, False), [("email", None)]),
    ("first", ALL3, Reach(False, True, False), [("print", None)]),
    ("first", ALL3, Reach(False, False, False), [("print", None)]),
    ("first", {"email", "sms"}, Reach(False, False, False), []),
    ("first", {"email", "print"}, Reach(True, True, True), [("email", None)]),
])
def test_choose_channels(policy, enabled, reach, expected):
    assert choose_channels(policy, enabled, reach) == expected


@pytest.mark.parametrize("late, level", [(-3, 0), (0, 0), (1, 1), (7, 1), (8, 2), (14, 2), (15, 3), (400, 3)])
def test_overdue_level(late, level):
    due = date(2026, 4, 1)
    assert overdue_level(due, due + timedelta(days=late), (1, 8, 15)) == level


def test_overdue_level_thresholds_in_any_order():
    assert overdue_level(date(2026, 4, 1), date(2026, 4, 10), [15, 1, 8]) == 2


@pytest.mark.parametrize("days_ahead, expected", [(5, False), (3, True), (1, True), (0, True), (-1, False)])
def test_due_soon(days_ahead, expected):
    today = date(2026, 4, 1)
    assert due_soon(today + timedelta(days=days_ahead), today, 3) is expected


@pytest.mark.parametrize("attempt, seconds", [(1, 60), (2, 120), (3, 240), (6, 1920), (20, 6 * 3600)])
def test_retry_delay_grows_to_a_cap(attempt, seconds):
    assert retry_delay(attempt) == timedelta(seconds=seconds)


@pytest.mark.parametrize("given, expected", [
    ("15:01:00", "15:10:00"), ("15:05:00", "15:10:00"), ("15:09:59", "15:10:00"), ("15:10:00", "15:10:00"),
    ("15:10:01", "15:20:00"), ("23:55:00", "00:00:00"),
])
def test_round_up_to_ten_minutes(given, expected):
    moment = datetime.fromisoformat(f"2026-04-01T{given}+00:00")
    rounded = round_up(moment, 10)
    assert rounded.strftime("%H:%M:%S") == expected and rounded >= moment


DUE = date(2026, 4, 1)


@pytest.mark.parametrize("notice_type, cycle, facts, holds", [
    ("OVERDUE", "2026-04-01/1", RecordFacts("ON_LOAN", 2, DUE, False), True),
    ("OVERDUE", "2026-04-01/1", RecordFacts("RETURNED", 2, DUE, False), False),  # returned meanwhile
    ("OVERDUE", "2026-04-01/1", RecordFacts("ON_LOAN", 2, date(2026, 4, 15), False), False),  # renewed
    ("OVERDUE", "2026-04-01/2", RecordFacts("RETURN_CLAIM", 2, DUE, True), True),  # renewal being answered
    ("DUE_SOON", "2026-04-01", RecordFacts("RENEWAL_REQUESTED", 2, DUE, False), True),
    ("ARRIVED", "", RecordFacts("ARRIVED", 2, None, False), True),
    ("ARRIVED", "", RecordFacts("SHIPPED", 2, None, False), False),  # called back
    ("CANCELLED", "", RecordFacts("CANCELLED", None, None, False), True),
    ("CANCELLED", "", RecordFacts("NEW_INQUIRY", None, None, False), True),  # declined by all
    ("CANCELLED", "", RecordFacts("UNPROCESSED", 3, None, False), False),  # forwarded meanwhile
    ("PARTNER_NEW_REQUEST", "", RecordFacts("UNPROCESSED", 7, None, False), True),
    ("PARTNER_NEW_REQUEST", "", RecordFacts("PROCESSING", 7, None, False), False),
    ("DUE_DATE_CHANGED", "2026-04-01", RecordFacts("RETURN_CLAIM", 7, DUE, True), True),
    ("DUE_DATE_CHANGED", "2026-04-01", RecordFacts("ON_LOAN", 7, date(2026, 5, 1), True), False),
    ("MANUAL", "", None, True),
])
def test_still_true_before_sending(notice_type, cycle, facts, holds):
    assert (no_longer_true(notice_type, cycle, 7, facts) is None) is holds


from decimal import Decimal  # noqa: E402

from portal.workflow.notice_rules import TransitionFacts, notices_for_transition  # noqa: E402

D1, D2 = date(2026, 4, 1), date(2026, 4, 15)


def facts(command, frm, to, kind="loan", lender=2, before=None, after=None, renewal=False, total=None,
          account="", comment=""):
    return TransitionFacts(command, frm, to, kind, lender, before, after, renewal, total, account, comment, 99)


@pytest.mark.parametrize("transition, expected", [
    (facts("RECEIVE", "SHIPPED", "ARRIVED", kind="copy"), [("ARRIVED", "")]),
    (facts("RECEIVE", "CLAIM_ANSWERED", "ARRIVED"), []),
    (facts("CANCEL", "INQUIRY", "CANCELLED"), [("CANCELLED", "")]),
    (facts("PARDON", "PROCESSING", "NEW_INQUIRY", lender=None), [("CANCELLED", "")]),  # declined by all
    (facts("INQUIRE", "PROCESSING", "NEW_INQUIRY"), []),
    (facts("CLAIM", "RETURN_PROCESSING", "RETURN_CLAIM", before=D1, after=D2, renewal=True, comment="更新可"),
     [("DUE_DATE_CHANGED", "2026-04-15")]),
    (facts("CLAIM", "RETURN_PROCESSING", "RETURN_CLAIM", before=D1, after=D1, renewal=True, comment="更新不可"),
     [("RENEWAL_REFUSED", "2026-04-01")]),
    (facts("CLAIM", "RETURN_PROCESSING", "RETURN_CLAIM", before=D1, after=D1, renewal=True, comment="更新可"), []),
    (facts("CLAIM", "RETURN_PROCESSING", "RETURN_CLAIM", before=D1, after=D1, renewal=False, comment="破損"), []),
    (facts("SEND", "PROCESSING", "SHIPPED", before=None, after=D1), []),  # the first due date is no change
    (facts("SEND", "PROCESSING", "SHIPPED", kind="copy", total=Decimal(490), account="私費"), [("FEE_DUE", "")]),
    (facts("SEND", "PROCESSING", "SHIPPED", kind="copy", total=Decimal(490), account="公費"), []),
    (facts("SEND", "PROCESSING", "SHIPPED", kind="copy", total=Decimal(0), account="私費"), []),
    (facts("ORDER", "PREPARING", "UNPROCESSED"), [("PARTNER_NEW_REQUEST", "99")]),
    (facts("PARDON", "PROCESSING", "UNPROCESSED", lender=3), [("PARTNER_NEW_REQUEST", "99")]),
    (facts("CALLBACK", "PROCESSING", "UNPROCESSED"), []),
    (facts("SAVE", "ON_LOAN", "ON_LOAN", before=D1, after=D2), []),
])
def test_notices_for_transition(transition, expected):
    assert notices_for_transition(transition) == expected
