"""The CaseSla workflow: one per support case, running its milestones as durable timers.

Orchestration only; the rules live in `workflows.clock`, which is pure. The workflow feeds the
clock `workflow.now()`, sleeps on one re-armable timer until the next due instant, wakes on
commands, runs the actions the clock returns as activities (`workflows.delivery`), keeps the
search attributes current, answers the `tracker` and `timeline` queries, and continues as new
when its history grows. Each command of the contract is an update with a validator (a bad one is
rejected with the reason and changes nothing) and a signal of the same name for fire-and-forget
callers (a bad one is logged and ignored), each written out and delegating to `_validate` and
`_apply`. A command is checked once: the validator's `check` gives the instant it applies at, and
the update applies it there. Nothing here may fail the workflow: a rejected command never does.
"""

import asyncio
import math
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import ValidationError
from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows.business_hours import BusinessHours
    from workflows.business_time import pin_calendars
    from workflows.case_state import CaseState
    from workflows.clock import CaseClock
    from workflows.compaction import compacted
    from workflows.contract import (
        TIMELINE_QUERY,
        TRACKER_QUERY,
        WORKFLOW_TYPE,
        ActionRequest,
        ApplyProcess,
        Behaviour,
        CaseOutcome,
        CaseTracker,
        Close,
        Command,
        CommandApplied,
        CommandInvalidError,
        CommandRejectedError,
        CompleteMilestone,
        Pause,
        RecordEvent,
        Resume,
        StartCase,
        TimelineEvent,
        UpdateCase,
        problems_of,
    )
    from workflows.delivery import Delivery, deliver
    from workflows.recording import RecordChanges, write_records
    from workflows.records import RecordBatch
    from workflows.search_attributes import (
        ACCOUNT_ID,
        CASE_ID,
        ENTITLEMENT_PROCESS,
        NEXT_DEADLINE,
        OWNER,
        PRIORITY,
        SEARCH_ATTRIBUTES,
        SLA_STATE,
    )

PATCHES = (
    (Behaviour.RECORDS_RIDE_ACTIONS, "records-ride-actions"),
    (Behaviour.LIGHT_START, "light-case"),
    (Behaviour.RECORDS, "milestone-records"),
)
"""The patch that marks each behaviour in the history of a case whose starter did not say which,
newest first."""
COMPACT_STATE = "compact-carried-state"
"""Marks a case whose runs carry their state compacted, the process and calendars once."""
MAX_TIMER_LEAD = timedelta(seconds=5)
"""The most a timer is shortened for the time its workflow task has run. The lag is read from
the worker's clock against the server's, so the cap also bounds how early a skewed worker clock
could make an action run."""
Published = str | datetime | None
C = TypeVar("C", bound=Command)


def _pinned(calendars: dict[str, BusinessHours], opened_at: datetime) -> dict[str, Any]:
    """`calendars` with their public holidays written out, as a starter that pins them sends
    them (a direct Temporal caller may not). Outside the sandbox's restrictions: the holidays
    package reads the locale for the holidays' names; their dates depend only on its version,
    and pinning them now is what keeps them from changing later."""
    with workflow.unsafe.sandbox_unrestricted():
        return {"calendars": pin_calendars(calendars, opened_at)}


def _continued_state(start: StartCase) -> CaseState:
    """The state a continued run got: its process is the input's own when the state leaves it
    out (since the state is compacted), as it does."""
    continued = start.continued or {}
    if "process" not in continued:
        continued = {**continued, "process": start.process}
    return CaseState.model_validate(continued)


def _patched_behaviour() -> Behaviour:
    """The behaviour of a case whose starter did not say: the newest, marked by its patch, or
    on replay what the case's history marks (none: a case from before records)."""
    return next((b for b, patch in PATCHES if workflow.patched(patch)), Behaviour.NO_RECORDS)


def _about(model: type[Command]) -> str:
    """What the Temporal UI says of a command's handlers: its model's first paragraph."""
    return (model.__doc__ or "").split("\n\n")[0]


def _given(model: type[C], command: C | None) -> C:
    """The command itself, or `model`'s defaults when the caller sent no payload."""
    if command is not None:
        return command
    try:
        return model()
    except ValidationError as error:  # the model has required fields
        raise CommandInvalidError(f"invalid {model.__name__}: {problems_of(error)}") from None


def _rejection(error: CommandRejectedError) -> ApplicationError:
    """A refused command as its caller sees it, typed `CommandInvalidError` (a wrong request)
    or `CommandRejectedError` (not now)."""
    return ApplicationError(str(error), type=error.error_type, non_retryable=True)


@workflow.defn(name=WORKFLOW_TYPE)
class CaseSlaWorkflow:
    """The milestones of one case: `case-<case_id>` on task queue `sla`."""

    @workflow.init
    def __init__(self, start: StartCase) -> None:
        self._start = start
        self._failure: ApplicationError | None = None
        self._changed = False
        self._background: set[asyncio.Future[None]] = set()
        """Deliveries and record writes under way: the run ends only after them."""
        self._records = RecordChanges()
        self._opening = start.continued is None
        self._behaviour = start.asked_behaviour()
        """None until the first task reads it from the patches (`_patched_behaviour`)."""
        self._records_failed = False
        """A record batch failed for good: the state then carries every instance on."""
        self._looping = True
        """The run loop still runs tasks (it stops to close or to continue as new)."""
        self._due: list[ActionRequest] = []
        """Actions commands made due, sent with the task's records (`_rides`)."""
        self._checked: tuple[str, datetime] | None = None
        """The update whose validator just ran, and the instant it gave its command."""
        self._reached: datetime | None = None
        now = workflow.now()
        if start.continued is not None:
            # A state this code cannot read is a bug to fix, not a case to fail: the task retries
            # until a worker that reads it takes over.
            self._clock = CaseClock(_continued_state(start))
        else:
            try:
                pinned = _pinned(start.calendars, start.opened_at or now)
                self._clock = CaseClock.open_case(start.model_copy(update=pinned), now)
            except (ValueError, ArithmeticError) as error:
                self._failure = ApplicationError(
                    f"the case cannot start: {error}", type="InvalidCase", non_retryable=True
                )
                self._clock = CaseClock(
                    CaseState(
                        case_id=start.case_id,
                        fields={},
                        opened_at=now,
                        process=start.process,
                        calendars={},
                    )
                )
        self._published: dict[str, Published] = {
            key.name: _published_value(workflow.info().typed_search_attributes.get(key))
            for key in SEARCH_ATTRIBUTES
        }

    @workflow.run
    async def run(self, start: StartCase) -> CaseOutcome:
        if self._failure is not None:
            raise self._failure
        timer: asyncio.Future[None] | None = None
        armed_for: datetime | None = None
        while True:
            now = self._now()
            if self._rides:
                # The actions this task made due go out after its records are batched, the first
                # of them carrying the batch (`Behaviour.RECORDS_RIDE_ACTIONS`).
                made_due, self._due = [*self._due, *self._clock.advance(now)], []
            else:
                self._dispatch(self._clock.advance(now))
                made_due = []
            tracker = self._clock.tracker(now)
            self._publish(tracker)
            self._dispatch(made_due, self._record(tracker))
            if self._clock.closed or self._history_is_long():
                self._looping = False
                break
            due = self._clock.next_due()
            if due != armed_for:
                if timer is not None:
                    timer.cancel()
                timer, armed_for = None, due
                if due is not None:
                    summary = self._clock.due_summary(due)
                    timer = asyncio.ensure_future(
                        workflow.sleep(_timer_delay(due, now), summary=summary)
                    )
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
            lambda: not self._background and workflow.all_handlers_finished()
        )
        if not self._clock.closed:
            workflow.continue_as_new(self._continued())
        return self._clock.outcome()

    def _continued(self) -> StartCase:
        """The input of the case's next run: its state, compacted when every record it holds
        was written (`workflows.compaction`), carrying its process and calendars once."""
        carried = {"behaviour": self._behaviour, "records": None}
        if not workflow.patched(COMPACT_STATE):
            whole = self._clock.state.model_dump(mode="json")
            return self._start.model_copy(update={**carried, "continued": whole})
        behaviour = self._behaviour or Behaviour.NO_RECORDS
        state = self._clock.state
        if behaviour.writes_records and not self._records_failed:
            state = compacted(self._clock)
        continued = state.model_dump(mode="json", exclude={"process"})
        update = {**carried, "continued": continued, "process": state.process, "calendars": {}}
        return self._start.model_copy(update=update)

    # ------------------------------------------------------------------------------- queries

    @workflow.query(name=TRACKER_QUERY)
    def tracker(self, as_of: datetime | None = None) -> CaseTracker:
        """Every milestone's countdown, as of `as_of` (default: the workflow's last task)."""
        now = self._now()
        if as_of is None:
            return self._clock.tracker(now)
        return self._clock.tracker(max(as_of, now), asked=True)

    @workflow.query(name=TIMELINE_QUERY)
    def timeline(self) -> list[TimelineEvent]:
        """What happened to the case's milestones, in order: started, paused, resumed, warned,
        violated, escalated, completed, cancelled, retargeted, and failed deliveries."""
        return self._clock.timeline()

    # ------------------------------------------------------------------------------ commands

    @workflow.update(name=CompleteMilestone.update_name, description=_about(CompleteMilestone))
    def complete_milestone(self, command: CompleteMilestone | None = None) -> CommandApplied:
        return self._apply(CompleteMilestone, command)

    @complete_milestone.validator
    def validate_complete_milestone(self, command: CompleteMilestone | None = None) -> None:
        self._validate(CompleteMilestone, command)

    @workflow.signal(name=CompleteMilestone.update_name, description=_about(CompleteMilestone))
    def complete_milestone_signal(self, command: CompleteMilestone | None = None) -> None:
        self._signalled(CompleteMilestone, command)

    @workflow.update(name=Pause.update_name, description=_about(Pause))
    def pause(self, command: Pause | None = None) -> CommandApplied:
        return self._apply(Pause, command)

    @pause.validator
    def validate_pause(self, command: Pause | None = None) -> None:
        self._validate(Pause, command)

    @workflow.signal(name=Pause.update_name, description=_about(Pause))
    def pause_signal(self, command: Pause | None = None) -> None:
        self._signalled(Pause, command)

    @workflow.update(name=Resume.update_name, description=_about(Resume))
    def resume(self, command: Resume | None = None) -> CommandApplied:
        return self._apply(Resume, command)

    @resume.validator
    def validate_resume(self, command: Resume | None = None) -> None:
        self._validate(Resume, command)

    @workflow.signal(name=Resume.update_name, description=_about(Resume))
    def resume_signal(self, command: Resume | None = None) -> None:
        self._signalled(Resume, command)

    @workflow.update(name=UpdateCase.update_name, description=_about(UpdateCase))
    def update_case(self, command: UpdateCase | None = None) -> CommandApplied:
        return self._apply(UpdateCase, command)

    @update_case.validator
    def validate_update_case(self, command: UpdateCase | None = None) -> None:
        self._validate(UpdateCase, command)

    @workflow.signal(name=UpdateCase.update_name, description=_about(UpdateCase))
    def update_case_signal(self, command: UpdateCase | None = None) -> None:
        self._signalled(UpdateCase, command)

    @workflow.update(name=RecordEvent.update_name, description=_about(RecordEvent))
    def record_event(self, command: RecordEvent | None = None) -> CommandApplied:
        return self._apply(RecordEvent, command)

    @record_event.validator
    def validate_record_event(self, command: RecordEvent | None = None) -> None:
        self._validate(RecordEvent, command)

    @workflow.signal(name=RecordEvent.update_name, description=_about(RecordEvent))
    def record_event_signal(self, command: RecordEvent | None = None) -> None:
        self._signalled(RecordEvent, command)

    @workflow.update(name=ApplyProcess.update_name, description=_about(ApplyProcess))
    def apply_process(self, command: ApplyProcess | None = None) -> CommandApplied:
        return self._apply(ApplyProcess, command)

    @apply_process.validator
    def validate_apply_process(self, command: ApplyProcess | None = None) -> None:
        self._validate(ApplyProcess, command)

    @workflow.signal(name=ApplyProcess.update_name, description=_about(ApplyProcess))
    def apply_process_signal(self, command: ApplyProcess | None = None) -> None:
        self._signalled(ApplyProcess, command)

    @workflow.update(name=Close.update_name, description=_about(Close))
    def close(self, command: Close | None = None) -> CommandApplied:
        return self._apply(Close, command)

    @close.validator
    def validate_close(self, command: Close | None = None) -> None:
        self._validate(Close, command)

    @workflow.signal(name=Close.update_name, description=_about(Close))
    def close_signal(self, command: Close | None = None) -> None:
        self._signalled(Close, command)

    def _validate(self, model: type[Command], command: Command | None) -> None:
        """The validator of every command: raise the reason it cannot apply now; else keep the
        instant it applies at for its update, which runs next in the same task."""
        given = _given(model, command)
        try:
            at = self._clock.check(given, self._now())
        except CommandRejectedError as error:
            raise _rejection(error) from None
        update = workflow.current_update_info()
        self._checked = (update.id, at) if update is not None else None

    def _signalled(self, model: type[Command], command: Command | None) -> None:
        """A command sent as a signal: applied like an update, or logged and ignored."""
        try:
            self._apply(model, command)
        except ApplicationError as error:
            workflow.logger.warning("ignored signal %s: %s", model.update_name, error)

    def _apply(self, model: type[Command], command: Command | None) -> CommandApplied:
        """Apply a command at its instant, run what it makes due, and answer what changed. The
        instant is the one the validator gave, or (a signal, or an update on replay, where no
        validator runs) the one `check` gives now."""
        now = self._now()
        update = workflow.current_update_info()
        checked, self._checked = self._checked, None
        try:
            given = _given(model, command)
            if isinstance(given, ApplyProcess):
                given = given.model_copy(
                    update=_pinned(given.calendars, self._clock.state.opened_at)
                )
            if checked is not None and update is not None and checked[0] == update.id:
                at = checked[1]
            else:
                at = self._clock.check(given, now)
        except CommandRejectedError as error:
            raise _rejection(error) from None
        before = self._clock.state.snapshot()
        try:
            applied = self._clock.apply(given, now, at=at)
        except (ValueError, ArithmeticError) as error:
            # Arithmetic the case's data cannot answer: nothing of the command stays, the case
            # goes on, and the caller learns why (never a workflow task failing forever).
            self._clock = CaseClock(before)
            raise _rejection(
                CommandRejectedError(f"the case cannot apply {model.update_name}: {error}")
            ) from None
        if self._rides and self._looping:
            self._due += applied.requests  # sent with the task's records, in the run loop
        else:
            self._dispatch(applied.requests)
        self._changed = True
        return self._clock.answer(given, applied, now)

    # ------------------------------------------------------------------------------- helpers

    def _now(self) -> datetime:
        """The case's clock: Temporal's, but never behind the due instant of a timer that fired
        (the server may round) nor behind the instant a command was applied at (an `at` a little
        ahead of Temporal's clock)."""
        floor = self._clock.applied_at
        if self._reached is not None:
            floor = max(floor, self._reached)
        return max(workflow.now(), floor)

    @property
    def _rides(self) -> bool:
        """Whether the task's record batch rides with its first action (known from the case's
        first task on; a case whose starter did not say reads its behaviour there)."""
        return self._behaviour is not None and self._behaviour.records_ride_actions

    def _dispatch(self, requests: list[ActionRequest], records: RecordBatch | None = None) -> None:
        """Run `requests`, the first carrying `records` (written alone when there is none)."""
        now = self._now()
        for n, request in enumerate(requests):
            self._clock.action_started(request, now)
            self._in_background(self._deliver(request, records if n == 0 else None))
        if records is not None and not requests:
            self._in_background(self._write(records))

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Future[None]) -> None:
        """A delivery or record write ended. Each handles its own failures; one that escaped
        anyway (a bug) is logged and shown on the timeline, never left unobserved."""
        self._background.discard(task)
        if task.cancelled() or (error := task.exception()) is None:
            return
        workflow.logger.error("background work of the case failed: %r", error)
        self._clock.background_failed(f"background work failed: {error!r}", self._now())

    def _record(self, tracker: CaseTracker) -> RecordBatch | None:
        """The batch of the milestone records this task changed, to write, if the case's
        behaviour writes them (cases started before records existed, and their replays, write
        none)."""
        if self._behaviour is None:
            self._behaviour = _patched_behaviour()
        if not self._behaviour.writes_records:
            return None
        opening, self._opening = self._opening, False
        if opening and self._behaviour.starter_opens and not self._clock.closed:
            # The first task of a light case: its starter wrote the opening records, and the
            # task arms its timers without waiting on a write. Its first batch writes them all.
            self._records.prime(tracker)
            return None
        state = self._clock.state
        batch = self._records.batch(tracker, state.records_revision + 1)
        if batch is not None:
            state.records_revision = batch.revision
        return batch

    async def _write(self, batch: RecordBatch) -> None:
        error = await write_records(batch)
        if error is not None:
            self._records_failed = True
            self._clock.background_failed(
                f"milestone records revision {batch.revision} not written: {error}", self._now()
            )

    async def _deliver(self, request: ActionRequest, records: RecordBatch | None) -> None:
        try:
            outcome = await deliver(request, self._clock.expires_after(request), records)
        except Exception as error:  # e.g. the SDK refusing to schedule it: still an outcome
            workflow.logger.error("action %s could not run: %r", request.idempotency_key, error)
            outcome = Delivery(delivered=False, attempts=0, error=f"it could not run: {error}")
        if records is not None and not outcome.records_written:
            self._in_background(self._write(records))
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

    def _publish(self, tracker: CaseTracker) -> None:
        """Upsert the search attributes that changed (each upsert is a history event). Until
        the first task has read the behaviour, the case publishes as the oldest did."""
        behaviour = self._behaviour or Behaviour.NO_RECORDS
        deadline = (
            tracker.next_deadline
            if behaviour.keeps_overdue_deadline
            else self._clock.next_deadline(overdue=False)
        )
        wanted: list[tuple[SearchAttributeKey[Any], Published]] = [
            (CASE_ID, tracker.case_id),
            (SLA_STATE, tracker.sla_state),
            (NEXT_DEADLINE, deadline),
            (PRIORITY, _text(tracker.fields.get("priority"))),
            (ENTITLEMENT_PROCESS, tracker.process),
            (ACCOUNT_ID, _text(tracker.fields.get("account_id"))),
        ]
        if behaviour.publishes_owner:  # Owner came with records: older cases replay without
            wanted.append((OWNER, _text(tracker.fields.get("owner"))))
        updates: list[SearchAttributeUpdate[Any]] = []
        for key, value in wanted:
            if self._published.get(key.name) != value:
                self._published[key.name] = value
                updates.append(key.value_unset() if value is None else key.value_set(value))
        if updates:
            workflow.upsert_search_attributes(updates)


def _timer_delay(due: datetime, now: datetime) -> float:
    """Seconds to sleep from `now` (the task's instant) until `due`, less the time this task
    has run so far: the server starts the timer when the task completes, and a burst of starts
    can keep a task running for a second or more. Rounded up to a millisecond.

    The lag is read from the wall clock, which no replay reproduces; that is safe because a
    replay never compares a timer's duration, and a replayed task starts no timer."""
    delay = due - now
    if not workflow.unsafe.is_replaying():
        with workflow.unsafe.sandbox_unrestricted():
            lag = datetime.now(UTC) - now
        delay -= min(max(lag, timedelta(0)), MAX_TIMER_LEAD)
    return max(math.ceil(delay / timedelta(milliseconds=1)), 1) / 1000


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _published_value(value: object) -> Published:
    if isinstance(value, str | datetime) or value is None:
        return value
    return str(value)
