"""Patron services: validation (E.164 mobile numbers, e-mail), per-library
numbers, search, consent history and opt-out."""
from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import Patron, PatronConsent
from portal.services.patrons import (create_patron, find_patron, normalize_mobile, opt_out, record_consent,
                                     search_patrons, update_patron)
from portal.workflow.errors import Forbidden, ValidationError


def new(world, code="R", **data):
    return create_patron(world.user(code), {"number": "P001", "name": "山田 花子", **data})


@pytest.mark.parametrize("raw, stored", [
    ("090-1234-5678", "+819012345678"),
    ("09012345678", "+819012345678"),
    ("+81 80 1234 5678", "+818012345678"),
    ("070 1234 5678", "+817012345678"),
    ("+44 7911 123456", "+447911123456"),  # a UK mobile
    ("+1 202 555 0143", "+12025550143"),  # US: FIXED_LINE_OR_MOBILE
])
def test_mobile_numbers_are_stored_in_e164(raw, stored):
    assert normalize_mobile(raw) == stored


@pytest.mark.parametrize("raw, message", [
    ("03-1234-5678", "Must be a mobile phone number (it receives the SMS notices)."),  # Tokyo fixed line
    ("050-1234-5678", "Must be a mobile phone number (it receives the SMS notices)."),  # IP phone
    ("0120-123-456", "Must be a mobile phone number (it receives the SMS notices)."),  # toll-free
    ("090-1234", "Not a valid phone number."),
    ("hello", "Not a valid phone number."),
    ("+", "Not a valid phone number."),
])
def test_other_numbers_are_refused_as_mobile(raw, message):
    with pytest.raises(ValidationError) as error:
        normalize_mobile(raw)
    assert error.value.fields == {"mobile": message}


def test_create_patron_normalises_and_defaults(world):
    patron = new(world, email="  Hanako@Example.JP ", mobile="090-1234-5678", group="graduate")
    db.session.expire_all()
    patron = find_patron(world.libraries["R"].id, "P001")
    assert (patron.email, patron.mobile, patron.group, patron.language, patron.active) == (
        "Hanako@example.jp", "+819012345678", "graduate", "ja", True)
    assert patron.sms_consent is False and patron.consents == []


def test_bad_fields_are_all_named_and_nothing_is_saved(world):
    with pytest.raises(ValidationError) as error:
        create_patron(world.user("R"), {"number": "P 1", "name": "", "email": "not-an-address",
                                        "mobile": "03-1234-5678", "language": "fr", "group": "x" * 41})
    assert set(error.value.fields) == {"number", "name", "email", "mobile", "language", "group"}
    assert db.session.scalar(db.select(db.func.count(Patron.id))) == 0


@pytest.mark.parametrize("data", [{"number": 5, "name": "A"}, {"number": "P1", "name": ["A"]},
                                  {"number": "P1", "name": "A", "active": "yes"}])
def test_wrong_types_are_validation_errors(world, data):
    with pytest.raises(ValidationError):
        create_patron(world.user("R"), data)


def test_numbers_are_unique_per_library_only(world):
    new(world)
    with pytest.raises(ValidationError) as error:
        new(world, name="someone else")
    assert error.value.fields == {"number": "A patron with this number already exists in your library."}
    other = new(world, "L1")  # the same card number at another library is another patron
    assert other.library_id == world.libraries["L1"].id
    assert find_patron(world.libraries["R"].id, "P001").name == "山田 花子"
    assert find_patron(world.libraries["X"].id, "P001") is None


def test_update_changes_only_given_fields_and_clears_contacts(world):
    patron = new(world, email="a@example.jp", mobile="09012345678")
    update_patron(world.user("R"), patron, {"name": "Yamada Hanako", "mobile": "", "language": "en"})
    db.session.expire_all()
    patron = find_patron(world.libraries["R"].id, "P001")
    assert (patron.name, patron.email, patron.mobile, patron.language) == (
        "Yamada Hanako", "a@example.jp", None, "en")


def test_another_library_cannot_change_or_record_consent(world):
    patron = new(world)
    with pytest.raises(Forbidden):
        update_patron(world.user("L1"), patron, {"name": "x"})
    with pytest.raises(Forbidden):
        record_consent(patron, "sms", "counter", None, world.user("L1"))
    with pytest.raises(Forbidden):
        opt_out(patron, "sms", "counter", world.user("L1"))
    db.session.expire_all()
    assert find_patron(world.libraries["R"].id, "P001").consents == []


def test_consent_history_is_kept_and_the_latest_row_counts(world):
    patron = new(world, mobile="09012345678", sms_consent={"method": "counter"})
    assert patron.sms_consent is True
    first = patron.consents[0]
    assert (first.action, first.method, first.recorded_by_id) == ("given", "counter", world.user("R").id)
    assert "SMS" in first.wording  # the default wording in the patron's language
    assert opt_out(patron, "sms", "link") is not None
    assert patron.sms_consent is False
    assert opt_out(patron, "sms", "link") is None  # nothing to withdraw: no second row
    record_consent(patron, "sms", "form", "I agree.", world.user("R"))
    db.session.expire_all()
    patron = find_patron(world.libraries["R"].id, "P001")
    assert [(c.action, c.method, c.recorded_by_id) for c in patron.consents] == [
        ("given", "counter", world.user("R").id), ("withdrawn", "link", None), ("given", "form", world.user("R").id)]
    assert patron.sms_consent is True and patron.consents[-1].wording == "I agree."
    assert db.session.scalar(db.select(db.func.count(PatronConsent.id))) == 3


def test_bad_consent_method_is_refused(world):
    patron = new(world)
    with pytest.raises(ValidationError) as error:
        record_consent(patron, "sms", "telepathy", None, world.user("R"))
    assert set(error.value.fields) == {"method"}
    with pytest.raises(ValidationError) as error:
        new(world, number="P002", sms_consent={"method": ""})
    assert set(error.value.fields) == {"sms_consent.method"}
    assert find_patron(world.libraries["R"].id, "P002") is None


def test_search_by_number_and_name_within_the_library(world):
    for number, name in [("A100", "Sato Ichiro"), ("A101", "Suzuki Jiro"), ("B200", "佐藤 花子"), ("A1", "Tanaka")]:
        new(world, number=number, name=name)
    new(world, "L1", number="A102", name="Sato Other")
    library = world.libraries["R"].id
    items, total = search_patrons(library, "a1")
    assert total == 3 and items[0].number == "A1"  # the exact number first, then by name
    assert [p.number for p in search_patrons(library, "sato")[0]] == ["A100"]
    assert [p.number for p in search_patrons(library, "佐藤")[0]] == ["B200"]
    assert search_patrons(library, "%")[1] == 0  # LIKE wildcards are literal
    page2, total = search_patrons(library, "", page=2, per_page=3)
    assert total == 4 and len(page2) == 1
