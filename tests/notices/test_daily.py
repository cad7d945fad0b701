"""The daily job: time-based notices, idempotent per date; a renewal opens a new cycle."""
from __future__ import annotations

from datetime import timedelta

from portal.extensions import db
from portal.services.daily import run_daily
from portal.services.notices.preferences import save_setting
from portal.services.notices.worker import Worker
from notices_helpers import make_patron, notices, record_for, reload


def overdue(**where):
    return [(n.cycle, n.channel, n.status) for n in notices(type="OVERDUE", **where)]


def test_overdue_levels_twice_a_day_no_duplicates(world):
    patron = make_patron(world)
    record = reload(record_for(world, patron, "ON_LOAN"))
    due = record.due_on
    assert all(step.ok for step in run_daily(due)) and overdue() == []
    run_daily(due + timedelta(days=1))
    run_daily(due + timedelta(days=1))  # the same date again
    run_daily(due + timedelta(days=2))  # the 1st notice is not repeated on later days
    cycle = f"{due.isoformat()}/1"
    assert overdue() == [(cycle, "email", "queued"), (cycle, "sms", "queued")]  # mandatory: policy all
    first = notices(type="OVERDUE")[0]
    assert "第1回" in first.subject and "1日" in first.body
    run_daily(due + timedelta(days=8))
    run_daily(due + timedelta(days=8))
    assert [c for c, _, _ in overdue()].count(f"{due.isoformat()}/2") == 2
    results = run_daily(due + timedelta(days=30))  # a job that missed days sends the 3rd, once
    notices_step = next(step for step in results if step.name == "notices")  # the blocks step runs beside it
    assert notices_step.ok and "OVERDUE 2" in notices_step.summary
    assert [c for c, _, _ in overdue()] == [cycle, cycle, f"{due}/2", f"{due}/2", f"{due}/3", f"{due}/3"]


def test_due_soon_and_pickup_reminder(world):
    patron = make_patron(world, mobile=None)
    loan = reload(record_for(world, patron, "ON_LOAN"))
    run_daily(loan.due_on - timedelta(days=4))
    assert notices(type="DUE_SOON") == []
    run_daily(loan.due_on - timedelta(days=3))
    run_daily(loan.due_on - timedelta(days=2))
    (soon,) = notices(type="DUE_SOON")
    assert soon.cycle == loan.due_on.isoformat() and loan.due_on.isoformat() in soon.subject
    copy = reload(record_for(world, patron, "ARRIVED", kind="copy"))
    run_daily(copy.received_on + timedelta(days=6))
    assert notices(type="PICKUP_REMINDER") == []
    run_daily(copy.received_on + timedelta(days=7))
    run_daily(copy.received_on + timedelta(days=9))
    assert len(notices(type="PICKUP_REMINDER")) == 1


def test_a_renewal_opens_a_new_overdue_cycle(world):
    patron = make_patron(world, mobile=None)
    record = reload(record_for(world, patron, "ON_LOAN"))
    due = record.due_on
    run_daily(due + timedelta(days=1))
    assert overdue() == [(f"{due}/1", "email", "queued")]
    world.run("R", record, "RENEW", comment="延長希望")
    world.run("L1", record, "RECEIVE")
    new_due = due + timedelta(days=14)
    world.run("L1", record, "CLAIM", comment="更新可", due_date=new_due.isoformat())
    world.run("R", record, "RECEIVE")
    assert reload(record).status == "ON_LOAN" and reload(record).due_on == new_due
    run_daily(new_due + timedelta(days=1))
    assert overdue() == [(f"{due}/1", "email", "queued"), (f"{new_due}/1", "email", "queued")]
    # the old cycle's notice is no longer true: the worker suppresses it
    Worker.from_config().run(once=True)
    assert overdue() == [(f"{due}/1", "email", "suppressed"), (f"{new_due}/1", "email", "sent")]


def test_overdue_for_a_loan_returned_meanwhile_is_suppressed(world):
    patron = make_patron(world, mobile=None)
    record = reload(record_for(world, patron, "ON_LOAN"))
    run_daily(record.due_on + timedelta(days=1))
    world.run("R", record, "SENDBACK")
    assert Worker.from_config().run(once=True) == 2  # with the ARRIVED notice of the loan
    (notice,) = notices(type="OVERDUE")
    assert notice.status == "suppressed" and "RETURNED, no longer on loan" in notice.events[-1].detail


def test_partner_overdue_to_the_borrowing_library(world):
    world.libraries["R"].email = "ill@r.example.jp"
    db.session.commit()
    record = reload(record_for(world, None, "ON_LOAN"))
    run_daily(record.due_on + timedelta(days=6))
    assert notices(type="PARTNER_OVERDUE") == []
    run_daily(record.due_on + timedelta(days=7))
    run_daily(record.due_on + timedelta(days=7))
    (alert,) = notices(type="PARTNER_OVERDUE")
    assert (alert.library_id, alert.recipient) == (world.libraries["L1"].id, "ill@r.example.jp")
    assert "7日" in alert.body and record.ill_id in alert.subject


def test_library_settings_change_days_and_channels(world):
    save_setting(world.users["R"], "OVERDUE", {"channels": ["email"], "policy": "first", "days": "3, 10"})
    patron = make_patron(world)
    record = reload(record_for(world, patron, "ON_LOAN"))
    run_daily(record.due_on + timedelta(days=2))
    assert overdue() == []
    run_daily(record.due_on + timedelta(days=3))
    assert overdue() == [(f"{record.due_on}/1", "email", "queued")]


def test_daily_command_twice(world, runner):
    patron = make_patron(world, mobile=None)
    record = reload(record_for(world, patron, "ON_LOAN"))
    day = (record.due_on + timedelta(days=1)).isoformat()
    first = runner.invoke(args=["daily", "--date", day])
    assert first.exit_code == 0, first.output
    assert f"{day} notices: ok: notices: 1 written (OVERDUE 1)" in first.output
    second = runner.invoke(args=["daily", "--date", day])
    assert second.exit_code == 0 and "notices: 0 written" in second.output
    assert len(notices(type="OVERDUE")) == 1
    bad = runner.invoke(args=["daily", "--date", "2026-13-01"])
    assert bad.exit_code != 0 and "--date must be a date" in bad.output


def test_the_daily_job_reads_each_types_settings_once_however_many_notices(world):
    """A library's settings for a type are read in one query per type, not once per notice
    (dict.setdefault had evaluated the query for every candidate)."""
    from sqlalchemy import event

    patrons = [make_patron(world, number=f"P{n:03d}", email=f"p{n}@example.jp", mobile=None) for n in range(6)]
    records = [reload(record_for(world, patron, "ON_LOAN")) for patron in patrons]
    due = max(r.due_on for r in records)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        run_daily(due + timedelta(days=1))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(notices(type="OVERDUE")) == 6
    settings_reads = [s for s in statements if "FROM notice_settings" in s]
    assert len(settings_reads) <= 8, settings_reads  # a few per type and the digest, not one per record
