"""The helper processes that render parts of a big slip batch (see services.slip_pdf).

A small pool of *spawned* interpreters: fresh processes, not forks of a web worker
with its threads, locks and database connections. They start at the first big batch,
or when a bulk page that prints opens (``warm_up``: a few milliseconds here, the
helpers import WeasyPrint and load the font in the background while the desk scans),
and stay for the life of the process. ``SLIP_PROCESSES`` sets how many; 0 keeps
everything in the calling process. This module does not import WeasyPrint: the
helpers do, so a web worker that only opens a bulk page does not pay for it.

Should a helper fail to start or die, its part is rendered in the calling process
(``result`` returns None): slower, never lost.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

log = logging.getLogger(__name__)
FAILURES = (BrokenProcessPool, OSError, RuntimeError)  # RuntimeError: submitted to a pool shut down meanwhile

_executor: ProcessPoolExecutor | None = None
_lock = threading.Lock()


def warm_up(processes: int, wait: bool = False) -> None:
    """Start the helpers now, in the background, so that the first batch finds them ready
    (``wait``: return once they are, as the benchmark does)."""
    if processes > 0:
        try:
            pool = _pool(processes)
            if wait:  # a helper answers only once its initializer has run
                for future in [pool.submit(int) for _ in range(processes)]:
                    future.result()
        except FAILURES:
            log.exception("Slip helpers could not start; slip batches render in the calling process.")


def submit(documents: list[str], size: str, processes: int) -> list[Future | None]:
    """Each document to a helper; None for each that could not be handed over."""
    try:
        pool = _pool(max(processes, 1))
        return [pool.submit(render_part, html, size) for html in documents]
    except FAILURES:
        log.exception("Slip helpers unavailable; rendering the batch in the calling process.")
        _discard()
        return [None] * len(documents)


def result(future: Future | None) -> bytes | None:
    """The helper's PDF, or None when the caller must render that part itself."""
    if future is None:
        return None
    try:
        return future.result()
    except BrokenProcessPool:
        log.exception("A slip helper died; rendering its part in the calling process.")
        _discard()
        return None


def render_part(html: str, size: str) -> bytes:
    """In a helper: one part of a batch."""
    from .slip_pdf import pdf_from_html
    return pdf_from_html(html, size)


def _warm_helper() -> None:
    """In each helper, once: import WeasyPrint, parse the stylesheet, load the font and Pango,
    and render a sample slip."""
    from .slip_pdf import DEFAULT_SIZE, pdf_from_html
    from .slips import sample_html
    pdf_from_html(sample_html(), DEFAULT_SIZE)


def _pool(processes: int) -> ProcessPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ProcessPoolExecutor(max_workers=processes, mp_context=get_context("spawn"),
                                            initializer=_warm_helper)
            for _ in range(processes):  # the pool starts a helper per waiting task: start them all now
                _executor.submit(int)
        return _executor


def _discard() -> None:
    global _executor
    with _lock:
        if _executor is not None:
            _executor.shutdown(wait=False, cancel_futures=True)
            _executor = None
