"""Case endpoints that need a real Temporal server (`temporal server start-dev`): `GET /cases`, a
visibility query on the cases' search attributes (the time-skipping server has no visibility
store), and the answer when no worker polls the task queue (a task nobody takes would hold up
the time-skipping server's clock for the rest of the session)."""

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from api.deps import Services
from tests.helpers import running_worker
from tests.helpers.api import ADMIN_KEY, client_for, use_temporal
from tests.helpers.cases import ActionRecorder
from tests.helpers.factories import stormhaven
from workflows.converter import DATA_CONVERTER
from workflows.search_attributes import SEARCH_ATTRIBUTES


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        search_attributes=SEARCH_ATTRIBUTES,
        data_converter=DATA_CONVERTER,
        dev_server_log_level="error",
    )
    yield environment
    await environment.shutdown()


async def eventually(check: Callable[[], Awaitable[Any]], within: float = 20) -> Any:
    """Poll `check` until it returns something truthy (visibility lags a little)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.1)


async def test_read_cases_filters_on_search_attributes(
    app: FastAPI, dev_env: WorkflowEnvironment
) -> None:
    async with (
        running_worker(dev_env, ActionRecorder().activities()) as task_queue,
        client_for(app, ADMIN_KEY) as client,
    ):
        use_temporal(app, dev_env.client, task_queue)
        await stormhaven(client, name="ListingPremium")
        for case_id, account, owner in (
            ("L-1", "ACME", "ana"),
            ("L-2", "ACME", "bo"),
            ("L-3", "GLOBEX", "ana"),
        ):
            fields = {"status": "New", "stage": "New", "account_id": account, "owner": owner}
            response = await client.post(
                "/cases",
                json={"case_id": case_id, "process": "ListingPremium", "fields": fields},
            )
            assert response.status_code == 201, response.text
        assert (await client.post("/cases/L-2/pause", json={"reason": "x"})).status_code == 200
        again = await client.post("/cases", json={"case_id": "L-1", "process": "ListingPremium"})
        assert again.status_code == 200  # USE_EXISTING on a real server

        async def listed(**params: str) -> list[tuple[str, str | None]]:
            response = await client.get("/cases", params={"process": "ListingPremium", **params})
            assert response.status_code == 200, response.text
            return sorted((c["case_id"], c["sla_state"]) for c in response.json()["data"])

        async def settles_on(expected: list[tuple[str, str]], **params: str) -> None:
            """The listing reaches `expected` (visibility follows the workflows closely)."""

            async def matches() -> bool:
                return await listed(**params) == expected

            await eventually(matches)
            assert await listed(**params) == expected

        await settles_on([("L-2", "paused")], sla_state="paused")
        await settles_on([("L-1", "on_track"), ("L-2", "paused")], account_id="ACME")
        soon = (datetime.now(UTC) + timedelta(days=30)).isoformat()
        await settles_on(
            [("L-1", "on_track"), ("L-3", "on_track")], sla_state="on_track", deadline_before=soon
        )
        await settles_on([("L-1", "on_track"), ("L-3", "on_track")], owner="ana")
        await client.patch("/cases/L-3", json={"fields": {"owner": "bo", "priority": "High"}})
        await settles_on([("L-2", "paused"), ("L-3", "on_track")], owner="bo")
        await settles_on([("L-3", "on_track")], owner="bo", priority="High")
        long_ago = (datetime.now(UTC) - timedelta(days=1)).isoformat()
        assert await listed(deadline_before=long_ago) == []
        one = (await client.get("/cases", params={"process": "ListingPremium", "limit": 1})).json()
        assert one["count"] == 1
        summary = next(
            c
            for c in (await client.get("/cases?process=ListingPremium")).json()["data"]
            if c["case_id"] == "L-1"
        )
        assert summary["workflow_id"] == "case-L-1"
        assert summary["status"] == "running"
        assert summary["account_id"] == "ACME"
        assert summary["owner"] == "ana"
        assert summary["next_deadline"] is not None
        quoted = await client.get("/cases", params={"account_id": "x' OR 'a'='a"})
        assert quoted.status_code == 422


async def test_read_cases_needs_a_key(app: FastAPI) -> None:
    async with client_for(app, None) as anonymous:
        assert (await anonymous.get("/cases")).status_code == 401


async def test_no_worker_answers_504(app: FastAPI, dev_env: WorkflowEnvironment) -> None:
    async with client_for(app, ADMIN_KEY) as client:
        await stormhaven(client, name="Unworked")
        use_temporal(app, dev_env.client, "nobody-polls")
        services: Services = app.state.services
        services.settings = services.settings.model_copy(
            update={"sla_temporal_timeout_seconds": 0.5}
        )
        response = await client.post("/cases", json={"case_id": "U-1", "process": "Unworked"})
        assert response.status_code == 504, response.text
        assert response.json() == {
            "detail": "no worker answered within 0.5 s: is a worker polling task queue "
            "'nobody-polls'?"
        }
        await dev_env.client.get_workflow_handle("case-U-1").terminate("test over")
