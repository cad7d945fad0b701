"""The record JSON of shared/spec/api.md, local notes, tenant isolation, bulk."""
from __future__ import annotations

from datetime import datetime

import pytest

from portal.extensions import db
from portal.models import Record
from portal.services import portal_today


class Api:
    """The test client speaking for one library's token."""

    def __init__(self, client, token):
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def get(self, path, **kwargs):
        return self.client.get("/api/v1" + path, headers=self.headers, **kwargs)

    def post(self, path, json=None):
        return self.client.post("/api/v1" + path, headers=self.headers, json=json or {})

    def command(self, ill_id, command, expect=200, **data):
        response = self.post(f"/records/{ill_id}/commands/{command}", data)
        assert response.status_code == expect, response.json
        return response.json


@pytest.fixture
def api(client, world):
    return lambda code: Api(client, world.token(code))


NEW_REQUEST = {
    "kind": "copy",
    "citation": {"title": "図書館雑誌", "article": "ILL業務の効率化", "volume": "110(5)", "pages": "280-283",
                 "year": "2016", "std_no": "0385-4000", "bib_id": "AN00192455", "note": "特集号"},
    "client": {"name": "山田花子", "type": "大学院生"},
    "candidates": [{"library": "L1", "location": "書庫", "volume": "110", "call_number": "010.5/N"},
                   {"library": "L2"}],
}

RECORD_KEYS = {"ill_id", "kind", "network", "status", "queue", "requester", "lender", "candidates", "citation",
               "client", "fees", "dates", "history", "allowed_commands", "version"}
CANDIDATE_KEYS = {"library", "location", "volume", "call_number", "tried"}
CITATION_KEYS = {"title", "article", "volume", "pages", "year", "std_no", "bib_id", "note"}
FEES_KEYS = {"groups", "base_fee", "postage", "total"}
GROUP_KEYS = {"item", "quantity", "unit_price", "charge"}
DATE_KEYS = {"ordered", "accepted", "sent", "received", "due", "sent_back", "return_received"}
HISTORY_KEYS = {"command", "from", "to", "library", "user", "comment", "at"}


def assert_record_shape(record: dict):
    assert set(record) >= RECORD_KEYS
    assert isinstance(record["ill_id"], str) and record["ill_id"].isdigit()
    assert record["kind"] in ("copy", "loan") and record["network"] in ("NII", "OCLC")
    assert record["queue"] in ("requester", "lender", "final")
    assert isinstance(record["version"], int)
    assert all(set(c) >= CANDIDATE_KEYS for c in record["candidates"])
    assert set(record["citation"]) >= CITATION_KEYS
    assert set(record["client"]) >= {"name", "type"}
    assert set(record["fees"]) >= FEES_KEYS
    assert all(set(g) >= GROUP_KEYS for g in record["fees"]["groups"])
    assert set(record["dates"]) >= DATE_KEYS
    for entry in record["history"]:
        assert set(entry) >= HISTORY_KEYS
        assert datetime.fromisoformat(entry["at"]).utcoffset() is not None, entry["at"]  # ISO 8601 with offset
    assert isinstance(record["allowed_commands"], list)


def test_create_and_work_a_request_through_the_api(api):
    r, l1 = api("R"), api("L1")
    created = r.post("/records", NEW_REQUEST)
    assert created.status_code == 201
    record = created.json
    assert_record_shape(record)
    assert (record["status"], record["queue"], record["requester"], record["lender"]) == (
        "PREPARING", "requester", "R", None)
    assert record["citation"]["note"] == "特集号" and record["client"] == {"name": "山田花子", "type": "大学院生"}
    assert record["candidates"][0] == {**record["candidates"][0], "library": "L1", "location": "書庫",
                                       "volume": "110", "call_number": "010.5/N", "tried": False}
    assert set(record["allowed_commands"]) == {"ORDER", "CANCEL", "SAVE"}
    ill_id = record["ill_id"]

    record = r.command(ill_id, "ORDER")
    assert (record["status"], record["lender"], record["dates"]["ordered"]) == (
        "UNPROCESSED", "L1", portal_today().isoformat())
    assert record["candidates"][0]["tried"] is True and record["allowed_commands"] == ["CALLBACK"]

    record = l1.command(ill_id, "RECEIVE")
    record = l1.command(ill_id, "SEND", fees={"groups": [{"item": "A4", "quantity": 10, "unit_price": 35}],
                                               "base_fee": "0", "postage": "140"})
    assert_record_shape(record)
    assert record["fees"]["groups"] == [{**record["fees"]["groups"][0], "item": "A4", "quantity": 10,
                                         "unit_price": "35", "charge": "350"}]
    assert (record["fees"]["base_fee"], record["fees"]["postage"], record["fees"]["total"]) == ("0", "140", "490")
    assert record["status"] == "SHIPPED" and record["queue"] == "requester"
    assert record["dates"]["sent"] == portal_today().isoformat()

    record = r.command(ill_id, "RECEIVE", dates={"received": "2026-01-05"})
    assert record["dates"]["received"] == "2026-01-05"
    record = r.command(ill_id, "OK")
    assert (record["status"], record["queue"]) == ("CONFIRMED", "final")
    assert [(h["command"], h["from"], h["to"], h["library"]) for h in record["history"]] == [
        ("CREATE", "PREPARING", "PREPARING", "R"),
        ("ORDER", "PREPARING", "UNPROCESSED", "R"),
        ("RECEIVE", "UNPROCESSED", "PROCESSING", "L1"),
        ("SEND", "PROCESSING", "SHIPPED", "L1"),
        ("RECEIVE", "SHIPPED", "ARRIVED", "R"),
        ("OK", "ARRIVED", "CONFIRMED", "R"),
    ]
    assert_record_shape(r.get(f"/records/{ill_id}").json)
    assert_record_shape(l1.get(f"/records/{ill_id}").json)



def test_create_keeps_the_requesting_staff_given(api):
    """OSTAF given on creation is stored (it used to collide with the default: a 500)."""
    created = api("R").post("/records", {**NEW_REQUEST, "requester_staff": "山田"})
    assert created.status_code == 201, created.json
    assert db.session.get(Record, Record.pk_from_ill_id(created.json["ill_id"])).requester_staff == "山田"

def test_amounts_keep_cents_for_a_usd_lender(api, world):
    record = world.record("PROCESSING", requester="O1", candidates=("O2",))
    answer = api("O2").command(record.ill_id, "SEND", fees={
        "groups": [{"item": "PDF", "quantity": 3, "unit_price": 0.1}], "base_fee": "0.2", "postage": 0})
    assert answer["fees"]["groups"][0]["charge"] == "0.30"
    assert (answer["fees"]["base_fee"], answer["fees"]["total"]) == ("0.20", "0.50")


def test_local_notes_of_the_other_side_are_never_included(api, world):
    r, l1 = api("R"), api("L1")
    record = world.record("PREPARING")
    r.command(record.ill_id, "SAVE", local_note="R secret: call ext. 1234")
    r.command(record.ill_id, "ORDER")
    answer = l1.command(record.ill_id, "RECEIVE", local_note="L1 secret: shelf 7")

    assert answer["local_note"] == "L1 secret: shelf 7"
    for response in (l1.get(f"/records/{record.ill_id}"), l1.get("/records?side=lender")):
        assert "R secret" not in response.get_data(as_text=True)
    mine = r.get(f"/records/{record.ill_id}")
    assert mine.json["local_note"] == "R secret: call ext. 1234"
    assert "L1 secret" not in mine.get_data(as_text=True)
    assert "L1 secret" not in r.get("/records").get_data(as_text=True)
    # nor can the other side find a record by searching for its partner's note
    assert l1.get("/records?q=ext. 1234").json["total"] == 0
    assert r.get("/records?q=ext. 1234").json["total"] == 1
    assert r.get("/records?q=shelf 7").json["total"] == 0


def test_listing_shows_each_library_only_its_own_records(api, world):
    ordered = world.record("UNPROCESSED")  # R -> L1
    preparing = world.record("PREPARING", candidates=("L2",))  # L2 not asked yet
    xs = world.record("PROCESSING", requester="X", candidates=("L3",))  # X -> L3
    oclc = world.record("PREPARING", requester="O1", candidates=("O2",))

    def ids(code, query=""):
        body = api(code).get(f"/records{query}").json
        assert body["total"] == len(body["items"])
        for item in body["items"]:
            assert_record_shape(item)
        return {item["ill_id"] for item in body["items"]}

    assert ids("R") == {ordered.ill_id, preparing.ill_id}
    assert ids("R", "?side=requester&status=PREPARING") == {preparing.ill_id}
    assert ids("R", "?side=lender") == set()
    assert ids("L1") == {ordered.ill_id}
    assert ids("L1", "?side=lender&status=UNPROCESSED") == {ordered.ill_id}
    assert ids("L1", "?side=requester") == set()
    assert ids("L2") == set()
    assert ids("L3") == {xs.ill_id}
    assert ids("X") == {xs.ill_id}
    assert ids("O1") == {oclc.ill_id}
    assert ids("O2") == set()
    assert ids("L1", f"?q={xs.ill_id}") == set()  # not even by its ILL ID


def test_bulk_receive_with_good_and_bad_ids(api, world):
    good = [world.record("UNPROCESSED").ill_id for _ in range(2)]
    wrong_status = world.record("PROCESSING").ill_id
    elsewhere = world.record("UNPROCESSED", requester="X", candidates=("L3",)).ill_id
    stale = world.record("UNPROCESSED")
    l1 = api("L1")

    response = l1.post("/bulk/RECEIVE", {"records": [
        {"ill_id": good[0]}, {"ill_id": wrong_status}, {"ill_id": "abc"}, {"ill_id": elsewhere},
        {"ill_id": good[1], "dates": {"accepted": "2026-02-03"}}, {"ill_id": "1999999999"},
        {"ill_id": stale.ill_id, "version": stale.version - 1}, {"ill_id": good[0]},
    ]})

    assert response.status_code == 200
    results = response.json["results"]
    assert [(r["ill_id"], r["ok"]) for r in results] == [
        (good[0], True), (wrong_status, False), ("abc", False), (elsewhere, False), (good[1], True),
        ("1999999999", False), (stale.ill_id, False), (good[0], False)]
    assert [r.get("status") for r in results if r["ok"]] == ["PROCESSING", "PROCESSING"]
    assert [r["error"] for r in results if not r["ok"]] == [
        "command_not_allowed", "not_found", "forbidden", "not_found", "conflict", "command_not_allowed"]
    assert all(r["message"] for r in results if not r["ok"])
    for ill_id in good:
        assert l1.get(f"/records/{ill_id}").json["status"] == "PROCESSING"
    assert l1.get(f"/records/{good[1]}").json["dates"]["accepted"] == "2026-02-03"
    assert l1.get(f"/records/{stale.ill_id}").json["status"] == "UNPROCESSED"
    assert api("X").get(f"/records/{elsewhere}").json["status"] == "UNPROCESSED"


def test_command_names_are_case_insensitive(api, world):
    record = world.record("UNPROCESSED")
    assert api("L1").command(record.ill_id, "receive")["status"] == "PROCESSING"
