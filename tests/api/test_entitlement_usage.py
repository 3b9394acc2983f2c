"""`GET /entitlements/{id}/cases`: the cases an entitlement's allowance took, as `cover_case`
(what `POST /cases` calls) recorded them, newest first, counted or over the allowance; ops may
read it, an agent may not."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from api.crud.entitlements import cover_case
from api.deps import Services
from database.models import EntitlementCaseRecord
from tests.helpers.api import client_for, key_with
from tests.helpers.factories import stormhaven

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def _incidents(admin: httpx.AsyncClient, allowed: int) -> dict[str, Any]:
    await stormhaven(admin)
    body = {
        "name": "Incidents",
        "account_id": "ACME",
        "process": "Premium",
        "cases_allowed": allowed,
        "on_exhausted": "flag",
    }
    response = await admin.post("/entitlements", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _cover(app: FastAPI, entitlement_id: int, case_ids: list[str]) -> list[str]:
    """Cover each case through the engine's own function, and date each new row a minute after
    the previous one, so "newest first" has one right answer."""
    services: Services = app.state.services
    coverages = []
    dated: set[str] = set()
    with services.sessions() as session:
        for case_id in case_ids:
            coverages.append(cover_case(session, entitlement_id=entitlement_id, case_id=case_id))
            if case_id not in dated:
                row = session.get_one(EntitlementCaseRecord, case_id)
                row.started_at = START + timedelta(minutes=len(dated))
                session.commit()
                dated.add(case_id)
    return coverages


async def test_usage_lists_the_covered_cases_newest_first(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    entitlement = await _incidents(admin, allowed=2)
    coverages = _cover(app, entitlement["id"], ["C-1", "C-2", "C-3", "C-2"])
    assert coverages == ["counted", "counted", "over_allowance", "counted"]  # C-2 once only

    response = await admin.get(f"/entitlements/{entitlement['id']}/cases")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "entitlement_id": entitlement["id"],
        "count": 3,
        "data": [
            {"case_id": "C-3", "coverage": "over_allowance", "started_at": "2026-03-02T09:02:00Z"},
            {"case_id": "C-2", "coverage": "counted", "started_at": "2026-03-02T09:01:00Z"},
            {"case_id": "C-1", "coverage": "counted", "started_at": "2026-03-02T09:00:00Z"},
        ],
    }
    limited = await admin.get(f"/entitlements/{entitlement['id']}/cases", params={"limit": 1})
    assert [row["case_id"] for row in limited.json()["data"]] == ["C-3"]
    read = await admin.get(f"/entitlements/{entitlement['id']}")
    assert (read.json()["cases_used"], read.json()["cases_remaining"]) == (2, 0)


async def test_an_entitlement_without_covered_cases_has_an_empty_usage(
    admin: httpx.AsyncClient,
) -> None:
    entitlement = await _incidents(admin, allowed=10)
    response = await admin.get(f"/entitlements/{entitlement['id']}/cases")
    assert response.json() == {"entitlement_id": entitlement["id"], "count": 0, "data": []}


async def test_usage_of_an_unknown_entitlement_is_404_and_limits_are_checked(
    admin: httpx.AsyncClient,
) -> None:
    missing = await admin.get("/entitlements/999999/cases")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "entitlement 999999 does not exist"}
    for limit in (0, 1001):
        response = await admin.get("/entitlements/1/cases", params={"limit": limit})
        assert response.status_code == 422, response.text


async def test_ops_read_the_usage_and_agents_may_not(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    entitlement = await _incidents(admin, allowed=5)
    _cover(app, entitlement["id"], ["C-9"])
    path = f"/entitlements/{entitlement['id']}/cases"
    async with client_for(app, await key_with(admin, "ops")) as ops:
        assert [r["case_id"] for r in (await ops.get(path)).json()["data"]] == ["C-9"]
    async with client_for(app, await key_with(admin, "agent")) as agent:
        assert (await agent.get(path)).status_code == 403
    async with client_for(app, None) as anonymous:
        assert (await anonymous.get(path)).status_code == 401
