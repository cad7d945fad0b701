"""The status tallies equal the records they count, whatever the commands did (create, every status,
forwarding to the next lender, CALLBACK, cancel, archive, delete), on SQLite and PostgreSQL; and the work
list's tabs and the header badge read them (tests/web/test_query_counts.py)."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from portal.extensions import db
from portal.models import Record
from portal.services import tallies
from portal.services.archive import archive_old_records
from portal.services.demo import COPY_ONLY, LOAN_ONLY, PATHS
from portal.services.records import create_record, perform_command
from portal.workflow.errors import DomainError

COMMANDS = ["ORDER", "RECEIVE", "INQUIRE", "ANSWER", "PARDON", "SEND", "CLAIM", "OK", "BORROW", "RENEW",
            "SENDBACK", "CANCEL", "CALLBACK", "SAVE"]


def check(connection=None) -> dict:
    connection = connection or db.session.connection()
    stored, counted = tallies.stored(connection), tallies.counted(connection)
    assert stored == counted
    return stored


def test_the_tallies_follow_every_kind_of_change(world):
    rng = random.Random(20261201)
    records = []
    for status in PATHS:
        for kind in ("copy", "loan"):
            if (kind == "copy" and status in LOAN_ONLY) or (kind == "loan" and status in COPY_ONLY):
                continue
            records.append(world.record(status, kind=kind))
    assert check()  # something is counted
    # a seeded walk of commands by either side (most are refused: those change nothing)
    users = [world.users[code] for code in ("R", "L1", "L2")]
    moved = 0
    for _step in range(300):
        record = rng.choice(records)
        try:
            perform_command(rng.choice(users), record.ill_id, rng.choice(COMMANDS),
                            {"comment": "walk", "reason": "walk"})
            moved += 1
        except DomainError:
            db.session.rollback()
        check()
    assert moved >= 20, moved
    # PARDON (declined) moves the request to the next candidate: the lender's tally moves with it
    forwarded = world.record("PROCESSING")
    perform_command(world.users["L1"], forwarded.ill_id, "PARDON", {"comment": "no holding"})
    assert db.session.get(Record, forwarded.id).lender_id == world.libraries["L2"].id
    check()
    # the archive job's bulk UPDATE archives final records only: not counted before, not after
    before = check()
    assert archive_old_records(days=0, now=datetime.now(timezone.utc) + timedelta(days=1)) > 0
    assert check() == before
    # created and ordered in one transaction: the lender's count starts at the order
    create_record(world.users["R"], {"kind": "copy", "citation": {"title": "t"},
                                     "candidates": [{"library": "L1"}]}, order_now=True)
    check()
    # a party changed on an expired record (no loaded old value in the session: the trigger sees the old row)
    expired = db.session.get(Record, world.record("UNPROCESSED").id)
    db.session.expire(expired)
    expired.lender_id = world.libraries["L3"].id
    db.session.commit()
    check()
    # a rolled-back change leaves the tallies as they were
    before = check()
    rolled = db.session.get(Record, world.record("UNPROCESSED").id)
    before = check()
    rolled.status = "PROCESSING"
    db.session.flush()
    db.session.rollback()
    assert check() == before
    # a deleted record leaves its tallies
    gone = db.session.get(Record, world.record("PROCESSING").id)
    db.session.delete(gone)
    db.session.commit()
    check()


def test_the_triggers_count_what_goes_around_the_orm_and_rebuild_what_they_did_not_see(world):
    """The database keeps the tallies: a Core statement moves them too (no flush hook could see it), and a
    load made without the triggers (the benchmark's population) is counted again by rebuild."""
    records = Record.__table__
    record = world.record("PROCESSING")
    connection = db.session.connection()
    connection.execute(records.update().where(records.c.id == record.id).values(status="SHIPPED"))
    new_id = connection.execute(records.insert().values(
        kind="loan", status="UNPROCESSED", version=1, archived=False, requester_id=world.libraries["R"].id,
        lender_id=world.libraries["L2"].id, title="core", std_no="", author="").returning(records.c.id)).scalar()
    connection.execute(records.update().where(records.c.id == new_id).values(lender_id=world.libraries["L3"].id))
    counts = check(connection)
    assert counts[(world.libraries["L3"].id, "lender", "loan", "UNPROCESSED")] == 1
    connection.execute(records.delete().where(records.c.id == new_id))
    check(connection)
    tallies.drop_triggers(connection)
    connection.execute(records.update().where(records.c.id == record.id).values(status="ARRIVED"))
    assert tallies.stored(connection) != tallies.counted(connection)
    tallies.create_triggers(connection)
    assert tallies.rebuild(connection) > 0
    check(connection)
    db.session.commit()


def test_the_tallies_read_with_the_session_user_are_the_work_lists_counts(world, client):
    """Every GET page reads its library's tallies in the statement of its user (one text column):
    read back, they are exactly what status_counts_by_side counts, for every library."""
    from sqlalchemy import select

    from portal.services.search import counts_of_tallies, status_counts_by_side, tallies_column
    from portal.services.users import SESSION_USER_AND_TALLIES

    for status in PATHS:
        for kind in ("copy", "loan"):
            if not ((kind == "copy" and status in LOAN_ONLY) or (kind == "loan" and status in COPY_ONLY)):
                world.record(status, kind=kind, candidates=("L1", "L2"))
    for code, library in world.libraries.items():
        text = db.session.scalar(select(tallies_column(library.id)))
        assert counts_of_tallies(text) == status_counts_by_side(library.id), code
    assert any(counts_of_tallies(db.session.scalar(select(tallies_column(world.libraries["L1"].id))))[side].values()
               for side in counts_of_tallies(None))  # something is counted
    user, text = db.session.execute(SESSION_USER_AND_TALLIES, {"pk": world.users["R"].id}).one()
    assert user is world.users["R"] and counts_of_tallies(text) == status_counts_by_side(user.library_id)
    assert all(not any(counts.values()) for counts in counts_of_tallies(None).values())  # a library with none
