"""``flask --app portal daily [--date YYYY-MM-DD]``: the daily job (services.daily), idempotent per date."""
from __future__ import annotations

from datetime import date

import click


@click.command("daily", help="The daily job: ended blocks, demerit blocks (and the other daily steps); "
                             "idempotent per date.")
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
