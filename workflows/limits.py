"""The bounds on what a case and a process may hold, and the checks that enforce them.

Every number here is documented in the README's "Limits" table with its reason. The contract's
models apply them, so the API answers 422 and the workflow refuses the command
(`CommandInvalidError`) with the same words. Pure: no I/O.

Why bounds at all: a case's state rides in every answer to a command and in the input of a
continued-as-new run, and a workflow task must stay far below what Temporal accepts (2 MB a
payload, 4 MB a gRPC message), however many commands arrive at once; and calendar arithmetic
must stay inside the years a `datetime` can hold.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

MAX_DURATION = timedelta(days=3653)
"""Ten years: the longest target, warning, escalation delay, pause cap or retry expiry."""
EARLIEST_INSTANT = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_INSTANT = datetime(9000, 1, 1, tzinfo=UTC)
"""Instants a request may name: well inside what Python and Temporal hold, with room for ten
years of business time after the latest."""
MAX_PAST_OPENING = timedelta(days=3653)
"""A case may be opened (back-dated) at most ten years ago."""
MAX_CLOCK_SKEW = timedelta(seconds=5)
"""How far ahead of the workflow's clock a command's `at` (or a case's `opened_at`) may lie: the
case system's clock and Temporal's are different machines'. The case's clock moves forward to
such an instant; anything later is refused."""

MAX_FIELDS = 100
MAX_FIELD_NAME = 100
MAX_FIELD_TEXT = 2000
MAX_FIELD_LIST = 100
MAX_FIELDS_BYTES = 32 * 1024
"""Case fields are what rules read (status, priority, owner, product), not the case's text."""

MAX_CONDITIONS = 50
"""Conditions in one `all` or `any` list, events in one `events` list, values in one `in`."""
MAX_TARGET_RULES = 20
MAX_ACTIONS = 10
"""Actions of one kind on one milestone (escalation levels included)."""
MAX_PARAMS_BYTES = 8 * 1024
MAX_PARAMS_DEPTH = 5
"""An action's parameters: a URL, addresses, a template, a few fields; never a document."""
MAX_PAUSES = 1000
"""Pauses over a case's life: each stays in its state and is read by every deadline."""
MAX_JSON_DEPTH = 32
"""Nesting of any JSON body the API reads."""


def bounded_duration(value: timedelta) -> timedelta:
    if value > MAX_DURATION:
        raise ValueError(
            f"{value} is longer than the 10 years (3653 days, 87672h) any duration may be"
        )
    return value


def bounded_instant(value: datetime) -> datetime:
    """An aware instant inside the years requests may name."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST_INSTANT <= utc < LATEST_INSTANT:
        raise ValueError(
            f"{value.isoformat()} is outside the instants a case can use: give one between "
            f"{EARLIEST_INSTANT:%Y-%m-%d} and {LATEST_INSTANT:%Y-%m-%d} (UTC)"
        )
    return value


def check_case_fields(fields: Mapping[str, Any]) -> None:
    """Raise `ValueError` naming the first bound the fields break."""
    if len(fields) > MAX_FIELDS:
        raise ValueError(f"a case holds at most {MAX_FIELDS} fields; this would be {len(fields)}")
    for name, value in fields.items():
        if not name or len(name) > MAX_FIELD_NAME:
            raise ValueError(f"field names are 1 to {MAX_FIELD_NAME} characters: {name[:40]!r}")
        values = value if isinstance(value, list) else [value]
        if isinstance(value, list) and len(value) > MAX_FIELD_LIST:
            raise ValueError(f"field {name!r} lists {len(value)} values; at most {MAX_FIELD_LIST}")
        for item in values:
            if isinstance(item, str) and len(item) > MAX_FIELD_TEXT:
                raise ValueError(
                    f"field {name!r} holds {len(item)} characters; at most {MAX_FIELD_TEXT}: "
                    "case fields are what rules read, keep long text in your case system"
                )
    size = len(json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_FIELDS_BYTES:
        raise ValueError(
            f"the case's fields would take {size} bytes; at most {MAX_FIELDS_BYTES} "
            "(32 KiB): keep long text in your case system"
        )


def check_params(params: Mapping[str, Any]) -> None:
    """An action's parameters: small, shallow JSON."""
    if _depth(params) > MAX_PARAMS_DEPTH:
        raise ValueError(f"params nest deeper than {MAX_PARAMS_DEPTH} levels")
    size = len(json.dumps(params, ensure_ascii=False, separators=(",", ":"), default=str))
    if size > MAX_PARAMS_BYTES:
        raise ValueError(f"params take {size} bytes; at most {MAX_PARAMS_BYTES} (8 KiB)")


def _depth(value: Any, level: int = 1) -> int:
    if level > MAX_PARAMS_DEPTH:
        return level  # deep enough to refuse: stop before recursion can
    children = (
        value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    )
    return max((_depth(child, level + 1) for child in children), default=level)


def check_name(value: str) -> str:
    """A name people and keys read: no control characters (PostgreSQL text holds no NUL)."""
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ValueError("must not contain control characters (tabs, newlines, NUL)")
    return value


_ESCAPE = re.compile(rb"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")
_LONE = "a string holds a lone surrogate (\\ud800-\\udfff): send valid Unicode"


def unsafe_json_text(body: bytes) -> str | None:
    """Why a JSON document's strings can't be stored or sent on (a NUL, a lone surrogate, or
    nesting deeper than `MAX_JSON_DEPTH`), or None. Reads the raw text: it runs before parsing."""
    high_at = -1  # where the low half of the last high surrogate escape must stand
    for match in _ESCAPE.finditer(body):
        escape = match.group(1)
        code = int(escape[1:], 16) if len(escape) == 5 else -1
        if high_at >= 0:
            if match.start() != high_at or not 0xDC00 <= code <= 0xDFFF:
                return _LONE
            high_at = -1
        elif code == 0:
            return "a string holds a NUL character (\\u0000): remove it"
        elif 0xD800 <= code <= 0xDBFF:
            high_at = match.end()
        elif 0xDC00 <= code <= 0xDFFF:
            return _LONE
    if high_at >= 0:
        return _LONE
    if _nesting(body) > MAX_JSON_DEPTH:
        return f"the JSON nests deeper than {MAX_JSON_DEPTH} levels"
    return None


def _nesting(body: bytes) -> int:
    """The deepest nesting of arrays and objects, counting only brackets outside strings."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub(b"", body)):
        depth += 1 if bracket in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    return deepest
