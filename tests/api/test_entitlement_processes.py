"""`/entitlement-processes`: processes and their immutable versions, validated by the contract's
`EntitlementProcess` with field-level messages."""

import socket
import threading
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from temporalio.exceptions import ApplicationError

from activities.mail import render_message
from activities.settings import DestinationRules
from activities.webhook import deliver_webhook
from api.deps import Services
from tests.helpers.actions import Names, action, settings_for
from tests.helpers.factories import create_calendar, create_type, premium_body, stormhaven
from tests.helpers.stormhaven import premium


def _errors(response: httpx.Response) -> list[tuple[list[Any], str]]:
    assert response.status_code == 422, response.text
    return [(error["loc"], error["msg"]) for error in response.json()["detail"]]


async def test_create_process_snapshots_the_contract_model(admin: httpx.AsyncClient) -> None:
    created = await stormhaven(admin)
    assert (created["name"], created["latest_version"]) == ("Premium", 1)
    # What the tests of the workflow run is what the API stores: tests/stormhaven.py's premium().
    assert created["definition"] == premium().model_dump(mode="json")
    read = await admin.get(f"/entitlement-processes/{created['id']}")
    assert read.json() == created
    listing = await admin.get("/entitlement-processes")
    assert listing.json() == {"data": [created], "count": 1}


async def test_create_process_copies_type_fields_and_canonical_names(
    admin: httpx.AsyncClient,
) -> None:
    await create_calendar(admin)
    await create_type(
        admin,
        "Customer Update",
        color="#9467bd",
        recurrence="sequential",
        reporting_category="Cadence",
    )
    body = {
        "name": "Cadence",
        "business_hours": "stormhaven us",
        "milestones": [
            {
                "milestone_type": "customer UPDATE",
                "start_from": "criteria",
                "start_when": {"events": ["customer_replied"]},
                "target": [
                    {
                        "when": {"all": [{"field": "priority", "op": "eq", "value": "High"}]},
                        "target": "2h",
                    },
                    {"target": "8h"},
                ],
            }
        ],
    }
    response = await admin.post("/entitlement-processes", json=body)
    assert response.status_code == 201, response.text
    definition = response.json()["definition"]
    assert definition["business_hours"] == "Stormhaven US"
    [milestone] = definition["milestones"]
    assert (milestone["name"], milestone["color"], milestone["recurrence"]) == (
        "Customer Update",
        "#9467BD",
        "sequential",
    )
    assert milestone["reporting_category"] == "Cadence"
    assert [rule["target"] for rule in milestone["target"]] == ["PT2H", "PT8H"]


async def test_create_process_reports_every_problem_by_field(admin: httpx.AsyncClient) -> None:
    await create_calendar(admin)
    await create_type(admin, "First Response")
    retired = await create_type(admin, "Retired", active=False)
    body = {
        "name": "Broken",
        "business_hours": "Nowhere",
        "milestones": [
            {"milestone_type": "Unknown", "target": "1h"},
            {"milestone_type": "Retired", "target": "1h"},
            {
                "milestone_type": "First Response",
                "business_hours": "Mars",
                "target": "1h",
                "actions": {"warning": [{"handler": "webhook", "before_target": "1h"}]},
            },
        ],
    }
    response = await admin.post("/entitlement-processes", json=body)
    assert _errors(response) == [
        (
            ["body", "milestones", 0, "milestone_type"],
            "unknown milestone type 'Unknown' among the global milestone types: create it under "
            "/milestone-types first",
        ),
        (
            ["body", "milestones", 1, "milestone_type"],
            f"milestone type 'Retired' is inactive: activate it (PATCH "
            f'/milestone-types/{retired["id"]} {{"active": true}}) or choose another',
        ),
        (
            ["body", "milestones", 2, "business_hours"],
            "unknown business hours 'Mars': create them under /business-hours first (known: "
            "'Stormhaven US')",
        ),
        (
            ["body", "business_hours"],
            "unknown business hours 'Nowhere': create them under /business-hours first (known: "
            "'Stormhaven US')",
        ),
        (
            ["body", "milestones", 2],
            "Value error, warning 1 of 'First Response' fires 1:00:00 before a target of "
            "1:00:00: that is at or before the start; make it shorter",
        ),
    ]
    assert (await admin.get("/entitlement-processes")).json()["count"] == 0


async def test_create_process_rejects_bad_shapes(admin: httpx.AsyncClient) -> None:
    await create_type(admin, "First Response")
    zero = premium_body(milestones=[{"milestone_type": "First Response", "target": "0m"}])
    assert _errors(await admin.post("/entitlement-processes", json=zero)) == [
        (
            ["body", "milestones", 0, "target", "duration"],
            "Value error, a target must be longer than zero",
        )
    ]
    negative = premium_body(milestones=[{"milestone_type": "First Response", "target": "-PT1H"}])
    assert _errors(await admin.post("/entitlement-processes", json=negative)) == [
        (
            ["body", "milestones", 0, "target", "duration"],
            "Value error, duration must not be negative, got -1 day, 23:00:00",
        )
    ]
    operator = premium_body(
        milestones=[
            {
                "milestone_type": "First Response",
                "target": "1h",
                "complete_when": {"all": [{"field": "status", "op": "like", "value": "x"}]},
            }
        ]
    )
    [(loc, msg)] = _errors(await admin.post("/entitlement-processes", json=operator))
    assert loc == ["body", "milestones", 0, "complete_when", "all", 0, "op"]
    assert msg.startswith("Input should be 'eq', 'ne', 'in', 'not_in'")
    too_many = premium_body(
        business_hours=None,
        milestones=[{"milestone_type": "First Response", "target": "1h"}] * 26,
    )
    assert _errors(await admin.post("/entitlement-processes", json=too_many)) == [
        (["body", "milestones"], "List should have at most 25 items after validation, not 26")
    ]
    twice = premium_body(
        business_hours=None,
        milestones=[{"milestone_type": "First Response", "target": "1h"}] * 2,
    )
    assert _errors(await admin.post("/entitlement-processes", json=twice)) == [
        (
            ["body", "milestones"],
            "Value error, milestone 'First Response' appears twice: names are unique",
        )
    ]
    no_rules = premium_body(
        business_hours=None, milestones=[{"milestone_type": "First Response", "target": []}]
    )
    assert _errors(await admin.post("/entitlement-processes", json=no_rules)) == [
        (
            ["body", "milestones", 0, "target"],
            "Value error, give a target duration or at least one target rule",
        )
    ]


async def test_process_name_unique(admin: httpx.AsyncClient) -> None:
    await stormhaven(admin)
    response = await admin.post("/entitlement-processes", json=premium_body("PREMIUM"))
    assert response.status_code == 409
    assert response.json() == {
        "detail": "an entitlement process named 'Premium' already exists: publish a new version "
        "of it, or choose another name"
    }


async def test_publish_version_is_immutable_and_listed(admin: httpx.AsyncClient) -> None:
    created = await stormhaven(admin)
    path = f"/entitlement-processes/{created['id']}"
    body = premium_body()
    del body["name"]
    body["milestones"][0]["target"] = "2h"
    body["notes"] = "First response relaxed to 2 h"
    published = await admin.post(f"{path}/versions", json=body)
    assert published.status_code == 201, published.text
    assert published.json()["version"] == 2
    assert published.json()["definition"]["milestones"][0]["target"] == "PT2H"
    assert published.json()["notes"] == "First response relaxed to 2 h"

    versions = await admin.get(f"{path}/versions")
    assert [v["version"] for v in versions.json()["data"]] == [1, 2]
    assert versions.json()["data"][0]["definition"] == created["definition"]
    one = await admin.get(f"{path}/versions/1")
    assert one.json()["definition"]["milestones"][0]["target"] == "PT1H"
    latest = await admin.get(path)
    assert latest.json()["latest_version"] == 2
    assert (await admin.put(f"{path}/versions/1", json=body)).status_code == 405
    assert (await admin.delete(f"{path}/versions/1")).status_code == 405
    missing = await admin.get(f"{path}/versions/3")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "process 'Premium' has no version 3: its latest is 2"}
    unknown = await admin.post("/entitlement-processes/999/versions", json=body)
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "entitlement process 999 does not exist"}


async def test_inactive_type_stays_on_published_versions(admin: httpx.AsyncClient) -> None:
    created = await stormhaven(admin)
    triage = next(
        t for t in (await admin.get("/milestone-types")).json()["data"] if t["name"] == "Triage"
    )
    deactivated = await admin.patch(f"/milestone-types/{triage['id']}", json={"active": False})
    assert deactivated.json()["active"] is False
    kept = await admin.get(f"/entitlement-processes/{created['id']}/versions/1")
    assert [m["name"] for m in kept.json()["definition"]["milestones"]] == [
        "First Response",
        "Triage",
        "Resolution",
    ]
    body = premium_body()
    del body["name"]
    refused = await admin.post(f"/entitlement-processes/{created['id']}/versions", json=body)
    assert _errors(refused) == [
        (
            ["body", "milestones", 1, "milestone_type"],
            f"milestone type 'Triage' is inactive: activate it (PATCH "
            f'/milestone-types/{triage["id"]} {{"active": true}}) or choose another',
        )
    ]
    deleted = await admin.delete(f"/milestone-types/{triage['id']}")
    assert deleted.status_code == 409
    assert deleted.json() == {
        "detail": "milestone type 'Triage' is used by published process 'Premium' version 1: "
        'deactivate it instead (PATCH {"active": false})'
    }


async def test_account_process_prefers_its_accounts_types(admin: httpx.AsyncClient) -> None:
    await create_type(admin, "Response", color="#111111")
    await create_type(admin, "Response", color="#222222", scope="account", account_id="ACME")
    await create_type(admin, "Other", scope="account", account_id="GLOBEX")
    body = {
        "name": "Acme",
        "account_id": "ACME",
        "milestones": [{"milestone_type": "response", "target": "1h"}],
    }
    response = await admin.post("/entitlement-processes", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["definition"]["milestones"][0]["color"] == "#222222"
    foreign = {**body, "name": "Acme2", "milestones": [{"milestone_type": "Other", "target": "1h"}]}
    assert _errors(await admin.post("/entitlement-processes", json=foreign)) == [
        (
            ["body", "milestones", 0, "milestone_type"],
            "unknown milestone type 'Other' for account 'ACME' or globally: create it under "
            "/milestone-types first",
        )
    ]
    both = {**body, "name": "Both", "relationship_type": "Partner"}
    assert _errors(await admin.post("/entitlement-processes", json=both)) == [
        (["body"], "Value error, give account_id or relationship_type, not both")
    ]


def refusal_by_delivery(handler: str, params: dict[str, Any], rules: DestinationRules) -> str:
    """What the handler itself records when such an action falls due (final failures only)."""
    settings = settings_for("sqlite://", webhook_allowed_hosts=rules.webhook_allowed_hosts)
    settings.resolve = rules.resolve
    with pytest.raises(ApplicationError) as refused:
        {"webhook": deliver_webhook, "email": lambda r, s: render_message(r, s.mail_from)}[handler](
            action(handler, params), settings
        )
    assert refused.value.non_retryable
    return refused.value.message


async def test_publishing_refuses_actions_the_workers_would_refuse_in_the_deliverys_words(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    process = await stormhaven(admin)
    services: Services = app.state.services
    rules = DestinationRules(
        webhook_allowed_hosts=["hooks.example.com", "intranet.example"],
        resolve=Names({"evil.example": [["10.1.2.3"]], "hooks.example.com": [["93.184.215.14"]]}),
    )
    services.destinations = rules
    body = {k: v for k, v in premium_body().items() if k != "name"}
    first, triage, resolution = body["milestones"]
    first["actions"] = {"violation": [{"handler": "slack", "params": {"channel": "#sla"}}]}
    outside = {"url": "https://crm.example/hooks/triage"}
    triage["actions"] = {
        "warning": [{"handler": "webhook", "params": outside, "before_target": "15m"}],
        "violation": [{"handler": "webhook", "params": {"url": "https://hooks.example.com/x"}}],
    }
    no_recipient = {"subject": "late: $case_id"}
    resolution["actions"] = {"success": [{"handler": "email", "params": no_recipient}]}
    refused = await admin.post(f"/entitlement-processes/{process['id']}/versions", json=body)
    assert _errors(refused) == [
        (
            ["body", "milestones", 0, "actions", "violation", 0, "handler"],
            "no handler named 'slack': the workers run webhook, email, case_update, escalate",
        ),
        (
            ["body", "milestones", 1, "actions", "warning", 0, "params"],
            "host crm.example is not in SLA_WEBHOOK_ALLOWED_HOSTS: add it to call it",
        ),
        (
            ["body", "milestones", 2, "actions", "success", 0, "params"],
            refusal_by_delivery("email", no_recipient, rules),
        ),
    ]
    assert refused.json()["detail"][1]["msg"] == refusal_by_delivery("webhook", outside, rules)
    # An allowed host is published; so is one that does not resolve now (its delivery retries).
    first["actions"] = {"violation": [{"handler": "webhook", "params": {"url": "https://x.test"}}]}
    triage["actions"]["warning"] = []
    resolution["actions"] = {}
    rules.webhook_allowed_hosts.append("x.test")
    published = await admin.post(f"/entitlement-processes/{process['id']}/versions", json=body)
    assert published.status_code == 201, published.text


async def test_publishing_refuses_webhooks_to_internal_addresses_unless_allowed(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    services: Services = app.state.services
    rules = DestinationRules(resolve=Names({"intranet.example": [["10.1.2.3"]]}))
    services.destinations = rules
    await stormhaven(admin)
    for url in ("http://intranet.example/hooks", "http://127.0.0.1:8001/hooks", "ftp://x.test/"):
        hook = {"handler": "webhook", "params": {"url": url}}
        body = premium_body("Inside")
        body["milestones"][0]["actions"] = {"violation": [hook]}
        refused = await admin.post("/entitlement-processes", json=body)
        assert _errors(refused) == [
            (
                ["body", "milestones", 0, "actions", "violation", 0, "params"],
                refusal_by_delivery("webhook", hook["params"], rules),
            )
        ], url
    rules.webhook_allowed_hosts += ["127.0.0.1:8001", "crm.example"]
    body = premium_body("Inside")
    body["milestones"][0]["actions"] = {
        "violation": [{"handler": "webhook", "params": {"url": "http://127.0.0.1:8001/hooks"}}]
    }
    assert (await admin.post("/entitlement-processes", json=body)).status_code == 201


async def test_publishing_waits_a_bounded_time_for_a_webhook_hosts_addresses(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await stormhaven(admin)
    unanswered = threading.Event()
    answers: list[str] = []

    def silent(host: str) -> list[str]:
        if host != "slow.example":
            raise socket.gaierror(socket.EAI_NONAME, host)
        unanswered.wait(30)  # a name server that does not answer
        answers.append(host)
        return ["10.1.2.3"]

    services: Services = app.state.services
    services.destinations = DestinationRules(resolve=silent)
    body = premium_body("Slow DNS")
    body["milestones"][0]["actions"] = {
        "violation": [{"handler": "webhook", "params": {"url": "https://slow.example/h"}}]
    }
    published = await admin.post("/entitlement-processes", json=body)
    # Answered while the name server still had not: the delivery checks the host when it runs.
    assert answers == []
    unanswered.set()
    assert published.status_code == 201, published.text
