"""Compliance reports from the records the real workflow writes: seven scripted cases on the
time-skipping server, their records written by the real `write_records` activity to the database
under test (SQLite, and PostgreSQL in the second run), the exact figures read over HTTP."""

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import delete
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities import ActionHandlers
from activities.settings import ActionSettings
from api.config import ApiSettings
from api.main import create_app
from database.engine import transaction
from database.models import CaseRecordRow, MilestoneRecordRow
from temporal_connection.client import TemporalSettings
from tests.helpers import running_worker
from tests.helpers.api import ADMIN_KEY, client_for, closed_port, use_temporal
from tests.helpers.cases import ActionRecorder, now, start, travel_to
from workflows.case_sla import CaseSlaWorkflow
from workflows.contract import (
    CaseOutcome,
    Close,
    CompleteMilestone,
    EntitlementProcess,
    Pause,
    Resume,
    StartCase,
    UpdateCase,
)

H = timedelta(hours=1)
M = timedelta(minutes=1)
SUPPORT = EntitlementProcess.model_validate(
    {
        "name": "Support",
        "milestones": [
            {
                "name": "First Response",
                "color": "#D62728",
                "reporting_category": "Responsiveness",
                "target": "1h",
            },
            {
                "name": "Triage",
                "color": "#FF7F0E",
                "reporting_category": "Responsiveness",
                "start_when": {"all": [{"field": "tier", "op": "eq", "value": "gold"}]},
                "target": "2h",
            },
            {
                "name": "Resolution",
                "color": "#2CA02C",
                "reporting_category": "Resolution",
                "target": [
                    {
                        "when": {"all": [{"field": "priority", "op": "eq", "value": "High"}]},
                        "target": "4h",
                    },
                    {"target": "8h"},
                ],
            },
            {
                "name": "Customer Update",
                "color": "#1F77B4",
                "reporting_category": "Communication",
                "recurrence": "sequential",
                "start_when": {"all": [{"field": "plan", "op": "eq", "value": "updates"}]},
                "target": "2h",
            },
        ],
    }
)


@dataclass
class Script:
    """The cases, opened together at `opened`, and what happens to them when."""

    env: WorkflowEnvironment
    task_queue: str
    opened: datetime
    handles: dict[str, WorkflowHandle[CaseSlaWorkflow, CaseOutcome]]

    async def open(self, name: str, **fields: Any) -> None:
        case = StartCase(
            case_id=f"R-{name}-{uuid.uuid4().hex[:8]}",
            fields={"account_id": f"ACC-{name}", "priority": "Normal", **fields},
            opened_at=self.opened,
            process=SUPPORT,
        )
        self.handles[name] = await start(self.env, self.task_queue, case)

    async def complete(self, name: str, milestone: str, after: timedelta) -> None:
        command = CompleteMilestone(milestone=milestone, at=self.opened + after)
        await self.handles[name].execute_update(CaseSlaWorkflow.complete_milestone, command)


@pytest.fixture
def records_database(database_url: str) -> Iterator[str]:
    """The database under test, its records cleared before and after (the worker commits)."""

    def clear() -> None:
        with transaction(database_url) as session:
            session.execute(delete(MilestoneRecordRow))
            session.execute(delete(CaseRecordRow))

    clear()
    yield database_url
    clear()


@pytest.fixture
async def reports_api(
    records_database: str, env: WorkflowEnvironment
) -> AsyncIterator[tuple[httpx.AsyncClient, Script]]:
    """The API on the records database, and the seven cases run to ten hours after opening."""
    settings = ApiSettings(
        database_url=records_database, sla_admin_key=ADMIN_KEY, sla_migrate_on_start=False
    )
    app = create_app(settings, TemporalSettings(address=f"127.0.0.1:{closed_port()}"))
    recorder = ActionRecorder()
    store = ActionHandlers(ActionSettings(database_url=records_database)).write_records
    async with running_worker(env, [*recorder.activities(records=False), store]) as task_queue:
        use_temporal(app, env.client, task_queue)
        app.state.services.clock = env.get_current_time
        current = await now(env)
        opened = datetime.combine(current.date() + timedelta(days=1), datetime.min.time(), UTC)
        opened += H
        script = Script(env, task_queue, opened, {})
        try:
            await travel_to(env, opened)
            await run(script)
            async with client_for(app, ADMIN_KEY) as client:
                yield client, script
        finally:
            for handle in script.handles.values():
                with contextlib.suppress(RPCError):
                    await handle.terminate("test over")


async def run(script: Script) -> None:
    """A on time; B late; C violated and never completed; D's Triage cancelled by a rule; E
    paused across its target; F's sequential Customer Update three times; G retargeted by
    priority. Commands that take no `at` land a few milliseconds after their instant."""
    await script.open("A", priority="High")
    for name in "BCE":
        await script.open(name)
    await script.open("D", tier="gold")
    await script.open("F", plan="updates")
    await script.open("G")
    steps: list[tuple[timedelta, str, Any]] = [
        (5 * M, "G", ("complete", "First Response")),
        (15 * M, "F", ("complete", "First Response")),
        (20 * M, "D", UpdateCase(fields={"tier": "silver"})),
        (25 * M, "D", ("complete", "First Response")),
        (30 * M, "A", ("complete", "First Response")),
        (30 * M, "D", Close()),
        (30 * M, "E", Pause(reason="waiting on the customer")),
        (H, "F", ("complete", "Customer Update")),
        (H, "G", UpdateCase(fields={"priority": "High"})),
        (90 * M, "B", ("complete", "First Response")),
        (2 * H, "E", Resume()),
        (140 * M, "E", ("complete", "First Response")),
        (3 * H, "A", ("complete", "Resolution")),
        (3 * H, "A", Close()),
        (3 * H, "F", ("complete", "Customer Update")),
        (4 * H, "E", ("complete", "Resolution")),
        (4 * H, "E", Close()),
        (5 * H, "G", ("complete", "Resolution")),
        (5 * H, "G", Close()),
        (7 * H, "F", ("complete", "Customer Update")),
        (450 * M, "F", ("complete", "Resolution")),
        (450 * M, "F", Close()),
        (9 * H, "B", ("complete", "Resolution")),
        (9 * H, "B", Close()),
    ]
    for after, name, step in steps:
        await travel_to(script.env, script.opened + after)
        if isinstance(step, tuple):
            await script.complete(name, step[1], after)
        else:
            update = getattr(CaseSlaWorkflow, type(step).update_name)
            await script.handles[name].execute_update(update, step)
    await travel_to(script.env, script.opened + 10 * H)  # C's Resolution is violated at 8 h


def figures(group: dict[str, Any]) -> tuple[Any, ...]:
    rate = group["met_rate"]
    return (
        group["instances"],
        group["met"],
        group["completed_late"],
        group["violated_open"],
        group["cancelled"],
        None if rate is None else round(rate, 4),
        *(
            None if group[t] is None else round(group[t])
            for t in ("median_time_to_complete", "p90_time_to_complete")
        ),
    )


async def report(client: httpx.AsyncClient, script: Script, group_by: str) -> dict[str, Any]:
    day = script.opened.replace(hour=0)
    response = await client.get(
        "/reports/compliance",
        params={
            "group_by": group_by,
            "from": day.isoformat(),
            "to": (day + timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_compliance_by_milestone_type(reports_api: tuple[httpx.AsyncClient, Script]) -> None:
    client, script = reports_api
    body = await report(client, script, "milestone_type")
    groups = {group["key"]: figures(group) for group in body["groups"]}
    assert groups == {
        # 5 met (A 30m, D 25m, E 50m with its pause, F 15m, G 5m), B late (90m), C violated.
        "First Response": (7, 5, 1, 1, 0, round(5 / 7, 4), 1500, 5400),
        # A met (3h, High), B late (9h), C violated, D cancelled by the close, E met (2h30m
        # with its pause), F met (7h30m), G late (5h against 4h after its priority went High).
        "Resolution": (7, 3, 2, 1, 1, 0.5, 18000, 32400),
        "Triage": (1, 0, 0, 0, 1, None, None, None),
        # F: met at 1h and at 3h (started at 2h), late at 7h (started at 4h); the fourth,
        # started at 7h, cancelled by the close.
        "Customer Update": (4, 2, 1, 0, 1, round(2 / 3, 4), 3600, 10800),
    }
    colors = {group["key"]: group["color"] for group in body["groups"]}
    assert colors["First Response"] == "#D62728"
    assert figures(body["total"]) == (19, 10, 4, 2, 3, 0.625, 3600, 27000)
    assert (body["from"], body["group_by"]) == (
        script.opened.replace(hour=0).isoformat().replace("+00:00", "Z"),
        "milestone_type",
    )


async def test_compliance_by_priority_category_account_and_day(
    reports_api: tuple[httpx.AsyncClient, Script],
) -> None:
    client, script = reports_api
    by_priority = await report(client, script, "priority")
    assert {g["key"]: figures(g)[:6] for g in by_priority["groups"]} == {
        "High": (3, 2, 1, 0, 0, round(2 / 3, 4)),  # A both, G's Resolution (ended High)
        "Normal": (16, 8, 3, 2, 3, round(8 / 13, 4)),
    }
    by_category = await report(client, script, "reporting_category")
    assert {g["key"]: figures(g)[:6] for g in by_category["groups"]} == {
        "Communication": (4, 2, 1, 0, 1, round(2 / 3, 4)),
        "Resolution": (7, 3, 2, 1, 1, 0.5),
        "Responsiveness": (8, 5, 1, 1, 1, round(5 / 7, 4)),
    }
    by_account = await report(client, script, "account")
    assert {g["key"]: figures(g)[:5] for g in by_account["groups"]} == {
        "ACC-A": (2, 2, 0, 0, 0),
        "ACC-B": (2, 0, 2, 0, 0),
        "ACC-C": (2, 0, 0, 2, 0),
        "ACC-D": (3, 1, 0, 0, 2),
        "ACC-E": (2, 2, 0, 0, 0),
        "ACC-F": (6, 4, 1, 0, 1),
        "ACC-G": (2, 1, 1, 0, 0),
    }
    by_day = await report(client, script, "day")
    assert [(g["key"], g["instances"]) for g in by_day["groups"]] == [
        (f"{script.opened:%Y-%m-%d}", 19)
    ]


async def test_the_report_as_csv(reports_api: tuple[httpx.AsyncClient, Script]) -> None:
    client, script = reports_api
    day = script.opened.replace(hour=0)
    params = {"from": day.isoformat(), "to": (day + timedelta(days=1)).isoformat()}
    answer = await client.get("/reports/compliance.csv", params=params)
    negotiated = await client.get(
        "/reports/compliance", params=params, headers={"Accept": "text/csv"}
    )
    assert answer.status_code == negotiated.status_code == 200
    assert answer.text == negotiated.text
    lines = answer.text.splitlines()
    assert lines[0] == (
        '"key","color","instances","met","completed_late","violated_open","cancelled",'
        '"met_rate","median_time_to_complete","p90_time_to_complete"'
    )
    assert lines[1].startswith('"Customer Update","#1F77B4",4,2,1,0,1,0.666')
    assert lines[-1].startswith('"total","",19,10,4,2,3,0.625,')


async def test_an_accounts_milestones_and_the_cases_at_risk(
    reports_api: tuple[httpx.AsyncClient, Script],
) -> None:
    client, script = reports_api
    day = script.opened.replace(hour=0)
    params = {"from": day.isoformat(), "to": (day + timedelta(days=1)).isoformat()}
    graph = (await client.get("/accounts/ACC-F/milestones", params=params)).json()
    assert [(m["milestone"], m["instance"], m["outcome"], m["color"]) for m in graph["data"]] == [
        ("Customer Update", 1, "met", "#1F77B4"),
        ("First Response", 1, "met", "#D62728"),
        ("Resolution", 1, "met", "#2CA02C"),
        ("Customer Update", 2, "met", "#1F77B4"),
        ("Customer Update", 3, "completed_late", "#1F77B4"),
        ("Customer Update", 4, "cancelled", "#1F77B4"),
    ]
    risk = (await client.get("/reports/at-risk")).json()
    assert [(m["case_id"], m["milestone"]) for m in risk["data"]] == [
        (script.handles["C"].id.removeprefix("case-"), "First Response"),
        (script.handles["C"].id.removeprefix("case-"), "Resolution"),
    ]
    overdue = risk["data"][0]["remaining_seconds"]
    assert round(overdue) == -9 * 3600  # First Response was due 1 h after opening; now is 10 h
