"""The notice part of `flask --app portal bench` (portal/bench.py calls ``run_notice_bench``).

- a command that queues notices (RECEIVE → ARRIVED for a patron with e-mail and SMS:
  two notices rendered and written in the command's transaction) against the same
  command for a record without a patron (median difference; goal ≤ 2 ms);
- 10,000 queued e-mails to a local SMTP server (aiosmtpd) by two worker processes
  (`flask notices work --once`), from their start to the last one sent (goal ≤ 60 s);
- the daily job over the benchmark database (goal < 2 s), run twice (the second
  run writes nothing), and the query plan of its candidate queries.
"""
from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import click
from sqlalchemy import func, insert, select, text, update

GOALS = {"queue_overhead": 0.002, "emails": 60.0, "daily": 2.0}
ROOT = Path(__file__).resolve().parent.parent


def shipped_records(actors: dict, count: int, patron_id: int | None) -> list[str]:
    from .extensions import db
    from .models import Record
    from .services.records import create_record, perform_command

    lender_code = actors["lender"].library.code
    ids = []
    for n in range(count):
        record = create_record(actors["requester"], {
            "kind": "copy", "citation": {"title": f"ベンチ資料 {n}", "article": "ILLの研究"},
            "candidates": [{"library": lender_code}]}, order_now=True)
        if patron_id is not None:
            db.session.execute(update(Record).where(Record.id == record.id).values(patron_id=patron_id))
            db.session.commit()
        perform_command(actors["lender"], record.ill_id, "RECEIVE")
        perform_command(actors["lender"], record.ill_id, "SEND",
                        {"fees": {"groups": [], "base_fee": "0", "postage": "0"}})
        ids.append(record.ill_id)
    return ids


def measure_queue_overhead(actors: dict, count: int = 120) -> tuple[float, float, float]:
    """Median seconds of RECEIVE (SHIPPED -> ARRIVED) with and without notices, interleaved."""
    from .extensions import db
    from .models import Patron, PatronConsent
    from .services.records import perform_command

    patron = Patron(library_id=actors["requester"].library_id, number="BENCH-P1", name="ベンチ 花子",
                    email="hanako@bench.example.jp", mobile="+819012345678", language="ja", active=True)
    db.session.add(patron)
    db.session.flush()
    db.session.add(PatronConsent(patron_id=patron.id, channel="sms", action="given", method="form", wording="bench"))
    db.session.commit()
    with_notices = shipped_records(actors, count, patron.id)
    without = shipped_records(actors, count, None)
    timings: dict[str, list[float]] = {"with": [], "without": []}
    for a, b in zip(with_notices, without):
        for key, ill_id in (("with", a), ("without", b)):
            started = time.perf_counter()
            perform_command(actors["requester"], ill_id, "RECEIVE")
            timings[key].append(time.perf_counter() - started)
    with_median, without_median = statistics.median(timings["with"]), statistics.median(timings["without"])
    return with_median, without_median, with_median - without_median


def measure_emails(app, count: int, workers: int = 2) -> tuple[float, int]:
    """Queue ``count`` e-mails, start ``workers`` worker processes, time until all are sent."""
    from aiosmtpd.controller import Controller

    from .extensions import db
    from .models import Library, Notice
    from .services.notices.outbox import Draft, write

    class Counter:
        received = 0

        async def handle_DATA(self, server, session, envelope):
            Counter.received += 1
            return "250 OK"

    with app.app_context():
        library = db.session.scalars(select(Library).order_by(Library.id)).first()
        drafts = [Draft(library_id=library.id, type="MANUAL", channel="email", recipient=f"p{n:05d}@bench.example.jp",
                        language="ja", subject=f"【ベンチ】お知らせ {n}", body=f"ベンチ 様\n\n本文 {n}\n" * 5, dedup=False)
                  for n in range(count)]
        write(drafts)
        db.session.commit()
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "MAIL_SERVER": "127.0.0.1",
           "MAIL_PORT": str(port), "MAIL_BACKEND": "smtp", "SECRET_KEY": os.environ.get("SECRET_KEY", "bench"),
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), "NOTICE_BATCH": "100"}
    started = time.perf_counter()
    processes = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "portal", "notices", "work", "--once"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for _ in range(workers)]
    try:
        for process in processes:
            process.wait(600)
        seconds = time.perf_counter() - started
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
        controller.stop()
    with app.app_context():
        sent = db.session.scalar(select(func.count()).select_from(Notice).where(
            Notice.type == "MANUAL", Notice.status == "sent"))
    return seconds, sent if Counter.received == sent else -Counter.received


def prepare_daily(actors: dict, share: float = 0.5) -> int:
    """Give the filler loans and arrivals due dates, arrival dates and patrons, as a live database has."""
    from .extensions import db
    from .models import Patron, Record
    from .services import portal_today

    rng = random.Random(7)
    today = portal_today()
    libraries = [library.id for library in actors["libraries"]]
    patrons = {}
    for library_id in libraries:
        rows = [{"library_id": library_id, "number": f"B{library_id:03d}-{n:04d}", "name": f"利用者 {n}", "group": "",
                 "email": f"u{library_id}-{n}@bench.example.jp", "mobile": None, "language": "ja", "active": True}
                for n in range(50)]
        patrons[library_id] = db.session.scalars(
            insert(Patron).returning(Patron.id, sort_by_parameter_order=True), rows).all()
    records = db.session.execute(select(Record.id, Record.requester_id, Record.status).where(
        Record.status.in_(("ON_LOAN", "RENEWAL_REQUESTED", "ARRIVED")), Record.patron_id.is_(None))).all()
    changed = 0
    for record_id, requester_id, status in records:
        values = {}
        if status == "ARRIVED":
            values["received_on"] = today - timedelta(days=rng.randrange(0, 30))
        else:
            values["due_on"] = today + timedelta(days=rng.randrange(-40, 30))
        if rng.random() < share:
            values["patron_id"] = rng.choice(patrons[requester_id])
        db.session.execute(update(Record).where(Record.id == record_id).values(**values))
        changed += 1
    db.session.commit()
    return changed


def query_plans() -> list[str]:
    """The database's plan for the daily job's candidate queries."""
    from .extensions import db
    from .services import portal_today
    from .services.notices.daily import TIMED_TYPES, candidate_query

    dialect = db.engine.dialect.name
    lines = []
    for code in TIMED_TYPES:
        query = candidate_query(code, portal_today())
        compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
        prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
        plan = [" ".join(str(c) for c in row[-1:]) for row in db.session.execute(text(prefix + str(compiled)))]
        lines.append(f"{code}: " + " | ".join(plan))
    return lines


def bench_actors() -> dict:
    from .extensions import db
    from .models import Library, User

    users = {u.username: u for u in db.session.scalars(select(User).where(
        User.username.in_(("bench_lender", "bench_requester"))))}
    return {"lender": users["bench_lender"], "requester": users["bench_requester"],
            "libraries": db.session.scalars(select(Library).order_by(Library.id)).all()}


def run_notice_bench(app, emails: int = 10_000) -> None:
    from .extensions import db
    from .services import portal_today
    from .services.daily import run_daily

    email_seconds, sent = measure_emails(app, emails)  # first, on an empty queue
    with app.app_context():
        actors = bench_actors()
        overhead = measure_queue_overhead(actors)
        with_notices = prepare_daily(actors)
        today = portal_today()
        started = time.perf_counter()
        first = run_daily(today)
        daily_first = time.perf_counter() - started
        started = time.perf_counter()
        second = run_daily(today)
        daily_second = time.perf_counter() - started
        plans = query_plans()
        dialect = db.engine.dialect.name

    def seconds(value: float) -> str:
        return f"{value * 1000:.2f} ms" if value < 1 else f"{value:.2f} s"

    rows = [
        ("RECEIVE queuing 2 notices − same without (median)", f"≤ {seconds(GOALS['queue_overhead'])}",
         seconds(overhead[2]), "ok" if overhead[2] <= GOALS["queue_overhead"] else "OVER"),
        (f"{emails:,} e-mails to SMTP, 2 worker processes ({dialect})", f"≤ {GOALS['emails']:.0f} s",
         seconds(email_seconds), "ok" if email_seconds <= GOALS["emails"] and sent == emails else "OVER"),
        (f"daily job, {with_notices:,} dated loans/arrivals (1st run)", f"< {GOALS['daily']:.0f} s",
         seconds(daily_first), "ok" if daily_first < GOALS["daily"] else "OVER"),
        ("daily job again, same date (writes nothing)", f"< {GOALS['daily']:.0f} s", seconds(daily_second),
         "ok" if daily_second < GOALS["daily"] else "OVER"),
    ]
    header = ("notices", "goal", "portal", "")
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
    click.echo("")
    for row in [header, tuple("-" * w for w in widths)] + rows:
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
    click.echo(f"RECEIVE medians: {seconds(overhead[0])} with notices, {seconds(overhead[1])} without. "
               f"E-mails sent: {sent:,}. Daily job: {'; '.join(step.summary for step in first)}; "
               f"again: {'; '.join(step.summary for step in second)}.")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    click.echo(f"{os.cpu_count()} CPUs, load average {load:.2f} (figures scale with it). Each e-mail's result is "
               f"committed on its own before the next is sent, so a killed worker repeats at most one.")
    click.echo("Daily job query plans:")
    for line in plans:
        click.echo("  " + line)
