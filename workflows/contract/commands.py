"""The commands agents and case systems send a case (each an update with a validator, and a
signal of the same name), and the short answer to one. Pure: no I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Self

from pydantic import AfterValidator, AliasChoices, BaseModel, ConfigDict, Field, model_validator

from workflows.business_hours import BusinessHours
from workflows.contract.conditions import CaseFieldsGiven
from workflows.contract.process import EntitlementProcess, check_calendars_cover
from workflows.contract.states import SlaState
from workflows.contract.tracker import TimelineEvent
from workflows.limits import check_name
from workflows.values import Instant, Label


class Command(BaseModel):
    """A change to a case from its case system or an agent: the workflow takes it as an update
    (validated first, then answered) and as a signal (fire and forget), both named
    `update_name`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    update_name: ClassVar[str]

    at: Instant | None = None
    """When it happened in the case system; left out, when it reaches the case. The case applies
    it as of that instant: not before the last instant it applied, nor later than its clock plus
    `MAX_CLOCK_SKEW` (README "Event time")."""


class CompleteMilestone(Command):
    """Complete the active instance of a milestone, at `at` (default: now)."""

    update_name = "complete_milestone"

    milestone: str = Field(
        min_length=1, max_length=100, validation_alias=AliasChoices("milestone", "name")
    )
    """The milestone's name (case-insensitive); `name` is read too, as early callers sent it."""


class Pause(Command):
    """Stop every running milestone clock of the case until `resume`."""

    update_name = "pause"

    reason: Annotated[str, Field(min_length=1, max_length=500), AfterValidator(check_name)]


class Resume(Command):
    """Start the case's clocks again after a pause."""

    update_name = "resume"


class UpdateCase(Command):
    """Changed case fields (a field set to null is removed)."""

    update_name = "update_case"

    fields: CaseFieldsGiven


class RecordEvent(Command):
    """A case event such as `agent_replied` or `customer_replied`."""

    update_name = "record_event"

    type: Label


class ApplyProcess(Command):
    """Move the case to another version of its process, keeping elapsed time and breaches."""

    update_name = "apply_process"

    process: EntitlementProcess
    calendars: dict[str, BusinessHours] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _calendars_present(self) -> Self:
        check_calendars_cover(self.process, self.calendars)
        return self


class Close(Command):
    """Close the case: the last field changes (if any) apply first, then the process exits."""

    update_name = "close"

    fields: CaseFieldsGiven = Field(default_factory=dict)


COMMANDS: tuple[type[Command], ...] = (
    CompleteMilestone,
    Pause,
    Resume,
    UpdateCase,
    RecordEvent,
    ApplyProcess,
    Close,
)


class CommandApplied(BaseModel):
    """The answer to a command: what it changed, in the timeline's words. Short, because every
    answer stays in the case's history; the `tracker` query has the countdowns."""

    command: str
    at: datetime
    """The instant the command applied at: its `at`, or when it reached the case."""
    changes: list[TimelineEvent]
    """What happened to the case's milestones because of it, thresholds passed on the way
    included."""
    sla_state: SlaState
    next_deadline: datetime | None
    milestone: str | None = None
    instance: int | None = None
    """The instance a `complete_milestone` completed."""
    completed_late: bool | None = None
