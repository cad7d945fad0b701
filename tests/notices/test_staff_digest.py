"""STAFF_DIGEST: the optional daily digest to a library's contact address: new requests waiting,
items waiting for pickup, loans overdue both ways; off by default, one per library and day, and
it reaches the real SMTP server."""
from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "blocks"))

from blocks_helpers import loan_on_loan, today  # noqa: E402
from notices_helpers import notices  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.services.notices import daily_step  # noqa: E402
from portal.services.notices.preferences import save_setting  # noqa: E402
from portal.services.notices.worker import Worker  # noqa: E402


def contact(world, code, email):
    world.libraries[code].email = email
    db.session.commit()


def test_off_by_default(world):
    contact(world, "L1", "ill@l1.example.jp")
    world.record("UNPROCESSED", candidates=("L1",))
    daily_step(today())
    assert notices(type="STAFF_DIGEST") == []


def test_the_digest_lists_what_waits_and_what_is_overdue_once_a_day(world, smtp_app, smtp_server):
    contact(world, "L1", "ill@l1.example.jp")
    save_setting(world.users["L1"], "STAFF_DIGEST", {"channels": ["email"]})
    waiting = world.record("UNPROCESSED", candidates=("L1",))
    overdue = loan_on_loan(world, requester="R", lender="L1", due_days_ago=5)  # L1's loan, overdue at R
    world.record("UNPROCESSED", candidates=("L2",))  # another lender's: not in L1's digest
    daily_step(today())
    daily_step(today())  # safe twice
    [digest] = notices(type="STAFF_DIGEST")
    assert digest.recipient == "ill@l1.example.jp" and digest.cycle == today().isoformat()
    assert digest.library_id == world.libraries["L1"].id and digest.patron_id is None
    Worker.from_config().run(once=True)
    [message] = [r.message for r in smtp_server.wait_for(1)]
    assert message["Subject"].strip() == f"【ILL】Library L1 本日の状況（{today().isoformat()}）"
    body = message.get_content()
    assert "■ 新しい依頼（受付待ち）: 1 件" in body and waiting.ill_id in body
    assert "■ 貸出中で返却期限切れ（相手館）: 1 件" in body and overdue.ill_id in body
    assert f"（期限 {(today() - timedelta(days=5)).isoformat()}）" in body
    assert "到着済み" not in body  # an empty section is left out
    daily_step(today() + timedelta(days=1))  # the next day: a digest of its own
    assert len(notices(type="STAFF_DIGEST")) == 2


def test_in_english_outside_nii_and_nothing_when_nothing_waits(world):
    contact(world, "O2", "ill@o2.example.org")
    save_setting(world.users["O2"], "STAFF_DIGEST", {"channels": ["email"]})
    daily_step(today())
    assert notices(type="STAFF_DIGEST") == []  # nothing to report: no mail
    record = world.record("UNPROCESSED", requester="O1", candidates=("O2",))
    daily_step(today())
    [digest] = notices(type="STAFF_DIGEST")
    assert digest.subject == f"[ILL] Library O2: today's digest ({today().isoformat()})"
    assert "* New requests waiting for you: 1" in digest.body and f"{record.ill_id} O1" in digest.body


def test_a_library_without_a_contact_address_gets_a_suppressed_digest(world):
    save_setting(world.users["L1"], "STAFF_DIGEST", {"channels": ["email"]})
    world.libraries["L1"].email = ""
    db.session.commit()
    world.record("UNPROCESSED", candidates=("L1",))
    daily_step(today())
    [digest] = notices(type="STAFF_DIGEST")
    assert digest.status == "suppressed" and "no contact e-mail address" in digest.events[0].detail
