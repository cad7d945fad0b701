"""Several desks send the same command to one record at the same moment:
exactly one wins, the others are told so, and the record is not corrupted."""
from __future__ import annotations

import threading

from portal.extensions import db
from portal.models import User
from portal.services.records import perform_command
from portal.workflow.errors import CommandNotAllowed, Conflict
from workflow_helpers import reach, reload

THREADS = 6


def run_together(app, user_id: int, ill_id: str, command: str, data: dict) -> list:
    """Run the command from THREADS threads released at once; each thread has its
    own application context (and so its own session and connection)."""
    barrier = threading.Barrier(THREADS)
    outcomes: list = [None] * THREADS

    def desk(index: int):
        with app.app_context():
            user = db.session.get(User, user_id)
            user.library  # noqa: B018  (load before the race)
            try:
                barrier.wait(timeout=10)
                record = perform_command(user, ill_id, command, dict(data))
                outcomes[index] = ("ok", record.status)
            except (Conflict, CommandNotAllowed) as error:
                outcomes[index] = (type(error).__name__, error.message)
            except Exception as error:  # noqa: BLE001 - reported, and fails the test below
                outcomes[index] = ("error", repr(error))

    threads = [threading.Thread(target=desk, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def test_same_receive_from_six_desks(app, world):
    record = reach(world, "UNPROCESSED")
    db.session.commit()  # end the test's own transaction before the race

    outcomes = run_together(app, world.user("L1").id, record.ill_id, "RECEIVE", {})

    assert [o for o in outcomes if o[0] == "error"] == []
    assert [o for o in outcomes if o[0] == "ok"] == [("ok", "PROCESSING")]
    assert all(o[0] in ("Conflict", "CommandNotAllowed") for o in outcomes if o[0] != "ok")
    record = reload(record)
    assert record.status == "PROCESSING"
    assert [h.command for h in record.history].count("RECEIVE") == 1


def test_same_send_from_six_desks_writes_one_set_of_fees(app, world):
    record = reach(world, "PROCESSING")
    db.session.commit()
    fees = {"groups": [{"item": "A4", "quantity": 5, "unit_price": "30"}], "postage": "140"}

    outcomes = run_together(app, world.user("L1").id, record.ill_id, "SEND", {"fees": fees})

    assert [o for o in outcomes if o[0] == "error"] == []
    assert sum(o[0] == "ok" for o in outcomes) == 1
    record = reload(record)
    assert record.status == "SHIPPED"
    assert len(record.fee_groups) == 1 and record.total == 290
    assert [h.command for h in record.history].count("SEND") == 1


def test_a_deadlock_is_a_conflict_to_retry_not_a_server_error(app, world):
    """Two transactions that take the same two locks in opposite orders (as two changes could take two
    status tallies): the database aborts one; unit_of_work turns that into the busy Conflict (nothing of
    it written), and the other commits. On SQLite the same holds for a write that meets the lock."""
    from sqlalchemy import text

    from portal.services import RECORD_BUSY, unit_of_work

    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        import sqlite3

        holder = sqlite3.connect(db.engine.url.database, timeout=0)
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the database
        try:
            with app.app_context():
                db.session.execute(text("PRAGMA busy_timeout = 0"))
                try:
                    with unit_of_work():
                        db.session.execute(text("UPDATE libraries SET name = name"))
                    outcome = "ok"
                except Conflict as error:
                    outcome = error.message
        finally:
            holder.rollback()
            holder.close()
        assert outcome == RECORD_BUSY
        return
    barrier = threading.Barrier(2)
    outcomes: list = [None, None]

    def change(index: int, first: int, second: int):
        with app.app_context():
            try:
                with unit_of_work():
                    db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": 9000 + first})
                    barrier.wait(timeout=10)
                    db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": 9000 + second})
                outcomes[index] = "ok"
            except Conflict as error:
                outcomes[index] = error.message
            except Exception as error:  # noqa: BLE001 - reported, and fails the test below
                outcomes[index] = repr(error)

    threads = [threading.Thread(target=change, args=(0, 1, 2)), threading.Thread(target=change, args=(1, 2, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == sorted(["ok", RECORD_BUSY]), outcomes
    # a server with Japanese messages sends no "blocked" to match: the SQLSTATE (40P01) tells
    with app.app_context():
        try:
            with unit_of_work():
                db.session.execute(text("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '40P01', "
                                        "MESSAGE = 'デッドロックを検出しました'; END $$"))
            outcome = "ok"
        except Conflict as error:
            outcome = error.message
    assert outcome == RECORD_BUSY
