"""Block rules without a database: blocked actions, overrides, the calendar,
overdue-block arithmetic of every unit, demerit precedence and thresholds."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.workflow.blockrules import (ALWAYS_OPEN, BLOCKED_ACTIONS, DemeritPolicy, DemeritRow, EarnedPoints,
                                        LibraryCalendar, OverduePolicy, Period, add_months, choose_demerit_row,
                                        demerit_points, demerit_points_to_spend, is_active, may_override,
                                        overdue_block_expiry, overdue_days, stops)
from portal.workflow.machine import COMMANDS

D = date.fromisoformat

# -- what a block stops -----------------------------------------------------------

STOPPED = {"01": {"BORROW"}, "02": {"BORROW", "RENEW"}, "03": {"BORROW", "RENEW", "ORDER"}}


@pytest.mark.parametrize("code", sorted(BLOCKED_ACTIONS))
@pytest.mark.parametrize("command", COMMANDS)
def test_every_blocked_action_against_every_command(code, command):
    assert stops(code, command) is (command in STOPPED[code])


@pytest.mark.parametrize("command", ["SENDBACK", "ANSWER", "CANCEL", "OK", "RECEIVE", "SAVE", "CALLBACK"])
def test_returns_answers_and_cancellations_are_never_stopped(command):
    assert not any(stops(code, command) for code in BLOCKED_ACTIONS)


def test_an_unknown_action_code_stops_nothing():
    assert not stops("99", "BORROW")


OVERRIDE = {
    ("none", "staff"): False, ("none", "manager"): False, ("none", "admin"): False,
    ("managers", "staff"): False, ("managers", "manager"): True, ("managers", "admin"): True,
    ("all", "staff"): True, ("all", "manager"): True, ("all", "admin"): True,
}


@pytest.mark.parametrize("overridable, role", sorted(OVERRIDE))
def test_every_overridable_value_against_every_role(overridable, role):
    assert may_override(overridable, role) is OVERRIDE[(overridable, role)]


@pytest.mark.parametrize("starts, expires, lifted, today, active", [
    ("2026-03-01", None, False, "2026-03-01", True),
    ("2026-03-01", None, False, "2026-02-28", False),  # not started yet
    ("2026-03-01", "2026-03-10", False, "2026-03-09", True),
    ("2026-03-01", "2026-03-10", False, "2026-03-10", False),  # the expiry day is free
    ("2026-03-01", "2026-03-10", True, "2026-03-05", False),  # lifted
    ("2026-03-01", None, True, "2026-03-05", False),
])
def test_is_active(starts, expires, lifted, today, active):
    assert is_active(D(starts), D(expires) if expires else None, lifted, D(today)) is active


# -- calendar -----------------------------------------------------------------------

#: closed on Sundays, on 1 May (a closed date) and on Japan's public holidays
CAL = LibraryCalendar(closed_weekdays=frozenset({6}), closed_dates=frozenset({D("2026-05-01")}),
                      public_holidays=True)
NO_HOLIDAYS = LibraryCalendar(closed_weekdays=frozenset({6}), closed_dates=frozenset({D("2026-05-01")}))


@pytest.mark.parametrize("day, open_", [
    ("2026-04-28", True),   # Tuesday
    ("2026-04-29", False),  # 昭和の日
    ("2026-05-01", False),  # a closed date
    ("2026-05-03", False),  # Sunday (and a holiday)
    ("2026-05-06", False),  # 振替休日, a substitute holiday
    ("2026-05-07", True),
    ("2026-07-20", False),  # 海の日, a Monday
])
def test_calendar_open_days(day, open_):
    assert CAL.is_open(D(day)) is open_


def test_public_holidays_are_an_option():
    assert NO_HOLIDAYS.is_open(D("2026-04-29")) and NO_HOLIDAYS.is_open(D("2026-07-20"))
    assert not NO_HOLIDAYS.is_open(D("2026-05-01"))


def test_open_day_counting():
    assert CAL.open_days_after(D("2026-04-27"), D("2026-05-02")) == 3  # 28, 30 April, 2 May
    assert CAL.open_days_after(D("2026-05-02"), D("2026-05-02")) == 0
    assert CAL.after_open_days(D("2026-04-28"), 3) == D("2026-05-03")
    assert CAL.after_open_days(D("2026-04-28"), 0) == D("2026-04-28")


def test_a_library_closed_every_day_has_no_open_days():
    with pytest.raises(ValueError):
        LibraryCalendar(closed_weekdays=frozenset(range(7))).after_open_days(D("2026-04-28"), 1)


# -- overdue blocks -------------------------------------------------------------------

def policy(unit, value, cumulative=False, max_days=None, per_block=True):
    return OverduePolicy(unit=unit, value=value, cumulative=cumulative, max_days=max_days, max_per_block=per_block)


@pytest.mark.parametrize("pol, today, due, returned, calendar, expires", [
    # none, and returns that were not late
    (policy("none", 7), "2026-01-29", "2026-01-20", "2026-01-29", ALWAYS_OPEN, None),
    (policy("all_days", 7), "2026-01-29", "2026-01-29", "2026-01-29", ALWAYS_OPEN, None),
    (policy("all_days", 7), "2026-01-29", "2026-02-10", "2026-01-29", ALWAYS_OPEN, None),
    (policy("all_days", 0), "2026-01-29", "2026-01-20", "2026-01-29", ALWAYS_OPEN, None),
    # calendar days, across a month end
    (policy("all_days", 7), "2026-01-29", "2026-01-20", "2026-01-29", ALWAYS_OPEN, "2026-02-05"),
    (policy("days_per_overdue_day", 2), "2026-01-29", "2026-01-20", "2026-01-29", ALWAYS_OPEN, "2026-02-16"),
    (policy("days_per_overdue_day", 1), "2026-03-02", "2026-02-27", "2026-03-02", ALWAYS_OPEN, "2026-03-05"),
    (policy("weeks", 2), "2026-01-31", "2026-01-30", "2026-01-31", ALWAYS_OPEN, "2026-02-14"),
    # months: the same day, or the month's last day
    (policy("months", 1), "2026-01-31", "2026-01-30", "2026-01-31", ALWAYS_OPEN, "2026-02-28"),
    (policy("months", 1), "2024-01-31", "2024-01-30", "2024-01-31", ALWAYS_OPEN, "2024-02-29"),
    (policy("months", 1), "2026-03-31", "2026-03-30", "2026-03-31", ALWAYS_OPEN, "2026-04-30"),
    (policy("months", 2), "2026-12-31", "2026-12-30", "2026-12-31", ALWAYS_OPEN, "2027-02-28"),
    # open days: 29 April is a holiday, 1 May a closed date, Sundays closed
    (policy("open_days", 3), "2026-04-28", "2026-04-27", "2026-04-28", CAL, "2026-05-03"),
    (policy("open_days", 3), "2026-04-28", "2026-04-27", "2026-04-28", NO_HOLIDAYS, "2026-05-01"),
    (policy("open_days", 3), "2026-04-28", "2026-04-27", "2026-04-28", ALWAYS_OPEN, "2026-05-01"),
    # 3 open overdue days (28, 30 April, 2 May); Golden Week is closed from 3 to 6 May
    (policy("open_days_per_open_overdue_day", 1), "2026-05-02", "2026-04-27", "2026-05-02", CAL, "2026-05-09"),
    (policy("open_days_per_open_overdue_day", 2), "2026-05-02", "2026-04-27", "2026-05-02", CAL, "2026-05-13"),
    (policy("open_days_per_open_overdue_day", 1), "2026-05-02", "2026-04-27", "2026-05-02", ALWAYS_OPEN, "2026-05-07"),
    # the return date need not be today (the patron's return recorded later)
    (policy("days_per_overdue_day", 1), "2026-02-03", "2026-01-30", "2026-02-01", ALWAYS_OPEN, "2026-02-05"),
])
def test_discrete_overdue_blocks(pol, today, due, returned, calendar, expires):
    result = overdue_block_expiry(pol, D(today), D(due), D(returned), calendar=calendar)
    assert result == (D(expires) if expires else None)


@pytest.mark.parametrize("unit, value, existing, expires", [
    # an active block until 10 Feb: the new time is added after it
    ("all_days", 7, [("2026-01-20", "2026-02-10")], "2026-02-17"),
    ("weeks", 1, [("2026-01-20", "2026-02-10")], "2026-02-17"),
    ("months", 1, [("2026-01-20", "2026-01-31")], "2026-02-28"),
    ("days_per_overdue_day", 1, [("2026-01-01", "2026-01-10"), ("2026-01-20", "2026-02-10")], "2026-02-19"),
    # an ended (inactive) block is counted, but only if it ends after today
    ("all_days", 7, [("2026-01-01", "2026-01-25")], "2026-02-05"),
    # no earlier block: as discrete
    ("all_days", 7, [], "2026-02-05"),
])
def test_cumulative_overdue_blocks(unit, value, existing, expires):
    periods = [Period(D(s), D(e)) for s, e in existing]
    result = overdue_block_expiry(policy(unit, value, cumulative=True), D("2026-01-29"), D("2026-01-20"),
                                  D("2026-01-29"), periods)
    assert result == D(expires)


def test_discrete_ignores_existing_blocks():
    result = overdue_block_expiry(policy("all_days", 7), D("2026-01-29"), D("2026-01-20"), D("2026-01-29"),
                                  [Period(D("2026-01-20"), D("2026-02-10"))])
    assert result == D("2026-02-05")


def test_cumulative_open_days_start_after_the_latest_end():
    result = overdue_block_expiry(policy("open_days", 2, cumulative=True), D("2026-04-27"), D("2026-04-20"),
                                  D("2026-04-27"), [Period(D("2026-04-20"), D("2026-04-29"))], CAL)
    assert result == D("2026-05-03")  # blocked on 30 April and 2 May; 29 April and 1 May are closed


@pytest.mark.parametrize("pol, existing, expires", [
    # 9 overdue days x 2 = 18 days, capped at 14 from today
    (policy("days_per_overdue_day", 2, max_days=14), [], "2026-02-12"),
    (policy("days_per_overdue_day", 2, max_days=30), [], "2026-02-16"),
    # cumulative: after 10 Feb comes 17 Feb; the cap per block is 25 days from today
    (policy("all_days", 7, cumulative=True, max_days=25), [("2026-01-20", "2026-02-10")], "2026-02-17"),
    (policy("all_days", 7, cumulative=True, max_days=20), [("2026-01-20", "2026-02-10")], "2026-02-17"),
    (policy("all_days", 7, cumulative=True, max_days=10), [("2026-01-20", "2026-02-10")], "2026-02-08"),
    # the total: 25 days from the start of the running block (20 Jan)
    (policy("all_days", 7, cumulative=True, max_days=25, per_block=False), [("2026-01-20", "2026-02-10")],
     "2026-02-14"),
    # the total, with no running block: from today
    (policy("all_days", 7, cumulative=True, max_days=5, per_block=False), [("2026-01-01", "2026-01-10")],
     "2026-02-03"),
    # the total already used up: no new block
    (policy("all_days", 7, cumulative=True, max_days=9, per_block=False), [("2026-01-20", "2026-02-10")], None),
])
def test_the_maximum_period(pol, existing, expires):
    periods = [Period(D(s), D(e)) for s, e in existing]
    result = overdue_block_expiry(pol, D("2026-01-29"), D("2026-01-20"), D("2026-01-29"), periods)
    assert result == (D(expires) if expires else None)


@pytest.mark.parametrize("due, returned, days", [
    ("2026-01-20", "2026-01-29", 9), ("2026-01-31", "2026-02-01", 1), ("2026-02-01", "2026-01-31", 0),
    ("2024-02-28", "2024-03-01", 2), ("2026-02-28", "2026-03-01", 1),
])
def test_overdue_days(due, returned, days):
    assert overdue_days(D(due), D(returned)) == days


def test_add_months_keeps_the_day_where_it_exists():
    assert add_months(D("2026-01-15"), 1) == D("2026-02-15")
    assert add_months(D("2026-11-30"), 3) == D("2027-02-28")
    assert add_months(D("2026-08-31"), 12) == D("2027-08-31")


# -- demerits -----------------------------------------------------------------------------

#: the seed's example rows
SEED_ROWS = (DemeritRow("undergraduate", "loan", 3, 5), DemeritRow("all", "copy", 3, 6),
             DemeritRow("graduate", "all", 1, 2))


@pytest.mark.parametrize("rows, group, kind, chosen", [
    (SEED_ROWS, "graduate", "copy", ("graduate", "all")),  # the seed: group + all beats all + kind
    (SEED_ROWS, "undergraduate", "loan", ("undergraduate", "loan")),  # exact
    (SEED_ROWS, "undergraduate", "copy", ("all", "copy")),  # all + kind
    (SEED_ROWS, "faculty", "loan", None),  # no row: no points
    (SEED_ROWS + (DemeritRow("all", "all", 2, 4),), "faculty", "loan", ("all", "all")),
    (SEED_ROWS + (DemeritRow("graduate", "copy", 7, 9),), "graduate", "copy", ("graduate", "copy")),
    ((DemeritRow("all", "all", 2, 4), DemeritRow("all", "loan", 1, 1)), "x", "loan", ("all", "loan")),
    ((DemeritRow("all", "all", 2, 4), DemeritRow("staff", "all", 1, 1)), "staff", "copy", ("staff", "all")),
    ((), "staff", "copy", None),
])
def test_demerit_row_precedence(rows, group, kind, chosen):
    row = choose_demerit_row(rows, group, kind)
    assert (None if row is None else (row.group, row.kind)) == chosen


@pytest.mark.parametrize("group, kind, recalled, points", [
    ("graduate", "copy", False, 1), ("graduate", "copy", True, 2),
    ("undergraduate", "loan", False, 3), ("undergraduate", "loan", True, 5),
    ("undergraduate", "copy", True, 6), ("faculty", "loan", True, 0),
])
def test_demerit_points_regular_and_recalled(group, kind, recalled, points):
    assert demerit_points(SEED_ROWS, group, kind, recalled) == points


DEMERITS = DemeritPolicy(enabled=True, history_days=90, threshold=7, suspension_days=14)


def earned(*items):
    return [EarnedPoints(i, D(day), points, spent) for i, (day, points, spent) in enumerate(items, 1)]


@pytest.mark.parametrize("pol, points, today, suspended, spends", [
    (DEMERITS, earned(("2026-01-01", 5, False), ("2026-03-01", 3, False)), "2026-03-15", False, [1, 2]),
    # the first points fell out of the 90-day window
    (DEMERITS, earned(("2026-01-01", 5, False), ("2026-03-01", 3, False)), "2026-04-15", False, None),
    # the window's first day still counts (today - 89 days)
    (DEMERITS, earned(("2026-01-01", 5, False), ("2026-03-01", 3, False)), "2026-03-31", False, [1, 2]),
    (DEMERITS, earned(("2026-01-01", 5, False), ("2026-03-01", 3, False)), "2026-04-01", False, None),
    # exactly the threshold is not more than it
    (DEMERITS, earned(("2026-03-01", 4, False), ("2026-03-02", 3, False)), "2026-03-15", False, None),
    # spent points are gone
    (DEMERITS, earned(("2026-03-01", 6, True), ("2026-03-02", 3, False)), "2026-03-15", False, None),
    # points in the future (not yet earned) do not count
    (DEMERITS, earned(("2026-03-01", 4, False), ("2026-03-20", 6, False)), "2026-03-15", False, None),
    # under a suspension: no second block now ...
    (DEMERITS, earned(("2026-03-01", 8, False)), "2026-03-15", True, None),
    # ... the points earned during it count when it ends
    (DEMERITS, earned(("2026-03-01", 8, True), ("2026-03-05", 8, False)), "2026-03-16", False, [2]),
    (DemeritPolicy(enabled=False, threshold=1, suspension_days=14), earned(("2026-03-01", 8, False)),
     "2026-03-15", False, None),
])
def test_demerit_threshold_and_points_spent(pol, points, today, suspended, spends):
    result = demerit_points_to_spend(pol, points, D(today), suspended)
    assert (None if result is None else [p.id for p in result]) == spends


def test_open_overdue_days_count_only_open_days():
    # 8 calendar days late around Golden Week, 2 of them open (2 and 7 May)
    due, returned = D("2026-05-01"), D("2026-05-09")
    assert overdue_days(due, returned) == 8
    assert CAL.open_days_after(due, returned) == 4  # 2, 7, 8, 9 May
    assert CAL.open_days_after(due, due + timedelta(days=2)) == 1


@pytest.mark.parametrize("unit", ["all_days", "days_per_overdue_day", "weeks", "months", "open_days",
                                  "open_days_per_open_overdue_day"])
def test_no_block_lasts_longer_than_ten_years(unit):
    from portal.workflow.blockrules import MAX_BLOCK_DAYS
    result = overdue_block_expiry(policy(unit, 3660), D("2026-01-29"), D("2020-01-01"), D("2026-01-29"),
                                  calendar=CAL)
    assert D("2026-01-29") < result <= D("2026-01-29") + timedelta(days=MAX_BLOCK_DAYS)
