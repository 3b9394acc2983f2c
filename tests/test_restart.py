"""Cases survive a restart of everything: stop the dev server (SQLite file) and the worker while
cases are in flight, start both again, and every action still runs once, at its due instant
(or at once, for those that fell due while nothing ran)."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.client import Client

from database.migrations import upgrade
from temporal_connection.dev_server import dev_server
from tests.helpers.processes import start_worker
from tests.helpers.receivers import SECRET, Receiver, free_port
from workflows.case_sla import CaseSlaWorkflow
from workflows.contract import EntitlementProcess, StartCase, case_workflow_id
from workflows.converter import DATA_CONVERTER

CASES = 12

pytestmark = pytest.mark.timeout(240)


def process(receiver: Receiver, target: timedelta) -> EntitlementProcess:
    hook = {"handler": "webhook", "params": {"url": f"{receiver.url}/hooks"}}
    return EntitlementProcess.model_validate(
        {
            "name": "Restart",
            "milestones": [
                {"name": "Resolution", "target": target, "actions": {"violation": [hook]}}
            ],
        }
    )


def stop(worker: subprocess.Popen[bytes]) -> None:
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=60)


async def test_cases_continue_after_server_and_worker_restart(tmp_path: Path) -> None:
    port = free_port()
    receiver = Receiver().start()
    database_url = f"sqlite:///{tmp_path / 'sla.sqlite'}"
    upgrade(database_url)
    environment = {
        **os.environ,
        "TEMPORAL_ADDRESS": f"127.0.0.1:{port}",
        "TEMPORAL_TASK_QUEUE": f"restart-{uuid.uuid4()}",
        "DATABASE_URL": database_url,
        "SLA_WEBHOOK_SECRETS": json.dumps({"default": SECRET}),
        "SLA_WEBHOOK_ALLOWED_HOSTS": json.dumps([f"127.0.0.1:{receiver.port}"]),
    }
    log = tmp_path / "worker.log"
    server_ports = {
        "port": port,
        "ui_port": None,
        "http_port": free_port(),
        "metrics_port": free_port(),
    }
    try:
        with dev_server(tmp_path, **server_ports):
            worker = start_worker(environment, log)
            client = await Client.connect(f"127.0.0.1:{port}", data_converter=DATA_CONVERTER)
            opened = datetime.now(UTC)
            for n in range(CASES):
                # Due 6 s to 28 s after opening: before, during and after the outage.
                case = StartCase(
                    case_id=f"restart-{n}",
                    opened_at=opened,
                    process=process(receiver, timedelta(seconds=6 + 2 * n)),
                )
                await client.start_workflow(
                    CaseSlaWorkflow.run,
                    case,
                    id=case_workflow_id(case.case_id),
                    task_queue=environment["TEMPORAL_TASK_QUEUE"],
                )
            await asyncio.sleep(9)
            stop(worker)
            stopped_at = datetime.now(UTC)
        await asyncio.sleep(4)
        with dev_server(tmp_path, **server_ports):
            restarted_at = datetime.now(UTC)
            worker = start_worker(environment, log)
            try:
                for _ in range(600):
                    if len(receiver.keys()) >= CASES:
                        break
                    await asyncio.sleep(0.1)
                await asyncio.sleep(1)
            finally:
                stop(worker)
    finally:
        receiver.stop()

    lateness = {
        d.key: d.received_at - datetime.fromisoformat(d.body["occurred_at"])
        for d in receiver.accepted
    }
    due = {d.key: datetime.fromisoformat(d.body["occurred_at"]) for d in receiver.accepted}
    during = [
        key for key, at in due.items() if stopped_at - timedelta(seconds=1) <= at <= restarted_at
    ]
    after = [key for key, at in due.items() if at > restarted_at + timedelta(seconds=5)]
    worst_during = max((lateness[key] for key in during), default=timedelta(0))
    worst_after = max((lateness[key] for key in after), default=timedelta(0))
    print(
        f"\nrestart test: {CASES} cases; everything stopped for "
        f"{(restarted_at - stopped_at).total_seconds():.1f} s; delivered {len(receiver.keys())} "
        f"distinct, {len(receiver.accepted)} posts; {len(during)} fell due while stopped (worst "
        f"{worst_during.total_seconds():.1f} s late); {len(after)} due later, worst "
        f"{worst_after.total_seconds():.2f} s late"
    )
    # A graceful stop loses nothing in flight: each action was sent exactly once.
    assert receiver.sent() == {f"restart-{n}/Resolution/1/violation/1": 1 for n in range(CASES)}
    assert during, "the outage should have covered some due instants"
    assert after, "some actions should have been due after the restart"
    # Those due once everything was back ran at their instant, not at some later poll.
    for key in after:
        assert lateness[key] < timedelta(seconds=2), (key, lateness[key])


def test_worker_settings_that_fail_are_named_never_shown(tmp_path: Path) -> None:
    """The worker as production starts it: a setting it cannot read stops it, and what it says
    names the setting and why, never the value (a webhook secret here)."""
    secret = "webhook-secret-value-0123456789"
    started = subprocess.run(
        [sys.executable, "-m", "worker"],
        cwd=Path(__file__).parent.parent,
        env={
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'never.sqlite'}",
            "SLA_WEBHOOK_SECRETS": json.dumps({"default": [secret]}),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    said = started.stdout + started.stderr
    assert started.returncode != 0, said
    assert secret not in said, said
    assert "input_value" not in said, said
    assert "SLA_WEBHOOK_SECRETS: " in said, said
