"""The API under odd input (issue 11): never a 500, the contract's errors instead."""
from __future__ import annotations

import pytest

from portal.services.records import create_record

ODD_IDS = ["³", "١", "١٠٠٠٠٠٠٠٠١", "1000000001³", "99999999999", "123456789012345678", "3147483648", "9" * 100]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("odd", ODD_IDS)
def test_odd_or_out_of_range_ill_ids_are_404(client, world, odd):
    token = bearer(world.token("L1"))
    for method, path in [("GET", f"/api/v1/records/{odd}"), ("POST", f"/api/v1/records/{odd}/commands/RECEIVE"),
                         ("GET", f"/api/v1/records/{odd}/slips/receipt.pdf")]:
        response = client.open(path, method=method, headers=token, json={})
        assert response.status_code == 404 and response.json["error"] == "not_found", (path, response.json)
    response = client.post("/api/v1/bulk/RECEIVE", headers=token, json={"records": [{"ill_id": odd}]})
    if len(odd) > 40:  # longer than any ILL ID: the row is refused as a whole
        assert response.status_code == 422 and set(response.json["fields"]) == {"records.0.ill_id"}
        return
    assert response.status_code == 200
    assert response.json["results"] == [{"ill_id": odd, "ok": False, "error": "not_found",
                                         "message": response.json["results"][0]["message"]}]
    listed = client.get(f"/api/v1/records?q={odd}", headers=token)
    assert listed.status_code == 200 and listed.json["total"] == 0


@pytest.mark.parametrize("page", ["³", "١", "-1", "0", "1.5", "x"])
def test_odd_page_numbers_are_422(client, world, page):
    answer = client.get(f"/api/v1/records?page={page}", headers=bearer(world.token("R")))
    assert answer.status_code == 422 and set(answer.json["fields"]) == {"page"}


def test_a_page_past_the_last_is_the_last(client, world):
    requester = world.user("R")
    for _ in range(51):
        create_record(requester, {"kind": "copy", "citation": {"title": "Page"}, "candidates": [{"library": "L1"}]})
    token = bearer(world.token("R"))
    for page in ("2", "99", "9" * 30, str(2**63)):
        answer = client.get(f"/api/v1/records?page={page}", headers=token)
        assert answer.status_code == 200, answer.json
        assert (answer.json["page"], answer.json["total"], len(answer.json["items"])) == (2, 51, 1)
    first = client.get("/api/v1/records", headers=token).json
    assert (first["page"], len(first["items"])) == (1, 50)


@pytest.mark.parametrize("body, field", [
    ({"kind": "copy", "citation": {"title": "a\x00b"}, "candidates": [{"library": "L1"}]}, "title"),
    ({"kind": "copy", "client": {"name": "\x00"}, "candidates": [{"library": "L1"}]}, "client_name"),
    ({"kind": "copy", "candidates": [{"library": "L1", "call_number": "0\x00"}]}, "candidates.0.call_number"),
])
def test_nul_in_a_new_record_is_422_naming_the_field(client, world, body, field):
    token = bearer(world.token("R"))
    response = client.post("/api/v1/records", headers=token, json=body)
    assert response.status_code == 422 and response.json["fields"] == {field: "Must not contain a NUL character."}
    assert client.get("/api/v1/records", headers=token).json["total"] == 0


def test_nul_in_commands_bulk_and_queries_is_422(client, world):
    record = world.record("PROCESSING")
    token = bearer(world.token("L1"))
    url = f"/api/v1/records/{record.ill_id}/commands/SAVE"
    for body, field in [({"comment": "\x00"}, "comment"), ({"local_note": "a\x00"}, "local_note"),
                        ({"fields": {"lender_number": "\x00"}}, "fields.lender_number"),
                        ({"dates": {"due\x00": "2026-04-01"}}, "dates")]:
        response = client.post(url, headers=token, json=body)
        assert response.status_code == 422 and set(response.json["fields"]) == {field}, body
    response = client.post("/api/v1/bulk/RECEIVE", headers=token,
                           json={"records": [{"ill_id": record.ill_id, "comment": "ok"},
                                             {"ill_id": record.ill_id, "comment": "\x00"}]})
    assert response.status_code == 422 and set(response.json["fields"]) == {"records.1.comment"}
    response = client.get("/api/v1/records?q=%00", headers=token)
    assert response.status_code == 422 and set(response.json["fields"]) == {"q"}
    after = client.get(f"/api/v1/records/{record.ill_id}", headers=token).json
    assert after["version"] == record.version and after["local_note"] == ""


def test_bulk_with_more_rows_than_the_limit_is_422(app, client, world):
    app.config["BULK_MAX_ROWS"] = 3
    record = world.record("UNPROCESSED")
    token = bearer(world.token("L1"))
    rows = [{"ill_id": record.ill_id}] * 4
    response = client.post("/api/v1/bulk/RECEIVE", headers=token, json={"records": rows})
    assert response.status_code == 422 and set(response.json["fields"]) == {"records"}
    assert "At most 3 records" in response.json["fields"]["records"]
    assert client.get(f"/api/v1/records/{record.ill_id}", headers=token).json["status"] == "UNPROCESSED"
    ok = client.post("/api/v1/bulk/RECEIVE", headers=token, json={"records": rows[:3]})
    assert ok.status_code == 200 and [r["ok"] for r in ok.json["results"]] == [True, False, False]
