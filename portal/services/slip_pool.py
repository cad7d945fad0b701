"""The helper processes that render parts of a big slip batch (see services.slip_pdf).

A small pool of *spawned* interpreters: fresh processes, not forks of a web worker
with its threads, locks and database connections. They start at the first big batch,
or when a bulk page that prints opens (``warm_up``: a few milliseconds for the request,
the helpers import WeasyPrint and render a sample slip in the background while the desk
scans), and stay for the life of the process. ``SLIP_PROCESSES`` sets how many; 0
keeps everything in the calling process. This module does not import WeasyPrint: the
helpers do, and ``warm_up`` has the web worker import it in a background thread, so
opening a bulk page never waits for it.

Whatever goes wrong with a helper, its part is rendered in the calling process
(``result`` returns None): slower, never lost. A helper that dies or does not answer
within ``DEADLINE`` seconds has its pool killed and replaced at the next batch; after
``MAX_FAILURES`` failures in a row the pool rests for ``REST`` seconds (a helper
that cannot even start should not be respawned for every batch). A helper whose web
worker is gone (killed, not shut down) exits by itself.
"""
from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from multiprocessing import get_context

log = logging.getLogger(__name__)

DEADLINE = 15.0  # seconds a batch waits for its helpers: a part takes about one; web workers time out at 30
#: what ``warm_up(wait=True)`` gives helpers to start (spawn, import WeasyPrint, render the
#: sample slip: a few seconds, far more on a loaded machine); a batch keeps DEADLINE
STARTUP_DEADLINE = 90.0
MAX_FAILURES = 3
REST = 300.0

SLIPS_MODULE = __package__ + ".slips"  # imports WeasyPrint

_executor: ProcessPoolExecutor | None = None
_slips_import: threading.Thread | None = None
_lock = threading.Lock()
_failures = 0
_resting_until = 0.0


def warm_up(processes: int, wait: bool = False) -> None:
    """Start what the first print needs, in the background, so that it finds it ready: the
    import of WeasyPrint in this process (a second) and the helpers (``wait``: return once
    they are ready, as the benchmark does)."""
    global _slips_import
    with _lock:
        if _slips_import is None and SLIPS_MODULE not in sys.modules:
            _slips_import = threading.Thread(target=importlib.import_module, args=(SLIPS_MODULE,), daemon=True)
            _slips_import.start()
    if processes <= 0:
        return
    pool = _pool(processes)
    if pool is not None and wait:  # a helper answers only once its initializer has run
        for future in [pool.submit(int) for _ in range(processes)]:
            result(pool, future, time.monotonic() + STARTUP_DEADLINE)


def submit(documents: list[str], size: str, processes: int) -> tuple[ProcessPoolExecutor | None, list[Future | None]]:
    """Each document to a helper; None for each that could not be handed over."""
    pool = _pool(max(processes, 1))
    if pool is None:
        return None, [None] * len(documents)
    try:
        return pool, [pool.submit(render_part, html, size) for html in documents]
    except Exception:  # broken meanwhile, or shut down by another thread's failure
        log.exception("Slip helpers unavailable; rendering the batch in the calling process.")
        _failed(pool)
        return None, [None] * len(documents)


def result(pool: ProcessPoolExecutor | None, future: Future | None, deadline: float) -> bytes | None:
    """The helper's PDF, or None when the caller must render that part itself."""
    if future is None:
        return None
    try:
        pdf = future.result(timeout=max(0.0, deadline - time.monotonic()))
    except FutureTimeout:
        log.error("A slip helper did not answer in time; rendering its part in the calling process.")
        _failed(pool, kill=True)
        return None
    except Exception:  # the helper died (BrokenProcessPool), was cancelled, or raised
        log.exception("A slip helper failed; rendering its part in the calling process.")
        _failed(pool)
        return None
    _succeeded()
    return pdf


def render_part(html: str, size: str) -> bytes:
    """In a helper: one part of a batch."""
    from .slip_pdf import pdf_from_html
    return pdf_from_html(html, size)


def _warm_helper(parent: int) -> None:
    """In each helper, once: exit with the web worker, then import WeasyPrint, parse the
    stylesheet, load the font and Pango, and render a sample slip."""
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    from .slip_pdf import DEFAULT_SIZE, pdf_from_html
    from .slips import sample_html
    pdf_from_html(sample_html(), DEFAULT_SIZE)


def _exit_with(parent: int) -> None:
    """A killed web worker cannot stop its helpers: they notice it is gone and exit."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _pool(processes: int) -> ProcessPoolExecutor | None:
    global _executor
    with _lock:
        if _executor is None:
            if time.monotonic() < _resting_until:
                return None
            try:
                _executor = ProcessPoolExecutor(max_workers=processes, mp_context=get_context("spawn"),
                                                initializer=_warm_helper, initargs=(os.getpid(),))
                for _ in range(processes):  # the pool starts a helper per waiting task: start them all now
                    _executor.submit(int)
            except Exception:
                log.exception("Slip helpers could not start; slip batches render in the calling process.")
                _executor = None
        return _executor


def _failed(pool: ProcessPoolExecutor | None, kill: bool = False) -> None:
    """Drop ``pool`` if it is still the current one (another thread may have replaced it:
    that one is left alone, with the batches it is rendering)."""
    global _executor, _failures, _resting_until
    with _lock:
        if pool is None or pool is not _executor:
            return
        _executor = None
        _failures += 1
        if _failures >= MAX_FAILURES:
            _failures, _resting_until = 0, time.monotonic() + REST
            log.error("Slip helpers failed %d times in a row: batches render in the calling process for %d s.",
                      MAX_FAILURES, REST)
    _stop(pool, kill)


def _succeeded() -> None:
    global _failures
    _failures = 0


def _stop(pool: ProcessPoolExecutor, kill: bool) -> None:
    if kill:  # a stuck helper would never take its shutdown message
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.kill()
    pool.shutdown(wait=False)


def discard() -> None:
    """Stop the helpers and forget past failures (tests; a pool to be rebuilt)."""
    global _executor, _failures, _resting_until
    with _lock:
        pool, _executor = _executor, None
        _failures, _resting_until = 0, 0.0
    if pool is not None:
        _stop(pool, kill=True)
