"""The JSON shape of a record (shared/spec/api.md)."""
from __future__ import annotations

from ..models import Record
from ..workflow.fees import currency_places, format_amount
from ..workflow.statuses import Status


def _iso(value):
    return value.isoformat() if value is not None else None


def record_to_dict(record: Record, library_id: int, allowed: list[str]) -> dict:
    places = currency_places(record.currency)

    def code(library):
        return library.code if library is not None else None

    return {
        "ill_id": record.ill_id,
        "kind": record.kind,
        "network": record.network,
        "status": record.status,
        "status_label": {"ja": Status(record.status).label_ja, "en": Status(record.status).label_en},
        "queue": Status(record.status).queue.value,
        "requester": code(record.requester),
        "lender": code(record.lender),
        "candidates": [
            {"library": c.library.code, "location": c.location, "volume": c.volume,
             "call_number": c.call_number, "registration_number": c.registration_number,
             "tried": c.tried, "skipped": c.skipped}
            for c in record.candidates
        ],
        "citation": {"title": record.title, "article": record.article, "volume": record.volume,
                     "pages": record.pages, "year": record.year, "std_no": record.std_no,
                     "bib_id": record.bib_id, "note": record.bib_note, "author": record.author,
                     "publisher": record.publisher, "verify_source": record.verify_source},
        "client": {"name": record.client_name, "type": record.client_type},
        # the patron's card number, for the requesting library only (a lender sees CLNT / CLNTP alone)
        "patron": record.patron.number if record.patron_id and library_id == record.requester_id else None,
        "terms": {"account_type": record.account_type, "copy_type": record.copy_type,
                  "send_via": record.send_via, "permission": record.permission},
        "local_numbers": {"requester": record.requester_number, "lender": record.lender_number},
        "fees": {
            "groups": [{"item": g.item, "quantity": g.quantity, "unit_price": format_amount(g.unit_price, places),
                        "charge": format_amount(g.charge, places)} for g in record.fee_groups],
            "base_fee": format_amount(record.base_fee, places),
            "postage": format_amount(record.postage, places),
            "total": format_amount(record.total, places),
            "currency": record.currency,
        },
        "dates": {"ordered": _iso(record.ordered_on), "accepted": _iso(record.accepted_on),
                  "sent": _iso(record.sent_on), "received": _iso(record.received_on),
                  "due": _iso(record.due_on), "sent_back": _iso(record.sent_back_on),
                  "return_received": _iso(record.return_received_on)},
        "flags": {"claim_handling": record.claim_handling, "renewal_handling": record.renewal_handling,
                  "archived": record.archived},
        "history": [
            {"command": h.command, "from": h.from_status, "to": h.to_status,
             "library": code(h.library), "user": h.user_name, "comment": h.comment, "at": _iso(h.at),
             "changes": h.changes or {}}
            for h in record.history
        ],
        "local_note": record.local_note_for(library_id),  # the caller's own, never the other side's
        "allowed_commands": allowed,
        "version": record.version,
    }
