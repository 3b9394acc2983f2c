"""The test harness itself: a workflow task that fails (a bug, a sandbox violation, a
nondeterminism) fails the test that meets it at once, instead of retrying until the timeout."""

import time

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from tests.helpers import running_worker
from tests.helpers.cases import ActionRecorder, start
from tests.helpers.stormhaven import premium_case


async def test_a_failing_workflow_task_fails_the_workflow_at_once(env: WorkflowEnvironment) -> None:
    # State no clock can read: the production worker would retry this task forever.
    broken = premium_case("HARNESS-1").model_copy(update={"continued": {"case_id": 7}})
    async with running_worker(env, ActionRecorder().activities()) as task_queue:
        began = time.monotonic()
        handle = await start(env, task_queue, broken)
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
    assert time.monotonic() - began < 10
    assert "validation error" in str(failed.value.cause)
