"""`/api-keys` and the roles they carry: 401 without a known key, 403 without the role."""

import httpx
from fastapi import FastAPI

from tests.helpers.api import client_for, key_with


async def test_create_api_key_shows_the_key_once(admin: httpx.AsyncClient) -> None:
    response = await admin.post("/api-keys", json={"name": "crm", "roles": ["case_system", "ops"]})
    assert response.status_code == 201
    created = response.json()
    assert created["key"].startswith("sla_")
    assert len(created["key"]) > 40
    # Its first 8 characters in clear, to tell keys apart: "sla_" and 24 of its 256 random bits.
    assert created["prefix"] == created["key"][:8]
    listing = (await admin.get("/api-keys")).json()
    assert listing == {
        "data": [{k: v for k, v in created.items() if k != "key"}],
        "count": 1,
    }
    assert created["roles"] == ["case_system", "ops"]


async def test_missing_and_unknown_keys_are_401(app: FastAPI) -> None:
    async with client_for(app, None) as anonymous:
        response = await anonymous.get("/milestone-types")
        assert response.status_code == 401
        assert response.json() == {
            "detail": "missing API key: send the header 'Authorization: Bearer <key>'"
        }
        assert response.headers["www-authenticate"] == "Bearer"
        basic = await anonymous.get("/milestone-types", headers={"Authorization": "Basic eDp5"})
        assert basic.status_code == 401
    async with client_for(app, "sla_not-a-key") as stranger:
        response = await stranger.get("/milestone-types")
        assert response.status_code == 401
        assert response.json() == {
            "detail": "unknown API key: it was never issued, or it was deleted"
        }


async def test_roles_allow_their_endpoints_only(app: FastAPI, admin: httpx.AsyncClient) -> None:
    async with client_for(app, await key_with(admin, "ops")) as ops:
        assert (await ops.get("/milestone-types")).status_code == 200
        assert (await ops.get("/business-hours")).status_code == 200
        refused = await ops.post("/milestone-types", json={"name": "X"})
        assert refused.status_code == 403
        assert refused.json() == {
            "detail": "API key 'ops' (roles: ops) cannot change configuration or API keys: that "
            "needs the 'admin' role"
        }
        assert (await ops.get("/api-keys")).status_code == 403
    async with client_for(app, await key_with(admin, "agent")) as agent:
        refused = await agent.get("/milestone-types")
        assert refused.json() == {
            "detail": "API key 'agent' (roles: agent) cannot read configuration or cases: that "
            "needs the 'ops' role"
        }
        start = await agent.post("/cases", json={"case_id": "C-1", "process": "Premium"})
        assert start.status_code == 403
        assert start.json()["detail"].endswith(
            "cannot start, update, or close cases: that needs the 'case_system' role"
        )
    async with client_for(app, await key_with(admin, "case_system")) as case_system:
        pause = await case_system.post("/cases/C-1/pause", json={"reason": "x"})
        assert pause.status_code == 403
        assert pause.json()["detail"].endswith(
            "cannot pause, resume, or complete milestones: that needs the 'agent' role"
        )
        # Roles pass the key check; Temporal is down in this test.
        assert (await case_system.patch("/cases/C-1", json={"fields": {}})).status_code == 503


async def test_delete_api_key_revokes_it_at_once(app: FastAPI, admin: httpx.AsyncClient) -> None:
    key = await key_with(admin, "ops")
    async with client_for(app, key) as ops:
        assert (await ops.get("/milestone-types")).status_code == 200  # now cached
        key_id = (await admin.get("/api-keys")).json()["data"][0]["id"]
        assert (await admin.delete(f"/api-keys/{key_id}")).status_code == 204
        assert (await ops.get("/milestone-types")).status_code == 401
    missing = await admin.delete(f"/api-keys/{key_id}")
    assert missing.status_code == 404
    assert missing.json() == {"detail": f"API key {key_id} does not exist"}


async def test_api_key_roles_are_validated(admin: httpx.AsyncClient) -> None:
    response = await admin.post("/api-keys", json={"name": "x", "roles": ["root"]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == (
        "Input should be 'admin', 'case_system', 'agent' or 'ops'"
    )
    empty = await admin.post("/api-keys", json={"name": "x", "roles": []})
    assert empty.status_code == 422
