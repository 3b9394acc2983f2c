"""What the milestone clock knows about a case: its fields, its pinned process and calendars, its
milestone instances with their running segments of business time, its pauses and its timeline.

Plain data (pydantic), carried whole into a continued-as-new run; the rules that change it live in
`workflows.clock`, the arithmetic on segments in `workflows.business_time`. Pure: no I/O.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from workflows.business_hours import BusinessHours
from workflows.contract import (
    ActionStatus,
    CaseEntitlement,
    CaseFields,
    EntitlementProcess,
    InstanceState,
    PauseRecord,
    TimelineEvent,
)


class Segment(BaseModel):
    """A stretch of running clock: business time elapses from `start` until `end` (or now)."""

    start: datetime
    end: datetime | None = None
    calendar: str
    elapsed_before: timedelta


class Instance(BaseModel):
    """The runtime state of one milestone instance."""

    milestone: str
    number: int
    started_at: datetime
    target: timedelta
    calendar: str
    state: InstanceState = "active"
    segments: list[Segment] = Field(default_factory=list)
    violated_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    fired: list[str] = Field(default_factory=list)
    """Thresholds already passed, as `<kind>/<n>`; `violation/0` is the breach itself."""
    last_fired_at: datetime | None = None
    actions: list[ActionStatus] = Field(default_factory=list)
    color: str | None = None
    reporting_category: str | None = None
    priority_at_start: str | None = None
    """The milestone's color and reporting category and the case's priority when the instance
    started (what its record keeps, whatever later versions say)."""
    priority_at_end: str | None = None
    warned_at: datetime | None = None
    fault: str | None = None
    """Why the instance's deadlines cannot be computed in its calendar (no open time within ten
    years, or past the years calendars cover): it then runs no actions, and ops see why."""

    @property
    def open(self) -> bool:
        return self.state in ("active", "paused")

    @property
    def violated(self) -> bool:
        return self.violated_at is not None

    @property
    def ended_at(self) -> datetime | None:
        return self.completed_at or self.cancelled_at


class CaseState(BaseModel):
    """Everything the clock knows about a case; carried across continue-as-new."""

    case_id: str
    fields: CaseFields
    opened_at: datetime
    process: EntitlementProcess
    calendars: dict[str, BusinessHours]
    """The process's calendars by name, with their public holidays written out (pinned)."""
    entitlement: CaseEntitlement | None = None
    """Pinned at the start: an entitlement changed or ended later does not change the case."""
    instances: list[Instance] = Field(default_factory=list)
    pauses: list[PauseRecord] = Field(default_factory=list)
    manual_pause: bool = False
    rule_suppressed: bool = False
    """`pause_when` still holds but the case was resumed (by command or `max_pause`): ignore the
    rule until it stops holding."""
    closed_at: datetime | None = None
    applied_at: datetime | None = None
    """The latest instant a command (or `max_pause`'s own resume) was applied at (the opening
    when None): commands dated earlier are refused."""
    records_revision: int = 0
    """The revision of the last batch of milestone records the case wrote."""
    timeline: list[TimelineEvent] = Field(default_factory=list)
    """What happened, in the order the clock learned it (sort by `at` to read it)."""

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1].resumed_at is None

    @property
    def breached(self) -> bool:
        """Whether any milestone instance of the case was violated (a breach is never undone)."""
        return any(instance.violated for instance in self.instances)

    def snapshot(self) -> CaseState:
        """A copy to restore if a command fails half-way. It shares what the clock never changes
        in place (the process, the calendars, timeline events): a fraction of a deep copy."""
        return self.model_copy(
            update={
                "fields": dict(self.fields),
                "instances": [instance.model_copy(deep=True) for instance in self.instances],
                "pauses": [pause.model_copy() for pause in self.pauses],
                "timeline": list(self.timeline),
            }
        )
