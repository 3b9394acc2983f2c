"""Entitlement processes: the milestones a case must meet (when each starts, its target, its
actions) and the process's own rules (pause, exit), as a published version pins them. Pure."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from workflows.business_hours import BusinessHours
from workflows.contract.actions import MilestoneActions
from workflows.contract.conditions import Criteria, StateCriteria
from workflows.limits import MAX_TARGET_RULES
from workflows.values import CalendarName, Duration, Label, TargetDuration

MAX_MILESTONES = 25
_NAME = r"^[A-Za-z0-9_][A-Za-z0-9_ .:#@+()&-]*$"  # no "/": names sit in keys and URL paths
Recurrence = Literal["none", "independent", "sequential"]
StartFrom = Literal["process", "criteria"]
_COLOR = r"^#[0-9A-Fa-f]{6}$"


class TargetRule(BaseModel):
    """A target chosen by case fields: the first rule whose `when` holds wins."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    when: StateCriteria = Field(default_factory=Criteria)
    target: TargetDuration


def _target_kind(value: Any) -> str:
    return "rules" if isinstance(value, list) else "duration"


TargetSpec = Annotated[
    Annotated[TargetDuration, Tag("duration")]
    | Annotated[list[TargetRule], Field(max_length=MAX_TARGET_RULES), Tag("rules")],
    Discriminator(_target_kind),
]
"""A target: a duration ('4h'), or rules chosen by case fields. Read as one or the other by its
shape, so an error names the one that was meant."""


class MilestoneRules(BaseModel):
    """How a milestone of a process runs, whatever its type: its calendar, when it starts, its
    target, what completes it and its actions. A published milestone (`ProcessMilestone`) adds
    what it copies from its milestone type; a request to publish one names the type instead
    (`api.schemas.ProcessMilestoneCreate`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    business_hours: CalendarName | None = None
    start_when: Criteria = Field(default_factory=Criteria)
    start_from: StartFrom = "process"
    target: TargetSpec
    complete_when: Criteria | None = None
    actions: MilestoneActions = Field(default_factory=MilestoneActions)

    @field_validator("target")
    @classmethod
    def _rules_not_empty(cls, target: timedelta | list[TargetRule]) -> timedelta | list[TargetRule]:
        if isinstance(target, list) and not target:
            raise ValueError("give a target duration or at least one target rule")
        return target


class MilestoneTypeCopy(BaseModel):
    """What a published milestone copies from its milestone type when the version is published,
    so a running case never changes when the type does."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=_NAME)
    color: str = Field(default="#4C78A8", pattern=_COLOR)
    recurrence: Recurrence = "none"
    reporting_category: Label | None = None


class ProcessMilestone(MilestoneRules, MilestoneTypeCopy):
    """One milestone of an entitlement process: its type's name, color, recurrence and reporting
    category, then when it starts, its target, its actions. (pydantic takes the fields of the
    last base first: the type's fields lead, as they always have in its JSON.)"""

    @model_validator(mode="after")
    def _warnings_before_target(self) -> Self:
        targets = (
            [self.target] if isinstance(self.target, timedelta) else [r.target for r in self.target]
        )
        for n, warning in enumerate(self.actions.warning, start=1):
            if warning.before_target is not None and warning.before_target >= min(targets):
                raise ValueError(
                    f"warning {n} of {self.name!r} fires {warning.before_target} before a target "
                    f"of {min(targets)}: that is at or before the start; make it shorter"
                )
        if self.recurrence != "none" and self.start_from == "process" and self.start_when.is_edge:
            raise ValueError(
                f"recurring milestone {self.name!r} starts on an event: use start_from 'criteria'"
            )
        return self


class EntitlementProcess(BaseModel):
    """A version of an entitlement process: the milestones a case must meet, and its rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=_NAME)
    version: int = Field(default=1, ge=1)
    description: str = Field(default="", max_length=2000)
    business_hours: CalendarName | None = None
    pause_when: StateCriteria | None = None
    max_pause: Duration | None = None
    exit_when: StateCriteria | None = None
    milestones: list[ProcessMilestone] = Field(max_length=MAX_MILESTONES)
    """At least one in a published version (the API requires it); none only in `NO_PROCESS`."""

    @field_validator("milestones")
    @classmethod
    def _unique_names(cls, milestones: list[ProcessMilestone]) -> list[ProcessMilestone]:
        seen: set[str] = set()
        for milestone in milestones:
            key = milestone.name.casefold()
            if key in seen:
                raise ValueError(f"milestone {milestone.name!r} appears twice: names are unique")
            seen.add(key)
        return milestones

    def milestone(self, name: str) -> ProcessMilestone | None:
        key = name.casefold()
        return next((m for m in self.milestones if m.name.casefold() == key), None)

    def calendar_names(self) -> set[str]:
        names = {m.business_hours for m in self.milestones} | {self.business_hours}
        return {name for name in names if name is not None}


NO_PROCESS = EntitlementProcess(
    name="none",
    description="No entitlement applies to the case: it has no milestones.",
    milestones=[],
)
"""What a case runs when no entitlement applies and no default one is configured: its tracker
and timeline say why (`CaseEntitlement.reason`). The name is reserved: no process may take it."""


def check_calendars_cover(process: EntitlementProcess, calendars: dict[str, BusinessHours]) -> None:
    """The calendars are exactly those the process names: none missing, none carried for
    nothing (a case keeps them in its state)."""
    named = process.calendar_names()
    missing = sorted(named - calendars.keys())
    if missing:
        raise ValueError(
            f"business hours {', '.join(map(repr, missing))} are named by process "
            f"{process.name!r} but not included in calendars"
        )
    extra = sorted(calendars.keys() - named)
    if extra:
        raise ValueError(
            f"calendars {', '.join(map(repr, extra))} are not named by process "
            f"{process.name!r}: leave them out"
        )
