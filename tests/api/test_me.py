"""`/me`: any valid key learns its own name and roles; no key, or an unknown one, gets 401."""

import httpx
from fastapi import FastAPI

from tests.helpers.api import client_for


async def test_a_key_of_any_role_reads_its_name_and_roles(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    created = await admin.post("/api-keys", json={"name": "dana", "roles": ["ops", "agent"]})
    assert created.status_code == 201, created.text
    async with client_for(app, created.json()["key"]) as dana:
        response = await dana.get("/me")
    assert response.status_code == 200
    assert response.json() == {"name": "dana", "roles": ["agent", "ops"]}


async def test_the_bootstrap_key_is_named_after_its_variable(admin: httpx.AsyncClient) -> None:
    assert (await admin.get("/me")).json() == {"name": "SLA_ADMIN_KEY", "roles": ["admin"]}


async def test_no_key_or_an_unknown_one_is_401(app: FastAPI) -> None:
    async with client_for(app, None) as anonymous:
        assert (await anonymous.get("/me")).status_code == 401
    async with client_for(app, "sla_not-a-key") as stranger:
        response = await stranger.get("/me")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("unknown API key")
