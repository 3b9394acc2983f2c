"""`GET /deliveries`: the delivery log for ops, on the database under test. Rows are written as
the action handlers write them (`database.models.DeliveryRecord`, one per idempotency key) and
read back over HTTP: newest attempt first, filtered by status, case and handler, for ops only."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from api.deps import Services
from database.models import DeliveryRecord
from tests.helpers.api import client_for, key_with

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def delivery(
    case_id: str, kind: str, n: int, handler: str, status: str, minutes: int
) -> DeliveryRecord:
    """A logged action whose latest attempt was `minutes` after AT."""
    milestone = "First Response"
    return DeliveryRecord(
        idempotency_key=f"{case_id}/{milestone}/1/{kind}/{n}",
        case_id=case_id,
        milestone=milestone,
        instance=1,
        kind=kind,
        n=n,
        handler=handler,
        status=status,
        attempts=3 if status == "failed" else 1,
        last_error="HTTP 500 from https://hooks.example/sla" if status == "failed" else None,
        due_at=AT,
        first_attempt_at=AT,
        last_attempt_at=AT + timedelta(minutes=minutes),
        delivered_at=AT + timedelta(minutes=minutes) if status == "delivered" else None,
    )


@pytest.fixture
async def ops(app: FastAPI, admin: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    services: Services = app.state.services
    with services.sessions() as session:
        session.add_all(
            [
                delivery("DL-1", "warning", 1, "webhook", "failed", 5),
                delivery("DL-1", "violation", 2, "mail", "failed", 30),
                delivery("DL-2", "violation", 1, "webhook", "failed", 20),
                delivery("DL-2", "success", 1, "webhook", "delivered", 40),
                delivery("DL-3", "warning", 1, "webhook", "pending", 50),
            ]
        )
        session.commit()
    async with client_for(app, await key_with(admin, "ops")) as client:
        yield client


async def test_failed_deliveries_are_listed_latest_attempt_first(ops: httpx.AsyncClient) -> None:
    response = await ops.get("/deliveries", params={"status": "failed"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == 3
    keys = [row["idempotency_key"] for row in body["data"]]
    assert keys == [
        "DL-1/First Response/1/violation/2",
        "DL-2/First Response/1/violation/1",
        "DL-1/First Response/1/warning/1",
    ]
    assert body["data"][0] == {
        "idempotency_key": "DL-1/First Response/1/violation/2",
        "case_id": "DL-1",
        "milestone": "First Response",
        "instance": 1,
        "kind": "violation",
        "level": 2,
        "handler": "mail",
        "status": "failed",
        "attempts": 3,
        "last_error": "HTTP 500 from https://hooks.example/sla",
        "due_at": "2026-11-02T09:00:00Z",
        "first_attempt_at": "2026-11-02T09:00:00Z",
        "last_attempt_at": "2026-11-02T09:30:00Z",
        "delivered_at": None,
    }


async def test_deliveries_filter_by_case_handler_and_limit(ops: httpx.AsyncClient) -> None:
    every = (await ops.get("/deliveries")).json()
    assert [row["status"] for row in every["data"]] == [
        "pending",
        "delivered",
        "failed",
        "failed",
        "failed",
    ]
    by_case = (await ops.get("/deliveries", params={"case_id": "DL-2"})).json()
    assert {row["case_id"] for row in by_case["data"]} == {"DL-2"}
    assert by_case["count"] == 2
    mail = (await ops.get("/deliveries", params={"handler": "mail"})).json()
    assert [row["idempotency_key"] for row in mail["data"]] == ["DL-1/First Response/1/violation/2"]
    both = {"status": "failed", "case_id": "DL-2", "handler": "webhook"}
    assert (await ops.get("/deliveries", params=both)).json()["count"] == 1
    assert (await ops.get("/deliveries", params={"limit": 2})).json()["count"] == 2


async def test_deliveries_refuse_an_unknown_status(ops: httpx.AsyncClient) -> None:
    response = await ops.get("/deliveries", params={"status": "lost"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "status"]


async def test_deliveries_need_the_ops_role(app: FastAPI, admin: httpx.AsyncClient) -> None:
    async with client_for(app, await key_with(admin, "agent")) as agent:
        response = await agent.get("/deliveries")
    assert response.status_code == 403
    assert response.json() == {
        "detail": "API key 'agent' (roles: agent) cannot read configuration or cases: that "
        "needs the 'ops' role"
    }
