"""Six scanner stations POST the same RECEIVE at the same moment: one 200, the
rest 409, never a 500, and one RECEIVE in the history."""
from __future__ import annotations

import threading

from portal.extensions import db

THREADS = 6


def test_simultaneous_receive_through_the_api(app, world):
    record = world.record("UNPROCESSED")
    token = world.token("L1")
    url = f"/api/v1/records/{record.ill_id}/commands/RECEIVE"
    db.session.commit()
    barrier = threading.Barrier(THREADS)
    answers: list = [None] * THREADS

    def station(index: int):
        client = app.test_client()  # each request runs in its own app context and session
        barrier.wait(timeout=10)
        response = client.post(url, json={}, headers={"Authorization": f"Bearer {token}"})
        answers[index] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=station, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert all(answer is not None for answer in answers)
    codes = sorted(status for status, _ in answers)
    assert codes == [200] + [409] * (THREADS - 1), answers
    assert all(body["error"] in ("conflict", "command_not_allowed") for status, body in answers if status == 409)
    final = app.test_client().get(f"/api/v1/records/{record.ill_id}",
                                  headers={"Authorization": f"Bearer {token}"}).get_json()
    assert final["status"] == "PROCESSING"
    assert [h["command"] for h in final["history"]].count("RECEIVE") == 1
