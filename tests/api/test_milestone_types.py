"""`/milestone-types`: CRUD, names unique per level, the Gainsight listing and reorder rules."""

from typing import Any

import httpx
from fastapi import FastAPI

from api.config import ApiSettings
from api.deps import Services
from api.main import create_app
from tests.helpers.api import ADMIN_KEY, client_for
from tests.helpers.factories import create_type, names


async def test_create_milestone_type_defaults_and_position(admin: httpx.AsyncClient) -> None:
    first = await create_type(admin, "First Response", color="#d62728")
    second = await create_type(admin, "Resolution")
    assert first["color"] == "#D62728"
    assert (first["scope"], first["active"], first["recurrence"]) == ("global", True, "none")
    assert (first["position"], second["position"]) == (1, 2)
    local = await create_type(admin, "Kickoff", scope="account", account_id="ACME")
    assert local["position"] == 1  # each level has its own order


async def test_create_milestone_type_name_taken_case_insensitively(
    admin: httpx.AsyncClient,
) -> None:
    await create_type(admin, "First Response")
    response = await admin.post("/milestone-types", json={"name": "FIRST response"})
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "a milestone type named 'FIRST response' already exists at the global level: names are "
        "unique case-insensitively within a level"
    )
    # Another level may use the name; two globals may not, although their account_id is NULL.
    await create_type(admin, "First Response", scope="account", account_id="ACME")
    again = await admin.post(
        "/milestone-types",
        json={"name": "first response", "scope": "account", "account_id": "ACME"},
    )
    assert again.status_code == 409
    assert "already exists at account 'ACME'" in again.json()["detail"]


def _errors(response: httpx.Response) -> list[tuple[list[Any], str]]:
    assert response.status_code == 422, response.text
    return [(error["loc"], error["msg"]) for error in response.json()["detail"]]


async def test_create_milestone_type_rejects_bad_color_and_level(admin: httpx.AsyncClient) -> None:
    response = await admin.post("/milestone-types", json={"name": "X", "color": "red"})
    assert _errors(response) == [
        (
            ["body", "color"],
            "Value error, 'red' is not a color: write #RRGGBB in hex, e.g. '#D62728'",
        )
    ]
    response = await admin.post("/milestone-types", json={"name": "X", "scope": "account"})
    assert _errors(response) == [
        (["body", "account_id"], "Value error, scope 'account' needs account_id")
    ]
    response = await admin.post(
        "/milestone-types", json={"name": "X", "scope": "global", "relationship_type": "Partner"}
    )
    assert _errors(response) == [
        (
            ["body", "relationship_type"],
            "Value error, only scope 'relationship' takes relationship_type; this one is 'global'",
        )
    ]
    response = await admin.post("/milestone-types", json={"name": "Bad\nname"})
    assert _errors(response)[0][0] == ["body", "name"]


async def test_read_milestone_types_local_first_then_global(admin: httpx.AsyncClient) -> None:
    await create_type(admin, "Resolution")
    await create_type(admin, "First Response")
    await create_type(admin, "Go Live", scope="account", account_id="ACME")
    await create_type(admin, "Kickoff", scope="account", account_id="ACME")
    await create_type(admin, "Other Account", scope="account", account_id="GLOBEX")
    await create_type(admin, "QBR", scope="relationship", relationship_type="Partner")
    await create_type(admin, "Retired", active=False)

    acme = await admin.get("/milestone-types", params={"account_id": "ACME"})
    assert names(acme) == ["Go Live", "Kickoff", "Resolution", "First Response", "Retired"]
    assert acme.json()["count"] == 5
    same = await admin.get("/milestone-types", params={"scope": "account", "account_id": "ACME"})
    assert names(same) == names(acme)
    partner = await admin.get(
        "/milestone-types", params={"relationship_type": "Partner", "active": "true"}
    )
    assert names(partner) == ["QBR", "Resolution", "First Response"]
    only_global = await admin.get("/milestone-types", params={"scope": "global"})
    assert names(only_global) == ["Resolution", "First Response", "Retired"]
    accounts = await admin.get("/milestone-types", params={"scope": "account"})
    assert names(accounts) == ["Go Live", "Kickoff", "Other Account"]
    everything = await admin.get("/milestone-types", params={"active": "false"})
    assert names(everything) == ["Retired"]
    every = await admin.get("/milestone-types")
    assert names(every) == [
        "Resolution",
        "First Response",
        "Retired",
        "Go Live",
        "Kickoff",
        "Other Account",
        "QBR",
    ]


async def test_read_milestone_types_rejects_contradictory_level(admin: httpx.AsyncClient) -> None:
    response = await admin.get("/milestone-types", params={"scope": "global", "account_id": "A"})
    assert _errors(response) == [(["query", "account_id"], "scope 'global' takes no account_id")]
    response = await admin.get(
        "/milestone-types", params={"account_id": "A", "relationship_type": "B"}
    )
    assert _errors(response) == [
        (["query", "relationship_type"], "give account_id or relationship_type, not both")
    ]


async def test_reorder_milestone_types_reorders_local_level_only(admin: httpx.AsyncClient) -> None:
    resolution = await create_type(admin, "Resolution")
    response_type = await create_type(admin, "First Response")
    go_live = await create_type(admin, "Go Live", scope="account", account_id="ACME")
    kickoff = await create_type(admin, "Kickoff", scope="account", account_id="ACME")

    level = {"scope": "account", "account_id": "ACME"}
    reordered = await admin.post(
        "/milestone-types/reorder", json={**level, "ids": [kickoff["id"], go_live["id"]]}
    )
    assert reordered.status_code == 200, reordered.text
    assert names(reordered) == ["Kickoff", "Go Live", "Resolution", "First Response"]
    assert [t["position"] for t in reordered.json()["data"]] == [1, 2, 1, 2]

    with_global = await admin.post(
        "/milestone-types/reorder",
        json={**level, "ids": [resolution["id"], kickoff["id"], go_live["id"]]},
    )
    assert _errors(with_global) == [
        (
            ["body", "ids", 0],
            f"milestone type {resolution['id']} ('Resolution') is global: global types keep "
            "their own order after the local ones; reorder them with scope 'global'",
        )
    ]
    incomplete = await admin.post(
        "/milestone-types/reorder", json={**level, "ids": [kickoff["id"]]}
    )
    assert _errors(incomplete) == [
        (
            ["body", "ids"],
            f"list every type of account 'ACME', each once: missing {go_live['id']} ('Go Live')",
        )
    ]
    twice = await admin.post(
        "/milestone-types/reorder",
        json={**level, "ids": [kickoff["id"], kickoff["id"], go_live["id"], 999]},
    )
    assert _errors(twice) == [
        (["body", "ids", 1], f"milestone type {kickoff['id']} is listed twice"),
        (["body", "ids", 3], "milestone type 999 does not exist"),
    ]
    other_level = await admin.post(
        "/milestone-types/reorder",
        json={"scope": "account", "account_id": "GLOBEX", "ids": [kickoff["id"]]},
    )
    assert _errors(other_level) == [
        (
            ["body", "ids", 0],
            f"milestone type {kickoff['id']} ('Kickoff') belongs to account 'ACME', not "
            "account 'GLOBEX'",
        )
    ]
    # The global level orders its own types.
    globals_ = await admin.post(
        "/milestone-types/reorder",
        json={"scope": "global", "ids": [response_type["id"], resolution["id"]]},
    )
    assert names(globals_) == ["First Response", "Resolution"]
    acme = await admin.get("/milestone-types", params=level)
    assert names(acme) == ["Kickoff", "Go Live", "First Response", "Resolution"]


async def test_update_milestone_type(admin: httpx.AsyncClient) -> None:
    created = await create_type(admin, "First Response")
    await create_type(admin, "Resolution")
    path = f"/milestone-types/{created['id']}"
    updated = await admin.patch(path, json={"name": "First Reply", "color": "#00ff00"})
    assert updated.status_code == 200
    assert (updated.json()["name"], updated.json()["color"]) == ("First Reply", "#00FF00")
    clash = await admin.patch(path, json={"name": "RESOLUTION"})
    assert clash.status_code == 409
    assert clash.json()["detail"].startswith("a milestone type named 'RESOLUTION' already exists")
    null = await admin.patch(path, json={"name": None})
    assert _errors(null) == [
        (["body", "name"], "Value error, cannot be null: leave the field out to keep it")
    ]
    moved = await admin.patch(path, json={"scope": "account"})
    assert _errors(moved) == [(["body", "scope"], "Extra inputs are not permitted")]
    cleared = await admin.patch(path, json={"reporting_category": "Response"})
    assert cleared.json()["reporting_category"] == "Response"
    missing = await admin.patch("/milestone-types/424242", json={"active": False})
    assert missing.status_code == 404
    assert missing.json() == {"detail": "milestone type 424242 does not exist"}


async def test_delete_milestone_type(admin: httpx.AsyncClient) -> None:
    created = await create_type(admin, "First Response")
    path = f"/milestone-types/{created['id']}"
    assert (await admin.delete(path)).status_code == 204
    assert (await admin.get(path)).status_code == 404
    too_big = await admin.get(f"/milestone-types/{2**63}")
    assert too_big.status_code == 422


async def test_reads_are_cached_briefly_across_processes(
    app: FastAPI, admin: httpx.AsyncClient, database_url: str
) -> None:
    """This process answers its own writes at once; a write through another API process (a
    second app on the same database) shows here within `SLA_CONFIG_CACHE_SECONDS`."""
    other = create_app(
        ApiSettings(database_url=database_url, sla_admin_key=ADMIN_KEY, sla_migrate_on_start=False)
    )
    other_services: Services = other.state.services
    other_services.sessions = app.state.services.sessions  # the same transaction
    await create_type(admin, "First Response")
    assert names(await admin.get("/milestone-types")) == ["First Response"]  # now cached
    async with client_for(other, ADMIN_KEY) as elsewhere:
        await create_type(elsewhere, "Resolution")
    assert names(await admin.get("/milestone-types")) == ["First Response"]  # stale, briefly
    services: Services = app.state.services
    services.responses.clear()  # what the TTL does within a second
    assert names(await admin.get("/milestone-types")) == ["First Response", "Resolution"]
