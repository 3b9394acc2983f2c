"""Benchmark the console's server-rendered pages (issue 12) against a real Temporal dev server.

One run starts `temporal server start-dev` (SQLite, temporary directory), ONE worker process and
the API (`uvicorn api.main:app`, one process), as `benchmarks/api.py` does, configures the
Stormhaven premium process over HTTP and opens N cases (1,000 by default), each owned by one of
ten agents. It signs in to the console with the admin key (the session cookie of a real
sign-in, CSRF token included), then measures at 10 concurrent clients, side by side:

- `raw tracker query`: the `tracker` query straight from a plain Temporal client;
- `GET /cases?owner=`: the API's JSON listing of an agent's cases, from Temporal's visibility
  store (what "My cases" read before it read the milestone records);
- `My cases`: `GET /console/cases?owner=agent-K`, an agent's 100 open cases (one indexed query on
  the milestone records, rendered to HTML);
- `case page`: `GET /console/cases/{id}`, the Milestone Tracker (a tracker query, the timeline
  query, the calendar zones from the database, rendered to HTML).

Each client holds one keep-alive connection and sends requests back to back for `--seconds` per
cell; every process shares the machine, so read the figures as relative to each other.

    .venv/bin/python benchmarks/console.py                 # ~2 minutes
    .venv/bin/python benchmarks/console.py --cases 200 --seconds 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchmarks.api import Cell

ROOT = Path(__file__).resolve().parent.parent
AGENTS = 10
CLIENTS = 10
P99_GOAL_MS = 200.0


async def sign_in(port: int, key: str) -> str:
    """The console's session cookie (`name=value`) after a real sign-in with `key`."""
    import httpx

    from api.console.session import COOKIE, CSRF_FIELD

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        form = await client.get("/console/sign-in")
        token = re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', form.text)
        assert token, "no CSRF token on the sign-in page"
        signed = await client.post(
            "/console/sign-in",
            data={CSRF_FIELD: token[1], "key": key, "next": "/console/cases"},
        )
        assert signed.status_code == 303, (signed.status_code, signed.text[:300])
        return f"{COOKIE}={signed.cookies[COOKIE]}"


async def run(args: argparse.Namespace, work: Path) -> list[Cell]:
    from temporalio.client import Client

    from benchmarks.api import (
        ADMIN_KEY,
        HttpConnection,
        configure,
        free_port,
        measure,
        process,
        stack_env,
        uvicorn_command,
        wait_healthy,
    )
    from temporal_connection.dev_server import dev_server, wait_for_port
    from workflows.case_sla import CaseSlaWorkflow
    from workflows.contract import case_workflow_id
    from workflows.converter import DATA_CONVERTER

    temporal_port, api_port = free_port(), free_port()
    env = stack_env(work, temporal_port, args.cases)
    uvicorn = uvicorn_command(api_port)
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
        starters = [HttpConnection("127.0.0.1", api_port, ADMIN_KEY) for _ in range(30)]
        case_ids = [f"CONSOLE-{n:05d}" for n in range(args.cases)]

        async def start(i: int, n: int) -> bool:
            body = {
                "case_id": case_ids[n],
                "process": "Premium",
                "fields": {"status": "New", "stage": "New", "owner": f"agent-{n % AGENTS}"},
            }
            status, answer = await starters[i].request("POST", "/cases", body)
            if status != 201:
                raise SystemExit(f"POST /cases answered {status}: {answer[:300]!r}")
            return True

        began = time.perf_counter()
        await measure("open", len(starters), 3600, start, items=len(case_ids))
        print(f"opened {args.cases} cases in {time.perf_counter() - began:.1f} s", flush=True)
        cookie = await sign_in(api_port, ADMIN_KEY)
        pages = []
        for _ in range(CLIENTS):
            connection = HttpConnection("127.0.0.1", api_port, ADMIN_KEY)
            connection.headers = f"Host: 127.0.0.1:{api_port}\r\nCookie: {cookie}\r\n"
            pages.append(connection)
        # The visibility store lags the starts by a moment: wait until every case is listed.
        expected = args.cases // AGENTS
        for _ in range(120):
            status, body = await pages[0].request("GET", "/console/cases?owner=agent-0")
            if status == 200 and body.count(b'class="case-row"') >= min(expected, 100):
                break
            await asyncio.sleep(0.5)
        else:
            raise SystemExit("My cases never listed every case of agent-0")
        setup_clients = [HttpConnection("127.0.0.1", api_port, ADMIN_KEY) for _ in range(CLIENTS)]
        handles = [
            client.get_workflow_handle_for(CaseSlaWorkflow.run, case_workflow_id(c))
            for c in case_ids
        ]

        async def raw_query(_client: int, n: int) -> bool:
            await handles[n % len(handles)].query(CaseSlaWorkflow.tracker, datetime.now(UTC))
            return True

        async def my_cases(i: int, n: int) -> bool:
            status, body = await pages[i].request("GET", f"/console/cases?owner=agent-{n % 10}")
            return status == 200 and b'class="case-row"' in body

        async def listing(i: int, n: int) -> bool:
            status, _ = await setup_clients[i].request("GET", f"/cases?owner=agent-{n % 10}")
            return status == 200

        async def case_page(i: int, n: int) -> bool:
            path = f"/console/cases/{case_ids[(n * 7919) % len(case_ids)]}"
            status, body = await pages[i].request("GET", path)
            return status == 200 and b"Milestone Tracker" in body

        await measure("warm-up", 30, 3600, raw_query, items=args.cases)
        await measure("warm-up", CLIENTS, 2, case_page)
        await measure("warm-up", CLIENTS, 2, my_cases)
        cells: list[Cell] = []
        for name, call in (
            ("raw tracker query", raw_query),
            ("GET /cases?owner=", listing),
            ("My cases", my_cases),
            ("case page", case_page),
        ):
            cells.append(await measure(name, CLIENTS, args.seconds, call))
        for connection in [setup, *starters, *pages, *setup_clients]:
            await connection.close()
        return cells


def report(cells: Sequence[Cell], args: argparse.Namespace) -> None:
    print()
    print(
        f"{args.cases} open cases ({AGENTS} agents, {args.cases // AGENTS} each); {CLIENTS} "
        f"concurrent clients; {args.seconds:g} s per cell; Python {platform.python_version()} on "
        f"{os.cpu_count()} CPUs (dev server, worker, API and this client share them)"
    )
    header = f"{'operation':<20}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
    print(header)
    print("-" * len(header))
    by: dict[str, Cell] = {}
    for cell in cells:
        by[cell.operation] = cell
        print(
            f"{cell.operation:<20}{cell.rate:>8.0f}{cell.percentile(50):>9.1f}"
            f"{cell.percentile(99):>9.1f}{cell.errors:>8}"
        )
    print()
    raw = by["raw tracker query"]
    for name in ("My cases", "case page"):
        cell = by[name]
        verdict = "under" if cell.percentile(99) < P99_GOAL_MS else "OVER"
        print(
            f"{name}: p99 {cell.percentile(99):.1f} ms, {verdict} the {P99_GOAL_MS:.0f} ms goal; "
            f"{cell.rate:.0f} pages/s = {cell.rate / raw.rate:.2f}x the raw tracker query rate"
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement")
    parser.add_argument("--keep", action="store_true", help="keep the work directory and logs")
    args = parser.parse_args(argv)
    # The project root, not this folder, must come first on sys.path to import the benchmarks.
    sys.path.insert(0, str(ROOT))
    from benchmarks.api import in_work_directory

    report(in_work_directory("sla-bench-console-", run, args), args)


if __name__ == "__main__":
    main()
