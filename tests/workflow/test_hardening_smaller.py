"""Smaller ones of issue 11: the loser of a CALLBACK race, the lock message on create, archive history."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import HistoryEntry, Record
from portal.services.archive import archive_old_records
from portal.workflow.errors import Conflict
from portal.workflow.machine import ARCHIVED_NOTE


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_lender_losing_to_a_callback_gets_409_not_403(client, world):
    """R orders, then calls the order back just before L1's RECEIVE arrives: L1 was acting on a record it
    saw a moment ago, and is told so with 409, while reading it is still 403 (no longer its library's)."""
    record = world.record("UNPROCESSED")
    token = bearer(world.token("L1"))
    url = f"/api/v1/records/{record.ill_id}"
    assert client.get(url, headers=token).status_code == 200
    world.run("R", record, "CALLBACK")  # wins the race
    for body in ({}, {"comment": "x", "version": record.version}):
        response = client.post(url + "/commands/RECEIVE", headers=token, json=body)
        assert response.status_code == 409 and response.json["error"] == "conflict", response.json
        assert "called" in response.json["message"]
    bulk = client.post("/api/v1/bulk/RECEIVE", headers=token, json={"records": [{"ill_id": record.ill_id}]})
    assert bulk.json["results"][0]["error"] == "conflict"
    assert client.get(url, headers=token).status_code == 403
    assert client.post(url + "/commands/RECEIVE", headers=bearer(world.token("X")), json={}).status_code == 403


def test_the_other_order_of_the_race_is_409_too(client, world):
    record = world.record("UNPROCESSED")
    world.run("L1", record, "RECEIVE")  # wins
    response = client.post(f"/api/v1/records/{record.ill_id}/commands/CALLBACK", headers=bearer(world.token("R")),
                           json={})
    assert response.status_code == 409 and response.json["error"] == "command_not_allowed"


@pytest.mark.sqlite_only
def test_sqlite_lock_on_create_does_not_speak_of_the_record(app, world, database_urls):
    from portal.services.records import create_record

    urls, _ = database_urls
    blocker = sqlite3.connect(urls["sqlite"].removeprefix("sqlite:///"), timeout=1)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the database
    try:
        db.session.execute(db.text("PRAGMA busy_timeout=50"))
        with pytest.raises(Conflict) as refused:
            create_record(world.user("R"), {"kind": "copy", "citation": {"title": "Locked"}, "candidates": [{"library": "L1"}]})
    finally:
        blocker.rollback()
        blocker.close()
    assert "record" not in refused.value.message and "try again" in refused.value.message


def test_archive_writes_a_history_entry(runner, world):
    old = world.record("CONFIRMED")
    recent = world.record("CONFIRMED")
    db.session.get(Record, old.id).updated_at = datetime.now(timezone.utc) - timedelta(days=400)
    db.session.commit()
    version = db.session.get(Record, old.id).version
    assert archive_old_records(183) == 1
    db.session.expire_all()
    archived = db.session.get(Record, old.id)
    assert archived.archived and archived.version == version + 1
    entries = db.session.scalars(select(HistoryEntry).where(HistoryEntry.record_id == old.id)
                                 .order_by(HistoryEntry.id)).all()
    last = entries[-1]
    assert (last.command, last.comment, last.from_status, last.to_status) == (
        "SYSTEM", ARCHIVED_NOTE, "CONFIRMED", "CONFIRMED")
    assert not any(e.comment == ARCHIVED_NOTE for e in db.session.get(Record, recent.id).history)
    assert archive_old_records(183) == 0  # nothing twice
