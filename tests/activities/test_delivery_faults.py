"""Actions through the whole path (workflow, local attempt, durable retries, real handlers)
against a receiver that fails, is down for a while, or refuses: each delivered once or failed."""

import asyncio
import html
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities import ActionHandlers
from api.config import ApiSettings
from api.main import create_app
from database.engine import transaction
from database.models import DeliveryRecord
from temporal_connection.client import TemporalSettings
from tests.helpers import running_worker
from tests.helpers.actions import settings_for
from tests.helpers.api import ADMIN_KEY, client_for, closed_port, use_temporal
from tests.helpers.console import signed_in
from tests.helpers.receivers import Receiver
from workflows.case_sla import CaseSlaWorkflow
from workflows.contract import (
    ActionStatus,
    CaseOutcome,
    Close,
    EntitlementProcess,
    Pause,
    StartCase,
)

pytestmark = pytest.mark.timeout(120)


def case_with_a_webhook(receiver: Receiver) -> StartCase:
    process = EntitlementProcess.model_validate(
        {
            "name": "Faults",
            "milestones": [
                {
                    "name": "First Response",
                    "target": "PT2S",
                    "actions": {
                        "violation": [{"handler": "webhook", "params": {"url": receiver.url}}]
                    },
                }
            ],
        }
    )
    return StartCase(case_id=f"F-{uuid.uuid4().hex[:8]}", process=process)


async def the_action(handle: WorkflowHandle[CaseSlaWorkflow, CaseOutcome]) -> ActionStatus:
    """Poll until the violation action has finished one way or the other."""
    for _ in range(600):
        tracker = await handle.query(CaseSlaWorkflow.tracker)
        actions = tracker.milestones[0].actions
        if actions and actions[0].status != "running":
            return actions[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"the action never finished: {tracker}")


async def started(
    env: WorkflowEnvironment, task_queue: str, receiver: Receiver
) -> WorkflowHandle[CaseSlaWorkflow, CaseOutcome]:
    case = case_with_a_webhook(receiver)
    handle = await env.client.start_workflow(
        CaseSlaWorkflow.run, case, id=f"case-{case.case_id}", task_queue=task_queue
    )
    await env.sleep(timedelta(seconds=2))  # to the violation
    return handle


@pytest.fixture
async def worker_for(
    env: WorkflowEnvironment, clean_log: str, receiver: Receiver
) -> AsyncIterator[str]:
    handlers = ActionHandlers(settings_for(clean_log, receiver))
    async with running_worker(env, handlers.activities()) as task_queue:
        yield task_queue


def logged(database_url: str, key: str) -> DeliveryRecord:
    with transaction(database_url) as session:
        found = session.get(DeliveryRecord, key)
        assert found is not None
        return found


async def test_failing_first_attempts_then_delivered_once(
    env: WorkflowEnvironment, worker_for: str, receiver: Receiver, clean_log: str
) -> None:
    receiver.fail_first = 3
    handle = await started(env, worker_for, receiver)
    action = await the_action(handle)
    assert action.status == "delivered"
    assert receiver.attempts[action.idempotency_key] == 4  # the local try, then three retries
    assert receiver.sent() == {action.idempotency_key: 1}
    assert logged(clean_log, action.idempotency_key).attempts == 4
    assert action.attempts == 4  # the tracker counts as the log does
    await handle.execute_update(CaseSlaWorkflow.close, Close())


async def test_receiver_down_for_a_while_then_delivered_once(
    env: WorkflowEnvironment, worker_for: str, receiver: Receiver, clean_log: str
) -> None:
    receiver.stop()
    handle = await started(env, worker_for, receiver)
    await asyncio.sleep(3)  # a few retries find nobody listening
    receiver.start()
    action = await the_action(handle)
    assert action.status == "delivered"
    assert receiver.sent() == {action.idempotency_key: 1}
    record = logged(clean_log, action.idempotency_key)
    assert record.attempts >= 2
    assert record.status == "delivered"
    await handle.execute_update(CaseSlaWorkflow.close, Close())


async def test_a_400_fails_at_once_and_the_case_goes_on(
    env: WorkflowEnvironment, worker_for: str, receiver: Receiver, clean_log: str
) -> None:
    receiver.answer = 400
    handle = await started(env, worker_for, receiver)
    action = await the_action(handle)
    assert action.status == "failed"
    assert "answered 400" in (action.error or "")
    assert receiver.attempts[action.idempotency_key] == 1  # not retried
    assert logged(clean_log, action.idempotency_key).status == "failed"
    timeline = await handle.query(CaseSlaWorkflow.timeline)
    assert [event.kind for event in timeline][-1] == "action_failed"
    paused = await handle.execute_update(CaseSlaWorkflow.pause, Pause(reason="still alive"))
    assert [change.kind for change in paused.changes] == ["paused"]
    await handle.execute_update(CaseSlaWorkflow.close, Close())


def test_a_post_cut_short_by_its_senders_death_is_torn_not_a_bad_signature(
    receiver: Receiver,
) -> None:
    """What a worker killed with -9 mid-send leaves: headers promising 100 bytes, 10 sent, the
    connection closed. The crash test counts such a post apart from a wrong signature."""
    with socket.create_connection(("127.0.0.1", receiver.port)) as sender:
        sender.sendall(
            b"POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n"
            b"X-SLA-Signature: sha256=00\r\nIdempotency-Key: torn/1\r\n\r\n0123456789"
        )
        sender.shutdown(socket.SHUT_WR)
        assert sender.recv(1) == b""  # no answer: the receiver dropped it
    assert (receiver.torn, receiver.bad_signatures, receiver.attempts["torn/1"]) == (1, 0, 0)


async def test_an_action_naming_no_handler_fails_for_good_in_the_log_the_api_and_the_console(
    env: WorkflowEnvironment, worker_for: str, receiver: Receiver, clean_log: str
) -> None:
    # Planted past publishing's check, as a direct Temporal caller can.
    case = case_with_a_webhook(receiver)
    slack = {"handler": "slack", "params": {"channel": "#sla"}}
    definition = case.process.model_dump(mode="json")
    definition["milestones"][0]["actions"]["violation"] = [slack]
    case = case.model_copy(update={"process": EntitlementProcess.model_validate(definition)})
    handle = await env.client.start_workflow(
        CaseSlaWorkflow.run, case, id=f"case-{case.case_id}", task_queue=worker_for
    )
    await env.sleep(timedelta(seconds=2))
    action = await the_action(handle)
    reason = "no handler named 'slack': the workers run webhook, email, case_update, escalate"
    assert (action.status, action.attempts, action.error) == ("failed", 0, reason)
    row = logged(clean_log, action.idempotency_key)
    assert (row.status, row.attempts, row.handler, row.last_error) == ("failed", 0, "slack", reason)

    settings = ApiSettings(database_url=clean_log, sla_admin_key=ADMIN_KEY)
    app = create_app(settings, TemporalSettings(address=f"127.0.0.1:{closed_port()}"))
    use_temporal(app, env.client, worker_for)
    async with client_for(app, ADMIN_KEY) as admin:
        failed = (await admin.get("/deliveries", params={"status": "failed"})).json()["data"]
        assert [(d["idempotency_key"], d["last_error"]) for d in failed] == [
            (action.idempotency_key, reason)
        ]
        tracker = (await admin.get(f"/cases/{case.case_id}")).json()
        assert tracker["milestones"][0]["actions"][0]["status"] == "failed"
    async with signed_in(app, ADMIN_KEY, then="/console/cases") as console:
        page = await console.open(f"/console/cases/{case.case_id}")
        assert page.status_code == 200
        assert "action failed" in page.text
        assert f"{action.idempotency_key}: {reason}" in html.unescape(page.text)
        deliveries = await console.open("/console/deliveries")
        assert reason in html.unescape(deliveries.text)
    await handle.execute_update(CaseSlaWorkflow.close, Close())
