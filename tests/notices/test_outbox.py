"""Notices written by commands, in the command's transaction (the outbox)."""
from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import Notice, NoticeEvent
from portal.services.notices import outbox
from portal.workflow.errors import ValidationError
from notices_helpers import make_patron, notices, record_for, reload


def test_arrived_goes_by_email_and_sms_with_sender_and_opt_out(world):
    patron = make_patron(world)
    record = record_for(world, patron, "SHIPPED", kind="copy")
    assert notices(type="ARRIVED") == []
    world.run("R", record, "RECEIVE")
    email, sms = notices(type="ARRIVED")
    assert (email.channel, email.recipient, email.status) == ("email", "hanako@example.jp", "queued")
    assert "資料が到着しました" in email.subject and record.ill_id in email.subject
    assert "山田 花子 様" in email.body and "日本図書館情報学会誌" in email.body
    assert (sms.channel, sms.recipient, sms.status) == ("sms", "+819012345678", "queued")
    assert "Library R" in sms.body  # the sender's name
    assert f"https://ill.example.ac.jp/o/{sms.opt_out_token}" in sms.body and len(sms.opt_out_token) >= 22
    assert sms.segments >= 2 and sms.body == sms.body.strip()
    assert email.patron_id == patron.id and email.record_id == record.id and email.library_id == record.requester_id
    assert [e.status for e in email.events] == ["queued"]


def test_english_patron_gets_english(world):
    patron = make_patron(world, language="en", name="Ken Sato", mobile=None)
    record = record_for(world, patron, "SHIPPED", kind="copy")
    world.run("R", record, "RECEIVE")
    (email,) = notices(type="ARRIVED")
    assert email.subject.startswith("[Library R] Your interlibrary loan has arrived") and "Dear Ken Sato" in email.body


def test_no_consent_suppresses_the_sms_and_says_why(world):
    patron = make_patron(world, consent=False)
    record = record_for(world, patron, "SHIPPED", kind="copy")
    world.run("R", record, "RECEIVE")
    email, sms = notices(type="ARRIVED")
    assert email.status == "queued"
    assert sms.status == "suppressed" and sms.events[0].detail == "no SMS consent" and sms.body == ""


def test_patron_without_addresses_gets_a_letter(world):
    patron = make_patron(world, email=None, mobile=None)
    record = record_for(world, patron, "SHIPPED", kind="copy")
    world.run("R", record, "RECEIVE")
    (letter,) = notices(type="ARRIVED")
    assert (letter.channel, letter.recipient, letter.status) == ("print", "", "queued")


def test_record_without_patron_makes_no_patron_notice(world):
    record = record_for(world, None, "SHIPPED", kind="copy")
    world.run("R", record, "RECEIVE")
    assert notices(type="ARRIVED") == []


def test_a_refused_command_leaves_no_notice(world):
    patron = make_patron(world)
    record = record_for(world, patron, "PROCESSING", candidates=("L1",))
    with pytest.raises(ValidationError):
        world.run("L1", record, "PARDON")  # a comment is required: refused inside fire()
    assert reload(record).status == "PROCESSING" and notices(type="CANCELLED") == []
    world.run("L1", record, "PARDON", comment="所蔵なし")  # declined by all: the patron is told
    assert [(n.type, n.channel) for n in notices(type="CANCELLED")] == [("CANCELLED", "sms")]  # first available


def test_notices_roll_back_with_their_command(world, monkeypatch):
    """The notice is written by the command's transaction: if either fails, neither is kept."""
    patron = make_patron(world)
    record = record_for(world, patron, "SHIPPED", kind="copy")

    def broken(drafts, now=None):
        db.session.add(Notice(library_id=record.requester_id, type="ARRIVED", channel="email", recipient="x"))
        db.session.flush()
        raise RuntimeError("the outbox failed")

    monkeypatch.setattr(outbox, "write", broken)
    with pytest.raises(RuntimeError):
        world.run("R", record, "RECEIVE")
    assert reload(record).status == "SHIPPED" and notices(type="ARRIVED") == []


def test_cancel_and_private_fee_and_partner_request(world):
    world.libraries["L1"].email = "ill@l1.example.jp"
    db.session.commit()
    patron = make_patron(world, mobile=None)
    record = record_for(world, patron, "PREPARING", kind="copy", terms={"account_type": "私費"})
    world.run("R", record, "ORDER")
    (alert,) = notices(type="PARTNER_NEW_REQUEST")
    assert (alert.library_id, alert.recipient, alert.partner_id) == (world.libraries["L1"].id, "ill@l1.example.jp",
                                                                    world.libraries["R"].id)
    assert record.ill_id in alert.subject and "Library R" in alert.body
    world.run("L1", record, "RECEIVE")
    world.run("L1", record, "SEND", fees={"groups": [{"item": "A4", "quantity": 10, "unit_price": "35"}],
                                          "postage": "140"})
    (fee,) = notices(type="FEE_DUE")
    assert "490 JPY" in fee.subject and fee.library_id == world.libraries["R"].id


def test_partner_without_address_is_recorded_as_suppressed(world):
    record = record_for(world, None, "PREPARING", kind="copy")
    world.run("R", record, "ORDER")
    (alert,) = notices(type="PARTNER_NEW_REQUEST")
    assert alert.status == "suppressed" and "no contact e-mail" in alert.events[0].detail


def test_renewal_granted_and_refused(world):
    patron = make_patron(world)
    record = record_for(world, patron, "RENEWAL_REQUESTED")
    due = reload(record).due_on
    world.run("L1", record, "RECEIVE")
    world.run("L1", record, "CLAIM", comment="更新不可")
    (refused,) = notices(type="RENEWAL_REFUSED")  # first available: SMS (consent given)
    assert refused.channel == "sms" and refused.cycle == due.isoformat() and due.isoformat() in refused.body
    other = record_for(world, patron, "RENEWAL_REQUESTED")
    world.run("L1", other, "RECEIVE")
    new_due = due.replace(day=28)
    world.run("L1", other, "CLAIM", comment="更新可", due_date=new_due.isoformat())
    (changed,) = notices(type="DUE_DATE_CHANGED")
    assert changed.cycle == new_due.isoformat() and new_due.isoformat() in changed.body


def test_the_same_notice_is_not_written_twice(world):
    """CALLBACK then RECEIVE again: the ARRIVED notice of the record exists already."""
    patron = make_patron(world, mobile=None)
    record = record_for(world, patron, "SHIPPED", kind="copy")
    world.run("R", record, "RECEIVE")
    world.run("R", record, "CALLBACK")
    world.run("R", record, "RECEIVE")
    (arrived,) = notices(type="ARRIVED")
    assert db.session.query(NoticeEvent).filter_by(notice_id=arrived.id).count() == 1


def test_a_withdrawn_consent_is_read_with_the_patron_in_the_command(world):
    """The command loads the patron with all its consent rows at once: the latest decides."""
    from portal.models.patron import PatronConsent

    patron = make_patron(world)  # consent given ...
    db.session.add(PatronConsent(patron_id=patron.id, channel="sms", action="withdrawn", method="counter",
                                 wording="", recorded_by_id=world.users["R"].id))  # ... then withdrawn
    db.session.commit()
    db.session.expire_all()
    world.run("R", record_for(world, patron, "SHIPPED", kind="copy"), "RECEIVE")
    channels = {(n.channel, n.status) for n in notices(type="ARRIVED")}
    assert ("email", "queued") in channels and ("sms", "queued") not in channels
