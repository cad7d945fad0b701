"""Send reports (seed 003): a library's notices of a date range, counted per type, channel and
state, so staff see what went out and what failed. One grouped query over the
(library_id, created_at) index."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from ...extensions import db
from ...models import Notice
from ...workflow.errors import N_, ValidationError
from ...workflow.notice_rules import STATUSES
from .. import portal_zone

MAX_DAYS = 366
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass
class SendReport:
    start: date
    end: date
    rows: list[tuple[str, str, dict[str, int]]]  # type, channel, count per state
    totals: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.totals.values())

    @property
    def statuses(self) -> list[str]:
        """The states that occur, in the life-cycle's order."""
        return [s for s in STATUSES if self.totals.get(s)]


def parse_range(start: str, end: str, today: date) -> tuple[date, date]:
    """Dates YYYY-MM-DD, both days included; empty: the last 30 days."""
    errors = {}
    values = []
    for name, text, default in (("from", start, today - timedelta(days=29)), ("to", end, today)):
        text = str(text or "").strip()
        if not text:
            values.append(default)
            continue
        try:
            if not DATE.fullmatch(text):
                raise ValueError(text)
            values.append(date.fromisoformat(text))
        except ValueError:
            errors[name] = N_("Must be a date like 2026-04-01.")
            values.append(default)
    if not errors and values[1] < values[0]:
        errors["to"] = N_("The end must not be before the start.")
    elif not errors and (values[1] - values[0]).days >= MAX_DAYS:
        errors["to"] = N_("At most 366 days at a time.")
    if errors:
        raise ValidationError(errors)
    return values[0], values[1]


def send_report(library_id: int, start: date, end: date) -> SendReport:
    zone = portal_zone()
    low = datetime.combine(start, time.min, zone)
    high = datetime.combine(end + timedelta(days=1), time.min, zone)
    counted = db.session.execute(
        select(Notice.type, Notice.channel, Notice.status, func.count())
        .where(Notice.library_id == library_id, Notice.created_at >= low, Notice.created_at < high)
        .group_by(Notice.type, Notice.channel, Notice.status)).all()
    grouped: dict[tuple[str, str], dict[str, int]] = {}
    totals: dict[str, int] = {}
    for notice_type, channel, status, count in counted:
        grouped.setdefault((notice_type, channel), {})[status] = count
        totals[status] = totals.get(status, 0) + count
    rows = [(t, c, grouped[(t, c)]) for t, c in sorted(grouped)]
    return SendReport(start, end, rows, totals)
