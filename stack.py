"""The whole system on embedded defaults, for `make run`.

Starts the Temporal dev server (SQLite file under ./var, so cases survive a restart; UI on 8233;
the custom search attributes registered), a demo case system (an HTTP receiver on 8001 for
webhooks, case updates and escalations, and an SMTP mailbox on 8025; both print what they get),
the worker and the API (SQLite config database under ./var), then loads the demo configuration
once. Prints where everything is and the development admin key (also in var/dev-api-key).
The logs under ./var are plain text: the children run without color (`child_environment`).
Ctrl-C stops everything. Running it again is safe: the demo data is not duplicated, and
processes a crashed earlier run left behind are stopped first.
"""

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from contextlib import ExitStack
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from temporal_connection.dev_server import dev_server, wait_for_port
from terminal.client import KEY_FILE

VAR = Path("var")
PIDS_FILE = VAR / "stack.pids"
API_PORT, TEMPORAL_PORT, UI_PORT, CASE_SYSTEM_PORT, MAIL_PORT = 8000, 7233, 8233, 8001, 8025
CASE_SYSTEM_HOST = f"127.0.0.1:{CASE_SYSTEM_PORT}"
"""The demo case system: the one webhook host the API publishes and the worker calls."""
DEV_WEBHOOK_SECRET = "dev-webhook-secret"


def say(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def admin_key() -> str:
    """The development admin key, made once and kept in var/dev-api-key."""
    if KEY_FILE.exists():
        return KEY_FILE.read_text().strip()
    key = "sla_dev_" + secrets.token_urlsafe(24)
    KEY_FILE.write_text(key + "\n")
    KEY_FILE.chmod(0o600)
    return key


def stop_orphans() -> None:
    """Stop what a previous run that died without cleaning up left running."""
    if not PIDS_FILE.exists():
        return
    for pid in json.loads(PIDS_FILE.read_text()):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # gone
        # A pid can be reused after a reboot: only stop what is still one of ours.
        if not any(part in command for part in ("temporal server", "api.main:app", "-m worker")):
            continue
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
            say(f"stopped process {pid} left over from an earlier run")
    PIDS_FILE.unlink()
    time.sleep(1)


class CaseSystemLog(BaseHTTPRequestHandler):
    """The demo case system: accepts every callback and prints one line for it."""

    def do_POST(self) -> None:
        self._accept()

    def do_PATCH(self) -> None:
        self._accept()

    def _accept(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        what = body.get("fields") or body.get("queue") or body.get("owner") or ""
        say(
            f"case system <- {self.command} {self.path}: {body.get('event')} "
            f"{body.get('case_id')}/{body.get('milestone')} level {body.get('level')} {what}"
        )
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class MailLog:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        subject = next(
            (
                line
                for line in envelope.content.decode(errors="replace").splitlines()
                if line.startswith("Subject:")
            ),
            "Subject: ?",
        )
        say(f"mailbox <- to {', '.join(envelope.rcpt_tos)}: {subject[9:]}")
        return "250 OK"


COLOR_FORCING = ("FORCE_COLOR", "CLICOLOR_FORCE", "PY_COLORS", "TTY_COMPATIBLE")
"""Variables that make libraries color output that is not a terminal (rich, click, pytest)."""


def child_environment(environ: Mapping[str, str], **settings: str) -> dict[str, str]:
    """The environment of the API, the worker and the dev server: this one with `settings`, and
    without color, since their output goes to log files."""
    kept = {k: v for k, v in environ.items() if k not in COLOR_FORCING}
    return {**kept, **settings, "NO_COLOR": "1"}


def start(command: list[str], environment: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(
            command,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=25)
        except subprocess.TimeoutExpired:
            process.kill()


def api_command(port: int) -> list[str]:
    """The API as `make run` starts it, logging without color."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "api.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-use-colors",
    ]


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit(f"{url} did not come up: see {log}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer 200 within a minute: see {log}")


def main() -> None:
    VAR.mkdir(exist_ok=True)
    stop_orphans()
    key = admin_key()
    environment = child_environment(
        os.environ,
        DATABASE_URL=os.environ.get("DATABASE_URL", f"sqlite:///{VAR / 'sla.sqlite'}"),
        TEMPORAL_ADDRESS=f"localhost:{TEMPORAL_PORT}",
        TEMPORAL_UI_URL=f"http://localhost:{UI_PORT}",
        SLA_ADMIN_KEY=key,
        SLA_HEARTBEAT_FILE=str(VAR / "worker.alive"),
        SLA_WEBHOOK_SECRETS=json.dumps(
            {"default": DEV_WEBHOOK_SECRET, "case_system": DEV_WEBHOOK_SECRET}
        ),
        SLA_WEBHOOK_ALLOWED_HOSTS=json.dumps([CASE_SYSTEM_HOST]),
        SLA_CASE_SYSTEM_URL=f"http://{CASE_SYSTEM_HOST}",
        SLA_SMTP_HOST="127.0.0.1",
        SLA_SMTP_PORT=str(MAIL_PORT),
    )
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    with ExitStack() as stack:
        say("starting the Temporal dev server (var/temporal.sqlite)")
        server = stack.enter_context(dev_server(VAR, TEMPORAL_PORT, UI_PORT))
        case_system = ThreadingHTTPServer(("127.0.0.1", CASE_SYSTEM_PORT), CaseSystemLog)
        threading.Thread(target=case_system.serve_forever, daemon=True).start()
        stack.callback(case_system.shutdown)
        from aiosmtpd.controller import Controller

        mailbox = Controller(MailLog(), hostname="127.0.0.1", port=MAIL_PORT)
        mailbox.start()
        stack.callback(mailbox.stop)
        say("starting the API and the worker")
        api = start(api_command(API_PORT), environment, VAR / "api.log")
        stack.callback(stop, api)
        wait_healthy(f"http://127.0.0.1:{API_PORT}/health", api, VAR / "api.log")
        worker = start([sys.executable, "-m", "worker"], environment, VAR / "worker.log")
        stack.callback(stop, worker)
        PIDS_FILE.write_text(json.dumps([server.pid, api.pid, worker.pid]))
        stack.callback(PIDS_FILE.unlink, missing_ok=True)
        loaded = subprocess.run(
            [sys.executable, "-m", "demo", "load"], env=environment, capture_output=True, text=True
        )
        say(loaded.stdout.strip() or loaded.stderr.strip())
        print(
            f"\n  console           http://127.0.0.1:{API_PORT}/console   (sign in with the key)\n"
            f"  API and docs      http://127.0.0.1:{API_PORT}/docs\n"
            f"  Temporal UI       http://localhost:{UI_PORT}\n"
            f"  admin API key     {key}   (also in {KEY_FILE})\n"
            f"  logs              {VAR}/api.log, {VAR}/worker.log, {VAR}/temporal.log\n"
            f"  try               make demo    (or: .venv/bin/sla --help)\n"
            "\n  Ctrl-C stops everything.\n",
            flush=True,
        )
        wait_for_port("127.0.0.1", API_PORT, api, VAR / "api.log")
        try:
            while not stopping.is_set():
                for name, process in (("API", api), ("worker", worker), ("Temporal", server)):
                    if process.poll() is not None:
                        say(f"the {name} stopped (exit {process.returncode}): see {VAR}")
                        stopping.set()
                stopping.wait(1)
        except KeyboardInterrupt:
            pass
        say("stopping the worker, the API and the dev server")
    say("stopped")


if __name__ == "__main__":
    main()
