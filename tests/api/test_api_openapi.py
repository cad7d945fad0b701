"""GET /openapi.json: a valid OpenAPI 3 document listing every path of the contract."""
from __future__ import annotations

from openapi_spec_validator import validate

from portal.workflow.machine import COMMANDS

CONTRACT = {
    "/records": {"get", "post"},
    "/records/{ill_id}": {"get"},
    "/records/{ill_id}/commands/{command}": {"post"},
    "/bulk/{command}": {"post"},
    "/records/{ill_id}/slips/{slip}.pdf": {"get"},
    "/openapi.json": {"get"},
}


def test_openapi_document_is_valid_and_complete(client):
    response = client.get("/api/v1/openapi.json")  # no token needed
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.json

    validate(document)

    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": "/api/v1"}]
    paths = document["paths"]
    for path, methods in CONTRACT.items():
        assert path in paths, path
        assert methods <= set(paths[path]), path
    slip = next(p for p in paths["/records/{ill_id}/slips/{slip}.pdf"]["get"]["parameters"] if p["name"] == "slip")
    assert set(slip["schema"]["enum"]) == {"receipt", "shipping", "return"}
    command = paths["/records/{ill_id}/commands/{command}"]["post"]
    assert next(p for p in command["parameters"] if p["name"] == "command")["schema"]["enum"] == COMMANDS
    assert {"200", "401", "403", "404", "409", "422"} <= set(command["responses"])
    errors = document["components"]["schemas"]["Error"]["properties"]["error"]["enum"]
    assert set(errors) >= {"unauthorized", "forbidden", "not_found", "command_not_allowed", "conflict", "invalid"}


def test_documented_record_fields_are_the_served_ones(client, world):
    """Every field the Record schema requires is in an actual record."""
    document = client.get("/api/v1/openapi.json").json
    required = set(document["components"]["schemas"]["Record"]["required"])
    token = world.token("R")
    record = world.record("PREPARING")
    served = client.get(f"/api/v1/records/{record.ill_id}", headers={"Authorization": f"Bearer {token}"}).json
    assert required <= set(served)
