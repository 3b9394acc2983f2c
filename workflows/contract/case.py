"""A case as its workflow starts: the case, its pinned process version and calendars, the
entitlement it runs under, and what the code that started it asks of the workflow (its
behaviour); and a closed case in short. Pure: no I/O."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from workflows.business_hours import BusinessHours
from workflows.contract.conditions import CaseFieldsGiven
from workflows.contract.process import EntitlementProcess, check_calendars_cover
from workflows.values import Instant


class Behaviour(IntEnum):
    """What a case workflow does beyond its clock, as the code that started it asked. A case
    keeps the behaviour it started with, so the histories of older cases replay as they ran."""

    NO_RECORDS = 1
    """Writes no milestone records (cases started before records existed)."""
    RECORDS = 2
    """Writes its milestone records after each workflow task, and publishes `Owner`."""
    LIGHT_START = 3
    """As `RECORDS`, and its starter sets the search attributes and writes the opening records
    (its first task only arms timers); `NextDeadline` keeps a missed deadline while its
    milestone is open."""
    RECORDS_RIDE_ACTIONS = 4
    """As `LIGHT_START`, and a task that runs actions hands its record batch to the first of
    them, whose handler writes it once it has acted: one history event fewer per such task."""

    @property
    def writes_records(self) -> bool:
        return self >= Behaviour.RECORDS

    @property
    def publishes_owner(self) -> bool:
        return self >= Behaviour.RECORDS

    @property
    def starter_opens(self) -> bool:
        """The starter wrote the opening records and set the search attributes."""
        return self >= Behaviour.LIGHT_START

    @property
    def records_ride_actions(self) -> bool:
        return self >= Behaviour.RECORDS_RIDE_ACTIONS

    @property
    def keeps_overdue_deadline(self) -> bool:
        """`NextDeadline` counts a missed target while its milestone is open."""
        return self >= Behaviour.LIGHT_START


CURRENT_BEHAVIOUR = Behaviour.RECORDS_RIDE_ACTIONS
"""What starters built on this code ask of a case (`StartCase.behaviour`)."""


class CaseEntitlement(BaseModel):
    """The entitlement a case runs under, chosen and pinned when the case started, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = Field(default=None, max_length=100)
    """None: no entitlement applies (the case runs `NO_PROCESS`)."""
    account_id: str | None = Field(default=None, max_length=200)
    """The account it belongs to; None for a default entitlement (every account)."""
    reason: str = Field(default="", max_length=4000)
    """Why this one (or none): the resolution's own words."""
    over_allowance: bool = False
    """Its allowance of cases was used up when the case started, and it says to flag such a
    case rather than refuse it."""


CaseId = Annotated[
    str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
]


class StartCase(BaseModel):
    """The input of a case workflow: the case and a pinned snapshot of its process version and
    calendars, so a running case never changes when configuration does."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_id: CaseId
    fields: CaseFieldsGiven = Field(default_factory=dict)
    opened_at: Instant | None = None
    process: EntitlementProcess
    calendars: dict[str, BusinessHours] = Field(default_factory=dict)
    entitlement: CaseEntitlement | None = None
    """The entitlement the starter chose (None: the case named its process itself)."""
    continue_as_new_after_events: int | None = Field(default=None, ge=20)
    """Continue as new once history reaches this many events (tests force it low); by default
    when Temporal suggests it."""
    continued: dict[str, Any] | None = None
    """Internal: the clock's state, carried into a continued-as-new run. Callers leave it unset."""
    behaviour: Behaviour | None = None
    """What its starter asks of the case workflow (`CURRENT_BEHAVIOUR`; the API and the CLI set
    it). Left out, the case takes the newest at the cost of a patch marker, and cases started by
    older code replay as they ran."""
    records: bool | None = None
    """What starters said before `behaviour`: True is `RECORDS`, False `NO_RECORDS`."""

    def asked_behaviour(self) -> Behaviour | None:
        """The behaviour its starter asked for, in either way; None when it did not say."""
        if self.behaviour is not None or self.records is None:
            return self.behaviour
        return Behaviour.RECORDS if self.records else Behaviour.NO_RECORDS

    @model_validator(mode="after")
    def _calendars_present(self) -> Self:
        if self.continued is None:  # a continued run's calendars are in its state
            check_calendars_cover(self.process, self.calendars)
        return self


class CaseOutcome(BaseModel):
    """A closed case in short: the workflow's result (its milestone records keep the detail)."""

    case_id: str
    process: str
    process_version: int
    opened_at: datetime
    closed_at: datetime | None
    breached: bool
    """Whether any milestone of the case was violated."""
    milestones: int
    """How many milestone instances the case ran."""
