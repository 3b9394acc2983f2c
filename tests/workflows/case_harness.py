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
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from workflows.case_sla import CaseSlaWorkflow
from workflows.contract import ActionRequest, ActionResult, CaseTracker, StartCase, case_workflow_id

NY = ZoneInfo("America/New_York")
HANDLERS = ("webhook", "email", "case_update", "escalate")
HISTORIES = Path(__file__).parent.parent / "histories"


@dataclass
class ActionRecorder:
    """Stands in for the action handlers at the edge: records every request it receives."""

    requests: list[ActionRequest] = field(default_factory=list)
    fail_handlers: set[str] = field(default_factory=set)

    def activities(self) -> list[Any]:
        return [self._handler(name) for name in HANDLERS]

    def _handler(self, name: str) -> Any:
        @activity.defn(name=name)
        async def record(request: ActionRequest) -> ActionResult:
            self.requests.append(request)
            if name in self.fail_handlers:
                from temporalio.exceptions import ApplicationError

                raise ApplicationError("receiver said 400", type="DeliveryRejected")
            return ActionResult(status="delivered")

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
) -> WorkflowHandle[CaseSlaWorkflow, CaseTracker]:
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
