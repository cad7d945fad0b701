from __future__ import annotations

import pytest

from servers import SmsProvider, SmtpServer


@pytest.fixture
def smtp_server():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def sms_provider():
    provider = SmsProvider().start()
    yield provider
    provider.stop()
