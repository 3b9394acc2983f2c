"""What ops and agents read of a case: every milestone instance's countdown (the `tracker`
query), its pauses, the actions it ran, and its timeline. Pure: no I/O."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from workflows.contract.case import CaseEntitlement
from workflows.contract.conditions import CaseFields
from workflows.contract.process import Recurrence
from workflows.contract.states import ActionKind, InstanceState, SlaState

PauseEnd = Literal["command", "rule", "max_pause", "close"]
DeliveryStatus = Literal["running", "delivered", "failed"]


class PauseRecord(BaseModel):
    """One pause of the case's clocks."""

    reason: str
    paused_at: datetime
    resumed_at: datetime | None = None
    resumed_by: PauseEnd | None = None
    by_rule: bool = False


class ActionStatus(BaseModel):
    """What became of one action of one milestone instance."""

    kind: ActionKind
    n: int
    handler: str
    idempotency_key: str
    due_at: datetime
    started_at: datetime
    status: DeliveryStatus = "running"
    attempts: int = 0
    finished_at: datetime | None = None
    error: str | None = None


MilestoneClock = Literal["running", "outside_hours", "paused", "not_started", "ended"]


class MilestoneStatus(BaseModel):
    """One milestone instance as the tracker shows it (Salesforce's CaseMilestone)."""

    name: str
    instance: int
    color: str
    recurrence: Recurrence
    state: InstanceState
    violated: bool
    started_at: datetime
    target: timedelta
    target_at: datetime | None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    violated_at: datetime | None = None
    business_elapsed: timedelta
    business_remaining: timedelta
    stopped: timedelta
    """Calendar time the instance spent paused."""
    time_since_target: timedelta | None
    """Calendar time since target_at, once it has passed."""
    warnings_fired: int
    warned_at: datetime | None = None
    """When its first warning fell due."""
    reporting_category: str | None = None
    """The milestone type's reporting category when the instance started."""
    priority_at_start: str | None = None
    priority_at_end: str | None = None
    """The case's priority when the instance started, and when it ended (now while it runs)."""
    actions: list[ActionStatus] = Field(default_factory=list)
    fault: str | None = None
    """Why its deadlines cannot be computed (its calendar has no open time within ten years, or
    they lie past the years calendars cover): it runs no actions until it is completed."""
    clock: MilestoneClock = "running"
    """What its clock does as of the tracker's `as_of`: `running`; `outside_hours` (its calendar
    is closed); `paused` (the case is); `not_started` (a sequential instance that starts at
    `started_at`); `ended` (completed or cancelled)."""
    clock_changes_at: datetime | None = None
    """When it next starts or stops by itself: its calendar closes (running) or opens (outside
    hours), or it starts (not started); None when nothing but a command changes it."""


class LeftOut(BaseModel):
    """What a long case no longer carries in its state, so its state stays small however long
    it runs: ended milestone instances, whose milestone records keep them, and pauses and
    timeline events before `before`, which the histories of the case's earlier runs keep while
    Temporal retains them. Counted here so a tracker or timeline says what it leaves out."""

    instances: int = 0
    pauses: int = 0
    timeline_events: int = 0
    breached: bool = False
    """Whether an instance left out was violated (the case's `breached` keeps counting it)."""
    before: datetime | None = None
    """The latest instant of what was left out."""

    @property
    def anything(self) -> bool:
        return bool(self.instances or self.pauses or self.timeline_events)


class CaseTracker(BaseModel):
    """Every milestone's countdown on one case, as of `as_of`."""

    case_id: str
    process: str
    process_version: int
    sla_state: SlaState
    fields: CaseFields
    opened_at: datetime
    closed_at: datetime | None
    paused: bool
    pause_reason: str | None
    next_deadline: datetime | None
    as_of: datetime
    as_of_source: Literal["caller", "last_workflow_task"]
    """Where `as_of` comes from: the caller's `as_of`, or the workflow's last task (a query
    cannot read the clock, so a tracker asked for without `as_of` is as of that task; the API
    and the CLI always ask as of now). No default, so every answer says it."""
    milestones: list[MilestoneStatus]
    pauses: list[PauseRecord]
    breached: bool = False
    """Whether any milestone of the case was ever violated (a breach is never taken back)."""
    entitlement: CaseEntitlement | None = None
    """The entitlement the case runs under and why (None: its starter named the process)."""
    records_revision: int = 0
    """How many times the case wrote its milestone records (a newer write wins over an older)."""
    left_out: LeftOut | None = None
    """What a long case left out of its state, hence of `milestones`, `pauses` and the
    timeline (None: nothing): its milestone records keep every instance."""


TimelineKind = Literal[
    "opened",
    "started",
    "paused",
    "resumed",
    "warned",
    "violated",
    "escalated",
    "completed",
    "cancelled",
    "retargeted",
    "process_applied",
    "action_failed",
    "fault",
    "closed",
    "left_out",
]


class TimelineEvent(BaseModel):
    """One thing that happened to a case's milestones (Zendesk's ticket metric events)."""

    at: datetime
    kind: TimelineKind
    milestone: str | None = None
    instance: int | None = None
    detail: str = ""
