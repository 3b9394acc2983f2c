"""Cases that start on an entitlement (`POST /cases` with `entitlement`, or with neither it nor
`process`): the account's entitlement that applies on the opening day in its zone, to the second,
else a default one, else no milestones and why; its business hours replace the process's; its
allowance counts each case once, however often the start is retried; the tracker, timeline,
search attributes, records and reports carry it."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.helpers.api import CaseApi
from tests.helpers.factories import create_calendar, premium_body, stormhaven
from workflows.contract import case_workflow_id
from workflows.search_attributes import ENTITLEMENT, ENTITLEMENT_PROCESS

CLOUD = {"all": [{"field": "product", "op": "eq", "value": "Cloud"}]}
MONDAY_16_30_GMT = datetime(2026, 11, 23, 16, 30, tzinfo=UTC)
"""17:00 closes London an hour before New York's 17:00 EST (22:00Z): 1 h of business time from
here ends Tuesday 09:30 in London, and 12:30 EST (17:30Z) in New York."""


def new_case_id() -> str:
    return f"ENT-{uuid.uuid4().hex[:10]}"


async def configure(client: httpx.AsyncClient) -> None:
    """Stormhaven's New York process "Premium", a "Basic" one that runs around the clock, and
    London business hours."""
    await stormhaven(client)
    await create_calendar(client, name="London office", time_zone="Europe/London")
    basic = premium_body("Basic", business_hours=None)
    assert (await client.post("/entitlement-processes", json=basic)).status_code == 201


async def entitle(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    body = {"account_id": "ACME", "process": "Premium", **body}
    response = await client.post("/entitlements", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def start(
    client: httpx.AsyncClient, opened_at: datetime | None = None, **body: Any
) -> httpx.Response:
    body = {"case_id": new_case_id(), **body}
    body.setdefault("fields", {"status": "New", "stage": "New", "account_id": "ACME"})
    if opened_at is not None:
        body["opened_at"] = opened_at.isoformat()
    return await client.post("/cases", json=body)


def fields(**more: Any) -> dict[str, Any]:
    return {"status": "New", "stage": "New", "account_id": "ACME", **more}


async def test_the_accounts_entitlement_that_applies_brings_process_and_business_hours(
    case_api: CaseApi,
) -> None:
    client = case_api.client
    await configure(client)
    await entitle(
        client,
        name="Premium Cloud",
        applies_when=CLOUD,
        priority=10,
        business_hours="London office",
    )
    await entitle(client, name="Basic", process="Basic")

    cloud = await start(client, MONDAY_16_30_GMT, fields=fields(product="Cloud"))
    assert cloud.status_code == 201, cloud.text
    tracker = cloud.json()
    assert (tracker["process"], tracker["entitlement"]) == (
        "Premium",
        {
            "name": "Premium Cloud",
            "account_id": "ACME",
            "reason": "entitlement 'Premium Cloud' of account 'ACME' applies (priority 10, the "
            "case opened on 2026-11-23 in Europe/London); it outranks 'Basic' (priority 0)",
            "over_allowance": False,
        },
    )
    first_response = tracker["milestones"][0]
    # London's hours, not the process's New York ones (which would give 17:30Z the same day).
    assert first_response["target_at"] == "2026-11-24T09:30:00Z"

    handle = case_api.env.client.get_workflow_handle(case_workflow_id(tracker["case_id"]))
    attributes = (await handle.describe()).typed_search_attributes
    assert (attributes.get(ENTITLEMENT), attributes.get(ENTITLEMENT_PROCESS)) == (
        "Premium Cloud",
        "Premium",
    )
    timeline = (await client.get(f"/cases/{tracker['case_id']}/timeline")).json()
    assert timeline[0]["kind"] == "opened"
    assert timeline[0]["detail"].startswith(
        "process Premium v1 · entitlement 'Premium Cloud': entitlement 'Premium Cloud' of "
    )

    other = await start(client, MONDAY_16_30_GMT, fields=fields(product="On-premises"))
    assert other.status_code == 201, other.text
    assert (other.json()["process"], other.json()["entitlement"]["name"]) == ("Basic", "Basic")
    assert other.json()["entitlement"]["reason"].startswith(
        "entitlement 'Basic' of account 'ACME' applies (priority 0, the case opened on "
        "2026-11-23 in UTC)"
    )


async def test_the_opening_day_decides_to_the_second_in_the_entitlements_zone(
    case_api: CaseApi,
) -> None:
    """June 2026 in London is BST (+01:00): its first second is 2026-05-31T23:00:00Z and its
    last 2026-06-30T22:59:59Z."""
    client = case_api.client
    await configure(client)
    await entitle(
        client,
        name="June",
        business_hours="London office",
        starts_on="2026-06-01",
        ends_on="2026-06-30",
    )
    first = datetime(2026, 5, 31, 23, tzinfo=UTC)
    last = datetime(2026, 6, 30, 22, 59, 59, tzinfo=UTC)
    outcomes: dict[datetime, str | None] = {}
    reasons: dict[datetime, str] = {}
    for opened_at in (first - timedelta(seconds=1), first, last, last + timedelta(seconds=1)):
        response = await start(client, opened_at)
        assert response.status_code == 201, response.text
        chosen = response.json()["entitlement"]
        outcomes[opened_at] = chosen["name"]
        reasons[opened_at] = chosen["reason"]
    assert list(outcomes.values()) == [None, "June", "June", None]
    assert reasons[first - timedelta(seconds=1)] == (
        "no entitlement of account 'ACME' applies: 'June' starts on 2026-06-01 (the case opened "
        "on 2026-05-31 in Europe/London)"
    )
    assert reasons[last + timedelta(seconds=1)] == (
        "no entitlement of account 'ACME' applies: 'June' ended on 2026-06-30 (the case opened "
        "on 2026-07-01 in Europe/London)"
    )


async def test_no_entitlement_means_no_milestones_and_why_unless_a_default_applies(
    case_api: CaseApi,
) -> None:
    client = case_api.client
    await configure(client)
    await entitle(client, name="Premium", applies_when=CLOUD)

    bare = await start(client, fields=fields(product="Desktop"))
    assert bare.status_code == 201, bare.text
    tracker = bare.json()
    assert (tracker["process"], tracker["milestones"], tracker["sla_state"]) == (
        "none",
        [],
        "on_track",
    )
    reason = "no entitlement of account 'ACME' applies: 'Premium' applies when product eq 'Cloud'"
    assert tracker["entitlement"] == {
        "name": None,
        "account_id": "ACME",
        "reason": reason,
        "over_allowance": False,
    }
    timeline = (await client.get(f"/cases/{tracker['case_id']}/timeline")).json()
    assert timeline[0]["detail"] == f"process none v1 · no entitlement: {reason}"

    await entitle(client, name="Standard", account_id=None, process="Basic")
    defaulted = await start(client, MONDAY_16_30_GMT, fields=fields(product="Desktop"))
    assert defaulted.status_code == 201, defaulted.text
    assert defaulted.json()["process"] == "Basic"
    assert defaulted.json()["entitlement"]["name"] == "Standard"
    assert defaulted.json()["entitlement"]["account_id"] is None
    assert defaulted.json()["entitlement"]["reason"].endswith(
        "; entitlement 'Standard' by default applies (priority 0, the case opened on "
        "2026-11-23 in UTC)"
    )
    # A case without an account gets the default.
    anonymous = await start(client, fields={"status": "New", "stage": "New"})
    assert anonymous.json()["entitlement"]["name"] == "Standard"
    # "none" belongs to such cases: no process may take the name.
    reserved = await client.post("/entitlement-processes", json=premium_body("None"))
    assert reserved.status_code == 422
    assert "the process name 'none' is reserved" in reserved.text


async def test_two_entitlements_that_tie_are_a_409_that_names_them(case_api: CaseApi) -> None:
    client = case_api.client
    await configure(client)
    await entitle(client, name="Gold", priority=5)
    await entitle(client, name="Silver", priority=5, process="Basic")
    await entitle(client, name="Bronze", priority=1, process="Basic")
    tie = await start(client)
    assert tie.status_code == 409
    assert tie.json()["detail"] == (
        "entitlements 'Gold' and 'Silver' of account 'ACME' all apply to the case with priority "
        "5: give one a higher priority, narrow their conditions, or name the entitlement when "
        "starting the case"
    )
    named = await start(client, entitlement="silver")
    assert named.status_code == 201, named.text
    assert (named.json()["process"], named.json()["entitlement"]["name"]) == ("Basic", "Silver")
    assert named.json()["entitlement"]["reason"].startswith("named by the case's start")


async def test_a_named_entitlement_must_exist_and_cover_the_case(case_api: CaseApi) -> None:
    client = case_api.client
    await configure(client)
    await entitle(client, name="Premium", ends_on="2026-01-31")
    gone = await start(client, entitlement="Premium")
    assert gone.status_code == 422
    assert gone.json()["detail"][0]["loc"] == ["body", "entitlement"]
    assert gone.json()["detail"][0]["msg"].startswith(
        "the entitlement does not cover this case: 'Premium' ended on 2026-01-31"
    )
    unknown = await start(client, entitlement="Platinum")
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["msg"] == (
        "account 'ACME' has no entitlement named 'Platinum', and no default one has that name: "
        "see GET /entitlements"
    )
    both = await start(client, entitlement="Premium", process="Premium")
    assert both.status_code == 422
    assert "name the process or the entitlement" in both.text
    version_alone = await start(client, version=1)
    assert version_alone.status_code == 422
    assert "version needs process" in version_alone.text


async def test_an_allowance_counts_each_case_once_then_refuses(case_api: CaseApi) -> None:
    client = case_api.client
    await configure(client)
    created = await entitle(client, name="Incidents", cases_allowed=2)
    first_id = new_case_id()
    first = await start(client, case_id=first_id)
    assert first.status_code == 201, first.text
    again = await start(client, case_id=first_id)  # a retried start counts nothing
    assert again.status_code == 200, again.text
    assert (await start(client)).status_code == 201
    read = (await client.get(f"/entitlements/{created['id']}")).json()
    assert (read["cases_used"], read["cases_remaining"]) == (2, 0)

    refused = await start(client)
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "entitlement 'Incidents' has used all 2 of its cases, and refuses more: raise "
        "cases_allowed, or start the case on another entitlement or process"
    )
    # The first case, retried once the allowance is used up, is still the case it was.
    assert (await start(client, case_id=first_id)).status_code == 200
    assert (await client.get(f"/entitlements/{created['id']}")).json()["cases_used"] == 2


async def test_a_used_up_allowance_that_flags_starts_the_case_flagged(case_api: CaseApi) -> None:
    client = case_api.client
    await configure(client)
    created = await entitle(client, name="Incidents", cases_allowed=1, on_exhausted="flag")
    assert (await start(client)).json()["entitlement"]["over_allowance"] is False
    flagged_id = new_case_id()
    flagged = await start(client, case_id=flagged_id)
    assert flagged.status_code == 201, flagged.text
    assert flagged.json()["entitlement"]["over_allowance"] is True
    assert (await start(client, case_id=flagged_id)).json()["entitlement"]["over_allowance"]
    timeline = (await client.get(f"/cases/{flagged_id}/timeline")).json()
    assert "over its allowance of cases (flagged)" in timeline[0]["detail"]
    assert (await client.get(f"/entitlements/{created['id']}")).json()["cases_used"] == 1


async def test_records_and_reports_carry_the_entitlement(case_api: CaseApi) -> None:
    client = case_api.client
    await configure(client)
    await entitle(client, name="Premium Cloud", applies_when=CLOUD, priority=1)
    await entitle(client, name="Basic", process="Basic")
    now = datetime.now(UTC)
    # Opened two hours ago: First Response (1 h) of the around-the-clock Basic case is missed.
    opened = now - timedelta(hours=2)
    for product in ("Cloud", "Desktop"):
        response = await start(client, opened, fields=fields(product=product))
        assert response.status_code == 201, response.text
    report = await client.get(
        "/reports/compliance",
        params={
            "group_by": "entitlement",
            "from": (now - timedelta(days=1)).isoformat(),
            "to": (now + timedelta(days=1)).isoformat(),
        },
    )
    assert report.status_code == 200, report.text
    groups = {group["key"]: group for group in report.json()["groups"]}
    assert groups["Basic"]["violated_open"] >= 1
    only = await client.get(
        "/reports/compliance",
        params={
            "group_by": "milestone_type",
            "entitlement": "Basic",
            "from": (now - timedelta(days=1)).isoformat(),
            "to": (now + timedelta(days=1)).isoformat(),
        },
    )
    assert only.status_code == 200, only.text
    assert only.json()["total"]["violated_open"] == groups["Basic"]["violated_open"]


async def test_a_changed_entitlement_reaches_a_running_case_only_through_its_process(
    case_api: CaseApi,
) -> None:
    client = case_api.client
    created = await stormhaven(client)
    await create_calendar(client, name="London office", time_zone="Europe/London")
    london = await entitle(client, name="Premium", business_hours="London office")
    case_id = (await start(client, MONDAY_16_30_GMT)).json()["case_id"]
    # Back to the process's New York hours, and ended: the running case keeps what it pinned.
    changed = await client.patch(
        f"/entitlements/{london['id']}", json={"business_hours": None, "ends_on": "2026-11-24"}
    )
    assert changed.status_code == 200, changed.text
    tracker = (await client.get(f"/cases/{case_id}")).json()
    assert tracker["milestones"][0]["target_at"] == "2026-11-24T09:30:00Z"
    assert tracker["entitlement"]["name"] == "Premium"
    # A new version applied to the case brings the entitlement's business hours as they are now.
    body = premium_body()
    del body["name"]
    versions = f"/entitlement-processes/{created['id']}/versions"
    assert (await client.post(versions, json=body)).status_code == 201
    # Applied as of the opening, so the whole hour counts in New York: 17:30Z the same day.
    change = {"version": 2, "at": MONDAY_16_30_GMT.isoformat()}
    moved = await client.post(f"/cases/{case_id}/process", json=change, params={"tracker": "true"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["tracker"]["milestones"][0]["target_at"] == "2026-11-23T17:30:00Z"
