"""API tests: fast password hashing so that each `world` costs milliseconds.

werkzeug's default scrypt takes ~0.13 s per user and `world` makes seven, and
each library gets ~20 default comment templates; neither is what these tests
are about.
"""
import functools

import pytest
from werkzeug.security import generate_password_hash


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    monkeypatch.setattr("portal.models.user.generate_password_hash",
                        functools.partial(generate_password_hash, method="pbkdf2:sha256:1"))


@pytest.fixture(autouse=True)
def no_default_comment_templates(monkeypatch):
    monkeypatch.setattr("portal.services.admin.DEFAULT_TEMPLATES", {})
