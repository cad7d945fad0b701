"""Notice rules with no database: the notice types, which channels a notice takes,
overdue levels, retry waits, scheduling granularity and the "still true" check
made before sending. Plain functions on plain values, like the fee arithmetic.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .statuses import Status

CHANNELS = ("email", "sms", "print")
POLICIES = ("all", "first")  # "first": the first available of SMS, e-mail, print
STATUSES = ("scheduled", "queued", "sending", "sent", "delivered", "bounced", "failed", "cancelled", "suppressed")
OPEN_STATUSES = ("scheduled", "queued")  # not yet handed to a worker: can be cancelled or suppressed
FINAL_STATUSES = ("sent", "delivered", "bounced", "failed", "cancelled", "suppressed")


@dataclass(frozen=True)
class NoticeType:
    code: str
    audience: str  # "patron" or "library" (a partner library's contact address)
    policy: str  # default channel policy
    channels: tuple[str, ...]  # channels on by default
    mandatory: bool = False  # still goes by e-mail or print after an SMS opt-out
    days: tuple[int, ...] = ()  # default days: before DDATE, after DDATE (levels), after arrival
    timed: bool = False  # made by the daily job


NOTICE_TYPES: dict[str, NoticeType] = {t.code: t for t in (
    NoticeType("ARRIVED", "patron", "all", ("email", "sms", "print")),
    NoticeType("PICKUP_REMINDER", "patron", "first", ("email", "sms", "print"), days=(7,), timed=True),
    NoticeType("DUE_SOON", "patron", "first", ("email", "sms"), days=(3,), timed=True),
    NoticeType("OVERDUE", "patron", "all", ("email", "sms", "print"), mandatory=True, days=(1, 8, 15), timed=True),
    NoticeType("DUE_DATE_CHANGED", "patron", "first", ("email", "sms", "print")),
    NoticeType("RENEWAL_REFUSED", "patron", "first", ("email", "sms", "print")),
    NoticeType("CANCELLED", "patron", "first", ("email", "sms", "print")),
    NoticeType("FEE_DUE", "patron", "first", ("email", "print")),
    NoticeType("ACTIVITY", "patron", "first", ("email", "print")),
    NoticeType("PARTNER_NEW_REQUEST", "library", "first", ("email",)),
    NoticeType("PARTNER_OVERDUE", "library", "first", ("email",), days=(7,), timed=True),
    # optional (blocks.md): no channel on until a library turns one on in its notice settings
    NoticeType("BLOCK_APPLIED", "patron", "first", ()),
    NoticeType("BLOCK_LIFTED", "patron", "first", ()),
    # optional: a daily digest to the library's own contact address (what waits, what is overdue)
    NoticeType("STAFF_DIGEST", "library", "first", (), timed=True),
    # optional (seed 003, 送信結果のメール通知): the outcome of each manual notice, e-mailed to
    # up to five staff addresses of the sending library
    NoticeType("SEND_REPORT", "library", "first", ()),
    NoticeType("MANUAL", "patron", "first", ("email", "sms")),
)}
PATRON_TYPES = tuple(code for code, t in NOTICE_TYPES.items() if t.audience == "patron" and code != "MANUAL")
MAX_LEVELS = 3
MAX_REPORT_RECIPIENTS = 5  # seed 003: up to five addresses, separated by ";"


@dataclass(frozen=True)
class Reach:
    """What is known about a recipient when choosing channels."""

    email: bool
    mobile: bool
    sms_consent: bool


def choose_channels(policy: str, enabled: set[str] | frozenset[str], reach: Reach) -> list[tuple[str, str | None]]:
    """The channels a notice goes by, each with None (send) or the reason it is suppressed.

    ``all``: e-mail and SMS side by side; ``first``: SMS, else e-mail, else print.
    Either way a printed letter only goes to a patron that no e-mail or SMS reaches,
    so nobody gets the same notice three times. A mobile number without consent is
    recorded as a suppressed SMS under ``all`` (the history says why no SMS went) and
    simply skipped under ``first``. A mandatory notice needs no rule of its own: after
    an SMS opt-out the SMS is not available, so e-mail or print takes over.
    """
    sms_ok = "sms" in enabled and reach.mobile and reach.sms_consent
    email_ok = "email" in enabled and reach.email
    chosen: list[tuple[str, str | None]] = []
    if policy == "first":
        if sms_ok:
            return [("sms", None)]
        if email_ok:
            return [("email", None)]
        return [("print", None)] if "print" in enabled else []
    if email_ok:
        chosen.append(("email", None))
    if sms_ok:
        chosen.append(("sms", None))
    elif "sms" in enabled and reach.mobile:
        chosen.append(("sms", "no SMS consent"))
    if not (email_ok or sms_ok) and "print" in enabled:
        chosen.append(("print", None))
    return chosen


def overdue_level(due: date, today: date, thresholds: tuple[int, ...] | list[int]) -> int:
    """The highest overdue notice (1st, 2nd, 3rd) reached today, 0 for none.

    Only the highest is sent: a job that missed days sends the 2nd notice, not the 1st and 2nd.
    """
    late = (today - due).days
    level = 0
    for number, days in enumerate(sorted(thresholds)[:MAX_LEVELS], start=1):
        if late >= days:
            level = number
    return level


def due_soon(due: date, today: date, days_before: int) -> bool:
    """A courtesy notice is due from ``days_before`` days ahead until the due date itself."""
    return 0 <= (due - today).days <= days_before


def pickup_reminder_due(received: date, today: date, days_after: int) -> bool:
    return (today - received).days >= days_after


def retry_delay(attempt: int, base: int = 60, cap: int = 6 * 3600) -> timedelta:
    """The wait after the ``attempt``-th failed try: 1, 2, 4, 8 … minutes, at most ``cap`` seconds."""
    return timedelta(seconds=min(base * 2 ** max(attempt - 1, 0), cap))


def round_up(moment: datetime, minutes: int) -> datetime:
    """Round up to the provider's granularity (SMSLINK takes times in 10 minutes: 15:01 -> 15:10)."""
    minutes = max(minutes, 1)
    floor = moment.replace(minute=moment.minute - moment.minute % minutes, second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(minutes=minutes)


@dataclass(frozen=True)
class RecordFacts:
    """The record as it is now, for the check before sending."""

    status: str
    lender_id: int | None
    due_on: date | None
    renewal_handling: bool


ITEM_WITH_PATRON = (Status.ON_LOAN.value, Status.RENEWAL_REQUESTED.value)


def no_longer_true(notice_type: str, cycle: str, partner_id: int | None, facts: RecordFacts | None) -> str | None:
    """Why a notice about a record should not be sent any more, or None if it still holds."""
    if notice_type in ("MANUAL", "ACTIVITY", "RENEWAL_REFUSED", "FEE_DUE", "DUE_DATE_CHANGED") or facts is None:
        if notice_type == "DUE_DATE_CHANGED" and facts is not None and cycle and facts.due_on is not None \
                and facts.due_on.isoformat() != cycle:
            return "the due date changed again"
        return None
    due = cycle.split("/")[0]
    if notice_type in ("ARRIVED", "PICKUP_REMINDER"):
        return None if facts.status == Status.ARRIVED.value else f"the record is {facts.status}, no longer waiting for pickup"
    if notice_type in ("DUE_SOON", "OVERDUE", "PARTNER_OVERDUE"):
        if facts.status not in ITEM_WITH_PATRON and not (facts.renewal_handling and facts.status in (
                Status.RETURN_PROCESSING.value, Status.RETURN_CLAIM.value)):
            return f"the loan is {facts.status}, no longer on loan"
        if facts.due_on is None or facts.due_on.isoformat() != due:
            return "the due date changed"
        return None
    if notice_type == "CANCELLED":
        if facts.status == Status.CANCELLED.value or (facts.lender_id is None and facts.status in (
                Status.NEW_INQUIRY.value, Status.INQUIRY.value)):
            return None
        return f"the record is {facts.status}, no longer cancelled"
    if notice_type == "PARTNER_NEW_REQUEST":
        if facts.status == Status.UNPROCESSED.value and facts.lender_id == partner_id:
            return None
        return "the request is no longer waiting at this library"
    return None


# -- what a command tells whom ---------------------------------------------------------

PRIVATE_ACCOUNTS = ("私費", "private")  # ACCT: the patron pays


@dataclass(frozen=True)
class TransitionFacts:
    """One command as the history entry and the record after it describe it."""

    command: str
    from_status: str
    to_status: str
    kind: str
    lender_id: int | None
    due_before: date | None
    due_after: date | None
    renewal_before: bool
    total: object  # Decimal or None
    account_type: str
    comment: str
    entry_id: int

    @property
    def due_changed(self) -> bool:
        return self.due_before != self.due_after


def notices_for_transition(facts: TransitionFacts) -> list[tuple[str, str]]:
    """The notices (type, cycle) a command causes, per the spec's table.

    A renewal answer (the lender's CLAIM in renewal handling) with a new due date
    is DUE_DATE_CHANGED; without one it is RENEWAL_REFUSED unless the comment says
    更新可. The cycle goes into the de-duplication key.
    """
    S = Status
    wanted: list[tuple[str, str]] = []
    if facts.command in ("CALLBACK", "SAVE"):
        return wanted
    if facts.command == "RECEIVE" and facts.from_status == S.SHIPPED and facts.to_status == S.ARRIVED:
        wanted.append(("ARRIVED", ""))
    if facts.to_status == S.CANCELLED or (facts.command == "PARDON" and facts.to_status == S.NEW_INQUIRY
                                          and facts.lender_id is None):
        wanted.append(("CANCELLED", ""))
    if facts.kind == "loan" and facts.due_changed and facts.due_before is not None and facts.due_after is not None:
        wanted.append(("DUE_DATE_CHANGED", facts.due_after.isoformat()))
    elif (facts.command == "CLAIM" and facts.from_status == S.RETURN_PROCESSING and facts.renewal_before
          and "更新可" not in facts.comment and facts.due_after is not None):
        wanted.append(("RENEWAL_REFUSED", facts.due_after.isoformat()))
    if (facts.command == "SEND" and facts.to_status == S.SHIPPED and facts.total is not None and facts.total > 0
            and facts.account_type.strip().lower() in PRIVATE_ACCOUNTS):
        wanted.append(("FEE_DUE", ""))
    if facts.to_status == S.UNPROCESSED and facts.from_status != S.UNPROCESSED and facts.lender_id is not None:
        wanted.append(("PARTNER_NEW_REQUEST", str(facts.entry_id)))
    return wanted
