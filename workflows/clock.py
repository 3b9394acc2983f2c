"""The milestone clock: the pure state machine of one case's milestones.

Owns every rule of DESIGN.md "Time semantics" that involves a case: starting instances (with
recurrence and `start_from`), cancelling them, pausing (commands, `pause_when`, `max_pause`),
retargeting, completing, applying a new process version and closing; and, from that state, the
next instant at which anything is due and the actions due at an instant. Commands come in as the
contract's `Command` models: `check` says whether one can apply now (and changes nothing),
`apply` applies it. Pure: no Temporal, no I/O, never reads the clock; every change takes the
instant it happens at. The workflow feeds it `workflow.now()` and runs the actions it returns.

The state is `workflows.case_state`; the business-time arithmetic on segments is
`workflows.business_time`; what the tracker and the timeline show is `workflows.tracker`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from workflows.business_time import (
    ALWAYS_OPEN_KEY,
    UNANSWERABLE,
    BusinessTime,
    close_segment,
    pin_calendars,
)
from workflows.case_state import CaseState, Instance
from workflows.conditions import criteria_hold, describe, state_conditions_fail, target_for
from workflows.contract import (
    ActionKind,
    ActionRequest,
    ActionStatus,
    ApplyProcess,
    CaseFields,
    CaseOutcome,
    CaseTracker,
    Close,
    Command,
    CommandApplied,
    CommandInvalidError,
    CommandRejectedError,
    CompleteMilestone,
    Pause,
    PauseEnd,
    PauseRecord,
    ProcessMilestone,
    RecordEvent,
    Resume,
    SlaState,
    StartCase,
    TimelineEvent,
    TimelineKind,
    UpdateCase,
)
from workflows.limits import MAX_CLOCK_SKEW, MAX_PAST_OPENING, MAX_PAUSES, check_case_fields
from workflows.thresholds import Due, thresholds
from workflows.tracker import case_tracker, next_deadline, sla_state, timeline

RESOLUTION = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Applied:
    """What a command did: the actions it made due, the instance it completed (if any), and
    what happened, as timeline events."""

    requests: list[ActionRequest] = field(default_factory=list)
    completed: Instance | None = None
    changes: list[TimelineEvent] = field(default_factory=list)


class CaseClock:
    """The milestones of one case, advanced by commands and by time."""

    def __init__(self, state: CaseState) -> None:
        self.state = state
        self.time = BusinessTime(state.calendars)
        self._latest = max((event.at for event in state.timeline), default=state.opened_at)
        """The latest instant the clock was told of: when it learns of a fault."""

    @classmethod
    def open_case(cls, start: StartCase, now: datetime) -> CaseClock:
        """A clock for a case entering its process at `start.opened_at` (default `now`)."""
        opened_at = start.opened_at or now
        if opened_at > now + MAX_CLOCK_SKEW:
            raise CommandInvalidError(
                f"opened_at {opened_at.isoformat()} is in the future: give a past or present time"
            )
        if opened_at < now - MAX_PAST_OPENING:
            raise CommandInvalidError(
                f"opened_at {opened_at.isoformat()} is more than 10 years ago: a case may be "
                "back-dated by ten years at most"
            )
        clock = cls(
            CaseState(
                case_id=start.case_id,
                fields=dict(start.fields),
                opened_at=opened_at,
                process=start.process,
                calendars=pin_calendars(start.calendars, opened_at),
                entitlement=start.entitlement,
            )
        )
        clock._log(opened_at, "opened", None, _opening_words(start))
        clock._on_change(opened_at, previous={}, event=None)
        return clock

    # ------------------------------------------------------------------------------- queries

    @property
    def closed(self) -> bool:
        return self.state.closed_at is not None

    @property
    def paused(self) -> bool:
        return self.state.paused

    def instance(self, name: str) -> Instance | None:
        """The latest instance of milestone `name` (case-insensitive)."""
        key = name.casefold()
        found = [i for i in self.state.instances if i.milestone.casefold() == key]
        return found[-1] if found else None

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

    def tracker(self, now: datetime, *, asked: bool = False) -> CaseTracker:
        return case_tracker(self.state, self.time, now, asked=asked)

    def sla_state(self, now: datetime) -> SlaState:
        return sla_state(self.state, now)

    def next_deadline(self, *, overdue: bool = True) -> datetime | None:
        return next_deadline(self.state, self.time, overdue=overdue)

    def timeline(self) -> list[TimelineEvent]:
        return timeline(self.state)

    def outcome(self) -> CaseOutcome:
        state = self.state
        return CaseOutcome(
            case_id=state.case_id,
            process=state.process.name,
            process_version=state.process.version,
            opened_at=state.opened_at,
            closed_at=state.closed_at,
            breached=state.breached,
            milestones=len(state.instances),
        )

    # ---------------------------------------------------------------------------------- time

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

    # ------------------------------------------------------------------------------ commands

    @property
    def applied_at(self) -> datetime:
        """The latest instant a command (or `max_pause`'s own resume) was applied at: the case
        applies nothing dated earlier, so its history never needs rewriting."""
        return self.state.applied_at or self.state.opened_at

    def instant_of(self, command: Command, now: datetime) -> datetime:
        """The instant `command` applies at: its `at`, or `now` when it has none; raise
        `CommandRejectedError`, stating the bounds, when the case cannot apply it then."""
        at = command.at
        if at is None:
            return max(now, self.applied_at)
        if at < self.applied_at:
            raise CommandRejectedError(
                f"'at' {at.isoformat()} is before {self.applied_at.isoformat()}, the last instant "
                "this case applied: send its commands in the order they happened, or without 'at'"
            )
        if at > now + MAX_CLOCK_SKEW:
            raise CommandRejectedError(
                f"'at' {at.isoformat()} is more than {MAX_CLOCK_SKEW.total_seconds():g} s ahead "
                f"of the case's clock ({now.isoformat()}): give a past or present instant"
            )
        return at

    def check(self, command: Command, now: datetime) -> None:
        """Raise `CommandRejectedError` (or `CommandInvalidError`) with the reason `command`
        cannot apply at `now`; change nothing."""
        self._check_open()
        at = self.instant_of(command, now)
        match command:
            case CompleteMilestone():
                self._completable(command, at, now)
            case Pause() if self.paused:
                current = self.state.pauses[-1]
                raise CommandRejectedError(
                    f"the case is already paused since {current.paused_at.isoformat()} "
                    f"({current.reason}): resume it first"
                )
            case Pause() if len(self.state.pauses) >= MAX_PAUSES:
                raise CommandRejectedError(
                    f"the case has been paused {MAX_PAUSES} times, the most one case may be: "
                    "close it and open a new one"
                )
            case UpdateCase() | Close():
                self._check_fields(command.fields)
            case Resume() if not self.paused:
                raise CommandRejectedError("the case is not paused: there is nothing to resume")
            case ApplyProcess():
                current_process = self.state.process
                if command.process.name != current_process.name:
                    raise CommandInvalidError(
                        f"the case runs process {current_process.name!r}; "
                        f"{command.process.name!r} is another process"
                    )
                if command.process.version == current_process.version:
                    raise CommandRejectedError(
                        f"the case already runs version {command.process.version}"
                    )

    def apply(self, command: Command, now: datetime) -> Applied:
        """Apply `command` as of its instant (`at`, default `now`), after passing what was due
        before that; then pass what its change makes due by `now`."""
        self.check(command, now)
        at = self.instant_of(command, now)
        end = max(at, now)
        self._latest = max(self._latest, end)
        self.state.applied_at = at
        logged = len(self.state.timeline)
        completed = None
        match command:
            case CompleteMilestone():
                completed = self._completable(command, at, end)
                # Completing at target_at is on time: pass only what was due strictly before.
                requests = self.advance(at - RESOLUTION)
                requests += self._complete(completed, at)
                self._start_due_milestones(at, self.state.fields, event=None)
            case Pause():
                requests = self.advance(at)
                self.state.manual_pause = True
                self._pause(at, command.reason, by_rule=False)
            case Resume():
                # A `pause_when` rule that still holds is overridden until it stops holding.
                requests = self.advance(at)
                self._resume(at, "command")
            case UpdateCase():
                requests = self._update_fields(command.fields, at)
            case RecordEvent():
                requests = self.advance(at)
                requests += self._on_change(at, dict(self.state.fields), event=command.type)
            case ApplyProcess():
                requests = self._apply_process(command, at)
            case Close():
                # The last field changes apply first (their rules fire), then the process exits.
                fields = command.fields
                requests = self._update_fields(fields, at) if fields else self.advance(at)
                if not self.closed:
                    self._exit(at, "case closed")
            case _:
                raise CommandInvalidError(f"unknown command {type(command).__name__}")
        requests += self.advance(end)
        return Applied(requests, completed, self.state.timeline[logged:])

    def answer(self, command: Command, applied: Applied, now: datetime) -> CommandApplied:
        """The short answer to a command `apply` applied."""
        completed = applied.completed
        return CommandApplied(
            command=command.update_name,
            at=self.applied_at,
            changes=applied.changes,
            sla_state=self.sla_state(now),
            next_deadline=self.next_deadline(),
            milestone=completed.milestone if completed else None,
            instance=completed.number if completed else None,
            completed_late=completed.violated if completed else None,
        )

    def _check_fields(self, changes: CaseFields) -> None:
        merged = {**self.state.fields, **changes}
        try:
            check_case_fields({name: value for name, value in merged.items() if value is not None})
        except ValueError as error:
            raise CommandInvalidError(str(error)) from None

    def _check_open(self) -> None:
        if self.state.closed_at is not None:
            raise CommandRejectedError(
                f"case {self.state.case_id!r} was closed at {self.state.closed_at.isoformat()}: "
                "it takes no more commands"
            )

    def _completable(self, command: CompleteMilestone, at: datetime, now: datetime) -> Instance:
        """The instance `command` would complete at `at`, or why it cannot."""
        name = command.milestone
        milestone = self.state.process.milestone(name)
        if milestone is None:
            known = ", ".join(repr(m.name) for m in self.state.process.milestones)
            raise CommandInvalidError(f"unknown milestone {name!r}: this case's are {known}")
        instance = self.instance(milestone.name)
        if instance is None:
            raise CommandRejectedError(f"milestone {milestone.name!r} has not started on this case")
        if not instance.open:
            raise CommandRejectedError(
                f"milestone {milestone.name!r} is already {instance.state} "
                f"(instance {instance.number}, at {(instance.ended_at or now).isoformat()})"
            )
        if at < instance.started_at:
            begun = "starts" if instance.started_at > now else "started"
            raise CommandRejectedError(
                f"milestone {milestone.name!r} instance {instance.number} {begun} at "
                f"{instance.started_at.isoformat()}: it cannot be completed before then"
            )
        if instance.last_fired_at is not None and at < instance.last_fired_at:
            raise CommandRejectedError(
                f"'at' {at.isoformat()} is before {instance.last_fired_at.isoformat()}, when "
                f"milestone {milestone.name!r} already ran actions: give a later time"
            )
        return instance

    def _update_fields(self, changes: CaseFields, now: datetime) -> list[ActionRequest]:
        """Apply changed case fields (None removes a field) and every rule they trigger."""
        requests = self.advance(now)
        previous = dict(self.state.fields)
        for name, value in changes.items():
            if value is None:
                self.state.fields.pop(name, None)
            else:
                self.state.fields[name] = value
        requests += self._on_change(now, previous, event=None)
        return requests + self.advance(now)

    def _apply_process(self, command: ApplyProcess, now: datetime) -> list[ActionRequest]:
        """Move to another version: elapsed time, pauses and breaches stay; targets follow the
        new rules; remaining time counts in the new calendars."""
        process = command.process
        requests = self.advance(now)
        self._log(
            now,
            "process_applied",
            None,
            f"version {self.state.process.version} -> {process.version}",
        )
        self.state.process = process
        self.state.calendars = {
            **self.state.calendars,
            **pin_calendars(command.calendars, self.state.opened_at),
        }
        self.time = BusinessTime(self.state.calendars)
        for instance in self.state.instances:
            if not instance.open:
                continue
            milestone = process.milestone(instance.milestone)
            if milestone is None:
                self._cancel(instance, now, f"removed by version {process.version}")
                continue
            calendar = self._calendar_key(milestone)
            if calendar != instance.calendar:
                self.time.switch_calendar(instance, calendar, now)
            new_target = target_for(milestone, self.state.fields)
            if new_target is not None:
                self._retarget(instance, new_target, now)
        requests += self._on_change(now, dict(self.state.fields), event=None)
        return requests + self.advance(now)

    # ------------------------------------------------------------------------------- actions

    def action_started(self, request: ActionRequest, at: datetime) -> None:
        """Record that the workflow started running `request`."""
        self._instance_of(request).actions.append(
            ActionStatus(
                kind=request.kind,
                n=request.n,
                handler=request.handler,
                idempotency_key=request.idempotency_key,
                due_at=request.due_at,
                started_at=at,
            )
        )

    def action_finished(
        self, key: str, *, delivered: bool, attempts: int, error: str | None, at: datetime
    ) -> None:
        """Record the outcome of a delivery; a failed one stays visible to ops."""
        for instance in self.state.instances:
            for action in instance.actions:
                if action.idempotency_key == key:
                    action.status = "delivered" if delivered else "failed"
                    action.attempts = attempts
                    action.error = error
                    action.finished_at = at
                    if not delivered:
                        self._log(at, "action_failed", instance, f"{key}: {error}")
                    return

    def background_failed(self, detail: str, at: datetime) -> None:
        """Work the workflow does beside the clock (a record write) failed for good: the
        timeline says so, for ops."""
        self._log(at, "fault", None, detail)

    def expires_after(self, request: ActionRequest) -> timedelta | None:
        """How long the action may be retried, as configured on it."""
        milestone = self.state.process.milestone(request.milestone)
        if milestone is None:
            return None
        actions = getattr(milestone.actions, request.kind)
        return actions[request.n - 1].expires_after if request.n <= len(actions) else None

    def _instance_of(self, request: ActionRequest) -> Instance:
        return next(
            i
            for i in self.state.instances
            if i.milestone == request.milestone and i.number == request.instance
        )

    # --------------------------------------------------------------------------------- rules

    def _on_change(
        self, now: datetime, previous: CaseFields, event: str | None
    ) -> list[ActionRequest]:
        """Re-evaluate every rule after fields changed or an event was recorded."""
        state = self.state
        fields = state.fields
        requests: list[ActionRequest] = []
        for instance in state.instances:
            if not instance.open:
                continue
            milestone = state.process.milestone(instance.milestone)
            assert milestone is not None
            complete_when = milestone.complete_when
            if (
                complete_when is not None
                and instance.started_at <= now
                and criteria_hold(complete_when, fields, previous, event)
            ):
                requests += self._complete(instance, now)
            elif state_conditions_fail(milestone.start_when, fields):
                self._cancel(instance, now, "start conditions no longer hold")
            elif (new_target := target_for(milestone, fields)) is not None:
                self._retarget(instance, new_target, now)
        self._start_due_milestones(now, previous, event)
        self._apply_pause_rule(now)
        exit_when = state.process.exit_when
        if exit_when is not None and criteria_hold(exit_when, fields, previous, None):
            self._exit(now, f"exit_when: {describe(exit_when)}")
        return requests

    def _start_due_milestones(self, now: datetime, previous: CaseFields, event: str | None) -> None:
        """Start every milestone whose start criteria hold and that may (re)start now."""
        for milestone in self.state.process.milestones:
            last = self.instance(milestone.name)
            if last is not None and last.open:
                continue
            if milestone.recurrence == "none" and last is not None and last.state == "completed":
                continue
            if not criteria_hold(milestone.start_when, self.state.fields, previous, event):
                continue
            target = target_for(milestone, self.state.fields)
            if target is None:
                continue
            self._start(milestone, target, now, last)

    def _start(
        self,
        milestone: ProcessMilestone,
        target: timedelta,
        now: datetime,
        last: Instance | None,
    ) -> Instance:
        state = self.state
        calendar = self._calendar_key(milestone)
        if milestone.start_from == "process" and last is None:
            started_at = state.opened_at
        elif milestone.recurrence == "sequential" and last is not None:
            previous_target = self._target_at(last)
            started_at = max(now, previous_target) if previous_target else now
        else:
            started_at = now
        instance = Instance(
            milestone=milestone.name,
            number=(last.number + 1) if last else 1,
            started_at=started_at,
            target=target,
            calendar=calendar,
            state="paused" if self.paused else "active",
            color=milestone.color,
            reporting_category=milestone.reporting_category,
            priority_at_start=self._priority(),
        )
        instance.segments = self.time.running_segments(state.pauses, started_at, calendar)
        state.instances.append(instance)
        origin = "process entry" if started_at == state.opened_at else "criteria"
        self._log(started_at, "started", instance, f"target {_human(target)}, from {origin}")
        return instance

    def _complete(self, instance: Instance, at: datetime) -> list[ActionRequest]:
        reached = self._target_at(instance)
        if instance.violated_at is None and reached is not None and at > reached:
            instance.violated_at = reached
        close_segment(instance, at)
        instance.state = "completed"
        instance.completed_at = at
        instance.priority_at_end = self._priority()
        late = (
            f"late by {_human(at - reached)}" if reached is not None and at > reached else "on time"
        )
        self._log(at, "completed", instance, late)
        milestone = self.state.process.milestone(instance.milestone)
        assert milestone is not None
        return [
            self._request(instance, "success", n, at, action.handler, action.params)
            for n, action in enumerate(milestone.actions.success, start=1)
            if _fire(instance, f"success/{n}", at)
        ]

    def _cancel(self, instance: Instance, at: datetime, reason: str) -> None:
        close_segment(instance, at)
        instance.state = "cancelled"
        instance.cancelled_at = at
        instance.priority_at_end = self._priority()
        instance.cancel_reason = reason
        self._log(at, "cancelled", instance, reason)

    def _exit(self, now: datetime, reason: str) -> None:
        for instance in self.state.instances:
            if instance.open:
                self._cancel(instance, now, reason)
        if self.paused:
            self.state.pauses[-1].resumed_at = now
            self.state.pauses[-1].resumed_by = "close"
        self.state.closed_at = now
        self._log(now, "closed", None, reason)

    def _priority(self) -> str | None:
        priority = self.state.fields.get("priority")
        return None if priority is None else str(priority)

    def _calendar_key(self, milestone: ProcessMilestone) -> str:
        return milestone.business_hours or self.state.process.business_hours or ALWAYS_OPEN_KEY

    def _retarget(self, instance: Instance, target: timedelta, at: datetime) -> None:
        if target != instance.target:
            self._log(
                at, "retargeted", instance, f"target {_human(instance.target)} -> {_human(target)}"
            )
            instance.target = target

    def _log(
        self, at: datetime, kind: TimelineKind, instance: Instance | None, detail: str = ""
    ) -> None:
        self.state.timeline.append(
            TimelineEvent(
                at=at,
                kind=kind,
                milestone=instance.milestone if instance else None,
                instance=instance.number if instance else None,
                detail=detail,
            )
        )

    # ------------------------------------------------------------------------------- pausing

    def _apply_pause_rule(self, now: datetime) -> None:
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
            self.state.rule_suppressed = True
        for instance in self.state.instances:
            if instance.state == "paused":
                instance.state = "active"
                try:
                    self.time.open_segment(instance, max(at, instance.started_at))
                except UNANSWERABLE as error:
                    self._fault(instance, error)

    def _auto_resume_at(self) -> datetime | None:
        cap = self.state.process.max_pause
        if cap is None or not self.paused:
            return None
        return self.state.pauses[-1].paused_at + cap

    # ---------------------------------------------------------------------------- thresholds

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

    def _fault(self, instance: Instance, error: Exception) -> None:
        """The instance's deadlines cannot be computed: it runs no more actions, and the tracker
        and the timeline say why, instead of the case failing on every wake-up."""
        instance.fault = f"its deadlines cannot be computed: {error}"
        self._log(self._latest, "fault", instance, instance.fault)

    def _target_at(self, instance: Instance) -> datetime | None:
        """The instance's target instant, or None when it cannot be computed (a fault)."""
        if instance.fault is not None:
            return None
        try:
            return self.time.target_at(instance)
        except UNANSWERABLE:
            return None

    def _pass(self, instance: Instance, due: Due, due_at: datetime) -> list[ActionRequest]:
        if not _fire(instance, due.key, due_at):
            return []
        if due.kind == "violation" and due.n == 0:
            instance.violated_at = due_at
            self._log(due_at, "violated", instance, f"target {_human(instance.target)} missed")
            return []
        milestone = self.state.process.milestone(instance.milestone)
        assert milestone is not None
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
            target_at=self._target_at(instance),
            case_fields=dict(state.fields),
            process=state.process.name,
            process_version=state.process.version,
        )


def _opening_words(start: StartCase) -> str:
    """ "process Premium v3 · entitlement 'ACME Premium' (...why...)", or why no process."""
    process = f"process {start.process.name} v{start.process.version}"
    chosen = start.entitlement
    if chosen is None:
        return process
    if chosen.name is None:
        return f"{process} · no entitlement: {chosen.reason}"
    over = " · over its allowance of cases (flagged)" if chosen.over_allowance else ""
    return f"{process} · entitlement {chosen.name!r}{over}: {chosen.reason}"


def _fire(instance: Instance, key: str, at: datetime) -> bool:
    """Mark threshold `key` passed; False if it already was (nothing is ever due twice)."""
    if key in instance.fired:
        return False
    instance.fired.append(key)
    instance.last_fired_at = max(at, instance.last_fired_at or at)
    return True


def _human(duration: timedelta) -> str:
    """'24h', '1h30m', '45s': how people write SLA targets."""
    seconds = round(duration.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "".join(
        f"{value}{unit}" for value, unit in ((hours, "h"), (minutes, "m"), (seconds, "s")) if value
    )
    return text or "0s"


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
