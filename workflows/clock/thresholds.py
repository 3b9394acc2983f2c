"""Thresholds: the amounts of elapsed business time at which an instance's warnings, its breach
and its escalations fall due; and the clock passing them in order as time goes on, with the
actions they run and the `max_pause` resumes on the way. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from workflows.business_time import UNANSWERABLE
from workflows.case_state import Instance
from workflows.clock.core import human
from workflows.clock.pausing import PauseRules
from workflows.contract import (
    ActionKind,
    ActionRequest,
    ProcessMilestone,
    TimelineKind,
)

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


class ThresholdRules(PauseRules):
    """The clock as time passes: what is due next, and passing what is due by an instant."""

    def next_due(self) -> datetime | None:
        """The next instant at which anything is due: a threshold or a `max_pause` resume."""
        if self.closed:
            return None
        candidates = [due_at for _, _, due_at in self._pending()]
        if (resume_at := self._auto_resume_at()) is not None:
            candidates.append(resume_at)
        return min(candidates, default=None)

    def due_summary(self, due: datetime) -> str:
        """What is due at `due`, for the timer that waits for it (the Temporal UI shows it):
        "First Response warning due 2026-03-09 13:15Z"."""
        what = [_threshold_name(i, d) for i, d, at in self._pending() if at == due]
        if self._auto_resume_at() == due:
            what.append("auto-resume")
        if len(what) > 2:
            what = [*what[:2], f"{len(what) - 2} more"]
        return f"{', '.join(what) or 'nothing'} due {_short_instant(due)}"

    def advance(self, now: datetime) -> list[ActionRequest]:
        """Pass every threshold due at or before `now`, in order; the actions they run."""
        self._latest = max(self._latest, now)
        requests: list[ActionRequest] = []
        while not self.closed:
            pending = [(due_at, instance, due) for instance, due, due_at in self._pending()]
            resume_at = self._auto_resume_at()
            earliest = min((item[0] for item in pending), default=None)
            if (
                resume_at is not None
                and resume_at <= now
                and (earliest is None or resume_at <= earliest)
            ):
                self._resume(resume_at, "max_pause")
                self.state.applied_at = max(self.applied_at, resume_at)
                continue
            if earliest is None or earliest > now:
                break
            for due_at, instance, due in sorted(pending, key=lambda item: item[0]):
                if due_at == earliest:
                    requests.extend(self._pass(instance, due, due_at))
        return requests

    def _pending(self) -> Iterable[tuple[Instance, Due, datetime]]:
        for instance in self.state.instances:
            if instance.state != "active" or instance.fault is not None:
                continue
            try:
                dues = [
                    (due, self.time.instant_at(instance, due.elapsed))
                    for due in thresholds(
                        self.state.process.milestone(instance.milestone), instance.target
                    )
                    if due.key not in instance.fired
                ]
            except UNANSWERABLE as error:
                self._fault(instance, error)
                continue
            for due, due_at in dues:
                if due_at is not None:
                    yield instance, due, due_at

    def _pass(self, instance: Instance, due: Due, due_at: datetime) -> list[ActionRequest]:
        if not fire(instance, due.key, due_at):
            return []
        if due.kind == "violation" and due.n == 0:
            instance.violated_at = due_at
            self._log(due_at, "violated", instance, f"target {human(instance.target)} missed")
            return []
        milestone = self._milestone(instance)
        actions = (
            milestone.actions.warning if due.kind == "warning" else milestone.actions.violation
        )
        action = actions[due.n - 1]
        if due.kind == "warning" and instance.warned_at is None:
            instance.warned_at = due_at
        kind: TimelineKind = "warned" if due.kind == "warning" else "escalated"
        self._log(due_at, kind, instance, f"level {due.n}: {action.handler}")
        return [self._request(instance, due.kind, due.n, due_at, action.handler, action.params)]

    def _request(
        self,
        instance: Instance,
        kind: ActionKind,
        n: int,
        due_at: datetime,
        handler: str,
        params: dict[str, object],
    ) -> ActionRequest:
        state = self.state
        return ActionRequest(
            idempotency_key=f"{state.case_id}/{instance.milestone}/{instance.number}/{kind}/{n}",
            case_id=state.case_id,
            milestone=instance.milestone,
            instance=instance.number,
            kind=kind,
            n=n,
            handler=handler,
            params=params,
            due_at=due_at,
            target_at=self.target_at(instance),
            case_fields=dict(state.fields),
            process=state.process.name,
            process_version=state.process.version,
        )


def fire(instance: Instance, key: str, at: datetime) -> bool:
    """Mark threshold `key` passed; False if it already was (nothing is ever due twice)."""
    if key in instance.fired:
        return False
    instance.fired.append(key)
    instance.last_fired_at = max(at, instance.last_fired_at or at)
    return True


def _threshold_name(instance: Instance, due: Due) -> str:
    number = f" #{instance.number}" if instance.number > 1 else ""
    if due.kind == "violation":
        name = "target" if due.n == 0 else f"escalation {due.n}"
    else:
        name = due.kind if due.n == 1 else f"{due.kind} {due.n}"
    return f"{instance.milestone}{number} {name}"


def _short_instant(instant: datetime) -> str:
    """To the nearest second, and to the minute when that is exact: a summary, not a record."""
    utc = (instant + timedelta(microseconds=500_000)).replace(microsecond=0).astimezone(UTC)
    return utc.strftime("%Y-%m-%d %H:%MZ" if utc.second == 0 else "%Y-%m-%d %H:%M:%SZ")
