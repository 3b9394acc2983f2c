"""Evaluation of `Criteria` against case fields and case events. Pure; no I/O.

Comparisons never raise: a missing field, or a value of another type (a number compared with a
string), simply does not match, so a case system sending odd data cannot fail a case workflow.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from workflows.contract import CaseFields, Condition, Criteria, FieldValue, ProcessMilestone


def condition_holds(condition: Condition, fields: CaseFields, previous: CaseFields) -> bool:
    """Whether one condition holds for `fields` (with `previous`, the fields before this change)."""
    present = fields.get(condition.field) is not None
    value = fields.get(condition.field)
    expected = condition.value
    match condition.op:
        case "eq":
            return present and _equal(value, expected)
        case "ne":
            return not (present and _equal(value, expected))
        case "in":
            return present and _member(value, expected)
        case "not_in":
            return not (present and _member(value, expected))
        case "gt" | "gte" | "lt" | "lte":
            return present and _ordered(condition.op, value, expected)
        case "exists":
            return present is (expected is None or expected is True)
        case "changed_to":
            before = previous.get(condition.field)
            return present and _equal(value, expected) and not _equal(before, expected)
    return False  # pragma: no cover - the operator set is closed


def criteria_hold(
    criteria: Criteria, fields: CaseFields, previous: CaseFields, event: str | None
) -> bool:
    """Whether `criteria` hold now; events match only the event being recorded (if any)."""
    if criteria.events and event not in criteria.events:
        return False
    if not all(condition_holds(c, fields, previous) for c in criteria.all):
        return False
    return not criteria.any or any(condition_holds(c, fields, previous) for c in criteria.any)


def target_for(milestone: ProcessMilestone, fields: CaseFields) -> timedelta | None:
    """The target the case's fields select for `milestone`: its duration, or the first target
    rule that holds; None when no rule matches."""
    if isinstance(milestone.target, timedelta):
        return milestone.target
    for rule in milestone.target:
        if criteria_hold(rule.when, fields, fields, None):
            return rule.target
    return None


def state_conditions_fail(criteria: Criteria, fields: CaseFields) -> bool:
    """Whether the state part of `criteria` (conditions other than `changed_to`) no longer holds.

    Events and `changed_to` name moments, not states, so they never make criteria stop holding.
    """
    state_all = [c for c in criteria.all if c.op != "changed_to"]
    state_any = [c for c in criteria.any if c.op != "changed_to"]
    if not all(condition_holds(c, fields, fields) for c in state_all):
        return True
    edge_any = len(state_any) != len(criteria.any)
    return (
        bool(state_any)
        and not edge_any
        and not any(condition_holds(c, fields, fields) for c in state_any)
    )


def describe(criteria: Criteria) -> str:
    """A short human reading of criteria, for pause reasons and logs."""
    parts = [_describe(c) for c in criteria.all]
    if criteria.any:
        parts.append("(" + " or ".join(_describe(c) for c in criteria.any) + ")")
    if criteria.events:
        parts.append("event " + " or ".join(criteria.events))
    return " and ".join(parts) or "always"


def _describe(condition: Condition) -> str:
    return f"{condition.field} {condition.op} {condition.value!r}"


def _equal(value: FieldValue, expected: FieldValue) -> bool:
    if isinstance(value, bool) or isinstance(expected, bool):
        return value is expected
    return value == expected


def _member(value: FieldValue, options: FieldValue) -> bool:
    assert isinstance(options, list)
    values = value if isinstance(value, list) else [value]
    return any(_equal(v, option) for v in values for option in options)


def _ordered(op: str, value: FieldValue, expected: FieldValue) -> bool:
    numbers = (int, float)
    comparable = (
        isinstance(value, numbers)
        and isinstance(expected, numbers)
        and not isinstance(value, bool)
        and not isinstance(expected, bool)
    ) or (isinstance(value, str) and isinstance(expected, str))
    if not comparable:
        return False
    left: Mapping[str, bool] = {
        "gt": value > expected,  # type: ignore[operator]
        "gte": value >= expected,  # type: ignore[operator]
        "lt": value < expected,  # type: ignore[operator]
        "lte": value <= expected,  # type: ignore[operator]
    }
    return left[op]
