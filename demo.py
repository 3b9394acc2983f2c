"""The demo: Stormhaven Insurance's configuration, loaded over the HTTP API, and a scenario that
opens cases, pauses, resumes, completes, and lets some milestones breach.

    python -m demo load   # the configuration, once (make run does it): safe to run again
    python -m demo run    # the scenario against the running stack (make demo)

Everything goes through the API with the development admin key (`var/dev-api-key`), exactly as a
case system would use it, with the `sla` CLI's client and renderer (`terminal`).
"""

import argparse
import os
import sys
import time
import uuid
from typing import Any

from rich.console import Console

from terminal.client import (
    DEFAULT_API_URL,
    DEFAULT_UI_URL,
    KEY_FILE,
    Api,
    ApiError,
    Settings,
    dev_key,
)
from terminal.render import render_trackers

DEMO_CASE_SYSTEM = os.environ.get("SLA_DEMO_CASE_SYSTEM", "http://127.0.0.1:8001")

# The seed's milestone types (Gainsight's examples and Salesforce's service milestones), with the
# colors reports use and their display order. One is local to the ACME account.
MILESTONE_TYPES: list[dict[str, Any]] = [
    {"name": "First Response", "color": "#D62728", "reporting_category": "Responsiveness"},
    {"name": "Triage", "color": "#FF7F0E", "reporting_category": "Responsiveness"},
    {"name": "Resolution", "color": "#2CA02C", "reporting_category": "Resolution"},
    {
        "name": "Customer Update",
        "color": "#1F77B4",
        "reporting_category": "Communication",
        "recurrence": "sequential",
        "description": "Update the customer every business day",
    },
    {"name": "Project Kickoff", "color": "#9467BD", "reporting_category": "Journey"},
    {"name": "Training Completed", "color": "#8C564B", "reporting_category": "Journey"},
    {"name": "Go Live", "color": "#E377C2", "reporting_category": "Journey"},
    {"name": "Quarterly Business Review", "color": "#7F7F7F", "reporting_category": "Journey"},
    {
        "name": "Executive Review",
        "color": "#BCBD22",
        "scope": "account",
        "account_id": "ACME",
        "reporting_category": "Journey",
    },
]

US_OFFICE: dict[str, Any] = {
    "name": "US Office",
    "time_zone": "America/New_York",
    "weekly": {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holiday_country": "US",
}
AROUND_THE_CLOCK: dict[str, Any] = {"name": "24x7", "time_zone": "UTC", "always_open": True}

WAITING = "Waiting on Customer"


def _hook(path: str) -> dict[str, Any]:
    return {"handler": "webhook", "params": {"url": f"{DEMO_CASE_SYSTEM}/hooks/{path}"}}


def _actions(path: str, warn_before: str, escalate_after: str) -> dict[str, Any]:
    return {
        "success": [_hook(path)],
        "warning": [{**_hook(path), "before_target": warn_before}],
        "violation": [
            _hook(path),
            {"handler": "escalate", "params": {"queue": "tier2"}, "after_target": escalate_after},
            {
                "handler": "email",
                "params": {"to": ["duty-manager@stormhaven.test"]},
                "after_target": escalate_after,
            },
        ],
    }


def premium(business_hours: str = "US Office", scale: str = "h") -> dict[str, Any]:
    """Stormhaven's premium policyholders: 1 h, 4 h, 24 h ("m" scales hours to minutes)."""
    warn, escalate = ("15m", "30m") if scale == "h" else ("15s", "30s")
    return {
        "business_hours": business_hours,
        "pause_when": {"all": [{"field": "status", "op": "eq", "value": WAITING}]},
        "max_pause": "72h",
        "exit_when": {"all": [{"field": "status", "op": "eq", "value": "Closed"}]},
        "milestones": [
            {
                "milestone_type": "First Response",
                "target": f"1{scale}",
                "complete_when": {"events": ["agent_replied"]},
                "actions": _actions("first-response", warn, escalate),
            },
            {
                "milestone_type": "Triage",
                "target": f"4{scale}",
                # Triaged once the case has a stage past New (a case without one is not).
                "complete_when": {
                    "all": [
                        {"field": "stage", "op": "exists"},
                        {"field": "stage", "op": "ne", "value": "New"},
                    ]
                },
                "actions": _actions("triage", warn, escalate),
            },
            {
                "milestone_type": "Resolution",
                "target": f"24{scale}",
                "complete_when": {"all": [{"field": "status", "op": "eq", "value": "Solved"}]},
                "actions": _actions("resolution", warn, escalate),
            },
        ],
    }


def standard(business_hours: str = "US Office", scale: str = "h") -> dict[str, Any]:
    """Standard policyholders: responses by priority, and an update every business day."""
    urgent = {"all": [{"field": "priority", "op": "in", "value": ["High", "Urgent"]}]}
    return {
        "business_hours": business_hours,
        "pause_when": {"all": [{"field": "status", "op": "eq", "value": WAITING}]},
        "exit_when": {"all": [{"field": "status", "op": "eq", "value": "Closed"}]},
        "milestones": [
            {
                "milestone_type": "First Response",
                "target": [{"when": urgent, "target": f"2{scale}"}, {"target": f"8{scale}"}],
                "complete_when": {"events": ["agent_replied"]},
                "actions": {
                    "warning": [{**_hook("first-response"), "at_percent": 75}],
                    "violation": [_hook("first-response")],
                },
            },
            {
                "milestone_type": "Customer Update",
                "start_from": "criteria",
                "target": f"8{scale}",
                "complete_when": {"events": ["agent_replied"]},
                "actions": {"violation": [_hook("customer-update")]},
            },
            {
                "milestone_type": "Resolution",
                "target": f"40{scale}",
                "complete_when": {"all": [{"field": "status", "op": "eq", "value": "Solved"}]},
                "actions": {"violation": [_hook("resolution")]},
            },
        ],
    }


PROCESSES: dict[str, dict[str, Any]] = {
    "Premium": {**premium(), "description": "Stormhaven premium policyholders"},
    "Standard": {**standard(), "description": "Stormhaven standard policyholders"},
    # The same rules in minutes of a 24x7 calendar, so the demo shows breaches while you watch.
    "Premium Demo": {**premium("24x7", "m"), "description": "Premium, with minutes for hours"},
    "Standard Demo": {**standard("24x7", "m"), "description": "Standard, with minutes for hours"},
}


def connect() -> Api:
    """The API at SLA_API_URL with SLA_API_KEY, else the development admin key."""
    key = os.environ.get("SLA_API_KEY") or dev_key()
    if key is None:
        raise SystemExit(f"no API key: start the stack with `make run` (it writes {KEY_FILE})")
    return Api(Settings(api_url=os.environ.get("SLA_API_URL", DEFAULT_API_URL), api_key=key))


def names(api: Api, path: str, **params: Any) -> set[str]:
    return {item["name"] for item in api.call("GET", path, params=params)["data"]}


def load(api: Api) -> list[str]:
    """Create what is missing of the demo configuration; what was created."""
    created: list[str] = []
    for hours in (US_OFFICE, AROUND_THE_CLOCK):
        if hours["name"] not in names(api, "/business-hours"):
            api.call("POST", "/business-hours", body=hours)
            created.append(f"business hours {hours['name']}")
    existing_global = names(api, "/milestone-types", scope="global")
    existing_acme = names(api, "/milestone-types", scope="account", account_id="ACME")
    for milestone_type in MILESTONE_TYPES:
        existing = existing_acme if milestone_type.get("scope") == "account" else existing_global
        if milestone_type["name"] not in existing:
            api.call("POST", "/milestone-types", body=milestone_type)
            created.append(f"milestone type {milestone_type['name']}")
    existing_processes = names(api, "/entitlement-processes")
    for name, definition in PROCESSES.items():
        if name not in existing_processes:
            api.call("POST", "/entitlement-processes", body={"name": name, **definition})
            created.append(f"process {name}")
    return created


def run_scenario(api: Api) -> None:
    """Open cases across the processes, work them, let some breach, and show the trackers."""
    tag = uuid.uuid4().hex[:4].upper()

    def case(n: int, process: str, **fields: Any) -> str:
        case_id = f"DEMO-{tag}-{n}"
        api.call(
            "POST",
            "/cases",
            body={
                "case_id": case_id,
                "process": process,
                "fields": {"status": "New", "stage": "New", "account_id": "ACME", **fields},
            },
        )
        return case_id

    print(f"Opening demo cases DEMO-{tag}-1..6")
    fast = case(1, "Premium Demo", priority="High", subject="Claim portal down")
    waiting = case(2, "Premium Demo", priority="High", subject="Policy PDF missing")
    ignored = case(3, "Premium Demo", priority="Normal", subject="Address change")
    cadence = case(4, "Standard Demo", priority="Urgent", subject="Payment failed")
    office = case(5, "Premium", priority="High", subject="Broker access")
    standard_case = case(6, "Standard", priority="Normal", subject="Invoice copy")
    time.sleep(5)
    api.call("POST", f"/cases/{fast}/events", body={"type": "agent_replied"})
    api.call("PATCH", f"/cases/{waiting}", body={"fields": {"status": WAITING}})
    api.call("POST", f"/cases/{cadence}/pause", body={"reason": "Customer on holiday"})
    print("Replied on 1, case 2 waits on the customer, case 4 paused; letting time pass (75 s)")
    time.sleep(40)
    api.call("PATCH", f"/cases/{fast}", body={"fields": {"stage": "Investigating"}})
    api.call("PATCH", f"/cases/{waiting}", body={"fields": {"status": "Open"}})
    api.call("POST", f"/cases/{cadence}/resume")
    time.sleep(35)
    api.call("POST", f"/cases/{office}/milestones/First Response/complete")
    api.call("POST", f"/cases/{fast}/close", body={"fields": {"status": "Solved"}})
    del ignored, standard_case
    show(api, tag)


def show(api: Api, tag: str) -> None:
    """The demo cases' trackers, rendered as `sla case show` renders them."""
    ui_url = os.environ.get("TEMPORAL_UI_URL", DEFAULT_UI_URL)
    console = Console()
    console.rule(f"Demo cases DEMO-{tag}-1..6")
    trackers = [api.call("GET", f"/cases/DEMO-{tag}-{n}") for n in range(1, 7)]
    render_trackers(trackers, console, ui_url=ui_url)
    console.rule()
    print(
        f"All of them in the Temporal UI: {ui_url}/namespaces/default/workflows"
        f"?query=CaseId+STARTS_WITH+%22DEMO-{tag}%22"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The Stormhaven demo.")
    parser.add_argument("what", choices=["load", "run"])
    args = parser.parse_args(argv)
    api = connect()
    try:
        if args.what == "load":
            created = load(api)
            print("demo configuration: " + (", ".join(created) if created else "already loaded"))
        else:
            run_scenario(api)
    except ApiError as error:
        raise SystemExit(f"error: {error.message}") from None
    finally:
        api.close()


if __name__ == "__main__":
    main(sys.argv[1:])
