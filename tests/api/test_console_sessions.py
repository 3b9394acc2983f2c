"""The console's session cookie over HTTP on the real app and database: a crafted or unreadable
cookie is no cookie (a fresh sign-in, never a 500), and signing out ends the session on the
server, in every API process sharing the database, so a copy of the cookie opens nothing after
it; the cookie is cleared with the attributes it was set with."""

import base64
import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.deps import Services
from api.main import create_app
from tests.helpers.api import ADMIN_KEY, client_for, key_with
from tests.helpers.console import signed_in

COOKIE = "sla_console"


def signed(app: FastAPI, payload: Any) -> bytes:
    """A cookie holding `payload`, signed with the app's own secret, as only the app could."""
    secret = app.state.services.settings.sla_console_secret
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    mac = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}".encode()


CRAFTED = {
    "a non-ASCII signature": lambda _app: b"a.\xc3\xa9",
    "a signed expiry in year 33658": lambda app: signed(
        app, {"k": None, "s": "x" * 64, "e": 1000000000000, "c": "0" * 32}
    ),
    "a signed expiry past any clock": lambda app: signed(
        app, {"k": None, "s": "x" * 64, "e": 10**30, "c": "0" * 32}
    ),
    "a signed list": lambda app: signed(app, ["s", "e", "c"]),
    "a signed lone surrogate": lambda app: signed(
        app, {"s": "\ud800", "e": 4102444800, "c": "\udfff"}
    ),
    "a signed session of a key hash, never signed in": lambda app: signed(
        app,
        {"k": hashlib.sha256(ADMIN_KEY.encode()).hexdigest(), "e": 4102444800, "c": "0" * 32},
    ),
}


@pytest.mark.parametrize("crafted", CRAFTED.values(), ids=CRAFTED.keys())
async def test_a_crafted_cookie_is_no_cookie(app: FastAPI, crafted: Any) -> None:
    header = {b"cookie": COOKIE.encode() + b"=" + crafted(app)}
    async with client_for(app, None) as browser:
        sign_in = await browser.get("/console/sign-in", headers=header)
        assert sign_in.status_code == 200, sign_in.text
        assert sign_in.cookies.get(COOKIE)  # a fresh session instead
        cases = await browser.get("/console/cases", headers=header)
        assert cases.status_code == 303
        assert cases.headers["location"].startswith("/console/sign-in")


def another_process(app: FastAPI) -> FastAPI:
    """A second API process behind the same address: its own app and caches, the same
    settings (the shared console secret) and the same database."""
    services: Services = app.state.services
    other = create_app(services.settings, services.temporal.settings)
    other.state.services.sessions = services.sessions
    return other


@pytest.mark.parametrize("key_of", ["bootstrap", "stored"])
async def test_signing_out_ends_the_session_everywhere(
    app: FastAPI, admin: httpx.AsyncClient, key_of: str
) -> None:
    key = ADMIN_KEY if key_of == "bootstrap" else await key_with(admin, "agent")
    async with signed_in(app, key) as browser:
        copied = browser.client.cookies[COOKIE]
        assert (await browser.open("/console/cases")).status_code == 200
        out = await browser.post("/console/sign-out")
        assert out.status_code == 303
        cleared = out.headers["set-cookie"].lower()
    for attribute in ("max-age=0", "path=/console", "httponly", "samesite=strict"):
        assert attribute in cleared, cleared
    for served in (app, another_process(app)):
        async with client_for(served, None) as thief:
            thief.cookies.set(COOKIE, copied)
            answer = await thief.get("/console/cases")
            assert answer.status_code == 303, answer.text
            assert answer.headers["location"].startswith("/console/sign-in")


async def test_signing_out_ends_only_that_session(app: FastAPI) -> None:
    async with signed_in(app, ADMIN_KEY) as leaving, signed_in(app, ADMIN_KEY) as staying:
        await leaving.open("/console/cases")
        assert (await leaving.post("/console/sign-out")).status_code == 303
        assert (await leaving.open("/console/cases")).status_code == 303
        assert (await staying.open("/console/cases")).status_code == 200
