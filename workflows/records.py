"""Milestone records: what the config database keeps of every milestone instance and every case,
so reports outlive Temporal's retention (Salesforce's Case Milestone records, ServiceNow's
`task_sla`). Defined once here and derived from the tracker by one pure function, used by the
workflow when it writes them and by the API when it checks or rebuilds them.

An instance is *resolved* when it is completed, violated (and never completed), or cancelled;
its `resolved_at` places it in a report's period and its `outcome` says how:
- `met`: completed at or before its target;
- `completed_late`: completed after its target (a late completion is also a violation);
- `violated_open`: its target passed and it was never completed (open, or cancelled after the
  breach: a breach is never taken back), counted at `violated_at`;
- `cancelled`: cancelled before its target passed (by a rule, a new process version or the
  case's close).
"""

from __future__ import annotations

from datetime import datetime

from workflows.contract import CaseTracker, MilestoneStatus
from workflows.contract.records import CaseRecord, MilestoneRecord, Outcome, RecordBatch


def records_of(tracker: CaseTracker) -> tuple[CaseRecord, list[MilestoneRecord]]:
    """The records of a case, from its tracker."""
    account = tracker.fields.get("account_id")
    account_id = None if account is None else str(account)
    case = CaseRecord(
        case_id=tracker.case_id,
        account_id=account_id,
        process=tracker.process,
        process_version=tracker.process_version,
        entitlement=_entitlement(tracker),
        owner=None if tracker.fields.get("owner") is None else str(tracker.fields["owner"]),
        opened_at=tracker.opened_at,
        closed_at=tracker.closed_at,
        sla_state=tracker.sla_state,
        breached=tracker.breached,
        as_of=tracker.closed_at or tracker.as_of,
    )
    return case, [_milestone_record(tracker, status, account_id) for status in tracker.milestones]


def _milestone_record(
    tracker: CaseTracker, status: MilestoneStatus, account_id: str | None
) -> MilestoneRecord:
    outcome, resolved_at = _outcome(status)
    return MilestoneRecord(
        case_id=tracker.case_id,
        milestone=status.name,
        instance=status.instance,
        account_id=account_id,
        process=tracker.process,
        process_version=tracker.process_version,
        entitlement=_entitlement(tracker),
        reporting_category=status.reporting_category,
        color=status.color,
        priority_at_start=status.priority_at_start,
        priority_at_end=status.priority_at_end,
        state=status.state,
        started_at=status.started_at,
        target_at=status.target_at,
        warned_at=status.warned_at,
        violated_at=status.violated_at,
        completed_at=status.completed_at,
        cancelled_at=status.cancelled_at,
        target_seconds=status.target.total_seconds(),
        business_elapsed_seconds=status.business_elapsed.total_seconds(),
        stopped_seconds=status.stopped.total_seconds(),
        completed_late=status.completed_at is not None and status.violated_at is not None,
        outcome=outcome,
        resolved_at=resolved_at,
        as_of=status.completed_at or status.cancelled_at or tracker.as_of,
    )


def _entitlement(tracker: CaseTracker) -> str | None:
    return tracker.entitlement.name if tracker.entitlement is not None else None


def _outcome(status: MilestoneStatus) -> tuple[Outcome | None, datetime | None]:
    if status.completed_at is not None:
        late = status.violated_at is not None
        return ("completed_late" if late else "met"), status.completed_at
    if status.violated_at is not None:
        return "violated_open", status.violated_at
    if status.cancelled_at is not None:
        return "cancelled", status.cancelled_at
    return None, None


VOLATILE = frozenset({"as_of", "business_elapsed_seconds", "stopped_seconds"})
"""Fields of a running instance that change with time alone: no reason to write (the instance's
end writes them final)."""


def lasting(record: MilestoneRecord | CaseRecord) -> dict[str, object]:
    """What decides whether a record needs writing again: all but the volatile fields of a
    running instance, or all but `as_of` of a case or an ended instance."""
    running = isinstance(record, MilestoneRecord) and record.state in ("active", "paused")
    skip = VOLATILE if running else frozenset({"as_of"})
    return {name: value for name, value in record if name not in skip}


def changed(record: MilestoneRecord | CaseRecord) -> tuple[object, ...]:
    """A digest of `lasting(record)`: equal digests, nothing to write."""
    return tuple(lasting(record).values())


def differences(
    live: tuple[CaseRecord, list[MilestoneRecord]],
    stored: tuple[CaseRecord | None, list[MilestoneRecord]],
    *,
    left_out: bool = False,
) -> list[str]:
    """How stored records differ from what a live tracker says (figures that move with time
    alone, and `as_of`, aside): one line a difference, none when they agree. With `left_out`
    (the case left ended instances out of its state), a stored record of an ended instance the
    tracker no longer shows is what the case left out, not a difference."""
    found: list[str] = []
    live_case, live_milestones = live
    stored_case, stored_milestones = stored
    if stored_case is None:
        found.append(f"{live_case.case_id}: no case record")
    else:
        found += _compare(live_case.case_id, live_case, stored_case)
    by_key = {(m.milestone, m.instance): m for m in stored_milestones}
    for milestone in live_milestones:
        where = f"{milestone.case_id} {milestone.milestone} #{milestone.instance}"
        kept = by_key.pop((milestone.milestone, milestone.instance), None)
        if kept is None:
            found.append(f"{where}: no record")
        else:
            found += _compare(where, milestone, kept)
    found += [
        f"{live_case.case_id} {name} #{n}: a record of no instance"
        for (name, n), record in by_key.items()
        if not (left_out and record.state in ("completed", "cancelled"))
    ]
    return found


def _compare(
    where: str, live: MilestoneRecord | CaseRecord, stored: MilestoneRecord | CaseRecord
) -> list[str]:
    return [
        f"{where}: {name} is {getattr(stored, name)!r}, live {value!r}"
        for name, value in lasting(live).items()
        if getattr(stored, name) != value
    ]


__all__ = [
    "CaseRecord",
    "MilestoneRecord",
    "Outcome",
    "RecordBatch",
    "changed",
    "differences",
    "lasting",
    "records_of",
]
