"""Fixtures of the console's browser tests: Debian's Chromium driven by Playwright, against the
real app served by uvicorn (in a thread, on a free port, on a SQLite file of its own) with a
real Temporal dev server (`tests.helpers.dev_server`: the visibility store "My cases" lists from,
and a clock that runs with the wall clock, as the countdowns do) and the production worker.

Without /usr/bin/chromium the tests skip and say so, except under `CI=true`, where a missing
browser fails them. Each test's page collects console errors and uncaught exceptions; a test
that leaves any fails.
"""

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.config import ApiSettings
from api.main import create_app
from temporal_connection.client import TemporalSettings
from tests.helpers import dev_server, running_worker
from tests.helpers.api import ADMIN_KEY, closed_port
from tests.helpers.cases import ActionRecorder
from tests.helpers.console import SCREENSHOTS, Pages, Served, ThreadedServer

CHROMIUM = Path("/usr/bin/chromium")


MISSING = (
    f"{CHROMIUM} is missing: the console's browser tests need Debian's chromium "
    "(apt-get install -y chromium chromium-driver, as root; .ci/run does it)"
)


@pytest.fixture(scope="session", autouse=True)
def _chromium() -> None:
    """First of the session's fixtures here, so nothing starts without a browser."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{MISSING}, and CI=true: the browser tests must run")
    pytest.skip(MISSING)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say it plainly at the end of the run, whatever `-r` shows."""
    if not CHROMIUM.exists() and terminalreporter.stats.get("skipped"):
        terminalreporter.write_line(f"console browser tests skipped: {MISSING}", yellow=True)


@pytest.fixture(scope="session")
async def console_env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await dev_server()
    yield environment
    await environment.shutdown()


@pytest.fixture(scope="session")
async def served(
    console_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Served]:
    database = tmp_path_factory.mktemp("console") / "console.sqlite"
    async with running_worker(console_env, ActionRecorder().activities()) as task_queue:
        address = console_env.client.service_client.config.target_host
        app = create_app(
            ApiSettings(database_url=f"sqlite:///{database}", sla_admin_key=ADMIN_KEY),
            TemporalSettings(address=address, task_queue=task_queue),
        )
        port = closed_port()
        url = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        with ThreadedServer.serving(app, port):
            async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as admin:
                response = await admin.post("/api-keys", json={"name": "dana", "roles": ["agent"]})
                assert response.status_code == 201, response.text
                SCREENSHOTS.mkdir(exist_ok=True)
                yield Served(url, admin, response.json()["key"])


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright  # only once Chromium is known present

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield launched
        await launched.close()


@pytest.fixture
async def pages(browser: Any, served: Served) -> AsyncIterator[Pages]:
    opened = Pages(browser, served.url)
    try:
        yield opened
    finally:
        await opened.close()
    assert opened.unexpected_errors() == [], "errors in the browser console"
