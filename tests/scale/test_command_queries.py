"""A command answers from what it wrote: no reloading of the record after the commit."""
from sqlalchemy import event

from portal.extensions import db


def test_receive_through_the_api_does_not_reload_the_record_after_the_commit(world, client):
    record = world.record("UNPROCESSED")
    ill_id, token = record.ill_id, world.token(world.code_of(record.lender_id))
    db.session.remove()  # as in production: the request starts with nothing loaded
    statements: list[str] = []
    committed = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(("after " if committed else "") + " ".join(statement.split())[:90])

    event.listen(db.engine, "before_cursor_execute", count)
    event.listen(db.session, "after_commit", lambda _session: committed.append(True))
    try:
        response = client.post(f"/api/v1/records/{ill_id}/commands/RECEIVE", json={},
                               headers={"Authorization": f"Bearer {token}"})
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200 and response.get_json()["status"] == "PROCESSING"
    after = [s for s in statements if s.startswith("after ")]
    # what the answer still reads are relations the command never needed (local notes, the parties'
    # libraries); the record, its history and candidates, the user are not read again
    assert not [s for s in after if " FROM records" in s or " FROM history_entries" in s
                or " FROM candidates" in s or " FROM users" in s], after
    assert len(after) <= 4, after
