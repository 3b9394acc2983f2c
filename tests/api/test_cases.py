"""`/cases` against the real workflow on the time-skipping server: starting (idempotent), the
tracker, commands and the workflow's own reasons for refusing them, closed and unknown cases."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from temporalio.service import RPCError, RPCStatusCode

from tests.helpers.api import CaseApi
from tests.helpers.factories import premium_body, stormhaven
from workflows.contract import case_workflow_id
from workflows.search_attributes import (
    ACCOUNT_ID,
    CASE_ID,
    ENTITLEMENT_PROCESS,
    PRIORITY,
    SLA_STATE,
)


def new_case_id() -> str:
    return f"API-{uuid.uuid4().hex[:10]}"


async def start(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    body = {"process": "Premium", "fields": {"status": "New", "stage": "New"}, **body}
    body.setdefault("case_id", new_case_id())
    return await client.post("/cases", json=body)


async def test_case_endpoints_answer_503_while_temporal_is_down(admin: httpx.AsyncClient) -> None:
    await stormhaven(admin)
    response = await start(admin)
    assert response.status_code == 503
    assert response.json()["detail"].startswith("Temporal at 127.0.0.1:")
    assert (await admin.get("/cases/C-1")).status_code == 503
    assert (await admin.get("/cases")).status_code == 503
    # Configuration does not need Temporal.
    assert (await admin.get("/entitlement-processes")).status_code == 200


async def test_create_case_starts_the_workflow_once(case_api: CaseApi) -> None:
    client = case_api.client
    await stormhaven(client)
    case_id = new_case_id()
    fields = {"status": "New", "stage": "New", "priority": "High", "account_id": "ACME"}
    first = await start(client, case_id=case_id, fields=fields)
    assert first.status_code == 201, first.text
    tracker = first.json()
    assert (tracker["case_id"], tracker["process"], tracker["process_version"]) == (
        case_id,
        "Premium",
        1,
    )
    assert [m["name"] for m in tracker["milestones"]] == ["First Response", "Triage", "Resolution"]
    assert tracker["as_of_source"] == "caller"  # the API asks as of its now
    again = await start(client, case_id=case_id, fields={"priority": "Low"})
    assert again.status_code == 200
    assert again.json()["fields"] == fields
    handle = case_api.env.client.get_workflow_handle(case_workflow_id(case_id))
    description = await handle.describe()
    attributes = description.typed_search_attributes
    assert (
        attributes.get(CASE_ID),
        attributes.get(ENTITLEMENT_PROCESS),
        attributes.get(PRIORITY),
        attributes.get(ACCOUNT_ID),
        attributes.get(SLA_STATE),
    ) == (case_id, "Premium", "High", "ACME", "on_track")
    assert description.task_queue == case_api.task_queue
    # What the Temporal UI lists the workflow as.
    assert await description.static_summary() == f"Case {case_id} · Premium v1 · account ACME"


async def test_create_case_pins_the_chosen_version(case_api: CaseApi) -> None:
    client = case_api.client
    created = await stormhaven(client)
    body = premium_body()
    del body["name"]
    body["milestones"][0]["target"] = "2h"
    assert (
        await client.post(f"/entitlement-processes/{created['id']}/versions", json=body)
    ).status_code == 201
    latest = await start(client)
    assert latest.json()["process_version"] == 2
    assert latest.json()["milestones"][0]["target"] == "PT2H"
    pinned = await start(client, version=1)
    assert pinned.json()["process_version"] == 1
    assert pinned.json()["milestones"][0]["target"] == "PT1H"


async def test_create_case_rejects_bad_references(case_api: CaseApi) -> None:
    client = case_api.client
    await stormhaven(client)
    unknown = await start(client, process="Gold")
    assert unknown.status_code == 422
    assert unknown.json()["detail"] == [
        {
            "loc": ["body", "process"],
            "msg": "unknown entitlement process 'Gold': create it under /entitlement-processes "
            "first",
            "type": "value_error",
        }
    ]
    version = await start(client, version=9)
    assert (
        version.json()["detail"][0]["msg"] == "process 'Premium' has no version 9: its latest is 1"
    )
    now = await case_api.env.get_current_time()
    case_id = new_case_id()
    future = await start(client, case_id=case_id, opened_at=(now + timedelta(hours=1)).isoformat())
    assert future.status_code == 422
    assert future.json()["detail"][0]["loc"] == ["body", "opened_at"]
    assert future.json()["detail"][0]["msg"].endswith(
        "is in the future: give a past or present time"
    )
    # Refused before Temporal: no workflow started (and failed) for it.
    with pytest.raises(RPCError) as missing:
        await case_api.env.client.get_workflow_handle(case_workflow_id(case_id)).describe()
    assert missing.value.status == RPCStatusCode.NOT_FOUND
    bad_id = await start(client, case_id="no spaces allowed")
    assert bad_id.status_code == 422


async def test_commands_come_back_with_the_workflows_reasons(case_api: CaseApi) -> None:
    client = case_api.client
    await stormhaven(client)
    case_id = (await start(client)).json()["case_id"]
    path = f"/cases/{case_id}"

    # A command answers with what it changed, in one call to Temporal; the tracker on request.
    paused = await client.post(f"{path}/pause", json={"reason": "customer on holiday"})
    assert paused.status_code == 200, paused.text
    answer = paused.json()
    assert (answer["command"], answer["sla_state"], answer["tracker"]) == ("pause", "paused", None)
    assert [(c["kind"], c["detail"]) for c in answer["changes"]] == [
        ("paused", "customer on holiday")
    ]
    again = await client.post(f"{path}/pause", json={"reason": "again"})
    assert again.status_code == 409
    paused_at = answer["at"]
    assert again.json()["detail"].startswith("the case is already paused since ")
    assert again.json()["detail"].endswith("(customer on holiday): resume it first")
    assert paused_at[:19] in again.json()["detail"]
    resumed = await client.post(f"{path}/resume", params={"tracker": "true"})
    assert resumed.json()["tracker"]["paused"] is False
    assert resumed.json()["tracker"]["pauses"][0]["paused_at"] == paused_at
    not_paused = await client.post(f"{path}/resume")
    assert not_paused.status_code == 409
    assert not_paused.json() == {"detail": "the case is not paused: there is nothing to resume"}

    unknown = await client.post(f"{path}/milestones/Onboarding/complete")
    assert unknown.status_code == 422
    assert unknown.json()["detail"] == [
        {
            "loc": ["body"],
            "msg": "unknown milestone 'Onboarding': this case's are 'First Response', 'Triage', "
            "'Resolution'",
            "type": "value_error",
        }
    ]
    done = await client.post(f"{path}/milestones/first response/complete")
    assert done.status_code == 200, done.text
    outcome = done.json()
    assert (outcome["milestone"], outcome["instance"], outcome["completed_late"]) == (
        "First Response",
        1,
        False,
    )
    assert [(c["kind"], c["milestone"]) for c in outcome["changes"]] == [
        ("completed", "First Response")
    ]
    twice = await client.post(f"{path}/milestones/First Response/complete")
    assert twice.status_code == 409
    assert twice.json()["detail"].startswith(
        "milestone 'First Response' is already completed (instance 1, at "
    )

    fields = {"fields": {"stage": "Fixing", "priority": "High"}}
    updated = await client.patch(path, json=fields, params={"tracker": "true"})
    assert updated.status_code == 200
    assert ("completed", "Triage") in [
        (c["kind"], c["milestone"]) for c in updated.json()["changes"]
    ]
    triage = next(m for m in updated.json()["tracker"]["milestones"] if m["name"] == "Triage")
    assert triage["state"] == "completed"
    event = await client.post(f"{path}/events", json={"type": "customer_replied"})
    assert event.status_code == 200
    empty_reason = await client.post(f"{path}/pause", json={"reason": ""})
    assert empty_reason.status_code == 422
    assert empty_reason.json()["detail"][0]["loc"] == ["body", "reason"]


async def test_commands_apply_at_the_instant_they_happened(case_api: CaseApi) -> None:
    client = case_api.client
    await stormhaven(client)
    now = await case_api.env.get_current_time()

    def ago(minutes: int) -> str:
        return (now - timedelta(minutes=minutes)).isoformat()

    case_id = (await start(client, opened_at=ago(30))).json()["case_id"]
    path = f"/cases/{case_id}"
    paused = await client.post(f"{path}/pause", json={"reason": "on the phone", "at": ago(10)})
    assert paused.status_code == 200, paused.text
    assert paused.json()["at"] == ago(10).replace("+00:00", "Z")
    earlier = await client.post(f"{path}/resume", json={"at": ago(20)})
    assert earlier.status_code == 409
    assert earlier.json()["detail"] == (
        f"'at' {ago(20)} is before {ago(10)}, the last instant this case applied: send its "
        "commands in the order they happened, or without 'at'"
    )
    ahead = await client.post(f"{path}/resume", json={"at": (now + timedelta(hours=1)).isoformat()})
    assert ahead.status_code == 409
    assert "is more than 5 s ahead of the case's clock" in ahead.json()["detail"]
    resumed = await client.post(f"{path}/resume", json={"at": ago(5)}, params={"tracker": "true"})
    assert resumed.json()["tracker"]["pauses"][0] == {
        "reason": "on the phone",
        "paused_at": ago(10).replace("+00:00", "Z"),
        "resumed_at": ago(5).replace("+00:00", "Z"),
        "resumed_by": "command",
        "by_rule": False,
    }
    updated = await client.patch(path, json={"fields": {"stage": "Fixing"}, "at": ago(4)})
    completed = [(c["kind"], c["milestone"], c["at"]) for c in updated.json()["changes"]]
    assert ("completed", "Triage", ago(4).replace("+00:00", "Z")) in completed
    replied = await client.post(
        f"{path}/events", json={"type": "agent_replied", "at": ago(3)}, params={"tracker": "true"}
    )
    first = next(
        m for m in replied.json()["tracker"]["milestones"] if m["name"] == "First Response"
    )
    assert first["completed_at"] == ago(3).replace("+00:00", "Z")
    closed = await client.post(f"{path}/close", json={"at": ago(2)}, params={"tracker": "true"})
    assert closed.json()["at"] == closed.json()["tracker"]["closed_at"]
    assert closed.json()["tracker"]["closed_at"] == ago(2).replace("+00:00", "Z")


async def test_unknown_and_closed_cases(case_api: CaseApi) -> None:
    client = case_api.client
    await stormhaven(client)
    unknown = await client.get("/cases/NOPE-1")
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "case 'NOPE-1' does not exist"}
    assert (await client.post("/cases/NOPE-1/pause", json={"reason": "x"})).status_code == 404

    case_id = (await start(client)).json()["case_id"]
    closed = await client.post(f"/cases/{case_id}/close", json={"fields": {"status": "Solved"}})
    assert closed.status_code == 200, closed.text
    assert closed.json()["sla_state"] == "done"
    handle = case_api.env.client.get_workflow_handle(case_workflow_id(case_id))
    await handle.result()  # the workflow has finished
    refused = await client.post(f"/cases/{case_id}/pause", json={"reason": "too late"})
    assert refused.status_code == 409
    assert refused.json() == {"detail": f"case {case_id!r} is closed"}
    # A closed case still answers reads, and starting it again finds it.
    tracker = await client.get(f"/cases/{case_id}")
    assert tracker.status_code == 200
    assert tracker.json()["closed_at"] is not None
    again = await start(client, case_id=case_id)
    assert again.status_code == 200
    assert again.json()["sla_state"] == "done"


async def test_change_case_process_moves_to_another_version(case_api: CaseApi) -> None:
    client = case_api.client
    created = await stormhaven(client)
    case_id = (await start(client)).json()["case_id"]
    body = premium_body()
    del body["name"]
    body["milestones"][2]["target"] = "16h"
    path = f"/entitlement-processes/{created['id']}/versions"
    assert (await client.post(path, json=body)).status_code == 201
    moved = await client.post(
        f"/cases/{case_id}/process", json={"version": 2}, params={"tracker": "true"}
    )
    assert moved.status_code == 200, moved.text
    assert [(c["kind"], c["detail"]) for c in moved.json()["changes"]] == [
        ("process_applied", "version 1 -> 2"),
        ("retargeted", "target 24h -> 16h"),
    ]
    assert moved.json()["tracker"]["process_version"] == 2
    assert moved.json()["tracker"]["milestones"][2]["target"] == "PT16H"
    same = await client.post(f"/cases/{case_id}/process", json={"version": 2})
    assert same.status_code == 409
    assert same.json() == {"detail": "the case already runs version 2"}
    missing = await client.post(f"/cases/{case_id}/process", json={"version": 5})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["msg"] == (
        "process 'Premium' has no version 5: its latest is 2"
    )


async def test_timeline_lists_events_in_order(case_api: CaseApi, app: FastAPI) -> None:
    client = case_api.client
    await stormhaven(client)
    case_id = (await start(client)).json()["case_id"]
    await client.post(f"/cases/{case_id}/pause", json={"reason": "waiting"})
    timeline = await client.get(f"/cases/{case_id}/timeline")
    assert timeline.status_code == 200
    kinds = [event["kind"] for event in timeline.json()]
    assert kinds == ["opened", "started", "started", "started", "paused"]
