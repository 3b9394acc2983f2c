"""The thresholds of a milestone instance: the amounts of elapsed business time at which its
warnings, its breach and its escalations fall due. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from workflows.contract import ActionKind, ProcessMilestone

ZERO = timedelta(0)


@dataclass(frozen=True, slots=True)
class Due:
    """A threshold of one instance: due when its elapsed business time reaches `elapsed`."""

    kind: ActionKind
    n: int
    """1-based among the milestone's actions of this kind; `violation/0` is the breach itself."""
    elapsed: timedelta

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.n}"


def thresholds(milestone: ProcessMilestone | None, target: timedelta) -> Iterator[Due]:
    """Every threshold of an instance of `milestone` with `target`: warnings (a warning whose
    point lies before the start is due at the start), the breach, then each escalation."""
    if milestone is None:
        return
    for n, warning in enumerate(milestone.actions.warning, start=1):
        if warning.before_target is not None:
            at = target - warning.before_target
        else:
            at = target * ((warning.at_percent or 0) / 100)
        yield Due("warning", n, max(at, ZERO))
    yield Due("violation", 0, target)
    for n, violation in enumerate(milestone.actions.violation, start=1):
        yield Due("violation", n, target + violation.after_target)
