"""The worker process: builds the worker of the CaseSla workflow and the action activities, and
runs it until SIGTERM or SIGINT, finishing in-flight work first.

Configured from the environment: Temporal through `temporal_connection.TemporalSettings`
(`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_TASK_QUEUE`, TLS, API key), the worker
through `WorkerSettings` (`SLA_MAX_CACHED_WORKFLOWS`, ...), the handlers through
`activities.settings.ActionSettings`.

    python -m worker                 # against TEMPORAL_ADDRESS (default localhost:7233)
    python -m worker --dev-server    # start `temporal server start-dev` (SQLite under ./var) first
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from temporalio.client import Client
from temporalio.worker import (
    PollerBehavior,
    PollerBehaviorAutoscaling,
    PollerBehaviorSimpleMaximum,
    Worker,
)
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities import ActionHandlers
from activities.settings import ActionSettings
from api.config import InvalidSettingsError, load_settings
from temporal_connection.client import TemporalSettings, connect, ensure_search_attributes
from temporal_connection.dev_server import dev_server
from workflows.case_sla import CaseSlaWorkflow
from workflows.contract import TASK_QUEUE

log = logging.getLogger("sla.worker")


class WorkerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SLA_", extra="ignore")

    max_cached_workflows: int = 500
    """Bounded sticky cache: evicted cases replay from history when they next wake."""
    max_concurrent_activities: int = 64
    graceful_shutdown_seconds: float = 20.0
    sticky_timeout_seconds: float = 5.0
    """How long a case's next task waits for the worker that has it cached before any worker
    takes it: after a crash, this is what due actions wait on top of the restart."""
    pollers: Literal["autoscaling", "fixed"] = "fixed"
    """How many task polls the worker keeps open: scaled by the server's feedback (Temporal's
    recommendation), or a fixed `max_pollers`."""
    max_pollers: int = Field(default=20, ge=5)
    """The most polls open at once, for workflow tasks and for activity tasks each. A fifth of
    the workflow task polls wait on the shared task queue, the rest on the worker's sticky one:
    20 keeps at least 4 on the shared queue, one per partition of the dev server's (4)."""
    register_search_attributes: bool = True
    heartbeat_file: Path | None = None
    """Touched every few seconds while the worker runs: container health checks read its age."""


def sandbox_runner(*more: str) -> SandboxedWorkflowRunner:
    """The workflow sandbox, letting through the `workflows` package (the workflow, its pure
    core and the contract), the libraries they use and the modules `more` names, so each
    workflow run does not re-import them (calendars are shared, warm and thread-safe)."""
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(
            "pydantic",
            "pydantic_core",
            "annotated_types",
            "holidays",
            "dateutil",
            "workflows",
            *more,
        )
    )


def build_worker(
    client: Client,
    task_queue: str = TASK_QUEUE,
    settings: WorkerSettings | None = None,
    activities: Sequence[Any] | None = None,
    workflow_failure_exception_types: Sequence[type[BaseException]] = (),
) -> Worker:
    """A worker for case workflows and the action handlers (by default the real ones, configured
    from the environment; tests pass fakes registered under the same names). By default an
    exception in workflow code fails only the workflow task, which Temporal retries, so a fixed
    deploy resumes the case; tests make any exception fail the workflow at once."""
    settings = settings or load_settings(WorkerSettings)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[CaseSlaWorkflow],
        activities=list(activities if activities is not None else _handlers()),
        # The handlers block on HTTP, SMTP and the database: they run on this pool.
        activity_executor=ThreadPoolExecutor(settings.max_concurrent_activities),
        workflow_runner=sandbox_runner(),
        max_cached_workflows=settings.max_cached_workflows,
        max_concurrent_activities=settings.max_concurrent_activities,
        graceful_shutdown_timeout=timedelta(seconds=settings.graceful_shutdown_seconds),
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=settings.sticky_timeout_seconds),
        workflow_task_poller_behavior=_pollers(settings),
        activity_task_poller_behavior=_pollers(settings),
        workflow_failure_exception_types=workflow_failure_exception_types,
    )


def _pollers(settings: WorkerSettings) -> PollerBehavior:
    if settings.pollers == "fixed":
        return PollerBehaviorSimpleMaximum(maximum=settings.max_pollers)
    return PollerBehaviorAutoscaling(maximum=settings.max_pollers)


def _handlers() -> list[Any]:
    """The real action handlers, configured from the environment."""
    return ActionHandlers(load_settings(ActionSettings)).activities()


async def run_worker(
    temporal: TemporalSettings, settings: WorkerSettings, actions: ActionSettings
) -> None:
    client = await connect(temporal)
    if settings.register_search_attributes:
        added = await ensure_search_attributes(client)
        if added:
            log.info("registered search attributes %s", ", ".join(added))
    handlers = ActionHandlers(actions).activities()
    worker = build_worker(client, temporal.task_queue, settings, activities=handlers)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    log.info(
        "worker polling %s on %s/%s", temporal.task_queue, temporal.address, temporal.namespace
    )
    async with worker:
        beating = asyncio.create_task(_heartbeat(settings.heartbeat_file, stop))
        await stop.wait()
        log.info("shutting down: finishing in-flight tasks")
        await beating
    log.info("worker stopped")


async def _heartbeat(path: Path | None, stop: asyncio.Event, every: float = 5.0) -> None:
    while path is not None and not stop.is_set():
        await asyncio.to_thread(path.touch)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the SLA worker.")
    parser.add_argument("--dev-server", action="store_true", help="start a local dev server first")
    parser.add_argument("--data-dir", type=Path, default=Path("var"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        temporal, settings = load_settings(TemporalSettings), load_settings(WorkerSettings)
        actions = load_settings(ActionSettings)
    except InvalidSettingsError as error:
        raise SystemExit(f"the worker cannot start: {error}") from None
    if args.dev_server:
        with dev_server(args.data_dir):
            log.info("Temporal UI on %s", temporal.ui_url)
            asyncio.run(run_worker(temporal, settings, actions))
    else:
        asyncio.run(run_worker(temporal, settings, actions))


if __name__ == "__main__":
    main()
