"""The value types of the contract: durations as people write SLA targets ('1h30m', 'PT1H'),
bounded to ten years; the instants a request may name; labels and calendar names without control
characters. Pure: no I/O."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field

from workflows.limits import bounded_duration, bounded_instant, check_name

_COMPACT_DURATION = re.compile(r"^\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$")


def _parse_duration(value: Any) -> Any:
    """Accept `"1h30m"`, `"45m"`, ISO 8601 (`"PT1H"`), seconds, or a timedelta."""
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ("P", "p", "-") or ":" in text:
            return text  # ISO 8601 or [-][DD ]HH:MM:SS, parsed by pydantic
        if re.search(r"\d\s*[dw]\b", text):
            raise ValueError(
                f"{value!r}: write business durations in hours and minutes ('8h' for an 8-hour "
                "business day); a day or week of business time depends on the calendar"
            )
        match = _COMPACT_DURATION.match(text)
        if match is None or not any(match.groups()):
            raise ValueError(
                f"{value!r} is not a duration: write '1h30m', '45m', '90s' or ISO 8601 'PT1H30M'"
            )
        hours, minutes, seconds = (int(part or 0) for part in match.groups())
        try:
            return timedelta(hours=hours, minutes=minutes, seconds=seconds)
        except OverflowError:
            raise ValueError(f"{value!r} is longer than any duration may be (10 years)") from None
    return value


def _not_negative(value: timedelta) -> timedelta:
    if value < timedelta(0):
        raise ValueError(f"duration must not be negative, got {value}")
    return value


Duration = Annotated[
    timedelta,
    BeforeValidator(_parse_duration),
    AfterValidator(_not_negative),
    AfterValidator(bounded_duration),
]
"""A duration of business time in the milestone's calendar, at most 10 years."""

Instant = Annotated[AwareDatetime, AfterValidator(bounded_instant)]
"""An aware instant a request may name (1970 to 9000 UTC)."""
Label = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(check_name)]
"""A short name or reason: no control characters."""
CalendarName = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(check_name)]
"""A business-hours calendar's name, as processes refer to it."""


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("a target must be longer than zero")
    return value


TargetDuration = Annotated[Duration, AfterValidator(_positive)]
