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


@pytest.fixture
def smtp_app(app, smtp_server):
    """The app sending e-mail to the real local SMTP server."""
    from portal.extensions import mail

    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_TIMEOUT=5,
                      MAIL_DEFAULT_SENDER="ill@portal.example.ac.jp")
    mail.init_app(app)
    return app


@pytest.fixture
def sms_app(app, sms_provider):
    """The app sending SMS to the real local HTTP provider."""
    app.config.update(SMS_BACKEND="http", SMS_HTTP_URL=sms_provider.url, SMS_HTTP_TOKEN=sms_provider.token,
                      SMS_HTTP_TIMEOUT=1, SMS_SENDER="ILL-R")
    return app
