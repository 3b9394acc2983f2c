"""The states a case, a milestone instance and an action kind can be in: the words the tracker,
the records and the actions share. Pure: no I/O."""

from typing import Literal

SlaState = Literal["on_track", "at_risk", "violated", "paused", "done"]
"""A case's worst open state, or `done` once closed (the `SlaState` search attribute)."""
InstanceState = Literal["active", "paused", "completed", "cancelled"]
ActionKind = Literal["success", "warning", "violation"]
