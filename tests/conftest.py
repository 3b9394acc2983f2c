"""The session's time-skipping Temporal test server, shared by the workflow, API and CLI tests."""

from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.helpers import time_skipping_server


@pytest.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await time_skipping_server()
    yield environment
    await environment.shutdown()
