"""Work lists (the desk's home page) and search."""
from __future__ import annotations

from datetime import date
from functools import lru_cache
from urllib.parse import quote_plus

from flask import Blueprint, current_app, redirect, request, url_for
from flask_login import current_user

from ..database import reads_only
from ..services import portal_today
from ..services.access import visible_ill_id
from ..services.search import SORTS, SearchFilters, due_counts
from ..services.worklists import (EXPORT_COLUMNS, SearchForm, partner_choices, queue_statuses, search_page, waiting_statuses,
                                  worklist)
from ..workflow.machine import Side
from ..workflow.statuses import Status
from ..workflow.numbers import parse_page
from .counts import status_counts_once
from .export import EXPORT_LIMIT, csv_response
from .htmx import is_htmx, render
from .labels import partner_options

bp = Blueprint("main", __name__)


_quoted = lru_cache(maxsize=512)(quote_plus)  # a work list's query values, each quoted once


def _page_number() -> int:
    return parse_page(request.args.get("page", "")) or 1


def _sort() -> str:
    sort = request.args.get("sort", "updated")
    return sort if sort in SORTS else "updated"


@bp.get("/")
@reads_only
def worklists():
    side = Side.LENDER if request.args.get("side") == "lender" else Side.REQUESTER
    kind = request.args.get("kind") if request.args.get("kind") in ("copy", "loan") else None
    mine, waiting = queue_statuses(side), waiting_statuses(side)
    codes = {s.value for s in mine + waiting}
    tab = request.args.get("status", "")
    tab = tab if tab in codes or tab in ("waiting", "overdue", "due_soon") else ""
    due = tab if tab in ("overdue", "due_soon") else None
    statuses = ([tab] if tab in codes else [] if due else
                [s.value for s in (waiting if tab == "waiting" else mine)])
    library_id = current_user.library_id
    today, soon_days = portal_today(), current_user.library.due_soon_days
    if request.args.get("format") == "csv":  # the whole list, not one page
        rows = worklist(library_id, side, statuses, kind, _sort(), 1, EXPORT_LIMIT, due=due, today=today,
                        due_soon_days=soon_days, columns=EXPORT_COLUMNS)
        return csv_response(rows, library_id, today, soon_days, f"worklist-{side.value}-{tab or 'all'}")
    counts = status_counts_once(library_id, side, kind)  # the header badge reuses them
    other_side = Side.REQUESTER if side is Side.LENDER else Side.LENDER
    other_counts = status_counts_once(library_id, other_side, kind)
    tab_due_counts = due_counts(library_id, side, today, soon_days, kind)
    total = tab_due_counts[due] if due else sum(counts.get(code, 0) for code in statuses)
    context = {
        "side": side, "kind": kind or "", "tab": tab, "sort": _sort(), "mine": mine, "waiting": waiting,
        "counts": counts, "mine_total": sum(counts[s.value] for s in mine),
        "waiting_total": sum(counts[s.value] for s in waiting),
        "other_total": sum(other_counts[s.value] for s in queue_statuses(other_side)),
        "due_counts": tab_due_counts,
        "page": worklist(library_id, side, statuses, kind, _sort(), _page_number(),
                         current_app.config["PAGE_SIZE"], due=due, today=today, due_soon_days=soon_days,
                         total=total),
        "today": today,
    }
    current, base = {"side": side.value, "kind": kind, "status": tab or None, "sort": _sort()}, url_for("main.worklists")

    def wl_url(**changes) -> str:
        """This work list's URL with some parameters changed (page resets unless given); the route is
        built once, the two dozen links of a page only change its query string (urlencode's, with
        each value quoted once: the names are fixed, the values a few validated codes)."""
        params = [f"{name}={_quoted(str(value))}" for name, value in {**current, **changes}.items()
                  if value not in (None, "", "updated", 1)]
        return f"{base}?{'&'.join(params)}" if params else base

    context.update(wl_url=wl_url, sort_url=lambda key: wl_url(sort=key), page_url=lambda n: wl_url(page=n),
                   csv_url=wl_url(format="csv"))
    # htmx asks either for the whole list region or, on a refresh event, just the tabs.
    block = "status_tabs" if request.headers.get("HX-Target") == "status-tabs" else "worklist"
    return render("worklists/index.html", block, **context)


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.get("/search")
@reads_only
def search():
    args = request.args
    q = args.get("q", "").strip()
    library_id = current_user.library_id
    ill_id = visible_ill_id(library_id, q)  # None unless q is the ILL ID of a record the library may see
    if ill_id is not None:  # a typed or scanned ILL ID opens its record
        target = url_for("records.show", ill_id=ill_id)
        return ("", 200, {"HX-Redirect": target}) if is_htmx() else redirect(target)
    status = args.get("status") if args.get("status") in Status.__members__ else None
    filters = SearchFilters(
        q=q, status=status, kind=args.get("kind") if args.get("kind") in ("copy", "loan") else None,
        partner=args.get("partner", "").strip(), date_from=_date(args.get("date_from")),
        date_to=_date(args.get("date_to")), include_archive=args.get("archive") == "1",
    )
    extra = SearchForm(title=args.get("title", ""), client=args.get("client", ""),
                       local_number=args.get("local_number", ""))
    searched = any(args.get(name) for name in ("q", "status", "kind", "partner", "date_from", "date_to", "title",
                                                "client", "local_number", "archive", "all"))
    if searched and args.get("format") == "csv":  # every result, not one page
        today = portal_today()
        rows = search_page(library_id, filters, extra, _sort(), 1, EXPORT_LIMIT, count_limit=None,
                           columns=EXPORT_COLUMNS)
        return csv_response(rows, library_id, today, current_user.library.due_soon_days, "search")
    page = search_page(library_id, filters, extra, _sort(), _page_number(),
                       current_app.config["PAGE_SIZE"]) if searched else None

    def search_url(**changes) -> str:
        params = {**args.to_dict(), **{k: str(v) for k, v in changes.items()}}
        return url_for("main.search", **{k: v for k, v in params.items() if v})

    return render("search/index.html", "results", args=args, page=page, statuses=list(Status),
                  sort_url=lambda key: search_url(sort=key, page=""), page_url=lambda n: search_url(page=n),
                  csv_url=search_url(format="csv", page=""),
                  partner_options=partner_options(partner_choices(library_id), args.get("partner", "")),
                  today=portal_today(), sort=_sort())
