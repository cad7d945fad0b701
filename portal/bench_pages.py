"""`flask --app portal bench --pages`: the desk's pages on a national-size population.

Builds its own database (an SQLite file in a temporary folder, or the empty
database DATABASE_URL names) for each size asked (`--records 10000,1000000`):
1,000 libraries of Zipf-like size (library n makes and receives requests in
proportion to 1/n), 90% copy, 85% in a final status, 62% archived, histories of
3-11 entries with some former lenders, fee groups and local notes. The rows go in
with COPY on PostgreSQL and executemany on SQLite, the search postings are filled from
the stored terms in one statement, the secondary indexes (and the search index) are
built afterwards. The records the benchmark acts on are made
through the real services.

Then it measures, in-process through the WSGI app (the Flask test client, logged
in as the busiest library's user, every request its own app context), each
figure beside its goal: p50 / p95 over `--requests` requests and the SQL queries
per request. With two sizes it prints the p95 ratio of the largest to the smallest.
"""
from __future__ import annotations

import os
import random
import secrets
import shutil
import statistics
import tempfile
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import click
from sqlalchemy import event, exc, insert, select, text

# p95 goals in seconds at 1,000,000 records (issue "National scale"), and the 1M ÷ 10k ratio allowed.
PAGE_GOALS = {
    "worklist": (0.025, 1.5, "work list, full page (every tab count)"),
    "tab": (0.020, 1.5, "status tab (htmx)"),
    "record": (0.015, 1.5, "record page"),
    "lookup": (0.005, 1.5, "ILL ID lookup (search → record)"),
    "scan": (0.005, 1.5, "scan (bulk send)"),
    "search": (0.100, 2.0, "title search (看護, 相互貸借, Nursing, …)"),
    "command": (0.015, 1.5, "command through the API (RECEIVE)"),
    "trivial": (None, None, "trivial route (/healthz), for scale"),
}
SEARCH_WORDS = ["看護", "相互貸借", "Nursing", "図書館", "医学", "Journal", "情報", "Review"]

JA_WORDS = ["看護", "医学", "図書館", "情報", "研究", "紀要", "教育", "工学", "経済", "法学", "文学", "歴史", "心理",
            "社会", "農学", "薬学", "理学", "数学", "物理", "化学", "生物", "環境", "建築", "美術", "音楽", "哲学",
            "言語", "地理", "政治", "福祉", "保健", "栄養", "歯学", "獣医", "情報科学", "相互貸借", "大学", "学会"]
EN_WORDS = ["Nursing", "Medical", "Library", "Science", "Research", "Studies", "Review", "Education", "Engineering",
            "Economics", "Law", "History", "Psychology", "Social", "Chemistry", "Physics", "Biology", "Applied",
            "International", "Japanese", "Asian", "Clinical", "Health", "Information", "Management", "Culture"]
SURNAMES = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田", "Smith",
            "Tanaka", "Brown", "Suzuki"]
ACTIVE_COPY = ["PREPARING", "UNPROCESSED", "PROCESSING", "NEW_INQUIRY", "INQUIRY", "AWAITING_ANSWER", "SHIPPED",
               "ARRIVED", "CLAIM_PENDING", "CLAIM_ANSWERED"]
ACTIVE_LOAN = ACTIVE_COPY + ["ON_LOAN", "RENEWAL_REQUESTED", "RETURNED", "RETURN_PROCESSING", "RETURN_CLAIM"]
LIBRARIES = 1_000


def parse_sizes(value: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "").strip()) for part in str(value).split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter("a number of records, or several separated by commas (10000,1000000)") from None
    if not sizes or any(size < 100 or size > 5_000_000 for size in sizes):
        raise click.BadParameter("each size must be between 100 and 5,000,000 records")
    return sizes


def run_pages(base_url: str | None, sizes: list[int], requests: int, explain: bool, http: bool = False) -> None:
    """Each size in its own fresh database, then the table (and the ratio of the largest to the smallest)."""
    results = {}
    for size in sizes:
        folder = None
        url = base_url
        if not url:
            folder = tempfile.mkdtemp(prefix="ill-bench-pages-")
            url = "sqlite:///" + str(Path(folder) / "bench.sqlite")
        try:
            results[size] = run_size(url, size, requests, explain, http)
        finally:
            if folder:
                shutil.rmtree(folder, ignore_errors=True)
    print_pages_table(results, requests)
    if http:
        from .bench_http import print_http

        for size in sorted(results):
            print_http(size, results[size]["http"])


def run_size(url: str, size: int, requests: int, explain: bool, http: bool = False) -> dict:
    from . import create_app
    from .bench import ensure_empty
    from .extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_hex(32),
                      "WTF_CSRF_ENABLED": False})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":  # a previous size's tables go first
            db.drop_all()
        ensure_empty(db)
        db.create_all()
        click.echo(f"\n== {size:,} records on {db.engine.dialect.name} "
                   f"({db.engine.url.render_as_string(hide_password=True)})")
        with timed() as t:
            busiest = populate(db, size)
        click.echo(f"Population: {size:,} records, their histories, fees and notes in {t.seconds:.1f} s")
        with timed() as t:
            actors = measured_records(busiest, count=requests + 10)
        click.echo(f"Measured records: {requests + 10} requests to the busiest library made with the real "
                   f"services (create, ORDER) in {t.seconds:.1f} s")
        settle(db)
    figures = measure_pages(app, actors, requests, explain)
    with app.app_context():
        db.engine.dispose()
    if http:
        from .bench_http import measure_http

        with timed() as t:
            figures["http"] = measure_http(url, secrets.token_hex(32), actors, SEARCH_WORDS)
        click.echo(f"Over HTTP (gunicorn): measured in {t.seconds:.1f} s")
    return figures


def settle(db) -> None:
    """After the load, before measuring: statistics for the planner, and the load's writes out of the
    way. Without a checkpoint here, PostgreSQL writes the gigabytes the load dirtied during the
    measurement (spread over checkpoint_completion_target of five minutes); SQLite would fold its
    write-ahead log into the file at some request's commit."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
            try:
                connection.execute(text("CHECKPOINT"))
            except exc.ProgrammingError:  # a role that is neither superuser nor pg_checkpoint
                click.echo("(CHECKPOINT refused to this role: the load's writes may overlap the measurement)")
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


# -- the population ------------------------------------------------------------------------------

def zipf_weights(count: int) -> list[float]:
    return [1 / (n + 1) for n in range(count)]


def populate(db, size: int, seed: int = 12) -> int:
    """Libraries and `size` records with their rows, in bulk; returns the busiest library's id."""
    from .models import (Candidate, FeeGroupRow, FormerLender, HistoryEntry, Library, LocalNote, Record, RecordSearch,
                         SearchPosting)
    from .services import search_index, tallies

    rng = random.Random(seed)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    db.session.execute(insert(Library), [
        {"code": f"FA{n:06d}", "name": f"ベンチ大学附属図書館 {n} (Bench Univ. Library {n})",
         "address": f"〒100-{n % 10000:04d} 東京都千代田区 {n}-1-1", "loan_days": 14}
        for n in range(1, LIBRARIES + 1)])
    db.session.commit()
    library_ids = list(db.session.scalars(select(Library.id).order_by(Library.id)))
    weights = zipf_weights(len(library_ids))
    tables = [Record.__table__, Candidate.__table__, HistoryEntry.__table__, FeeGroupRow.__table__,
              LocalNote.__table__, RecordSearch.__table__, FormerLender.__table__, SearchPosting.__table__]
    dropped = drop_indexes(db, tables)
    with db.engine.begin() as connection:  # no trigger per loaded record: the tallies are counted once at the end
        tallies.drop_triggers(connection)
    loader = Loader(db, tables)
    history_id = candidate_id = fee_id = note_id = 0
    chunk = 20_000
    for start in range(0, size, chunk):
        records, candidates, history, fees, notes = [], [], [], [], []
        requesters = rng.choices(library_ids, weights, k=chunk)
        lenders = rng.choices(library_ids, weights, k=chunk)
        for n in range(start, min(size, start + chunk)):
            pk = n + 1
            requester, lender = requesters[n - start], lenders[n - start]
            while lender == requester:
                lender = rng.choices(library_ids, weights)[0]
            kind = "copy" if rng.random() < 0.9 else "loan"
            final = rng.random() < 0.85
            if final:
                status = "CANCELLED" if rng.random() < 0.06 else ("CONFIRMED" if kind == "copy" else "RETURN_CONFIRMED")
            else:
                status = rng.choice(ACTIVE_COPY if kind == "copy" else ACTIVE_LOAN)
            archived = final and rng.random() < 0.62 / 0.85
            age = rng.randrange(200, 1500) if archived else rng.randrange(0, 400)
            updated = now - timedelta(days=age, seconds=rng.randrange(86400))
            ordered = (updated - timedelta(days=rng.randrange(1, 30))).date()
            row_lender = None if status == "PREPARING" else lender
            title = make_title(rng)
            records.append({
                "id": pk, "kind": kind, "network": "NII", "status": status, "version": 3, "archived": archived,
                "created_at": updated - timedelta(days=20), "updated_at": updated,
                "settled_at": updated if final else None,
                "requester_id": requester, "lender_id": row_lender,
                "requester_number": f"R{pk:08d}" if rng.random() < 0.5 else "",
                "lender_number": f"A{pk:08d}" if row_lender and rng.random() < 0.3 else "",
                "client_name": f"{rng.choice(SURNAMES)} {rng.choice(SURNAMES)}", "client_type": "大学院生",
                "title": title, "article": make_article(rng) if kind == "copy" else "",
                "author": f"{rng.choice(SURNAMES)} {rng.choice(SURNAMES)}",
                "std_no": f"{rng.randrange(10000):04d}-{rng.randrange(10000):04d}" if rng.random() < 0.6 else "",
                "volume": f"{rng.randrange(1, 120)}({rng.randrange(1, 12)})", "pages": "145-160",
                "year": str(ordered.year), "ordered_on": ordered, "currency": "JPY",
                "due_on": ordered + timedelta(days=28) if kind == "loan" else None,
            })
            former = None
            if row_lender is not None and rng.random() < 0.15:
                former = rng.choices(library_ids, weights)[0]
                if former in (requester, row_lender):
                    former = None
            for position, library in enumerate([x for x in (former, row_lender) if x]):
                candidate_id += 1
                candidates.append({"id": candidate_id, "record_id": pk, "position": position,
                                   "library_id": library, "tried": True})
            entries = [("CREATE", "PREPARING", "PREPARING", "requester", requester)]
            if row_lender is not None:
                entries.append(("ORDER", "PREPARING", "UNPROCESSED", "requester", requester))
                if former:
                    entries.append(("PARDON", "UNPROCESSED", "UNPROCESSED", "lender", former))
                for _ in range(rng.randrange(1, 10)):
                    entries.append(("SAVE", status, status, rng.choice(("requester", "lender")),
                                    rng.choice((requester, row_lender))))
            for number, (command, before, after, side, library) in enumerate(entries[:11]):
                history_id += 1
                history.append({"id": history_id, "record_id": pk, "command": command, "from_status": before,
                                "to_status": after, "side": side, "library_id": library, "user_name": "bench",
                                "comment": "", "at": updated - timedelta(hours=len(entries) - number)})
            if kind == "copy" and final and status != "CANCELLED":
                fee_id += 1
                fees.append({"id": fee_id, "record_id": pk, "position": 0, "item": "A4",
                             "quantity": rng.randrange(1, 40), "unit_price": 30, "charge": 300})
            if rng.random() < 0.25:
                note_id += 1
                notes.append({"id": note_id, "record_id": pk, "library_id": requester,
                              "text": f"受付 {rng.randrange(1000)} {rng.choice(JA_WORDS)}"})
        loader.load(Record.__table__, records)
        loader.load(Candidate.__table__, candidates)
        loader.load(HistoryEntry.__table__, history)
        loader.load(FeeGroupRow.__table__, fees)
        loader.load(LocalNote.__table__, notes)
        index_rows = search_index.bulk_rows(records, history, notes)
        loader.load(RecordSearch.__table__, [
            {"record_id": row["record_id"], "terms": search_index.stored(loader.dialect, row["terms"])}
            for row in index_rows])
        loader.load(FormerLender.__table__, search_index.bulk_former_rows(records, index_rows))
    loader.finish()
    with db.engine.begin() as connection:  # the postings from the terms, in one statement (as the revision)
        search_index.fill_postings(connection)
    create_indexes(db, dropped)
    with db.engine.begin() as connection:
        tallies.create_triggers(connection)
        tallies.rebuild(connection)
    return library_ids[0]


def make_title(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return "".join(rng.sample(JA_WORDS, rng.randrange(2, 4))) + rng.choice(("誌", "研究", "紀要", "学会誌"))
    return f"Journal of {rng.choice(EN_WORDS)} {rng.choice(EN_WORDS)}"


def make_article(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return f"{rng.choice(JA_WORDS)}における{rng.choice(JA_WORDS)}の{rng.choice(('現状', '課題', '分析', '研究'))}"
    return f"{rng.choice(EN_WORDS)} {rng.choice(EN_WORDS).lower()} in {rng.choice(EN_WORDS).lower()}"


def _on_this_database(index, dialect_name: str) -> bool:
    condition = getattr(index, "_ddl_if", None)
    return condition is None or condition.dialect is None or condition.dialect == dialect_name


def drop_indexes(db, tables) -> list:
    """The secondary indexes of the bulk tables (and on SQLite the triggers that feed FTS5), dropped for
    the load; create_indexes builds them again."""
    from .models.search import FTS_DDL

    dropped = []
    name = db.engine.dialect.name
    with db.engine.begin() as connection:
        for table in tables:
            for index in list(table.indexes):
                if _on_this_database(index, name):
                    index.drop(connection, checkfirst=True)
                    dropped.append(index)
        if name == "sqlite":
            for statement in FTS_DDL[1:]:
                connection.exec_driver_sql("DROP TRIGGER IF EXISTS " + statement.split()[2])
    return dropped


def create_indexes(db, indexes) -> None:
    from .models.search import FTS_DDL

    with db.engine.begin() as connection:
        for index in indexes:
            index.create(connection, checkfirst=True)
        if db.engine.dialect.name == "sqlite":  # the FTS5 index in one pass, then its triggers again
            connection.exec_driver_sql("INSERT INTO record_search_fts(record_search_fts) VALUES ('rebuild')")
            for statement in FTS_DDL[1:]:
                connection.exec_driver_sql(statement)
    if db.engine.dialect.name == "postgresql":  # the id sequences go on after the loaded rows
        with db.engine.begin() as connection:
            for table in ("records", "candidates", "history_entries", "fee_groups", "local_notes"):
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT coalesce(max(id), 1) FROM {table}))"))


class Loader:
    """Rows into tables fast: COPY on PostgreSQL, executemany of one prepared INSERT on SQLite."""

    def __init__(self, db, tables):
        self.db = db
        self.connection = db.engine.raw_connection()
        self.dialect = db.engine.dialect.name
        self.postgresql = self.dialect == "postgresql"
        self.defaults = {table.name: column_defaults(table) for table in tables}

    def load(self, table, rows: list[dict]) -> None:
        if not rows:
            return
        defaults = self.defaults[table.name]
        names = [name for name in defaults if name in rows[0] or defaults[name] is not _REQUIRED]
        values = [[row.get(name, defaults[name]) for name in names] for row in rows]
        cursor = self.connection.cursor()
        if self.postgresql:
            with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in names)
            cursor.executemany(f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})",
                               [[_sqlite_value(v) for v in row] for row in values])
        cursor.close()

    def finish(self) -> None:
        self.connection.commit()
        self.connection.close()


_REQUIRED = object()


def column_defaults(table) -> dict:
    """Each column's value when a row does not give it: its scalar default, else NULL (or required)."""
    defaults = {}
    for column in table.columns:
        default = column.default
        if default is not None and getattr(default, "is_scalar", False):
            defaults[column.name] = default.arg
        elif default is not None and getattr(default, "is_callable", False):
            defaults[column.name] = default.arg(None)
        elif column.nullable and not column.primary_key:
            defaults[column.name] = None
        else:
            defaults[column.name] = _REQUIRED
    return defaults


def _sqlite_value(value):
    if isinstance(value, datetime):  # UTCDateTime stores naive UTC text
        return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def measured_records(library_id: int, count: int) -> dict:
    """Users of the busiest library and a partner; `count` requests ordered to the busiest library."""
    from .extensions import db
    from .models import Library
    from .services.admin import add_user, issue_token
    from .services.records import create_record

    busiest = db.session.get(Library, library_id)
    partner = db.session.scalar(select(Library).where(Library.id != library_id).order_by(Library.id).limit(1))
    lender = add_user("bench_pages_lender", busiest.code, "bench-password-1")
    requester = add_user("bench_pages_requester", partner.code, "bench-password-1")
    token = issue_token(lender, "bench")
    ids = []
    for n in range(count):
        record = create_record(requester, {
            "kind": "copy", "citation": {"title": f"看護研究 {n}", "article": "相互貸借の現状"},
            "client": {"name": f"利用者 {n}"}, "candidates": [{"library": busiest.code}]}, order_now=True)
        ids.append(record.ill_id)
    from .models import Record
    sample = [str(1_000_000_000 + pk) for pk in db.session.scalars(
        select(Record.id).where(Record.lender_id == library_id, Record.archived.is_(False)).limit(500))]
    return {"lender_id": lender.id, "token": token, "ordered": ids, "sample": sample or ids}


# -- measuring -----------------------------------------------------------------------------------

class QueryCounter:
    def __init__(self, engine):
        self.count = 0
        self.statements: list[tuple[float, str, object]] = []
        self.engine = engine
        event.listen(engine, "before_cursor_execute", self.before)
        event.listen(engine, "after_cursor_execute", self.after)

    def before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def after(self, conn, cursor, statement, parameters, context, executemany):
        self.count += 1
        self.statements.append((time.perf_counter() - conn.info.pop("bench_started", time.perf_counter()),
                                statement, parameters))

    def close(self):
        event.remove(self.engine, "before_cursor_execute", self.before)
        event.remove(self.engine, "after_cursor_execute", self.after)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(len(ordered) * share)) - 1))]


def measure_pages(app, actors: dict, requests: int, explain: bool) -> dict:
    from .extensions import db

    client = app.test_client()
    logged_in = client.post("/login", data={"username": "bench_pages_lender", "password": "bench-password-1"})
    assert logged_in.status_code == 302, logged_in.status_code
    api = {"Authorization": f"Bearer {actors['token']}"}
    htmx = {"HX-Request": "true"}
    sample, ordered = actors["sample"], list(actors["ordered"])

    def expect(response, *codes):
        assert response.status_code in codes, (response.status_code, response.get_data(as_text=True)[:300])

    cases = {
        "trivial": lambda n: expect(client.get("/healthz"), 200),
        "worklist": lambda n: expect(client.get("/?side=lender"), 200),
        "tab": lambda n: expect(client.get("/?side=lender&status=UNPROCESSED", headers=htmx), 200),
        "record": lambda n: expect(client.get(f"/records/{sample[n % len(sample)]}"), 200),
        "lookup": lambda n: expect(client.get(f"/search?q={sample[n % len(sample)]}"), 302),
        "scan": lambda n: expect(client.post("/bulk/send/scan", data={"ill_id": sample[n % len(sample)]},
                                             headers=htmx), 200),
        "search": lambda n: expect(client.get("/search", query_string={"q": SEARCH_WORDS[n % len(SEARCH_WORDS)]}),
                                   200),
        "command": lambda n: expect(client.post(f"/api/v1/records/{ordered.pop()}/commands/RECEIVE", json={},
                                                headers=api), 200),
    }
    with app.app_context():
        engine = db.engine
    figures = {}
    slowest: list[tuple[float, str, object]] = []
    for name, case in cases.items():
        count = requests if name != "command" else min(requests, len(ordered) - 5)
        for n in range(3 if name != "command" else 2):  # warm-up
            case(n)
        counter = QueryCounter(engine)
        times = []
        try:
            for n in range(count):
                with timed() as t:
                    case(n)
                times.append(t.seconds)
        finally:
            counter.close()
        figures[name] = {"p50": statistics.median(times), "p95": percentile(times, 0.95),
                         "queries": counter.count / count, "n": count}
        slowest.extend((seconds, name + ": " + statement, params) for seconds, statement, params in counter.statements)
    if explain:
        print_plans(app, slowest)
    return figures


def print_plans(app, statements) -> None:
    """The query plans of the five slowest distinct statements of the run."""
    from .extensions import db

    seen, chosen = set(), []
    for seconds, labelled, params in sorted(statements, key=lambda s: -s[0]):
        page, statement = labelled.split(": ", 1)
        if statement in seen or not statement.lstrip().upper().startswith("SELECT"):
            continue
        seen.add(statement)
        chosen.append((seconds, page, statement, params))
        if len(chosen) == 5:
            break
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            prefix = "EXPLAIN ANALYZE " if db.engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
            for seconds, page, statement, params in chosen:
                click.echo(f"\n-- {page}: {seconds * 1000:.1f} ms\n{statement}")
                cursor.execute(prefix + statement, params)
                for row in cursor.fetchall():
                    click.echo("   " + " ".join(str(cell) for cell in row))
        finally:
            raw.close()


@contextmanager
def timed():
    from .bench import timed as bench_timed

    with bench_timed() as timer:
        yield timer


def print_pages_table(results: dict, requests: int) -> None:
    sizes = sorted(results)
    small, large = sizes[0], sizes[-1]

    def ms(value: float) -> str:
        return f"{value * 1000:.1f}"

    header = ["measure (p95 goal at 1M)"]
    for size in sizes:
        header += [f"{size:,}: p50 ms", "p95 ms", "queries"]
    if len(sizes) > 1:
        header += [f"p95 {large // 1000:,}k ÷ {small // 1000:,}k (goal)"]
    header += ["verdict"]
    rows = []
    for name, (goal, ratio_goal, label) in PAGE_GOALS.items():
        row = [f"{label} (≤ {goal * 1000:.0f} ms)" if goal else label]
        for size in sizes:
            figure = results[size][name]
            row += [ms(figure["p50"]), ms(figure["p95"]), f"{figure['queries']:.1f}"]
        verdicts = []
        if goal:
            verdicts.append("ok" if results[large][name]["p95"] <= goal else "OVER")
        if len(sizes) > 1:
            ratio = results[large][name]["p95"] / max(results[small][name]["p95"], 1e-9)
            row.append(f"{ratio:.2f} (≤ {ratio_goal})" if ratio_goal else f"{ratio:.2f}")
            if ratio_goal:
                verdicts.append("ok" if ratio <= ratio_goal else "RATIO OVER")
        row.append(" ".join(verdicts))
        rows.append(row)
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    click.echo(f"\nIn-process through the WSGI app, {requests} requests each (the command: one per measured "
               f"record), as the busiest library's user; {os.cpu_count()} CPUs, load average "
               f"{os.getloadavg()[0]:.2f}.")
    for row in [header, ["-" * w for w in widths]] + rows:
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
