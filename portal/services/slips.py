"""PDF slips: receipt (受付票), shipping (発送票) and return (返送票).

A batch is ONE HTML document with one ``<section>`` per slip (``break-after:
page``) per process that renders it (services.slip_pdf: the font and the CSS
loaded once per process, a big batch split over the CPUs and joined in order).
"""
from __future__ import annotations

import base64
import io
import re
from decimal import Decimal

import barcode
from barcode.writer import SVGWriter
from flask import current_app
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Candidate, Record, User
from ..models.types import utcnow
from ..workflow.errors import Forbidden, N_, NotFound, ValidationError
from ..workflow.fees import currency_places, format_amount
from . import slip_pdf, unit_of_work
from .access import PRINTED_BY, can_see, side_of
from .slip_pdf import DEFAULT_SIZE, SLIP_SIZES, TEMPLATE_DIR

SLIP_KINDS = ("receipt", "shipping", "return")
HEADINGS = {
    "receipt": {"ja": "受付票", "en": "ILL receipt slip"},
    "shipping": {"ja": "発送票", "en": "ILL shipping slip"},
    "return": {"ja": "返送票", "en": "ILL return slip"},
}
#: The side that prints each slip: the lender pulls and ships, the requester returns.
PRINT_REFUSALS = {
    "receipt": N_("Only the lending library prints the receipt slip of %(ill_id)s."),
    "shipping": N_("Only the lending library prints the shipping slip of %(ill_id)s."),
    "return": N_("Only the requesting library prints the return slip of %(ill_id)s."),
}
PRINTED_AT = {"receipt": "receipt_printed_at", "shipping": "shipping_printed_at", "return": "return_printed_at"}
HOLDING = (("location", "所在 Location"), ("call_number", "請求記号 Call no."), ("volume", "巻号 Vol."))  # candidate (HMLG)
KIND_LABELS = {"copy": ("複写", "Copy"), "loan": ("貸借", "Loan")}

# Barcode geometry in mm: 0.33 mm modules scan reliably from laser prints and 200 dpi scans.
BARCODE_OPTIONS = {"module_width": 0.33, "module_height": 12.0, "quiet_zone": 3.5, "write_text": False,
                   "font_size": 0, "margin_top": 0.0, "margin_bottom": 0.0, "background": None}

_templates = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=select_autoescape(default=True),
                         trim_blocks=True, lstrip_blocks=True)


# -- barcodes ---------------------------------------------------------------------

class PathSVGWriter(SVGWriter):
    """python-barcode's SVG writer, drawing all bars as ONE stroked line whose dash pattern
    is the bars and the spaces, instead of a <rect> per bar.

    Same geometry (module_width / module_height in mm, butt ends); WeasyPrint parses and
    draws one short path far faster than ~30 rects (a tenth of a 100-slip batch before),
    and the PDF keeps it as a vector dash pattern that prints and scans crisply.
    """

    def _init(self, code):
        super()._init(code)
        self._runs: list[float] = []  # bar, space, bar, space, … widths in mm
        self._start: float | None = None
        width, height = self.calculate_size(len(code[0]), 1)
        self._root.setAttribute("viewBox", f"0 0 {width:g} {height:g}")
        for comment in [n for n in self._root.childNodes if n.nodeType == n.COMMENT_NODE]:
            self._root.removeChild(comment)

    def _create_module(self, xpos, ypos, width, color):
        bar = color == self.foreground
        if self._start is None:
            if not bar:
                return  # the quiet zone before the first bar
            self._start, self._top = xpos, ypos
        if bar == (len(self._runs) % 2 == 0):
            self._runs.append(width)
        else:  # same colour as the previous module: widen its run
            self._runs[-1] += width

    def _finish(self):
        if self._runs:
            if len(self._runs) % 2 == 0:
                self._runs.pop()  # a trailing space draws nothing
            length = sum(self._runs)
            middle = self._top + self.module_height / 2
            path = self._document.createElement("path")
            path.setAttribute("d", f"M{self._start:g} {middle:g}h{length:g}")
            path.setAttribute("stroke", self.foreground)
            path.setAttribute("stroke-width", f"{self.module_height:g}")
            path.setAttribute("stroke-dasharray", " ".join(f"{run:g}" for run in self._runs))
            self._group.appendChild(path)
        return super()._finish()


def barcode_svg(ill_id: str) -> bytes:
    """The ILL ID as a Code 128 barcode, SVG (no human-readable text: the slip prints it)."""
    writer = PathSVGWriter()
    writer.with_doctype = False
    writer.compress = True  # compact toxml() output, not gzip: SVGWriter.write just writes the bytes
    out = io.BytesIO()
    barcode.Code128(ill_id, writer=writer).write(out, options=BARCODE_OPTIONS)
    return out.getvalue()


def barcode_data(ill_id: str) -> str:
    return base64.b64encode(barcode_svg(ill_id)).decode("ascii")


# -- slip contents ------------------------------------------------------------------

NOT_PRINTABLE = re.compile("[\x00-\x08\x0e-\x1b\ufffe\uffff]")  # controls that are no whitespace, non-characters


def clip(text: str | None, limit: int) -> str:
    """One line of at most ``limit`` characters: whitespace runs made one space, control characters dropped."""
    text = " ".join(NOT_PRINTABLE.sub("", str(text or "")).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def money(amount: Decimal | None, currency: str) -> str:
    places = currency_places(currency)
    if amount is None:
        return "—"
    value = Decimal(format_amount(amount, places))
    text = f"{value:,.{places}f}"
    return f"¥{text}" if currency == "JPY" else f"{currency} {text}"


def citation_text(record: Record, limit: int) -> str:
    parts = [record.title, record.article, record.author, record.volume,
             f"pp. {record.pages}" if record.pages else "", record.year, record.bib_note]
    return clip(" / ".join(p for p in parts if p), limit)


def _date(value) -> str:
    return value.isoformat() if value else "—"


POSTCODE = re.compile(r"^\s*(?:〒\s*)?(\d{3})\s*[-ー−‐－]?\s*(\d{4})(?!\d)[\s,、]*(.*)$", re.S)


def postal(address: str | None, limit: int) -> tuple[str, str]:
    """A Japanese address split as an envelope prints it: ("〒060-0808", the rest), the postcode
    found at its start with or without 〒 and hyphen; ("", address) when it has none."""
    match = POSTCODE.match(address or "")
    if not match:
        return "", clip(address, limit)
    return f"〒{match.group(1)}-{match.group(2)}", clip(match.group(3), limit)


def addressee(library, record: Record, limit: int) -> str:
    """The library as the addressee: name, its ILL section, and 御中 (to an organisation) for NII partners."""
    name = " ".join(part for part in (library.name, getattr(library, "ill_section", "")) if part)
    return clip(name, limit) + (" 御中" if record.network == "NII" else "")


def party(library, address: str | None, record: Record, limit: dict, to: bool) -> dict:
    """An address block in postal order: 〒 postcode, address, then the library (with 御中 when it is the addressee)."""
    postcode, rest = postal(address or (library.address if library else ""), limit["address"])
    if library is None:
        return {"postcode": postcode, "address": rest, "name": "—", "code": ""}
    return {"postcode": postcode, "address": rest, "code": library.code,
            "name": addressee(library, record, limit["name"]) if to else clip(
                " ".join(p for p in (library.name, library.ill_section) if p), limit["name"])}


def client_line(record: Record, limit: int) -> str:
    """The end user as far as the requesting library lets slips print it (Library.slip_client):
    the type, the name (CLNT) and type, or the patron's card number and type, which the
    requester's desk scans or looks up when the book arrives (never the patron's contacts)."""
    allowed = record.requester.slip_client
    if allowed == "name":
        return clip(" · ".join(p for p in (record.client_name, record.client_type) if p), limit)
    if allowed == "number":
        number = record.patron.number if record.patron is not None else ""
        return clip(" · ".join(p for p in (number, record.client_type) if p), limit)
    if allowed == "type":
        return clip(record.client_type, limit)
    return ""


def slip_for(record: Record, kind: str, size: str = DEFAULT_SIZE) -> dict:
    """Everything one slip prints, already clipped to fit: the template only lays it out."""
    limit = SLIP_SIZES.get(size, SLIP_SIZES[DEFAULT_SIZE]).limits
    requester, lender = record.requester, record.lender
    kind_ja, kind_en = KIND_LABELS.get(record.kind, (record.kind, record.kind))
    values = {
        "ill_id": record.ill_id, "barcode": barcode_data(record.ill_id),
        "kind_ja": kind_ja, "kind_en": kind_en, "network": record.network,
        "citation": citation_text(record, limit["citation"]), "std_no": clip(record.std_no, limit["line"]),
        "requester_name": clip(requester.name, limit["name"]), "requester_code": requester.code,
        "requester_number": clip(record.requester_number, limit["line"]),
        "lender_name": clip(lender.name, limit["name"]) if lender else "—",
        "lender_code": lender.code if lender else "",
    }
    if kind == "receipt":
        candidate: Candidate | None = record.candidate_for(record.lender_id)
        comments = [h for h in reversed(record.history) if h.comment and h.command != "SYSTEM"]
        values.update(
            holding=" · ".join(f"{label} {clip(getattr(candidate, name), limit['line'])}" for name, label in HOLDING
                               if candidate and getattr(candidate, name)) or "所在 Location —",
            client_type=clip(record.client_type, limit["line"]),
            dates=[("依頼日 Ordered", _date(record.ordered_on)), ("受付日 Accepted", _date(record.accepted_on))],
            comments=[{"command": h.command, "date": _date(h.at.date()), "text": clip(h.comment, limit["comment"])}
                      for h in comments[:limit["comments"]]],
        )
    elif kind == "shipping":
        currency = record.currency
        if record.kind == "loan":  # the slip goes round the book: what the requester's desk and reader need
            values.update(band={
                "due": _date(record.due_on), "number": clip(record.requester_number, limit["line"]),
                "client": client_line(record, limit["line"]), "restriction": clip(record.use_restriction, limit["line"]),
            })
        values.update(
            to=party(requester, record.requester_address, record, limit, to=True),
            sender=party(lender, record.lender_address, record, limit, to=False),
            requester_address=clip(record.requester_address or requester.address, limit["address"]),
            fee_groups=" · ".join(
                f"{clip(g.item, 20) or '内訳'} {g.quantity} × {money(g.unit_price, currency)} = {money(g.charge, currency)}"
                for g in record.fee_groups[:10]),
            base_fee=money(record.base_fee or 0, currency), postage=money(record.postage or 0, currency),
            total=money(record.total, currency),
            dates=[("発送日 Sent", _date(record.sent_on))]
            + ([("返却期限 Due", _date(record.due_on))] if record.kind == "loan" else []),
        )
    else:  # return
        candidate = record.candidate_for(record.lender_id)
        values.update(
            to=party(lender, record.lender_address, record, limit, to=True),
            sender=party(requester, record.requester_address, record, limit, to=False),
            call_number=clip(candidate.call_number if candidate else "", limit["line"]),
            lender_number=clip(record.lender_number, limit["line"]),
            lender_address=clip(record.lender_address or (lender.address if lender else ""), limit["address"]),
            dates=[("返却期限 Due", _date(record.due_on)), ("返送日 Sent back", _date(record.sent_back_on))],
        )
    return values


def slips_html(records: list[Record], kind: str, size: str = DEFAULT_SIZE) -> str:
    return batch_html([slip_for(record, kind, size) for record in records], kind)


def batch_html(slips: list[dict], kind: str) -> str:
    return _templates.get_template("batch.html").render(slips=slips, kind=kind, heading=HEADINGS[kind])


def sample_html() -> str:
    """A made-up shipping slip using every element and style a slip uses: what a helper
    process renders once at its start, so that its first real batch finds WeasyPrint's
    SVG, image and text paths loaded (a cold helper took twice as long)."""
    library = "サンプル大学附属図書館 (Sample University Library)"
    return batch_html([{
        "ill_id": "1000000001", "barcode": barcode_data("1000000001"), "kind_ja": "複写", "kind_en": "Copy",
        "network": "NII", "citation": "日本図書館情報学会誌 / 大学図書館における相互貸借の現状 / 62(3) / pp. 145-160",
        "std_no": "0000-0000", "requester_name": library, "requester_code": "FA000001", "requester_number": "R-0001",
        "lender_name": library, "lender_code": "FA000002", "requester_address": f"〒100-0001 東京都千代田区1-1-1 {library}",
        "to": {"postcode": "〒100-0001", "address": "東京都千代田区1-1-1", "name": f"{library} 相互貸借係 御中",
               "code": "FA000001"},
        "sender": {"postcode": "〒100-0002", "address": "東京都千代田区2-2-2", "name": library, "code": "FA000002"},
        "band": {"due": "2026-01-15", "number": "R-0001", "client": "大学院生", "restriction": "館内閲覧のみ"},
        "fee_groups": "A4 12 × ¥30 = ¥360", "base_fee": "¥100", "postage": "¥140", "total": "¥600",
        "dates": [("発送日 Sent", "2026-01-01"), ("返却期限 Due", "2026-01-15")],
    }], "shipping")


# -- the service --------------------------------------------------------------------

def check_kind(kind: str) -> str:
    if kind not in SLIP_KINDS:
        raise NotFound(N_("There is no slip %(kind)s."), kind=str(kind)[:20])
    return kind


def check_may_print(actor: User, record: Record, kind: str) -> None:
    if not can_see(record, actor.library_id):
        raise Forbidden("Record %(ill_id)s belongs to other libraries.", ill_id=record.ill_id)
    if side_of(record, actor.library_id) is not PRINTED_BY[kind]:
        raise Forbidden(PRINT_REFUSALS[kind], ill_id=record.ill_id)


def records_for_slips(actor: User, ill_ids: list[str]) -> list[Record]:
    """The records to print, in the given order, loaded in a few queries; access checked by render_slips."""
    pks = [pk for pk in (Record.pk_from_ill_id(i) for i in ill_ids) if pk]
    if len(pks) != len(ill_ids):
        bad = next(i for i in ill_ids if not Record.pk_from_ill_id(i))
        raise NotFound("No record with ILL ID %(ill_id)s.", ill_id=str(bad)[:40])
    found = {r.id: r for r in db.session.scalars(
        select(Record).where(Record.id.in_(pks)).options(
            selectinload(Record.requester), selectinload(Record.lender), selectinload(Record.fee_groups),
            selectinload(Record.candidates), selectinload(Record.history)))}
    missing = next((i for i, pk in zip(ill_ids, pks) if pk not in found), None)
    if missing is not None:
        raise NotFound("No record with ILL ID %(ill_id)s.", ill_id=str(missing)[:40])
    return [found[pk] for pk in pks]


def render_slips(actor: User, records: list[Record], kind: str) -> bytes:
    """One PDF, one slip per page in the given order; marks each record's slip as printed.

    The slip size is the actor's library's (A5 portrait unless set to A4 or label).
    The printed time is stored for all records in one transaction, with a plain
    UPDATE: printing is not an edit of the shared record, so it neither bumps
    the record's version (no false conflicts for the partner) nor its updated_at.
    """
    check_kind(kind)
    if not records:
        raise ValidationError({"records": N_("Choose at least one record to print.")}, N_("There is nothing to print."))
    for record in records:
        check_may_print(actor, record, kind)
    size = actor.library.slip_size
    processes = current_app.config.get("SLIP_PROCESSES", 0)
    pdf = slip_pdf.render([slips_html(part, kind, size) for part in slip_pdf.parts(records, processes)],
                          size, processes)
    column = getattr(Record, PRINTED_AT[kind])
    now = utcnow()
    with unit_of_work() as session:
        session.execute(update(Record).where(Record.id.in_([r.id for r in records])).values({column: now}),
                        execution_options={"synchronize_session": False})
    return pdf

