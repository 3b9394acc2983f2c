"""The API as the tests drive it: the test admin key, HTTP clients holding a key, keys of given
roles, the app wired to a Temporal client and task queue, and the recorder of the workflows a
client starts (so a test can terminate what it left open)."""

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    StartWorkflowInput,
    WorkflowHandle,
)
from temporalio.testing import WorkflowEnvironment

from api.deps import Services
from api.temporal import TemporalGateway
from temporal_connection.client import TemporalSettings
from tests.helpers.cases import ActionRecorder

ADMIN_KEY = "test-admin-key-0123456789abcdef0123456789abcdef"


def closed_port() -> int:
    """A local port nothing listens on: Temporal 'down'."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def client_for(app: FastAPI, key: str | None) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api.test", headers=headers
    ) as client:
        yield client


async def key_with(admin: httpx.AsyncClient, *roles: str) -> str:
    response = await admin.post("/api-keys", json={"name": "+".join(roles), "roles": roles})
    assert response.status_code == 201, response.text
    key: str = response.json()["key"]
    return key


@dataclass
class CaseApi:
    """The API wired to the time-skipping server and a worker with recording actions."""

    app: FastAPI
    client: httpx.AsyncClient
    env: WorkflowEnvironment
    recorder: ActionRecorder
    task_queue: str


class StartedWorkflows(Interceptor):
    """Remembers the ids of the workflows a client starts."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        started = self.ids

        class Recording(OutboundInterceptor):
            async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
                started.append(input.id)
                return await super().start_workflow(input)

        return Recording(next)


def use_temporal(app: FastAPI, client: Client, task_queue: str) -> None:
    services: Services = app.state.services
    services.temporal = TemporalGateway(TemporalSettings(task_queue=task_queue), client=client)
