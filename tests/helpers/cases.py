"""Helpers for driving case workflows on the time-skipping server: a recording fake for the
action activities (registered under the real handler names), time travel to wall-clock
instants, and the record of which action ran when.
"""

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from workflows.case_sla import CaseSlaWorkflow
from workflows.contract import (
    ACTION_HANDLERS,
    DELIVERY_FAILED,
    DELIVERY_FAILED_HANDLER,
    DELIVERY_REJECTED,
    WRITE_RECORDS,
    ActionRequest,
    ActionResult,
    CaseOutcome,
    CaseTracker,
    DeliveryFailure,
    StartCase,
    TimelineEvent,
    case_workflow_id,
)
from workflows.records import RecordBatch

NY = ZoneInfo("America/New_York")
HISTORIES = Path(__file__).parent.parent / "workflows" / "histories"


@dataclass
class ActionRecorder:
    """Stands in for the action handlers at the edge: records every request it receives."""

    requests: list[ActionRequest] = field(default_factory=list)
    fail_handlers: set[str] = field(default_factory=set)
    """Handlers that fail for good, as on a receiver's 400."""
    retry_handlers: set[str] = field(default_factory=set)
    """Handlers that fail in a way worth retrying, as on a receiver's 503."""

    batches: list[RecordBatch] = field(default_factory=list)
    """The milestone records the cases wrote, batch by batch."""
    given_up: list[DeliveryFailure] = field(default_factory=list)
    """The actions the cases gave up on, as the delivery log would be told."""

    def activities(self, *, records: bool = True, lacking: str | None = None) -> list[Any]:
        """Fakes of the action handlers (but the one named `lacking`) and of the delivery log's
        `delivery_failed`, and of the records store unless `records` is False (a test that
        writes to a real database registers the real one)."""
        handlers = [self._handler(name) for name in ACTION_HANDLERS if name != lacking]
        fakes = [*handlers, self._given_up()]
        return [*fakes, self._records()] if records else fakes

    def _given_up(self) -> Any:
        @activity.defn(name=DELIVERY_FAILED_HANDLER)
        async def given_up(failure: DeliveryFailure) -> int:
            self.given_up.append(failure)
            return 0

        return given_up

    def _records(self) -> Any:
        @activity.defn(name=WRITE_RECORDS)
        async def write(batch: RecordBatch) -> None:
            self.batches.append(batch)

        return write

    def _handler(self, name: str) -> Any:
        @activity.defn(name=name)
        async def record(request: ActionRequest) -> ActionResult:
            records, request = request.records, request.model_copy(update={"records": None})
            self.requests.append(request)
            if name in self.fail_handlers:
                raise ApplicationError("receiver said 400", type=DELIVERY_REJECTED)
            if name in self.retry_handlers:
                raise ApplicationError("receiver said 503", type=DELIVERY_FAILED)
            if records is None:
                return ActionResult(status="delivered")
            self.batches.append(records)  # as the real handler writes the batch it is handed
            return ActionResult(status="delivered", records_written=True)

        return record

    def keys(self) -> list[str]:
        return [request.idempotency_key for request in self.requests]


async def now(env: WorkflowEnvironment) -> datetime:
    return await env.get_current_time()


async def travel_to(env: WorkflowEnvironment, instant: datetime) -> None:
    """Skip server time forward to `instant` (the workflows' timers fire on the way)."""
    delay = (instant - await now(env)).total_seconds()
    if delay > 0:
        await env.sleep(delay)


def next_weekday(after: datetime, weekday: int, hour: int, minute: int = 0) -> datetime:
    """The first New York wall-clock `weekday` (0 = Monday) at hour:minute, a day or more after."""
    day = (after.astimezone(NY) + timedelta(days=1)).date()
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NY)


async def start(
    env: WorkflowEnvironment, task_queue: str, case: StartCase
) -> WorkflowHandle[CaseSlaWorkflow, CaseOutcome]:
    return await env.client.start_workflow(
        CaseSlaWorkflow.run, case, id=case_workflow_id(case.case_id), task_queue=task_queue
    )


def ran(tracker: CaseTracker, *, on_time: bool = True) -> list[tuple[str, str]]:
    """Every action of the case as (milestone/instance/kind/n, due instant in New York), in due
    order; with `on_time`, after checking each ran at its due instant (the workflow's clock,
    within a second) and was delivered."""
    actions = []
    for status in tracker.milestones:
        for action in status.actions:
            if on_time:
                lateness = action.started_at - action.due_at
                assert timedelta(0) <= lateness < timedelta(seconds=1), (action, lateness)
                assert action.status == "delivered", action
            key = f"{status.name}/{status.instance}/{action.kind}/{action.n}"
            actions.append((action.due_at, key, wall(action.due_at)))
    return [(key, when) for _, key, when in sorted(actions)]


def wall(instant: datetime) -> str:
    """An instant as a New York wall-clock time to the nearest second, 'Mon 2026-11-30 09:15:00'.

    Commands reach the server some milliseconds after the instant a test travels to, and a pause
    shifts later deadlines by as much; seconds are what a test can state exactly.
    """
    rounded = (instant + timedelta(milliseconds=500)).replace(microsecond=0)
    return f"{rounded.astimezone(NY):%a %Y-%m-%d %H:%M:%S}"


async def save_history(handle: WorkflowHandle[Any, Any], name: str) -> None:
    """Keep the history for the replay test when asked to (SLA_SAVE_HISTORIES=1)."""
    if os.environ.get("SLA_SAVE_HISTORIES") != "1":
        return
    history = await handle.fetch_history()
    HISTORIES.mkdir(exist_ok=True)
    (HISTORIES / f"{name}.json").write_text(
        json.dumps({"workflow_id": handle.id, "history": json.loads(history.to_json())}, indent=1)
    )


def at(day: datetime, plus_days: int, hour: int, minute: int = 0) -> datetime:
    """A New York wall-clock time `plus_days` after `day`'s date."""
    base = day.astimezone(NY).date() + timedelta(days=plus_days)
    return datetime(base.year, base.month, base.day, hour, minute, tzinfo=NY)


def milestone_events(timeline: list[TimelineEvent]) -> list[tuple[str, str | None, str]]:
    """What happened to the milestones, without the case's opening, starts and close."""
    return [
        (event.kind, event.milestone, wall(event.at))
        for event in timeline
        if event.kind not in ("opened", "started", "closed")
    ]


async def summaries(handle: WorkflowHandle[Any, Any]) -> dict[str, list[str]]:
    """The summaries the Temporal UI shows in a case's history, by event ("timer", "marker",
    "activity"), in history order."""
    kinds = {
        EventType.EVENT_TYPE_TIMER_STARTED: "timer",
        EventType.EVENT_TYPE_MARKER_RECORDED: "marker",
        EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: "activity",
    }
    found: dict[str, list[str]] = {kind: [] for kind in kinds.values()}
    async for event in handle.fetch_history_events():
        if event.event_type in kinds and event.user_metadata.HasField("summary"):
            summary = json.loads(event.user_metadata.summary.data)
            found[kinds[event.event_type]].append(summary)
    return found


def stormhaven_story(
    monday: datetime,
) -> tuple[list[tuple[str, str]], list[tuple[str, str | None, str]]]:
    """What the Stormhaven premium case opened the Friday before `monday` at 16:30 must show,
    driven like this: status Waiting on Customer 09:20-10:20, agent reply 10:25, stage set at
    16:00, solved and closed Wednesday 12:00. Its actions, then its milestone events."""
    actions = [
        ("First Response/1/warning/1", wall(at(monday, 0, 9, 15))),
        ("First Response/1/success/1", wall(at(monday, 0, 10, 25))),
        ("Triage/1/warning/1", wall(at(monday, 0, 13, 15))),
        ("Triage/1/violation/1", wall(at(monday, 0, 13, 30))),
        ("Triage/1/violation/2", wall(at(monday, 0, 14, 0))),
        ("Triage/1/violation/3", wall(at(monday, 0, 15, 30))),
        ("Triage/1/success/1", wall(at(monday, 0, 16, 0))),
        ("Resolution/1/success/1", wall(at(monday, 2, 12, 0))),
    ]
    events = [
        ("warned", "First Response", wall(at(monday, 0, 9, 15))),
        ("paused", None, wall(at(monday, 0, 9, 20))),
        ("resumed", None, wall(at(monday, 0, 10, 20))),
        ("completed", "First Response", wall(at(monday, 0, 10, 25))),
        ("warned", "Triage", wall(at(monday, 0, 13, 15))),
        ("violated", "Triage", wall(at(monday, 0, 13, 30))),
        ("escalated", "Triage", wall(at(monday, 0, 13, 30))),
        ("escalated", "Triage", wall(at(monday, 0, 14, 0))),
        ("escalated", "Triage", wall(at(monday, 0, 15, 30))),
        ("completed", "Triage", wall(at(monday, 0, 16, 0))),
        ("completed", "Resolution", wall(at(monday, 2, 12, 0))),
    ]
    return actions, events
