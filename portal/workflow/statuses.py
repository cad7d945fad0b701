"""The status table of shared/spec/workflow.md, as data."""
from enum import StrEnum


class Queue(StrEnum):
    REQUESTER = "requester"
    LENDER = "lender"
    FINAL = "final"


class Status(StrEnum):
    PREPARING = "PREPARING"
    UNPROCESSED = "UNPROCESSED"
    PROCESSING = "PROCESSING"
    NEW_INQUIRY = "NEW_INQUIRY"
    INQUIRY = "INQUIRY"
    AWAITING_ANSWER = "AWAITING_ANSWER"
    SHIPPED = "SHIPPED"
    ARRIVED = "ARRIVED"
    CONFIRMED = "CONFIRMED"
    CLAIM_PENDING = "CLAIM_PENDING"
    CLAIM_ANSWERED = "CLAIM_ANSWERED"
    ON_LOAN = "ON_LOAN"
    RENEWAL_REQUESTED = "RENEWAL_REQUESTED"
    RETURNED = "RETURNED"
    RETURN_PROCESSING = "RETURN_PROCESSING"
    RETURN_CLAIM = "RETURN_CLAIM"
    RETURN_CONFIRMED = "RETURN_CONFIRMED"
    CANCELLED = "CANCELLED"

    @property
    def queue(self) -> Queue:
        return STATUS_TABLE[self][2]

    @property
    def label_ja(self) -> str:
        return STATUS_TABLE[self][0]

    @property
    def label_en(self) -> str:
        return STATUS_TABLE[self][1]

    @property
    def is_final(self) -> bool:
        return self.queue is Queue.FINAL


R, L, F = Queue.REQUESTER, Queue.LENDER, Queue.FINAL

#: code: (日本語, English label, queue)
STATUS_TABLE: dict[Status, tuple[str, str, Queue]] = {
    Status.PREPARING: ("準備中", "Preparing", R),
    Status.UNPROCESSED: ("未処理", "New request", L),
    Status.PROCESSING: ("処理中", "Processing", L),
    Status.NEW_INQUIRY: ("新着照会", "New inquiry", R),
    Status.INQUIRY: ("照会", "Inquiry", R),
    Status.AWAITING_ANSWER: ("回答待", "Answer received", L),
    Status.SHIPPED: ("発送", "Shipped", R),
    Status.ARRIVED: ("到着処理中", "Arrival processing", R),
    Status.CONFIRMED: ("確認", "Confirmed", F),
    Status.CLAIM_PENDING: ("クレーム未処理", "Claim received", L),
    Status.CLAIM_ANSWERED: ("クレーム回答待", "Claim answered", R),
    Status.ON_LOAN: ("借用中", "On loan", R),
    Status.RENEWAL_REQUESTED: ("更新請求", "Renewal requested", L),
    Status.RETURNED: ("返送", "Returned (in transit)", L),
    Status.RETURN_PROCESSING: ("返却処理中", "Return processing", L),
    Status.RETURN_CLAIM: ("返却クレーム未処理", "Return claim", R),
    Status.RETURN_CONFIRMED: ("返却確認", "Return confirmed", F),
    Status.CANCELLED: ("CANCEL", "Cancelled", F),
}

FINAL_STATUSES = frozenset(s for s in Status if s.is_final)


def statuses_in_queue(queue: Queue) -> list[Status]:
    return [s for s in Status if s.queue is queue]
