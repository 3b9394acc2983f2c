"""Shared fixtures: one time-skipping Temporal test server for the session, with the custom
search attributes registered, and a worker per test on its own task queue."""

import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from worker import WorkerSettings, build_worker, ensure_search_attributes

BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await ensure_search_attributes(environment.client)
    yield environment
    await environment.shutdown()


@asynccontextmanager
async def running_worker(
    env: WorkflowEnvironment, activities: Sequence[Any], **settings: Any
) -> AsyncIterator[str]:
    """A worker on a fresh task queue; yields the queue's name."""
    task_queue = f"sla-test-{uuid.uuid4()}"
    worker = build_worker(env.client, task_queue, WorkerSettings(**settings), activities=activities)
    async with worker:
        yield task_queue
