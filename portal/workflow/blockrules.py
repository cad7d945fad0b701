"""Block rules (ブロック): pure functions, no database, like the fee arithmetic.

- what a definition's blocked action (01-03) stops, and who may override it;
- the library calendar (weekly closing days, closed dates, Japan's public
  holidays as an option) and open-day counting;
- the overdue-block arithmetic of every unit, cumulative or discrete, with the
  maximum period per block or for the total;
- demerit points: the row precedence, the threshold and the points a DEMERIT
  block spends;
- whether a block is active on a day.

Dates: a block is active on the days ``starts <= day < expires`` (``expires``
is the first day it no longer applies; None: until lifted) and not lifted.
"""
from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterable, Sequence

# -- what a block stops ---------------------------------------------------------

#: The seed's blocked actions in ILL terms (spec blocks.md).
BLOCKED_ACTIONS: dict[str, frozenset[str]] = {
    "01": frozenset({"BORROW"}),
    "02": frozenset({"BORROW", "RENEW"}),
    "03": frozenset({"BORROW", "RENEW", "ORDER"}),
}
#: Commands a block can ever stop; returns, answers, cancellations and fees never.
BLOCKABLE_COMMANDS = frozenset().union(*BLOCKED_ACTIONS.values())
OVERRIDABLE = ("none", "managers", "all")
DEFINITION_TYPES = ("cash", "consortial", "demerit", "general", "loan", "resource_sharing", "user")
ORIGINS = ("manual", "overdue", "demerit", "network")


def stops(blocked_action: str, command: str) -> bool:
    """Whether a block with this blocked action refuses the command."""
    return command in BLOCKED_ACTIONS.get(blocked_action, frozenset())


def may_override(overridable: str, role: str) -> bool:
    """none: nobody; managers: managers (and admins); all: every staff user."""
    if overridable == "all":
        return role in ("staff", "manager", "admin")
    if overridable == "managers":
        return role in ("manager", "admin")
    return False


def is_active(starts: date, expires: date | None, lifted: bool, today: date) -> bool:
    return not lifted and starts <= today and (expires is None or today < expires)


# -- the library calendar --------------------------------------------------------

MAX_SEARCH_DAYS = 3 * 366  # open-day counting never looks further than this


@dataclass(frozen=True)
class LibraryCalendar:
    """When a library is open: weekly closing days (0 = Monday), closed dates, holidays."""

    closed_weekdays: frozenset[int] = frozenset()
    closed_dates: frozenset[date] = frozenset()
    public_holidays: bool = False  # Japan's 国民の祝日 (jpholiday) are closed days

    def is_open(self, day: date) -> bool:
        if day.weekday() in self.closed_weekdays or day in self.closed_dates:
            return False
        if self.public_holidays:
            import jpholiday  # the maintained list of Japan's holidays, substitute days included
            return not jpholiday.is_holiday(day)
        return True

    def open_days_after(self, start: date, end: date) -> int:
        """Open days d with start < d <= end (0 when end <= start)."""
        return sum(1 for offset in range(1, (end - start).days + 1) if self.is_open(start + timedelta(days=offset)))

    def after_open_days(self, start: date, count: int) -> date:
        """The day after the count-th open day counted from start (start included).

        ``[start, result)`` holds exactly ``count`` open days; count 0 gives start.
        """
        if len(self.closed_weekdays) >= 7:
            raise ValueError("a library closed every day of the week has no open days")
        day, seen = start, 0
        while seen < count:
            if self.is_open(day):
                seen += 1
            day += timedelta(days=1)
            if (day - start).days > MAX_SEARCH_DAYS + count * 7:
                raise ValueError("no open days found")
        return day


ALWAYS_OPEN = LibraryCalendar()


# -- overdue blocks ----------------------------------------------------------------

OVERDUE_UNITS = ("none", "all_days", "days_per_overdue_day", "weeks", "months", "open_days",
                 "open_days_per_open_overdue_day")


@dataclass(frozen=True)
class OverduePolicy:
    """A library's overdue-block policy (its terms of use)."""

    unit: str = "none"
    value: int = 0
    cumulative: bool = False
    max_days: int | None = None  # the maximum block period in calendar days; None: no maximum
    max_per_block: bool = True  # Alma's maximum_overdue_block_per_block: cap each block, else the total


@dataclass(frozen=True)
class Period:
    """One existing overdue block of the subject: when it started and when it ended (or ends).

    ``end`` is the day it stops applying: its expiry, or the day it was lifted.
    """

    start: date
    end: date | None


def overdue_days(due: date, returned: date) -> int:
    """Whole days from the due date to the return date."""
    return max((returned - due).days, 0)


def add_months(day: date, months: int) -> date:
    """Calendar months later, on the same day of the month or the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


MAX_BLOCK_DAYS = 3660  # one block never lasts longer than ten years, whatever the policy multiplies


def extend(policy: OverduePolicy, base: date, due: date, returned: date,
           calendar: LibraryCalendar = ALWAYS_OPEN) -> date:
    """base plus the block time the policy gives for one late return (at most MAX_BLOCK_DAYS)."""
    unit, value = policy.unit, policy.value
    if unit == "all_days":
        days = value
    elif unit == "days_per_overdue_day":
        days = value * overdue_days(due, returned)
    elif unit == "weeks":
        days = 7 * value
    elif unit == "months":
        return min(add_months(base, min(value, 120)), base + timedelta(days=MAX_BLOCK_DAYS))
    elif unit in ("open_days", "open_days_per_open_overdue_day"):
        count = value if unit == "open_days" else \
            value * calendar.open_days_after(due, min(returned, due + timedelta(days=MAX_BLOCK_DAYS)))
        return min(calendar.after_open_days(base, min(count, MAX_BLOCK_DAYS)), base + timedelta(days=MAX_BLOCK_DAYS))
    else:
        raise ValueError(f"unknown overdue unit {unit!r}")
    return base + timedelta(days=min(days, MAX_BLOCK_DAYS))


def overdue_block_expiry(policy: OverduePolicy, today: date, due: date | None, returned: date | None,
                         existing: Sequence[Period] = (),
                         calendar: LibraryCalendar = ALWAYS_OPEN) -> date | None:
    """The expiry of the overdue block a late return gives (starting today), or None: no block.

    Discrete: the computed time after today. Cumulative: after the latest end
    of the subject's existing overdue blocks (inactive ones included) if that
    is later than today. The maximum period caps this block (per block) or the
    time from the start of the subject's running overdue blocks (total).
    """
    if policy.unit == "none" or due is None or returned is None or returned <= due or policy.value <= 0:
        return None
    base = today
    if policy.cumulative:
        ends = [p.end for p in existing if p.end is not None]
        base = max([today, *ends])
    expires = extend(policy, base, due, returned, calendar)
    if policy.max_days:
        if policy.max_per_block:
            cap = today + timedelta(days=policy.max_days)
        else:
            running = [p.start for p in existing if p.start <= today and (p.end is None or p.end > today)]
            cap = min([today, *running]) + timedelta(days=policy.max_days)
        expires = min(expires, cap)
    return expires if expires > today else None


# -- demerits -------------------------------------------------------------------------

ALL = "all"
PARTNER_GROUP = "partner"  # the group a partner library counts as in the points table


@dataclass(frozen=True)
class DemeritRow:
    group: str  # a patron group, or "all"
    kind: str  # copy | loan | all
    regular: int
    recalled: int


def choose_demerit_row(rows: Iterable[DemeritRow], group: str, kind: str) -> DemeritRow | None:
    """Precedence: exact group and kind; group + all; all + kind; all + all; else none."""
    rows = list(rows)
    for wanted in ((group, kind), (group, ALL), (ALL, kind), (ALL, ALL)):
        for row in rows:
            if (row.group, row.kind) == wanted:
                return row
    return None


def demerit_points(rows: Iterable[DemeritRow], group: str, kind: str, recalled: bool) -> int:
    row = choose_demerit_row(rows, group, kind)
    if row is None:
        return 0
    return row.recalled if recalled else row.regular


@dataclass(frozen=True)
class DemeritPolicy:
    enabled: bool = False
    history_days: int = 365
    threshold: int = 0  # "exceed" means more than this
    suspension_days: int = 0
    rows: tuple[DemeritRow, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class EarnedPoints:
    id: int
    earned_on: date
    points: int
    spent: bool = False


def points_in_window(earned: Iterable[EarnedPoints], today: date, history_days: int) -> list[EarnedPoints]:
    """Unspent points earned within the last history_days (today included)."""
    first = today - timedelta(days=max(history_days, 1) - 1)
    return [p for p in earned if not p.spent and first <= p.earned_on <= today]


def demerit_points_to_spend(policy: DemeritPolicy, earned: Iterable[EarnedPoints], today: date,
                            suspended: bool) -> list[EarnedPoints] | None:
    """The points a new DEMERIT block spends, or None: no block due.

    A subject already under a DEMERIT suspension gets no second one; the
    points earned meanwhile count when that one ends.
    """
    if not policy.enabled or suspended or policy.suspension_days <= 0:
        return None
    window = points_in_window(earned, today, policy.history_days)
    if sum(p.points for p in window) > policy.threshold:
        return window
    return None
