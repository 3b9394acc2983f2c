"""What the CLI tests run the `sla` command against: the real API app served over real HTTP by
uvicorn on the tests' event loop, on a fresh SQLite database, wired to a Temporal environment
with a worker running the real workflow and recording fake actions; and the configuration the
tests read, made over HTTP.

uvicorn runs on the session's event loop because the Temporal client it calls belongs to that
loop; each CLI invocation runs on a thread (`asyncio.to_thread`), so the loop keeps serving while
the CLI waits for its answer, exactly as with a separate API process.
"""

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.settings import DestinationRules
from api.config import ApiSettings
from api.deps import Services
from api.main import create_app
from database.migrations import upgrade
from stack import CASE_SYSTEM_HOST
from temporal_connection.client import TemporalSettings
from tests.helpers import running_worker
from tests.helpers.api import ADMIN_KEY, closed_port, use_temporal
from tests.helpers.cases import ActionRecorder
from workflows.contract import case_workflow_id

HOOK = {"handler": "webhook", "params": {"url": "https://crm.example/hooks/sla"}}
WAITING = "Waiting on Customer"
PROCESS = "Support"


@dataclass
class Stack:
    """The served API and what stands behind it."""

    url: str
    env: WorkflowEnvironment
    recorder: ActionRecorder
    case_ids: list[str] = field(default_factory=list)


class _Server(uvicorn.Server):
    """uvicorn that leaves the test runner's signal handlers (Ctrl-C) alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Serve `app` on a free local port until the block ends; yields its base URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = _Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        if task.done():
            task.result()  # startup failed: raise its error
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        listener.close()


@asynccontextmanager
async def served_stack(env: WorkflowEnvironment, database: Path) -> AsyncIterator[Stack]:
    """The API on `env` with its own worker and database, the test configuration loaded. Cases
    the tests recorded in `case_ids` are terminated afterwards: their timers would hold up every
    later skip of time in the session."""
    url = f"sqlite:///{database}"
    await asyncio.to_thread(upgrade, url)
    settings = ApiSettings(database_url=url, sla_admin_key=ADMIN_KEY, sla_migrate_on_start=False)
    app = create_app(settings, TemporalSettings(address=f"127.0.0.1:{closed_port()}"))
    recorder = ActionRecorder()
    async with running_worker(env, recorder.activities()) as task_queue:
        use_temporal(app, env.client, task_queue)
        services: Services = app.state.services
        services.clock = env.get_current_time
        # As `make run` configures the API (the demo's case system takes its webhooks), and
        # the host of the tests' own configuration.
        allowed = [CASE_SYSTEM_HOST, httpx.URL(HOOK["params"]["url"]).host]
        services.destinations = DestinationRules(webhook_allowed_hosts=allowed)
        async with serve(app) as api_url:
            stack = Stack(api_url, env, recorder)
            await load_configuration(api_url)
            try:
                yield stack
            finally:
                for case_id in stack.case_ids:
                    handle = env.client.get_workflow_handle(case_workflow_id(case_id))
                    with contextlib.suppress(RPCError):
                        await handle.terminate("test over")


def support_process(first_response: str) -> dict[str, Any]:
    """A 24x7 process: countdowns do not depend on the day the tests run."""
    return {
        "business_hours": "24x7",
        "pause_when": {"all": [{"field": "status", "op": "eq", "value": WAITING}]},
        "max_pause": "72h",
        "exit_when": {"all": [{"field": "status", "op": "eq", "value": "Closed"}]},
        "milestones": [
            {
                "milestone_type": "First Response",
                "target": first_response,
                "complete_when": {"events": ["agent_replied"]},
                "actions": {
                    "warning": [{**HOOK, "before_target": "15m"}],
                    "violation": [HOOK, {**HOOK, "after_target": "30m"}],
                },
            },
            {
                "milestone_type": "Resolution",
                "target": [
                    {
                        "when": {"all": [{"field": "priority", "op": "in", "value": ["High"]}]},
                        "target": "4h",
                    },
                    {"target": "8h"},
                ],
                "complete_when": {"all": [{"field": "status", "op": "eq", "value": "Solved"}]},
                "actions": {"success": [HOOK]},
            },
        ],
    }


async def load_configuration(api_url: str) -> None:
    """A 24x7 calendar, global and ACME milestone types, and process Support in two versions
    (version 2 gives First Response 1 h; version 1 gave it 2 h)."""
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    async with httpx.AsyncClient(base_url=api_url, headers=headers) as client:

        async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            response = await client.post(path, json=body)
            assert response.status_code == 201, response.text
            created: dict[str, Any] = response.json()
            return created

        await post("/business-hours", {"name": "24x7", "time_zone": "UTC", "always_open": True})
        await post("/milestone-types", {"name": "First Response", "color": "#D62728"})
        await post("/milestone-types", {"name": "Resolution", "color": "#2CA02C"})
        for name in ("Executive Review", "Kickoff", "Go Live"):
            await post("/milestone-types", {"name": name, "scope": "account", "account_id": "ACME"})
        created = await post(
            "/entitlement-processes",
            {
                "name": PROCESS,
                "description": "Support desk, around the clock",
                **support_process("2h"),
            },
        )
        await post(f"/entitlement-processes/{created['id']}/versions", support_process("1h"))
