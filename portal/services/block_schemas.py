"""Declared input of the block endpoints and settings (pydantic v2).

The same models validate the JSON API and the settings form, so a rule (a unit,
a range of days) lives in one place. ``parse(Model, data)`` turns pydantic's
errors into the portal's ValidationError with dotted field names.
"""
from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator
from pydantic import ValidationError as PydanticValidationError

from ..workflow.blockrules import OVERDUE_UNITS
from ..workflow.errors import ValidationError

Days = Field(ge=1, le=3660)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    flat: ClassVar[bool] = False  # error names follow the JSON paths (portal.api.validation)


class DemeritRowIn(Strict):
    group: str = Field(min_length=1, max_length=40, description='a patron group, "partner" or "all"')
    kind: Literal["copy", "loan", "all"]
    regular: StrictInt = Field(ge=0, le=1000)
    recalled: StrictInt = Field(ge=0, le=1000)


class DemeritSettings(Strict):
    enabled: StrictBool
    history_days: StrictInt = Days
    threshold: StrictInt = Field(ge=0, le=100000)
    suspension_days: StrictInt = Days
    points: list[DemeritRowIn] | None = Field(default=None, max_length=200)

    @field_validator("points")
    @classmethod
    def one_row_per_group_and_kind(cls, rows):
        keys = [(r.group, r.kind) for r in rows or []]
        if len(keys) != len(set(keys)):
            raise ValueError("Each group and kind may have one row only.")
        return rows


class OverdueSettings(Strict):
    unit: Literal[OVERDUE_UNITS]  # type: ignore[valid-type]
    value: StrictInt = Field(default=0, ge=0, le=3660)
    cumulative: StrictBool = False
    max_days: StrictInt | None = Field(default=None, ge=1, le=3660)
    max_per_block: StrictBool = True


class CalendarSettings(Strict):
    closed_weekdays: list[StrictInt] = Field(default_factory=list, max_length=6,
                                             description="0 = Monday … 6 = Sunday; at least one open day")
    public_holidays: StrictBool = True
    closed_dates: list[date] | None = Field(default=None, max_length=1000)

    @field_validator("closed_weekdays")
    @classmethod
    def weekdays(cls, days):
        if any(not 0 <= d <= 6 for d in days):
            raise ValueError("Weekdays are 0 (Monday) to 6 (Sunday).")
        return days


class BlockSettings(Strict):
    demerits: DemeritSettings | None = None
    overdue: OverdueSettings | None = None
    calendar: CalendarSettings | None = None


class NewBlock(Strict):
    patron: str | None = Field(default=None, max_length=64)
    library: str | None = Field(default=None, max_length=20)
    definition: str = Field(min_length=1, max_length=20)
    note: str | None = Field(default=None, max_length=2000)
    expires: date | None = None


class LiftBlock(Strict):
    reason: str = Field(min_length=1, max_length=2000)


MESSAGES = {
    "missing": "This field is required.",
    "extra_forbidden": "Unknown field.",
    "bool_type": "Must be true or false.",
    "int_type": "Must be a whole number.",
    "string_type": "Must be a string.",
    "literal_error": "Not one of the allowed values.",
    "date_from_datetime_parsing": "Must be a date like 2026-04-01.",
    "date_parsing": "Must be a date like 2026-04-01.",
    "date_type": "Must be a date like 2026-04-01.",
    "list_type": "Must be a list.",
    "model_type": "Must be an object.",
    "dict_type": "Must be an object.",
    "too_long": "Too many items." ,
    "string_too_long": "Is too long.",
    "string_too_short": "This field is required.",
    "greater_than_equal": "Is too small.",
    "less_than_equal": "Is too large.",
}


def parse(model: type[BaseModel], data) -> BaseModel:
    """The validated model, or ValidationError naming each bad field (``demerits.points.0.kind``)."""
    if not isinstance(data, dict):
        raise ValidationError({"body": "The body must be a JSON object."}, "The body must be a JSON object.")
    try:
        return model.model_validate(data)
    except PydanticValidationError as error:
        fields = {}
        for item in error.errors():
            name = ".".join(str(part) for part in item["loc"]) or "body"
            if item["type"] == "value_error":
                message = str(item.get("ctx", {}).get("error") or item["msg"])
            else:
                message = MESSAGES.get(item["type"], "Is not valid.")
            fields.setdefault(name, message)
        raise ValidationError(fields) from None
