"""Pausing a case: a pause is case-wide, by command or by the process's `pause_when` rule, and
`max_pause` resumes it by itself. While paused no instance's business time elapses. Pure.
"""

from __future__ import annotations

from datetime import datetime

from workflows.business_time import UNANSWERABLE, close_segment
from workflows.clock.core import ClockCore
from workflows.conditions import criteria_hold, describe
from workflows.contract import PauseEnd, PauseRecord


class PauseRules(ClockCore):
    """The clock's pauses: who pauses and resumes the case, and when a pause ends by itself."""

    def _apply_pause_rule(self, now: datetime) -> None:
        """Pause or resume as `pause_when` says after a change, unless a command overrode it."""
        rule = self.state.process.pause_when
        if rule is None:
            return
        holds = criteria_hold(rule, self.state.fields, self.state.fields, None)
        if not holds:
            self.state.rule_suppressed = False
        current = self.state.pauses[-1] if self.paused else None
        if holds and current is None and not self.state.rule_suppressed:
            self._pause(now, f"pause_when: {describe(rule)}", by_rule=True)
        elif not holds and current is not None and current.by_rule and not self.state.manual_pause:
            self._resume(now, "rule")

    def _pause(self, at: datetime, reason: str, by_rule: bool) -> None:
        self.state.pauses.append(PauseRecord(reason=reason, paused_at=at, by_rule=by_rule))
        self._log(at, "paused", None, reason)
        for instance in self.state.instances:
            if instance.state == "active":
                close_segment(instance, at)
                instance.state = "paused"

    def _resume(self, at: datetime, by: PauseEnd) -> None:
        current = self.state.pauses[-1]
        current.resumed_at = at
        current.resumed_by = by
        self._log(at, "resumed", None, f"by {by}")
        self.state.manual_pause = False
        rule = self.state.process.pause_when
        if rule is not None and criteria_hold(rule, self.state.fields, self.state.fields, None):
            # A `pause_when` rule that still holds is overridden until it stops holding.
            self.state.rule_suppressed = True
        for instance in self.state.instances:
            if instance.state == "paused":
                instance.state = "active"
                try:
                    self.time.open_segment(instance, max(at, instance.started_at))
                except UNANSWERABLE as error:
                    self._fault(instance, error)

    def _auto_resume_at(self) -> datetime | None:
        """When `max_pause` ends the current pause; None without a cap or a pause."""
        cap = self.state.process.max_pause
        if cap is None or not self.paused:
            return None
        return self.state.pauses[-1].paused_at + cap
