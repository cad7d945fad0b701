"""/api/v1/patrons and POST /records with a patron: shapes of api.md, 422 naming
the field, tenant isolation (another library's patron is 404), and the lender
never seeing the patron."""
from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import Patron, PatronConsent, Record
from portal.services.patrons import create_patron

PATRON_KEYS = {"number", "name", "group", "email", "mobile", "language", "sms_consent", "blocked", "blocks"}
NEW_REQUEST = {"kind": "copy", "citation": {"title": "図書館雑誌"}, "candidates": [{"library": "L1"}]}


class Api:
    def __init__(self, client, token):
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def get(self, path):
        return self.client.get("/api/v1" + path, headers=self.headers)

    def post(self, path, json=None, **kwargs):
        return self.client.post("/api/v1" + path, headers=self.headers, json=json, **kwargs)

    def patch(self, path, json=None):
        return self.client.patch("/api/v1" + path, headers=self.headers, json=json)


@pytest.fixture
def api(client, world):
    return lambda code: Api(client, world.token(code))


def test_create_get_patch_and_opt_out(api, world):
    r = api("R")
    response = r.post("/patrons", {"number": "P100", "name": "Yamada Hanako", "group": "graduate",
                                   "email": "hanako@example.jp", "mobile": "090-1234-5678", "language": "en",
                                   "sms_consent": {"method": "counter", "wording": "I agree to SMS."}})
    assert response.status_code == 201, response.json
    assert response.json == {"number": "P100", "name": "Yamada Hanako", "group": "graduate",
                             "email": "hanako@example.jp", "mobile": "+819012345678", "language": "en",
                             "sms_consent": True, "blocked": False, "blocks": []}
    consent = db.session.scalar(db.select(PatronConsent))
    assert (consent.method, consent.wording, consent.recorded_by_id) == ("counter", "I agree to SMS.", world.user("R").id)

    assert r.get("/patrons/P100").json == response.json
    patched = r.patch("/patrons/P100", {"name": "山田 花子", "email": None, "language": "ja"})
    assert patched.status_code == 200, patched.json
    assert (patched.json["name"], patched.json["email"], patched.json["mobile"]) == ("山田 花子", None, "+819012345678")

    out = r.post("/patrons/P100/opt-out", {"channel": "sms"})
    assert out.status_code == 200 and out.json["sms_consent"] is False
    rows = db.session.scalars(db.select(PatronConsent).order_by(PatronConsent.id)).all()
    assert [(c.action, c.method) for c in rows] == [("given", "counter"), ("withdrawn", "api")]
    assert set(r.get("/patrons/P100").json) == PATRON_KEYS


@pytest.mark.parametrize("body, fields", [
    ({"name": "A"}, {"number"}),
    ({"number": "P1", "name": "A", "mobile": "03-1234-5678"}, {"mobile"}),
    ({"number": "P1", "name": "A", "email": "nope"}, {"email"}),
    ({"number": 12, "name": "A"}, {"number"}),
    ({"number": "P1", "name": "A", "language": "fr"}, {"language"}),
    ({"number": "P1", "name": "A", "colour": "red"}, {"colour"}),
    ({"number": "P1", "name": "A", "sms_consent": {"method": "magic"}}, {"sms_consent.method"}),
    ({"number": "P1", "name": "A", "sms_consent": "yes"}, {"sms_consent"}),
    ({"number": "../x", "name": "A"}, {"number"}),
])
def test_bad_bodies_are_422_naming_the_field(api, world, body, fields):
    response = api("R").post("/patrons", body)
    assert response.status_code == 422, response.json
    assert response.json["error"] == "invalid" and set(response.json["fields"]) == fields
    assert db.session.scalar(db.select(db.func.count(Patron.id))) == 0


@pytest.mark.parametrize("data", [b"[1, 2]", b"not json", b'"text"', b"\xff\xfe"])
def test_non_object_bodies_are_422(api, world, data):
    response = api("R").post("/patrons", data=data, json=None)
    assert response.status_code == 422


def test_duplicate_number_is_422(api, world):
    assert api("R").post("/patrons", {"number": "P1", "name": "A"}).status_code == 201
    response = api("R").post("/patrons", {"number": "P1", "name": "B"})
    assert response.status_code == 422 and set(response.json["fields"]) == {"number"}


def test_patch_refuses_nulls_for_required_fields_and_bad_values(api, world):
    api("R").post("/patrons", {"number": "P1", "name": "A", "mobile": "09012345678"})
    assert api("R").patch("/patrons/P1", {"name": None}).status_code == 422
    response = api("R").patch("/patrons/P1", {"mobile": "0312345678"})
    assert response.status_code == 422 and set(response.json["fields"]) == {"mobile"}
    assert api("R").get("/patrons/P1").json["mobile"] == "+819012345678"
    assert api("R").post("/patrons/P1/opt-out", {"channel": "email"}).status_code == 422


def test_another_librarys_patron_is_404_on_every_path(api, world):
    create_patron(world.user("R"), {"number": "P1", "name": "秘密の利用者", "email": "secret@example.jp",
                                    "mobile": "09012345678", "sms_consent": {"method": "form"}})
    other = api("L1")
    for response in (other.get("/patrons/P1"), other.patch("/patrons/P1", {"name": "x"}),
                     other.post("/patrons/P1/opt-out", {"channel": "sms"})):
        assert response.status_code == 404, response.json
        assert "秘密" not in response.get_data(as_text=True)
    patron = db.session.scalar(db.select(Patron))
    assert patron.name == "秘密の利用者" and patron.sms_consent is True
    assert api("R").get("/patrons/P1").status_code == 200


def test_patron_paths_need_a_token(client, world):
    assert client.get("/api/v1/patrons/P1").status_code == 401
    assert client.post("/api/v1/patrons", json={"number": "P1", "name": "A"}).status_code == 401


def test_new_record_for_a_patron_fills_client_and_links(api, world):
    create_patron(world.user("R"), {"number": "P1", "name": "山田 花子", "group": "graduate",
                                    "email": "hanako@example.jp", "mobile": "09012345678"})
    response = api("R").post("/records", {**NEW_REQUEST, "patron": "P1"})
    assert response.status_code == 201, response.json
    assert response.json["client"] == {"name": "山田 花子", "type": "大学院生"}
    assert response.json["patron"] == "P1"
    record = db.session.get(Record, Record.pk_from_ill_id(response.json["ill_id"]))
    assert record.patron.number == "P1"
    # explicit client fields win over the patron's
    response = api("R").post("/records", {**NEW_REQUEST, "patron": "P1", "client": {"type": "教員"}})
    assert response.json["client"] == {"name": "山田 花子", "type": "教員"}


@pytest.mark.parametrize("patron", ["NOPE", "P9", 5, ["P1"]])
def test_new_record_with_unknown_or_other_librarys_patron_is_422(api, world, patron):
    create_patron(world.user("L2"), {"number": "P9", "name": "Other library's patron"})
    response = api("R").post("/records", {**NEW_REQUEST, "patron": patron})
    assert response.status_code == 422 and set(response.json["fields"]) == {"patron"}
    assert db.session.scalar(db.select(db.func.count(Record.id))) == 0


def test_inactive_patron_cannot_get_a_new_request(api, world):
    create_patron(world.user("R"), {"number": "P1", "name": "A", "active": False})
    response = api("R").post("/records", {**NEW_REQUEST, "patron": "P1"})
    assert response.status_code == 422 and response.json["fields"]["patron"] == "Patron P1 is inactive."


def test_the_lender_never_sees_the_patron_in_the_api(api, world):
    create_patron(world.user("R"), {"number": "CARD-7781", "name": "山田 花子", "group": "graduate",
                                    "email": "hanako.secret@example.jp", "mobile": "090-1234-5678"})
    ill_id = api("R").post("/records", {**NEW_REQUEST, "patron": "CARD-7781"}).json["ill_id"]
    api("R").post(f"/records/{ill_id}/commands/ORDER", {})
    lender = api("L1")
    for response in (lender.get(f"/records/{ill_id}"), lender.get("/records?side=lender"),
                     lender.post(f"/records/{ill_id}/commands/RECEIVE", {})):
        assert response.status_code == 200, response.json
        text = response.get_data(as_text=True)
        for secret in ("CARD-7781", "hanako.secret", "+819012345678", "1234-5678"):
            assert secret not in text
    assert lender.get(f"/records/{ill_id}").json["patron"] is None
    assert lender.get(f"/records/{ill_id}").json["client"] == {"name": "山田 花子", "type": "大学院生"}
