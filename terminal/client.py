"""The client side of the SLA API, for the `sla` CLI and the demo: where the API is and with which
key (`Settings`, `dev_key`, `KEY_FILE`), its calls (`Api`), the reading of its answers into
contract models (`parse_answer`), and links to cases in the Temporal UI (`workflow_url`).

Every failure (the API unreachable or slow, an error status, an answer it cannot read) raises one
`ApiError` whose message says what to do; the CLI turns it into its one red line and exit 1, the
demo prints it. It must not import typer or rich, print, or exit: presenting a failure is its
callers' job. It checks nothing the API checks (the API's message is what the user sees).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from workflows.contract import case_workflow_id

DEFAULT_API_URL = "http://127.0.0.1:8000"
DEFAULT_UI_URL = "http://localhost:8233"
DEFAULT_NAMESPACE = "default"
KEY_FILE = Path("var") / "dev-api-key"
"""The development admin key `make run` (stack.py) writes, relative to the project."""
HTTP_TIMEOUT = 30.0
"""Seconds: longer than the API's own wait for Temporal (10 s), so its 504 reaches the user."""

M = TypeVar("M", bound=BaseModel)


class ApiError(Exception):
    """A call to the API failed; the message is for the user, as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ------------------------------------------------------------------------------ configuration


@dataclass(frozen=True)
class Settings:
    """Where the API and the Temporal UI are, and the key to use."""

    api_url: str = DEFAULT_API_URL
    api_key: str | None = None
    ui_url: str = DEFAULT_UI_URL
    namespace: str = DEFAULT_NAMESPACE

    def workflow_url(self, case_id: str) -> str:
        return workflow_url(case_id, self.ui_url, self.namespace)


def workflow_url(
    case_id: str, ui_url: str = DEFAULT_UI_URL, namespace: str = DEFAULT_NAMESPACE
) -> str:
    """The case's workflow in the Temporal UI."""
    workflow_id = quote(case_workflow_id(case_id), safe="")
    return f"{ui_url.rstrip('/')}/namespaces/{quote(namespace, safe='')}/workflows/{workflow_id}"


def dev_key() -> str | None:
    """The development admin key `make run` writes, found from the current directory or from the
    project's (the CLI is often run from elsewhere)."""
    project = Path(__file__).resolve().parent.parent  # this file is <project>/terminal/client.py
    for path in (KEY_FILE, project / KEY_FILE):
        if path.is_file():
            return path.read_text().strip() or None
    return None


# ------------------------------------------------------------------------------------- errors


def error_message(response: httpx.Response) -> str:
    """The API's message: its `detail` string, or its field errors as `field: message`."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, str):
        message = detail
    elif isinstance(detail, list) and detail:
        message = "; ".join(_field_error(item) for item in detail)
    else:
        message = f"the API answered {response.status_code} {response.reason_phrase}"
    if response.status_code == 401:
        message += (
            f" (pass --api-key or set SLA_API_KEY; `make run` writes the development key to "
            f"{KEY_FILE})"
        )
    return message


def _field_error(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    # "body"/"query"/"path" say where a field was sent, which the user did not choose.
    loc = [str(part) for part in item.get("loc", [])][1:]
    message = str(item.get("msg", item))
    return f"{'.'.join(loc)}: {message}" if loc else message


def parse_answer(model: type[M], data: Any) -> M:
    """An answer of the API as the contract model it should be."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ApiError(
            f"the API answered a {model.__name__} this CLI cannot read ({error.error_count()} "
            "problems): is the CLI older than the API? --json prints the answer as is"
        ) from error


# ---------------------------------------------------------------------------------- the client


def case_path(case_id: str, *rest: str) -> str:
    """The API path of a case, or of one of its resources (`case_path(id, "pause")`)."""
    return "/".join(["/cases", quote(case_id, safe=""), *(quote(part, safe="") for part in rest)])


class Api:
    """The HTTP API with the configured key; every failure raises an `ApiError` with its
    message."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
        self.client = httpx.Client(base_url=settings.api_url, headers=headers, timeout=HTTP_TIMEOUT)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = self.client.request(method, path, json=body, params=query)
        except httpx.ConnectError as error:
            raise ApiError(
                f"cannot reach the SLA API at {self.settings.api_url}: start the stack with "
                "`make run`, or point --api-url (SLA_API_URL) at a running API"
            ) from error
        except httpx.TimeoutException as error:
            raise ApiError(
                f"the SLA API at {self.settings.api_url} did not answer within {HTTP_TIMEOUT:g} s"
            ) from error
        except httpx.HTTPError as error:
            raise ApiError(f"{method} {self.settings.api_url}{path} failed: {error}") from error
        if response.status_code >= 400:
            raise ApiError(error_message(response))
        return response

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        return self.answer(self.request(method, path, body=body, params=params))

    def answer(self, response: httpx.Response) -> Any:
        """The JSON of a successful response (None when empty)."""
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as error:
            raise ApiError(
                f"{self.settings.api_url} did not answer JSON: is --api-url the SLA API?"
            ) from error

    def close(self) -> None:
        self.client.close()
