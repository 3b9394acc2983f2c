"""The CaseSla workflow on the time-skipping server: every scenario asserts the exact instants at
which its actions ran, and that each ran once."""

import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from tests.helpers import running_worker
from tests.helpers.cases import (
    NY,
    ActionRecorder,
    at,
    milestone_events,
    next_weekday,
    now,
    ran,
    save_history,
    start,
    stormhaven_story,
    summaries,
    travel_to,
    wall,
)
from tests.helpers.stormhaven import WAITING, follow_up_case, milestone_actions, premium
from workflows.business_hours import WEEKDAYS, BusinessHours, Holiday
from workflows.case_sla import CaseSlaWorkflow
from workflows.contract import (
    ApplyProcess,
    CaseTracker,
    Close,
    CompleteMilestone,
    EntitlementProcess,
    Pause,
    RecordEvent,
    Resume,
    StartCase,
    UpdateCase,
)

OFFICE = BusinessHours(
    name="Stormhaven US",
    time_zone="America/New_York",
    weekly={day: [("09:00", "17:00")] for day in WEEKDAYS[:5]},
)
FRIDAY, MONDAY = 4, 0


def utc(instant: datetime) -> str:
    """An instant as the timers' summaries write it."""
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")


def case(process: EntitlementProcess, opened_at: datetime | None, **fields: Any) -> StartCase:
    return StartCase(
        case_id=f"T-{uuid.uuid4().hex[:10]}",
        fields={"status": "New", "stage": "New", "priority": "High", **fields},
        opened_at=opened_at,
        process=process,
        calendars={OFFICE.name: OFFICE},
    )


async def test_stormhaven_premium_case(env: WorkflowEnvironment) -> None:
    recorder = ActionRecorder()
    async with running_worker(env, recorder.activities()) as task_queue:
        friday = next_weekday(await now(env), FRIDAY, 16, 30)
        await travel_to(env, friday)
        handle = await start(env, task_queue, case(premium(), friday))
        monday = at(friday, 3, 0)
        await travel_to(env, at(monday, 0, 9, 20))
        await handle.execute_update(
            CaseSlaWorkflow.update_case, UpdateCase(fields={"status": WAITING})
        )
        tracker = await handle.query(CaseSlaWorkflow.tracker)
        assert tracker.sla_state == "paused"
        assert tracker.next_deadline is None
        asked = await handle.query(CaseSlaWorkflow.tracker, at(monday, 0, 9, 50))
        assert (asked.as_of, asked.as_of_source) == (at(monday, 0, 9, 50), "caller")
        await travel_to(env, at(monday, 0, 10, 20))
        await handle.execute_update(
            CaseSlaWorkflow.update_case, UpdateCase(fields={"status": "Open"})
        )
        await travel_to(env, at(monday, 0, 10, 25))
        await handle.execute_update(CaseSlaWorkflow.record_event, RecordEvent(type="agent_replied"))
        await travel_to(env, at(monday, 0, 16, 0))
        assert (await handle.query(CaseSlaWorkflow.tracker)).sla_state == "violated"
        await handle.execute_update(
            CaseSlaWorkflow.update_case, UpdateCase(fields={"stage": "Fixing"})
        )
        await travel_to(env, at(monday, 2, 12, 0))
        await handle.execute_update(CaseSlaWorkflow.close, Close(fields={"status": "Solved"}))
        outcome = await handle.result()
        result = await handle.query(CaseSlaWorkflow.tracker)
        timeline = await handle.query(CaseSlaWorkflow.timeline)
        shown = await summaries(handle)
        await save_history(handle, "stormhaven_premium")

    expected_actions, expected_events = stormhaven_story(monday)
    assert ran(result) == expected_actions
    states = {m.name: (m.state, m.violated) for m in result.milestones}
    assert states == {
        "First Response": ("completed", False),
        "Triage": ("completed", True),
        "Resolution": ("completed", False),
    }
    assert result.pauses[0].reason == "pause_when: status eq 'Waiting on Customer'"
    assert result.pauses[0].resumed_by == "rule"
    assert result.sla_state == "done"
    assert result.as_of_source == "last_workflow_task"  # asked without as_of
    assert (outcome.closed_at, outcome.breached, outcome.milestones) == (
        result.closed_at,
        True,
        3,
    )
    assert milestone_events(timeline) == expected_events
    assert [e.kind for e in timeline[:4]] == ["opened", "started", "started", "started"]
    assert timeline[-1].kind == "closed"
    # The activities ran once each, with the keys the tracker shows.
    assert Counter(recorder.keys()) == Counter(
        a.idempotency_key for m in result.milestones for a in m.actions
    )
    assert max(Counter(recorder.keys()).values()) == 1
    # Ops read the history in the Temporal UI: each timer says what it waits for, each action
    # marker which action it is.
    assert shown["timer"][0] == f"First Response warning due {utc(at(monday, 0, 9, 15))}"
    assert f"Triage target, Triage escalation 1 due {utc(at(monday, 0, 13, 30))}" in shown["timer"]
    action_markers = shown["marker"]  # record writes have none: their activity type says it
    assert sorted(text.rsplit("key ", 1)[1] for text in action_markers) == sorted(recorder.keys())
    assert f"Triage #1 violation level 2 by escalate, key {handle.id[5:]}/Triage/1/violation/2" in (
        action_markers
    )


async def test_dst_weekend_counts_business_time(env: WorkflowEnvironment) -> None:
    recorder = ActionRecorder()
    current = await now(env)
    change = _next_us_dst_sunday(current.astimezone(NY).date() + timedelta(days=3))
    friday = at(datetime(change.year, change.month, change.day, tzinfo=NY), -2, 16, 30)
    async with running_worker(env, recorder.activities()) as task_queue:
        await travel_to(env, friday)
        handle = await start(env, task_queue, case(premium(), friday))
        await travel_to(env, at(friday, 3, 11, 0))
        tracker = await handle.query(CaseSlaWorkflow.tracker)
        await handle.execute_update(CaseSlaWorkflow.close, Close())
        await save_history(handle, "dst_weekend")
    monday = at(friday, 3, 0)
    assert ran(tracker) == [
        ("First Response/1/warning/1", wall(at(monday, 0, 9, 15))),
        ("First Response/1/violation/1", wall(at(monday, 0, 9, 30))),
        ("First Response/1/violation/2", wall(at(monday, 0, 10, 0))),
    ]
    # Friday 16:30 to Monday 09:30 is 65 h of real time on an ordinary weekend; the clock
    # change takes an hour away (spring) or adds one (fall), and business time is unmoved.
    target_at = tracker.milestones[0].target_at
    assert target_at == at(monday, 0, 9, 30)
    assert target_at - friday in (timedelta(hours=64), timedelta(hours=66))


def _next_us_dst_sunday(after: date) -> date:
    day = after
    while True:
        noon_before = datetime(day.year, day.month, day.day, 0, tzinfo=NY)
        noon_after = noon_before + timedelta(hours=12)
        if day.weekday() == 6 and noon_before.utcoffset() != noon_after.utcoffset():
            return day
        day += timedelta(days=1)


async def test_holiday_is_skipped(env: WorkflowEnvironment) -> None:
    recorder = ActionRecorder()
    friday = next_weekday(await now(env), FRIDAY, 16, 30)
    holiday = at(friday, 3, 0).date()
    office = OFFICE.model_copy(update={"holidays": [Holiday(date=holiday, name="Founders' Day")]})
    start_case = case(premium(), friday).model_copy(update={"calendars": {OFFICE.name: office}})
    async with running_worker(env, recorder.activities()) as task_queue:
        await travel_to(env, friday)
        handle = await start(env, task_queue, start_case)
        await travel_to(env, at(friday, 4, 9, 45))
        tracker = await handle.query(CaseSlaWorkflow.tracker)
        await handle.execute_update(CaseSlaWorkflow.close, Close())
        await save_history(handle, "holiday")
    tuesday = at(friday, 4, 0)
    assert ran(tracker) == [
        ("First Response/1/warning/1", wall(at(tuesday, 0, 9, 15))),
        ("First Response/1/violation/1", wall(at(tuesday, 0, 9, 30))),
    ]


def customer_updates(recurrence: str) -> EntitlementProcess:
    actions = milestone_actions("customer-update")
    return premium(
        milestones=[
            {
                "name": "Customer Update",
                "recurrence": recurrence,
                "start_from": "criteria",
                "target": "8h",
                "complete_when": {"events": ["agent_replied"]},
                "actions": {
                    "success": actions["success"],
                    "violation": [{"handler": "email", "params": {"to": "lead@stormhaven.test"}}],
                },
            }
        ]
    )


async def replies_on_a_cadence(
    env: WorkflowEnvironment,
    recurrence: str,
    replies: list[tuple[int, int]],
    until: tuple[int, int],
) -> tuple[datetime, CaseTracker]:
    """A Customer Update case opened Monday 09:00: the agent replies at each (day, hour) after
    that Monday; the tracker as of (day, hour) `until`, before the case closes."""
    monday = next_weekday(await now(env), MONDAY, 9)
    async with running_worker(env, ActionRecorder().activities()) as task_queue:
        await travel_to(env, monday)
        handle = await start(env, task_queue, case(customer_updates(recurrence), monday))
        for day, hour in replies:
            await travel_to(env, at(monday, day, hour))
            await handle.execute_update(
                CaseSlaWorkflow.record_event, RecordEvent(type="agent_replied")
            )
        await travel_to(env, at(monday, *until))
        tracker = await handle.query(CaseSlaWorkflow.tracker)
        await handle.execute_update(CaseSlaWorkflow.close, Close())
        await save_history(handle, f"cadence_{recurrence}")
    return monday, tracker


async def test_customer_update_every_business_day_independent(env: WorkflowEnvironment) -> None:
    monday, tracker = await replies_on_a_cadence(env, "independent", [(0, 11), (1, 12)], (1, 13))
    assert ran(tracker) == [
        ("Customer Update/1/success/1", wall(at(monday, 0, 11))),
        ("Customer Update/2/violation/1", wall(at(monday, 1, 11))),
        ("Customer Update/2/success/1", wall(at(monday, 1, 12))),
    ]
    starts = [(m.instance, wall(m.started_at), m.state) for m in tracker.milestones]
    assert starts == [
        (1, wall(monday), "completed"),
        (2, wall(at(monday, 0, 11)), "completed"),
        (3, wall(at(monday, 1, 12)), "active"),
    ]


async def test_customer_update_every_business_day_sequential(env: WorkflowEnvironment) -> None:
    monday, tracker = await replies_on_a_cadence(env, "sequential", [(0, 11), (1, 10)], (3, 10))
    # Each update is due a business day after the previous one was due, however early the reply
    # (8 h from Monday 09:00 is Monday 17:00: a day's hours used up end at the close).
    assert ran(tracker) == [
        ("Customer Update/1/success/1", wall(at(monday, 0, 11))),
        ("Customer Update/2/success/1", wall(at(monday, 1, 10))),
        ("Customer Update/3/violation/1", wall(at(monday, 2, 17))),
    ]
    starts = [(m.instance, wall(m.started_at), wall(m.target_at)) for m in tracker.milestones]
    assert starts == [
        (1, wall(monday), wall(at(monday, 0, 17))),
        (2, wall(at(monday, 0, 17)), wall(at(monday, 1, 17))),
        (3, wall(at(monday, 1, 17)), wall(at(monday, 2, 17))),
    ]


async def test_priority_change_retargets_and_keeps_the_breach(env: WorkflowEnvironment) -> None:
    recorder = ActionRecorder()
    process = premium(
        milestones=[
            {
                "name": "Resolution",
                "target": [
                    {
                        "when": {"all": [{"field": "priority", "op": "eq", "value": "Urgent"}]},
                        "target": "2h",
                    },
                    {"target": "8h"},
                ],
                "actions": {
                    "warning": [{"handler": "webhook", "at_percent": 75}],
                    "violation": [{"handler": "webhook"}],
                },
            }
        ]
    )
    monday = next_weekday(await now(env), MONDAY, 9)
    async with running_worker(env, recorder.activities()) as task_queue:
        await travel_to(env, monday)
        handle = await start(env, task_queue, case(process, monday, priority="Normal"))
        assert wall((await handle.query(CaseSlaWorkflow.tracker)).next_deadline) == wall(
            at(monday, 0, 17)
        )
        await travel_to(env, at(monday, 0, 10))
        await handle.execute_update(
            CaseSlaWorkflow.update_case, UpdateCase(fields={"priority": "Urgent"})
        )
        await travel_to(env, at(monday, 0, 12))
        await handle.execute_update(
            CaseSlaWorkflow.update_case, UpdateCase(fields={"priority": "Normal"})
        )
        await travel_to(env, at(monday, 0, 12, 30))
        tracker = await handle.query(CaseSlaWorkflow.tracker, at(monday, 0, 12, 30))
        await handle.execute_update(CaseSlaWorkflow.close, Close())
        await save_history(handle, "priority_change")
    assert ran(tracker) == [
        ("Resolution/1/warning/1", wall(at(monday, 0, 10, 30))),
        ("Resolution/1/violation/1", wall(at(monday, 0, 11))),
    ]
    (resolution,) = tracker.milestones
    assert resolution.target == timedelta(hours=8)
    assert resolution.violated
    assert wall(resolution.target_at) == wall(at(monday, 0, 17))
    # Elapsed business time ran on through both changes: 09:00 to 12:30.
    assert abs(resolution.business_elapsed - timedelta(hours=3, minutes=30)) < timedelta(seconds=1)


async def test_apply_process_keeps_elapsed_time_and_pauses(env: WorkflowEnvironment) -> None:
    recorder = ActionRecorder()
    v1 = premium()
    v2 = premium(
        version=2,
        milestones=[
            {**m.model_dump(), "target": timedelta(hours=2)}
            if m.name == "First Response"
            else m.model_dump()
            for m in v1.milestones
            if m.name != "Triage"
        ],
    )
    monday = next_weekday(await now(env), MONDAY, 9)
    async with running_worker(env, recorder.activities()) as task_queue:
        await travel_to(env, monday)
        handle = await start(env, task_queue, case(v1, monday))
        await travel_to(env, at(monday, 0, 9, 20))
        await handle.execute_update(CaseSlaWorkflow.pause, Pause(reason="collecting logs"))
        await travel_to(env, at(monday, 0, 9, 40))
        await handle.execute_update(CaseSlaWorkflow.resume, Resume())
        await travel_to(env, at(monday, 0, 9, 50))
        await handle.execute_update(
            CaseSlaWorkflow.apply_process, ApplyProcess(process=v2, calendars={OFFICE.name: OFFICE})
        )
        await travel_to(env, at(monday, 0, 11, 30))
        tracker = await handle.query(CaseSlaWorkflow.tracker)
        await handle.execute_update(CaseSlaWorkflow.close, Close())
        await save_history(handle, "apply_process")
    # 30 min had run (20 before the pause, 10 after); a 2 h target leaves 90 min from 09:50.
    assert ran(tracker) == [
        ("First Response/1/warning/1", wall(at(monday, 0, 11, 5))),
        ("First Response/1/violation/1", wall(at(monday, 0, 11, 20))),
    ]
    statuses = {m.name: m for m in tracker.milestones}
    assert tracker.process_version == 2
    assert statuses["Triage"].state == "cancelled"
    assert statuses["Triage"].cancel_reason == "removed by version 2"
    assert [(p.reason, p.resumed_by) for p in tracker.pauses] == [("collecting logs", "command")]


async def test_retroactive_opened_at_catches_up(env: WorkflowEnvironment) -> None:
    recorder = ActionRecorder()
    monday = next_weekday(await now(env), MONDAY, 9)
    async with running_worker(env, recorder.activities()) as task_queue:
        await travel_to(env, at(monday, 0, 12))
        handle = await start(env, task_queue, case(premium(), monday))
        await travel_to(env, at(monday, 0, 12, 50))
        tracker = await handle.query(CaseSlaWorkflow.tracker)
        await handle.execute_update(CaseSlaWorkflow.close, Close())
        await save_history(handle, "retroactive_open")
    assert ran(tracker, on_time=False) == [
        ("First Response/1/warning/1", wall(at(monday, 0, 9, 45))),
        ("First Response/1/violation/1", wall(at(monday, 0, 10))),
        ("First Response/1/violation/2", wall(at(monday, 0, 10, 30))),
        ("First Response/1/violation/3", wall(at(monday, 0, 12))),
        ("Triage/1/warning/1", wall(at(monday, 0, 12, 45))),
    ]
    started = {
        a.idempotency_key.split("/", 1)[1]: a.started_at
        for m in tracker.milestones
        for a in m.actions
    }
    # Past-due actions ran at once when the case started; the rest at their instants.
    assert wall(started["First Response/1/violation/3"]) == wall(at(monday, 0, 12))
    assert wall(started["Triage/1/warning/1"]) == wall(at(monday, 0, 12, 45))


async def test_commands_apply_at_the_instant_they_happened(env: WorkflowEnvironment) -> None:
    """A customer replies at Friday 16:30:00 in London; the event reaches the cases 2 ms later.
    Dated `at`, the 1-hour reply milestone ends at 17:30, the office's close; undated, it counts
    from 16:30:00.002 and ends on Monday 09:00:00.002, a weekend later."""
    london = ZoneInfo("Europe/London")
    recorder = ActionRecorder()
    day = (await now(env)).astimezone(london).date() + timedelta(days=1)
    while day.weekday() != FRIDAY:
        day += timedelta(days=1)
    friday = datetime(day.year, day.month, day.day, 16, 30, tzinfo=london)
    hour = timedelta(hours=1)
    async with running_worker(env, recorder.activities()) as task_queue:
        await travel_to(env, friday - hour)
        cases = [
            await start(
                env,
                task_queue,
                follow_up_case(f"LDN-{uuid.uuid4().hex[:8]}").model_copy(
                    update={"opened_at": friday - hour}
                ),
            )
            for _ in range(2)
        ]
        await travel_to(env, friday + timedelta(milliseconds=2))
        replied = RecordEvent(type="customer_replied", at=friday)
        await cases[0].execute_update(CaseSlaWorkflow.record_event, replied)
        await cases[1].execute_update(
            CaseSlaWorkflow.record_event, RecordEvent(type="customer_replied")
        )
        # The agent answers at 17:40 and the case is closed at 17:41; both reach it at 17:45.
        await travel_to(env, friday + timedelta(minutes=75))
        dated = await cases[0].query(CaseSlaWorkflow.tracker)
        await cases[0].execute_update(
            CaseSlaWorkflow.record_event,
            RecordEvent(type="agent_replied", at=friday + timedelta(minutes=70)),
        )
        await cases[0].execute_update(
            CaseSlaWorkflow.close, Close(at=friday + timedelta(minutes=71))
        )
        closed = await cases[0].query(CaseSlaWorkflow.tracker)
        undated = await cases[1].query(CaseSlaWorkflow.tracker)
        await cases[1].execute_update(CaseSlaWorkflow.close, Close())
        await save_history(cases[0], "event_time")
    assert dated.milestones[0].started_at == friday
    assert dated.milestones[0].target_at == friday + hour
    # The warning and the violation ran at their exact instants, not a millisecond later.
    due = {f"{r.kind}/{r.n}": r.due_at for r in recorder.requests if r.case_id == dated.case_id}
    assert due == {"warning/1": friday + timedelta(minutes=45), "violation/1": friday + hour}
    [reply] = closed.milestones
    assert (reply.completed_at, reply.violated) == (friday + timedelta(minutes=70), True)
    assert closed.closed_at == friday + timedelta(minutes=71)
    monday = datetime(day.year, day.month, day.day, 9, tzinfo=london) + timedelta(days=3)
    undated_target = undated.milestones[0].target_at
    assert undated_target is not None
    assert monday < undated_target < monday + timedelta(seconds=1)


async def rejected(coroutine: Any) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as raised:
        await coroutine
    cause = raised.value.cause
    assert isinstance(cause, ApplicationError)
    return cause.message


async def test_bad_commands_are_rejected_and_the_case_goes_on(env: WorkflowEnvironment) -> None:
    recorder = ActionRecorder()
    monday = next_weekday(await now(env), MONDAY, 9)
    async with running_worker(env, recorder.activities()) as task_queue:
        await travel_to(env, monday)
        handle = await start(env, task_queue, case(premium(), monday))
        await travel_to(env, at(monday, 0, 9, 10))
        complete = CaseSlaWorkflow.complete_milestone
        nope = CompleteMilestone(milestone="Nope")
        assert (await rejected(handle.execute_update(complete, nope))).startswith(
            "unknown milestone 'Nope': this case's are 'First Response', 'Triage', 'Resolution'"
        )
        assert await rejected(handle.execute_update(complete, {"nme": "Triage"})) == (
            "invalid CompleteMilestone: milestone: Field required; "
            "nme: Extra inputs are not permitted"
        )
        done = await handle.execute_update(complete, CompleteMilestone(milestone="First Response"))
        assert (done.milestone, done.instance, done.completed_late) == ("First Response", 1, False)
        assert [(c.kind, c.detail) for c in done.changes] == [("completed", "on time")]
        assert "'First Response' is already completed" in await rejected(
            handle.execute_update(complete, CompleteMilestone(milestone="first response"))
        )
        assert await rejected(handle.execute_update(CaseSlaWorkflow.resume, Resume())) == (
            "the case is not paused: there is nothing to resume"
        )
        assert (
            await rejected(
                handle.execute_update(
                    CaseSlaWorkflow.apply_process,
                    ApplyProcess(process=premium(), calendars={OFFICE.name: OFFICE}),
                )
            )
            == "the case already runs version 1"
        )
        # A bad signal is dropped and logged; the case is untouched.
        await handle.signal(CaseSlaWorkflow.pause_signal, {"why": "no reason field"})
        await handle.signal(CaseSlaWorkflow.complete_milestone_signal, "not even an object")
        await travel_to(env, at(monday, 0, 13, 5))
        tracker = await handle.query(CaseSlaWorkflow.tracker)
        assert not tracker.paused
        await handle.execute_update(CaseSlaWorkflow.close, Close())
        await handle.result()
        # The workflow has ended: the server refuses (the API answers 409 "case is closed").
        with pytest.raises(RPCError):
            await handle.execute_update(CaseSlaWorkflow.pause, Pause(reason="too late"))
        await save_history(handle, "bad_commands")
    assert ran(tracker) == [
        ("First Response/1/success/1", wall(at(monday, 0, 9, 10))),
        ("Triage/1/warning/1", wall(at(monday, 0, 12, 45))),
        ("Triage/1/violation/1", wall(at(monday, 0, 13))),
    ]
    # Rejected updates never reach history: only the completion and the close were accepted.
    events = [event async for event in handle.fetch_history_events()]
    update_accepted = "workflow_execution_update_accepted_event_attributes"
    assert sum(event.HasField(update_accepted) for event in events) == 2


async def test_signals_are_fire_and_forget_commands(env: WorkflowEnvironment) -> None:
    recorder = ActionRecorder()
    monday = next_weekday(await now(env), MONDAY, 9)
    async with running_worker(env, recorder.activities()) as task_queue:
        await travel_to(env, monday)
        handle = await start(env, task_queue, case(premium(), monday))
        await travel_to(env, at(monday, 0, 9, 5))
        await handle.signal(CaseSlaWorkflow.record_event_signal, RecordEvent(type="agent_replied"))
        await handle.signal(CaseSlaWorkflow.pause_signal, Pause(reason="customer on holiday"))
        await travel_to(env, at(monday, 0, 9, 30))
        tracker = await handle.query(CaseSlaWorkflow.tracker)
        await handle.signal(CaseSlaWorkflow.close_signal)
        result = await handle.result()
    assert tracker.milestones[0].state == "completed"
    assert tracker.paused
    assert tracker.pause_reason == "customer on holiday"
    assert result.closed_at is not None
    assert wall(result.closed_at) == wall(at(monday, 0, 9, 30))


async def test_failed_delivery_is_recorded_and_the_case_goes_on(env: WorkflowEnvironment) -> None:
    recorder = ActionRecorder(fail_handlers={"escalate"})
    monday = next_weekday(await now(env), MONDAY, 9)
    async with running_worker(env, recorder.activities()) as task_queue:
        await travel_to(env, monday)
        handle = await start(env, task_queue, case(premium(), monday))
        await travel_to(env, at(monday, 0, 10, 45))
        tracker = await handle.query(CaseSlaWorkflow.tracker)
        await handle.execute_update(CaseSlaWorkflow.close, Close())
    statuses = {f"{a.kind}/{a.n}": (a.status, a.error) for a in tracker.milestones[0].actions}
    assert statuses["violation/1"] == ("delivered", None)
    assert statuses["violation/2"][0] == "failed"
    assert "receiver said 400" in (statuses["violation/2"][1] or "")
    # A non-retryable failure is not retried: one attempt only.
    assert recorder.keys().count(f"{tracker.case_id}/First Response/1/violation/2") == 1


async def test_continue_as_new_carries_what_the_case_still_needs(env: WorkflowEnvironment) -> None:
    """A continued run carries its open instances and what each milestone's next start needs;
    the ended instances live on in their records, and the tracker says what it left out."""
    recorder = ActionRecorder()
    monday = next_weekday(await now(env), MONDAY, 9)
    start_case = case(customer_updates("independent"), monday).model_copy(
        update={"continue_as_new_after_events": 20}
    )
    async with running_worker(env, recorder.activities()) as task_queue:
        await travel_to(env, monday)
        handle = await start(env, task_queue, start_case)
        for hour in (10, 11, 12, 13, 14):
            await travel_to(env, at(monday, 0, hour))
            await handle.execute_update(
                CaseSlaWorkflow.record_event, RecordEvent(type="agent_replied")
            )
        await handle.execute_update(CaseSlaWorkflow.pause, Pause(reason="weekend"))
        await travel_to(env, at(monday, 0, 15))
        await handle.execute_update(CaseSlaWorkflow.resume, Resume())
        await travel_to(env, at(monday, 1, 16))
        latest = env.client.get_workflow_handle(handle.id)
        tracker = await latest.query(CaseSlaWorkflow.tracker)
        timeline = await latest.query(CaseSlaWorkflow.timeline)
        await latest.execute_update(CaseSlaWorkflow.close, Close())
        await latest.result()
        first_run = env.client.get_workflow_handle(handle.id, run_id=handle.first_execution_run_id)
        first_events = [event async for event in first_run.fetch_history_events()]
        await save_history(first_run, "continued_compacted")
    continued = "workflow_execution_continued_as_new_event_attributes"
    assert first_events[-1].HasField(continued)
    # Instance 6 started 14:00 Monday, paused 14:00-15:00: its 8 h ran out at 16:00 Tuesday.
    assert [m.instance for m in tracker.milestones] == [6]
    assert ran(tracker) == [("Customer Update/6/violation/1", wall(at(monday, 1, 15)))]
    assert tracker.left_out is not None
    assert tracker.left_out.instances == 5
    assert tracker.left_out.pauses + len(tracker.pauses) == 1  # when it ended: the runs say
    assert tracker.breached  # instance 6's breach; the five left out were met
    assert timeline[0].kind == "left_out"
    assert timeline[0].detail.startswith(f"{tracker.left_out.timeline_events} earlier events, ")
    # Every action ran once, at its instant; the records keep every instance.
    due = sorted((r.due_at, r.idempotency_key) for r in recorder.requests)
    assert [(key.split("/", 1)[1], wall(at)) for at, key in due] == [
        *[(f"Customer Update/{n}/success/1", wall(at(monday, 0, 9 + n))) for n in range(1, 6)],
        ("Customer Update/6/violation/1", wall(at(monday, 1, 15))),
    ]
    assert len(recorder.keys()) == len(set(recorder.keys())) == 6
    final = {(r.milestone, r.instance): r for b in recorder.batches for r in b.milestones}
    assert [(n, final["Customer Update", n].outcome) for n in range(1, 7)] == [
        *[(n, "met") for n in range(1, 6)],
        (6, "violated_open"),
    ]


async def test_history_stays_small(env: WorkflowEnvironment) -> None:
    """Three milestones, one pause and resume, all completed (with their success actions)."""
    recorder = ActionRecorder()
    monday = next_weekday(await now(env), MONDAY, 9)
    async with running_worker(env, recorder.activities()) as task_queue:
        await travel_to(env, monday)
        handle = await start(env, task_queue, case(premium(), monday))
        await travel_to(env, at(monday, 0, 9, 5))
        await handle.execute_update(CaseSlaWorkflow.pause, Pause(reason="waiting"))
        await travel_to(env, at(monday, 0, 9, 10))
        await handle.execute_update(CaseSlaWorkflow.resume, Resume())
        await handle.execute_update(CaseSlaWorkflow.record_event, RecordEvent(type="agent_replied"))
        await handle.execute_update(
            CaseSlaWorkflow.update_case, UpdateCase(fields={"stage": "Fixing"})
        )
        await handle.execute_update(CaseSlaWorkflow.close, Close(fields={"status": "Solved"}))
        await handle.result()
        result = await handle.query(CaseSlaWorkflow.tracker)
        events = [event async for event in handle.fetch_history_events()]
        await save_history(handle, "small_history")
    assert [m.state for m in result.milestones] == ["completed"] * 3
    print(f"history events: {len(events)}")
    assert len(events) <= 60
