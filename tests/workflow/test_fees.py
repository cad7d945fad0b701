"""Fees (料金): the pure arithmetic, and what a bad fee input does to a command."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from portal.workflow.errors import ValidationError
from portal.workflow.fees import MAX_GROUPS, NOT_A_NUMBER, compute_fees, parse_number
from workflow_helpers import FEES, command_count, reach, reload


def group(item="A4", quantity=1, unit_price="0"):
    return {"item": item, "quantity": quantity, "unit_price": unit_price}


def refused_fields(*args, **kwargs) -> dict:
    with pytest.raises(ValidationError) as refused:
        compute_fees(*args, **kwargs)
    return refused.value.fields


def test_subtotals_and_total():
    fees = compute_fees([group("A4", 12, "30"), group("B4", 3, "50")], base_fee="100", postage="140")
    assert [g.charge for g in fees.groups] == [Decimal(360), Decimal(150)]
    assert fees.total == Decimal(360 + 150 + 100 + 140)
    assert all(isinstance(v, Decimal) for v in (fees.total, fees.base_fee, fees.postage))


def test_decimal_exactness_with_cents():
    """0.1 + 0.2 is 0.3 here, not 0.30000000000000004."""
    fees = compute_fees([group("PDF", 3, "0.10"), group("A4", 1, 0.2)], base_fee=0.1, postage="0.20", places=2)
    assert fees.groups[0].charge == Decimal("0.30")
    assert fees.groups[1].charge == Decimal("0.20")
    assert fees.total == Decimal("0.80")
    assert str(fees.total) == "0.80"


def test_amounts_with_commas_and_numbers():
    fees = compute_fees([group("A4", "2", "1,200")], base_fee=0, postage=140)
    assert fees.total == Decimal(2540)


# -- the one parser of fee inputs ---------------------------------------------

@pytest.mark.parametrize("typed, value", [
    ("1000", "1000"), ("1,000", "1000"), ("12,345.50", "12345.50"), ("1,234,567", "1234567"),
    ("0", "0"), ("0.5", "0.5"), (" 30 ", "30"), ("", "0"), (None, "0"),
    ("１，０００", "1000"), ("１２．５", "12.5"), ("３０", "30"), ("－５", "-5"),
    (30, "30"), (Decimal("12.50"), "12.50"), (0.1, "0.1"), (1000.0, "1000.0"),
])
def test_numbers_as_people_write_them_are_read(typed, value):
    assert parse_number(typed) == Decimal(value)


@pytest.mark.parametrize("typed", [
    "1e3", "1E3", "1,00", "1,2,3", "1_000", "12,34.5", ",100", "100,", "1,0000", "1.000,50", "1 000",
    "+5", ".5", "5.", "0x10", "NaN", "Infinity", "一〇〇", "٣٠", "1,000.5.0", "--1", "1e+20", float("inf"),
    1e20, True, [], {},
])
def test_malformed_numbers_are_refused(typed):
    assert parse_number(typed) is None


@pytest.mark.parametrize("field, typed", [
    ("unit_price", "1e3"), ("unit_price", "1,00"), ("quantity", "1,2,3"), ("quantity", "1_000"),
])
def test_a_malformed_group_input_is_refused_naming_its_field(field, typed):
    fields = refused_fields([dict(group("A4", 1, "30"), **{field: typed})])
    assert list(fields) == [f"groups.0.{field}"]


@pytest.mark.parametrize("name", ["base_fee", "postage"])
@pytest.mark.parametrize("typed", ["1e3", "1,00", "1,2,3", "1_000"])
def test_a_malformed_amount_is_refused_naming_its_field(name, typed):
    fields = refused_fields([], **{name: typed})
    assert fields == {name: NOT_A_NUMBER}


def test_thousands_separators_in_every_field():
    fees = compute_fees([group("A4", "1,000", "1,200")], base_fee="１，０００", postage="12,345")
    assert fees.groups[0].charge == Decimal(1_200_000)
    assert fees.total == Decimal(1_200_000 + 1_000 + 12_345)


def test_a_charge_given_by_the_caller_is_ignored():
    """NACSIS errs when QNT changes after an automatic total; the portal recomputes."""
    fees = compute_fees([{"item": "A4", "quantity": 4, "unit_price": "30", "charge": "999"}])
    assert fees.groups[0].charge == Decimal(120) and fees.total == Decimal(120)


def test_no_groups():
    fees = compute_fees([], base_fee="300", postage="140")
    assert fees.groups == () and fees.total == Decimal(440)
    assert compute_fees(None).total == Decimal(0)


def test_ten_groups_are_fine_eleven_are_refused():
    ten = [group(f"item {i}", 1, "10") for i in range(MAX_GROUPS)]
    assert compute_fees(ten).total == Decimal(100)
    assert "groups" in refused_fields(ten + [group("one more", 1, "10")])


def test_item_is_required_when_there_is_more_than_one_group():
    assert compute_fees([group("", 2, "30")]).total == Decimal(60)  # one group: ITEM optional
    fields = refused_fields([group("A4", 2, "30"), group("", 1, "30"), group("  ", 1, "30")])
    assert set(fields) == {"groups.1.item", "groups.2.item"}


@pytest.mark.parametrize("kwargs, field", [
    ({"groups": [group(unit_price="-1")]}, "groups.0.unit_price"),
    ({"groups": [group(quantity=-2)]}, "groups.0.quantity"),
    ({"groups": [group(), group("B4", unit_price="abc")]}, "groups.1.unit_price"),
    ({"groups": [group(quantity="two")]}, "groups.0.quantity"),
    ({"groups": [group(quantity="1.5")]}, "groups.0.quantity"),
    ({"groups": [group(quantity=True)]}, "groups.0.quantity"),
    ({"groups": [group(unit_price="NaN")]}, "groups.0.unit_price"),
    ({"groups": [group(unit_price="Infinity")]}, "groups.0.unit_price"),
    ({"groups": ["A4"]}, "groups.0"),
    ({"base_fee": "-100"}, "base_fee"),
    ({"base_fee": "一〇〇"}, "base_fee"),
    ({"base_fee": True}, "base_fee"),
    ({"postage": "-0.01", "places": 2}, "postage"),
    ({"postage": "ten"}, "postage"),
    ({"postage": "140.5"}, "postage"),  # JPY has no decimal places
    ({"postage": "1.005", "places": 2}, "postage"),
    ({"base_fee": "1e20"}, "base_fee"),
])
def test_bad_amounts_are_refused_naming_the_field(kwargs, field):
    kwargs = dict(kwargs)
    fields = refused_fields(kwargs.pop("groups", []), **kwargs)
    assert field in fields


def test_every_bad_field_is_named_at_once():
    fields = refused_fields([group("A4", -1, "x"), group("", 1, "1")], base_fee="-1", postage="p")
    assert set(fields) == {"groups.0.quantity", "groups.0.unit_price", "groups.1.item", "base_fee", "postage"}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1000), st.decimals(0, 99999, places=2)), max_size=MAX_GROUPS),
       st.decimals(0, 99999, places=2), st.decimals(0, 99999, places=2))
def test_total_is_the_exact_sum(rows, base_fee, postage):
    fees = compute_fees([group(f"i{i}", q, str(p)) for i, (q, p) in enumerate(rows)],
                        base_fee=str(base_fee), postage=str(postage), places=2)
    assert [g.charge for g in fees.groups] == [q * p for q, p in rows]
    assert fees.total == sum((q * p for q, p in rows), Decimal(0)) + base_fee + postage


# -- through perform_command ------------------------------------------------

BAD_FEES = [
    {"groups": [{"item": "A4", "quantity": 1, "unit_price": "-30"}], "base_fee": "0", "postage": "0"},
    {"groups": [group(f"i{i}", 1, "1") for i in range(11)]},
    {"groups": [group("A4"), group("")]},
    {"base_fee": "abc"},
    {"groups": [{"item": "A4", "quantity": 1, "unit_price": "1e3"}]},
    {"postage": "1,00"},
    "not an object",
]


@pytest.mark.parametrize("fees", BAD_FEES, ids=["negative", "eleven groups", "missing item", "not a number",
                                                "exponent", "misplaced comma", "not an object"])
def test_invalid_fees_change_nothing(world, fees):
    record = reach(world, "PROCESSING", kind="loan")
    world.run("L1", record, "SAVE", fees={"groups": [group("A4", 2, "30")], "postage": "140"})
    record = reload(record)
    before = (record.status, record.version, command_count(record.id), len(record.history), record.total,
              [g.as_dict() for g in record.fee_groups], record.sent_on, record.due_on)

    for command, data in [("SEND", {}), ("INQUIRE", {"comment": "料金前納"}), ("SAVE", {})]:
        with pytest.raises(ValidationError):
            world.run("L1", record, command, fees=fees, **data)

    record = reload(record)
    assert (record.status, record.version, command_count(record.id), len(record.history), record.total,
            [g.as_dict() for g in record.fee_groups], record.sent_on, record.due_on) == before


def test_a_late_refusal_undoes_the_fees_already_applied(world):
    """SEND applies the fees, then finds the due date before the send date:
    the whole command is rolled back, fees included."""
    record = reach(world, "PROCESSING", kind="loan")
    version, entries = record.version, command_count(record.id)
    with pytest.raises(ValidationError) as refused:
        world.run("L1", record, "SEND", fees=FEES, dates={"sent": "2026-05-10"}, due_date="2026-05-01")
    assert "due" in refused.value.fields
    record = reload(record)
    assert (record.status, record.version, command_count(record.id)) == ("PROCESSING", version, entries)
    assert (record.total, record.fee_groups, record.sent_on, record.due_on) == (None, [], None, None)


def test_send_stores_the_computed_fees(world):
    record = reach(world, "PROCESSING")
    fees = {"groups": [group("A4", 12, "30"), group("カラー", 2, 100)], "base_fee": 100, "postage": "140"}
    record = reload(world.run("L1", record, "SEND", fees=fees))
    assert [(g.position, g.item, g.quantity, g.unit_price, g.charge) for g in record.fee_groups] == [
        (0, "A4", 12, Decimal(30), Decimal(360)), (1, "カラー", 2, Decimal(100), Decimal(200))]
    assert (record.base_fee, record.postage, record.total) == (Decimal(100), Decimal(140), Decimal(800))


def test_only_the_lender_enters_fees(world):
    record = reach(world, "PREPARING")
    with pytest.raises(ValidationError) as refused:
        world.run("R", record, "SAVE", fees=FEES)
    assert "fees" in refused.value.fields
    assert reload(record).total is None
