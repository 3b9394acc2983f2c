"""The console as the tests drive it: over HTTP with a session cookie and the CSRF token, as a
browser does (`Console`, `signed_in`); in a browser, the app served by uvicorn on a real port
(`ThreadedServer`), what a browser test gets of it (`Served`), and pages that record every error
of the browser's console (`Pages`)."""

import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from tests.helpers.api import client_for

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
SCREENSHOTS = Path(__file__).parents[1] / "console" / "screenshots"
DOCS_SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found is not None, page.text
    return found.group(1)


class Console:
    """A browser's session in the console over HTTP: its cookie kept by the client, its CSRF
    token read from the last page."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.csrf = ""

    async def open(self, path: str) -> httpx.Response:
        page = await self.client.get(path)
        if page.status_code == 200:
            self.csrf = csrf_of(page)
        return page

    async def post(self, path: str, **form: str) -> httpx.Response:
        return await self.client.post(path, data={"csrf": self.csrf, **form})


@asynccontextmanager
async def signed_in(
    app: FastAPI, key: str, then: str = "/console/admin/processes"
) -> AsyncIterator[Console]:
    """A console session signed in with `key`."""
    async with client_for(app, None) as client:
        console = Console(client)
        await console.open("/console/sign-in")
        answer = await console.post("/console/sign-in", key=key, next=then)
        assert answer.status_code == 303, answer.text
        yield console


@dataclass
class Served:
    """The console's app on a real port, and an admin client to set up what a test needs."""

    url: str
    admin: httpx.AsyncClient
    agent_key: str
    screenshots: Path = field(default=SCREENSHOTS)


class ThreadedServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        pass  # not the main thread: pytest keeps its own handlers

    @classmethod
    @contextmanager
    def serving(cls, app: Any, port: int) -> Iterator["ThreadedServer"]:
        server = cls(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            while not server.started:
                if not thread.is_alive():
                    raise RuntimeError("uvicorn did not start: see the log above")
                time.sleep(0.05)
            yield server
        finally:
            server.should_exit = True
            thread.join(timeout=10)


class Pages:
    """Opens pages in a light or dark browser context, and records every console error and
    uncaught exception on them."""

    def __init__(self, browser: Any, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts: list[Any] = []
        self.errors: list[str] = []
        self.expected: list[str] = []
        """Console messages a test expects (Chromium logs a 4xx page load as an error)."""

    async def open(
        self, scheme: str = "light", width: int = 1280, context: Any | None = None
    ) -> Any:
        if context is None:
            context = await self.browser.new_context(
                base_url=self.base_url,
                color_scheme=scheme,
                viewport={"width": width, "height": 900},
            )
            self.contexts.append(context)
        page = await context.new_page()
        page.on(
            "console",
            lambda message: (
                self.errors.append(f"{page.url}: console {message.type}: {message.text}")
                if message.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        return page

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.errors if not any(x in e for x in self.expected)]

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()
