"""What ops and agents read of a case: each milestone instance's countdown (Salesforce's Milestone
Tracker), the case's SLA state and next deadline (its search attributes), and its timeline.

Projections of the clock's state, as of an instant; they never change it. Pure: no I/O.
"""

from __future__ import annotations

from datetime import datetime

from workflows.business_time import UNANSWERABLE, ZERO, BusinessTime, stopped
from workflows.case_state import CaseState, Instance
from workflows.contract import (
    CaseTracker,
    MilestoneClock,
    MilestoneStatus,
    SlaState,
    TimelineEvent,
)


def milestone_status(
    state: CaseState, time: BusinessTime, instance: Instance, now: datetime
) -> MilestoneStatus:
    """One instance as the tracker shows it, as of `now`."""
    milestone = state.process.milestone(instance.milestone)
    end = instance.ended_at or now
    fault = instance.fault
    try:
        elapsed = time.elapsed(instance, end) if end >= instance.started_at else ZERO
        target_at = None if fault else time.target_at(instance)
    except UNANSWERABLE as error:
        elapsed, target_at, fault = ZERO, None, fault or str(error)
    since = None if target_at is None or end <= target_at else end - target_at
    priority = state.fields.get("priority")
    clock, clock_changes_at = _clock(time, instance, now)
    return MilestoneStatus(
        name=instance.milestone,
        instance=instance.number,
        color=instance.color or (milestone.color if milestone else "#888888"),
        recurrence=milestone.recurrence if milestone else "none",
        state=instance.state,
        violated=instance.violated or (since is not None and instance.open),
        started_at=instance.started_at,
        target=instance.target,
        target_at=target_at,
        completed_at=instance.completed_at,
        cancelled_at=instance.cancelled_at,
        cancel_reason=instance.cancel_reason,
        violated_at=instance.violated_at,
        business_elapsed=elapsed,
        business_remaining=max(instance.target - elapsed, ZERO),
        stopped=stopped(state.pause_spans(), instance.started_at, end),
        time_since_target=since,
        warnings_fired=sum(key.startswith("warning/") for key in instance.fired),
        warned_at=instance.warned_at or _first_warning(instance),
        reporting_category=instance.reporting_category
        or (milestone.reporting_category if milestone else None),
        priority_at_start=instance.priority_at_start,
        priority_at_end=instance.priority_at_end
        or (None if priority is None or not instance.open else str(priority)),
        actions=list(instance.actions),
        fault=fault,
        clock=clock,
        clock_changes_at=clock_changes_at,
    )


def _clock(
    time: BusinessTime, instance: Instance, now: datetime
) -> tuple[MilestoneClock, datetime | None]:
    """What the instance's clock does at `now`, and when that changes by itself."""
    if not instance.open:
        return "ended", None
    if instance.started_at > now:
        return "not_started", instance.started_at
    running = instance.segments[-1] if instance.segments else None
    if instance.state == "paused" or running is None or running.end is not None:
        return "paused", None
    calendar = time.calendar(running.calendar)
    try:
        return ("running" if calendar.is_open(now) else "outside_hours"), calendar.next_change(now)
    except UNANSWERABLE:
        return "outside_hours", None


def case_tracker(
    state: CaseState, time: BusinessTime, now: datetime, *, asked: bool = False
) -> CaseTracker:
    """Every milestone's countdown on the case, as of `now`: the instant a caller `asked` for,
    or the workflow's last task."""
    current = state.pauses[-1] if state.paused else None
    return CaseTracker(
        case_id=state.case_id,
        process=state.process.name,
        process_version=state.process.version,
        sla_state=sla_state(state, now),
        fields=dict(state.fields),
        opened_at=state.opened_at,
        closed_at=state.closed_at,
        paused=current is not None,
        pause_reason=current.reason if current else None,
        next_deadline=next_deadline(state, time),
        as_of=now,
        as_of_source="caller" if asked else "last_workflow_task",
        milestones=[milestone_status(state, time, i, now) for i in state.instances],
        pauses=list(state.pauses),
        breached=state.breached,
        entitlement=state.entitlement,
        records_revision=state.records_revision,
        left_out=state.left_out if state.left_out.anything else None,
    )


def sla_state(state: CaseState, now: datetime) -> SlaState:
    """The worst open state: violated > paused > at_risk > on_track, or done once closed."""
    if state.closed_at is not None:
        return "done"
    open_instances = [i for i in state.instances if i.open and i.started_at <= now]
    if any(i.violated for i in open_instances):
        return "violated"
    if state.paused:
        return "paused"
    if any(key.startswith("warning/") for i in open_instances for key in i.fired):
        return "at_risk"
    return "on_track"


def next_deadline(state: CaseState, time: BusinessTime, *, overdue: bool = True) -> datetime | None:
    """The earliest target of a running (not paused) instance. A missed one counts while its
    instance runs, so the most overdue case sorts first (Zendesk's "next SLA breach" shows it
    negative); with `overdue` False, as cases started before behaviour 3 publish it, only
    targets not yet missed count."""
    targets = [
        target_at
        for instance in state.instances
        if instance.state == "active" and (overdue or not instance.violated)
        if (target_at := _known_target(time, instance)) is not None
    ]
    return min(targets, default=None)


def _first_warning(instance: Instance) -> datetime | None:
    """When a warning first fell due, for state kept before `warned_at` was (its actions)."""
    return min((a.due_at for a in instance.actions if a.kind == "warning"), default=None)


def _known_target(time: BusinessTime, instance: Instance) -> datetime | None:
    if instance.fault is not None:
        return None
    try:
        return time.target_at(instance)
    except UNANSWERABLE:
        return None


def timeline(state: CaseState) -> list[TimelineEvent]:
    """What happened to the case's milestones, in the order it happened; for a long case, first
    what it left out of its state and where to read it."""
    events = sorted(state.timeline, key=lambda event: event.at)
    left_out = state.left_out
    if left_out.timeline_events and left_out.before is not None:
        detail = (
            f"{left_out.timeline_events} earlier events, of {left_out.instances} ended "
            f"instances and {left_out.pauses} pauses, are left out of this long case's state: "
            "its milestone records keep every instance, and its earlier runs' histories the "
            "rest while Temporal retains them"
        )
        events.insert(0, TimelineEvent(at=left_out.before, kind="left_out", detail=detail))
    return events
