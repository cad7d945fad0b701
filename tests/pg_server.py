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


class PostgresServer:
    """A private PostgreSQL server that a test may also take down and bring back on the
    same port and data (the fault tests): `halt()` stops it (`immediate`: like a crash),
    `resume()` starts it again, `stop()` ends it for good and removes its files."""

    def __init__(self) -> None:
        bindir = _bin_dir()
        if bindir is None:
            raise RuntimeError("PostgreSQL binaries (initdb, pg_ctl, createdb) not found")
        self._tool = lambda name: os.path.join(bindir, name)  # noqa: E731
        self._as_postgres = os.geteuid() == 0
        self._tmp = tempfile.mkdtemp(prefix="portal-pg-", dir="/tmp")
        os.chmod(self._tmp, 0o700)
        if self._as_postgres:
            shutil.chown(self._tmp, "postgres", "postgres")
        self._data, self._log = os.path.join(self._tmp, "data"), os.path.join(self._tmp, "log")
        self._running = False
        self.port = 0
        try:
            initdb = [self._tool("initdb"), "-D", self._data, "-A", "trust", "-U", DB_USER, "--encoding", "UTF8"]
            proc = _run([*initdb, "--locale", "C.UTF-8"], self._as_postgres)
            if proc.returncode != 0:
                shutil.rmtree(self._data, ignore_errors=True)
                proc = _run([*initdb, "--no-locale"], self._as_postgres)
            _check(proc, "initdb")
            self.port = _free_port()
            self.resume()
            proc = _run([self._tool("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", DB_USER, DB_NAME],
                        self._as_postgres)
            _check(proc, "createdb", self._log)
        except BaseException:
            self.stop()
            raise
        self.url = f"postgresql+psycopg://{DB_USER}@127.0.0.1:{self.port}/{DB_NAME}"

    def resume(self) -> None:
        opts = (
            f"-p {self.port} -k {self._tmp} -h 127.0.0.1 -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off -c max_connections=100"
        )
        proc = _run([self._tool("pg_ctl"), "-D", self._data, "-o", opts, "-l", self._log, "-w", "start"],
                    self._as_postgres)
        self._running = True  # even on failure, try to stop whatever may have come up
        _check(proc, "pg_ctl start", self._log)

    def halt(self, mode: str = "immediate") -> None:
        proc = _run([self._tool("pg_ctl"), "-D", self._data, "-m", mode, "-w", "stop"], self._as_postgres)
        _check(proc, "pg_ctl stop", self._log)
        self._running = False

    def stop(self) -> None:
        if self._running:
            _run([self._tool("pg_ctl"), "-D", self._data, "-m", "immediate", "-w", "stop"], self._as_postgres)
            self._running = False
        shutil.rmtree(self._tmp, ignore_errors=True)


def start_postgres() -> tuple[str, Callable[[], None]]:
    """Start a private PostgreSQL server; return (SQLAlchemy URL, stop function)."""
    server = PostgresServer()
    return server.url, server.stop


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
