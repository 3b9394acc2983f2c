"""Benchmark the HTTP API against a real Temporal dev server (issue 5).

One run starts `temporal server start-dev` (SQLite file in a temporary directory), ONE worker
process (`python -m worker`), and the API in a real server process (`uvicorn api.main:app`, one
process, SQLite config database). Over HTTP it configures the Stormhaven premium process and
opens N cases (1,000 by default). Then, at 1, 10 and 30 concurrent clients, side by side:

- `raw query`: the `tracker` query of a case straight from a plain Temporal client (the pydantic
  data converter, result decoded to JSON), what a case system in Python could do without the API;
- `GET /cases/{id}`: the same query through the API (key check, Temporal call, JSON out);
- `POST /cases/{id}/pause`: a command (a workflow update) through the API, each on a case not yet
  paused (the cases are resumed between rounds, untimed), answered with the workflow's own
  answer (one call to Temporal);
- `POST /cases/{id}/pause?tracker=true`: the same, answered with the tracker as well (an update
  and a query: what every command cost before the command path was cut to one call);
- `raw pause`: the same update from the plain client, for reference;
- `GET /milestone-types`: a configuration read (database only).

Each client holds one keep-alive connection (a minimal HTTP/1.1 client, so the load generator
costs little next to the server) and sends requests back to back for `--seconds` per cell. Every
process shares the machine: read the numbers as relative.

    .venv/bin/python benchmarks/api.py                   # ~3 minutes
    .venv/bin/python benchmarks/api.py --cases 200 --seconds 2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle

from workflows.case_sla import CaseSlaWorkflow
from workflows.contract import CaseOutcome, Pause, Resume
from workflows.converter import DATA_CONVERTER

ROOT = Path(__file__).parent.parent
ADMIN_KEY = "bench-admin-key-0123456789abcdef0123456789"
TASK_QUEUE = "sla-bench"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# ----------------------------------------------------------------------------------- HTTP client


class HttpConnection:
    """One keep-alive HTTP/1.1 connection: a request at a time, Content-Length bodies only."""

    def __init__(self, host: str, port: int, key: str) -> None:
        self.host, self.port = host, port
        self.headers = f"Host: {host}:{port}\r\nAuthorization: Bearer {key}\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        payload = b"" if body is None else json.dumps(body).encode()
        head = f"{method} {path} HTTP/1.1\r\n{self.headers}Content-Length: {len(payload)}\r\n"
        if body is not None:
            head += "Content-Type: application/json\r\n"
        message = head.encode() + b"\r\n" + payload
        reused = self.writer is not None
        try:
            return await self._exchange(message)
        except (asyncio.IncompleteReadError, ConnectionError):
            if not reused:
                raise
            self.writer = None  # the server closed an idle connection: open a new one
            return await self._exchange(message)

    async def _exchange(self, message: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(message)
        header = await self.reader.readuntil(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()


# ------------------------------------------------------------------------------------ processes


@contextlib.contextmanager
def process(
    command: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as output:
        child = subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=output)
    try:
        yield child
    finally:
        child.terminate()
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()


def stack_env(work: Path, temporal_port: int, cases: int) -> dict[str, str]:
    """The environment of the benchmark's worker and API: its dev server, a SQLite config
    database in `work`, the admin key, a workflow cache that holds every case, and the demo's
    case system as the webhook host."""
    from stack import CASE_SYSTEM_HOST  # after main() put the project root on sys.path

    return {
        **os.environ,
        "TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "TEMPORAL_TASK_QUEUE": TASK_QUEUE,
        "DATABASE_URL": f"sqlite:///{work / 'sla.sqlite'}",
        "SLA_ADMIN_KEY": ADMIN_KEY,
        "SLA_MAX_CACHED_WORKFLOWS": str(max(2 * cases, 500)),
        # As `make run` configures both: the demo process's webhooks go to its case system.
        "SLA_WEBHOOK_ALLOWED_HOSTS": json.dumps([CASE_SYSTEM_HOST]),
    }


def uvicorn_command(port: int, extra: Sequence[str] = ()) -> list[str]:
    """One API process on `port`, quiet, keeping connections alive between requests."""
    return [
        str(Path(sys.executable).parent / "uvicorn"),
        "api.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--timeout-keep-alive",
        "60",
        *extra,
    ]


async def wait_healthy(connection: HttpConnection, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            status, body = await connection.request("GET", "/health")
            if status == 200 and json.loads(body)["status"] == "ok":
                return
        connection.writer = None
        await asyncio.sleep(0.2)
    raise SystemExit("the API did not become healthy: see api.log")


# ----------------------------------------------------------------------------------- measuring


@dataclass
class Cell:
    operation: str
    clients: int
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


Call = Callable[[int, int], Awaitable[bool]]
"""One request by client `i` on item `n`; whether it succeeded."""


async def measure(
    operation: str, clients: int, seconds: float, call: Call, items: int | None = None
) -> Cell:
    """`clients` loops sending requests back to back for `seconds` (or until `items` ran out)."""
    latencies: list[float] = []
    errors = 0
    counter = iter(range(items if items is not None else 10**9))
    start = time.perf_counter()
    stop = start + seconds

    async def loop(client: int) -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            n = next(counter, None)
            if n is None:
                return
            began = time.perf_counter()
            ok = await call(client, n)
            latencies.append(time.perf_counter() - began)
            errors += not ok

    await asyncio.gather(*(loop(i) for i in range(clients)))
    elapsed = time.perf_counter() - start
    return Cell(operation, clients, len(latencies), errors, elapsed, latencies)


# ------------------------------------------------------------------------------------ scenario


async def configure(http: HttpConnection) -> None:
    """The demo's US office hours and Stormhaven Premium process, plus local milestone types."""
    import demo  # after main() put the project root on sys.path

    calendar = await http.request("POST", "/business-hours", demo.US_OFFICE)
    assert calendar[0] == 201, calendar
    for n, name in enumerate(("First Response", "Triage", "Resolution")):
        made = await http.request("POST", "/milestone-types", {"name": name})
        assert made[0] == 201, made
        for local in range(3):  # a realistic listing: local types of a few accounts too
            body = {"name": f"{name} {local}", "scope": "account", "account_id": f"A{n}"}
            assert (await http.request("POST", "/milestone-types", body))[0] == 201
    made = await http.request(
        "POST", "/entitlement-processes", {"name": "Premium", **demo.premium()}
    )
    assert made[0] == 201, made


async def open_cases(connections: list[HttpConnection], case_ids: list[str]) -> float:
    async def start(client: int, n: int) -> bool:
        body = {
            "case_id": case_ids[n],
            "process": "Premium",
            "fields": {"status": "New", "stage": "New", "priority": "High"},
        }
        status, answer = await connections[client].request("POST", "/cases", body)
        if status != 201:
            raise SystemExit(f"POST /cases answered {status}: {answer[:300]!r}")
        return True

    cell = await measure("POST /cases", len(connections), 3600, start, items=len(case_ids))
    return cell.rate


async def resume_all(
    handles: list[WorkflowHandle[CaseSlaWorkflow, CaseOutcome]], clients: int = 30
) -> None:
    queue = iter(handles)

    async def loop() -> None:
        for handle in queue:
            await handle.execute_update(CaseSlaWorkflow.resume, Resume())

    await asyncio.gather(*(loop() for _ in range(clients)))


async def run(args: argparse.Namespace, work: Path) -> list[Cell]:
    from temporal_connection.dev_server import dev_server, wait_for_port
    from workflows.contract import case_workflow_id

    temporal_port, api_port = free_port(), free_port()
    env = stack_env(work, temporal_port, args.cases)
    uvicorn = uvicorn_command(api_port, args.uvicorn)
    with (
        dev_server(work / "temporal", port=temporal_port, ui_port=None),
        process([sys.executable, "-m", "worker"], env, work / "worker.log"),
        process(uvicorn, env, work / "api.log") as api,
    ):
        wait_for_port("127.0.0.1", api_port, api, work / "api.log")
        client = await Client.connect(f"127.0.0.1:{temporal_port}", data_converter=DATA_CONVERTER)
        setup = HttpConnection("127.0.0.1", api_port, ADMIN_KEY)
        await wait_healthy(setup)
        await configure(setup)
        levels: Sequence[int] = args.clients
        connections = [HttpConnection("127.0.0.1", api_port, ADMIN_KEY) for _ in range(max(levels))]
        case_ids = [f"BENCH-{n:05d}" for n in range(args.cases)]
        began = time.perf_counter()
        start_rate = await open_cases(connections[:30], case_ids)
        print(
            f"opened {args.cases} cases over HTTP in {time.perf_counter() - began:.1f} s "
            f"({start_rate:.0f} starts/s at 30 clients)",
            flush=True,
        )
        handles = [
            client.get_workflow_handle_for(CaseSlaWorkflow.run, case_workflow_id(c))
            for c in case_ids
        ]

        async def raw_query(_client: int, n: int) -> bool:
            await handles[n % len(handles)].query(CaseSlaWorkflow.tracker, datetime.now(UTC))
            return True

        async def http_tracker(i: int, n: int) -> bool:
            status, _ = await connections[i].request("GET", f"/cases/{case_ids[n % len(case_ids)]}")
            return status == 200

        async def http_pause(i: int, n: int) -> bool:
            path = f"/cases/{case_ids[n]}/pause"
            status, _ = await connections[i].request("POST", path, {"reason": "benchmark"})
            return status == 200

        async def http_pause_tracker(i: int, n: int) -> bool:
            path = f"/cases/{case_ids[n]}/pause?tracker=true"
            status, _ = await connections[i].request("POST", path, {"reason": "benchmark"})
            return status == 200

        async def raw_pause(_client: int, n: int) -> bool:
            await handles[n].execute_update(CaseSlaWorkflow.pause, Pause(reason="benchmark"))
            return True

        async def http_types(i: int, _n: int) -> bool:
            status, _ = await connections[i].request("GET", "/milestone-types?account_id=A1")
            return status == 200

        cells: list[Cell] = []
        # Warm up: every case once (the worker's cache), every connection once.
        await measure("warm-up", 30, 3600, raw_query, items=args.cases)
        await measure("warm-up", max(levels), 2, http_types)
        for clients in levels:
            cells.append(await measure("raw query", clients, args.seconds, raw_query))
            cells.append(await measure("GET /cases/{id}", clients, args.seconds, http_tracker))
            paused = await measure(
                "POST /cases/{id}/pause", clients, args.seconds, http_pause, items=args.cases
            )
            cells.append(paused)
            await resume_all(handles[: paused.requests])
            with_tracker = await measure(
                "POST pause?tracker", clients, args.seconds, http_pause_tracker, items=args.cases
            )
            cells.append(with_tracker)
            await resume_all(handles[: with_tracker.requests])
            raw = await measure("raw pause", clients, args.seconds, raw_pause, items=args.cases)
            cells.append(raw)
            await resume_all(handles[: raw.requests])
            cells.append(await measure("GET /milestone-types", clients, args.seconds, http_types))
            print(f"done: {clients} client(s)", flush=True)
        for connection in [setup, *connections]:
            await connection.close()
        return cells


def report(cells: list[Cell], args: argparse.Namespace) -> None:
    print()
    print(
        f"{args.cases} open cases; {args.seconds:g} s per cell; {platform.python_version()} on "
        f"{os.cpu_count()} CPUs (dev server, worker, API and this client share them)"
    )
    header = f"{'operation':<24}{'clients':>8}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
    print(header)
    print("-" * len(header))
    for cell in cells:
        print(
            f"{cell.operation:<24}{cell.clients:>8}{cell.rate:>10.0f}"
            f"{cell.percentile(50):>9.1f}{cell.percentile(99):>9.1f}{cell.errors:>8}"
        )
    print()
    by = {(cell.operation, cell.clients): cell for cell in cells}
    for clients in args.clients:
        raw, http = by[("raw query", clients)], by[("GET /cases/{id}", clients)]
        print(
            f"{clients:>2} client(s): tracker over HTTP at {http.rate / raw.rate:.2f}x the raw "
            f"query's rate; p99 {http.percentile(99):.1f} ms; configuration reads "
            f"{by[('GET /milestone-types', clients)].rate:.0f} req/s"
        )
        alone, tracked = (
            by[("POST /cases/{id}/pause", clients)],
            by[("POST pause?tracker", clients)],
        )
        print(
            f"{clients:>2} client(s): a command answered alone at {alone.rate / tracked.rate:.2f}x "
            f"the rate of one answered with its tracker; p50 {alone.percentile(50):.1f} vs "
            f"{tracked.percentile(50):.1f} ms"
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument(
        "--clients", type=lambda text: [int(n) for n in text.split(",")], default=[1, 10, 30]
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory and logs")
    parser.add_argument(
        "--uvicorn",
        nargs=argparse.REMAINDER,
        default=[],
        help="more uvicorn options, e.g. --uvicorn --loop asyncio --http h11",
    )
    args = parser.parse_args(argv)
    report(in_work_directory("sla-bench-api-", run, args), args)


def in_work_directory(
    prefix: str,
    scenario: Callable[[argparse.Namespace, Path], Awaitable[list[Cell]]],
    args: argparse.Namespace,
) -> list[Cell]:
    """Run `scenario` in a new work directory (kept with `--keep`, for its logs), with the
    project root, not the benchmarks folder, first on sys.path."""
    # Run as a script, the benchmarks folder comes first on sys.path, and `benchmarks/api.py`
    # would shadow the `api` package the worker imports: look in the project root instead.
    here = Path(__file__).resolve().parent
    sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != here]
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        return asyncio.run(scenario(args, work))
    finally:
        if args.keep:
            print(f"logs in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
