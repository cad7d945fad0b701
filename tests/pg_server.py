"""Throwaway PostgreSQL server for tests.

    url, stop = start_postgres()   # postgresql+psycopg://portal@127.0.0.1:PORT/portal_test
    ...
    stop()

Binaries come from the newest /usr/lib/postgresql/*/bin (falling back to PATH).
initdb refuses to run as root, so as root everything runs as the `postgres` OS user.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
from typing import Callable

DB_USER = "portal"
DB_NAME = "portal_test"
_TOOLS = ("initdb", "pg_ctl", "createdb")


def _bin_dir() -> str | None:
    """Directory holding initdb/pg_ctl/createdb: newest Debian version first, then PATH."""

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", path.split("/")[-2]))

    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        if all(os.access(os.path.join(d, t), os.X_OK) for t in _TOOLS):
            return d
    found = [shutil.which(t) for t in _TOOLS]
    if all(found) and len({os.path.dirname(p) for p in found}) == 1:
        return os.path.dirname(found[0])
    return None


def postgres_available() -> bool:
    return _bin_dir() is not None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(cmd: list[str], as_postgres: bool) -> subprocess.CompletedProcess:
    if as_postgres:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, cwd="/tmp")


def _check(proc: subprocess.CompletedProcess, what: str, log: str | None = None) -> None:
    if proc.returncode != 0:
        detail = proc.stdout + proc.stderr
        if log and os.path.exists(log):
            with open(log, errors="replace") as f:
                detail += "\n--- server log ---\n" + f.read()[-4000:]
        raise RuntimeError(f"{what} failed (exit {proc.returncode}):\n{detail}")


def start_postgres() -> tuple[str, Callable[[], None]]:
    """Start a private PostgreSQL server; return (SQLAlchemy URL, stop function)."""
    bindir = _bin_dir()
    if bindir is None:
        raise RuntimeError("PostgreSQL binaries (initdb, pg_ctl, createdb) not found")
    tool = lambda name: os.path.join(bindir, name)  # noqa: E731
    as_postgres = os.geteuid() == 0

    tmp = tempfile.mkdtemp(prefix="portal-pg-", dir="/tmp")
    os.chmod(tmp, 0o700)
    if as_postgres:
        shutil.chown(tmp, "postgres", "postgres")
    data, log = os.path.join(tmp, "data"), os.path.join(tmp, "log")
    started = False

    def stop() -> None:
        if started:
            _run([tool("pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"], as_postgres)
        shutil.rmtree(tmp, ignore_errors=True)

    try:
        initdb = [tool("initdb"), "-D", data, "-A", "trust", "-U", DB_USER, "--encoding", "UTF8"]
        proc = _run([*initdb, "--locale", "C.UTF-8"], as_postgres)
        if proc.returncode != 0:
            shutil.rmtree(data, ignore_errors=True)
            proc = _run([*initdb, "--no-locale"], as_postgres)
        _check(proc, "initdb")

        port = _free_port()
        opts = (
            f"-p {port} -k {tmp} -h 127.0.0.1 -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off -c max_connections=100"
        )
        proc = _run([tool("pg_ctl"), "-D", data, "-o", opts, "-l", log, "-w", "start"], as_postgres)
        started = True  # even on failure, try to stop whatever may have come up
        _check(proc, "pg_ctl start", log)

        proc = _run(
            [tool("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", DB_USER, DB_NAME],
            as_postgres,
        )
        _check(proc, "createdb", log)
    except BaseException:
        stop()
        raise
    return f"postgresql+psycopg://{DB_USER}@127.0.0.1:{port}/{DB_NAME}", stop


if __name__ == "__main__":
    import psycopg

    url, stop = start_postgres()
    try:
        print(url)
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            print(conn.execute("select version()").fetchone()[0])
    finally:
        stop()
        print("stopped")
