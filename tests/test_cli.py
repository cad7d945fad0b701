"""The Flask CLI of shared/spec/api.md: libraries, users, tokens, demo, archive."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import HistoryEntry, Library, Record, User
from portal.services.archive import copy_to_new_request
from portal.services.search import SearchFilters, search_records
from portal.workflow.errors import CommandNotAllowed
from portal.workflow.statuses import Status




def invoke(runner, *args):
    result = runner.invoke(args=list(args))
    return result


def assert_one_line_error(result):
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error:")
    assert "Traceback" not in result.output


def library(code: str) -> Library | None:
    db.session.expire_all()
    return db.session.scalar(select(Library).where(Library.code == code))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# -- libraries ----------------------------------------------------------------

def test_libraries_add_and_set(runner, ctx):
    result = invoke(runner, "libraries", "add", "FA009999", "--name", "東京大学附属図書館", "--loan-days", "21",
                    "--network", "NII", "--no-loan-service", "--address", "東京都文京区本郷7-3-1",
                    "--email", "ill@example.ac.jp")
    assert result.exit_code == 0, result.output
    added = library("FA009999")
    assert (added.name, added.loan_days, added.network, added.service, added.copy_service, added.loan_service,
            added.address, added.email) == ("東京大学附属図書館", 21, "NII", True, True, False,
                                            "東京都文京区本郷7-3-1", "ill@example.ac.jp")
    assert added.templates  # seeded with the default comment templates

    result = invoke(runner, "libraries", "set", "FA009999", "--loan-days", "30", "--loan-service", "--no-service")
    assert result.exit_code == 0, result.output
    changed = library("FA009999")
    assert (changed.loan_days, changed.loan_service, changed.service, changed.name) == (
        30, True, False, "東京大学附属図書館")

    result = invoke(runner, "libraries", "add", "OCLC9", "--name", "OCLC partner", "--network", "OCLC")
    assert result.exit_code == 0 and library("OCLC9").network == "OCLC" and library("OCLC9").name == "OCLC partner"


@pytest.mark.parametrize("args", [
    ("libraries", "set", "NOPE", "--loan-days", "3"),
    ("libraries", "add", "FA000001", "--name", "again"),
    ("libraries", "add", "FA000002", "--loan-days", "0"),
    ("libraries", "set", "FA000001", "--loan-days", "400"),
    ("libraries", "add", "X" * 21),
    ("libraries", "set", "FA000001", "--name", "名" * 201),
    ("users", "add", "nobody", "--library", "NOPE", "--password", "long-enough-pw"),
    ("users", "add", "shorty", "--library", "FA000001", "--password", "short"),
    ("users", "add", "alice", "--library", "FA000001", "--password", "long-enough-pw"),
    ("users", "token", "nobody"),
    ("libraries", "add", "FA000003"),
    ("libraries", "add", "FA000003", "--name", "  "),
    ("libraries", "set", "FA000001", "--name", ""),
    ("libraries", "add", "FA000003", "--name", "新館", "--email", "not-an-email"),
    ("libraries", "set", "FA000001", "--email", "ill@@example"),
], ids=["set unknown", "add duplicate", "add bad loan days", "set bad loan days", "code too long", "name too long",
        "user at unknown library", "short password", "duplicate user", "token unknown user", "add without a name",
        "add with a blank name", "set a blank name", "add with a bad e-mail", "set a bad e-mail"])
def test_bad_input_exits_non_zero_with_one_line_and_changes_nothing(runner, ctx, args):
    assert invoke(runner, "libraries", "add", "FA000001", "--name", "Original", "--loan-days", "14").exit_code == 0
    assert invoke(runner, "users", "add", "alice", "--library", "FA000001", "--password", "alice-password").exit_code == 0
    before = (count(Library), count(User), library("FA000001").name, library("FA000001").loan_days)

    assert_one_line_error(invoke(runner, *args))

    assert (count(Library), count(User), library("FA000001").name, library("FA000001").loan_days) == before


def test_bad_option_values_exit_non_zero(runner, ctx):
    for args in (("libraries", "add", "FA1", "--network", "JANET"), ("libraries", "add", "FA1", "--loan-days", "x"),
                 ("users", "add", "bob", "--password", "long-enough-pw"),
                 ("users", "add", "bob", "--library", "FA1", "--password", "pw-long-enough", "--role", "root")):
        result = invoke(runner, *args)
        assert result.exit_code != 0
        assert "Error:" in result.output and "Traceback" not in result.output
    assert count(Library) == 0 and count(User) == 0


# -- users and tokens -----------------------------------------------------------

def test_users_add_and_token_works_against_the_api(runner, ctx, client):
    assert invoke(runner, "libraries", "add", "FA000001", "--name", "Hokkaido").exit_code == 0
    result = invoke(runner, "users", "add", "alice", "--library", "FA000001", "--password", "alice-password",
                    "--role", "manager")
    assert result.exit_code == 0, result.output
    alice = db.session.scalar(select(User).where(User.username == "alice"))
    assert (alice.role, alice.library.code, alice.check_password("alice-password")) == ("manager", "FA000001", True)

    result = invoke(runner, "users", "token", "alice")
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("ill_") and " " not in token

    answer = client.get("/api/v1/records", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.json["total"] == 0
    created = client.post("/api/v1/records", headers={"Authorization": f"Bearer {token}"},
                          json={"kind": "copy", "citation": {"title": "T"}, "candidates": [{"library": "FA000001"}]})
    assert created.status_code == 422  # a library cannot ask itself: the token acts for alice's library
    assert "candidates.0.library" in created.json["fields"]

    second = invoke(runner, "users", "token", "alice").output.strip().splitlines()[-1]
    assert second != token
    assert client.get("/api/v1/records", headers={"Authorization": f"Bearer {second}"}).status_code == 200


# -- demo -----------------------------------------------------------------------

def test_demo_loads_every_status_and_is_idempotent(runner, ctx):
    result = invoke(runner, "demo")
    assert result.exit_code == 0, result.output

    libraries = db.session.scalars(select(Library)).all()
    assert len(libraries) >= 4
    assert any(lib.network == "OCLC" for lib in libraries)
    assert any(not lib.loan_service for lib in libraries)
    for lib in libraries:
        assert count_users(lib) >= 2, lib.code
    records = db.session.scalars(select(Record)).all()
    assert len(records) >= 40
    assert {r.status for r in records} == {s.value for s in Status}
    assert {r.kind for r in records} == {"copy", "loan"}
    assert any(r.network == "OCLC" for r in records)
    assert "alice" in result.output  # the log-ins are shown

    before = snapshot()
    again = invoke(runner, "demo")
    assert again.exit_code == 0, again.output
    assert "nothing changed" in again.output
    assert snapshot() == before


def count_users(lib) -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.library_id == lib.id))


def snapshot():
    db.session.expire_all()
    return (count(Library), count(User), count(Record), count(HistoryEntry),
            sorted((r.id, r.status, r.version) for r in db.session.scalars(select(Record))))


# -- archive --------------------------------------------------------------------

def test_archive_archives_old_final_records_only(runner, world):
    old = datetime.now(timezone.utc) - timedelta(days=200)
    old_confirmed = world.record("CONFIRMED")
    old_cancelled = world.record("CANCELLED")
    old_returned = world.record("RETURN_CONFIRMED", kind="loan")
    old_active = world.record("ON_LOAN", kind="loan")
    recent_confirmed = world.record("CONFIRMED")
    for record in (old_confirmed, old_cancelled, old_returned, old_active):
        record.updated_at = old
    db.session.commit()

    result = invoke(runner, "archive")
    assert result.exit_code == 0, result.output
    assert "Archived 3 records." in result.output

    db.session.expire_all()
    archived = {r.id for r in db.session.scalars(select(Record).where(Record.archived.is_(True)))}
    assert archived == {old_confirmed.id, old_cancelled.id, old_returned.id}
    assert count(Record) == 5  # nothing deleted

    assert "Archived 0 records." in invoke(runner, "archive").output  # nothing left to do
    assert "Archived 1 records." in invoke(runner, "archive", "--days", "0").output  # the recent one


def test_archived_record_is_read_only_searchable_and_a_template(runner, world):
    record = world.record("CONFIRMED", client={"name": "山田花子", "type": "教員"})
    record.updated_at = datetime.now(timezone.utc) - timedelta(days=365)
    db.session.commit()
    assert invoke(runner, "archive").exit_code == 0
    db.session.expire_all()
    record = db.session.get(Record, record.id)
    assert record.archived
    history = len(record.history)

    for code, command in (("R", "SAVE"), ("R", "CALLBACK"), ("L1", "CALLBACK"), ("R", "OK")):
        with pytest.raises(CommandNotAllowed):
            world.run(code, record, command)
    db.session.expire_all()
    assert len(db.session.get(Record, record.id).history) == history

    r = world.libraries["R"].id
    assert search_records(r, SearchFilters(q=record.ill_id))[1] == 0
    found, total = search_records(r, SearchFilters(q=record.ill_id, include_archive=True))
    assert total == 1 and found[0].id == record.id
    assert search_records(world.libraries["L1"].id, SearchFilters(include_archive=True))[1] == 1

    copy = copy_to_new_request(world.user("R"), db.session.get(Record, record.id))
    copy = db.session.get(Record, copy.id)
    assert copy.id != record.id
    assert (copy.status, copy.archived, copy.lender_id) == ("PREPARING", False, None)
    assert (copy.title, copy.article, copy.kind, copy.client_name) == (
        record.title, record.article, record.kind, "山田花子")
    assert [c.library_id for c in copy.candidates] == [c.library_id for c in record.candidates]
    assert not any(c.tried for c in copy.candidates)
    assert copy.history[-1].comment == f"Copied from {record.ill_id}"
    assert world.run("R", copy, "ORDER").status == "UNPROCESSED"


def test_demo_spreads_its_records_over_weeks_with_loans_overdue_and_due_soon(runner, ctx):
    from datetime import timedelta

    from portal.models import Record
    from portal.services import portal_today
    from portal.workflow.due import DUE_SOON, OVERDUE, due_state
    assert invoke(runner, "demo").exit_code == 0
    db.session.expire_all()
    records = db.session.scalars(db.select(Record)).all()
    today = portal_today()
    ordered = [r.ordered_on for r in records if r.ordered_on]
    assert min(ordered) <= today - timedelta(days=28) and max(ordered) <= today
    states = {due_state(r.kind, r.status, r.renewal_handling, r.due_on, today, 3) for r in records}
    assert {OVERDUE, DUE_SOON} <= states
    for record in records:
        times = [h.at for h in record.history]
        assert times == sorted(times) and times[-1].date() <= today + timedelta(days=1)
        if record.kind == "loan" and record.sent_on and record.due_on and record.status == "ON_LOAN":
            assert record.due_on == record.sent_on + timedelta(days=record.lender.loan_days)


def test_demo_dates_are_what_callback_restores(world):
    """The demo re-dates each step after running it: calling back a step restores the
    re-dated values of the step before, not the dates of the moment the demo ran."""
    from datetime import timedelta

    from portal.services.demo import _spread_over_time
    record = world.record("ON_LOAN", kind="loan")
    world.run("R", record, "RENEW", comment="更新をお願いします")
    world.run("L1", record, "RECEIVE")
    world.run("L1", record, "CLAIM", comment="更新可", dates={"due": "2031-01-31"})
    _spread_over_time(record, 3)
    db.session.expire_all()
    sent = record.sent_on
    assert sent < record.history[-1].at.date() and record.due_on != date(2031, 1, 31)
    back = world.run("L1", record, "CALLBACK")
    assert back.status == "RETURN_PROCESSING"
    assert back.due_on == sent + timedelta(days=record.lender.loan_days)
