"""The milestone clock: the pure state machine of one case's milestones.

Owns every rule of DESIGN.md "Time semantics" that involves a case: starting instances (with
recurrence and `start_from`), cancelling them, pausing (commands, `pause_when`, `max_pause`),
retargeting, completing, applying a new process version and closing; and, from that state, the
next instant at which anything is due and the actions due at an instant. Pure: no Temporal, no
I/O, never reads the clock; every change takes the instant it happens at. The workflow feeds it
`workflow.now()` and runs the actions it returns.

Business time is kept per instance as running *segments* (from a start or resume to a pause or
the end), each measured in its own calendar, so elapsed time survives pauses, retargets and
calendar changes exactly. Every threshold (warning, violation, escalation) is an amount of
elapsed business time; its due instant is where the segments reach it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from workflows.business_hours import ALWAYS_OPEN, BusinessCalendar, BusinessHours, calendar_for
from workflows.conditions import criteria_hold, describe, state_conditions_fail
from workflows.contract import (
    ActionKind,
    ActionRequest,
    ActionStatus,
    CaseFields,
    CaseTracker,
    EntitlementProcess,
    InstanceState,
    MilestoneStatus,
    PauseEnd,
    PauseRecord,
    ProcessMilestone,
    SlaState,
    StartCase,
    TimelineEvent,
    TimelineKind,
)

ZERO = timedelta(0)
RESOLUTION = timedelta(microseconds=1)
ALWAYS_OPEN_KEY = ""  # the calendar of milestones and processes that name none: 24x7
PUBLIC_HOLIDAY_YEARS = 10  # a case pins its calendars' public holidays for this many years


class CommandRejectedError(ValueError):
    """A command that does not fit the case's state now; the message says why and what to do."""


class CommandInvalidError(CommandRejectedError):
    """A command that is wrong in itself (an unknown milestone, an impossible instant, a bad
    payload) whatever the case's state; callers fix the request, not the timing."""


# ------------------------------------------------------------------------------------------ state


class Segment(BaseModel):
    """A stretch of running clock: business time elapses from `start` until `end` (or now)."""

    start: datetime
    end: datetime | None = None
    calendar: str
    elapsed_before: timedelta


class Instance(BaseModel):
    """The runtime state of one milestone instance."""

    milestone: str
    number: int
    started_at: datetime
    target: timedelta
    calendar: str
    state: InstanceState = "active"
    segments: list[Segment] = Field(default_factory=list)
    violated_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    fired: list[str] = Field(default_factory=list)
    """Thresholds already passed, as `<kind>/<n>`; `violation/0` is the breach itself."""
    last_fired_at: datetime | None = None
    actions: list[ActionStatus] = Field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.state in ("active", "paused")

    @property
    def violated(self) -> bool:
        return self.violated_at is not None


class CaseState(BaseModel):
    """Everything the clock knows about a case; carried across continue-as-new."""

    case_id: str
    fields: CaseFields
    opened_at: datetime
    process: EntitlementProcess
    calendars: dict[str, BusinessHours]
    instances: list[Instance] = Field(default_factory=list)
    pauses: list[PauseRecord] = Field(default_factory=list)
    manual_pause: bool = False
    rule_suppressed: bool = False
    """`pause_when` still holds but the case was resumed (by command or `max_pause`): ignore the
    rule until it stops holding."""
    closed_at: datetime | None = None
    timeline: list[TimelineEvent] = Field(default_factory=list)
    """What happened, in the order the clock learned it (sort by `at` to read it)."""


@dataclass(frozen=True, slots=True)
class Due:
    """A threshold of one instance: due when its elapsed business time reaches `elapsed`."""

    kind: ActionKind
    n: int
    elapsed: timedelta

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.n}"


# ------------------------------------------------------------------------------------------ clock


class CaseClock:
    """The milestones of one case, advanced by commands and by time."""

    def __init__(self, state: CaseState) -> None:
        self.state = state

    # ---------------------------------------------------------------------------------- start

    @classmethod
    def open_case(cls, start: StartCase, now: datetime) -> CaseClock:
        """A clock for a case entering its process at `start.opened_at` (default `now`)."""
        opened_at = start.opened_at or now
        if opened_at > now:
            raise CommandInvalidError(
                f"opened_at {opened_at.isoformat()} is in the future: give a past or present time"
            )
        clock = cls(
            CaseState(
                case_id=start.case_id,
                fields=dict(start.fields),
                opened_at=opened_at,
                process=start.process,
                calendars=_pinned(start.calendars, opened_at),
            )
        )
        process = start.process
        clock._log(opened_at, "opened", None, f"process {process.name} v{process.version}")
        clock._on_change(opened_at, previous={}, event=None)
        return clock

    # ------------------------------------------------------------------------------- queries

    @property
    def closed(self) -> bool:
        return self.state.closed_at is not None

    @property
    def paused(self) -> bool:
        return bool(self.state.pauses) and self.state.pauses[-1].resumed_at is None

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

    # ------------------------------------------------------------------------------- time

    def advance(self, now: datetime) -> list[ActionRequest]:
        """Pass every threshold due at or before `now`, in order; the actions they run."""
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
                continue
            if earliest is None or earliest > now:
                break
            for due_at, instance, due in sorted(pending, key=lambda item: item[0]):
                if due_at == earliest:
                    requests.extend(self._pass(instance, due, due_at))
        return requests

    # ---------------------------------------------------------------------------- commands

    def check_complete(self, name: str, at: datetime | None, now: datetime) -> Instance:
        """The instance `complete(name, at)` would complete, or why it cannot."""
        self.check_open()
        milestone = self.state.process.milestone(name)
        if milestone is None:
            known = ", ".join(repr(m.name) for m in self.state.process.milestones)
            raise CommandInvalidError(f"unknown milestone {name!r}: this case's are {known}")
        at = at or now
        if at > now:
            raise CommandInvalidError(f"'at' {at.isoformat()} is in the future: give a past time")
        instance = self.instance(milestone.name)
        if instance is None:
            raise CommandRejectedError(f"milestone {milestone.name!r} has not started on this case")
        if not instance.open:
            raise CommandRejectedError(
                f"milestone {milestone.name!r} is already {instance.state} "
                f"(instance {instance.number}, at "
                f"{(instance.completed_at or instance.cancelled_at or now).isoformat()})"
            )
        if at < instance.started_at:
            raise CommandInvalidError(
                f"milestone {milestone.name!r} instance {instance.number} starts at "
                f"{instance.started_at.isoformat()}: it cannot be completed before then"
            )
        if instance.last_fired_at is not None and at < instance.last_fired_at:
            raise CommandInvalidError(
                f"'at' {at.isoformat()} is before {instance.last_fired_at.isoformat()}, when "
                f"milestone {milestone.name!r} already ran actions: give a later time"
            )
        return instance

    def complete(
        self, name: str, at: datetime | None, now: datetime
    ) -> tuple[Instance, list[ActionRequest]]:
        """Complete the open instance of `name` at `at` (default `now`); late is still success."""
        instance = self.check_complete(name, at, now)
        at = at or now
        # Completing at target_at is on time: pass only what was due strictly before `at`.
        requests = self.advance(at - RESOLUTION)
        requests += self._complete(instance, at)
        self._start_due_milestones(at, self.state.fields, event=None)
        return instance, requests + self.advance(now)

    def check_pause(self) -> None:
        self.check_open()
        if self.paused:
            current = self.state.pauses[-1]
            raise CommandRejectedError(
                f"the case is already paused since {current.paused_at.isoformat()} "
                f"({current.reason}): resume it first"
            )

    def pause(self, reason: str, now: datetime) -> list[ActionRequest]:
        self.check_pause()
        requests = self.advance(now)
        self.state.manual_pause = True
        self._pause(now, reason, by_rule=False)
        return requests

    def check_resume(self) -> None:
        self.check_open()
        if not self.paused:
            raise CommandRejectedError("the case is not paused: there is nothing to resume")

    def resume(self, now: datetime) -> list[ActionRequest]:
        """Resume the case; a `pause_when` rule that still holds is overridden until it stops."""
        self.check_resume()
        requests = self.advance(now)
        self._resume(now, "command")
        return requests + self.advance(now)

    def update_fields(self, changes: CaseFields, now: datetime) -> list[ActionRequest]:
        """Apply changed case fields (None removes a field) and every rule they trigger."""
        self.check_open()
        requests = self.advance(now)
        previous = dict(self.state.fields)
        for name, value in changes.items():
            if value is None:
                self.state.fields.pop(name, None)
            else:
                self.state.fields[name] = value
        requests += self._on_change(now, previous, event=None)
        return requests + self.advance(now)

    def record_event(self, event: str, now: datetime) -> list[ActionRequest]:
        """A case event (`agent_replied`, ...): may start or complete milestones."""
        self.check_open()
        requests = self.advance(now)
        requests += self._on_change(now, dict(self.state.fields), event=event)
        return requests + self.advance(now)

    def check_apply_process(self, process: EntitlementProcess) -> None:
        self.check_open()
        current = self.state.process
        if process.name != current.name:
            raise CommandInvalidError(
                f"the case runs process {current.name!r}; {process.name!r} is another process"
            )
        if process.version == current.version:
            raise CommandRejectedError(f"the case already runs version {process.version}")

    def apply_process(
        self, process: EntitlementProcess, calendars: dict[str, BusinessHours], now: datetime
    ) -> list[ActionRequest]:
        """Move to another version: elapsed time, pauses and breaches stay; targets follow the
        new rules; remaining time counts in the new calendars."""
        self.check_apply_process(process)
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
            **_pinned(calendars, self.state.opened_at),
        }
        for instance in self.state.instances:
            if not instance.open:
                continue
            milestone = process.milestone(instance.milestone)
            if milestone is None:
                self._cancel(instance, now, f"removed by version {process.version}")
                continue
            calendar = self._calendar_key(milestone)
            if calendar != instance.calendar:
                self._switch_calendar(instance, calendar, now)
            new_target = milestone.target_for(self.state.fields)
            if new_target is not None:
                self._retarget(instance, new_target, now)
        requests += self._on_change(now, dict(self.state.fields), event=None)
        return requests + self.advance(now)

    def close(self, changes: CaseFields, now: datetime) -> list[ActionRequest]:
        """Apply the last field changes, then exit the process: open instances are cancelled."""
        self.check_open()
        requests = self.update_fields(changes, now) if changes else self.advance(now)
        if not self.closed:
            self._exit(now, "case closed")
        return requests

    # ---------------------------------------------------------------------------- actions

    def action_started(self, request: ActionRequest, at: datetime) -> None:
        """Record that the workflow started running `request`."""
        instance = self._instance_of(request)
        instance.actions.append(
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

    # ---------------------------------------------------------------------------- tracker

    def tracker(self, now: datetime) -> CaseTracker:
        state = self.state
        statuses = [self.status(instance, now) for instance in state.instances]
        current = state.pauses[-1] if self.paused else None
        return CaseTracker(
            case_id=state.case_id,
            process=state.process.name,
            process_version=state.process.version,
            sla_state=self.sla_state(now),
            fields=dict(state.fields),
            opened_at=state.opened_at,
            closed_at=state.closed_at,
            paused=current is not None,
            pause_reason=current.reason if current else None,
            next_deadline=self.next_deadline(),
            as_of=now,
            milestones=statuses,
            pauses=list(state.pauses),
        )

    def sla_state(self, now: datetime) -> SlaState:
        if self.closed:
            return "done"
        open_instances = [i for i in self.state.instances if i.open and i.started_at <= now]
        if any(i.violated for i in open_instances):
            return "violated"
        if self.paused:
            return "paused"
        if any(key.startswith("warning/") for i in open_instances for key in i.fired):
            return "at_risk"
        return "on_track"

    def next_deadline(self) -> datetime | None:
        """The earliest target of a running instance that has not yet been missed."""
        targets = [
            target_at
            for instance in self.state.instances
            if instance.state == "active" and not instance.violated
            if (target_at := self._instant_at(instance, instance.target)) is not None
        ]
        return min(targets, default=None)

    # -------------------------------------------------------------------------- timeline

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

    def _retarget(self, instance: Instance, target: timedelta, at: datetime) -> None:
        if target != instance.target:
            self._log(
                at, "retargeted", instance, f"target {_human(instance.target)} -> {_human(target)}"
            )
            instance.target = target

    # ----------------------------------------------------------------------------- rules

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
            elif (new_target := milestone.target_for(fields)) is not None:
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
            target = milestone.target_for(self.state.fields)
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
        first = last is None
        if milestone.start_from == "process" and first:
            started_at = state.opened_at
        elif milestone.recurrence == "sequential" and last is not None:
            previous_target = self._instant_at(last, last.target)
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
        )
        instance.segments = self._running_segments(started_at, calendar)
        state.instances.append(instance)
        origin = "process entry" if started_at == state.opened_at else "criteria"
        self._log(started_at, "started", instance, f"target {_human(target)}, from {origin}")
        return instance

    def _running_segments(self, since: datetime, calendar: str) -> list[Segment]:
        """The stretches since `since` during which the case was not paused (a retroactive start
        counts only the time the case ran), the last one still open unless paused now."""
        segments: list[Segment] = []
        elapsed = ZERO
        cursor = since
        for pause in self.state.pauses:
            resumed_at = pause.resumed_at
            if resumed_at is not None and resumed_at <= cursor:
                continue
            if pause.paused_at > cursor:
                segments.append(
                    Segment(
                        start=cursor, end=pause.paused_at, calendar=calendar, elapsed_before=elapsed
                    )
                )
                elapsed += self._calendar(calendar).between(cursor, pause.paused_at)
            if resumed_at is None:
                return segments
            cursor = max(cursor, resumed_at)
        segments.append(Segment(start=cursor, calendar=calendar, elapsed_before=elapsed))
        return segments

    def _complete(self, instance: Instance, at: datetime) -> list[ActionRequest]:
        reached = self._instant_at(instance, instance.target)
        if instance.violated_at is None and reached is not None and at > reached:
            instance.violated_at = reached
        _close_segment(instance, at)
        instance.state = "completed"
        instance.completed_at = at
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
        _close_segment(instance, at)
        instance.state = "cancelled"
        instance.cancelled_at = at
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

    # ---------------------------------------------------------------------------- pausing

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
                _close_segment(instance, at)
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
                self._open_segment(instance, max(at, instance.started_at))
                instance.state = "active"

    def _auto_resume_at(self) -> datetime | None:
        cap = self.state.process.max_pause
        if cap is None or not self.paused:
            return None
        return self.state.pauses[-1].paused_at + cap

    # ------------------------------------------------------------------------- thresholds

    def _thresholds(self, instance: Instance) -> Iterator[Due]:
        milestone = self.state.process.milestone(instance.milestone)
        if milestone is None:
            return
        target = instance.target
        for n, warning in enumerate(milestone.actions.warning, start=1):
            if warning.before_target is not None:
                at = target - warning.before_target
            else:
                at = target * ((warning.at_percent or 0) / 100)
            yield Due("warning", n, max(at, ZERO))
        yield Due("violation", 0, target)
        for n, violation in enumerate(milestone.actions.violation, start=1):
            yield Due("violation", n, target + violation.after_target)

    def _pending(self) -> Iterable[tuple[Instance, Due, datetime]]:
        for instance in self.state.instances:
            if instance.state != "active":
                continue
            for due in self._thresholds(instance):
                if due.key in instance.fired:
                    continue
                due_at = self._instant_at(instance, due.elapsed)
                if due_at is not None:
                    yield instance, due, due_at

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
            target_at=self._instant_at(instance, instance.target),
            case_fields=dict(state.fields),
            process=state.process.name,
            process_version=state.process.version,
        )

    # ----------------------------------------------------------------------- business time

    def _calendar_key(self, milestone: ProcessMilestone) -> str:
        return milestone.business_hours or self.state.process.business_hours or ALWAYS_OPEN_KEY

    def _calendar(self, key: str) -> BusinessCalendar:
        return calendar_for(self.state.calendars[key] if key else ALWAYS_OPEN)

    def _elapsed(self, instance: Instance, at: datetime) -> timedelta:
        """Business time the instance had run by `at`."""
        for segment in reversed(instance.segments):
            if segment.start <= at:
                end = at if segment.end is None else min(at, segment.end)
                return segment.elapsed_before + self._calendar(segment.calendar).between(
                    segment.start, end
                )
        return ZERO

    def _instant_at(self, instance: Instance, elapsed: timedelta) -> datetime | None:
        """The earliest instant at which the instance has run `elapsed` of business time; None
        while paused short of it. A completed or cancelled instance is projected from its end,
        so it keeps the target it had."""
        if elapsed <= ZERO:
            return instance.segments[0].start if instance.segments else instance.started_at
        reached = ZERO
        for segment in instance.segments:
            calendar = self._calendar(segment.calendar)
            needed = elapsed - segment.elapsed_before
            if segment.end is None:
                return calendar.add(segment.start, needed)
            length = calendar.between(segment.start, segment.end)
            if needed <= length:
                return calendar.add(segment.start, needed)
            reached = segment.elapsed_before + length
        end = instance.completed_at or instance.cancelled_at
        if end is None:
            return None
        return self._calendar(instance.calendar).add(
            max(end, instance.started_at), elapsed - reached
        )

    def _open_segment(self, instance: Instance, at: datetime) -> None:
        elapsed = ZERO
        if instance.segments:
            last = instance.segments[-1]
            assert last.end is not None
            length = self._calendar(last.calendar).between(last.start, last.end)
            elapsed = last.elapsed_before + length
        instance.segments.append(
            Segment(start=at, calendar=instance.calendar, elapsed_before=elapsed)
        )

    def _switch_calendar(self, instance: Instance, calendar: str, now: datetime) -> None:
        """From `now`, the instance's remaining time counts in `calendar`; time used stays."""
        instance.calendar = calendar
        last = instance.segments[-1] if instance.segments else None
        if instance.state == "active" and last is not None and last.end is None:
            switch_at = max(now, last.start)
            _close_segment(instance, switch_at)
            self._open_segment(instance, switch_at)

    def status(self, instance: Instance, now: datetime) -> MilestoneStatus:
        milestone = self.state.process.milestone(instance.milestone)
        end = instance.completed_at or instance.cancelled_at or now
        elapsed = self._elapsed(instance, end) if end >= instance.started_at else ZERO
        target_at = self._instant_at(instance, instance.target)
        since = None if target_at is None or end <= target_at else end - target_at
        return MilestoneStatus(
            name=instance.milestone,
            instance=instance.number,
            color=milestone.color if milestone else "#888888",
            recurrence=milestone.recurrence if milestone else "none",
            state=instance.state,
            violated=instance.violated or (since is not None and instance.open),
            started_at=instance.started_at,
            target=instance.target,
            target_at=target_at,
            completed_at=instance.completed_at,
            cancelled_at=instance.cancelled_at,
            cancel_reason=instance.cancel_reason,
            violated_at=instance.violated_at,
            business_elapsed=elapsed,
            business_remaining=max(instance.target - elapsed, ZERO),
            stopped=self._stopped(instance.started_at, end),
            time_since_target=since,
            warnings_fired=sum(key.startswith("warning/") for key in instance.fired),
            actions=list(instance.actions),
        )

    def _stopped(self, start: datetime, end: datetime) -> timedelta:
        total = ZERO
        for pause in self.state.pauses:
            overlap = min(end, pause.resumed_at or end) - max(start, pause.paused_at)
            total += max(overlap, ZERO)
        return total

    def check_open(self) -> None:
        """Refuse commands once the case is closed."""
        if self.closed:
            assert self.state.closed_at is not None
            raise CommandRejectedError(
                f"case {self.state.case_id!r} was closed at {self.state.closed_at.isoformat()}: "
                "it takes no more commands"
            )


# --------------------------------------------------------------------------------------- helpers


def _fire(instance: Instance, key: str, at: datetime) -> bool:
    """Mark threshold `key` passed; False if it already was (nothing is ever due twice)."""
    if key in instance.fired:
        return False
    instance.fired.append(key)
    instance.last_fired_at = max(at, instance.last_fired_at or at)
    return True


def _close_segment(instance: Instance, at: datetime) -> None:
    if instance.segments and instance.segments[-1].end is None:
        segment = instance.segments[-1]
        if at <= segment.start:
            instance.segments.pop()  # it had not begun (a sequential start in the future)
        else:
            segment.end = at


def _human(duration: timedelta) -> str:
    """'24h', '1h30m', '45s': how people write SLA targets."""
    seconds = round(duration.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "".join(
        f"{value}{unit}" for value, unit in ((hours, "h"), (minutes, "m"), (seconds, "s")) if value
    )
    return text or "0s"


def _pinned(calendars: dict[str, BusinessHours], opened_at: datetime) -> dict[str, BusinessHours]:
    """Calendars with their public holidays written out, so a newer `holidays` package can never
    move a running case's deadlines."""
    first = opened_at.year - 1
    return {
        name: hours.with_public_holidays(first, first + PUBLIC_HOLIDAY_YEARS)
        for name, hours in calendars.items()
    }
