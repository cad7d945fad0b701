"""Every API body is a declared pydantic model, checked before any service runs (422 naming the field),
and the same declarations are the schemas of openapi.json."""
from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from portal.api.schemas import BulkInput, CommandInput, Dates, NewRecord
from portal.api.validation import SCHEMAS, error_name
from portal.services.records import DATE_KEYS

R_RECORD = "/api/v1/records/{}"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def assert_invalid(response, *fields: str) -> dict:
    assert response.status_code == 422, response.get_data(as_text=True)[:400]
    answer = response.get_json()
    assert answer["error"] == "invalid" and answer["message"]
    assert set(answer["fields"]) == set(fields), answer["fields"]
    assert all(isinstance(m, str) and m for m in answer["fields"].values())
    return answer


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("body, fields", [
    ({"dates": [1]}, {"dates"}),
    ({"dates": {"due": 20260401}}, {"dates.due"}),
    ({"dates": {"due": ""}}, {"dates.due"}),
    ({"dates": {"due": "2026-02-30"}}, {"dates.due"}),
    ({"dates": {"due": "２０２６-04-01"}}, {"dates.due"}),
    ({"dates": {"shipped": "2026-04-01"}}, {"dates.shipped"}),
    ({"due_date": ""}, {"due_date"}),
    ({"fees": {"groups": True}}, {"groups"}),
    ({"fees": [1]}, {"fees"}),
    ({"fees": {"groups": [{"quantity": "x"}]}}, {"groups.0.quantity"}),
    ({"fees": {"groups": [{"quantity": "３"}]}}, {"groups.0.quantity"}),
    ({"fees": {"groups": [{"unit_price": True}], "postage": {"a": 1}}}, {"groups.0.unit_price", "postage"}),
    ({"fees": {"groups": [{"item": "A4"}] * 11}}, {"groups"}),
    ({"version": "3"}, {"version"}),
    ({"version": True}, {"version"}),
    ({"comment": 5}, {"comment"}),
    ({"comment": ["a"]}, {"comment"}),
    ({"fields": {"lender_number": ["x"]}}, {"fields.lender_number"}),
    ({"fields": {"shelf": "x"}}, {"fields.shelf"}),
    ({"fields": {"lender_number": "9" * 51}}, {"fields.lender_number"}),
    ({"local_note": "x" * 2001}, {"local_note"}),
    ({"comentt": "typo"}, {"comentt"}),
    ({"candidates": {"library": "L2"}}, {"candidates"}),
], ids=lambda v: str(v)[:40] if isinstance(v, dict) else None)
def test_command_body_of_the_wrong_shape_is_422_and_changes_nothing(client, world, body, fields):
    record = world.record("PROCESSING")
    token = bearer(world.token("L1"))
    url = R_RECORD.format(record.ill_id)
    before = client.get(url, headers=token).json
    assert_invalid(client.post(url + "/commands/SAVE", headers=token, json=body), *fields)
    after = client.get(url, headers=token).json
    assert (after["version"], after["history"], after["fees"]) == (before["version"], before["history"], before["fees"])


@pytest.mark.parametrize("raw", [nested(100), nested(5000), '{"fees": ' + nested(100_000) + "}",
                                 '{"dates": {"due": ' + "{\"a\": " * 3000 + "1" + "}" * 3000 + "}}"],
                         ids=["100 deep", "5000 deep", "100000 deep in fees", "3000 deep objects"])
def test_deeply_nested_json_is_422(client, world, raw):
    record = world.record("PROCESSING")
    response = client.post(R_RECORD.format(record.ill_id) + "/commands/SAVE", data=raw,
                           content_type="application/json", headers=bearer(world.token("L1")))
    assert response.status_code == 422 and response.json["error"] == "invalid"


@pytest.mark.parametrize("body, fields", [
    ({"kind": "copy", "terms": 1, "candidates": [{"library": "L1"}]}, {"terms"}),
    ({"kind": "copy", "citation": [], "candidates": [{"library": "L1"}]}, {"citation"}),
    ({"kind": "copy", "citation": {"title": 1}, "candidates": [{"library": "L1"}]}, {"title"}),
    ({"kind": "copy", "citation": {"isbn": "4-00"}, "candidates": [{"library": "L1"}]}, {"isbn"}),
    ({"kind": "copy", "citation": {"note": "x" * 2001}, "candidates": [{"library": "L1"}]}, {"bib_note"}),
    ({"kind": "copy", "client": {"name": ["x"]}, "candidates": [{"library": "L1"}]}, {"client_name"}),
    ({"kind": "copy", "candidates": "L1"}, {"candidates"}),
    ({"kind": "copy", "candidates": [{"library": 1}]}, {"candidates.0.library"}),
    ({"kind": "copy", "candidates": [{}]}, {"candidates.0.library"}),
    ({"kind": ["copy"], "candidates": [{"library": "L1"}]}, {"kind"}),
    ({"kind": "copy", "network": 1, "candidates": [{"library": "L1"}]}, {"network"}),
])
def test_new_record_of_the_wrong_shape_is_422(client, world, body, fields):
    token = bearer(world.token("R"))
    assert_invalid(client.post("/api/v1/records", headers=token, json=body), *fields)
    assert client.get("/api/v1/records", headers=token).json["total"] == 0


@pytest.mark.parametrize("body, fields", [
    ({"records": [{"comment": "no id"}]}, {"records.0.ill_id"}),
    ({"records": [{"ill_id": ""}]}, {"records.0.ill_id"}),
    ({"records": [{"ill_id": 1000000001}]}, {"records.0.ill_id"}),
    ({"records": [1]}, {"records.0"}),
    ({"records": "1000000001"}, {"records"}),
    ({}, {"records"}),
    ({"records": [{"ill_id": "1", "dates": {"due": "soon"}}]}, {"records.0.dates.due"}),
    ({"records": [{"ill_id": "1", "fees": {"groups": [{"quantity": -1}]}}]}, {"records.0.groups.0.quantity"}),
])
def test_bulk_body_of_the_wrong_shape_is_422(client, world, body, fields):
    assert_invalid(client.post("/api/v1/bulk/RECEIVE", headers=bearer(world.token("L1")), json=body), *fields)


def test_every_dates_key_is_accepted(client, world):
    """All seven dates of the record are valid keys; the command decides which it uses."""
    record = world.record("PROCESSING")
    token = bearer(world.token("L1"))
    dates = {key: "2026-04-01" for key in DATE_KEYS}
    assert set(Dates.model_fields) == set(DATE_KEYS)
    response = client.post(R_RECORD.format(record.ill_id) + "/commands/SAVE", headers=token,
                           json={"dates": dates, "due_date": None, "comment": None})
    assert response.status_code == 200, response.json


def test_amounts_as_numbers_or_strings_are_accepted(client, world):
    record = world.record("PROCESSING")
    response = client.post(R_RECORD.format(record.ill_id) + "/commands/SEND", headers=bearer(world.token("L1")),
                           json={"fees": {"groups": [{"item": "A4", "quantity": "10", "unit_price": 35},
                                                     {"item": "B4", "quantity": 2, "unit_price": "40"}],
                                          "base_fee": 0, "postage": "140"},
                                 "dates": {"sent": "2026-04-01"}})
    assert response.status_code == 200, response.json
    assert response.json["fees"]["total"] == "570" and response.json["dates"]["sent"] == "2026-04-01"


def test_405_names_the_allowed_methods(client, world):
    token = bearer(world.token("L1"))
    for method, path, allowed in [("DELETE", "/api/v1/records", {"GET", "POST"}),
                                  ("PUT", R_RECORD.format("1000000001"), {"GET"}),
                                  ("GET", "/api/v1/bulk/RECEIVE", {"POST"})]:
        response = client.open(path, method=method, headers=token)
        assert response.status_code == 405 and response.json["error"] == "method_not_allowed"
        assert {m.strip() for m in response.headers["Allow"].split(",")} - {"HEAD", "OPTIONS"} == allowed


def test_error_names_follow_the_services_names():
    assert error_name(NewRecord, ("citation", "bib_note")) == "bib_note"
    assert error_name(NewRecord, ("client", "client_name")) == "client_name"
    assert error_name(NewRecord, ("candidates", 2, "library")) == "candidates.2.library"
    assert error_name(CommandInput, ("fees", "groups", 0, "quantity")) == "groups.0.quantity"
    assert error_name(CommandInput, ("dates", "due")) == "dates.due"
    assert error_name(BulkInput, ("records", 3, "fees", "postage")) == "records.3.postage"
    assert error_name(BulkInput, ()) == "body"


def test_openapi_bodies_are_the_declared_models(client, app):
    """The document's request bodies are the models the views validate with, and every API route is described."""
    from portal.api.openapi import declared_operations

    document = client.get("/api/v1/openapi.json").json
    validate(document)
    schemas = document["components"]["schemas"]
    for name in ("NewRecord", "CommandInput", "BulkInput", "RecordQuery", "Error", "BulkResults"):
        assert name in SCHEMAS, name
    for name in (*SCHEMAS, "BulkRow", "FeesInput", "Dates", "Citation", "Record"):
        assert name in schemas, name
    assert schemas["Dates"]["additionalProperties"] is False
    assert set(schemas["Dates"]["properties"]) == set(DATE_KEYS)
    assert "ill_id" in schemas["BulkRow"]["required"]
    with app.app_context():
        operations = declared_operations(app)
    for (path, method), view in operations.items():
        operation = document["paths"][path][method]  # every route of the blueprint is documented
        model = getattr(view, "api_body", None)
        if model is not None:
            ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            assert ref == f"#/components/schemas/{model.__name__}"
            own = model.model_json_schema(ref_template="#/components/schemas/{model}")
            own.pop("$defs", None)
            assert schemas[model.__name__] == own
    listing = {p["name"]: p for p in document["paths"]["/records"]["get"]["parameters"]}
    assert set(listing) == {"side", "status", "kind", "q", "archive", "page"}
    assert listing["page"]["schema"]["minimum"] == 1
