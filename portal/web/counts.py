"""Status counts counted once per request: the work list and the header badge share them."""
from __future__ import annotations

from flask import has_request_context, request

from ..services.search import status_counts_by_side
from ..services.worklists import queue_totals
from ..workflow.machine import Side

COUNTS = "portal.status_counts"  # in the request's environ: {(library_id, kind or None): both sides' counts}


def status_counts_once(library_id: int, side: Side, kind: str | None = None) -> dict[str, int]:
    """One side's status counts (services.search.status_counts_by_side: both sides in one statement of
    the status tallies), remembered for the rest of this request (on the request itself: an app context
    can outlive one request, as in the tests)."""
    if not has_request_context():
        return status_counts_by_side(library_id, kind)[side]
    remembered = request.environ.setdefault(COUNTS, {})
    key = (library_id, kind if kind in ("copy", "loan") else None)
    if key not in remembered:
        remembered[key] = status_counts_by_side(library_id, kind)
    return remembered[key][side]


def remember_status_counts(library_id: int, counts: dict[Side, dict[str, int]]) -> None:
    """Both sides' counts of every kind, read along with another statement (the session's user), for
    the rest of this request."""
    request.environ.setdefault(COUNTS, {})[(library_id, None)] = counts


def queue_totals_once(library_id: int) -> dict[str, int]:
    """The header badge: from the counts this request already made (a work list page), else counted once."""
    return queue_totals(library_id, lambda side: status_counts_once(library_id, side))
