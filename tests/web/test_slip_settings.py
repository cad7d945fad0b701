"""What slips print that the desk sets: the loan's use restriction (SEND, SAVE), the requester's
consent to print its end user, and the ILL section on envelopes."""
from __future__ import annotations

from portal.extensions import db
from portal.models import Library, Record


def fresh(record) -> Record:
    db.session.expire_all()
    return db.session.get(Record, record.id)


SEND = [("date_sent", "2026-04-01"), ("date_due", "2026-04-20"), ("fee_item", "Book"), ("fee_quantity", "1"),
        ("fee_unit_price", "0"), ("base_fee", "0"), ("postage", "520"), ("comment", "")]


def test_the_loans_send_form_takes_the_use_restriction(world, desk):
    record = world.record("PROCESSING", kind="loan")
    desk.as_user("L1")
    html = desk.get(f"/records/{record.ill_id}/commands/SEND", htmx=True).get_data(as_text=True)
    assert 'name="field_use_restriction"' in html and 'list="use-restrictions"' in html and "館内閲覧のみ" in html
    response = desk.post(f"/records/{record.ill_id}/commands/SEND",
                         [("version", record.version), ("field_use_restriction", "館内閲覧のみ")] + SEND, htmx=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    record = fresh(record)
    assert record.status == "SHIPPED" and record.use_restriction == "館内閲覧のみ"
    assert "館内閲覧のみ" in desk.get(f"/records/{record.ill_id}").get_data(as_text=True)


def test_a_copy_send_form_has_no_use_restriction(world, desk):
    record = world.record("PROCESSING")
    desk.as_user("L1")
    assert "field_use_restriction" not in desk.get(f"/records/{record.ill_id}/commands/SEND").get_data(as_text=True)


def test_a_too_long_use_restriction_is_refused_with_the_field_named(world, desk):
    record = world.record("PROCESSING", kind="loan")
    desk.as_user("L1")
    response = desk.post(f"/records/{record.ill_id}/commands/SEND",
                         [("version", record.version), ("field_use_restriction", "長" * 101)] + SEND, htmx=True)
    assert response.status_code == 422
    assert 'id="f-field_use_restriction"' in response.get_data(as_text=True)
    assert fresh(record).status == "PROCESSING"


def test_the_lender_saves_the_restriction_and_callback_of_send_restores_it(world, desk):
    record = world.record("PROCESSING", kind="loan")
    world.run("L1", record, "SAVE", fields={"use_restriction": "取扱注意"})
    assert fresh(record).use_restriction == "取扱注意"
    from portal.services.demo import FEES
    world.run("L1", record, "SEND", **FEES, fields={"use_restriction": "館内閲覧のみ"})
    world.run("L1", record, "CALLBACK")
    record = fresh(record)
    assert record.status == "PROCESSING" and record.use_restriction == "取扱注意"


def test_the_requester_cannot_set_the_use_restriction(world):
    import pytest
    from portal.workflow.errors import ValidationError
    record = world.record("PREPARING", kind="loan")
    with pytest.raises(ValidationError):
        world.run("R", record, "SAVE", fields={"use_restriction": "館内閲覧のみ"})


def test_settings_set_what_slips_print_of_the_end_user_and_the_ill_section(world, desk):
    desk.as_user("R")
    form = {"loan_days": "14", "slip_size": "A5", "address": "〒060-0808 札幌市", "email": "", "phone": "",
            "service": "1", "copy_service": "1", "loan_service": "1"}
    response = desk.post("/settings", {**form, "slip_client": "type", "ill_section": "相互貸借係"})
    assert response.status_code == 302
    library = db.session.get(Library, world.libraries["R"].id)
    db.session.refresh(library)
    assert library.slip_client == "type" and library.ill_section == "相互貸借係"
    bad = desk.post("/settings", {**form, "slip_client": "everything", "ill_section": ""})
    assert bad.status_code == 422 and 'id="f-slip_client"' in bad.get_data(as_text=True)
    db.session.refresh(library)
    assert library.slip_client == "type"
