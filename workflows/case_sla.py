"""The CaseSla workflow: one per support case, running its milestones as durable timers.

Orchestration only; the rules live in `workflows.clock`, which is pure. The workflow feeds the
clock `workflow.now()`, sleeps on one re-armable timer until the next due instant, wakes on
commands, runs the actions the clock returns as activities (`workflows.delivery`), keeps the
search attributes current, answers the `tracker` query, and continues as new when its history
grows. Commands are updates with validators (a bad one is rejected with the reason and changes
nothing) and signals of the same names for fire-and-forget callers (a bad one is logged and
ignored). Nothing here may fail the workflow: a rejected command never does.
"""

import asyncio
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows.clock import (
        CaseClock,
        CaseState,
        CommandInvalidError,
        CommandRejectedError,
    )
    from workflows.contract import (
        ACCOUNT_ID,
        CASE_ID,
        ENTITLEMENT_PROCESS,
        NEXT_DEADLINE,
        PRIORITY,
        SLA_STATE,
        WORKFLOW_TYPE,
        ActionRequest,
        ApplyProcess,
        CaseTracker,
        Close,
        CompleteMilestone,
        MilestoneStatus,
        Pause,
        RecordEvent,
        StartCase,
        TimelineEvent,
        UpdateCase,
    )
    from workflows.delivery import deliver

Command = TypeVar("Command", bound=BaseModel)
Published = str | datetime | None


def _parse(model: type[Command], payload: Any) -> Command:
    """A command from its payload, or a `CommandRejectedError` that says what is wrong with it."""
    try:
        return model.model_validate(payload if payload is not None else {})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'input'}: {e['msg']}" for e in error.errors()
        )
        raise CommandInvalidError(f"invalid {model.__name__}: {problems}") from None


@workflow.defn(name=WORKFLOW_TYPE)
class CaseSlaWorkflow:
    """The milestones of one case: `case-<case_id>` on task queue `sla`."""

    @workflow.init
    def __init__(self, start: StartCase) -> None:
        self._start = start
        self._failure: ApplicationError | None = None
        self._changed = False
        self._deliveries: set[asyncio.Future[None]] = set()
        self._reached: datetime | None = None
        now = workflow.now()
        try:
            self._clock = (
                CaseClock(CaseState.model_validate(start.continued))
                if start.continued is not None
                else CaseClock.open_case(start, now)
            )
        except CommandRejectedError as error:
            self._failure = ApplicationError(str(error), type="InvalidCase", non_retryable=True)
            self._clock = CaseClock.open_case(start.model_copy(update={"opened_at": now}), now)
        self._published: dict[str, Published] = {
            key.name: _published_value(workflow.info().typed_search_attributes.get(key))
            for key in (
                CASE_ID,
                SLA_STATE,
                NEXT_DEADLINE,
                PRIORITY,
                ENTITLEMENT_PROCESS,
                ACCOUNT_ID,
            )
        }

    @workflow.run
    async def run(self, start: StartCase) -> CaseTracker:
        if self._failure is not None:
            raise self._failure
        timer: asyncio.Future[None] | None = None
        armed_for: datetime | None = None
        while True:
            now = self._now()
            self._dispatch(self._clock.advance(now))
            self._publish(now)
            if self._clock.closed or self._history_is_long():
                break
            due = self._clock.next_due()
            if due != armed_for:
                if timer is not None:
                    timer.cancel()
                timer, armed_for = None, due
                if due is not None:
                    timer = asyncio.ensure_future(asyncio.sleep(_whole_ms(due - now)))
            self._changed = False
            await workflow.wait_condition(
                lambda timer=timer: self._changed or (timer is not None and timer.done())  # type: ignore[misc]
            )
            if timer is not None and timer.done():
                # The timer fired: its due instant has come, whatever rounding the server did.
                self._reached = armed_for
                timer, armed_for = None, None
        if timer is not None:
            timer.cancel()
        await workflow.wait_condition(
            lambda: not self._deliveries and workflow.all_handlers_finished()
        )
        if not self._clock.closed:
            state = self._clock.state.model_dump(mode="json")
            workflow.continue_as_new(self._start.model_copy(update={"continued": state}))
        return self._clock.tracker(self._now())

    # -------------------------------------------------------------------------------- query

    @workflow.query
    def tracker(self, as_of: datetime | None = None) -> CaseTracker:
        """Every milestone's countdown, as of `as_of` (default: the workflow's last moment)."""
        now = self._now()
        return self._clock.tracker(max(as_of, now) if as_of is not None else now)

    @workflow.query
    def timeline(self) -> list[TimelineEvent]:
        """What happened to the case's milestones, in order: started, paused, resumed, warned,
        violated, escalated, completed, cancelled, retargeted, and failed deliveries."""
        return sorted(self._clock.state.timeline, key=lambda event: event.at)

    # ---------------------------------------------------------------------------- commands
    # Each command is an update with a validator, which reads but never changes state, and a
    # signal of the same name; both run the same `_do_<command>`.

    @workflow.update
    def complete_milestone(self, payload: dict[str, Any]) -> MilestoneStatus:
        return self._do_complete_milestone(payload)

    @complete_milestone.validator
    def _check_complete_milestone(self, payload: dict[str, Any]) -> None:
        command = _parse(CompleteMilestone, payload)
        self._clock.check_complete(command.name, command.at, self._now())

    @workflow.update
    def pause(self, payload: dict[str, Any]) -> CaseTracker:
        return self._do_pause(payload)

    @pause.validator
    def _check_pause(self, payload: dict[str, Any]) -> None:
        _parse(Pause, payload)
        self._clock.check_pause()

    @workflow.update
    def resume(self, payload: dict[str, Any] | None = None) -> CaseTracker:
        return self._do_resume(payload)

    @resume.validator
    def _check_resume(self, payload: dict[str, Any] | None = None) -> None:
        self._clock.check_resume()

    @workflow.update
    def update_case(self, payload: dict[str, Any]) -> CaseTracker:
        return self._do_update_case(payload)

    @update_case.validator
    def _check_update_case(self, payload: dict[str, Any]) -> None:
        _parse(UpdateCase, payload)
        self._clock.check_open()

    @workflow.update
    def record_event(self, payload: dict[str, Any]) -> CaseTracker:
        return self._do_record_event(payload)

    @record_event.validator
    def _check_record_event(self, payload: dict[str, Any]) -> None:
        _parse(RecordEvent, payload)
        self._clock.check_open()

    @workflow.update
    def apply_process(self, payload: dict[str, Any]) -> CaseTracker:
        return self._do_apply_process(payload)

    @apply_process.validator
    def _check_apply_process(self, payload: dict[str, Any]) -> None:
        self._clock.check_apply_process(_parse(ApplyProcess, payload).process)

    @workflow.update
    def close(self, payload: dict[str, Any] | None = None) -> CaseTracker:
        return self._do_close(payload)

    @close.validator
    def _check_close(self, payload: dict[str, Any] | None = None) -> None:
        _parse(Close, payload)
        self._clock.check_open()

    @workflow.signal(name="complete_milestone")
    def complete_milestone_signal(self, payload: Any = None) -> None:
        self._signal("complete_milestone", self._do_complete_milestone, payload)

    @workflow.signal(name="pause")
    def pause_signal(self, payload: Any = None) -> None:
        self._signal("pause", self._do_pause, payload)

    @workflow.signal(name="resume")
    def resume_signal(self, payload: Any = None) -> None:
        self._signal("resume", self._do_resume, payload)

    @workflow.signal(name="update_case")
    def update_case_signal(self, payload: Any = None) -> None:
        self._signal("update_case", self._do_update_case, payload)

    @workflow.signal(name="record_event")
    def record_event_signal(self, payload: Any = None) -> None:
        self._signal("record_event", self._do_record_event, payload)

    @workflow.signal(name="apply_process")
    def apply_process_signal(self, payload: Any = None) -> None:
        self._signal("apply_process", self._do_apply_process, payload)

    @workflow.signal(name="close")
    def close_signal(self, payload: Any = None) -> None:
        self._signal("close", self._do_close, payload)

    def _do_complete_milestone(self, payload: Any) -> MilestoneStatus:
        command = self._accept(CompleteMilestone, payload)
        instance = self._change(lambda now: self._clock.complete(command.name, command.at, now))
        return self._clock.status(instance, self._now())

    def _do_pause(self, payload: Any) -> CaseTracker:
        command = self._accept(Pause, payload)
        return self._track(lambda now: self._clock.pause(command.reason, now))

    def _do_resume(self, payload: Any) -> CaseTracker:
        return self._track(self._clock.resume)

    def _do_update_case(self, payload: Any) -> CaseTracker:
        command = self._accept(UpdateCase, payload)
        return self._track(lambda now: self._clock.update_fields(command.fields, now))

    def _do_record_event(self, payload: Any) -> CaseTracker:
        command = self._accept(RecordEvent, payload)
        return self._track(lambda now: self._clock.record_event(command.type, now))

    def _do_apply_process(self, payload: Any) -> CaseTracker:
        command = self._accept(ApplyProcess, payload)
        return self._track(
            lambda now: self._clock.apply_process(command.process, command.calendars, now)
        )

    def _do_close(self, payload: Any) -> CaseTracker:
        command = self._accept(Close, payload)
        return self._track(lambda now: self._clock.close(command.fields, now))

    # ------------------------------------------------------------------------------ helpers

    def _now(self) -> datetime:
        now = workflow.now()
        return max(now, self._reached) if self._reached is not None else now

    def _accept(self, model: type[Command], payload: Any) -> Command:
        try:
            return _parse(model, payload)
        except CommandRejectedError as error:
            raise _rejection(error) from None

    def _change(self, change: Callable[[datetime], tuple[Any, list[ActionRequest]]]) -> Any:
        """Apply a command to the clock at the current instant and run what it makes due."""
        try:
            result, requests = change(self._now())
        except CommandRejectedError as error:
            raise _rejection(error) from None
        self._dispatch(requests)
        self._changed = True
        return result

    def _track(self, change: Callable[[datetime], list[ActionRequest]]) -> CaseTracker:
        """Apply a command that answers with the tracker."""
        self._change(lambda now: (None, change(now)))
        return self._clock.tracker(self._now())

    def _signal(self, name: str, handler: Callable[[Any], object], payload: Any) -> None:
        try:
            handler(payload)
        except ApplicationError as error:
            workflow.logger.warning("ignored signal %s: %s", name, error)

    def _dispatch(self, requests: list[ActionRequest]) -> None:
        now = self._now()
        for request in requests:
            self._clock.action_started(request, now)
            task = asyncio.ensure_future(self._deliver(request))
            self._deliveries.add(task)
            task.add_done_callback(self._deliveries.discard)

    async def _deliver(self, request: ActionRequest) -> None:
        outcome = await deliver(request, self._clock.expires_after(request))
        self._clock.action_finished(
            request.idempotency_key,
            delivered=outcome.delivered,
            attempts=outcome.attempts,
            error=outcome.error,
            at=self._now(),
        )
        if not outcome.delivered:
            workflow.logger.warning("action %s failed: %s", request.idempotency_key, outcome.error)

    def _history_is_long(self) -> bool:
        info = workflow.info()
        limit = self._start.continue_as_new_after_events
        if limit is not None and info.get_current_history_length() >= limit:
            return True
        return info.is_continue_as_new_suggested()

    def _publish(self, now: datetime) -> None:
        """Upsert the search attributes that changed (each upsert is a history event)."""
        state = self._clock.state
        priority = state.fields.get("priority")
        account = state.fields.get("account_id")
        wanted: list[tuple[SearchAttributeKey[Any], Published]] = [
            (CASE_ID, state.case_id),
            (SLA_STATE, self._clock.sla_state(now)),
            (NEXT_DEADLINE, self._clock.next_deadline()),
            (PRIORITY, None if priority is None else str(priority)),
            (ENTITLEMENT_PROCESS, state.process.name),
            (ACCOUNT_ID, None if account is None else str(account)),
        ]
        updates: list[SearchAttributeUpdate[Any]] = []
        for key, value in wanted:
            if self._published.get(key.name) != value:
                self._published[key.name] = value
                updates.append(key.value_unset() if value is None else key.value_set(value))
        if updates:
            workflow.upsert_search_attributes(updates)


def _rejection(error: CommandRejectedError) -> ApplicationError:
    """The update's failure: typed like a validator's rejection (the exception's class name),
    so callers tell a wrong request (`CommandInvalidError`) from a wrong moment."""
    return ApplicationError(str(error), type=type(error).__name__, non_retryable=True)


def _whole_ms(delay: timedelta) -> float:
    """Seconds to sleep, rounded up to a millisecond so the timer never fires before due."""
    return max(math.ceil(delay / timedelta(milliseconds=1)), 1) / 1000


def _published_value(value: object) -> Published:
    if isinstance(value, str | datetime) or value is None:
        return value
    return str(value)
