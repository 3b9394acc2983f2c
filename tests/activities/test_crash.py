"""Exactly once across a crash: `kill -9` of the worker process while 50 cases are due and are
writing their milestone records, then a restart; the receiver processes every action, none twice,
and the records end up true to the cases (`GET /records/check`, what `sla records check` reads),
no row ever overwritten by an older revision (a trigger in the database watches for it).

A worker killed between the receiver's answer and its delivery log's commit cannot know the
post arrived, so it posts again with the same `Idempotency-Key`; the receiver drops the repeat,
as DESIGN.md expects of receivers. The test prints how many there were (usually none).

Real processes all the way: the Temporal dev server, `python -m worker` as a child process with
the real handlers, and the signing HTTP receiver. Prints the figures.
"""

import asyncio
import json
import os
import signal
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from temporalio.testing import WorkflowEnvironment

from api.config import ApiSettings
from api.main import create_app
from database.engine import transaction
from database.migrations import upgrade
from database.models import MilestoneRecordRow
from temporal_connection.client import TemporalSettings
from tests.helpers.api import ADMIN_KEY, client_for, closed_port, use_temporal
from tests.helpers.processes import start_worker
from tests.helpers.receivers import SECRET, Receiver
from workflows.case_sla import CaseSlaWorkflow
from workflows.contract import EntitlementProcess, StartCase, case_workflow_id
from workflows.converter import DATA_CONVERTER
from workflows.search_attributes import SEARCH_ATTRIBUTES

CASES = 50
ACTIONS_PER_CASE = 3
DOWN_FOR = 3.0

pytestmark = pytest.mark.timeout(240)


def process_for(case: int, receiver: Receiver) -> EntitlementProcess:
    hook = {"handler": "webhook", "params": {"url": f"{receiver.url}/hooks"}}
    # Targets spread over 10-34 s: actions fall due before, during and after the crash.
    target = timedelta(seconds=10 + case % 25)
    return EntitlementProcess.model_validate(
        {
            "name": "Crash",
            "milestones": [
                {
                    "name": "First Response",
                    "target": target,
                    "actions": {
                        "warning": [{**hook, "before_target": "PT2S"}],
                        "violation": [hook, {**hook, "after_target": "PT3S"}],
                    },
                }
            ],
        }
    )


async def wait_until(predicate: object, seconds: float) -> bool:
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.1)
    return False


async def test_kill_9_of_the_worker_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    server = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        search_attributes=SEARCH_ATTRIBUTES,
        data_converter=DATA_CONVERTER,
    )
    receiver = Receiver().start()
    database_url = f"sqlite:///{tmp_path / 'sla.sqlite'}"
    upgrade(database_url)
    watch_revisions(database_url)
    task_queue = f"crash-{uuid.uuid4()}"
    environment = {
        **os.environ,
        "TEMPORAL_ADDRESS": server.client.service_client.config.target_host,
        "TEMPORAL_TASK_QUEUE": task_queue,
        "DATABASE_URL": database_url,
        "SLA_WEBHOOK_SECRETS": json.dumps({"default": SECRET}),
        "SLA_WEBHOOK_ALLOWED_HOSTS": json.dumps([f"127.0.0.1:{receiver.port}"]),
        "SLA_REGISTER_SEARCH_ATTRIBUTES": "false",
    }
    log = tmp_path / "worker.log"
    worker = start_worker(environment, log)
    try:
        for n in range(CASES):
            case = StartCase(case_id=f"crash-{n}", process=process_for(n, receiver))
            await server.client.start_workflow(
                CaseSlaWorkflow.run, case, id=case_workflow_id(case.case_id), task_queue=task_queue
            )
        expected = CASES * ACTIONS_PER_CASE
        assert await wait_until(lambda: len(receiver.keys()) >= expected // 4, 60), log.read_text()
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        killed_at = datetime.now(UTC)
        delivered_before = len(receiver.keys())
        await asyncio.sleep(DOWN_FOR)
        worker = start_worker(environment, log)
        restarted_at = datetime.now(UTC)
        all_in = await wait_until(lambda: len(receiver.keys()) >= expected, 120)
        await asyncio.sleep(2)  # anything sent twice would arrive now
        differences = await records_check(server, task_queue, database_url)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        receiver.stop()
        await server.shutdown()

    processed = receiver.keys()
    lateness = {
        d.key: d.received_at - datetime.fromisoformat(d.body["occurred_at"])
        for d in receiver.accepted
    }
    due_in_outage = [
        late
        for d in receiver.accepted
        if killed_at <= datetime.fromisoformat(d.body["occurred_at"]) <= restarted_at
        for late in [lateness[d.key]]
    ]
    worst_after_restart = max(due_in_outage, default=timedelta(0))
    print(
        f"\ncrash test: {CASES} cases, {expected} actions due; killed after {delivered_before} "
        f"deliveries, worker down {DOWN_FOR:.0f} s; delivered {len(processed)} distinct keys, "
        f"{max(processed.values(), default=0)} time(s) each at most; "
        f"{sum(receiver.repeats.values())} repeated posts dropped by Idempotency-Key; "
        f"{receiver.bad_signatures} bad signatures, {receiver.torn} torn by the kill; "
        f"{len(due_in_outage)} actions fell due during "
        f"the outage, worst lateness {worst_after_restart.total_seconds():.1f} s "
        f"(outage {(restarted_at - killed_at).total_seconds():.1f} s); worst overall "
        f"{max(lateness.values()).total_seconds():.1f} s"
    )
    assert all_in, f"only {len(processed)} of {expected} delivered: see {log}"
    expected_keys = {
        f"crash-{n}/First Response/1/{kind}"
        for n in range(CASES)
        for kind in ("warning/1", "violation/1", "violation/2")
    }
    # Nothing lost, nothing processed twice, nothing unexpected.
    assert processed == dict.fromkeys(expected_keys, 1)
    assert receiver.bad_signatures == 0
    # A repeat needs a kill between the receiver's answer and the delivery log's commit: at most
    # the attempts under way at the kill (the log stops every other resend).
    assert sum(receiver.repeats.values()) <= 2
    assert differences == {"cases": CASES, "differences": [], "failures": [], "count": 0}
    assert regressions(database_url) == []
    with transaction(database_url) as session:
        written = session.scalar(select(func.count()).select_from(MilestoneRecordRow))
    assert written == CASES


def watch_revisions(database_url: str) -> None:
    """A trigger that notes any update of a record to an older revision (there must be none)."""
    with transaction(database_url) as session:
        session.execute(text("CREATE TABLE revision_regression (kind TEXT, old INT, new INT)"))
        for table in ("milestone_record", "case_record"):
            session.execute(
                text(
                    f"CREATE TRIGGER {table}_regression BEFORE UPDATE ON {table} "
                    "WHEN NEW.revision < OLD.revision BEGIN "
                    f"INSERT INTO revision_regression VALUES ('{table}', OLD.revision, "
                    "NEW.revision); END"
                )
            )


def regressions(database_url: str) -> list[Any]:
    with transaction(database_url) as session:
        return list(session.execute(text("SELECT * FROM revision_regression")))


async def records_check(
    server: WorkflowEnvironment, task_queue: str, database_url: str
) -> dict[str, Any]:
    """`GET /records/check` until the records caught up with the cases (or 30 s passed)."""
    settings = ApiSettings(
        database_url=database_url, sla_admin_key=ADMIN_KEY, sla_migrate_on_start=False
    )
    app = create_app(settings, TemporalSettings(address=f"127.0.0.1:{closed_port()}"))
    use_temporal(app, server.client, task_queue)
    async with client_for(app, ADMIN_KEY) as client:
        for _ in range(150):
            answer: dict[str, Any] = (await client.get("/records/check")).json()
            if answer.get("count") == 0 and answer.get("cases") == CASES:
                break
            await asyncio.sleep(0.2)
    return answer
