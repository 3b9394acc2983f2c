"""An `agent` key reads what it works from: a case's tracker, its timeline and the listing (the
console's My cases lists on a real server in tests/console); it still cannot read configuration,
and a `case_system` key cannot read cases."""

import uuid

import httpx
from fastapi import FastAPI

from tests.helpers.api import CaseApi, client_for, key_with
from tests.helpers.factories import stormhaven


async def test_an_agent_reads_a_case_and_its_timeline(case_api: CaseApi) -> None:
    await stormhaven(case_api.client, name="AgentReads")
    case_id = f"A-{uuid.uuid4()}"
    started = await case_api.client.post(
        "/cases", json={"case_id": case_id, "process": "AgentReads", "fields": {"status": "New"}}
    )
    assert started.status_code == 201, started.text
    async with client_for(case_api.app, await key_with(case_api.client, "agent")) as agent:
        tracker = await agent.get(f"/cases/{case_id}")
        assert tracker.status_code == 200, tracker.text
        assert tracker.json()["case_id"] == case_id
        assert [m["name"] for m in tracker.json()["milestones"]] == [
            "First Response",
            "Triage",
            "Resolution",
        ]
        timeline = await agent.get(f"/cases/{case_id}/timeline")
        assert timeline.status_code == 200, timeline.text
        assert timeline.json()[0]["kind"] == "opened"
        paused = await agent.post(f"/cases/{case_id}/pause", json={"reason": "on a call"})
        assert paused.status_code == 200, paused.text
        again = await agent.get(f"/cases/{case_id}/timeline")
        assert again.json()[-1]["kind"] == "paused"


async def test_case_reads_need_the_ops_or_agent_role(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    async with client_for(app, await key_with(admin, "agent")) as agent:
        # Past the key check: Temporal is down in this test.
        for path in ("/cases", "/cases/C-1", "/cases/C-1/timeline"):
            assert (await agent.get(path)).status_code == 503, path
        refused = await agent.get("/milestone-types")
        assert refused.status_code == 403
    async with client_for(app, await key_with(admin, "case_system")) as case_system:
        for path in ("/cases", "/cases/C-1", "/cases/C-1/timeline"):
            refused = await case_system.get(path)
            assert refused.status_code == 403, path
            assert refused.json() == {
                "detail": "API key 'case_system' (roles: case_system) cannot read cases: that "
                "needs the 'ops' or 'agent' roles"
            }
