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
    # before the commit: the record once (with both parties and the patron joined), not again when the
    # command runs after the route's access check; the parties' libraries are not read after it
    assert len([s for s in statements if s.startswith("SELECT records.")]) == 1, statements
    assert not [s for s in after if " FROM libraries" in s], after
    assert not [s for s in statements if s.startswith("SELECT fee_groups.")], statements  # joined to the record
    # the status tallies move inside the record's UPDATE (services.tallies' triggers): no statement of their own
    assert not [s for s in statements if "status_tallies" in s], statements
    assert len(statements) <= 5, "\n".join(statements)


def test_a_forwarded_request_answers_with_its_new_lender(world, client):
    """PARDON moves the request to the next candidate: the answer names that lender, not the loaded one."""
    record = world.record("PROCESSING", candidates=("L1", "L2"))
    db.session.remove()
    response = client.post(f"/api/v1/records/{record.ill_id}/commands/PARDON", json={"comment": "no holding"},
                           headers={"Authorization": f"Bearer {world.token('L1')}"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "UNPROCESSED" and body["lender"] == world.libraries["L2"].code, body
