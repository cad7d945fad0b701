"""`flask --app portal bench`: the shipping desk's speed on a database of realistic size.

It builds its own database (an SQLite file in a temporary folder, or the empty
database DATABASE_URL names) with 10,000 filler records inserted in bulk
through SQLAlchemy Core, then makes the measured records with the real
commands, and measures, each beside its goal:

- bulk send of 100 scanned records with fees, server side (run_bulk);
- one scan round trip through the Flask test client (median of 50);
- 100 shipping slips as one PDF (split over this process and the SLIP_PROCESSES
  helpers, started beforehand as a bulk page starts them; and the same batch in this
  process alone), and one slip;

and the same slips rendered naively in the same run (one WeasyPrint document
per slip, table layout, a new FontConfiguration and stylesheet each, the
barcode as one <rect> per bar), so the ratio holds on any machine.
"""
from __future__ import annotations

import base64
import io
import os
import random
import secrets
import shutil
import statistics
import tempfile
import time
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import click
from sqlalchemy import func, insert, inspect, select

GOALS = {"bulk_send": 1.0, "scan": 0.030, "batch": 1.5, "one": 0.15, "block_check": 0.001}
FILLER_STATUSES = ["UNPROCESSED", "PROCESSING", "SHIPPED", "ARRIVED", "CONFIRMED", "ON_LOAN", "RETURNED",
                   "RETURN_CONFIRMED", "CANCELLED", "INQUIRY", "CLAIM_PENDING", "RENEWAL_REQUESTED"]
TITLES = ["日本図書館情報学会誌", "情報管理", "図書館雑誌", "大学図書館研究", "カレントアウェアネス",
          "Journal of Documentation", "College & Research Libraries", "源氏物語 (岩波文庫)"]
ARTICLES = ["大学図書館における相互貸借の現状", "NACSIS-ILLの30年", "ILL業務の効率化について",
            "Resource sharing in academic libraries", "文献複写サービスの費用分析", ""]


@click.command("bench", help="Measure bulk send, scanning and PDF slips on a 10,000-record database; with --pages, "
                              "the work lists, record page, lookup, search and a command on a national-size population "
                              "(1,000 libraries of Zipf-like size) of each --records size.")
@click.option("--records", default="10000", show_default=True,
              help="Filler records inserted in bulk; with --pages one size or several separated by commas "
                   "(10000,1000000: each in a fresh database, and the ratio of the largest to the smallest).")
@click.option("--batch", default=100, show_default=True, help="Records sent and printed in one batch.")
@click.option("--scans", default=50, show_default=True, help="Scan round trips measured (median).")
@click.option("--pages", is_flag=True, help="Measure the pages (p50 / p95, queries per request) instead of the "
                                            "shipping desk and notices.")
@click.option("--requests", default=200, show_default=True, help="With --pages: requests measured per figure.")
@click.option("--explain", is_flag=True, help="With --pages: print the query plans of the slowest statements.")
@click.option("--http", is_flag=True, help="With --pages: also requests per second under gunicorn (2 workers) on "
                                           "loopback and the workers' memory after 10,000 mixed requests.")
@click.option("--notices", "notices_only", is_flag=True,
              help="Measure only the notices (queuing overhead, e-mails, the daily job) on the same database.")
@click.option("--emails", default=10_000, show_default=True, help="Queued e-mails sent by two workers.")
def bench(records: str, batch: int, scans: int, pages: bool, requests: int, explain: bool, http: bool,
          notices_only: bool, emails: int) -> None:
    from .bench_pages import parse_sizes, run_pages

    sizes = parse_sizes(records)
    if pages:
        run_pages(os.environ.get("DATABASE_URL"), sizes, max(requests, 10), explain, http)
        return
    if http:
        raise click.BadParameter("--http is for --pages", param_hint="--http")
    if len(sizes) > 1:
        raise click.BadParameter("several sizes are for --pages", param_hint="--records")
    records = sizes[0]
    url = os.environ.get("DATABASE_URL")
    folder = None
    if not url:
        folder = tempfile.mkdtemp(prefix="ill-bench-")
        url = "sqlite:///" + str(Path(folder) / "bench.sqlite")
    try:
        run(url, records, batch, scans, notices_only, max(emails, 1))
    finally:
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


def run(url: str, filler: int, batch: int, scans: int, notices_only: bool = False, emails: int = 10_000) -> None:
    from . import create_app
    from .extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_hex(32), "WTF_CSRF_ENABLED": False})
    with app.app_context():
        ensure_empty(db)
        db.create_all()
        shown_url = db.engine.url.render_as_string(hide_password=True)
        click.echo(f"Database: {db.engine.dialect.name} ({shown_url})")
        with timed() as t:
            actors = make_libraries()
            fill(db, actors, filler)
        total = db.session.scalar(select(func.count()).select_from(db.metadata.tables["records"]))
        click.echo(f"Filler: {filler:,} records in bulk (SQLAlchemy Core) in {t.seconds:.1f} s")
        with timed() as t:
            ids = processing_records(actors, batch)
        click.echo(f"Measured records: {batch} made with real commands (create, ORDER, RECEIVE) in {t.seconds:.1f} s;"
                   f" {total + batch:,} records in all")
        lender_id = actors["lender"].id
    if not notices_only:
        # Scans go through the test client outside this app context, so that each request
        # has its own, as in production (no user cached in `g` between requests).
        results = {"scan": measure_scans(app, lender_id, ids, scans)}
        with app.app_context():
            results.update(measure_block_check(actors_again(), max(scans, 200)))
            results.update(measure(app, ids))
        print_table(results, batch, scans)
    from .bench_notices import run_notice_bench  # notices: queuing overhead, 10,000 e-mails, the daily job

    run_notice_bench(app, emails)


def ensure_empty(db) -> None:
    names = inspect(db.engine).get_table_names()
    if "records" in names and db.session.scalar(select(func.count()).select_from(db.metadata.tables["records"])):
        raise click.ClickException("DATABASE_URL names a database that already has records: "
                                   "the benchmark needs an empty one (it adds 10,000 records).")


# -- the database -----------------------------------------------------------------------

def make_libraries() -> dict:
    from .services.admin import add_library, add_user
    from .services.settings import save_fee_default

    libraries = [add_library(f"FA{n:06d}", name=f"ベンチ大学附属図書館 {n} (Bench Univ. Library {n})",
                             address=f"〒100-{n:04d} 東京都千代田区 {n}-1-1", loan_days=14) for n in range(1, 13)]
    lender, requester = libraries[0], libraries[1]
    save_fee_default(lender, "copy", [{"item": "A4", "quantity": 10, "unit_price": "30"}], "100", "140")
    save_fee_default(lender, "loan", [], "0", "520")
    return {"libraries": libraries, "lender": add_user("bench_lender", lender.code, "bench-password-1"),
            "requester": add_user("bench_requester", requester.code, "bench-password-1")}


def fill(db, actors: dict, count: int, chunk: int = 2_000) -> None:
    """Filler records with a candidate and a history entry each, inserted in bulk."""
    from .models import Candidate, HistoryEntry, Record

    rng = random.Random(42)
    library_ids = [library.id for library in actors["libraries"]]
    today = date.today()
    for start in range(0, count, chunk):
        rows = []
        for n in range(start, min(count, start + chunk)):
            requester, lender = rng.sample(library_ids, 2)
            ordered = today - timedelta(days=rng.randrange(400))
            rows.append({
                "kind": rng.choice(("copy", "copy", "loan")), "network": "NII",
                "status": rng.choice(FILLER_STATUSES), "version": 1, "archived": False,
                "requester_id": requester, "lender_id": lender, "title": rng.choice(TITLES),
                "article": rng.choice(ARTICLES), "volume": f"{rng.randrange(1, 120)}({rng.randrange(1, 12)})",
                "pages": f"{rng.randrange(1, 300)}-{rng.randrange(300, 400)}", "year": str(ordered.year),
                "client_name": f"利用者 {n}", "client_type": rng.choice(("教員", "大学院生", "学部生")),
                "ordered_on": ordered, "accepted_on": ordered + timedelta(days=1), "currency": "JPY",
            })
        ids = db.session.scalars(insert(Record).returning(Record.id, sort_by_parameter_order=True), rows).all()
        db.session.execute(insert(Candidate), [
            {"record_id": record_id, "position": 0, "library_id": row["lender_id"], "tried": True}
            for record_id, row in zip(ids, rows)])
        db.session.execute(insert(HistoryEntry), [
            {"record_id": record_id, "command": "ORDER", "from_status": "PREPARING", "to_status": "UNPROCESSED",
             "side": "requester", "library_id": row["requester_id"], "comment": ""}
            for record_id, row in zip(ids, rows)])
        db.session.commit()


def processing_records(actors: dict, count: int) -> list[str]:
    """The measured records: requested and received with the real commands, now in PROCESSING."""
    from .services.records import create_record, perform_command

    lender_code = actors["lender"].library.code
    ids = []
    for n in range(count):
        record = create_record(actors["requester"], {
            "kind": "loan" if n % 4 == 3 else "copy",
            "citation": {"title": TITLES[n % len(TITLES)], "article": ARTICLES[n % len(ARTICLES)],
                         "volume": "62(3)", "pages": "145-160", "year": "2016"},
            "client": {"name": f"利用者 {n}", "type": "大学院生"},
            "candidates": [{"library": lender_code, "location": "書庫3F", "call_number": "010.5/N71"}],
        }, order_now=True)
        perform_command(actors["lender"], record.ill_id, "RECEIVE")
        ids.append(record.ill_id)
    return ids


def actors_again() -> dict:
    from .extensions import db
    from .models import Library, User

    users = {u.username: u for u in db.session.scalars(select(User).where(User.username.like("bench_%")))}
    return {"lender": users["bench_lender"], "requester": users["bench_requester"],
            "libraries": list(db.session.scalars(select(Library).order_by(Library.id)))}


def fill_blocks(actors: dict, count: int = 2_000) -> None:
    """Block rows of every kind around the requester, none of them stopping its ORDER to the lender:
    other libraries' blocks on it, expired and lifted blocks by the lender, patron blocks."""
    from .extensions import db
    from .models import Block, Patron
    from .models.types import utcnow
    from .services import blocks

    libraries = actors["libraries"]
    requester, lender = actors["requester"].library, actors["lender"].library
    for library in libraries:
        blocks.ensure_setup(library.id)
    patrons = [Patron(library_id=library.id, number=f"B{library.id}-{n}", name=f"利用者 {n}")
               for library in libraries for n in range(20)]
    db.session.add_all(patrons)
    db.session.flush()
    suspended = {lib.id: blocks.definition_for(lib.id, "SUSPENDED").id for lib in libraries}
    today = date.today()
    rows = []
    for n in range(count):
        library = libraries[n % len(libraries)]
        if n % 4 == 0 and library.id not in (requester.id, lender.id):
            rows.append(dict(library_id=library.id, partner_id=requester.id))  # others' own blocks on it
        elif n % 4 == 1:
            rows.append(dict(library_id=lender.id, partner_id=requester.id,  # expired or lifted
                             expires=today - timedelta(days=1 + n % 30) if n % 8 == 1 else None,
                             lifted_at=utcnow() if n % 8 == 5 else None))
            if rows[-1]["expires"] is None and rows[-1]["lifted_at"] is None:
                rows[-1]["lifted_at"] = utcnow()
        else:
            rows.append(dict(library_id=library.id, patron_id=patrons[n % len(patrons)].id))
    for row in rows:
        db.session.add(Block(definition_id=suspended[row["library_id"]], origin="manual", note="bench",
                             starts=today - timedelta(days=60), **row))
    db.session.commit()


def measure_block_check(actors: dict, count: int) -> dict:
    """What the block check adds to ORDER: the same command with the check and without it,
    alternating record by record (so that both see the same machine), and the check's own time."""
    from .services import records as record_service
    from .services.records import create_record, perform_command

    fill_blocks(actors)
    requester, lender_code = actors["requester"], actors["lender"].library.code
    real_check = record_service.blocks.check_command
    check_times: list[float] = []

    def timed_check(actor, record, *args, **kwargs):
        started = time.perf_counter()
        try:
            return real_check(actor, record, *args, **kwargs)
        finally:
            check_times.append(time.perf_counter() - started)

    def no_check(*args, **kwargs):
        return []

    ids = [create_record(requester, {"kind": "copy", "citation": {"title": "ベンチ"},
                                     "candidates": [{"library": lender_code}]}).ill_id for _ in range(2 * count + 20)]
    times = {timed_check: [], no_check: []}
    try:
        for n, ill_id in enumerate(ids):
            check = timed_check if n % 2 == 0 else no_check
            record_service.blocks.check_command = check
            with timed() as t:
                perform_command(requester, ill_id, "ORDER")
            if n >= 20:  # the first ones warm up
                times[check].append(t.seconds)
    finally:
        record_service.blocks.check_command = real_check
    with_check, without = statistics.median(times[timed_check]), statistics.median(times[no_check])
    return {"block_check": max(0.0, with_check - without), "block_check_own": statistics.median(check_times[10:]),
            "order_with": with_check, "order_without": without}


# -- measuring -----------------------------------------------------------------------------

class Timer:
    seconds: float = 0.0  # wall clock
    cpu: float = 0.0  # this process's CPU time: what the work costs, whatever else the machine runs


@contextmanager
def timed():
    timer = Timer()
    started, started_cpu = time.perf_counter(), time.process_time()
    yield timer
    timer.seconds = time.perf_counter() - started
    timer.cpu = time.process_time() - started_cpu


def measure_scans(app, lender_id: int, ids: list[str], scans: int) -> tuple[float, float]:
    """One scan round trip: logged-in session (CSRF off), the htmx fragment; the running list grows."""
    from werkzeug.datastructures import MultiDict

    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(lender_id)
        session["_fresh"] = True
    headers = {"HX-Request": "true"}
    for warm in ids[:3]:
        client.post("/bulk/send/scan", data={"ill_id": warm}, headers=headers)
    times = []
    for n in range(scans):
        data = MultiDict([("ill_id", ids[n % len(ids)])] + [("scanned", i) for i in ids[: n % len(ids)]])
        with timed() as t:
            response = client.post("/bulk/send/scan", data=data, headers=headers)
        assert response.status_code == 200 and "scan-msg--ok" in response.get_data(as_text=True), response.status
        times.append(t.seconds)
    return statistics.median(times), sorted(times)[max(0, int(len(times) * 0.95) - 1)]


def measure(app, ids: list[str]) -> dict:
    from .models import User
    from .services.bulk import default_inputs, get_mode, run_bulk
    from .extensions import db
    from .services import slip_pool
    from .services.slips import records_for_slips, render_slips

    lender = db.session.scalar(select(User).where(User.username == "bench_lender"))
    results: dict = {}

    # Bulk send of the scanned records, each row with its fee defaults and dates.
    mode = get_mode("send")
    records = records_for_slips(lender, ids)
    rows = [default_inputs(lender, mode, record) for record in records]
    with timed() as t:
        outcome = run_bulk(lender, mode, rows)
    assert len(outcome.done) == len(ids) and not outcome.failed, outcome.failed[:1]
    results["bulk_send"], results["bulk_send_cpu"] = t.seconds, t.cpu

    # Slips: the first one in a fresh process parses the CSS and loads the font once; the
    # helpers that render parts of a big batch are started (a bulk page starts them on opening).
    with timed() as t:
        render_slips(lender, records_for_slips(lender, ids[:1]), "shipping")
    results["first"] = t.seconds
    processes = results["processes"] = app.config["SLIP_PROCESSES"]
    slip_pool.warm_up(processes, wait=True)
    with timed() as t:
        pdf = render_slips(lender, records_for_slips(lender, ids), "shipping")
    results["batch"], results["batch_cpu"] = t.seconds, t.cpu
    results["batch_bytes"] = len(pdf)
    app.config["SLIP_PROCESSES"] = 0  # the same batch in this process alone
    with timed() as t:
        render_slips(lender, records_for_slips(lender, ids), "shipping")
    app.config["SLIP_PROCESSES"] = processes
    results["batch_alone"] = t.seconds
    singles = []
    for ill_id in ids[:5]:
        with timed() as t:
            render_slips(lender, records_for_slips(lender, [ill_id]), "shipping")
        singles.append(t.seconds)
    results["one"] = statistics.median(singles)

    # WeasyPrint's floor on this machine: as many pages holding one short line each.
    from .services.slip_pdf import pdf_from_html
    floor_html = "<!DOCTYPE html><html><body>" + "".join(
        f'<section class="slip"><p>{i}</p></section>' for i in ids) + "</body></html>"
    pdf_from_html(floor_html, "A5")
    with timed() as t:
        pdf_from_html(floor_html, "A5")
    results["floor"] = t.seconds

    # The naive way, same records, same run.
    loaded = records_for_slips(lender, ids)
    with timed() as t:
        naive_pages = [naive_slip_pdf(record) for record in loaded]
    results["naive_batch"], results["naive_batch_cpu"] = t.seconds, t.cpu
    results["naive_bytes"] = sum(len(p) for p in naive_pages)
    naive_singles = []
    for record in loaded[:3]:
        with timed() as t:
            naive_slip_pdf(record)
        naive_singles.append(t.seconds)
    results["naive_one"] = statistics.median(naive_singles)
    return results


NAIVE_CSS = """
@font-face { font-family: "Slip Gothic"; src: url("%(font)s"); }
@page { size: A5 portrait; margin: 12mm; }
body { font-family: "Slip Gothic", sans-serif; font-size: 10pt; }
table { width: 100%%; border-collapse: collapse; margin-bottom: 3mm; }
th, td { border: 0.3mm solid #000; padding: 1.5mm; text-align: left; vertical-align: top; }
th { width: 30%%; background: #eee; font-weight: normal; }
td.num { text-align: right; }
"""

NAIVE_HTML = """<!doctype html><html lang="ja"><head><meta charset="utf-8"></head><body>
<table><tr><td><h1>発送票</h1>ILL shipping slip</td>
<td><img src="data:image/svg+xml;base64,{{ barcode }}" style="height: 14mm"><br>{{ r.ill_id }}</td></tr></table>
<table>
<tr><th>送付先 To</th><td>{{ r.requester.name }}<br>{{ r.requester_address }}</td></tr>
<tr><th>書誌 Citation</th><td>{{ r.title }} / {{ r.article }} / {{ r.volume }} / {{ r.pages }} / {{ r.year }}</td></tr>
<tr><th>発送元 From</th><td>{{ r.lender.name }}</td></tr>
<tr><th>発送日 Sent</th><td>{{ r.sent_on }}</td></tr>
{% if r.kind == "loan" %}<tr><th>返却期限 Due</th><td>{{ r.due_on }}</td></tr>{% endif %}
</table>
<table><tr><th>内訳 Item</th><th>数量</th><th>単価</th><th>小計</th></tr>
{% for g in r.fee_groups %}<tr><td>{{ g.item }}</td><td class="num">{{ g.quantity }}</td>
<td class="num">{{ g.unit_price }}</td><td class="num">{{ g.charge }}</td></tr>{% endfor %}
<tr><th colspan="3">基本料 Base fee</th><td class="num">{{ r.base_fee }}</td></tr>
<tr><th colspan="3">送料 Postage</th><td class="num">{{ r.postage }}</td></tr>
<tr><th colspan="3">合計 Total</th><td class="num">{{ r.total }}</td></tr></table>
</body></html>"""


def naive_slip_pdf(record) -> bytes:
    """One slip the way it is usually first written: everything built afresh for each slip."""
    import barcode
    from barcode.writer import SVGWriter
    from jinja2 import Environment
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from .services.slip_pdf import FONT_FILES

    font = Path(next(p for p in FONT_FILES if os.path.exists(p))).as_uri()
    font_config = FontConfiguration()
    css = CSS(string=NAIVE_CSS % {"font": font}, font_config=font_config)
    svg = io.BytesIO()
    barcode.Code128(record.ill_id, writer=SVGWriter()).write(svg, options={"module_width": 0.33, "module_height": 12})
    html = Environment(autoescape=True).from_string(NAIVE_HTML).render(
        r=record, barcode=base64.b64encode(svg.getvalue()).decode())
    return HTML(string=html).write_pdf(stylesheets=[css], font_config=font_config)


# -- the report ----------------------------------------------------------------------------------

def print_table(r: dict, batch: int, scans: int) -> None:
    def seconds(value: float) -> str:
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"

    def verdict(value: float, goal: float) -> str:
        return "ok" if value < goal else "OVER"

    rows = [
        (f"bulk send, {batch} scanned records with fees", f"< {seconds(GOALS['bulk_send'])}",
         seconds(r["bulk_send"]), seconds(r["bulk_send_cpu"]), "", "", verdict(r["bulk_send"], GOALS["bulk_send"])),
        (f"scan round trip, median of {scans} (p95 {seconds(r['scan'][1])})", f"< {seconds(GOALS['scan'])}",
         seconds(r["scan"][0]), "", "", "", verdict(r["scan"][0], GOALS["scan"])),
        (f"{batch} shipping slips as one PDF", f"< {seconds(GOALS['batch'])}", seconds(r["batch"]),
         seconds(r["batch_cpu"]), seconds(r["naive_batch"]), f"{r['naive_batch'] / r['batch']:.1f}×",
         verdict(r["batch"], GOALS["batch"])),
        ("one shipping slip (median of 5)", f"< {seconds(GOALS['one'])}", seconds(r["one"]), "",
         seconds(r["naive_one"]), f"{r['naive_one'] / r['one']:.1f}×", verdict(r["one"], GOALS["one"])),
        (f"block check added to ORDER, medians of {max(scans, 200)}", f"< {seconds(GOALS['block_check'])}",
         f"{r['block_check'] * 1000:.2f} ms", "", "", "", verdict(r["block_check"], GOALS["block_check"])),
    ]
    header = ("measure", "goal", "portal", "(CPU)", "naive", "naive ÷ portal", "")
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
    click.echo("")
    for row in [header, tuple("-" * w for w in widths)] + rows:
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    click.echo(f"\nThe {batch}-slip batch is split over this process and {r['processes']} helper process(es)"
               f" (SLIP_PROCESSES; CPU above is this process's share); in this process alone it takes"
               f" {seconds(r['batch_alone'])}.")
    click.echo(f"WeasyPrint's floor here: {batch} pages of one short line each take {seconds(r['floor'])}.")
    click.echo(f"ORDER with the block check (2,000 block rows around the requester): median "
               f"{r['order_with'] * 1000:.2f} ms; without it: {r['order_without'] * 1000:.2f} ms; the check's "
               f"own time: {r['block_check_own'] * 1000:.2f} ms.")
    click.echo(f"First slip in a fresh process (CSS parse, font load): {seconds(r['first'])}. "
               f"PDF sizes: {r['batch_bytes'] / 1024:.0f} KiB for {batch} slips in one file, naive "
               f"{r['naive_bytes'] / 1024:.0f} KiB in {batch} files (merging not counted). "
               f"{os.cpu_count()} CPUs, load average {load:.2f}.")
