"""Every answer of the app, the API's and the console's alike (pages, assets, redirects, errors,
and the request guard's refusals before any route runs), tells browsers not to guess its type
and not to send its address on to other sites."""

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers.api import client_for

HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/health", None, 200),
        ("GET", "/milestone-types", None, 200),
        ("GET", "/milestone-types/999999", None, 404),
        ("POST", "/milestone-types", b'{"name": "a\\u0000b"}', 422),
        ("POST", "/milestone-types", b"x" * (1024 * 1024 + 1), 413),
        ("GET", "/", None, 307),
        ("GET", "/console/sign-in", None, 200),
        ("GET", "/console/cases", None, 303),
        ("GET", "/console/static/console.css", None, 200),
    ],
)
async def test_every_answer_carries_the_security_headers(
    admin: httpx.AsyncClient, method: str, path: str, body: bytes | None, status: int
) -> None:
    answer = await admin.request(
        method, path, content=body, headers={"content-type": "application/json"}
    )
    assert answer.status_code == status, answer.text
    for name, value in HEADERS.items():
        assert answer.headers.get(name) == value, (name, dict(answer.headers))


async def test_an_anonymous_caller_gets_them_too(app: FastAPI) -> None:
    async with client_for(app, None) as anonymous:
        answer = await anonymous.get("/milestone-types")
    assert answer.status_code == 401
    assert {name: answer.headers.get(name) for name in HEADERS} == HEADERS
