"""Benchmark the CaseSla workflow on a real Temporal server: throughput against a bare workflow,
action lateness at a steady load, and the history size of a small case (issue 4).

One run starts `temporal server start-dev` with SQLite file persistence in a temporary directory
and ONE worker process (this script with `--worker`). The worker runs `CaseSlaWorkflow` exactly as
`worker.build_worker` builds it (production settings, `SLA_*` from the environment), writing its
milestone records with the real `write_records` activity to a SQLite file beside the server's,
the bare workflow of `benchmarks/bare_workflow.py` with the same options on a second task queue,
and a stand-in for the `webhook` handler, registered under its name, that every action of the
benchmark uses: it reports each action's lateness (`now - ActionRequest.due_at`) to this process
on the worker's stdout. Then, one after the other:

1. Small case: 3 milestones (the Stormhaven Premium shape on a 24x7 calendar), one pause and
   resume, all completed, closed: its history event count (the issue's limit is 60).
2. Saturation, in `--pairs` rounds (3): in each, a batch of N bare workflows, one of N bare
   workflows doing the case's bookkeeping, and one of N cases, each batch started at once, in an
   order that turns with each round, so a noisy machine's slow minutes fall on each kind alike.
   Every workflow waits for the same three due instants (start + 2 s, 4 s, 6 s; `--clock-from`:
   the start is the first workflow task, as issue 4 measured, or the start request, when the
   wait for a first task in the burst counts for all) and runs the stand-in at each, as a local
   activity. The bare workflow then ends. A case does not: its milestones stay open after a
   violation and only a command ends it, so the benchmark sends the `close` update as soon as
   the worker reports a case's third action, and that cost counts. The bare workflow "like the
   case" writes its milestone records with the case's own writer (riding with its actions, as
   the case's do) and ends by the same `close` update: a hand-written workflow doing the case's
   bookkeeping, so that ratio is what the engine itself costs. Done is the workflow's close time
   on the server; throughput is N / (last close - first start request). Reported: each round's
   ratios and their medians, the history bytes, and the worker's and server's CPU per workflow
   (from /proc); the first round in detail (events, tasks, timings from the histories).
3. Lateness: N cases, case i due at T0 + i * spread / N (every 0.6 s over 10 minutes at full
   size), started in due order at `--start-rate` per second so all are open at T0; percentiles
   of each action's activity start against its due instant, and where the lateness comes from.
4. Open cases: `--open-cases` cases (3000) started at once, their first actions due over
   `--open-spread-seconds` (180), on `--open-workers` worker processes (1) of their own, each
   caching `--open-cache` cases (500), far fewer than the cases open: the same figures, and
   every action run exactly once. The issue's larger phase: `--open-cases 10000
   --open-workers 2 --open-cache 1000 --open-spread-seconds 300`.

    .venv/bin/python benchmarks/throughput.py                                # ~30 minutes
    .venv/bin/python benchmarks/throughput.py --cases 100 --spread-seconds 60 \
        --open-cases 300 --open-spread-seconds 60                            # ~4 minutes

Everything shares the machine: the report shows the CPU used by other processes during each
phase, which should be near zero. The dev server and the worker are stopped on exit, Ctrl-C and
SIGTERM included.
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:
    # Run as a script, Python puts benchmarks/ first on sys.path, where a benchmark module can
    # shadow a package of the project (benchmarks/api.py and `api`): import from the repository
    # root instead, as `python -m benchmarks.throughput` does.
    _HERE = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
    sys.path.insert(0, str(_HERE.parent))

import argparse
import asyncio
import contextlib
import math
import os
import platform
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from importlib.metadata import version
from typing import Any, TextIO

from temporalio import activity
from temporalio.api.enums.v1 import EventType, TimeoutType
from temporalio.client import Client, WorkflowExecution, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.service import RPCError
from temporalio.worker import Worker

from activities import ActionHandlers
from activities.settings import ActionSettings
from benchmarks.bare_workflow import BARE_WORKFLOW_TYPE, BareCase, BareWorkflow
from database.migrations import upgrade
from database.records import RecordStore
from temporal_connection.client import TemporalSettings, connect, ensure_search_attributes
from temporal_connection.dev_server import dev_server, temporal_cli
from worker import WorkerSettings, build_worker, sandbox_runner
from workflows.case_sla import CaseSlaWorkflow
from workflows.contract import (
    CURRENT_BEHAVIOUR,
    WEBHOOK,
    WORKFLOW_TYPE,
    ActionRequest,
    ActionResult,
    Close,
    EntitlementProcess,
    Pause,
    RecordEvent,
    Resume,
    StartCase,
    UpdateCase,
    case_workflow_id,
)
from workflows.opening import opening
from workflows.search_attributes import initial

HANDLER = WEBHOOK
"""The handler every action of the benchmark names: the stand-in registers under its name, as
the tests' fakes do (a case refuses to run a handler that is not one of `ACTION_HANDLERS`)."""
CASE_QUEUE = "sla-bench"
BARE_QUEUE = "sla-bench-bare"
SATURATION_TARGETS = (timedelta(seconds=2), timedelta(seconds=4), timedelta(seconds=6))
START_CONCURRENCY = 50
"""Start requests in flight at once: "at once" without thousands of simultaneous RPCs."""
WIDTH = 100
SCRIPT = str(Path(__file__).resolve())

# ================================================================================== worker process


def stand_in_for(store: RecordStore) -> Any:
    """The action of every benchmark process, registered as the webhook handler."""

    @activity.defn(name=HANDLER)
    async def stand_in(request: ActionRequest) -> ActionResult:
        """Report the action's lateness to the parent, deliver, and write the record batch it
        is handed, as the real handler does."""
        lateness = datetime.now(UTC) - request.due_at
        local = activity.info().is_local
        sys.stdout.write(
            f"A\t{request.case_id}\t{request.milestone}\t{request.kind}\t{request.n}\t"
            f"{lateness.total_seconds():.6f}\t{int(local)}\n"
        )
        sys.stdout.flush()
        if request.records is None:
            return ActionResult(status="delivered")
        await asyncio.to_thread(store.write, request.records)
        return ActionResult(status="delivered", records_written=True)

    return stand_in


async def run_worker(address: str, database_url: str) -> None:
    """The worker process: CaseSla exactly as `worker.build_worker` builds it (its milestone
    records written to a real SQLite database), and the bare workflow on a second task queue with
    the same options, until stdin closes or a signal."""
    client = await connect(TemporalSettings(address=address))
    upgrade(database_url)
    handlers = ActionHandlers(ActionSettings(database_url=database_url))
    activities = [stand_in_for(handlers.records), handlers.write_records]
    cases = build_worker(client, CASE_QUEUE, WorkerSettings(), activities=activities)
    config = cases.config()
    config["task_queue"] = BARE_QUEUE
    config["workflows"] = [BareWorkflow]
    # Passed through like the case's own modules: a fresh import of the bare workflow's module
    # (and its pydantic models) for every run would cost the bare workflow what the case never
    # pays (10% of the worker's samples in a py-spy profile).
    config["workflow_runner"] = sandbox_runner("benchmarks.bare_workflow")
    bare = Worker(**config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    def watch_parent() -> None:  # stdin closes when the parent exits, however it exits
        sys.stdin.read()
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch_parent, daemon=True).start()
    async with cases, bare:
        sys.stdout.write("READY\n")
        sys.stdout.flush()
        await stop.wait()


# ===================================================================================== the parent


@dataclass(frozen=True, slots=True)
class ActionSeen:
    case_id: str
    milestone: str
    kind: str
    n: int
    lateness: float
    local: bool


class WorkerProcess:
    """The worker subprocess, and the actions it reports, routed by case id prefix."""

    def __init__(
        self, address: str, log_path: Path, database_url: str, cached: int | None = None
    ) -> None:
        self.address = address
        self.cached = cached
        """The worker's `SLA_MAX_CACHED_WORKFLOWS` (None: the production default)."""
        self.log_path = log_path
        self.database_url = database_url
        self.store = RecordStore(database_url)
        """Where the starter writes the cases' opening records, as the API does."""
        self.listeners: dict[str, Callable[[ActionSeen], None]] = {}
        self.process: asyncio.subprocess.Process | None = None
        self._ready = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._log: TextIO | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    async def __aenter__(self) -> WorkerProcess:
        self._log = self.log_path.open("w")
        cache = {} if self.cached is None else {"SLA_MAX_CACHED_WORKFLOWS": str(self.cached)}
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            SCRIPT,
            "--worker",
            "--address",
            self.address,
            "--database-url",
            self.database_url,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=self._log,
            env={**os.environ, **cache},
        )
        self._reader = asyncio.create_task(self._read())
        ready = asyncio.create_task(self._ready.wait())
        await asyncio.wait([ready, self._reader], timeout=60, return_when="FIRST_COMPLETED")
        if not self._ready.is_set():
            ready.cancel()
            raise SystemExit(f"the worker did not start: see {self.log_path}")
        return self

    async def __aexit__(self, *exc: object) -> None:
        process = self.process
        if process is not None and process.returncode is None:
            if process.stdin is not None:
                process.stdin.close()
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=30)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._log is not None:
            self._log.close()

    async def wait(self, event: asyncio.Event, seconds: float) -> bool:
        """Wait for `event` (False after `seconds`); stop the benchmark if the worker exited."""
        assert self._reader is not None
        waiter = asyncio.create_task(event.wait())
        await asyncio.wait([waiter, self._reader], timeout=seconds, return_when="FIRST_COMPLETED")
        waiter.cancel()
        if self._reader.done():
            raise SystemExit(f"the worker exited: see {self.log_path}")
        return event.is_set()

    async def _read(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            line = raw.decode().rstrip("\n")
            if line == "READY":
                self._ready.set()
                continue
            parts = line.split("\t")
            if len(parts) != 7 or parts[0] != "A":
                continue
            seen = ActionSeen(
                parts[1], parts[2], parts[3], int(parts[4]), float(parts[5]), parts[6] == "1"
            )
            for prefix, listener in self.listeners.items():
                if seen.case_id.startswith(prefix):
                    listener(seen)
                    break


class CpuMeter:
    """CPU seconds used by the dev server, the worker and this process (Linux /proc)."""

    def __init__(self, *worker_pids: int | None) -> None:
        self.pids = {"worker": worker_pids, "server": (_child_pid("start-dev"),)}
        self._tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def read(self) -> dict[str, float]:
        """Cumulative CPU seconds: ours (the workers' together), and "other" (every other
        process on the machine, which should stay near zero for the figures to mean
        anything)."""
        usage = {"client": time.process_time()}
        for name, pids in self.pids.items():
            try:
                usage[name] = sum(self._used(pid) for pid in pids)
            except (OSError, IndexError, ValueError):
                usage[name] = math.nan
        try:  # user nice system idle iowait irq softirq steal
            ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
            busy = (sum(ticks) - ticks[3] - ticks[4]) / self._tick
            usage["other"] = busy - sum(usage.values())
        except (OSError, ValueError):
            usage["other"] = math.nan
        return usage

    def _used(self, pid: int | None) -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self._tick


def _child_pid(marker: str) -> int | None:
    """The pid of a child of this process whose command line contains `marker`."""
    with contextlib.suppress(OSError):
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, IndexError):
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                if parent == os.getpid() and marker in command:
                    return int(entry.name)
    return None


# ------------------------------------------------------------------------------------ histories


def _seconds(delta: timedelta) -> float:
    return delta.total_seconds()


@dataclass
class Histories:
    """Event counts and timer timings of some workflow histories (server event times)."""

    count: int = 0
    types: Counter[str] = field(default_factory=Counter)
    size: Counter[str] = field(default_factory=Counter)
    """Serialized bytes of the events, by type."""
    arm_lag: list[float] = field(default_factory=list)
    """TimerStarted - the start of the workflow task that armed it. A timer runs from the end of
    that task, but its duration was computed from `workflow.now()`, the task's start: this much
    late before it even starts."""
    fire_delay: list[float] = field(default_factory=list)
    """TimerFired - (TimerStarted + duration): the server's own timer precision."""
    pickup: list[float] = field(default_factory=list)
    """WorkflowTaskStarted after a TimerFired - the TimerFired: queueing for the worker."""
    task: list[float] = field(default_factory=list)
    """WorkflowTaskCompleted - WorkflowTaskStarted: one workflow task, on the worker."""
    first_task: list[float] = field(default_factory=list)
    """The same, for each workflow's first task (its run starts in a new sandbox)."""
    first_fired: dict[str, datetime] = field(default_factory=dict)
    """When each workflow's first timer fired."""
    actions: int = 0
    """Temporal Cloud's billable actions in the histories (docs.temporal.io/cloud/actions):
    each start, timer, search attribute upsert, accepted update, activity attempt and
    continue-as-new, and one for all the local activities of a workflow task. Queries and
    rejected updates are billed too, but leave no event: the starter's and readers' count."""

    def per_workflow(self, event_type: str) -> float:
        return self.types[event_type] / self.count if self.count else math.nan

    @property
    def bytes_per_workflow(self) -> float:
        return sum(self.size.values()) / self.count if self.count else math.nan

    @property
    def actions_per_workflow(self) -> float:
        return self.actions / self.count if self.count else math.nan

    def add(self, workflow_id: str, events: Sequence[Any]) -> None:
        self.count += 1
        self.actions += billable_actions(events)
        task_started: datetime | None = None
        fired_at: datetime | None = None
        timers: dict[str, datetime] = {}
        seen_task = False
        for event in events:
            name = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
            if name == "WORKFLOW_TASK_TIMED_OUT":
                kind = event.workflow_task_timed_out_event_attributes.timeout_type
                self.types[f"{name} ({TimeoutType.Name(kind).removeprefix('TIMEOUT_TYPE_')})"] += 1
            else:
                self.types[name] += 1
            self.size[name] += event.ByteSize()
            at = event.event_time.ToDatetime().replace(tzinfo=UTC)
            if name == "WORKFLOW_TASK_STARTED":
                task_started = at
                if fired_at is not None:
                    self.pickup.append(_seconds(at - fired_at))
                    fired_at = None
            elif name == "WORKFLOW_TASK_COMPLETED" and task_started is not None:
                (self.task if seen_task else self.first_task).append(_seconds(at - task_started))
                seen_task = True
            elif name == "TIMER_STARTED":
                attributes = event.timer_started_event_attributes
                timers[attributes.timer_id] = at + attributes.start_to_fire_timeout.ToTimedelta()
                if task_started is not None:
                    self.arm_lag.append(_seconds(at - task_started))
            elif name == "TIMER_FIRED":
                due = timers.get(event.timer_fired_event_attributes.timer_id)
                if due is not None:
                    self.fire_delay.append(_seconds(at - due))
                fired_at = at
                self.first_fired.setdefault(workflow_id, at)


BILLED = {
    "WORKFLOW_EXECUTION_STARTED",
    "TIMER_STARTED",
    "UPSERT_WORKFLOW_SEARCH_ATTRIBUTES",
    "WORKFLOW_EXECUTION_UPDATE_ACCEPTED",
    "WORKFLOW_EXECUTION_CONTINUED_AS_NEW",
}


def billable_actions(events: Sequence[Any]) -> int:
    """Temporal Cloud's billable actions of one history (see `Histories.actions`)."""
    actions = 0
    markers_of_task = False
    for event in events:
        name = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
        if name == "WORKFLOW_TASK_COMPLETED":
            markers_of_task = False
        elif name == "MARKER_RECORDED" and not markers_of_task:
            actions += 1  # every local activity of one workflow task: one action
            markers_of_task = True
        elif name == "ACTIVITY_TASK_STARTED":
            actions += event.activity_task_started_event_attributes.attempt
        actions += name in BILLED
    return actions


async def fetch_histories(client: Client, workflow_ids: Sequence[str]) -> Histories:
    histories = Histories()

    async def one(workflow_id: str) -> None:
        handle = client.get_workflow_handle(workflow_id)
        histories.add(workflow_id, [event async for event in handle.fetch_history_events()])

    await run_limited([partial(one, workflow_id) for workflow_id in workflow_ids], 10)
    return histories


async def start_case(
    client: Client, store: RecordStore, case: StartCase
) -> WorkflowHandle[CaseSlaWorkflow, Any]:
    """Start a case as the API does: its search attributes set, its opening records written."""
    new = opening(case, datetime.now(UTC))
    handle = await client.start_workflow(
        CaseSlaWorkflow.run,
        new.start,
        id=case_workflow_id(case.case_id),
        task_queue=CASE_QUEUE,
        search_attributes=new.search_attributes,
        static_summary=new.summary,
    )
    await asyncio.to_thread(store.write, new.records)
    return handle


async def run_limited(jobs: Iterable[Callable[[], Awaitable[None]]], limit: int) -> None:
    semaphore = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[None]]) -> None:
        async with semaphore:
            await job()

    await asyncio.gather(*(one(job) for job in jobs))


def sample(ids: Iterable[str], size: int) -> list[str]:
    ordered = sorted(ids)
    return ordered[:: max(1, len(ordered) // size)][:size]


# ------------------------------------------------------------------------------------ processes


def bench_process(name: str, targets: Sequence[timedelta]) -> EntitlementProcess:
    """Milestones M1..Mk, on the 24x7 calendar, each with one violation action at its target."""
    return EntitlementProcess.model_validate(
        {
            "name": name,
            "milestones": [
                {
                    "name": f"M{n}",
                    "target": target,
                    "actions": {"violation": [{"handler": HANDLER}]},
                }
                for n, target in enumerate(targets, start=1)
            ],
        }
    )


def small_process() -> EntitlementProcess:
    """The shape of `tests/stormhaven.py`'s Premium process, on the 24x7 calendar."""

    def actions() -> dict[str, Any]:
        action = {"handler": HANDLER}
        return {
            "success": [action],
            "warning": [{**action, "before_target": "15m"}],
            "violation": [
                action,
                {**action, "after_target": "30m"},
                {**action, "after_target": "2h"},
            ],
        }

    def complete_when(field: str, op: str, value: Any) -> dict[str, Any]:
        return {"all": [{"field": field, "op": op, "value": value}]}

    return EntitlementProcess.model_validate(
        {
            "name": "Premium",
            "pause_when": complete_when("status", "eq", "Waiting"),
            "exit_when": complete_when("status", "eq", "Closed"),
            "milestones": [
                {
                    "name": "First Response",
                    "target": "1h",
                    "complete_when": {"events": ["agent_replied"]},
                    "actions": actions(),
                },
                {
                    "name": "Triage",
                    "target": "4h",
                    "complete_when": complete_when("stage", "ne", "New"),
                    "actions": actions(),
                },
                {
                    "name": "Resolution",
                    "target": "24h",
                    "complete_when": complete_when("status", "in", ["Solved"]),
                    "actions": actions(),
                },
            ],
        }
    )


# --------------------------------------------------------------------------------------- phases


@dataclass
class Batch:
    """One saturation batch: N workflows of one kind started at once, run to completion."""

    label: str
    n: int
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    start_burst: float = math.nan
    """Seconds until every start request was accepted."""
    executions: list[WorkflowExecution] = field(default_factory=list)
    lateness: list[float] = field(default_factory=list)
    histories: Histories = field(default_factory=Histories)
    cpu: dict[str, float] = field(default_factory=dict)
    close_failures: int = 0
    timed_out: bool = False

    @property
    def completed(self) -> list[WorkflowExecution]:
        return [e for e in self.executions if e.close_time is not None]

    @property
    def wall(self) -> float:
        closes = [e.close_time for e in self.completed if e.close_time is not None]
        return _seconds(max(closes) - self.started_at) if closes else math.nan

    @property
    def throughput(self) -> float:
        return len(self.completed) / self.wall if self.completed else math.nan

    @property
    def events(self) -> list[float]:
        return [float(e.history_length) for e in self.completed]

    @property
    def durations(self) -> list[float]:
        return [_seconds(e.close_time - e.start_time) for e in self.completed if e.close_time]


@dataclass
class Lateness:
    n: int
    spread: float
    rate: float
    lead: float
    workers: int = 1
    cached: int = 500
    """Worker processes, and the cases each caches."""
    starts_took: float = math.nan
    lateness: list[float] = field(default_factory=list)
    late_starts: int = 0
    """Cases whose start request returned less than a second before their due instant."""
    repeated: int = 0
    """Actions run more than once (each case has one)."""
    fired_late: list[float] = field(default_factory=list)
    """TimerFired - due instant."""
    histories: Histories = field(default_factory=Histories)
    cpu: dict[str, float] = field(default_factory=dict)


@dataclass
class SmallCase:
    histories: Histories
    shown_bytes: int
    """The size of `temporal workflow show --output json`: what an operator reads."""


async def small_case(
    client: Client, store: RecordStore, tag: str, address: str, data_dir: Path
) -> SmallCase:
    """The issue's small case: 3 milestones, one pause and resume, all completed."""
    start = StartCase(
        case_id=f"small-{tag}",
        fields={"status": "New", "stage": "New", "priority": "High"},
        process=small_process(),
    )
    handle = await start_case(client, store, start)
    await asyncio.sleep(1)  # let the first workflow task finish, as the test does
    await handle.execute_update(CaseSlaWorkflow.pause, Pause(reason="waiting"))
    await asyncio.sleep(1)
    await handle.execute_update(CaseSlaWorkflow.resume, Resume())
    await handle.execute_update(CaseSlaWorkflow.record_event, RecordEvent(type="agent_replied"))
    await handle.execute_update(CaseSlaWorkflow.update_case, UpdateCase(fields={"stage": "Fixing"}))
    await handle.execute_update(CaseSlaWorkflow.close, Close(fields={"status": "Solved"}))
    await handle.result()
    tracker = await handle.query(CaseSlaWorkflow.tracker)
    if [m.state for m in tracker.milestones] != ["completed"] * 3:
        raise SystemExit(f"small case: milestones not all completed: {tracker.milestones}")
    command = [temporal_cli(), "workflow", "show", "--address", address, "-w", handle.id]
    shown = await asyncio.to_thread(
        subprocess.run, [*command, "--output", "json"], capture_output=True, check=True
    )
    (data_dir / "small-case.json").write_bytes(shown.stdout)  # kept with --data-dir
    return SmallCase(await fetch_histories(client, [handle.id]), len(shown.stdout))


async def saturation(
    client: Client,
    worker: WorkerProcess,
    kind: str,
    n: int,
    tag: str,
    regular: bool,
    from_request: bool,
    like_case: bool,
) -> Batch:
    """Start `n` workflows of `kind` ("bare" or "case") at once; wait until all completed.

    With `from_request`, each workflow's clock starts when its start request is sent (a case
    started as the API starts it, `workflows.opening`; the bare workflow given `started_at`), so
    the wait for a first workflow task in a burst counts, and a workflow picked up after its due
    instants runs all its actions in its first task. Otherwise the clock starts at the first
    task, as for a case system that starts `CaseSla` on Temporal itself without `opened_at` (the
    case's first task then also sets its next deadline): every workflow arms its timers."""
    cpu = CpuMeter(worker.pid)
    before = cpu.read()
    prefix = f"{kind}-{tag}-"
    expected = len(SATURATION_TARGETS)
    workflow_type = BARE_WORKFLOW_TYPE if kind == "bare" else WORKFLOW_TYPE
    batch = Batch(kind, n)
    counts: Counter[str] = Counter()
    finished = asyncio.Event()
    closes: list[asyncio.Task[None]] = []

    async def close(case_id: str) -> None:
        for attempt in range(5):
            try:
                if kind == "bare":
                    await client.get_workflow_handle(case_id).execute_update("close")
                else:
                    handle = client.get_workflow_handle_for(
                        CaseSlaWorkflow.run, case_workflow_id(case_id)
                    )
                    await handle.execute_update(CaseSlaWorkflow.close, Close())
                return
            except (RPCError, WorkflowUpdateFailedError) as error:
                if attempt == 4:
                    print(f"close {case_id} failed: {error}", file=sys.stderr)
                    batch.close_failures += 1
                await asyncio.sleep(1)

    def on_action(seen: ActionSeen) -> None:
        batch.lateness.append(seen.lateness)
        counts[seen.case_id] += 1
        if counts[seen.case_id] == expected:
            if kind == "case" or like_case:
                closes.append(asyncio.create_task(close(seen.case_id)))
            if sum(1 for c in counts.values() if c >= expected) == n:
                finished.set()

    worker.listeners[prefix] = on_action
    process = bench_process("Saturation", SATURATION_TARGETS)

    async def start(i: int) -> None:
        case_id = f"{prefix}{i:05d}"
        if kind == "bare":
            bare = BareCase(
                case_id=case_id,
                targets=list(SATURATION_TARGETS),
                started_at=datetime.now(UTC) if from_request else None,
                regular=regular,
                like_case=like_case,
            )
            await client.start_workflow(BareWorkflow.run, bare, id=case_id, task_queue=BARE_QUEUE)
        elif from_request:
            await start_case(client, worker.store, StartCase(case_id=case_id, process=process))
        else:
            case = StartCase(case_id=case_id, process=process, behaviour=CURRENT_BEHAVIOUR)
            await client.start_workflow(
                CaseSlaWorkflow.run,
                case,
                id=case_workflow_id(case_id),
                task_queue=CASE_QUEUE,
                search_attributes=initial(case),
            )

    batch.started_at = datetime.now(UTC)
    began = time.monotonic()
    await run_limited([partial(start, i) for i in range(n)], START_CONCURRENCY)
    batch.start_burst = time.monotonic() - began
    batch.timed_out = not await worker.wait(finished, 300 + 2.0 * n)
    await asyncio.gather(*closes)
    since = batch.started_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    query = f"WorkflowType = '{workflow_type}' AND StartTime >= '{since}'"
    deadline = time.monotonic() + (30 if batch.timed_out else 300)
    while time.monotonic() < deadline:  # visibility is written asynchronously
        found = await client.count_workflows(f"{query} AND ExecutionStatus = 'Completed'")
        if found.count >= n:
            break
        await asyncio.sleep(1)
    batch.cpu = {who: used - before[who] for who, used in cpu.read().items()}
    del worker.listeners[prefix]
    batch.executions = [
        execution
        async for execution in client.list_workflows(query)
        if execution.id.removeprefix("case-").startswith(prefix)
    ]
    batch.histories = await fetch_histories(client, sample((e.id for e in batch.completed), 50))
    return batch


async def lateness(
    client: Client,
    workers: Sequence[WorkerProcess],
    n: int,
    spread: float,
    rate: float,
    lead: float,
    tag: str,
) -> Lateness:
    """`n` open cases, case i due at T0 + i * spread / n; lateness of each action's start.

    The cases are started in due order at `rate` per second (0: all at once, START_CONCURRENCY
    requests in flight), so that all are open `lead` seconds after the first start, at T0. A
    case's timer is armed by its first workflow task and runs from that task's end, so a task
    slowed down by a start burst makes the action late by as much; a steady start rate keeps
    the arming tasks as fast as the steady load allows. Targets are whole seconds; each case's
    `opened_at` (at most a second before the first start) puts its due instant on the grid.
    With several worker processes, each reports the actions it ran.
    """
    worker = workers[0]
    cpu = CpuMeter(*(w.pid for w in workers))
    cached = worker.cached or WorkerSettings().max_cached_workflows
    result = Lateness(n, spread, rate, lead, len(workers), cached)
    prefix = f"late-{tag}-"
    seen: dict[str, float] = {}
    finished = asyncio.Event()

    def on_action(action: ActionSeen) -> None:
        if action.case_id in seen:
            result.repeated += 1
        seen.setdefault(action.case_id, action.lateness)
        if len(seen) == n:
            finished.set()

    for each in workers:
        each.listeners[prefix] = on_action
    opened = datetime.now(UTC).replace(microsecond=0)
    first_due = opened + timedelta(seconds=math.ceil(lead))
    dues = [first_due + timedelta(seconds=spread * i / n) for i in range(n)]
    before = cpu.read()
    began = time.monotonic()

    async def start(i: int) -> None:
        case_id = f"{prefix}{i:05d}"
        target = timedelta(seconds=math.ceil(_seconds(dues[i] - opened)))
        case = StartCase(
            case_id=case_id,
            opened_at=dues[i] - target,
            process=bench_process("Lateness", [target]),
        )
        if rate:
            await asyncio.sleep(max(0.0, began + i / rate - time.monotonic()))
        await start_case(client, worker.store, case)
        if dues[i] - datetime.now(UTC) < timedelta(seconds=1):
            result.late_starts += 1

    await run_limited([partial(start, i) for i in range(n)], n if rate else START_CONCURRENCY)
    result.starts_took = time.monotonic() - began
    remaining = _seconds(dues[-1] - datetime.now(UTC))
    await worker.wait(finished, max(remaining, 0) + 120)
    result.cpu = {who: used - before[who] for who, used in cpu.read().items()}
    for each in workers:
        del each.listeners[prefix]
    result.lateness = list(seen.values())
    ids = [case_workflow_id(f"{prefix}{i:05d}") for i in range(n)]
    result.histories = await fetch_histories(client, ids)
    fired = result.histories.first_fired
    result.fired_late = [
        _seconds(fired[w] - due) for w, due in zip(ids, dues, strict=True) if w in fired
    ]
    return result


# ---------------------------------------------------------------------------------------- report


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def num(value: float, digits: int = 2) -> str:
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"


def quantiles(values: Sequence[float], digits: int = 2) -> str:
    """p50 / p99 / max."""
    return (
        " / ".join(
            num(v, digits) for v in (percentile(values, 50), percentile(values, 99), max(values))
        )
        if values
        else "n/a"
    )


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def line(label: str, *cells: str) -> None:
    widths = (22, 22, 14)
    print(f"  {label:<38}" + "".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=False)))


def cpu_line(cpu: dict[str, float], per: int = 1) -> str:
    return ", ".join(f"{who} {used / per:.3f}" for who, used in cpu.items())


def report_configuration(args: argparse.Namespace, data_dir: Path) -> None:
    settings = WorkerSettings()
    cli = subprocess.run(
        [temporal_cli(), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    targets = ", ".join(f"{_seconds(t):g} s" for t in SATURATION_TARGETS)
    bare_kind = "a regular activity" if args.bare_regular else "a local activity, like the case"
    starts = (
        f"started in due order at {args.start_rate:g}/s"
        if args.start_rate
        else f"started at once ({START_CONCURRENCY} requests in flight)"
    )
    print("=" * WIDTH)
    print("CaseSla throughput benchmark (issue 4)")
    print("=" * WIDTH)
    print(
        f"machine     {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}, temporalio {version('temporalio')}"
    )
    print(f"server      {cli}")
    print(f"            start-dev, SQLite file {data_dir / 'temporal.sqlite'}")
    tuning = f"max_cached_workflows={settings.max_cached_workflows}, " + (
        f"max_concurrent_activities={settings.max_concurrent_activities}"
    )
    sticky = getattr(settings, "sticky_timeout_seconds", None)
    if sticky is not None:
        tuning += f", sticky timeout {sticky:g} s"
    print(
        f"worker      one process: CaseSla (worker.build_worker) + {BARE_WORKFLOW_TYPE} + activity "
        f"'{HANDLER}';\n            {tuning}"
    )
    print(
        f"saturation  {args.pairs} rounds of {args.cases} bare workflows, {args.cases} bare "
        f"like the case and {args.cases} cases; each batch started at "
        f"once\n            ({START_CONCURRENCY} start requests in flight); actions due at start "
        f"+ {targets}, one '{HANDLER}'\n            each (24x7 calendar); the bare workflow runs "
        f"each as {bare_kind};\n            the start is the {args.clock_from.replace('-', ' ')}"
    )
    bare_done = "the workflow completes by itself after its third action (as defined)"
    print(
        f"done        bare: {bare_done}. Case: the benchmark\n            sends the `close` "
        "update when the worker reports the case's third action.\n            Done = the "
        "workflow's close time on the server; throughput = completed / (last\n            close "
        "- first start request)"
    )
    print(
        f"lateness    {args.cases} cases, one violation '{HANDLER}' action each, due every "
        f"{args.spread_seconds / args.cases:.3f} s over {args.spread_seconds:g} s;\n"
        f"            {starts}, all open before the first is due;\n"
        "            lateness = activity start (worker clock) - ActionRequest.due_at"
    )
    print(
        "CPU         seconds from /proc: dev server, worker, client (this process), and other "
        "processes\n            on the machine (should be ~0: anything else running skews the "
        "figures)"
    )
    print()


def report_small(small: SmallCase) -> None:
    h = small.histories
    events = sum(h.types.values())
    print("-" * WIDTH)
    print("Small case: 3 milestones, one pause/resume, all completed, closed")
    verdict = "met" if events <= 60 else "NOT MET"
    line("HISTORY EVENTS", str(events), f"goal <= 60: {verdict}")
    line("HISTORY BYTES (serialized)", num(h.bytes_per_workflow, 0))
    line("JSON BYTES (temporal workflow show)", str(small.shown_bytes))
    line("Temporal Cloud actions (in history)", num(h.actions_per_workflow, 0))
    for name, count in h.types.most_common():
        line(f"  {name}", str(count), f"{h.size[name]} B")
    print()


def report_saturation(bare: Batch, case: Batch) -> None:
    ratio = case.throughput / bare.throughput
    verdict = "met" if ratio >= 0.7 else "NOT MET"
    b, c = bare.histories, case.histories
    wft = "WORKFLOW_TASK_COMPLETED"
    print("-" * WIDTH)
    print("Saturation")
    line("", "bare", "case", "case / bare")
    line(
        "workflows completed", f"{len(bare.completed)}/{bare.n}", f"{len(case.completed)}/{case.n}"
    )
    line("all start requests accepted (s)", num(bare.start_burst, 1), num(case.start_burst, 1))
    line("first start -> last close (s)", num(bare.wall, 1), num(case.wall, 1))
    line("THROUGHPUT (workflows/s)", num(bare.throughput), num(case.throughput), num(ratio))
    line("", "", "", f"goal >= 0.70: {verdict}")
    line(
        "history events / workflow (mean)",
        num(mean(bare.events), 1),
        num(mean(case.events), 1),
        num(mean(case.events) / mean(bare.events)),
    )
    line(
        "  min - max",
        f"{min(bare.events, default=0):.0f} - {max(bare.events, default=0):.0f}",
        f"{min(case.events, default=0):.0f} - {max(case.events, default=0):.0f}",
    )
    line(
        "workflow tasks / workflow",
        num(b.per_workflow(wft), 2),
        num(c.per_workflow(wft), 2),
        num(c.per_workflow(wft) / b.per_workflow(wft)),
    )
    line(
        "start -> close p50/p99/max (s)", quantiles(bare.durations, 1), quantiles(case.durations, 1)
    )
    line(
        "action lateness p50/p99/max (s)", quantiles(bare.lateness, 1), quantiles(case.lateness, 1)
    )
    line("first workflow task p50/p99/max (s)", quantiles(b.first_task), quantiles(c.first_task))
    line("later workflow tasks p50/p99/max (s)", quantiles(b.task), quantiles(c.task))
    line("timer armed late p50/p99/max (s)", quantiles(b.arm_lag), quantiles(c.arm_lag))
    line(
        "history bytes / workflow",
        num(b.bytes_per_workflow, 0),
        num(c.bytes_per_workflow, 0),
        num(c.bytes_per_workflow / b.bytes_per_workflow),
    )
    for who in ("server", "worker", "client", "other"):
        line(
            f"{who} CPU s / workflow",
            num(bare.cpu.get(who, math.nan) / bare.n, 3),
            num(case.cpu.get(who, math.nan) / case.n, 3),
            num(case.cpu.get(who, math.nan) / bare.cpu.get(who, math.nan))
            if who != "other"
            else "",
        )
    ours = [sum(v for k, v in batch.cpu.items() if k != "other") for batch in (bare, case)]
    line(
        "workflows / CPU s (ours, not other)",
        num(bare.n / ours[0], 2),
        num(case.n / ours[1], 2),
        num(case.n / ours[1] / (bare.n / ours[0])),
    )
    for batch in (bare, case):
        if batch.close_failures:
            print(f"  {batch.label}: {batch.close_failures} close updates failed")
    for batch in (bare, case):
        if batch.timed_out:
            print(f"  {batch.label}: TIMED OUT before every workflow finished")
    print(f"  history events by type, per workflow (histories of {b.count} bare, {c.count} cases)")
    line("", "bare", "case", "case bytes")
    for name in sorted(set(b.types) | set(c.types), key=lambda t: (-c.types[t], t)):
        label = name.replace("WORKFLOW_TASK_TIMED_OUT", "WF_TASK_TIMED_OUT")
        size = c.size[name.split(" ")[0]] / c.count if c.count else math.nan
        line(f"  {label}", num(b.per_workflow(name), 2), num(c.per_workflow(name), 2), num(size, 0))
    print()


def report_lateness(result: Lateness) -> None:
    values, h = result.lateness, result.histories
    print("-" * WIDTH)
    how = f"started at {result.rate:g}/s" if result.rate else "started at once"
    print(
        f"Lateness: {result.n} open cases ({how}), first actions due over {result.spread:g} s, "
        f"{result.workers} worker(s) caching {result.cached} each"
    )
    line("cases started in (s)", num(result.starts_took, 1))
    line("cases started < 1 s before due", str(result.late_starts))
    line(
        "actions run / lost / repeated",
        f"{len(values)} / {result.n - len(values)}",
        str(result.repeated),
    )
    line("LATENESS p50 / p99 / max (s)", quantiles(values, 3))
    if values:
        goal = 0.5 if result.workers == 1 else 1.0  # 3,000 open on one; 10,000 on two
        verdict = "met" if percentile(values, 99) < goal else "NOT MET"
        line("", f"goal p99 < {goal:g} s: {verdict}")
        line("actions >= 1 s late", str(sum(1 for v in values if v >= 1)))
    print("  where it comes from, p50 / p99 / max (s), from the histories:")
    line("  timer fired - due instant", quantiles(result.fired_late, 3))
    line("    armed late (arming task's run)", quantiles(h.arm_lag, 3))
    line("    fired - its own end (server)", quantiles(h.fire_delay, 3))
    line("  fired -> workflow task started", quantiles(h.pickup, 3))
    line("  first workflow task (arms the timer)", quantiles(h.first_task, 3))
    line("  workflow task after the timer", quantiles(h.task, 3))
    print(f"  CPU s over the phase: {cpu_line(result.cpu)}")
    print()


BARE, LIKE_CASE, CASE = "bare", "bare, like the case", "case"


@dataclass
class Round:
    """One round of the saturation comparison: a batch of each kind, one after the other."""

    batches: dict[str, Batch]

    def ratio(self, of: str) -> float:
        return self.batches[CASE].throughput / self.batches[of].throughput

    def cpu(self, kind: str, who: str) -> float:
        batch = self.batches[kind]
        return batch.cpu.get(who, math.nan) / batch.n

    def line(self) -> str:
        rates = ", ".join(f"{k} {b.throughput:.2f}/s" for k, b in self.batches.items())
        return f"{rates}; case / bare {self.ratio(BARE):.2f}, / like {self.ratio(LIKE_CASE):.2f}"


async def saturation_round(
    client: Client, worker: WorkerProcess, args: argparse.Namespace, tag: str, n: int
) -> Round:
    """A batch of the bare workflow as defined, of the bare workflow doing the case's
    bookkeeping, and of cases, in an order that turns with each round (the machine's noise
    falls on each kind alike)."""
    kinds = [BARE, LIKE_CASE, CASE]
    order = kinds[n % 3 :] + kinds[: n % 3]
    batches: dict[str, Batch] = {}
    for kind in order:
        batches[kind] = await saturation(
            client,
            worker,
            "case" if kind == CASE else "bare",
            args.cases,
            f"{tag}{'l' if kind == LIKE_CASE else ''}",
            args.bare_regular,
            args.clock_from == "request",
            kind == LIKE_CASE,
        )
    return Round({kind: batches[kind] for kind in kinds})


def report_rounds(rounds: list[Round]) -> None:
    """Each round's throughput and CPU, and the medians: what to believe on a noisy machine."""
    print(f"Saturation, {len(rounds)} rounds (order turning each round), median of the rounds")
    line("workflows/s: bare / like / case", "", "case / bare", "case / like")
    for n, r in enumerate(rounds, start=1):
        rates = " / ".join(num(r.batches[kind].throughput) for kind in (BARE, LIKE_CASE, CASE))
        line(f"  round {n}", rates, num(r.ratio(BARE)), num(r.ratio(LIKE_CASE)))
    ratios = [statistics.median(r.ratio(of) for r in rounds) for of in (BARE, LIKE_CASE)]
    goals = (0.85, 0.9)
    verdicts = ["met" if r >= goal else "NOT MET" for r, goal in zip(ratios, goals, strict=True)]
    line("THROUGHPUT, median", "", num(ratios[0]), num(ratios[1]))
    line("", "", f"goal >= 0.85: {verdicts[0]}", f"goal >= 0.90: {verdicts[1]}")
    first = rounds[0].batches
    sizes = {kind: first[kind].histories.bytes_per_workflow for kind in first}
    line("history bytes / workflow", *(num(sizes[k], 0) for k in (BARE, LIKE_CASE, CASE)))
    line("  case / each", num(sizes[CASE] / sizes[BARE]), num(sizes[CASE] / sizes[LIKE_CASE]))
    actions = [first[k].histories.actions_per_workflow for k in (BARE, LIKE_CASE, CASE)]
    line("Temporal Cloud actions / workflow", *(num(a, 1) for a in actions))
    line("", f"goal <= 2.00: {'met' if sizes[CASE] <= 2 * sizes[BARE] else 'NOT MET'}")
    line("CPU s / workflow, median", "bare", "like", "case")
    for who in ("worker", "server"):
        medians = [
            statistics.median(r.cpu(kind, who) for r in rounds) for kind in (BARE, LIKE_CASE, CASE)
        ]
        line(f"  {who}", *(num(m, 3) for m in medians))
    print()


# ------------------------------------------------------------------------------------------ main


async def benchmark(args: argparse.Namespace, address: str, data_dir: Path) -> None:
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    client = await connect(TemporalSettings(address=address))
    await ensure_search_attributes(client)
    tag = uuid.uuid4().hex[:6]
    began = time.monotonic()
    phases = set(args.phases.split(","))

    def progress(message: str) -> None:
        print(f"[{time.monotonic() - began:5.0f} s] {message}", file=sys.stderr, flush=True)

    small = bare = case = late = crowd = None
    burst = 0.05
    rounds: list[Round] = []
    records = f"sqlite:///{data_dir / 'records.sqlite'}"
    async with WorkerProcess(address, data_dir / "worker.log", records) as worker:
        progress("worker ready")
        if "small" in phases:
            small = await small_case(client, worker.store, tag, address, data_dir)
            progress("small case done")
        if "saturation" in phases:
            for n in range(args.pairs):
                rounds.append(await saturation_round(client, worker, args, f"{tag}{n}", n))
                progress(f"saturation round {n + 1}: {rounds[-1].line()}")
            bare, case = rounds[0].batches[BARE], rounds[0].batches[CASE]
        if "lateness" in phases:
            if args.start_rate:
                lead = 15 + args.cases / args.start_rate
            else:
                lead = 15 + 1.5 * (case.start_burst if case else 0.05 * args.cases)
            late = await lateness(
                client, [worker], args.cases, args.spread_seconds, args.start_rate, lead, tag
            )
            progress("lateness done")
        burst = case.start_burst / args.cases if case else 0.05
    if "open" in phases:
        # Its own workers: as many as asked, each with its own cache of cases.
        async with contextlib.AsyncExitStack() as stack:
            crowded = [
                await stack.enter_async_context(
                    WorkerProcess(address, data_dir / f"open-{i}.log", records, args.open_cache)
                )
                for i in range(args.open_workers)
            ]
            n = args.open_cases
            crowd = await lateness(
                client, crowded, n, args.open_spread_seconds, 0, 15 + 1.5 * burst * n, f"{tag}o"
            )
            progress("open cases done")
    report_configuration(args, data_dir)
    if small:
        report_small(small)
    if bare and case:
        report_saturation(bare, case)
        report_rounds(rounds)
    for result in (late, crowd):
        if result:
            report_lateness(result)
    print(f"total run time {time.monotonic() - began:.0f} s")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000, help="workflows per batch (1000)")
    parser.add_argument(
        "--spread-seconds", type=float, default=600, help="lateness: span of due instants (600)"
    )
    parser.add_argument(
        "--start-rate",
        type=float,
        default=10,
        help="lateness: cases started per second before the first is due; 0: all at once (10)",
    )
    parser.add_argument(
        "--open-cases", type=int, default=3000, help="open: cases started at once (3000)"
    )
    parser.add_argument(
        "--open-workers", type=int, default=1, help="open: worker processes sharing them (1)"
    )
    parser.add_argument(
        "--open-cache", type=int, default=500, help="open: cases each worker caches (500)"
    )
    parser.add_argument(
        "--open-spread-seconds",
        type=float,
        default=180,
        help="open: span of their first actions' due instants (180)",
    )
    parser.add_argument(
        "--clock-from",
        choices=("first-task", "request"),
        default="first-task",
        help="saturation: when each workflow's clock starts (first-task, as issue 4 measured)",
    )
    parser.add_argument(
        "--bare-regular",
        action="store_true",
        help="the bare workflow runs its actions as regular activities, not local ones",
    )
    parser.add_argument(
        "--pairs",
        type=int,
        default=3,
        help="saturation rounds: bare, bare like the case, case, the order turning (3)",
    )
    parser.add_argument(
        "--phases", default="small,saturation,lateness,open", help="which phases to run (all)"
    )
    parser.add_argument("--data-dir", type=Path, help="keep the server's data here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--address", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        asyncio.run(run_worker(args.address, args.database_url))
        return
    with contextlib.ExitStack() as stack:
        if args.data_dir is None:
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sla-bench-")))
        else:
            data_dir = args.data_dir
        port = free_port()
        stack.enter_context(dev_server(data_dir, port=port, ui_port=free_port()))
        try:
            asyncio.run(benchmark(args, f"127.0.0.1:{port}", data_dir))
        except (KeyboardInterrupt, asyncio.CancelledError):
            print("interrupted: the worker and the dev server are stopped", file=sys.stderr)
            raise SystemExit(130) from None


if __name__ == "__main__":
    main()
