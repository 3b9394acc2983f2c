"""The milestone clock: the pure state machine of one case's milestones.

Owns every rule of DESIGN.md "Time semantics" that involves a case: starting instances (with
recurrence and `start_from`), cancelling them, retargeting, completing, applying a new process
version and closing; pausing lives in `workflows.clock.pausing`, thresholds and what falls due in
`workflows.clock.thresholds`. Commands come in as the contract's `Command` models: `check` says
whether one can apply now and at which instant (and changes nothing), `apply` applies it at that
instant. Pure: no Temporal, no I/O, never reads the clock; every change takes the instant it
happens at. The workflow feeds it `workflow.now()` and runs the actions it returns.

The state is `workflows.case_state`; the business-time arithmetic on segments is
`workflows.business_time`; what the tracker and the timeline show is `workflows.tracker`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from workflows.business_time import BusinessTime, close_segment, pin_calendars
from workflows.case_state import CaseState, Instance, MilestoneHistory
from workflows.clock.core import check_opened_at, human
from workflows.clock.thresholds import ThresholdRules, fire
from workflows.conditions import criteria_hold, describe, state_conditions_fail, target_for
from workflows.contract import (
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
    ProcessMilestone,
    RecordEvent,
    Resume,
    SlaState,
    StartCase,
    TimelineEvent,
    UpdateCase,
)
from workflows.limits import MAX_CLOCK_SKEW, MAX_PAUSES, check_case_fields
from workflows.tracker import case_tracker, next_deadline, sla_state, timeline

RESOLUTION = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Applied:
    """What a command did: the actions it made due, the instance it completed (if any), and
    what happened, as timeline events."""

    requests: list[ActionRequest] = field(default_factory=list)
    completed: Instance | None = None
    changes: list[TimelineEvent] = field(default_factory=list)


class CaseClock(ThresholdRules):
    """The milestones of one case, advanced by commands and by time."""

    @classmethod
    def open_case(cls, start: StartCase, now: datetime) -> CaseClock:
        """A clock for a case entering its process at `start.opened_at` (default `now`)."""
        opened_at = start.opened_at or now
        check_opened_at(opened_at, now)
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
            milestones=len(state.instances) + state.left_out.instances,
        )

    # ------------------------------------------------------------------------------ commands

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

    def check(self, command: Command, now: datetime) -> datetime:
        """The instant `command` applies at (its `at`, or `now`); or `CommandRejectedError`
        (`CommandInvalidError`) with the reason it cannot apply. Changes nothing."""
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
            case Pause() if len(self.state.pauses) + self.state.left_out.pauses >= MAX_PAUSES:
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
        return at

    def apply(self, command: Command, now: datetime, *, at: datetime | None = None) -> Applied:
        """Apply `command` as of its instant, after passing what was due before that; then pass
        what its change makes due by `now`. `at` is the instant `check` gave it, trusted as
        is; without it the command is checked first."""
        if at is None:
            at = self.check(command, now)
        end = max(at, now)
        self._latest = max(self._latest, end)
        self.state.applied_at = at
        logged = len(self.state.timeline)
        completed = None
        match command:
            case CompleteMilestone():
                completed = self._latest_of(command.milestone)
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

    def _latest_of(self, name: str) -> Instance:
        """The latest instance of the process's milestone `name`, which `check` found."""
        milestone = self.state.process.milestone(name)
        instance = self.instance(milestone.name) if milestone is not None else None
        assert instance is not None, f"check() first: {name!r} has no instance"
        return instance

    def _completable(self, command: CompleteMilestone, at: datetime, now: datetime) -> Instance:
        """The instance `command` would complete at `at`, or why it cannot."""
        name = command.milestone
        milestone = self.state.process.milestone(name)
        if milestone is None:
            known = ", ".join(repr(m.name) for m in self.state.process.milestones)
            raise CommandInvalidError(f"unknown milestone {name!r}: this case's are {known}")
        instance = self.instance(milestone.name)
        last = self._last(milestone.name)
        if last is None:
            raise CommandRejectedError(f"milestone {milestone.name!r} has not started on this case")
        if instance is None or not instance.open:
            raise CommandRejectedError(
                f"milestone {milestone.name!r} is already {last.state} "
                f"(instance {last.number}, at {(last.ended_at or now).isoformat()})"
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
            milestone = self._milestone(instance)
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
            carried = self.instance(milestone.name)
            if carried is not None and carried.open:
                continue
            last = self._last(milestone.name)
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
        last: MilestoneHistory | None,
    ) -> Instance:
        state = self.state
        calendar = self._calendar_key(milestone)
        if milestone.start_from == "process" and last is None:
            started_at = state.opened_at
        elif milestone.recurrence == "sequential" and last is not None:
            previous_target = last.target_at
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
        instance.segments = self.time.running_segments(state.pause_spans(), started_at, calendar)
        state.instances.append(instance)
        origin = "process entry" if started_at == state.opened_at else "criteria"
        self._log(started_at, "started", instance, f"target {human(target)}, from {origin}")
        return instance

    def _complete(self, instance: Instance, at: datetime) -> list[ActionRequest]:
        reached = self.target_at(instance)
        if instance.violated_at is None and reached is not None and at > reached:
            instance.violated_at = reached
        close_segment(instance, at)
        instance.state = "completed"
        instance.completed_at = at
        instance.priority_at_end = self._priority()
        late = (
            f"late by {human(at - reached)}" if reached is not None and at > reached else "on time"
        )
        self._log(at, "completed", instance, late)
        milestone = self._milestone(instance)
        return [
            self._request(instance, "success", n, at, action.handler, action.params)
            for n, action in enumerate(milestone.actions.success, start=1)
            if fire(instance, f"success/{n}", at)
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

    def _retarget(self, instance: Instance, target: timedelta, at: datetime) -> None:
        if target != instance.target:
            self._log(
                at, "retargeted", instance, f"target {human(instance.target)} -> {human(target)}"
            )
            instance.target = target


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
