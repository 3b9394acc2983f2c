"""`/entitlements`: an account's entitlements, stored and read back as the contract's
`Entitlement` with the zone their dates are days in; their process and business hours checked by
name, names unique within an account, `cases_used` the engine's alone."""

from typing import Any

import httpx
from fastapi import FastAPI

from tests.helpers.api import client_for, key_with
from tests.helpers.factories import create_calendar, premium_body, stormhaven
from tests.helpers.stormhaven import OFFICE

CLOUD = {"all": [{"field": "product", "op": "eq", "value": "Cloud"}]}
CLOUD_READ = {**CLOUD, "any": [], "events": []}
"""The criteria as the API answers them: every part spelled out, as in process versions."""


def _errors(response: httpx.Response) -> list[tuple[list[Any], str]]:
    assert response.status_code == 422, response.text
    return [(error["loc"], error["msg"]) for error in response.json()["detail"]]


async def _create(admin: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await admin.post(
        "/entitlements", json={"account_id": "ACME", "process": "Premium", **body}
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _london(admin: httpx.AsyncClient) -> dict[str, Any]:
    return await create_calendar(admin, name="London office", time_zone="Europe/London")


async def test_create_entitlement_reads_back_the_contract_model(admin: httpx.AsyncClient) -> None:
    await stormhaven(admin)
    body = {
        "name": "Premium Cloud",
        "account_id": "ACME",
        "process": "PREMIUM",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "cases_allowed": 10,
        "applies_when": CLOUD,
        "priority": 10,
        "on_exhausted": "flag",
    }
    response = await admin.post("/entitlements", json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert {k: v for k, v in created.items() if k not in ("id", "created_at", "updated_at")} == {
        **body,
        "process": "Premium",  # the process's own name
        "applies_when": CLOUD_READ,
        "business_hours": None,
        "time_zone": "America/New_York",  # the zone of the process's calendar
        "cases_used": 0,
        "cases_remaining": 10,
    }
    read = await admin.get(f"/entitlements/{created['id']}")
    assert read.json() == created
    listing = await admin.get("/entitlements")
    assert listing.json() == {"data": [created], "count": 1}


async def test_the_zone_is_the_business_hours_else_the_process_calendars_else_utc(
    admin: httpx.AsyncClient,
) -> None:
    await stormhaven(admin)
    await _london(admin)
    basic = premium_body("Basic", business_hours=None)
    assert (await admin.post("/entitlement-processes", json=basic)).status_code == 201
    override = await _create(admin, name="London", business_hours="london OFFICE")
    assert (override["business_hours"], override["time_zone"]) == ("London office", "Europe/London")
    process = await _create(admin, name="New York")
    assert (process["business_hours"], process["time_zone"]) == (None, "America/New_York")
    around_the_clock = await _create(admin, name="Basic", process="Basic")
    assert around_the_clock["time_zone"] == "UTC"
    basic_in_london = await _create(
        admin, name="Basic London", process="Basic", business_hours="London office"
    )
    assert basic_in_london["time_zone"] == "Europe/London"
    zones = {e["name"]: e["time_zone"] for e in (await admin.get("/entitlements")).json()["data"]}
    assert zones == {
        "London": "Europe/London",
        "New York": "America/New_York",
        "Basic": "UTC",
        "Basic London": "Europe/London",
    }


async def test_list_by_account_highest_priority_first(admin: httpx.AsyncClient) -> None:
    await stormhaven(admin)
    await _create(admin, name="Standard", priority=1)
    await _create(admin, name="Premium", priority=10)
    await _create(admin, name="Cloud", priority=5, applies_when=CLOUD)
    await _create(admin, name="Standard", account_id="GLOBEX")
    acme = (await admin.get("/entitlements", params={"account_id": "ACME"})).json()
    assert [(e["name"], e["priority"]) for e in acme["data"]] == [
        ("Premium", 10),
        ("Cloud", 5),
        ("Standard", 1),
    ]
    assert acme["count"] == 3
    everything = (await admin.get("/entitlements")).json()["data"]
    assert [(e["account_id"], e["name"]) for e in everything] == [
        ("ACME", "Premium"),
        ("ACME", "Cloud"),
        ("ACME", "Standard"),
        ("GLOBEX", "Standard"),
    ]
    nobody = await admin.get("/entitlements", params={"account_id": "INITECH"})
    assert nobody.json() == {"data": [], "count": 0}
    quoted = await admin.get("/entitlements", params={"account_id": "AC'ME"})
    assert quoted.status_code == 422


async def test_names_are_unique_case_insensitively_within_an_account(
    admin: httpx.AsyncClient,
) -> None:
    await stormhaven(admin)
    await _create(admin, name="Premium Support")
    again = await admin.post(
        "/entitlements",
        json={"name": "PREMIUM support", "account_id": "ACME", "process": "Premium"},
    )
    assert again.status_code == 409
    assert again.json() == {
        "detail": "account 'ACME' already has an entitlement named 'PREMIUM support': names "
        "are unique case-insensitively within an account"
    }
    other = await _create(admin, name="Premium Support", account_id="GLOBEX")
    second = await _create(admin, name="Standard")
    renamed = await admin.patch(f"/entitlements/{second['id']}", json={"name": "premium SUPPORT"})
    assert renamed.status_code == 409
    recased = await admin.patch(f"/entitlements/{other['id']}", json={"name": "PREMIUM SUPPORT"})
    assert recased.status_code == 200, recased.text
    assert recased.json()["name"] == "PREMIUM SUPPORT"


async def test_create_reports_every_problem_by_field(admin: httpx.AsyncClient) -> None:
    await stormhaven(admin)
    unknown = await admin.post(
        "/entitlements",
        json={"name": "X", "account_id": "ACME", "process": "Gold", "business_hours": "Mars"},
    )
    assert _errors(unknown) == [
        (
            ["body", "process"],
            "unknown entitlement process 'Gold': create it under /entitlement-processes first "
            "(known: 'Premium')",
        ),
        (
            ["body", "business_hours"],
            "unknown business hours 'Mars': create them under /business-hours first (known: "
            "'Stormhaven US')",
        ),
    ]
    base = {"name": "X", "account_id": "ACME", "process": "Premium"}
    backwards = {**base, "starts_on": "2026-03-02", "ends_on": "2026-03-01"}
    assert _errors(await admin.post("/entitlements", json=backwards)) == [
        (
            ["body", "ends_on"],
            "Value error, ends_on 2026-03-01 is before starts_on 2026-03-02: both days are "
            "included, so an entitlement may end on the day it starts, not before",
        )
    ]
    one_day = {**base, "starts_on": "2026-03-02", "ends_on": "2026-03-02"}
    assert (await admin.post("/entitlements", json=one_day)).status_code == 201
    for field, value in [
        ("cases_allowed", 0),
        ("cases_used", 3),
        ("priority", -1),
        ("priority", 1_000_001),
        ("on_exhausted", "maybe"),
        ("account_id", 'AC"ME'),
        ("name", "a/b"),
        ("starts_on", "2026-02-30"),
    ]:
        [(loc, _msg)] = _errors(await admin.post("/entitlements", json={**base, field: value}))
        assert loc == ["body", field], (field, value)
    edge = {
        **base,
        "applies_when": {"all": [{"field": "status", "op": "changed_to", "value": "X"}]},
    }
    [(loc, msg)] = _errors(await admin.post("/entitlements", json=edge))
    assert loc == ["body", "applies_when"]
    assert msg == "Value error, these criteria describe a state: use no events and no 'changed_to'"
    assert (await admin.get("/entitlements")).json()["count"] == 1


async def test_update_changes_what_is_given_and_clears_what_is_null(
    admin: httpx.AsyncClient,
) -> None:
    await stormhaven(admin)
    await _london(admin)
    created = await _create(
        admin,
        name="Premium",
        starts_on="2026-01-01",
        ends_on="2026-12-31",
        cases_allowed=10,
        applies_when=CLOUD,
    )
    path = f"/entitlements/{created['id']}"
    changed = await admin.patch(
        path, json={"priority": 7, "ends_on": None, "business_hours": "London office"}
    )
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert (after["priority"], after["ends_on"], after["business_hours"]) == (
        7,
        None,
        "London office",
    )
    assert after["time_zone"] == "Europe/London"
    assert (after["starts_on"], after["cases_allowed"], after["applies_when"]) == (
        "2026-01-01",
        10,
        CLOUD_READ,
    )
    cleared = await admin.patch(
        path, json={"business_hours": None, "cases_allowed": None, "applies_when": None}
    )
    assert cleared.status_code == 200, cleared.text
    assert (cleared.json()["business_hours"], cleared.json()["time_zone"]) == (
        None,
        "America/New_York",
    )
    assert (cleared.json()["cases_allowed"], cleared.json()["cases_remaining"]) == (None, None)
    assert cleared.json()["applies_when"] is None
    assert (await admin.get(path)).json() == cleared.json()

    assert _errors(await admin.patch(path, json={"name": None})) == [
        (["body", "name"], "Value error, cannot be null: leave the field out to keep it")
    ]
    [(loc, _)] = _errors(await admin.patch(path, json={"cases_used": 0}))
    assert loc == ["body", "cases_used"]
    [(loc, _)] = _errors(await admin.patch(path, json={"account_id": "GLOBEX"}))
    assert loc == ["body", "account_id"]
    await admin.patch(path, json={"ends_on": "2026-06-30"})
    assert _errors(await admin.patch(path, json={"starts_on": "2026-07-01"})) == [
        (
            ["body", "starts_on"],
            "ends_on 2026-06-30 is before starts_on 2026-07-01: both days are included, so an "
            "entitlement may end on the day it starts, not before",
        )
    ]
    [(loc, _)] = _errors(await admin.patch(path, json={"ends_on": "2025-12-31"}))
    assert loc == ["body", "ends_on"]
    [(loc, msg)] = _errors(await admin.patch(path, json={"process": "Gold"}))
    assert (loc, msg.split(":")[0]) == (["body", "process"], "unknown entitlement process 'Gold'")
    missing = await admin.patch("/entitlements/9999", json={"priority": 1})
    assert missing.status_code == 404
    assert missing.json() == {"detail": "entitlement 9999 does not exist"}


async def test_delete_entitlement(admin: httpx.AsyncClient) -> None:
    await stormhaven(admin)
    created = await _create(admin, name="Premium")
    path = f"/entitlements/{created['id']}"
    assert (await admin.delete(path)).status_code == 204
    assert (await admin.get(path)).status_code == 404
    assert (await admin.delete(path)).status_code == 404


async def test_business_hours_an_entitlement_names_cannot_be_deleted_but_may_be_renamed(
    admin: httpx.AsyncClient,
) -> None:
    await stormhaven(admin)
    london = await _london(admin)
    created = await _create(admin, name="Premium", business_hours="London office")
    path = f"/business-hours/{london['id']}"
    deleted = await admin.delete(path)
    assert deleted.status_code == 409
    assert deleted.json() == {
        "detail": "business hours 'London office' are named by entitlement 'Premium' of account "
        "'ACME': they cannot be deleted"
    }
    renamed = await admin.put(
        path, json={**OFFICE.model_dump(mode="json"), "name": "UK", "time_zone": "Europe/London"}
    )
    assert renamed.status_code == 200, renamed.text
    read = (await admin.get(f"/entitlements/{created['id']}")).json()
    assert (read["business_hours"], read["time_zone"]) == ("UK", "Europe/London")
    await admin.patch(f"/entitlements/{created['id']}", json={"business_hours": None})
    assert (await admin.delete(path)).status_code == 204


async def test_ops_read_entitlements_and_only_admins_write_them(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await stormhaven(admin)
    created = await _create(admin, name="Premium")
    async with client_for(app, await key_with(admin, "ops")) as ops:
        assert (await ops.get("/entitlements")).status_code == 200
        assert (await ops.get(f"/entitlements/{created['id']}")).status_code == 200
        refused = await ops.post(
            "/entitlements", json={"name": "X", "account_id": "ACME", "process": "Premium"}
        )
        assert refused.status_code == 403
        assert refused.json()["detail"].endswith(
            "cannot change configuration or API keys: that needs the 'admin' role"
        )
        patch = await ops.patch(f"/entitlements/{created['id']}", json={"priority": 2})
        assert patch.status_code == 403
        assert (await ops.delete(f"/entitlements/{created['id']}")).status_code == 403
    async with client_for(app, await key_with(admin, "case_system", "agent")) as others:
        assert (await others.get("/entitlements")).status_code == 403
