"""Builders for API test data: milestone types, calendars and processes made over HTTP, and the
Stormhaven premium process (tests/stormhaven.py) as request bodies."""

from typing import Any

import httpx

from tests.helpers.stormhaven import OFFICE, WAITING, milestone_actions


def names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["data"]]


async def create_type(admin: httpx.AsyncClient, name: str, **fields: Any) -> dict[str, Any]:
    response = await admin.post("/milestone-types", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def create_calendar(admin: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    body = {**OFFICE.model_dump(mode="json"), **overrides}
    response = await admin.post("/business-hours", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


STORMHAVEN_TYPES = {
    "First Response": "#D62728",
    "Triage": "#FF7F0E",
    "Resolution": "#2CA02C",
}


def premium_body(name: str = "Premium", **overrides: Any) -> dict[str, Any]:
    """The Stormhaven premium process (tests/stormhaven.py) as an API request."""
    body: dict[str, Any] = {
        "name": name,
        "business_hours": OFFICE.name,
        "pause_when": {"all": [{"field": "status", "op": "eq", "value": WAITING}]},
        "exit_when": {"all": [{"field": "status", "op": "eq", "value": "Closed"}]},
        "milestones": [
            {
                "milestone_type": "First Response",
                "target": "1h",
                "complete_when": {"events": ["agent_replied"]},
                "actions": milestone_actions("first-response"),
            },
            {
                "milestone_type": "Triage",
                "target": "4h",
                "complete_when": {"all": [{"field": "stage", "op": "ne", "value": "New"}]},
                "actions": milestone_actions("triage"),
            },
            {
                "milestone_type": "Resolution",
                "target": "24h",
                "complete_when": {"all": [{"field": "status", "op": "in", "value": ["Solved"]}]},
                "actions": milestone_actions("resolution"),
            },
        ],
    }
    body.update(overrides)
    return body


async def stormhaven(admin: httpx.AsyncClient, name: str = "Premium") -> dict[str, Any]:
    """The Stormhaven calendar, milestone types and premium process, made over HTTP."""
    await create_calendar(admin)
    for type_name, color in STORMHAVEN_TYPES.items():
        await create_type(admin, type_name, color=color)
    response = await admin.post("/entitlement-processes", json=premium_body(name))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created
