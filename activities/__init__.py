"""Action handlers: one Temporal activity per handler name, each taking an `ActionRequest`."""

from typing import Any

ACTIVITIES: list[Any] = []
