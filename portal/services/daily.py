"""The daily job (`flask --app portal daily [--date]`): a list of steps, each
idempotent per date, so the job is safe to run twice or on several machines.

Steps: the time-based notices (services.notices.daily_step) and the blocks step
(``blocks.daily_step(today)``: blocks that ended, DEMERIT blocks).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date
from typing import Callable

log = logging.getLogger(__name__)


@dataclass
class StepResult:
    name: str
    ok: bool
    summary: str
    seconds: float


def steps() -> list[tuple[str, Callable[[date], object]]]:
    from .blocks import daily_step as blocks_step
    from .notices import daily_step as notices_step

    return [("blocks", blocks_step), ("notices", notices_step)]


def run_daily(today: date) -> list[StepResult]:
    """Run every step for ``today``; a failing step is reported and the others still run."""
    results = []
    for name, step in steps():
        started = time.perf_counter()
        try:
            outcome = step(today)
        except Exception as error:  # noqa: BLE001 - reported per step, the job goes on
            log.exception("daily step %s failed", name)
            results.append(StepResult(name, False, f"{type(error).__name__}: {error}", time.perf_counter() - started))
            continue
        summary = outcome.summary() if hasattr(outcome, "summary") else str(outcome)
        results.append(StepResult(name, True, summary, time.perf_counter() - started))
    return results
