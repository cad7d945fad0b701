"""Fixtures: a real database (SQLite file and a throwaway PostgreSQL), the app,
the Flask test client and CLI runner, and factories for libraries, users and
records brought to any status by real commands.

Every test that uses `app` runs on SQLite and on PostgreSQL, except those
marked `sqlite_only` (browser tests). With CI=true a missing PostgreSQL fails
the run instead of skipping.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine

sys.path.insert(0, str(Path(__file__).parent))

from pg_server import postgres_available, start_postgres  # noqa: E402

from portal import create_app  # noqa: E402
from portal.config import TestConfig  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.services.admin import add_library, add_user, issue_token  # noqa: E402
from portal.services.demo import PATHS  # noqa: E402
from portal.services.records import create_record, perform_command  # noqa: E402

PASSWORD = "secret-pass-1"


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: run on SQLite only")


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        sqlite_only = metafunc.definition.get_closest_marker("sqlite_only") or metafunc.definition.get_closest_marker("browser")
        metafunc.parametrize("backend", ["sqlite"] if sqlite_only else ["sqlite", "postgresql"], scope="session")


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory):
    """One database per backend for the whole session; the schema is made once."""
    urls = {"sqlite": "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")}
    stop = None
    if postgres_available():
        urls["postgresql"], stop = start_postgres()
    elif os.environ.get("CI") == "true":
        pytest.fail("PostgreSQL is required when CI=true (run scripts/setup.sh)")
    created = set()
    yield urls, created
    if stop:
        stop()


@pytest.fixture
def app(backend, database_urls):
    urls, created = database_urls
    if backend not in urls:
        pytest.skip("PostgreSQL server binaries are not installed")
    app = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": urls[backend]})
    with app.app_context():
        if backend not in created:
            db.drop_all()
            db.create_all()
            created.add(backend)
    yield app
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def ctx(app):
    """An application context, for calling services directly."""
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class World:
    """Libraries and one staff user each: requester R, lenders L1, L2, L3, a
    third library X, and an OCLC pair O1 -> O2."""

    def __init__(self):
        self.libraries = {}
        self.users = {}
        for code, options in {
            "R": {}, "L1": {"loan_days": 14}, "L2": {}, "L3": {}, "X": {},
            "O1": {"network": "OCLC"}, "O2": {"network": "OCLC", "currency": "USD"},
        }.items():
            self.libraries[code] = add_library(code, name=f"Library {code}", address=f"Address of {code}", **options)
            self.users[code] = add_user(f"user_{code.lower()}", code, PASSWORD, "manager")

    def user(self, code):
        return self.users[code]

    def token(self, code) -> str:
        return issue_token(self.users[code])

    def record(self, status: str = "PREPARING", kind: str = "copy", requester: str = "R",
               candidates=("L1", "L2"), **data):
        """A record brought to `status` by the same commands staff would run."""
        payload = {"kind": kind, "citation": {"title": "日本図書館情報学会誌", "article": "ILLの研究"},
                   "candidates": [{"library": c} for c in candidates], **data}
        record = create_record(self.users[requester], payload)
        for side, command, extra in PATHS[status]:
            code = self.code_of(record.requester_id if side == "requester" else record.lender_id)
            record = perform_command(self.users[code], record.ill_id, command, dict(extra))
        assert record.status == status
        return record

    def code_of(self, library_id: int) -> str:
        return next(code for code, lib in self.libraries.items() if lib.id == library_id)

    def run(self, code: str, record, command: str, **data):
        return perform_command(self.users[code], record.ill_id, command, data)


@pytest.fixture
def world(ctx):
    return World()
