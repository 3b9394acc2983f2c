"""Milestone and case records as the workflow writes them, for tests that read them back: a met
instance of First Response on case C-1 and its closed case, with any field given instead."""

from datetime import UTC, datetime, timedelta
from typing import Any

from workflows.records import CaseRecord, MilestoneRecord, RecordBatch

RESOLVED = datetime(2026, 11, 30, 12, tzinfo=UTC)
STARTED = RESOLVED - timedelta(minutes=30)


def milestone_record(**fields: Any) -> MilestoneRecord:
    met: dict[str, Any] = {
        "case_id": "C-1",
        "milestone": "First Response",
        "instance": 1,
        "account_id": "ACME",
        "process": "Premium",
        "process_version": 1,
        "reporting_category": None,
        "color": "#D62728",
        "priority_at_start": "High",
        "priority_at_end": "High",
        "state": "completed",
        "started_at": STARTED,
        "target_at": STARTED + timedelta(hours=1),
        "warned_at": None,
        "violated_at": None,
        "completed_at": RESOLVED,
        "cancelled_at": None,
        "target_seconds": 3600,
        "business_elapsed_seconds": 1800,
        "stopped_seconds": 0,
        "completed_late": False,
        "outcome": "met",
        "resolved_at": RESOLVED,
        "as_of": RESOLVED,
    }
    return MilestoneRecord(**{**met, **fields})


def case_record(**fields: Any) -> CaseRecord:
    closed: dict[str, Any] = {
        "case_id": "C-1",
        "account_id": "ACME",
        "process": "Premium",
        "process_version": 1,
        "opened_at": STARTED,
        "closed_at": RESOLVED,
        "sla_state": "done",
        "breached": False,
        "as_of": RESOLVED,
    }
    return CaseRecord(**{**closed, **fields})


def record_batch(milestone: MilestoneRecord, case: CaseRecord | None = None) -> RecordBatch:
    """The batch that writes `milestone` and its case (by default the closed one of its id)."""
    case = case or case_record(case_id=milestone.case_id, account_id=milestone.account_id)
    return RecordBatch(revision=1, case=case, milestones=[milestone])
