"""The demo: Stormhaven Insurance's configuration, loaded over the HTTP API, and a scenario that
opens cases, pauses, resumes, completes, and lets some milestones breach.

    python -m demo load   # the configuration, once (make run does it): safe to run again
    python -m demo run    # the scenario against the running stack (make demo), about a minute

The scenario says what it does to each case as it goes, and what each case's clock does in
turn (warnings, breaches, pauses, completions, read from the cases' trackers every second); its
waits end when the milestone they wait for warns or breaches, not after a fixed time.

Everything goes through the API with the development admin key (`var/dev-api-key`), exactly as a
case system would use it, with the `sla` CLI's client and renderer (`terminal`).
"""

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
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

# What the accounts bought: ACME's premium support covers 10 incidents (then it flags the case),
# and every other case runs the Standard process by default.
ENTITLEMENTS: list[dict[str, Any]] = [
    {
        "name": "ACME Premium",
        "account_id": "ACME",
        "process": "Premium",
        "cases_allowed": 10,
        "on_exhausted": "flag",
        "priority": 10,
    },
    {"name": "Standard", "account_id": None, "process": "Standard"},
]


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
    # Premium's rules on a 24x7 calendar: the README tour's clock runs at any hour.
    "Premium 24x7": {**premium("24x7"), "description": "Premium, around the clock"},
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
    existing_entitlements = names(api, "/entitlements")
    for entitlement in ENTITLEMENTS:
        if entitlement["name"] not in existing_entitlements:
            api.call("POST", "/entitlements", body=entitlement)
            created.append(f"entitlement {entitlement['name']}")
    return created


@dataclass
class Watch:
    """The demo's cases as their trackers last read, and what changed since: each change is
    printed as one line, so the scenario reports every case as it goes."""

    api: Api
    started: float = field(default_factory=time.monotonic)
    cases: dict[str, str] = field(default_factory=dict)
    """Case id to its label in the lines (its number in the scenario)."""
    seen: dict[str, dict[str, str]] = field(default_factory=dict)

    def say(self, message: str) -> None:
        print(f"[{time.monotonic() - self.started:5.1f}s] {message}", flush=True)

    def poll(self) -> dict[str, dict[str, Any]]:
        """Every case's tracker; prints what changed since the last poll."""
        trackers = {case_id: self.api.call("GET", f"/cases/{case_id}") for case_id in self.cases}
        for case_id, tracker in trackers.items():
            now = _states(tracker)
            before = self.seen.get(case_id)
            if before is not None:
                for what, state in now.items():
                    if before.get(what) != state:
                        self.say(f"  {self.cases[case_id]}  {what}: {state}")
            self.seen[case_id] = now
        return trackers

    def until(
        self,
        reason: str,
        done: Callable[[dict[str, dict[str, Any]]], bool],
        progress: Callable[[dict[str, dict[str, Any]]], str],
    ) -> None:
        """Report changes every second until `done(trackers)`, and `progress(trackers)` every
        10 s; at most 2 minutes."""
        self.say(f"waiting until {reason}")
        begun = time.monotonic()
        reported = begun
        while not done(trackers := self.poll()):
            now = time.monotonic()
            if now - begun > 120:
                self.say(f"gave up waiting until {reason}: is the worker running?")
                return
            if now - reported >= 10:
                self.say(f"  ... {progress(trackers)}")
                reported = now
            time.sleep(1)


def _states(tracker: dict[str, Any]) -> dict[str, str]:
    """What the demo reports of a case: its SLA state and each milestone's state."""
    states = {"SLA state": str(tracker["sla_state"])}
    for milestone in tracker["milestones"]:
        state = milestone["state"]
        if milestone["violated"]:
            state += ", violated"
        elif milestone["warnings_fired"]:
            state += ", warned"
        states[f"{milestone['name']} #{milestone['instance']}"] = state
    return states


def _milestone(tracker: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in reversed(tracker["milestones"]) if m["name"] == name)


def _due(tracker: dict[str, Any], name: str) -> str:
    """'First Response of DEMO-1234-3 is due in 29 s' (or was, 3 s ago), by the tracker's clock."""
    milestone = _milestone(tracker, name)
    if milestone["target_at"] is None:
        return f"{name} of {tracker['case_id']}: {milestone['state']}"
    left = datetime.fromisoformat(milestone["target_at"]) - datetime.fromisoformat(tracker["as_of"])
    seconds = round(left.total_seconds())
    when = f"is due in {seconds} s" if seconds >= 0 else f"was due {-seconds} s ago"
    return f"{name} of {tracker['case_id']} {when}"


def run_scenario(api: Api) -> None:
    """Open cases across the processes, work them, let some breach, and show the trackers."""
    tag = uuid.uuid4().hex[:4].upper()
    watch = Watch(api)

    def case(n: int, process: str | None, **fields: Any) -> str:
        """Open case `n` on `process`, or (None) on its account's entitlement."""
        case_id = f"DEMO-{tag}-{n}"
        tracker = api.call(
            "POST",
            "/cases",
            body={
                "case_id": case_id,
                **({"process": process} if process is not None else {}),
                # Owned by Dana, the README tour's agent: her "My cases" in the console.
                "fields": {
                    "status": "New",
                    "stage": "New",
                    "account_id": "ACME",
                    "owner": "dana",
                    **fields,
                },
            },
        )
        watch.cases[case_id] = f"{case_id} ({fields['subject']})"
        milestones = ", ".join(m["name"] for m in tracker["milestones"]) or "none yet"
        chosen = tracker.get("entitlement") or {}
        on = tracker["process"]
        if chosen.get("name"):
            on += f" (entitlement {chosen['name']} of {chosen.get('account_id') or 'any account'})"
        watch.say(f"opened {case_id} on {on}, {fields['priority']}: {milestones}")
        return case_id

    watch.say(f"opening six cases, DEMO-{tag}-1..6 (the Demo processes count minutes for hours)")
    fast = case(1, "Premium Demo", priority="High", subject="Claim portal down")
    waiting = case(2, "Premium Demo", priority="High", subject="Policy PDF missing")
    ignored = case(3, "Premium Demo", priority="Normal", subject="Address change")
    cadence = case(4, "Standard Demo", priority="Urgent", subject="Payment failed")
    office = case(5, None, priority="High", subject="Broker access")
    case(6, None, priority="Normal", subject="Invoice copy", account_id="Initech")
    watch.poll()

    def act(message: str, method: str, path: str, body: Any = None) -> None:
        watch.say(message)
        api.call(method, path, body=body)

    act(f"{fast}: the agent replies", "POST", f"/cases/{fast}/events", {"type": "agent_replied"})
    act(
        f"{waiting}: status {WAITING} (the process pauses on it)",
        "PATCH",
        f"/cases/{waiting}",
        {"fields": {"status": WAITING}},
    )
    act(f"{cadence}: paused by hand", "POST", f"/cases/{cadence}/pause", {"reason": "On holiday"})
    watch.until(
        f"{ignored}'s First Response warns (15 s before its 1-minute target)",
        lambda trackers: bool(_milestone(trackers[ignored], "First Response")["warnings_fired"]),
        lambda trackers: _due(trackers[ignored], "First Response"),
    )
    act(f"{fast}: triaged", "PATCH", f"/cases/{fast}", {"fields": {"stage": "Investigating"}})
    act(f"{waiting}: back to Open", "PATCH", f"/cases/{waiting}", {"fields": {"status": "Open"}})
    act(f"{cadence}: resumed", "POST", f"/cases/{cadence}/resume")
    watch.until(
        f"{ignored}'s First Response breaches (nobody answered it)",
        lambda trackers: bool(_milestone(trackers[ignored], "First Response")["violated"]),
        lambda trackers: _due(trackers[ignored], "First Response"),
    )
    act(
        f"{office}: First Response completed by hand",
        "POST",
        f"/cases/{office}/milestones/First Response/complete",
    )
    act(
        f"{fast}: solved and closed",
        "POST",
        f"/cases/{fast}/close",
        {"fields": {"status": "Solved"}},
    )
    watch.poll()
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
