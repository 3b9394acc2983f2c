"""The console's session cookie over HTTP on the real app and database: a crafted or unreadable
cookie is no cookie (a fresh sign-in, never a 500)."""

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from fastapi import FastAPI

from tests.helpers.api import client_for

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
