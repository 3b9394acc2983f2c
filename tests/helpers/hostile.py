"""Hostile input for the fuzz tests of the HTTP API (schemathesis) and the console's forms
(hypothesis): text no case can store or no header may carry, numbers and instants past what
anything holds, and how to put one into a leaf of a JSON document."""

from typing import Any

HOSTILE_TEXT = [
    "\ud800",
    "a\udfffb",
    "x\x00y",
    "=?utf-8?q?Urgent=0D=0AReply-To:_attacker@evil.test?=",
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+23:59",
    "99999999999h",
    "P999999999D",
]
HOSTILE_NUMBERS = [10**30, -(10**30), 2**63, 1e308, -1e308]


def leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every text or number in a JSON document."""
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in leaves(item, (*path, key))]
    if isinstance(value, list):
        return [leaf for n, item in enumerate(value) for leaf in leaves(item, (*path, n))]
    return [path] if isinstance(value, str | int | float) and not isinstance(value, bool) else []


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    """The document with its leaf at `path` replaced by `new` (the original is left as it is)."""
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy


def has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(char) <= 0xDFFF for char in text)
