"""Several workers on one task queue, and `kill -9` of one of them while actions fall due.

One run starts `temporal server start-dev`, a signing HTTP receiver, a PostgreSQL database of
its own (the delivery log and the milestone records; `--database sqlite` for one SQLite file all
the workers write to), and `--workers` worker processes (`python -m worker`, production
settings) on one task queue. It
starts `--cases` cases, each with a webhook at its target and another 5 s later, the targets
spread over `--spread-seconds` from `--lead` seconds after the starts. `--kill-before` seconds
before the first action falls due it kills the worker that holds the most cases (from the
identity of the worker that completed each case's last workflow task), and waits for every
action.

It reports which worker held which cases, every action's lateness (arrival at the receiver
minus its due instant) for the cases the killed worker held and for the others, and whether
every action arrived exactly once. `tests/test_workers.py` runs one small round of it in
`make test`; by hand, run it many times in a row:

    .venv/bin/python benchmarks/workers.py --runs 20

The machine's load counts: run it on a quiet machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:
    _HERE = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
    sys.path.insert(0, str(_HERE.parent))

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg
from temporalio.api.enums.v1 import EventType, TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from database.migrations import upgrade
from tests.helpers.processes import start_worker
from tests.helpers.receivers import SECRET, Receiver
from workflows.case_sla import CaseSlaWorkflow
from workflows.contract import EntitlementProcess, StartCase, case_workflow_id
from workflows.converter import DATA_CONVERTER
from workflows.search_attributes import SEARCH_ATTRIBUTES

POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
ESCALATION_AFTER = timedelta(seconds=5)
START_CONCURRENCY = 20


@dataclass
class Round:
    """What one round saw."""

    workers: int
    cases: int
    held: dict[str, list[str]]
    """Case ids by the identity of the worker that last completed a task of theirs."""
    killed: str
    expected: set[str]
    delivered: Counter[str]
    lateness: dict[str, float] = field(default_factory=dict)
    """Seconds from due instant to arrival, by idempotency key."""
    sticky_timeout: float = 5.0

    def late(self, of_killed: bool) -> list[float]:
        killed = set(self.held.get(self.killed, []))
        return [
            late
            for key, late in self.lateness.items()
            if (key.split("/", 1)[0] in killed) == of_killed
        ]

    @property
    def lost(self) -> int:
        return len(self.expected - self.delivered.keys())

    @property
    def repeated(self) -> int:
        return sum(n - 1 for n in self.delivered.values() if n > 1)

    def line(self) -> str:
        mine, others = self.late(True), self.late(False)
        share = ", ".join(str(len(cases)) for cases in self.held.values())
        return (
            f"{self.workers} workers held {share} cases; killed the one with "
            f"{len(self.held[self.killed])}: {len(mine)} of its actions worst "
            f"{max(mine, default=0):.2f} s late (p50 {_median(mine):.2f}), {len(others)} others "
            f"worst {max(others, default=0):.2f} s (p50 {_median(others):.2f}); lost "
            f"{self.lost}, repeated {self.repeated}"
        )


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def process_for(receiver: Receiver, target: timedelta) -> EntitlementProcess:
    hook = {"handler": "webhook", "params": {"url": f"{receiver.url}/hooks"}}
    return EntitlementProcess.model_validate(
        {
            "name": "Workers",
            "milestones": [
                {
                    "name": "Resolution",
                    "target": target,
                    "actions": {"violation": [hook, {**hook, "after_target": ESCALATION_AFTER}]},
                }
            ],
        }
    )


@contextmanager
def scratch_database(kind: str, work: Path) -> Iterator[str]:
    """A database of its own, migrated: PostgreSQL (dropped afterwards), or a SQLite file in
    `work`, which every worker process then writes to."""
    if kind == "sqlite":
        url = f"sqlite:///{work / 'sla.sqlite'}"
        upgrade(url)
        yield url
        return
    name = f"sla_workers_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@asynccontextmanager
async def workers_on(
    server: WorkflowEnvironment, count: int, environment: dict[str, str], work: Path
) -> AsyncIterator[list[subprocess.Popen[bytes]]]:
    processes = [start_worker(environment, work / f"worker-{n}.log") for n in range(count)]
    try:
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


async def every_worker_polling(client: Client, task_queue: str, count: int) -> None:
    """Wait (up to a minute: starting Python on a busy machine takes a while) until `count`
    workers poll `task_queue` for workflow tasks."""
    request = DescribeTaskQueueRequest(
        namespace=client.namespace,
        task_queue=TaskQueue(name=task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    for _ in range(300):
        answer = await client.workflow_service.describe_task_queue(request)
        if len({poller.identity for poller in answer.pollers}) >= count:
            return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"fewer than {count} workers poll {task_queue}: see their logs")


async def last_identity(client: Client, case_id: str) -> str | None:
    identity = None
    handle = client.get_workflow_handle(case_workflow_id(case_id))
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            identity = event.workflow_task_completed_event_attributes.identity
    return identity


async def one_round(
    server: WorkflowEnvironment,
    *,
    workers: int,
    cases: int,
    spread: float,
    kill_before: float,
    work: Path,
    sticky_timeout: float = 5.0,
    lead: float = 15.0,
    pollers: dict[str, str] | None = None,
    database: str = "postgresql",
) -> Round:
    receiver = Receiver().start()
    task_queue = f"workers-{uuid.uuid4().hex[:8]}"
    pollers = pollers or {}
    try:
        with scratch_database(database, work) as database_url:
            environment = {
                **os.environ,
                "TEMPORAL_ADDRESS": server.client.service_client.config.target_host,
                "TEMPORAL_TASK_QUEUE": task_queue,
                "DATABASE_URL": database_url,
                "SLA_WEBHOOK_SECRETS": json.dumps({"default": SECRET}),
                "SLA_WEBHOOK_ALLOWED_HOSTS": json.dumps([f"127.0.0.1:{receiver.port}"]),
                "SLA_REGISTER_SEARCH_ATTRIBUTES": "false",
                "SLA_STICKY_TIMEOUT_SECONDS": str(sticky_timeout),
                **pollers,
            }
            async with workers_on(server, workers, environment, work) as processes:
                return await _drive(
                    server, processes, receiver, task_queue, cases, spread, kill_before, lead
                )
    finally:
        receiver.stop()


async def _drive(
    server: WorkflowEnvironment,
    processes: list[subprocess.Popen[bytes]],
    receiver: Receiver,
    task_queue: str,
    cases: int,
    spread: float,
    kill_before: float,
    lead: float,
) -> Round:
    client = server.client
    await every_worker_polling(client, task_queue, len(processes))
    started = datetime.now(UTC)
    first_due = started + timedelta(seconds=lead)
    ids = [f"w-{uuid.uuid4().hex[:6]}-{n}" for n in range(cases)]
    gate = asyncio.Semaphore(START_CONCURRENCY)

    async def start(n: int, case_id: str) -> None:
        due = first_due + timedelta(seconds=spread * n / max(cases - 1, 1))
        case = StartCase(
            case_id=case_id, opened_at=started, process=process_for(receiver, due - started)
        )
        async with gate:
            await client.start_workflow(
                CaseSlaWorkflow.run, case, id=case_workflow_id(case_id), task_queue=task_queue
            )

    await asyncio.gather(*(start(n, case_id) for n, case_id in enumerate(ids)))
    await asyncio.sleep(max((first_due - datetime.now(UTC)).total_seconds() - kill_before, 0))
    identities = await asyncio.gather(*(last_identity(client, case_id) for case_id in ids))
    held: dict[str, list[str]] = {}
    for case_id, identity in zip(ids, identities, strict=True):
        held.setdefault(identity or "none", []).append(case_id)
    if "none" in held:
        raise RuntimeError(f"{len(held['none'])} cases never ran a workflow task: see the logs")
    killed = max(held, key=lambda identity: len(held[identity]))
    pid = int(killed.split("@", 1)[0])
    os.kill(pid, signal.SIGKILL)
    expected = {f"{case_id}/Resolution/1/violation/{level}" for case_id in ids for level in (1, 2)}
    for _ in range(int((spread + 90) / 0.2)):
        if len(receiver.keys()) >= len(expected):
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(2)  # a repeat would arrive now
    for case_id in ids:
        handle = client.get_workflow_handle(case_workflow_id(case_id))
        await handle.terminate("round over")
    delivered = receiver.keys()
    lateness = {
        d.key: (d.received_at - datetime.fromisoformat(d.body["occurred_at"])).total_seconds()
        for d in receiver.accepted
    }
    return Round(
        workers=len(processes),
        cases=cases,
        held=held,
        killed=killed,
        expected=expected,
        delivered=delivered,
        lateness=lateness,
    )


async def main(args: argparse.Namespace) -> None:
    server = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        search_attributes=SEARCH_ATTRIBUTES,
        data_converter=DATA_CONVERTER,
    )
    rounds: list[Round] = []
    try:
        for n in range(args.runs):
            work = tempfile.mkdtemp(prefix="sla-workers-")
            try:
                done = await one_round(
                    server,
                    workers=args.workers,
                    cases=args.cases,
                    spread=args.spread_seconds,
                    kill_before=args.kill_before,
                    work=Path(work),
                    sticky_timeout=args.sticky_timeout,
                    lead=args.lead,
                    pollers=_pollers(args.pollers),
                    database=args.database,
                )
            finally:
                if args.keep:
                    print(f"logs in {work}")
                else:
                    shutil.rmtree(work, ignore_errors=True)
            rounds.append(done)
            print(f"round {n + 1}: {done.line()}", flush=True)
    finally:
        await server.shutdown()
    mine = [max(r.late(True), default=0) for r in rounds]
    others = [max(r.late(False), default=0) for r in rounds]
    print(
        f"\n{len(rounds)} rounds: the killed worker's actions worst {max(mine):.2f} s late "
        f"(sticky timeout {args.sticky_timeout:g} s + 2 s = {args.sticky_timeout + 2:g} s); the "
        f"others' worst {max(others):.2f} s; lost {sum(r.lost for r in rounds)}, repeated "
        f"{sum(r.repeated for r in rounds)}"
    )


def _pollers(given: str | None) -> dict[str, str]:
    """`autoscaling`, or `fixed:N`: the workers' poller settings (default: theirs)."""
    if given is None:
        return {}
    kind, _, most = given.partition(":")
    return {"SLA_POLLERS": kind, **({"SLA_MAX_POLLERS": most} if most else {})}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--cases", type=int, default=150)
    parser.add_argument("--spread-seconds", type=float, default=20.0)
    parser.add_argument("--kill-before", type=float, default=3.0)
    parser.add_argument("--lead", type=float, default=15.0, help="first due, after the starts")
    parser.add_argument("--sticky-timeout", type=float, default=5.0)
    parser.add_argument("--keep", action="store_true", help="keep the workers' logs")
    parser.add_argument("--pollers", help="autoscaling, or fixed:N (default: the worker's)")
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    asyncio.run(main(parser.parse_args()))
