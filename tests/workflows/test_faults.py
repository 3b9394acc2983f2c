"""No data wedges a case: what its calendars cannot answer becomes a visible fault of the
milestone, a command the data cannot take is refused and leaves the case as it was, and input
past the bounds is refused at the boundary. On the time-skipping server."""

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from tests.helpers import running_worker
from tests.helpers.cases import ActionRecorder, now, start, travel_to
from workflows.business_hours import BusinessHours, Holiday
from workflows.case_sla import CaseSlaWorkflow
from workflows.clock import CaseClock
from workflows.contract import (
    COMMAND_INVALID,
    Close,
    EntitlementProcess,
    StartCase,
    UpdateCase,
)

HOOK = {"handler": "webhook", "params": {"url": "https://crm.example/hooks/sla"}}
# A calendar whose only open time lies in the past: any deadline in it lies beyond ten years of
# closed time, so no deadline can be computed. It is a valid calendar all the same.
PILOT_DAYS = BusinessHours(
    name="Pilot days",
    time_zone="UTC",
    holidays=[Holiday(date=date(2020, 1, 6), name="Pilot", open=[("09:00", "17:00")])],
)


def process(**overrides: Any) -> EntitlementProcess:
    definition: dict[str, Any] = {
        "name": "Pilot",
        "milestones": [
            {
                "name": "First Response",
                "business_hours": PILOT_DAYS.name,
                "target": "1h",
                "actions": {"violation": [HOOK]},
            },
            {"name": "Resolution", "target": "2h", "actions": {"violation": [HOOK]}},
        ],
        **overrides,
    }
    return EntitlementProcess.model_validate(definition)


def case(**fields: Any) -> StartCase:
    return StartCase(
        case_id=f"F-{uuid.uuid4().hex[:10]}",
        fields={"status": "New", **fields},
        process=process(),
        calendars={PILOT_DAYS.name: PILOT_DAYS},
    )


async def test_a_milestone_its_calendar_cannot_answer_is_a_fault_and_the_case_goes_on(
    env: WorkflowEnvironment,
) -> None:
    recorder = ActionRecorder()
    async with running_worker(env, recorder.activities()) as task_queue:
        handle = await start(env, task_queue, case())
        opened = await now(env)
        await travel_to(env, opened + timedelta(hours=3))
        tracker = await handle.query(CaseSlaWorkflow.tracker)
        first, resolution = tracker.milestones
        assert first.fault is not None
        assert "no open time within 10 years" in first.fault
        assert first.target_at is None
        assert (resolution.fault, resolution.violated) == (None, True)
        # The other milestone's action ran; the faulted one's never will.
        assert [r.milestone for r in recorder.requests] == ["Resolution"]
        closed = await handle.execute_update(CaseSlaWorkflow.close, Close())
        assert closed.sla_state == "done"
        assert [(c.kind, c.milestone) for c in closed.changes] == [
            ("cancelled", "First Response"),
            ("cancelled", "Resolution"),
            ("closed", None),
        ]
        timeline = await handle.query(CaseSlaWorkflow.timeline)
        assert [e.milestone for e in timeline if e.kind == "fault"] == ["First Response"]
        await handle.result()


async def test_planted_state_past_the_calendar_years_still_answers_and_closes(
    env: WorkflowEnvironment,
) -> None:
    # State as a continued run could carry it: an instance started in year 9995 with a 10-year
    # target, past the years a datetime holds.
    opened = datetime.fromisoformat("9995-06-01T00:00:00+00:00")
    planted = CaseClock.open_case(
        case().model_copy(update={"opened_at": opened}), opened + timedelta(minutes=1)
    )
    resolution = planted.state.instances[1]
    resolution.target = timedelta(days=3653)
    started = case().model_copy(update={"continued": planted.state.model_dump(mode="json")})
    async with running_worker(env, ActionRecorder().activities()) as task_queue:
        handle = await start(env, task_queue, started)
        tracker = await handle.query(CaseSlaWorkflow.tracker)
        assert all(m.fault is not None for m in tracker.milestones), tracker.milestones
        closed = await handle.execute_update(CaseSlaWorkflow.close, Close())
        assert closed.changes[-1].kind == "closed"
        assert (await handle.result()).closed_at == closed.at


async def rejected(coroutine: Any) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as raised:
        await coroutine
    cause = raised.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def test_fields_past_the_bounds_are_refused_and_change_nothing(
    env: WorkflowEnvironment,
) -> None:
    async with running_worker(env, ActionRecorder().activities()) as task_queue:
        handle = await start(env, task_queue, case())
        update = CaseSlaWorkflow.update_case
        # Sent around the model, as a direct Temporal caller could: the payload is checked on
        # arrival all the same.
        huge = await rejected(handle.execute_update(update, {"fields": {"note": "x" * 1_500_000}}))
        assert huge.type == COMMAND_INVALID
        assert "at most 2000" in huge.message
        # Each field fits, the case's fields together would not.
        for n in range(16):
            await handle.execute_update(update, UpdateCase(fields={f"f{n}": "y" * 1950}))
        total = await rejected(
            handle.execute_update(update, UpdateCase(fields={"f16": "y" * 1950}))
        )
        assert total.type == COMMAND_INVALID
        assert "at most 32768" in total.message
        tracker = await handle.query(CaseSlaWorkflow.tracker)
        assert "f16" not in tracker.fields
        await handle.execute_update(CaseSlaWorkflow.close, Close())


async def test_a_process_with_an_impossible_target_fails_its_start_at_once(
    env: WorkflowEnvironment,
) -> None:
    # A direct Temporal caller sends a process past the bounds: the input is refused on arrival,
    # the workflow fails with the reason instead of retrying its first task forever.
    started = case().model_dump(mode="json")
    started["process"]["milestones"][1]["target"] = "1000000000h"
    async with running_worker(env, ActionRecorder().activities()) as task_queue:
        handle = await env.client.start_workflow(
            "CaseSla", started, id=f"case-{started['case_id']}", task_queue=task_queue
        )
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == COMMAND_INVALID
    assert "is longer than the 10 years" in cause.message


async def test_an_action_naming_no_handler_fails_for_good_and_says_why(
    env: WorkflowEnvironment,
) -> None:
    # Publishing refuses such an action; a direct Temporal caller can still plant one.
    slack = {"handler": "slack", "params": {"channel": "#sla"}}
    planted = process(
        milestones=[{"name": "Resolution", "target": "1h", "actions": {"violation": [slack]}}]
    )
    started = case().model_copy(update={"process": planted, "calendars": {}})
    recorder = ActionRecorder()
    async with running_worker(env, recorder.activities()) as task_queue:
        handle = await start(env, task_queue, started)
        await travel_to(env, await now(env) + timedelta(hours=2))
        tracker = await handle.query(CaseSlaWorkflow.tracker)
        (action,) = tracker.milestones[0].actions
        expected = "no handler named 'slack': the workers run webhook, email, case_update, escalate"
        assert (action.status, action.attempts, action.error) == ("failed", 0, expected)
        assert [(f.request.idempotency_key, f.error) for f in recorder.given_up] == [
            (action.idempotency_key, expected)
        ]
        timeline = await handle.query(CaseSlaWorkflow.timeline)
        assert [e.detail for e in timeline if e.kind == "action_failed"] == [
            f"{action.idempotency_key}: {expected}"
        ]
        assert recorder.requests == []
        await handle.execute_update(CaseSlaWorkflow.close, Close())
        await handle.result()


async def test_an_action_its_worker_cannot_schedule_fails_for_good_and_says_why(
    env: WorkflowEnvironment,
) -> None:
    # A worker deployed without one of the handlers: the SDK refuses to schedule the action
    # inside the workflow, which records that as the action's failure, never leaving it running.
    escalate = {"handler": "escalate", "params": {"queue": "Tier 2"}}
    planted = process(
        milestones=[{"name": "Resolution", "target": "1h", "actions": {"violation": [escalate]}}]
    )
    started = case().model_copy(update={"process": planted, "calendars": {}})
    recorder = ActionRecorder()
    async with running_worker(env, recorder.activities(lacking="escalate")) as task_queue:
        handle = await start(env, task_queue, started)
        await travel_to(env, await now(env) + timedelta(hours=2))
        tracker = await handle.query(CaseSlaWorkflow.tracker)
        (action,) = tracker.milestones[0].actions
        assert action.status == "failed"
        assert action.error is not None
        assert action.error.startswith("it could not run: Activity function escalate is not")
        timeline = await handle.query(CaseSlaWorkflow.timeline)
        assert [e.kind for e in timeline if e.kind == "action_failed"] == ["action_failed"]
        await handle.execute_update(CaseSlaWorkflow.close, Close())
        await handle.result()
