"""Shipping desk tests: bulk modes, scanning, PDF slips read back with poppler and zbar."""
from __future__ import annotations

import functools
import pytest
from werkzeug.security import generate_password_hash

@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """`world` makes seven users; scrypt would cost ~1 s per test and is not under test here."""
    monkeypatch.setattr("portal.models.user.generate_password_hash",
                        functools.partial(generate_password_hash, method="pbkdf2:sha256:1"))
