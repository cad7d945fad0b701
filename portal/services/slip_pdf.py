"""Slip HTML to PDF: WeasyPrint with its costs paid once, a batch split over the CPUs.

Parsing the CSS and loading the CJK font are paid once per process (a module-level
FontConfiguration, one parsed stylesheet per page size). WeasyPrint then spends its
time laying out and drawing each page, on one core; so a big batch is split into
contiguous parts, the first rendered here while helper processes (services.slip_pool)
render the others, and the parts' pages are joined in order into one PDF.
"""
from __future__ import annotations

import io
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence, TypeVar
from xml.etree import ElementTree

import cssselect2
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from . import slip_pool

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class SlipSize:
    page: str  # CSS @page size
    margin: str
    font_size: str  # the root font size; the stylesheet scales with it
    limits: dict  # longest text printed per field, so that a slip always fits its one page


SLIP_SIZES = {
    "A5": SlipSize("A5 portrait", "12mm", "10pt",
                   {"citation": 260, "name": 80, "address": 160, "line": 60, "comment": 120, "comments": 3}),
    "A4": SlipSize("A4 portrait", "18mm", "12pt",
                   {"citation": 300, "name": 80, "address": 160, "line": 60, "comment": 120, "comments": 3}),
    "label": SlipSize("100mm 150mm", "5mm", "8pt",  # a 4x6 inch shipping label
                      {"citation": 120, "name": 60, "address": 100, "line": 30, "comment": 60, "comments": 2}),
}
DEFAULT_SIZE = "A5"

FONT_FILES = ("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",  # Debian fonts-ipaexfont-gothic
              "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf")
TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates" / "slips"

#: Batches smaller than this render in the calling process: ~0.2 s, less than a
#: helper's round trip and the join would save.
SPLIT_FROM = 16

font_config = FontConfiguration()
_stylesheets: dict[str, CSS] = {}
# WeasyPrint's Pango and fontconfig state is not thread-safe (concurrent renders in one
# process corrupted memory under threaded servers): one render at a time per process.
_weasyprint = threading.RLock()


def font_face_css() -> str:
    """@font-face for the embedded Japanese font: the installed file, else whatever fontconfig finds."""
    sources = ['local("IPAexGothic")', 'local("IPAexゴシック")']
    path = next((p for p in FONT_FILES if os.path.exists(p)), None)
    if path:
        sources.insert(0, f'url("{Path(path).as_uri()}")')
    return '@font-face { font-family: "Slip Gothic"; src: %s; }\n' % ", ".join(sources)


def stylesheet(size: str) -> CSS:
    """The slip CSS for one page size, parsed (and its font loaded) once per process."""
    size = size if size in SLIP_SIZES else DEFAULT_SIZE
    css = _stylesheets.get(size)
    if css is None:
        with _weasyprint:
            css = _stylesheets.get(size)
            if css is None:
                spec = SLIP_SIZES[size]
                text = (font_face_css()
                        + f"@page {{ size: {spec.page}; margin: {spec.margin}; }}\nhtml {{ font-size: {spec.font_size}; }}\n"
                        + (TEMPLATE_DIR / "slips.css").read_text(encoding="utf-8"))
                css = _stylesheets[size] = CSS(string=text, font_config=font_config)
    return css


class SlipHTML(HTML):
    """A slip document as WeasyPrint's HTML, built for speed in two ways:

    - parsed by the C XML parser: the slip template writes well-formed markup
      (void elements closed, text escaped by Jinja, control characters removed by
      slips.clip), and WeasyPrint's pure-Python HTML5 parser would take a tenth of
      a 100-slip batch. Markup that is not well-formed falls back to that parser;
    - without WeasyPrint's HTML5 user-agent stylesheet: matching its ~250 rules
      against every element is a quarter of a batch; slips.css sets the display of
      the few elements the slips use.

    Both give the same pages (a test compares them with the plain ``HTML``). Should a
    WeasyPrint release rename these internals, the tests say so.
    """

    def __init__(self, markup: str):
        try:
            root = ElementTree.fromstring(markup)
        except ElementTree.ParseError as error:
            log.warning("Slip markup is not well-formed XML (%s): parsed as HTML instead.", error)
            super().__init__(string=markup)
            return
        self.base_url = None
        self.url_fetcher = URLFetcher()
        self.media_type = "print"
        self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
        self.etree_element = self.wrapper_element.etree_element

    def _ua_stylesheets(self, forms=False):
        return []


def pdf_from_html(html: str, size: str) -> bytes:
    with _weasyprint:
        return SlipHTML(html).write_pdf(stylesheets=[stylesheet(size)], font_config=font_config)


# -- a batch over several processes ---------------------------------------------------

def parts(items: Sequence[T], processes: int) -> list[Sequence[T]]:
    """``items`` in contiguous parts, one for this process and one per helper, in order."""
    count = 1 if len(items) < SPLIT_FROM else min(processes + 1, len(items))
    step, extra = divmod(len(items), count)
    bounds = [n * step + min(n, extra) for n in range(count + 1)]
    return [items[start:end] for start, end in zip(bounds, bounds[1:])]


def render(documents: list[str], size: str, processes: int, timeout: float = slip_pool.DEADLINE) -> bytes:
    """One PDF of the HTML documents' pages in order: the first rendered here, the others by
    helpers; a part that a helper does not deliver within ``timeout`` is rendered here."""
    if len(documents) == 1:
        return pdf_from_html(documents[0], size)
    deadline = time.monotonic() + timeout
    pool, futures = slip_pool.submit(documents[1:], size, processes)
    first = pdf_from_html(documents[0], size)
    return join([first] + [slip_pool.result(pool, future, deadline) or pdf_from_html(html, size)
                           for future, html in zip(futures, documents[1:])])


# -- joining the parts -------------------------------------------------------------------

def join(pdfs: list[bytes]) -> bytes:
    """The pages of several PDFs in order, as one file with the first one's metadata (title)."""
    writer = PdfWriter()
    for number, pdf in enumerate(pdfs):
        reader = PdfReader(io.BytesIO(pdf))
        if number == 0:
            writer.add_metadata(reader.metadata or {})
            if "/Lang" in reader.trailer["/Root"]:  # the language screen readers and PDF/UA look for
                writer.root_object[NameObject("/Lang")] = reader.trailer["/Root"]["/Lang"]
        else:
            retag_fonts(reader, number)
        writer.append(reader)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def retag_fonts(reader, number: int) -> None:
    """Give part ``number``'s font subsets their own tag.

    WeasyPrint names a subset after the font (``BJLQWW+Slip-Gothic``), not after the
    glyphs it keeps, so two parts would hold two different subsets of one name, which
    a printer that caches fonts by name could mix up.
    """
    def retagged(name: str) -> NameObject:
        tag, plus, rest = name[1:].partition("+")
        if not plus or len(tag) != 6 or not tag.isalpha() or not tag.isupper():
            return NameObject(name)
        # The last two letters read as a number (base 26) plus the part's: distinct for up to 676 parts.
        value = ((ord(tag[4]) - 65) * 26 + ord(tag[5]) - 65 + number) % 676
        return NameObject(f"/{tag[:4]}{chr(65 + value // 26)}{chr(65 + value % 26)}+{rest}")

    names = {}  # fonts and descriptors are shared between pages: each renamed once
    for page in reader.pages:
        for ref in page.get("/Resources", {}).get("/Font", {}).values():
            font = ref.get_object()
            for dictionary in [font, *(d.get_object() for d in font.get("/DescendantFonts", []))]:
                names[id(dictionary)] = (dictionary, "/BaseFont")
                if "/FontDescriptor" in dictionary:
                    descriptor = dictionary["/FontDescriptor"]
                    names[id(descriptor)] = (descriptor, "/FontName")
    for dictionary, key in names.values():
        if key in dictionary:
            dictionary[NameObject(key)] = retagged(dictionary[key])
