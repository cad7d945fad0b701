"""Channel backends against real local servers: SMTP (aiosmtpd) and an HTTP SMS provider."""
from __future__ import annotations

import io
import json
import re
from email.header import decode_header, make_header

import pytest

from portal import create_app
from portal.config import TestConfig
from portal.services.notices.channels import (ConsoleSmsBackend, Email, FileSmsBackend, HttpSmsBackend,
                                              MailmanSender, Sms)


def make_app(tmp_path, **config):
    base = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    return create_app({**base, "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "x.sqlite"), **config})


@pytest.fixture
def smtp_app(tmp_path, smtp_server):
    app = make_app(tmp_path, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_TIMEOUT=5,
                   MAIL_DEFAULT_SENDER="ill@lib.example.ac.jp")
    with app.app_context():
        yield app


def raw_header(message, name) -> str:
    return str(message.message[name]) if hasattr(message, "message") else message[name]


def test_email_reaches_smtp_with_japanese_headers_encoded(smtp_app, smtp_server):
    sender = MailmanSender()
    outcome = sender.send(Email(to="hanako@example.jp", subject="資料が到着しました（ILL 1000000001）",
                                body="山田 花子 様\n\nご依頼の資料が到着しました。", sender_name="北海道大学附属図書館",
                                reply_to="ill@hokudai.example.jp", reference="42"))
    sender.close()
    assert outcome.ok and ".notice42@lib.example.ac.jp>" in outcome.provider_id
    (received,) = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["hanako@example.jp"]
    assert received.mail_from == "ill@lib.example.ac.jp"
    head = received.raw.split(b"\r\n\r\n", 1)[0].decode("ascii")  # headers on the wire are 7-bit ASCII
    fields = dict(line.split(": ", 1) for line in re.sub(r"\r\n[ \t]+", " ", head).split("\r\n") if ": " in line)
    assert "=?utf-8?" in fields["Subject"].lower() and "=?utf-8?" in fields["From"].lower()
    assert str(make_header(decode_header(fields["Subject"]))) == "資料が到着しました（ILL 1000000001）"
    message = received.message
    assert message["Subject"].strip() == "資料が到着しました（ILL 1000000001）"
    assert message["From"].addresses[0].display_name == "北海道大学附属図書館"
    assert message["From"].addresses[0].addr_spec == "ill@lib.example.ac.jp"
    assert message["Reply-To"] == "ill@hokudai.example.jp"
    assert message["X-ILL-Notice"] == "42"
    assert message.get_content().replace("\r\n", "\n").strip() == "山田 花子 様\n\nご依頼の資料が到着しました。"


@pytest.mark.parametrize("reply, result", [
    ("451 4.3.0 Mailbox temporarily unavailable", "temporary"),
    ("550 5.1.1 No such user here", "permanent"),
])
def test_smtp_refusals_are_classified(smtp_app, smtp_server, reply, result):
    smtp_server.rcpt_replies.append(reply)
    sender = MailmanSender()
    outcome = sender.send(Email(to="nobody@example.jp", subject="s", body="b", sender_name="L"))
    assert outcome.result == result
    assert reply.split()[0] in outcome.detail and reply.split()[-1] in outcome.detail
    # the next message goes through on the same (or a fresh) connection
    assert sender.send(Email(to="ok@example.jp", subject="s", body="b", sender_name="L")).ok
    sender.close()
    assert [r.rcpt_tos for r in smtp_server.wait_for(1)] == [["ok@example.jp"]]


def test_smtp_down_is_temporary(tmp_path):
    from servers import free_port

    app = make_app(tmp_path, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2)
    with app.app_context():
        outcome = MailmanSender().send(Email(to="a@example.jp", subject="s", body="b", sender_name="L"))
        report = MailmanSender().test_connection()
    assert outcome.result == "temporary" and "ConnectionRefused" in outcome.detail
    assert not report.ok and "ConnectionRefusedError" in report.detail


def test_invalid_address_is_permanent(smtp_app):
    outcome = MailmanSender().send(Email(to="not an address\n@x", subject="s", body="b", sender_name="L"))
    assert outcome.result == "permanent" and "invalid address" in outcome.detail


def test_smtp_test_connection(smtp_app, smtp_server):
    report = MailmanSender().test_connection()
    assert report.ok and f"127.0.0.1:{smtp_server.port}" in report.detail and "EHLO 250" in report.detail


def test_without_mail_server_mail_goes_to_files(tmp_path):
    app = make_app(tmp_path, MAIL_BACKEND=None, MAIL_FILE_PATH=None)
    assert app.config["MAIL_BACKEND"] == "file" and app.config["MAIL_FILE_PATH"].endswith("/mail")
    app = make_app(tmp_path, MAIL_BACKEND="file", MAIL_FILE_PATH=str(tmp_path / "mail"))
    with app.app_context():
        sender = MailmanSender()
        assert sender.send(Email(to="a@example.jp", subject="件名", body="本文", sender_name="図書館")).ok
        sender.close()
        path = app.config["MAIL_FILE_PATH"]
        assert MailmanSender().test_connection().ok
    files = list(__import__("pathlib").Path(path).glob("*.log"))
    assert len(files) == 1 and b"a@example.jp" in files[0].read_bytes()


# -- SMS ----------------------------------------------------------------------------

def test_http_sms_request_and_accepted(sms_provider):
    backend = HttpSmsBackend(sms_provider.url, sms_provider.token, "HokudaiLib", timeout=2)
    outcome = backend.send(Sms(to="+819012345678", text="資料が届きました", reference="17"))
    backend.close()
    assert outcome.ok and outcome.provider_id == "msg-1"
    (request,) = sms_provider.requests
    assert request.headers["Authorization"] == f"Bearer {sms_provider.token}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.body == {"to": "+819012345678", "from": "HokudaiLib", "text": "資料が届きました", "reference": "17"}


@pytest.mark.parametrize("reply, result, words", [
    ((429, {"error": "slow down"}), "temporary", ["429", "slow down"]),
    ((503, "busy"), "temporary", ["503", "busy"]),
    ((400, {"reason": "invalid number"}), "permanent", ["400", "invalid number"]),
    ((403, {"error": "number blocked"}), "permanent", ["403", "number blocked"]),
    (("sleep", 1.5), "temporary", ["time-out"]),
])
def test_http_sms_failures(sms_provider, reply, result, words):
    sms_provider.replies.append(reply)
    backend = HttpSmsBackend(sms_provider.url, sms_provider.token, "L", timeout=0.5)
    outcome = backend.send(Sms(to="+819012345678", text="x", reference="1"))
    backend.close()
    assert outcome.result == result
    assert all(word in outcome.detail for word in words), outcome.detail


def test_http_sms_bad_token_is_permanent_and_test_connection_says_so(sms_provider):
    backend = HttpSmsBackend(sms_provider.url, "wrong", "L", timeout=2)
    outcome = backend.send(Sms(to="+819012345678", text="x", reference="1"))
    assert outcome.result == "permanent" and "401" in outcome.detail
    report = backend.test_connection()
    assert not report.ok and "token was refused (HTTP 401" in report.detail
    good = HttpSmsBackend(sms_provider.url, sms_provider.token, "L", timeout=2).test_connection()
    assert good.ok and "HTTP 405" in good.detail


def test_http_sms_unreachable(tmp_path):
    from servers import free_port

    backend = HttpSmsBackend(f"http://127.0.0.1:{free_port()}/sms", "t", "L", timeout=1)
    assert backend.send(Sms(to="+81", text="x", reference="1")).result == "temporary"
    report = backend.test_connection()
    assert not report.ok and "ConnectError" in report.detail


def test_file_sms_batch(tmp_path):
    backend = FileSmsBackend(str(tmp_path / "out"), "L")
    assert backend.send(Sms(to="+819000000001", text="一通目", reference="1")).ok
    assert list((tmp_path / "out").glob("*.jsonl")) == []  # still being written
    assert backend.send(Sms(to="+819000000002", text="二通目", reference="2")).provider_id.endswith("#2")
    backend.close()
    (batch,) = (tmp_path / "out").glob("*.jsonl")
    lines = [json.loads(line) for line in batch.read_text(encoding="utf-8").splitlines()]
    assert [line["text"] for line in lines] == ["一通目", "二通目"] and lines[0]["from"] == "L"
    assert backend.test_connection().ok
    assert not FileSmsBackend("/proc/forbidden/dir", "L").test_connection().ok


def test_console_sms():
    stream = io.StringIO()
    assert ConsoleSmsBackend("L", stream).send(Sms(to="+819000000001", text="こんにちは", reference="5")).ok
    assert "+819000000001" in stream.getvalue() and "こんにちは" in stream.getvalue()
