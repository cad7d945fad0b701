"""Every error of the API contract, always as JSON {"error", "message"}."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import ApiToken
from portal.models.user import hash_token
from portal.services.admin import revoke_token

R_RECORD = "/api/v1/records/{}"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["error"] == code
    assert isinstance(body["message"], str) and body["message"]
    text = response.get_data(as_text=True)
    assert "<html" not in text.lower() and "Traceback" not in text
    return body


@pytest.fixture
def record(world):
    return world.record("UNPROCESSED")


# -- 401 ------------------------------------------------------------------------

ALL_ENDPOINTS = [
    ("GET", "/api/v1/records"),
    ("POST", "/api/v1/records"),
    ("GET", R_RECORD),
    ("POST", R_RECORD + "/commands/RECEIVE"),
    ("POST", "/api/v1/bulk/RECEIVE"),
    ("GET", R_RECORD + "/slips/receipt.pdf"),
]


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer ill_not-a-real-token"},
    {"Authorization": "Bearer "},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "ill_token-without-scheme"},
], ids=["no header", "unknown token", "empty token", "basic auth", "no scheme"])
def test_no_or_bad_token_is_401_everywhere(client, record, headers):
    for method, path in ALL_ENDPOINTS:
        response = client.open(path.format(record.ill_id), method=method, headers=headers, json={})
        assert_error(response, 401, "unauthorized")


def test_revoked_token_is_401(client, world, record):
    token = world.token("L1")
    assert client.get(R_RECORD.format(record.ill_id), headers=bearer(token)).status_code == 200
    stored = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    revoke_token(world.user("L1"), stored.id)
    assert_error(client.get(R_RECORD.format(record.ill_id), headers=bearer(token)), 401, "unauthorized")


def test_token_of_a_deactivated_user_is_401(client, world, record):
    token = world.token("L1")
    world.user("L1").active = False
    db.session.commit()
    assert_error(client.get(R_RECORD.format(record.ill_id), headers=bearer(token)), 401, "unauthorized")


# -- 403 ------------------------------------------------------------------------

def test_other_librarys_record_is_403(client, world, record):
    token = world.token("X")
    assert_error(client.get(R_RECORD.format(record.ill_id), headers=bearer(token)), 403, "forbidden")
    assert_error(client.post(R_RECORD.format(record.ill_id) + "/commands/RECEIVE", headers=bearer(token), json={}),
                 403, "forbidden")
    assert_error(client.get(R_RECORD.format(record.ill_id) + "/slips/receipt.pdf", headers=bearer(token)),
                 403, "forbidden")


def test_candidate_not_yet_asked_is_403(client, world, record):
    """L2 is the second candidate: it does not see the request before it is asked."""
    assert_error(client.get(R_RECORD.format(record.ill_id), headers=bearer(world.token("L2"))), 403, "forbidden")


# -- 404 ------------------------------------------------------------------------

def test_unknown_record_command_or_path_is_404(client, world, record):
    token = bearer(world.token("L1"))
    for method, path in [
        ("GET", "/api/v1/records/1999999999"),
        ("GET", "/api/v1/records/abc"),
        ("GET", "/api/v1/records/0"),
        ("POST", "/api/v1/records/1999999999/commands/RECEIVE"),
        ("POST", R_RECORD + "/commands/LEND"),
        ("POST", "/api/v1/bulk/LEND"),
        ("GET", R_RECORD + "/slips/invoice.pdf"),
        ("GET", "/api/v1/whatever"),
        ("POST", "/api/v1/records/1/commands"),
    ]:
        response = client.open(path.format(record.ill_id), method=method, headers=token, json={"records": []})
        assert_error(response, 404, "not_found")


def test_unknown_api_path_without_token_is_json_too(client):
    assert_error(client.get("/api/v1/whatever"), 404, "not_found")
    assert_error(client.get("/api/v2/records"), 404, "not_found")


def test_wrong_method_is_405_json(client, world, record):
    token = bearer(world.token("L1"))
    for method, path in [("DELETE", "/api/v1/records"), ("PUT", R_RECORD), ("GET", R_RECORD + "/commands/RECEIVE"),
                         ("GET", "/api/v1/bulk/RECEIVE")]:
        response = client.open(path.format(record.ill_id), method=method, headers=token)
        assert response.status_code == 405
        assert response.mimetype == "application/json"
        assert set(response.get_json()) >= {"error", "message"}
        assert "<html" not in response.get_data(as_text=True).lower()


# -- 409 ------------------------------------------------------------------------

def test_command_not_allowed_is_409(client, world, record):
    url = R_RECORD.format(record.ill_id) + "/commands/{}"
    body = assert_error(client.post(url.format("RECEIVE"), headers=bearer(world.token("R")), json={}),
                        409, "command_not_allowed")
    assert "RECEIVE" in body["message"] and "UNPROCESSED" in body["message"]
    assert_error(client.post(url.format("OK"), headers=bearer(world.token("L1")), json={}), 409, "command_not_allowed")


def test_kind_and_network_refusals_are_409(client, world):
    loan = world.record("ARRIVED", kind="loan")
    body = assert_error(client.post(R_RECORD.format(loan.ill_id) + "/commands/OK", headers=bearer(world.token("R")),
                                    json={}), 409, "command_not_allowed")
    assert "copy" in body["message"]
    oclc = world.record("ARRIVED", requester="O1", candidates=("O2",))
    body = assert_error(client.post(R_RECORD.format(oclc.ill_id) + "/commands/CLAIM",
                                    headers=bearer(world.token("O1")), json={"comment": "p. 3 missing"}),
                        409, "command_not_allowed")
    assert "OCLC" in body["message"]


def test_stale_version_is_409_conflict_and_changes_nothing(client, world, record):
    token = world.token("L1")
    url = R_RECORD.format(record.ill_id)
    version = client.get(url, headers=bearer(token)).json["version"]
    saved = client.post(url + "/commands/SAVE", headers=bearer(token),
                        json={"fields": {"lender_number": "A-1"}, "version": version})
    assert saved.status_code == 200 and saved.json["version"] == version + 1

    assert_error(client.post(url + "/commands/RECEIVE", headers=bearer(token), json={"version": version}),
                 409, "conflict")

    after = client.get(url, headers=bearer(token)).json
    assert (after["status"], after["version"], len(after["history"])) == ("UNPROCESSED", version + 1,
                                                                          len(saved.json["history"]))
    ok = client.post(url + "/commands/RECEIVE", headers=bearer(token), json={"version": version + 1})
    assert ok.status_code == 200 and ok.json["status"] == "PROCESSING"


# -- 422 ------------------------------------------------------------------------

def test_invalid_new_record_is_422_with_fields(client, world):
    token = bearer(world.token("R"))
    for body, fields in [
        ({}, {"kind"}),
        ({"kind": "copy", "candidates": [{"library": "L1"}]}, {"title"}),
        ({"kind": "book", "candidates": [{"library": "L1"}]}, {"kind"}),
        ({"kind": "copy", "candidates": [{"library": "NOPE"}]}, {"candidates.0.library"}),
        ({"kind": "copy", "candidates": [{"library": c} for c in ("L1", "L2", "L3", "X", "O1", "O2")]},
         {"candidates"}),
        ({"kind": "copy", "candidates": [{"library": "L1"}, {"library": "O2"}]}, {"candidates.1.library"}),
        ({"kind": "copy", "network": "JANET", "candidates": [{"library": "L1"}]}, {"network"}),
        # longer than the columns hold: 422, never a database error (PostgreSQL refuses them)
        ({"kind": "copy", "citation": {"author": "著" * 301, "volume": "9" * 101},
          "candidates": [{"library": "L1", "call_number": "0" * 101}]},
         {"author", "volume", "candidates.0.call_number"}),
    ]:
        answer = assert_error(client.post("/api/v1/records", headers=token, json=body), 422, "invalid")
        assert set(answer["fields"]) >= fields, body
    listed = client.get("/api/v1/records", headers=token).json
    assert listed["total"] == 0  # nothing half-created


def test_a_draft_without_candidates_is_created_but_not_ordered(client, world):
    token = bearer(world.token("R"))
    created = client.post("/api/v1/records", headers=token, json={"kind": "loan", "citation": {"title": "書名"}})
    assert created.status_code == 201, created.json
    assert (created.json["status"], created.json["candidates"], created.json["lender"]) == ("PREPARING", [], None)
    assert "ORDER" not in created.json["allowed_commands"]
    url = R_RECORD.format(created.json["ill_id"]) + "/commands/ORDER"
    answer = assert_error(client.post(url, headers=token, json={}), 409, "command_not_allowed")
    assert "at least one lender candidate" in answer["message"]
    saved = client.post(R_RECORD.format(created.json["ill_id"]) + "/commands/SAVE", headers=token,
                        json={"candidates": [{"library": "L1"}]})
    assert saved.status_code == 200, saved.json
    ordered = client.post(url, headers=token, json={})
    assert ordered.status_code == 200 and ordered.json["lender"] == "L1"


def test_invalid_command_input_is_422_with_fields(client, world):
    record = world.record("PROCESSING")
    url = R_RECORD.format(record.ill_id) + "/commands/"
    token = bearer(world.token("L1"))
    answer = assert_error(client.post(url + "SEND", headers=token, json={
        "fees": {"groups": [{"item": "A4", "quantity": 2, "unit_price": "-30"}], "postage": "x"}}), 422, "invalid")
    assert set(answer["fields"]) == {"groups.0.unit_price", "postage"}
    answer = assert_error(client.post(url + "SEND", headers=token, json={}), 422, "invalid")
    assert "fees" in answer["fields"]
    answer = assert_error(client.post(url + "PARDON", headers=token, json={"comment": ""}), 422, "invalid")
    assert "comment" in answer["fields"]
    answer = assert_error(client.post(url + "SEND", headers=token, json={
        "fees": {"groups": []}, "dates": {"sent": "yesterday", "shipped": "2026-01-01"}}), 422, "invalid")
    assert set(answer["fields"]) == {"dates.sent", "dates.shipped"}
    # amounts each within bounds whose total overflows the money columns
    huge = [{"item": f"A{i}", "quantity": 1_000_000, "unit_price": "9999999999"} for i in range(10)]
    answer = assert_error(client.post(url + "SEND", headers=token, json={"fees": {"groups": huge}}), 422, "invalid")
    assert set(answer["fields"]) == {f"groups.{i}.quantity" for i in range(10)}
    bulky = [{"item": f"A{i}", "quantity": 11, "unit_price": "9999999999"} for i in range(10)]
    answer = assert_error(client.post(url + "SEND", headers=token, json={"fees": {"groups": bulky}}), 422, "invalid")
    assert set(answer["fields"]) == {"total"}


def test_body_that_is_not_a_json_object_is_422(client, world, record):
    for data in ("[1, 2]", "{not json", "\"text\""):
        response = client.post(R_RECORD.format(record.ill_id) + "/commands/RECEIVE", data=data,
                               content_type="application/json", headers=bearer(world.token("L1")))
        assert_error(response, 422, "invalid")


def test_bad_list_query_is_422(client, world):
    token = bearer(world.token("R"))
    for query, field in [("status=BOGUS", "status"), ("side=both", "side"), ("page=0", "page"), ("page=x", "page")]:
        answer = assert_error(client.get(f"/api/v1/records?{query}", headers=token), 422, "invalid")
        assert field in answer["fields"]


def test_bulk_without_a_list_is_422(client, world):
    answer = assert_error(client.post("/api/v1/bulk/RECEIVE", headers=bearer(world.token("L1")),
                                      json={"records": "1000000001"}), 422, "invalid")
    assert "records" in answer["fields"]


# -- 500 ------------------------------------------------------------------------

def test_unexpected_error_is_json_500_without_a_stack_trace(client, world, record, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("portal.api.routes.load_record", explode)
    response = client.get(R_RECORD.format(record.ill_id), headers=bearer(world.token("L1")))
    assert response.status_code == 500
    assert response.mimetype == "application/json"
    assert "secret internals" not in response.get_data(as_text=True)
    assert set(response.get_json()) >= {"error", "message"}

