"""A case open for two years stays small and exact: a sequential "update every business day"
milestone, a Resolution that breached long ago and stays open, 400 pauses and a priority change
a month, on the time-skipping server with the case continuing as new every few hundred events.

Every continued run's input stays under 64 KB. The tracker at the end is the very tracker of a
pure clock driven by the same commands at the same instants without any continue-as-new (every
instance the workflow still carries, field for field), the milestone records hold every
instance as that clock has it, and every action ran exactly once.
"""

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from tests.helpers import running_worker
from tests.helpers.cases import NY, ActionRecorder, next_weekday, now, start, travel_to
from workflows.business_hours import WEEKDAYS, BusinessHours, calendar_for
from workflows.case_sla import CaseSlaWorkflow
from workflows.clock import CaseClock
from workflows.contract import (
    CaseOutcome,
    Close,
    Command,
    CommandApplied,
    EntitlementProcess,
    Pause,
    RecordEvent,
    Resume,
    StartCase,
    UpdateCase,
)
from workflows.records import lasting, records_of

pytestmark = pytest.mark.timeout(240)

MONDAY = 0
DAYS = 730
PAUSES = 400
MAX_INPUT_BYTES = 64 * 1024
OFFICE = BusinessHours(
    name="New York office",
    time_zone="America/New_York",
    weekly={day: [("09:00", "17:00")] for day in WEEKDAYS[:5]},
    holiday_country="US",
)
CALENDAR = calendar_for(OFFICE)
HOOK = {"handler": "webhook", "params": {"url": "https://crm.example/hooks/sla"}}
ESCALATE = {"handler": "escalate", "params": {"queue": "managers"}}


def long_haul() -> EntitlementProcess:
    by_priority = [
        {"when": {"all": [{"field": "priority", "op": "eq", "value": "High"}]}, "target": "40h"},
        {"target": "80h"},
    ]
    return EntitlementProcess.model_validate(
        {
            "name": "Long haul",
            "business_hours": OFFICE.name,
            "milestones": [
                {
                    "name": "Customer Update",
                    "recurrence": "sequential",
                    "target": "8h",
                    "complete_when": {"events": ["customer_updated"]},
                    "actions": {
                        "warning": [{**HOOK, "before_target": "1h"}],
                        "violation": [HOOK],
                    },
                },
                {
                    "name": "Resolution",
                    "target": by_priority,
                    "complete_when": {"all": [{"field": "status", "op": "eq", "value": "Solved"}]},
                    "actions": {
                        "violation": [
                            HOOK,
                            {**ESCALATE, "after_target": "8h"},
                            {**ESCALATE, "after_target": "40h"},
                        ]
                    },
                },
            ],
        }
    )


def script(opened: datetime) -> list[tuple[datetime, Command]]:
    """Two years of commands: each business day the customer is updated in the morning (but
    every seventh, which runs late), on 400 of them the case pauses over lunch, and on the
    first business day of each month the priority changes. New York wall-clock times, a few
    minutes different each day: a deadline falls at the instant of the command it follows, and
    the time-skipping server rejects a workflow task that fires a timer and takes an update at
    the same instant."""
    days = [
        day
        for n in range(DAYS)
        if CALENDAR.is_open(_at(day := opened.date() + timedelta(days=n), 10, 0))
    ]
    pause_days = {days[round(i * (len(days) - 1) / (PAUSES - 1))] for i in range(PAUSES)}
    assert len(pause_days) == PAUSES
    commands: list[tuple[datetime, Command]] = []
    month = opened.month
    for n, day in enumerate(days):
        minute = 1 + (n * 7) % 50
        if n % 7 != 3:
            commands.append((_at(day, 10, minute), RecordEvent(type="customer_updated")))
        if day.month != month:
            month = day.month
            priority = "High" if month % 2 else "Normal"
            commands.append((_at(day, 11, minute), UpdateCase(fields={"priority": priority})))
        if day in pause_days:
            commands.append((_at(day, 12, minute), Pause(reason="Waiting on customer")))
            commands.append((_at(day, 14, minute), Resume()))
    return commands


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, 30, tzinfo=NY)


async def send(handle: WorkflowHandle[Any, Any], command: Command) -> CommandApplied:
    update = {
        RecordEvent: CaseSlaWorkflow.record_event,
        UpdateCase: CaseSlaWorkflow.update_case,
        Pause: CaseSlaWorkflow.pause,
        Resume: CaseSlaWorkflow.resume,
    }[type(command)]
    answer: CommandApplied = await handle.execute_update(update, command)  # type: ignore[arg-type]
    return answer


async def run_inputs(env: WorkflowEnvironment, handle: WorkflowHandle[Any, Any]) -> list[int]:
    """The size of every run's input, following the chain of continued runs."""
    sizes = []
    run_id: str | None = handle.first_execution_run_id
    while run_id:
        run = env.client.get_workflow_handle(handle.id, run_id=run_id)
        run_id = None
        async for event in run.fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
                attributes = event.workflow_execution_started_event_attributes
                sizes.append(attributes.input.ByteSize())
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
                run_id = (
                    event.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
                )
    return sizes


async def test_a_two_year_case_stays_small_and_exact(env: WorkflowEnvironment) -> None:
    opened = next_weekday(await now(env), MONDAY, 9)
    case = StartCase(
        case_id=f"LONG-{uuid.uuid4().hex[:8]}",
        fields={"status": "Open", "priority": "High"},
        opened_at=opened,
        process=long_haul(),
        calendars={OFFICE.name: OFFICE},
        continue_as_new_after_events=300,
    )
    oracle = CaseClock.open_case(case, opened)
    recorder = ActionRecorder()
    commands = script(opened)
    async with running_worker(env, recorder.activities()) as task_queue:
        await travel_to(env, opened)
        handle: WorkflowHandle[CaseSlaWorkflow, CaseOutcome] = await start(env, task_queue, case)
        for instant, command in commands:
            await travel_to(env, instant)
            latest = env.client.get_workflow_handle(handle.id)
            applied = await send(latest, command)
            oracle.apply(command, applied.at, at=applied.at)
        end = commands[-1][0] + timedelta(hours=5)
        await travel_to(env, end)
        latest = env.client.get_workflow_handle(handle.id)
        tracker = await latest.query(CaseSlaWorkflow.tracker, end)
        await latest.execute_update(CaseSlaWorkflow.close, Close())
        await latest.result()
        sizes = await run_inputs(env, handle)
    oracle.advance(end)
    expected = oracle.tracker(end, asked=True)

    assert len(sizes) > 10, sizes  # it continued as new many times
    print(f"{len(sizes)} runs; inputs {min(sizes)}-{max(sizes)} B")
    assert max(sizes) < MAX_INPUT_BYTES, sizes
    # The tracker: what the workflow carries is exactly what the uncompacted clock has.
    by_key = {(m.name, m.instance): m for m in expected.milestones}
    carried = tracker.milestones
    assert {m.name for m in carried} == {"Customer Update", "Resolution"}
    for status in carried:
        assert status.model_dump(exclude={"actions"}) == by_key[
            status.name, status.instance
        ].model_dump(exclude={"actions"})
    assert tracker.left_out is not None
    assert tracker.left_out.instances + len(carried) == len(expected.milestones)
    assert tracker.left_out.pauses + len(tracker.pauses) == PAUSES
    assert (tracker.sla_state, tracker.next_deadline) == (
        expected.sla_state,
        expected.next_deadline,
    )
    # The records: every instance, as the uncompacted clock has it.
    written = {(r.milestone, r.instance): r for b in recorder.batches for r in b.milestones}
    _, records = records_of(expected)
    assert len(records) == len(expected.milestones) > 400
    for record in records:
        kept = written[record.milestone, record.instance]
        if record.state in ("completed", "cancelled"):
            assert lasting(kept) == lasting(record), (record.milestone, record.instance)
    # Every action ran once: each one the uncompacted clock passed (the breach itself is none).
    keys = recorder.keys()
    fired = [
        f"{case.case_id}/{i.milestone}/{i.number}/{key}"
        for i in oracle.state.instances
        for key in i.fired
        if key != "violation/0"
    ]
    assert sorted(keys) == sorted(fired)
    assert len(keys) == len(set(keys)) > 100
