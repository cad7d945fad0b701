"""SEND_REPORT (seed 003, 送信結果のメール通知): a manual notice's outcome e-mailed to up to five
staff addresses, written with the outcome by the worker; off by default, never for workflow
notices, never twice, and the addresses checked on save."""
from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "web"))

from web_helpers import Desk  # noqa: E402

from notices_helpers import make_patron, notices, record_for  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import NoticeSetting  # noqa: E402
from portal.models.patron import PatronConsent  # noqa: E402
from portal.models.types import utcnow  # noqa: E402
from portal.services.notices.manage import create_manual_notice  # noqa: E402
from portal.services.notices.preferences import parse_recipients, save_setting, type_setting  # noqa: E402
from portal.services.notices.worker import Worker  # noqa: E402
from portal.services.records import perform_command  # noqa: E402
from portal.workflow.errors import ValidationError  # noqa: E402

STAFF = "ill-desk@r.example.jp; head@r.example.jp"


def report_on(world, code="R", recipients=STAFF):
    save_setting(world.users[code], "SEND_REPORT", {"channels": ["email"], "recipients": recipients})


def manual(world, patron, channel="sms", **extra):
    return create_manual_notice(world.users["R"], {"patron": patron.number, "channel": channel,
                                                    "subject": "図書館からのお知らせ", "body": "本日は休館です。", **extra})


def test_off_by_default_no_report(world, sms_app, sms_provider):
    patron = make_patron(world)
    manual(world, patron)
    Worker.from_config().run(once=True)
    assert [n.status for n in notices(type="MANUAL")] == ["sent"]
    assert notices(type="SEND_REPORT") == []


def test_a_sent_sms_is_reported_to_each_staff_address_by_smtp(world, sms_app, sms_provider, smtp_app, smtp_server):
    patron = make_patron(world)
    report_on(world)
    notice = manual(world, patron)
    Worker.from_config().run(once=True)  # the SMS, its reports written with its outcome, then the reports
    reports = notices(type="SEND_REPORT")
    assert sorted(r.recipient for r in reports) == ["head@r.example.jp", "ill-desk@r.example.jp"]
    assert {r.cycle for r in reports} == {f"notice:{notice.id}"} and {r.status for r in reports} == {"sent"}
    [outcome] = [e for e in notices(id=notice.id)[0].events if e.status == "sent"]
    assert all(r.created_at == outcome.at for r in reports)  # written in the outcome's transaction
    received = smtp_server.wait_for(2)
    assert sorted(r.rcpt_tos[0] for r in received) == ["head@r.example.jp", "ill-desk@r.example.jp"]
    message = received[0].message
    assert message["Subject"].strip() == "【ILL】送信結果: 送信済み（SMS +81901234****）"
    body = message.get_content()
    assert f"通知番号: {notice.id}" in body and "利用者: P001 山田 花子" in body
    assert "件名: 図書館からのお知らせ" in body and "/notices?patron=P001" in body
    assert "+819012345678" not in body  # the number is masked in a mail to staff
    Worker.from_config().run(once=True)
    assert len(notices(type="SEND_REPORT")) == 2  # a report is not itself reported


def test_a_permanent_failure_is_reported_with_its_reason(world, sms_app, sms_provider):
    patron = make_patron(world)
    report_on(world, recipients="desk@r.example.jp")
    sms_provider.replies.append((400, {"error": "number not reachable"}))
    notice = manual(world, patron)
    Worker.from_config().run(once=True)
    assert notices(id=notice.id)[0].status == "failed"
    [report] = notices(type="SEND_REPORT")
    assert report.subject.startswith("【ILL】送信結果: 送信失敗")
    assert "number not reachable" in report.body


def test_a_temporary_failure_is_not_reported_until_the_outcome(world, sms_app, sms_provider):
    patron = make_patron(world)
    report_on(world, recipients="desk@r.example.jp")
    sms_provider.replies.append((503, {"error": "busy"}))
    notice = manual(world, patron)
    Worker.from_config().run(once=True)
    assert notices(id=notice.id)[0].status == "queued" and notices(type="SEND_REPORT") == []
    Worker.from_config().run(once=True, now=lambda: utcnow() + timedelta(hours=1))
    assert notices(id=notice.id)[0].status == "sent"
    assert [r.recipient for r in notices(type="SEND_REPORT")] == ["desk@r.example.jp"]


def test_withdrawn_consent_is_reported_as_not_sent(world, sms_app, sms_provider):
    patron = make_patron(world)
    report_on(world, recipients="desk@r.example.jp")
    notice = manual(world, patron)
    db.session.add(PatronConsent(patron_id=patron.id, channel="sms", action="withdrawn", method="phone",
                                 wording="", recorded_by_id=world.users["R"].id))
    db.session.commit()
    Worker.from_config().run(once=True)
    assert notices(id=notice.id)[0].status == "suppressed" and sms_provider.requests == []
    [report] = notices(type="SEND_REPORT")
    assert "送信せず" in report.subject and "consent" in report.body


def test_workflow_notices_are_not_reported(world, smtp_app, smtp_server):
    patron = make_patron(world, mobile=None)
    report_on(world, recipients="desk@r.example.jp")
    perform_command(world.users["R"], record_for(world, patron, "SHIPPED").ill_id, "RECEIVE", {})
    Worker.from_config().run(once=True)
    assert [n.status for n in notices(type="ARRIVED")] == ["sent"]
    assert notices(type="SEND_REPORT") == []


def test_no_addresses_means_the_contact_address_and_english_outside_nii(world, smtp_app, smtp_server):
    world.libraries["O1"].email = "ill@o1.example.org"
    db.session.commit()
    patron = make_patron(world, code="O1", number="E01", name="Ann Lee", email="ann@example.org", mobile=None,
                         language="en", consent=False)
    save_setting(world.users["O1"], "SEND_REPORT", {"channels": ["email"], "recipients": ""})
    notice = create_manual_notice(world.users["O1"], {"patron": "E01", "channel": "email", "subject": "Closed",
                                                      "body": "The library is closed today."})
    Worker.from_config().run(once=True)
    [report] = notices(type="SEND_REPORT")
    assert report.recipient == "ill@o1.example.org" and report.library_id == world.libraries["O1"].id
    assert report.subject == "[ILL] Send report: sent (e-mail an…@example.org)"
    assert f"Notice: {notice.id}" in report.body and "Patron: E01 Ann Lee" in report.body


def test_a_scheduled_notice_is_reported_when_it_goes_out(world, smtp_app, smtp_server):
    patron = make_patron(world, mobile=None)
    report_on(world, recipients="desk@r.example.jp")
    at = (utcnow() + timedelta(days=2)).astimezone().strftime("%Y-%m-%dT%H:%M")
    notice = manual(world, patron, channel="email", send_at=at)
    assert notice.status == "scheduled"
    Worker.from_config().run(once=True)
    assert notices(type="SEND_REPORT") == []  # booked, not yet sent
    Worker.from_config().run(once=True, now=lambda: utcnow() + timedelta(days=3))
    assert notices(id=notice.id)[0].status == "sent"
    assert len(notices(type="SEND_REPORT")) == 1


@pytest.mark.parametrize("text, expected", [
    ("", []),
    ("a@x.jp", ["a@x.jp"]),
    (" a@x.jp ; b@x.jp;; ", ["a@x.jp", "b@x.jp"]),
    ("a@x.jp；b@x.jp", ["a@x.jp", "b@x.jp"]),  # a full-width semicolon from a Japanese keyboard
    ("a@x.jp; a@x.jp", ["a@x.jp"]),
    ("1@x.jp;2@x.jp;3@x.jp;4@x.jp;5@x.jp", ["1@x.jp", "2@x.jp", "3@x.jp", "4@x.jp", "5@x.jp"]),
])
def test_recipients_parse(text, expected):
    assert parse_recipients(text) == expected


@pytest.mark.parametrize("text", ["1@x.jp;2@x.jp;3@x.jp;4@x.jp;5@x.jp;6@x.jp", "desk@r.example.jp, head@r.example.jp",
                                  "not an address", "a@x.jp; <script>@x"])
def test_bad_recipients_are_refused_and_nothing_is_saved(world, text):
    with pytest.raises(ValidationError) as error:
        save_setting(world.users["R"], "SEND_REPORT", {"channels": ["email"], "recipients": text})
    assert "recipients" in error.value.fields
    assert db.session.query(NoticeSetting).filter_by(type="SEND_REPORT").count() == 0


def test_the_settings_page_saves_addresses_and_keeps_bad_input(world, client):
    desk = Desk(client).as_user("R")
    page = desk.get("/settings/notices")
    assert page.status_code == 200 and 'id="f-recipients-SEND_REPORT"' in page.text
    bad = desk.post("/settings/notices/types/SEND_REPORT",
                    data={"channels": "email", "recipients": "desk@r.example.jp; <b>oops</b>"})
    assert bad.status_code == 422
    assert "&lt;b&gt;oops&lt;/b&gt;" in bad.text and "<b>oops</b>" not in bad.text  # kept, escaped
    assert "e-mail address" in bad.text or "メールアドレス" in bad.text
    good = desk.post("/settings/notices/types/SEND_REPORT", data={"channels": "email", "recipients": STAFF})
    assert good.status_code == 302
    setting = type_setting(world.libraries["R"].id, "SEND_REPORT")
    assert setting.recipients == ("ill-desk@r.example.jp", "head@r.example.jp") and "email" in setting.channels
    assert "ill-desk@r.example.jp; head@r.example.jp" in desk.get("/settings/notices").text
    assert type_setting(world.libraries["L1"].id, "SEND_REPORT").recipients == ()  # per library
