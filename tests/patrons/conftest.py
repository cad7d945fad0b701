"""Patron tests: services, pages, CLI, API and CSV import; the page tests use
the staff `Desk` of tests/web (real log-in form, CSRF on)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "web"))

from web_helpers import Desk  # noqa: E402


@pytest.fixture
def desk(client):
    return Desk(client)
