"""Staff-page tests: log in through the real form, with the CSRF token read
from the page, exactly as a browser would (CSRF protection stays on)."""
from __future__ import annotations

import functools

import pytest
from werkzeug.security import generate_password_hash

from web_helpers import Desk


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """werkzeug's default scrypt costs ~0.13 s per user; these tests are not about it."""
    monkeypatch.setattr("portal.models.user.generate_password_hash",
                        functools.partial(generate_password_hash, method="pbkdf2:sha256:1"))


@pytest.fixture
def desk(client):
    return Desk(client)


@pytest.fixture
def other_desk(app):
    """A second browser: another library's staff at the same time."""
    return Desk(app.test_client())
