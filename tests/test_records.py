"""`sla records check` and `sla records rebuild` against the real API served over HTTP, a Temporal
dev server of this module's own (the time-skipping server has no visibility store to list cases),
a worker writing the records with the real store, and a SQLite database."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner, Result

import cli
from activities import ActionHandlers
from activities.settings import ActionSettings
from api.config import ApiSettings
from api.main import create_app
from database.engine import transaction
from database.migrations import upgrade
from database.models import CaseRecordRow, MilestoneRecordRow
from temporal_connection.client import TemporalSettings
from tests.helpers import dev_server, running_worker
from tests.helpers.api import ADMIN_KEY, closed_port, use_temporal
from tests.helpers.cases import ActionRecorder
from tests.helpers.cli_stack import serve
from workflows.records import CaseRecord, MilestoneRecord, lasting

RUNNER = CliRunner()
QUICK = {
    "name": "Quick",
    "business_hours": "Always",
    "milestones": [
        {"milestone_type": "First Response", "target": "2s"},
        {"milestone_type": "Resolution", "target": "6s"},
    ],
}


@pytest.fixture(scope="module")
async def own_dev_server() -> AsyncIterator[WorkflowEnvironment]:
    environment = await dev_server()
    yield environment
    await environment.shutdown()


async def sla(url: str, *args: str, code: int = 0) -> Result:
    result = await asyncio.to_thread(
        RUNNER.invoke, cli.app, ["--api-url", url, "--api-key", ADMIN_KEY, *args]
    )
    assert result.exit_code == code, (result.output, result.exception)
    return result


def rows(database_url: str) -> list[dict[str, object]]:
    """Every record's lasting fields (what does not move with time alone), sorted."""
    with transaction(database_url) as session:
        found = [
            lasting(MilestoneRecord.model_validate(row, from_attributes=True))
            for row in session.query(MilestoneRecordRow)
        ] + [
            lasting(CaseRecord.model_validate(row, from_attributes=True))
            for row in session.query(CaseRecordRow)
        ]
    return sorted(found, key=repr)


async def test_check_and_rebuild_keep_the_records_true_to_the_cases(
    own_dev_server: WorkflowEnvironment, tmp_path: Path
) -> None:
    database_url = f"sqlite:///{tmp_path / 'records.sqlite'}"
    await asyncio.to_thread(upgrade, database_url)
    settings = ApiSettings(
        database_url=database_url, sla_admin_key=ADMIN_KEY, sla_migrate_on_start=False
    )
    app = create_app(settings, TemporalSettings(address=f"127.0.0.1:{closed_port()}"))
    store = ActionHandlers(ActionSettings(database_url=database_url)).write_records
    activities = [*ActionRecorder().activities(records=False), store]
    async with (
        running_worker(own_dev_server, activities) as task_queue,
        serve(app) as url,
        httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as api,
    ):
        use_temporal(app, own_dev_server.client, task_queue)
        await configure(api)
        tag = uuid.uuid4().hex[:6]
        ids = {name: f"REC-{name}-{tag}" for name in ("done", "late", "paused", "closed")}
        for case_id in ids.values():
            started = await api.post("/cases", json={"case_id": case_id, "process": "Quick"})
            assert started.status_code == 201, started.text
        await command(api, f"/cases/{ids['done']}/milestones/First Response/complete")
        await command(api, f"/cases/{ids['paused']}/pause", {"reason": "waiting"})
        await command(api, f"/cases/{ids['closed']}/close")
        await asyncio.sleep(7)  # the late case's Resolution is violated at 6 s
        await command(api, f"/cases/{ids['done']}/close")

        checked = await eventually_clean(url)
        assert "2 open cases, 0 differences, 0 cases unreadable" in checked.stdout
        before = rows(database_url)
        assert len(before) == 4 + 8
        with transaction(database_url) as session:
            session.execute(delete(MilestoneRecordRow))
            session.execute(delete(CaseRecordRow))
        rebuilt = await sla(url, "records", "rebuild")
        assert "rebuilt 8 milestone records of 4 cases" in rebuilt.stdout
        assert rows(database_url) == before

        with transaction(database_url) as session:
            row = session.get(MilestoneRecordRow, (ids["late"], "First Response", 1))
            assert row is not None
            assert row.violated_at is not None
            row.violated_at = None
        differing = await sla(url, "records", "check", code=1)
        assert f"{ids['late']} First Response #1: violated_at is None, live" in differing.stdout
        assert "2 open cases, 1 differences" in differing.stdout
        for case_id in (ids["late"], ids["paused"]):
            await command(api, f"/cases/{case_id}/close")


async def configure(api: httpx.AsyncClient) -> None:
    always = {"name": "Always", "time_zone": "UTC", "always_open": True}
    for path, body in (
        ("/business-hours", always),
        ("/milestone-types", {"name": "First Response"}),
        ("/milestone-types", {"name": "Resolution"}),
        ("/entitlement-processes", QUICK),
    ):
        response = await api.post(path, json=body)
        assert response.status_code == 201, response.text


async def command(api: httpx.AsyncClient, path: str, body: Any = None) -> None:
    response = await api.post(path, json=body)
    assert response.status_code == 200, response.text


async def eventually_clean(url: str) -> Result:
    """`sla records check` until it finds nothing (the last writes land a moment after the
    commands that made them answer)."""
    for _ in range(50):
        result = await asyncio.to_thread(
            RUNNER.invoke, cli.app, ["--api-url", url, "--api-key", ADMIN_KEY, "records", "check"]
        )
        if result.exit_code == 0:
            return result
        await asyncio.sleep(0.2)
    return await sla(url, "records", "check")
