"""Flask CLI for notices and the daily job (shared/spec/api.md):
``flask --app portal notices work [--once]`` and ``flask --app portal daily [--date]``."""
from __future__ import annotations

import logging
from datetime import date

import click
from flask.cli import AppGroup

notices = AppGroup("notices", help="Notices to patrons and partner libraries.")


@notices.command("work", help="Send the notices that are due; with --once, stop when nothing is due.")
@click.option("--once", is_flag=True, help="Stop when nothing is due (otherwise poll until stopped).")
@click.option("--poll", type=float, default=None, help="Seconds between looks at an empty queue (NOTICE_POLL_SECONDS).")
def work(once, poll):
    from flask import current_app

    from .services.notices.worker import Worker, install_signal_handlers

    logging.getLogger("portal.notices.worker").setLevel(logging.INFO)
    worker = Worker.from_config(on_line=lambda line: click.echo(line))
    install_signal_handlers(worker)
    click.echo(f"notice worker {worker.worker_id} started" + (" (--once)" if once else ""))
    count = worker.run(once=once, poll=poll if poll is not None else current_app.config["NOTICE_POLL_SECONDS"])
    click.echo(f"notice worker {worker.worker_id} stopped after {count} notices")


@click.command("daily", help="The daily job: time-based notices (and the other daily steps); idempotent per date.")
@click.option("--date", "day", help="The date to run for, YYYY-MM-DD (default: today in PORTAL_TIMEZONE).")
def daily(day):
    from .services import portal_today
    from .services.daily import run_daily

    if day:
        try:
            today = date.fromisoformat(day)
        except ValueError:
            raise click.ClickException(f"--date must be a date like 2026-04-01, not {day!r}.") from None
    else:
        today = portal_today()
    results = run_daily(today)
    for result in results:
        click.echo(f"{today.isoformat()} {result.name}: {'ok' if result.ok else 'FAILED'}: {result.summary} "
                   f"({result.seconds:.2f} s)")
    if not all(r.ok for r in results):
        raise click.ClickException("a daily step failed (see above)")
