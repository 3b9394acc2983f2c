"""One Stormhaven premium case driven only over HTTP, from configuration to close: the API on the
time-skipping server with a worker running the real workflow and recording fake actions. The
same story as tests/workflows/test_case_sla.py::test_stormhaven_premium_case, so the instants
must be the same."""

from collections import Counter

from tests.helpers.api import CaseApi
from tests.helpers.cases import (
    at,
    milestone_events,
    next_weekday,
    now,
    ran,
    stormhaven_story,
    travel_to,
)
from tests.helpers.factories import stormhaven
from tests.helpers.stormhaven import WAITING
from workflows.contract import CaseTracker, TimelineEvent, case_workflow_id

FRIDAY = 4


async def test_stormhaven_case_over_http(case_api: CaseApi) -> None:
    client, env = case_api.client, case_api.env
    process = await stormhaven(client)
    assert process["definition"]["milestones"][0]["color"] == "#D62728"

    friday = next_weekday(await now(env), FRIDAY, 16, 30)
    await travel_to(env, friday)
    case_id = "SH-HTTP-1001"
    started = await client.post(
        "/cases",
        json={
            "case_id": case_id,
            "process": "Premium",
            "opened_at": friday.isoformat(),
            "fields": {"status": "New", "stage": "New", "priority": "High", "account_id": "ACME"},
        },
    )
    assert started.status_code == 201, started.text
    first = CaseTracker.model_validate(started.json())
    assert [m.target_at for m in first.milestones] == [
        at(friday, 3, 9, 30),  # 30 min on Friday, 30 on Monday
        at(friday, 3, 12, 30),
        at(friday, 5, 16, 30),  # 24 h: three business days
    ]
    path = f"/cases/{case_id}"

    monday = at(friday, 3, 0)
    await travel_to(env, at(monday, 0, 9, 20))
    waiting = await client.patch(path, json={"fields": {"status": WAITING}})
    assert waiting.status_code == 200, waiting.text
    assert waiting.json()["sla_state"] == "paused"
    tracker = await client.get(path)
    assert (tracker.json()["sla_state"], tracker.json()["next_deadline"]) == ("paused", None)
    await travel_to(env, at(monday, 0, 10, 20))
    assert (await client.patch(path, json={"fields": {"status": "Open"}})).status_code == 200
    await travel_to(env, at(monday, 0, 10, 25))
    replied = await client.post(f"{path}/events", json={"type": "agent_replied"})
    assert [(c["kind"], c["milestone"]) for c in replied.json()["changes"]] == [
        ("completed", "First Response")
    ]
    await travel_to(env, at(monday, 0, 16, 0))
    assert (await client.get(path)).json()["sla_state"] == "violated"
    assert (await client.patch(path, json={"fields": {"stage": "Fixing"}})).status_code == 200
    await travel_to(env, at(monday, 2, 12, 0))
    closed = await client.post(f"{path}/close", json={"fields": {"status": "Solved"}})
    assert closed.status_code == 200, closed.text
    assert closed.json()["sla_state"] == "done"
    await env.client.get_workflow_handle(case_workflow_id(case_id)).result()

    result = CaseTracker.model_validate((await client.get(path)).json())
    expected_actions, expected_events = stormhaven_story(monday)
    assert ran(result) == expected_actions
    # Before the pause nothing is shifted by command latency: the first warning is exact.
    warning = result.milestones[0].actions[0]
    assert (warning.kind, warning.due_at) == ("warning", at(monday, 0, 9, 15))
    states = {m.name: (m.state, m.violated) for m in result.milestones}
    assert states == {
        "First Response": ("completed", False),
        "Triage": ("completed", True),
        "Resolution": ("completed", False),
    }
    assert Counter(case_api.recorder.keys()) == Counter(
        action.idempotency_key for m in result.milestones for action in m.actions
    )
    assert all(count == 1 for count in Counter(case_api.recorder.keys()).values())

    response = await client.get(f"{path}/timeline")
    assert response.status_code == 200
    timeline = [TimelineEvent.model_validate(event) for event in response.json()]
    assert milestone_events(timeline) == expected_events
    assert [(e.kind, e.at) for e in timeline[:2]] == [("opened", friday), ("started", friday)]
    assert timeline[-1].kind == "closed"
    assert [event.at for event in timeline] == sorted(event.at for event in timeline)
