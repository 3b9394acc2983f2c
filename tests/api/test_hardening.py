"""No input harms the API or a case: bodies are bounded before any work (authentication included),
text a case cannot store is refused everywhere, durations, instants, lists and nesting are
bounded, and every such answer is a 4xx with a JSON body (issue 13's findings, one test each)."""

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from api.config import ApiSettings
from database.models import DeliveryRecord
from tests.helpers.api import CaseApi, client_for
from tests.helpers.factories import create_calendar, premium_body, stormhaven

MAX_BODY_BYTES = 1024 * 1024  # README "Limits"


def problems(response: httpx.Response) -> str:
    assert 400 <= response.status_code < 500, response.text
    detail = response.json()["detail"]
    return detail if isinstance(detail, str) else "; ".join(item["msg"] for item in detail)


async def test_a_body_past_the_limit_is_refused_before_authentication(app: FastAPI) -> None:
    async with client_for(app, None) as anonymous:
        big = b'{"case_id": "' + b"x" * (MAX_BODY_BYTES + 1) + b'"}'
        declared = await anonymous.post(
            "/cases", content=big, headers={"content-type": "application/json"}
        )
        assert declared.status_code == 413
        assert "the limit is 1048576" in problems(declared)

        async def chunks() -> Any:  # no Content-Length: counted as it streams
            for _ in range(3):
                yield b"x" * (MAX_BODY_BYTES // 2)

        streamed = await anonymous.post(
            "/cases", content=chunks(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413
        # Within the limit, the key check comes first as ever.
        small = await anonymous.post("/cases", json={"case_id": "C-1"})
        assert small.status_code == 401


LONE = '"a\\ud800b"'
NUL = '"a\\u0000b"'


@pytest.mark.parametrize("text", [LONE, NUL], ids=["lone surrogate", "NUL"])
@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/milestone-types", '{"name": %s}'),
        ("/business-hours", '{"name": %s, "always_open": true}'),
        ("/api-keys", '{"name": %s, "roles": ["ops"]}'),
        ("/cases", '{"case_id": "C-1", "process": "Premium", "fields": {"subject": %s}}'),
        ("/cases/C-1/pause", '{"reason": %s}'),
        ("/cases/C-1/events", '{"type": %s}'),
    ],
)
async def test_text_a_case_cannot_store_is_refused_everywhere(
    admin: httpx.AsyncClient, path: str, template: str, text: str
) -> None:
    body = (template % text).encode()
    response = await admin.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body"]
    assert "lone surrogate" in problems(response) or "NUL" in problems(response)


async def test_a_control_character_in_a_calendar_name_is_refused(admin: httpx.AsyncClient) -> None:
    response = await admin.post(
        "/business-hours", json={"name": "Office\tHours", "always_open": True}
    )
    assert "control characters" in problems(response)


async def test_validation_errors_do_not_echo_the_input(admin: httpx.AsyncClient) -> None:
    secret = "s3cr3t-" + "x" * 300
    response = await admin.post("/milestone-types", json={"name": secret})
    assert response.status_code == 422
    assert "s3cr3t" not in response.text
    assert set(response.json()["detail"][0]) == {"loc", "msg", "type"}


@pytest.mark.parametrize("instant", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"])
async def test_instants_python_cannot_hold_are_a_422(
    admin: httpx.AsyncClient, instant: str
) -> None:
    listing = await admin.get("/cases", params={"deadline_before": instant})
    assert "outside the instants a case can use" in problems(listing)
    calendar = await create_calendar(admin)
    preview = await admin.get(
        f"/business-hours/{calendar['id']}/preview", params={"duration": "1h", "start": instant}
    )
    assert "outside the instants a case can use" in problems(preview)


@pytest.mark.parametrize("duration", ["1000000000h", "P999999999D", "99999999999h"])
async def test_durations_past_ten_years_are_refused_everywhere(
    admin: httpx.AsyncClient, duration: str
) -> None:
    await stormhaven(admin)
    body = premium_body("Gold")
    body["milestones"][0]["target"] = duration
    target = await admin.post("/entitlement-processes", json=body)
    assert "longer than" in problems(target)
    paused = premium_body("Gold", max_pause=duration)
    assert "longer than" in problems(await admin.post("/entitlement-processes", json=paused))
    calendar = (await admin.get("/business-hours")).json()["data"][0]
    preview = await admin.get(
        f"/business-hours/{calendar['id']}/preview", params={"duration": duration}
    )
    assert "longer than" in problems(preview)


async def test_lists_and_nesting_are_bounded(admin: httpx.AsyncClient) -> None:
    await stormhaven(admin)
    values = premium_body("Gold")
    values["milestones"][0]["start_when"] = {
        "all": [{"field": "tier", "op": "in", "value": list(range(100_000))}]
    }
    assert "at most 50 values" in problems(await admin.post("/entitlement-processes", json=values))
    many = premium_body("Gold")
    many["milestones"][0]["start_when"] = {
        "any": [{"field": f"f{n}", "op": "exists"} for n in range(1000)]
    }
    assert "at most 50 items" in problems(await admin.post("/entitlement-processes", json=many))
    deep: dict[str, Any] = {}
    cursor = deep
    for _ in range(500):
        cursor["a"] = {}
        cursor = cursor["a"]
    nested = premium_body("Gold")
    nested["milestones"][0]["actions"]["success"][0]["params"] = deep
    answer = await admin.post("/entitlement-processes", json=nested)
    assert "nests deeper than 32" in problems(answer)
    shallow_enough = premium_body("Gold")
    shallow_enough["milestones"][0]["actions"]["success"][0]["params"] = {
        "a": {"b": {"c": {"d": {"e": 1}}}}
    }
    assert "params nest deeper than 5" in problems(
        await admin.post("/entitlement-processes", json=shallow_enough)
    )


async def test_action_params_cannot_reach_the_case_system_secret_or_another_url(
    admin: httpx.AsyncClient,
) -> None:
    await stormhaven(admin)
    signed = premium_body("Gold")
    signed["milestones"][0]["actions"]["success"][0]["params"]["secret"] = "case_system"
    assert "case system only" in problems(await admin.post("/entitlement-processes", json=signed))
    elsewhere = premium_body("Gold")
    elsewhere["milestones"][0]["actions"]["violation"][1]["params"]["url"] = "https://evil.test"
    assert "remove params.url" in problems(
        await admin.post("/entitlement-processes", json=elsewhere)
    )


def test_production_refuses_short_admin_keys() -> None:
    for key in ("admin", "Admin", "x", "123", "a" * 31):
        with pytest.raises(ValidationError, match="shorter than 32 characters"):
            ApiSettings(sla_environment="production", sla_admin_key=key)
    assert ApiSettings(sla_environment="production", sla_admin_key="k" * 32)
    assert ApiSettings(sla_environment="development", sla_admin_key="admin")


def new_case_id() -> str:
    return f"H-{uuid.uuid4().hex[:10]}"


async def test_case_fields_are_bounded_and_the_case_lives_on(case_api: CaseApi) -> None:
    client = case_api.client
    await stormhaven(client)
    case_id = new_case_id()
    started = await client.post(
        "/cases", json={"case_id": case_id, "process": "Premium", "fields": {"status": "New"}}
    )
    assert started.status_code == 201, started.text
    big = {"fields": {"note": "x" * 1_500_000}}
    assert (await client.patch(f"/cases/{case_id}", json=big)).status_code == 413
    long = await client.patch(f"/cases/{case_id}", json={"fields": {"note": "x" * 3000}})
    assert "at most 2000" in problems(long)
    for n in range(16):
        fits = await client.patch(f"/cases/{case_id}", json={"fields": {f"f{n}": "y" * 1950}})
        assert fits.status_code == 200, fits.text
    too_much = await client.patch(f"/cases/{case_id}", json={"fields": {"more": "y" * 1950}})
    assert too_much.status_code == 422
    assert "at most 32768" in problems(too_much)
    paused = await client.post(f"/cases/{case_id}/pause", json={"reason": "still alive"})
    assert paused.status_code == 200, paused.text


async def test_starting_an_existing_case_differently_is_a_conflict(case_api: CaseApi) -> None:
    client = case_api.client
    await stormhaven(client)
    body = premium_body("Gold")
    del body["name"]
    created = await client.post("/entitlement-processes", json={**body, "name": "Gold"})
    assert created.status_code == 201, created.text
    case_id = new_case_id()
    now = await case_api.env.get_current_time()
    opened = (now - timedelta(hours=1)).isoformat()
    first = {"case_id": case_id, "process": "Premium", "opened_at": opened}
    assert (await client.post("/cases", json=first)).status_code == 201
    assert (await client.post("/cases", json=first)).status_code == 200
    assert (await client.post("/cases", json={**first, "fields": {"a": 1}})).status_code == 200
    other_process = await client.post("/cases", json={**first, "process": "Gold"})
    assert other_process.status_code == 409
    assert "process 'Premium' (this request names 'Gold')" in problems(other_process)
    later = (now - timedelta(minutes=5)).isoformat()
    other_opening = await client.post("/cases", json={**first, "opened_at": later})
    assert other_opening.status_code == 409
    assert "opened_at" in problems(other_opening)


async def test_the_tracker_shows_a_retrying_actions_attempts_as_the_log_has_them(
    case_api: CaseApi, app: FastAPI
) -> None:
    client = case_api.client
    case_api.recorder.retry_handlers.add("webhook")
    body = premium_body("Quick", business_hours=None)
    body["milestones"] = body["milestones"][:1]
    body["milestones"][0]["target"] = "1h"
    await stormhaven(client)
    assert (await client.post("/entitlement-processes", json=body)).status_code == 201
    case_id = new_case_id()
    started = await client.post("/cases", json={"case_id": case_id, "process": "Quick"})
    assert started.status_code == 201, started.text
    await case_api.env.sleep(timedelta(minutes=46))  # the warning is due, and keeps failing
    tracker = (await client.get(f"/cases/{case_id}")).json()
    (action,) = tracker["milestones"][0]["actions"][:1]
    assert action["status"] == "running"
    # What the handlers would have written after three failed attempts.
    with app.state.services.sessions() as session:
        session.add(
            DeliveryRecord(
                idempotency_key=action["idempotency_key"],
                case_id=case_id,
                milestone="First Response",
                instance=1,
                kind=action["kind"],
                n=action["n"],
                handler="webhook",
                due_at=datetime.fromisoformat(action["due_at"]),
                attempts=3,
                status="pending",
                last_error="POST https://crm.example/hooks answered 503",
            )
        )
        session.commit()
    shown = (await client.get(f"/cases/{case_id}")).json()["milestones"][0]["actions"][0]
    assert (shown["status"], shown["attempts"], shown["error"]) == (
        "running",
        3,
        "POST https://crm.example/hooks answered 503",
    )
