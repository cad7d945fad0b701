"""The worker against real servers: SMTP (aiosmtpd) and the HTTP SMS provider."""
from __future__ import annotations

import subprocess
from datetime import timedelta

from portal.extensions import db
from portal.models import Notice
from portal.models.types import utcnow
from portal.services.notices.manage import record_receipt
from portal.services.notices.worker import Worker
from notices_helpers import make_patron, notices, record_for


def statuses(notice) -> list[str]:
    return [e.status for e in notice.events]


def test_email_reaches_the_smtp_server_in_the_patrons_language(world, smtp_app, smtp_server):
    patron = make_patron(world, mobile=None)
    english = make_patron(world, number="P002", name="Ken Sato", email="ken@example.jp", mobile=None, language="en")
    for who in (patron, english):
        world.run("R", record_for(world, who, "SHIPPED", kind="copy"), "RECEIVE")
    lines = []
    assert Worker.from_config(on_line=lines.append).run(once=True) == 2
    received = {r.rcpt_tos[0]: r.message for r in smtp_server.wait_for(2)}
    ja, en = received["hanako@example.jp"], received["ken@example.jp"]
    assert ja["Subject"].strip().startswith("【Library R】ILL資料が到着しました")
    assert "山田 花子 様" in ja.get_content() and "日本図書館情報学会誌" in ja.get_content()
    assert en["Subject"].strip().startswith("[Library R] Your interlibrary loan has arrived")
    assert "Dear Ken Sato" in en.get_content()
    assert ja["From"].addresses[0].display_name == "Library R"
    for notice in notices(type="ARRIVED"):
        assert notice.status == "sent" and notice.sent_at is not None and notice.provider_id
        assert statuses(notice) == ["queued", "sending", "sent"]
        assert notice.events[-1].provider_answer == "250"
    assert len(lines) == 2 and all(": sent" in line for line in lines)
    assert "hanako@example.jp" not in " ".join(lines)  # the log line masks the address


def test_smtp_temporary_failure_is_retried_and_permanent_fails(world, smtp_app, smtp_server):
    patron = make_patron(world, mobile=None)
    other = make_patron(world, number="P002", email="gone@example.jp", mobile=None)
    world.run("R", record_for(world, patron, "SHIPPED", kind="copy"), "RECEIVE")
    world.run("R", record_for(world, other, "SHIPPED", kind="copy"), "RECEIVE")
    smtp_server.rcpt_replies.extend(["451 4.7.1 Greylisted, try again", "550 5.1.1 No such user"])
    worker = Worker.from_config()
    now = utcnow()
    assert worker.run_batch(now) == 2
    first, second = notices(type="ARRIVED")
    assert first.status == "queued" and first.attempts == 1 and "451" in first.last_error
    assert first.next_attempt_at >= now + timedelta(seconds=59)
    assert "next try in 60 s" in first.events[-1].detail
    assert second.status == "failed" and "550 5.1.1 No such user" in second.last_error
    assert worker.run_batch(now + timedelta(seconds=30)) == 0  # not due yet
    assert worker.run_batch(now + timedelta(seconds=61)) == 1
    worker.close()
    first = notices(type="ARRIVED")[0]
    assert first.status == "sent" and statuses(first) == ["queued", "sending", "queued", "sending", "sent"]
    assert [r.rcpt_tos for r in smtp_server.received] == [["hanako@example.jp"]]


def test_sms_through_the_provider_with_token_and_receipt(world, sms_app, sms_provider, client):
    patron = make_patron(world, email=None)
    world.run("R", record_for(world, patron, "SHIPPED", kind="copy"), "RECEIVE")
    (sms,) = notices(type="ARRIVED", channel="sms")
    assert Worker.from_config().run(once=True) == 1
    (request,) = sms_provider.requests
    assert request.headers["Authorization"] == "Bearer provider-token-123"
    assert request.body["to"] == "+819012345678" and request.body["from"] == "ILL-R"
    assert request.body["reference"] == str(sms.id) and request.body["text"] == sms.body
    assert "配信停止: https://ill.example.ac.jp/o/" in request.body["text"]
    sms = notices(type="ARRIVED", channel="sms")[0]
    assert sms.status == "sent" and sms.provider_id == "msg-1" and "201" in sms.events[-1].provider_answer
    answer = client.post("/api/v1/notices/receipts", json={"id": "msg-1", "status": "delivered"},
                         headers={"Authorization": "Bearer provider-token-123"})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "delivered"
    assert notices(id=sms.id)[0].status == "delivered"
    refused = client.post("/api/v1/notices/receipts", json={"id": "msg-1", "status": "delivered"},
                          headers={"Authorization": "Bearer wrong"})
    assert refused.status_code == 401


def test_sms_temporary_failures_until_the_limit_then_failed(world, sms_app, sms_provider):
    patron = make_patron(world, email=None)
    world.run("R", record_for(world, patron, "SHIPPED", kind="copy"), "RECEIVE")
    sms_provider.replies.extend([(429, {"error": "rate limited"}), (500, "oops"), ("sleep", 1.6)])
    worker = Worker.from_config(max_attempts=3)
    now = utcnow()
    for minutes in (0, 2, 5):
        assert worker.run_batch(now + timedelta(minutes=minutes)) == 1
    worker.close()
    (sms,) = notices(type="ARRIVED", channel="sms")
    assert sms.status == "failed" and sms.attempts == 3
    assert "gave up after 3 attempts" in sms.last_error and "time-out" in sms.last_error
    details = [e.detail for e in sms.events if e.status == "queued"][1:]
    assert "429" in details[0] and "500" in details[1]
    assert len(sms_provider.requests) == 3


def test_sms_permanent_failure_fails_at_once_with_the_reason(world, sms_app, sms_provider):
    patron = make_patron(world, email=None)
    world.run("R", record_for(world, patron, "SHIPPED", kind="copy"), "RECEIVE")
    sms_provider.replies.append((400, {"reason": "number not in service"}))
    assert Worker.from_config().run(once=True) == 1
    (sms,) = notices(type="ARRIVED", channel="sms")
    assert sms.status == "failed" and sms.attempts == 1 and "HTTP 400: number not in service" in sms.last_error
    assert sms.events[-1].provider_answer.startswith("400")


def test_no_longer_true_is_suppressed_not_sent(world, sms_app, sms_provider):
    """The ARRIVED notice of a record called back before the worker ran."""
    patron = make_patron(world, email=None)
    record = record_for(world, patron, "SHIPPED", kind="copy")
    world.run("R", record, "RECEIVE")
    world.run("R", record, "CALLBACK")
    assert Worker.from_config().run(once=True) == 1
    (sms,) = notices(type="ARRIVED")
    assert sms.status == "suppressed" and "no longer waiting for pickup" in sms.events[-1].detail
    assert sms_provider.requests == []


def test_a_withdrawn_consent_stops_an_sms_already_claimed(world, sms_app, sms_provider):
    from portal.services.patrons import opt_out

    patron = make_patron(world, email=None)
    world.run("R", record_for(world, patron, "SHIPPED", kind="copy"), "RECEIVE")
    worker = Worker.from_config()
    worker.claim(utcnow())  # the worker holds it (sending) when the patron opts out
    opt_out(patron, "sms", "counter", world.users["R"])
    db.session.execute(db.update(Notice).values(claimed_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert worker.run_batch() == 1
    worker.close()
    (sms,) = notices(type="ARRIVED")
    assert sms.status == "suppressed" and "consent" in sms.events[-1].detail and sms_provider.requests == []


def test_an_expired_lease_is_taken_again(world):
    patron = make_patron(world, mobile=None)
    world.run("R", record_for(world, patron, "SHIPPED", kind="copy"), "RECEIVE")
    dead = Worker.from_config(lease=30)
    assert len(dead.claim(utcnow())) == 1  # then the process dies: nothing else happens
    alive = Worker.from_config()
    assert alive.run_batch(utcnow()) == 0  # the lease still holds
    assert alive.run_batch(utcnow() + timedelta(seconds=31)) == 1
    alive.close()
    (notice,) = notices(type="ARRIVED")
    assert notice.status == "sent" and notice.attempts == 2
    assert [e.status for e in notice.events] == ["queued", "sending", "queued", "sending", "sent"]
    assert "lease expired" in notice.events[2].detail


def test_letters_for_patrons_without_addresses(world, tmp_path):
    patron = make_patron(world, email=None, mobile=None, name="郵送 太郎")
    world.run("R", record_for(world, patron, "SHIPPED", kind="copy"), "RECEIVE")
    assert Worker.from_config().run(once=True) == 1
    (letter,) = notices(type="ARRIVED")
    assert letter.status == "sent" and letter.provider_id.startswith("letters/letters-")
    from flask import current_app
    from pathlib import Path

    path = Path(current_app.instance_path) / "letters" / "R" / letter.provider_id.split("/")[1]
    try:
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
        assert "郵送 太郎 様" in text and "資料が到着しました" in text and "P001" in text
    finally:
        path.unlink()
