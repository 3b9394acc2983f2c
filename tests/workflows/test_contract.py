"""The data contract's own validation: what a process, a condition or a case may be, and the
messages that say what to fix."""

import re
from datetime import timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from workflows.contract import (
    Condition,
    EntitlementProcess,
    StartCase,
)
from workflows.values import Duration

DURATION: TypeAdapter[timedelta] = TypeAdapter(Duration)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("45m", timedelta(minutes=45)),
        ("90s", timedelta(seconds=90)),
        ("PT1H", timedelta(hours=1)),
        ("01:00:00", timedelta(hours=1)),
        (3600, timedelta(hours=1)),
    ],
)
def test_durations_in_every_accepted_form(text: Any, expected: timedelta) -> None:
    assert DURATION.validate_python(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1d", "write business durations in hours and minutes ('8h' for an 8-hour business day)"),
        ("soon", "'soon' is not a duration: write '1h30m', '45m', '90s' or ISO 8601 'PT1H30M'"),
        ("-PT1H", "duration must not be negative"),
    ],
)
def test_bad_durations_say_what_to_write(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        DURATION.validate_python(text)


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"field": "priority", "op": "in", "value": "High"}, "'in' needs a list value"),
        ({"field": "priority", "op": "eq", "value": ["High"]}, "not a list: use 'in'"),
        ({"field": "age", "op": "gt", "value": None}, "'gt' needs a number or a string"),
        ({"field": "x", "op": "exists", "value": 3}, "'exists' takes true, false or no value"),
        ({"field": "x", "op": "matches", "value": "a"}, "Input should be 'eq', 'ne', 'in'"),
    ],
)
def test_conditions_are_data_with_checked_operators(
    condition: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        Condition.model_validate(condition)


def process(**milestone: Any) -> dict[str, Any]:
    return {"name": "P", "milestones": [{"name": "First Response", "target": "1h", **milestone}]}


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        (process(target="0m"), "a target must be longer than zero"),
        (process(target=[]), "give a target duration or at least one target rule"),
        (
            process(actions={"warning": [{"handler": "webhook", "before_target": "1h"}]}),
            "fires 1:00:00 before a target of 1:00:00: that is at or before the start",
        ),
        (
            process(actions={"warning": [{"handler": "webhook"}]}),
            "a warning needs exactly one of before_target or at_percent",
        ),
        (process(name="Reply/Update"), "String should match pattern"),
        (
            {"name": "P", "milestones": [{"name": "A", "target": "1h"}] * 2},
            "milestone 'A' appears twice: names are unique",
        ),
        (
            {"name": "P", "milestones": [{"name": f"M{n}", "target": "1h"} for n in range(26)]},
            "at most 25 items",
        ),
        (
            {**process(), "pause_when": {"events": ["customer_replied"]}},
            "these criteria describe a state: use no events and no 'changed_to'",
        ),
    ],
)
def test_a_process_the_workflow_could_not_run_is_rejected(
    definition: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        EntitlementProcess.model_validate(definition)


def test_a_case_brings_every_calendar_its_process_names() -> None:
    with pytest.raises(ValidationError, match="business hours 'Office' are named by process 'P'"):
        StartCase.model_validate(
            {"case_id": "C-1", "process": {**process(), "business_hours": "Office"}}
        )
