"""Stormhaven Insurance, the seed's worked example, as test data.

Premium policyholders: First Response in 1 h, Triage in 4 h, Resolution in 24 h of business time,
Mon-Fri 09:00-17:00 America/New_York. A warning 15 minutes before each target; a violation runs a
webhook at the target and escalates twice (30 minutes and 2 hours of business time later).
"""

from datetime import date
from typing import Any

from workflows.business_hours import WEEKDAYS, BusinessHours, Holiday
from workflows.contract import EntitlementProcess, StartCase

OFFICE = BusinessHours(
    name="Stormhaven US",
    time_zone="America/New_York",
    weekly={day: [("09:00", "17:00")] for day in WEEKDAYS[:5]},
    holidays=[
        Holiday(date=date(2026, 11, 26), name="Thanksgiving"),
        Holiday(date=date(2026, 12, 24), name="Christmas Eve", open=[("09:00", "13:00")]),
        Holiday(date=date(2026, 12, 25), name="Christmas Day"),
    ],
)
WAITING = "Waiting on Customer"


def milestone_actions(prefix: str) -> dict[str, Any]:
    hook = {"url": f"https://crm.example/hooks/{prefix}"}
    return {
        "success": [{"handler": "webhook", "params": hook}],
        "warning": [{"handler": "webhook", "params": hook, "before_target": "15m"}],
        "violation": [
            {"handler": "webhook", "params": hook},
            {"handler": "escalate", "params": {"queue": "tier2"}, "after_target": "30m"},
            {"handler": "escalate", "params": {"queue": "managers"}, "after_target": "2h"},
        ],
    }


def premium(version: int = 1, **overrides: Any) -> EntitlementProcess:
    definition: dict[str, Any] = {
        "name": "Premium",
        "version": version,
        "business_hours": OFFICE.name,
        "pause_when": {"all": [{"field": "status", "op": "eq", "value": WAITING}]},
        "exit_when": {"all": [{"field": "status", "op": "eq", "value": "Closed"}]},
        "milestones": [
            {
                "name": "First Response",
                "color": "#D62728",
                "target": "1h",
                "complete_when": {"events": ["agent_replied"]},
                "actions": milestone_actions("first-response"),
            },
            {
                "name": "Triage",
                "color": "#FF7F0E",
                "target": "4h",
                "complete_when": {"all": [{"field": "stage", "op": "ne", "value": "New"}]},
                "actions": milestone_actions("triage"),
            },
            {
                "name": "Resolution",
                "color": "#2CA02C",
                "target": "24h",
                "complete_when": {"all": [{"field": "status", "op": "in", "value": ["Solved"]}]},
                "actions": milestone_actions("resolution"),
            },
        ],
    }
    definition.update(overrides)
    return EntitlementProcess.model_validate(definition)


def premium_case(case_id: str = "SH-1001", **fields: Any) -> StartCase:
    return StartCase(
        case_id=case_id,
        fields={
            "status": "New",
            "stage": "New",
            "priority": "High",
            "account_id": "ACME",
            **fields,
        },
        process=premium(),
        calendars={OFFICE.name: OFFICE},
    )


LONDON = BusinessHours(
    name="Stormhaven London",
    time_zone="Europe/London",
    weekly={day: [("09:00", "17:30")] for day in WEEKDAYS[:5]},
)


def follow_up() -> EntitlementProcess:
    """London's follow-up: when a customer replies, an agent answers within 1 business hour."""
    return EntitlementProcess.model_validate(
        {
            "name": "Follow-up",
            "business_hours": LONDON.name,
            "milestones": [
                {
                    "name": "Reply",
                    "target": "1h",
                    "recurrence": "independent",
                    "start_from": "criteria",
                    "start_when": {"events": ["customer_replied"]},
                    "complete_when": {"events": ["agent_replied"]},
                    "actions": {
                        "warning": [{"handler": "webhook", "params": {}, "before_target": "15m"}],
                        "violation": [{"handler": "webhook", "params": {}}],
                    },
                }
            ],
        }
    )


def follow_up_case(case_id: str = "LDN-1") -> StartCase:
    return StartCase(
        case_id=case_id, fields={}, process=follow_up(), calendars={LONDON.name: LONDON}
    )
