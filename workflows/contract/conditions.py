"""Case fields and the conditions on them: data, never code. Pure: no I/O."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from workflows.limits import MAX_CONDITIONS, check_case_fields
from workflows.values import Label

Scalar = str | int | float | bool | None
FieldValue = Scalar | list[str | int | float | bool]
CaseFields = dict[str, FieldValue]


def _bounded_fields(fields: CaseFields) -> CaseFields:
    check_case_fields(fields)
    return fields


CaseFieldsGiven = Annotated[CaseFields, AfterValidator(_bounded_fields)]
"""Case fields as a caller sends them: bounded (README "Limits")."""

Operator = Literal["eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "exists", "changed_to"]
OPERATORS: tuple[Operator, ...] = (
    "eq",
    "ne",
    "in",
    "not_in",
    "gt",
    "gte",
    "lt",
    "lte",
    "exists",
    "changed_to",
)


class Condition(BaseModel):
    """One test of a case field: `{"field": "priority", "op": "eq", "value": "High"}`.

    `changed_to` holds only on the update that changed the field to the value; `exists` tests that
    the field is present and not null (`"value": false` tests the opposite).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str = Field(min_length=1, max_length=100)
    op: Operator
    value: FieldValue = None

    @model_validator(mode="after")
    def _value_fits_operator(self) -> Self:
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f'\'{self.op}\' needs a list value, e.g. ["High", "Urgent"]')
        if isinstance(self.value, list) and len(self.value) > MAX_CONDITIONS:
            raise ValueError(f"'{self.op}' takes at most {MAX_CONDITIONS} values")
        if self.op not in ("in", "not_in") and isinstance(self.value, list):
            raise ValueError(f"'{self.op}' compares with one value, not a list: use 'in'")
        if self.op in ("gt", "gte", "lt", "lte") and (
            self.value is None or isinstance(self.value, bool)
        ):
            raise ValueError(f"'{self.op}' needs a number or a string to compare with")
        if self.op == "exists" and not isinstance(self.value, bool | None):
            raise ValueError("'exists' takes true, false or no value")
        return self


class Criteria(BaseModel):
    """Conditions on case fields and case events; data, never code.

    Holds when every `all` condition holds, at least one `any` condition holds (if there are any),
    and, when `events` are named, the case event being recorded is one of them. Empty criteria
    always hold.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    all: list[Condition] = Field(default_factory=list, max_length=MAX_CONDITIONS)
    any: list[Condition] = Field(default_factory=list, max_length=MAX_CONDITIONS)
    events: list[Label] = Field(default_factory=list, max_length=MAX_CONDITIONS)

    @property
    def is_empty(self) -> bool:
        return not (self.all or self.any or self.events)

    @property
    def is_edge(self) -> bool:
        """Whether it names a moment (an event, a change) rather than a state."""
        return bool(self.events) or any(
            condition.op == "changed_to" for condition in (*self.all, *self.any)
        )


def _state_criteria(criteria: Criteria | None) -> Criteria | None:
    if criteria is not None and criteria.is_edge:
        raise ValueError("these criteria describe a state: use no events and no 'changed_to'")
    return criteria


StateCriteria = Annotated[Criteria, AfterValidator(_state_criteria)]
