"""Staff-page tests: log in through the real form, with the CSRF token read
from the page, exactly as a browser would (CSRF protection stays on)."""
from __future__ import annotations

import pytest

from web_helpers import Desk


@pytest.fixture
def desk(client):
    return Desk(client)


@pytest.fixture
def other_desk(app):
    """A second browser: another library's staff at the same time."""
    return Desk(app.test_client())
