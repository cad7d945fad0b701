"""`flask --app portal bench --pages --http`: the same pages over HTTP, under gunicorn on loopback.

After the in-process figures of a size, the benchmark starts gunicorn with 2 workers (sync,
as the README's production command runs it) on a free loopback port against the same
database, logs in through the log-in form (its CSRF token, the session cookie) and:

- requests per second of the record page, the work list and the trivial route (/healthz),
  each a fixed number of requests in a few rounds that take turns (trivial, record, work list,
  trivial, ...: a drift in the machine's speed touches all three alike), spread over a few
  client connections (threads, keep-alive where the server keeps the connection; gunicorn's
  sync workers close it after each answer, so each request is a new loopback connection, as
  behind a proxy that does not pool), and each page's rate as a share of the trivial route's
  (goal >= 25%);
- 10,000 mixed requests (work list, status tab, record page, ILL ID lookup, search, scan),
  then each worker's resident memory (VmRSS of /proc/<pid>/status; goal < 150 MB).

Everything is bounded: a page's run stops at its request count, the mixed run at its count
or its time limit, whichever comes first (the output says which).
"""
from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import click

RATE_GOAL = 0.25  # a page's requests per second / the trivial route's
RSS_GOAL_MB = 150
WORKERS = 2
CONNECTIONS = 4
PAGE_REQUESTS = 600
ROUNDS = 3  # the pages' requests in this many interleaved rounds
MIXED_REQUESTS = 10_000
MIXED_SECONDS = 600
USER, PASSWORD = "bench_pages_lender", "bench-password-1"


# -- pure helpers (tests/scale/test_bench_http.py) ------------------------------------------------

def parse_set_cookies(headers: list[tuple[str, str]]) -> dict[str, str]:
    """name -> value of each Set-Cookie header (attributes dropped; an expired cookie's empty value kept)."""
    cookies = {}
    for name, value in headers:
        if name.lower() == "set-cookie" and "=" in value:
            pair = value.split(";", 1)[0]
            key, _, val = pair.partition("=")
            cookies[key.strip()] = val.strip()
    return cookies


def csrf_token_of(html: str) -> str | None:
    """The CSRF token of a page: the log-in form's hidden field or the pages' meta tag."""
    for pattern in (r'name="csrf_token"[^>]*value="([^"]+)"', r'value="([^"]+)"[^>]*name="csrf_token"',
                    r'<meta name="csrf-token" content="([^"]+)"'):
        found = re.search(pattern, html)
        if found:
            return found.group(1)
    return None


def vm_rss_mb(status_text: str) -> float | None:
    """VmRSS of a /proc/<pid>/status text, in MB (MiB), or None."""
    found = re.search(r"^VmRSS:\s+(\d+)\s+kB", status_text, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else None


def rate_rows(rates: dict[str, float], labels: dict[str, str], goal: float = RATE_GOAL) -> list[list[str]]:
    """The rows of the requests-per-second table: each page's rate, its share of the trivial route's
    and the verdict beside the goal (the trivial route itself: for scale)."""
    trivial = rates.get("trivial") or 0.0
    rows = []
    for name, rate in rates.items():
        if name == "trivial":
            rows.append([labels.get(name, name), f"{rate:.1f}", "1.00", "", "for scale"])
            continue
        share = rate / trivial if trivial else 0.0
        rows.append([labels.get(name, name), f"{rate:.1f}", f"{share:.2f}", f"≥ {goal:.2f}",
                     "ok" if share >= goal else "UNDER"])
    return rows


def rss_rows(rss: dict[int, tuple[float | None, float | None]], goal_mb: float = RSS_GOAL_MB) -> list[list[str]]:
    """The rows of the memory table: each worker's RSS before and after the mixed requests."""
    rows = []
    for pid, (before, after) in sorted(rss.items()):
        verdict = "?" if after is None else ("ok" if after < goal_mb else "OVER")
        rows.append([f"worker {pid}", "?" if before is None else f"{before:.1f}",
                     "?" if after is None else f"{after:.1f}", f"< {goal_mb}", verdict])
    return rows


def format_table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
    return ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip()
            for row in [header, ["-" * w for w in widths], *rows]]


# -- the server -----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker_pids(master: int) -> list[int]:
    """The processes whose parent is gunicorn's master: its workers."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            pids.append(int(entry))
    return sorted(pids)


def rss_of(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            return vm_rss_mb(status.read())
    except OSError:
        return None


class Gunicorn:
    """gunicorn -w 2 on a free loopback port, the app built from DATABASE_URL as in production."""

    def __init__(self, database_url: str, secret_key: str, workers: int = WORKERS):
        self.port = free_port()
        env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": secret_key, "SLIP_PROCESSES": "0"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{self.port}",
             "--log-level", "warning", "portal:create_app()"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise click.ClickException("gunicorn did not start: " + (self.process.stderr.read() or "")[-2000:])
            if len(worker_pids(self.process.pid)) >= workers and self._answers():
                return
            time.sleep(0.2)
        self.stop()
        raise click.ClickException("gunicorn did not answer on /healthz within 60 s")

    def _answers(self) -> bool:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            connection.request("GET", "/healthz")
            ok = connection.getresponse().status == 200
            connection.close()
            return ok
        except OSError:
            return False

    def workers(self) -> list[int]:
        return worker_pids(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# -- the client -----------------------------------------------------------------------------------

@dataclass
class Session:
    """A logged-in browser: its cookies and CSRF token, shared by the client connections."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""

    def headers(self, extra: dict | None = None) -> dict:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items() if v)
        return {"Cookie": cookie, **(extra or {})}

    def login(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.request("GET", "/login")
        response = connection.getresponse()
        page = response.read().decode("utf-8", "replace")
        self.cookies.update(parse_set_cookies(response.getheaders()))
        token = csrf_token_of(page)
        if not token:
            raise click.ClickException("the log-in page has no CSRF token")
        body = urlencode({"username": USER, "password": PASSWORD, "csrf_token": token})
        connection.request("POST", "/login", body=body, headers=self.headers(
            {"Content-Type": "application/x-www-form-urlencoded"}))
        response = connection.getresponse()
        response.read()
        if response.status != 302:
            raise click.ClickException(f"log-in through the form answered {response.status}")
        self.cookies.update(parse_set_cookies(response.getheaders()))
        connection.request("GET", "/", headers=self.headers())
        response = connection.getresponse()
        page = response.read().decode("utf-8", "replace")
        self.cookies.update(parse_set_cookies(response.getheaders()))
        self.csrf = csrf_token_of(page) or ""
        connection.close()
        if response.status != 200 or not self.csrf:
            raise click.ClickException(f"the work list after log-in answered {response.status}")


def run_requests(session: Session, make_request, count: int, connections: int = CONNECTIONS,
                 seconds: float | None = None) -> tuple[int, float, dict[int, int]]:
    """`count` requests (make_request(n) -> (method, path, body, headers, expected statuses)) over
    `connections` client connections; returns (done, elapsed seconds, answers per status)."""
    lock = threading.Lock()
    state = {"next": 0}
    statuses: dict[int, int] = {}
    unexpected: list[str] = []
    deadline = time.monotonic() + seconds if seconds else None

    def work():
        connection = http.client.HTTPConnection("127.0.0.1", session.port, timeout=60)
        while True:
            with lock:
                n = state["next"]
                if n >= count or unexpected or (deadline and time.monotonic() > deadline):
                    break
                state["next"] = n + 1
            method, path, body, headers, expected = make_request(n)
            try:
                connection.request(method, path, body=body, headers=session.headers(headers))
                response = connection.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()  # sync workers: the next request opens a new connection
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                status = 0
                with lock:
                    unexpected.append(f"{method} {path}: {error!r}")
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status and status not in expected:
                    unexpected.append(f"{method} {path}: {status}")
        connection.close()

    threads = [threading.Thread(target=work) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if unexpected:
        raise click.ClickException("unexpected answers over HTTP: " + "; ".join(unexpected[:5]))
    return min(state["next"], count), elapsed, statuses


def measure_http(database_url: str, secret_key: str, actors: dict, search_words: list[str],
                 page_requests: int = PAGE_REQUESTS, mixed_requests: int = MIXED_REQUESTS,
                 mixed_seconds: float = MIXED_SECONDS) -> dict:
    """The rates of the pages and the workers' memory after the mixed requests (see the module)."""
    sample = actors["sample"]
    htmx = {"HX-Request": "true"}
    server = Gunicorn(database_url, secret_key)
    try:
        session = Session(server.port)
        session.login()
        form = {"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": session.csrf, **htmx}

        def get(path, headers=None, expected=(200,)):
            return "GET", path, None, headers or {}, expected

        pages = {
            "trivial": lambda n: get("/healthz"),
            "record": lambda n: get(f"/records/{sample[n % len(sample)]}"),
            "worklist": lambda n: get("/?side=lender"),
        }
        mixed = [
            lambda n: get("/?side=lender"),
            lambda n: get("/?side=lender&status=UNPROCESSED", htmx),
            lambda n: get(f"/records/{sample[n % len(sample)]}"),
            lambda n: get(f"/search?q={sample[n % len(sample)]}", expected=(302,)),
            lambda n: get("/search?" + urlencode({"q": search_words[n % len(search_words)]})),
            lambda n: ("POST", "/bulk/send/scan", urlencode({"ill_id": sample[n % len(sample)],
                                                             "csrf_token": session.csrf}), form, (200,)),
        ]
        for make in pages.values():
            run_requests(session, make, 20)  # warm-up: both workers' first requests
        # the pages take turns, a share of their requests per round: a machine whose speed drifts (a
        # shared VM) slows them all alike, where one run each gave whichever ran last the slow minutes
        done_of, seconds_of = dict.fromkeys(pages, 0), dict.fromkeys(pages, 0.0)
        for _ in range(ROUNDS):
            for name, make in pages.items():
                done, elapsed, _ = run_requests(session, make, page_requests // ROUNDS)
                done_of[name] += done
                seconds_of[name] += elapsed
        rates = {name: done_of[name] / seconds_of[name] for name in pages}
        workers = server.workers()
        before = {pid: rss_of(pid) for pid in workers}
        done, elapsed, statuses = run_requests(session, lambda n: mixed[n % len(mixed)](n // len(mixed)),
                                               mixed_requests, seconds=mixed_seconds)
        after = {pid: rss_of(pid) for pid in server.workers()}
        return {"rates": rates, "rss": {pid: (before.get(pid), after.get(pid)) for pid in sorted(set(before) | set(after))},
                "mixed": {"done": done, "asked": mixed_requests, "seconds": elapsed, "statuses": statuses},
                "page_requests": page_requests, "workers": len(workers)}
    finally:
        server.stop()


HTTP_LABELS = {"trivial": "trivial route (/healthz)", "record": "record page", "worklist": "work list, full page"}


def print_http(size: int, figures: dict) -> None:
    click.echo(f"\nOver HTTP, {size:,} records: gunicorn {figures['workers']} sync workers on loopback, "
               f"{CONNECTIONS} client connections, {figures['page_requests']} requests per page in {ROUNDS} rounds; "
               f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}.")
    rows = rate_rows(figures["rates"], HTTP_LABELS)
    for line in format_table(["page", "requests/s", "÷ trivial", "goal", "verdict"], rows):
        click.echo(line)
    mixed = figures["mixed"]
    stopped = "" if mixed["done"] >= mixed["asked"] else f" (stopped at the {MIXED_SECONDS} s limit)"
    click.echo(f"\n{mixed['done']:,} of {mixed['asked']:,} mixed requests (work list, tab, record, lookup, search, "
               f"scan) in {mixed['seconds']:.1f} s{stopped}; answers {dict(sorted(mixed['statuses'].items()))}.")
    for line in format_table(["process", "RSS MB before", "after", "goal", "verdict"], rss_rows(figures["rss"])):
        click.echo(line)
