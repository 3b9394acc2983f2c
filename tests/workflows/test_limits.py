"""The bounds of README "Limits", as the contract and the clock apply them."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.helpers.stormhaven import premium, premium_case
from workflows.clock import CaseClock
from workflows.contract import (
    Action,
    CommandInvalidError,
    CommandRejectedError,
    CompleteMilestone,
    Pause,
    ProcessMilestone,
    RecordEvent,
    Resume,
    StartCase,
    UpdateCase,
)
from workflows.limits import MAX_JSON_DEPTH, MAX_PAUSES, unsafe_json_text

NOW = datetime(2026, 3, 9, 14, tzinfo=UTC)


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        ("1000000000h", "is longer than the 10 years"),
        ("99999999999h", "longer than any duration may be"),
        ("P999999999D", "is longer than the 10 years"),
        ("87673h", "is longer than the 10 years"),
        (10**30, "duration"),
    ],
)
def test_durations_longer_than_ten_years_are_refused(target: Any, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        ProcessMilestone.model_validate({"name": "Resolution", "target": target})
    assert ProcessMilestone.model_validate({"name": "Resolution", "target": "87672h"})


@pytest.mark.parametrize(
    "instant", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "1969-12-31T23:00Z"]
)
def test_instants_outside_the_years_a_case_uses_are_refused(instant: str) -> None:
    with pytest.raises(ValidationError, match="outside the instants a case can use"):
        CompleteMilestone.model_validate({"milestone": "Triage", "at": instant})


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"note": "x" * 2001}, "at most 2000"),
        ({f"f{n}": 1 for n in range(101)}, "at most 100 fields"),
        ({"tags": ["a"] * 101}, "at most 100"),
        ({"x" * 101: 1}, "field names are 1 to 100"),
        ({f"f{n}": "y" * 1990 for n in range(17)}, "at most 32768"),
    ],
)
def test_case_fields_past_their_bounds_are_refused(fields: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        UpdateCase(fields=fields)


@pytest.mark.parametrize(
    ("action", "problem"),
    [
        ({"handler": "webhook", "params": {"a": {"b": {"c": {"d": {"e": {}}}}}}}, "deeper"),
        ({"handler": "webhook", "params": {"url": "x" * 9000}}, "8 KiB"),
        ({"handler": "webhook", "params": {"secret": "case_system"}}, "case system only"),
        ({"handler": "case_update", "params": {"url": "https://x"}}, "remove params.url"),
        ({"handler": "escalate", "params": {"url": "https://x"}}, "remove params.url"),
    ],
)
def test_actions_past_their_bounds_are_refused(action: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        Action.model_validate(action)


def test_condition_lists_are_bounded() -> None:
    condition = {"field": "priority", "op": "in", "value": list(range(51))}
    with pytest.raises(ValidationError, match="at most 50 values"):
        ProcessMilestone.model_validate(
            {"name": "Triage", "target": "1h", "start_when": {"all": [condition]}}
        )
    many = [{"field": f"f{n}", "op": "exists"} for n in range(51)]
    with pytest.raises(ValidationError, match="at most 50 items"):
        ProcessMilestone.model_validate(
            {"name": "Triage", "target": "1h", "start_when": {"any": many}}
        )


@pytest.mark.parametrize("text", ["a\x00b", "line\nbreak", "tab\there"])
def test_names_and_reasons_refuse_control_characters(text: str) -> None:
    with pytest.raises(ValidationError, match="control characters"):
        Pause(reason=text)
    with pytest.raises(ValidationError, match="control characters"):
        RecordEvent(type=text)


def open_case(**fields: Any) -> CaseClock:
    return CaseClock.open_case(premium_case(**fields).model_copy(update={"opened_at": NOW}), NOW)


def test_the_clock_refuses_fields_that_would_overflow_the_case_together() -> None:
    clock = open_case(**{f"f{n}": "y" * 1950 for n in range(16)})
    with pytest.raises(CommandInvalidError, match="at most 32768"):
        clock.check(UpdateCase(fields={"more": "y" * 1950}), NOW)
    # Removing fields makes room.
    clock.check(UpdateCase(fields={"f0": None, "more": "y" * 1950}), NOW)


def test_a_case_takes_a_bounded_number_of_pauses() -> None:
    clock = open_case()
    at = NOW
    for _ in range(MAX_PAUSES):
        at += timedelta(minutes=1)
        clock.apply(Pause(reason="waiting"), at)
        clock.apply(Resume(), at)
    with pytest.raises(CommandRejectedError, match=f"paused {MAX_PAUSES} times"):
        clock.check(Pause(reason="again"), at)


def test_a_case_may_be_back_dated_ten_years_at_most() -> None:
    start = StartCase(
        case_id="OLD-1",
        process=premium(),
        calendars=premium_case().calendars,
        opened_at=NOW - timedelta(days=3654),
    )
    with pytest.raises(CommandInvalidError, match="more than 10 years ago"):
        CaseClock.open_case(start, NOW)


# ----------------------------------------------------------------------------- raw JSON text

SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)
TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=8) | st.builds(
    lambda a, s, b: a + s + b,
    st.text(max_size=3),
    SURROGATES | st.just("\x00"),
    st.text(max_size=3),
)
JSON = st.recursive(
    st.none() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=12,
)


def _oracle(value: Any, depth: int = 0) -> str | None:
    """The same judgement from the parsed value: every string encodable, no NUL, depth bound."""
    if isinstance(value, str):
        if "\x00" in value:
            return "NUL"
        try:
            value.encode()
        except UnicodeEncodeError:
            return "surrogate"
        return None
    if isinstance(value, list | dict):
        if depth + 1 > MAX_JSON_DEPTH:
            return "nests"
        items = list(value.items()) if isinstance(value, dict) else [(None, v) for v in value]
        for key, item in items:
            found = (_oracle(key, depth) if key is not None else None) or _oracle(item, depth + 1)
            if found:
                return found
    return None


@settings(max_examples=400, deadline=None)
@given(JSON, st.integers(0, 40))
# An escape inside a string, then a bracket inside the next one: found by this test, once.
@example(["\x1f", "{"], 31)
def test_raw_json_text_is_judged_as_its_parsed_value_would_be(value: Any, wrap: int) -> None:
    wrapped = value
    for _ in range(wrap):
        wrapped = [wrapped]
    body = json.dumps(wrapped).encode()  # ASCII: every non-ASCII character escaped
    assert (unsafe_json_text(body) is None) == (_oracle(wrapped) is None)
    assert unsafe_json_text(json.dumps(wrapped, indent=1).encode()) == unsafe_json_text(body)
