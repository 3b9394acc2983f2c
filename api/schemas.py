"""Request and response bodies of the HTTP API.

Families per resource, as in the FastAPI template: `<Thing>Create`, `<Thing>Update` (every field
optional), `<Thing>Public` and `<Things>Public` (`data` plus `count`). Whatever the workflow will
check is checked with the contract's own types (`Criteria`, `MilestoneActions`, `Duration`,
`BusinessHours`, `Pause`, ...), so a rule is written once, in `workflows/contract.py`, and the API
rejects bad input with the same words before it reaches a case.
"""

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from workflows.business_hours import BusinessHours
from workflows.contract import (
    MAX_MILESTONES,
    CaseFieldsGiven,
    CaseId,
    CaseTracker,
    CommandApplied,
    EntitlementProcess,
    MilestoneRules,
    ProcessMilestone,
    Recurrence,
    SlaState,
    StateCriteria,
)
from workflows.entitlements import (
    CasesAllowed,
    Entitlement,
    EntitlementName,
    OnExhausted,
    Priority,
    check_dates,
)
from workflows.records import MilestoneRecord
from workflows.values import Duration, Instant

Role = Literal["admin", "case_system", "agent", "ops"]
ROLES: tuple[Role, ...] = ("admin", "case_system", "agent", "ops")
Scope = Literal["global", "account", "relationship"]
DbInt = Annotated[int, Field(ge=1, le=2**31 - 1)]
"""An id or version number: what fits the database's integer columns."""


def _no_control_characters(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and no name needs a control character.
    if any(ord(char) < 32 for char in value):
        raise ValueError("must not contain control characters (tabs, newlines, NUL)")
    return value


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Text = Annotated[str, Field(max_length=2000), AfterValidator(_no_nul)]
Label = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_no_control_characters)]
LevelName = Annotated[
    str,
    Field(min_length=1, max_length=200, pattern=r"^[^'\"\\]+$"),
    AfterValidator(_no_control_characters),
]
"""An account id or relationship type: any text without quotes or backslashes (it goes into
Temporal visibility queries as a literal)."""

_MILESTONE_PATTERN: str = ProcessMilestone.model_json_schema()["properties"]["name"]["pattern"]
MilestoneTypeName = Annotated[str, Field(min_length=1, max_length=100, pattern=_MILESTONE_PATTERN)]
"""The contract's milestone name: a type's name becomes the milestone's name in a process."""
_PROCESS_PATTERN: str = EntitlementProcess.model_json_schema()["properties"]["name"]["pattern"]
ProcessName = Annotated[str, Field(min_length=1, max_length=100, pattern=_PROCESS_PATTERN)]
CalendarName = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_no_nul)]

COLOR_PATTERN = r"^#[0-9A-Fa-f]{6}$"


def _check_color(value: str) -> str:
    if re.fullmatch(COLOR_PATTERN, value) is None:
        raise ValueError(f"{value!r} is not a color: write #RRGGBB in hex, e.g. '#D62728'")
    return value.upper()


Color = Annotated[
    str,
    AfterValidator(_check_color),
    WithJsonSchema({"type": "string", "pattern": COLOR_PATTERN, "examples": ["#D62728"]}),
]


class Page(BaseModel):
    count: int


# ------------------------------------------------------------------------------ milestone types


def _check_level(info: ValidationInfo, value: str | None, field: str) -> str | None:
    """account_id belongs to scope 'account' only, relationship_type to 'relationship' only."""
    scope = info.data.get("scope")
    owner = {"account_id": "account", "relationship_type": "relationship"}[field]
    if scope is None:
        return value
    if scope == owner and value is None:
        raise ValueError(f"scope {owner!r} needs {field}")
    if scope != owner and value is not None:
        raise ValueError(f"only scope {owner!r} takes {field}; this one is {scope!r}")
    return value


class Level(BaseModel):
    """A level of the catalog: global, one account, or one relationship type."""

    model_config = ConfigDict(extra="forbid")

    scope: Scope = "global"
    account_id: LevelName | None = Field(default=None, validate_default=True)
    relationship_type: LevelName | None = Field(default=None, validate_default=True)

    @field_validator("account_id")
    @classmethod
    def _account_id_fits_scope(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _check_level(info, value, "account_id")

    @field_validator("relationship_type")
    @classmethod
    def _relationship_type_fits_scope(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _check_level(info, value, "relationship_type")


class MilestoneTypeCreate(Level):
    """A new milestone type; it goes last in its level's order."""

    name: MilestoneTypeName
    description: Text = ""
    color: Color = "#4C78A8"
    active: bool = True
    reporting_category: Label | None = None
    recurrence: Recurrence = "none"


class MilestoneTypeUpdate(BaseModel):
    """Changes to a milestone type; leave out what stays. The level cannot change: create the
    type at the other level instead. Processes already published keep what they copied."""

    model_config = ConfigDict(extra="forbid")

    name: MilestoneTypeName | None = None
    description: Text | None = None
    color: Color | None = None
    active: bool | None = None
    reporting_category: Label | None = None
    recurrence: Recurrence | None = None

    @field_validator("name", "description", "color", "active", "recurrence", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be null: leave the field out to keep it")
        return value


class MilestoneTypePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str
    color: str
    active: bool
    scope: Scope
    account_id: str | None
    relationship_type: str | None
    position: int
    reporting_category: str | None
    recurrence: Recurrence
    created_at: datetime
    updated_at: datetime


class MilestoneTypesPublic(Page):
    data: list[MilestoneTypePublic]


class MilestoneTypeReorder(Level):
    """The new order of one level's own types: every one of them, each once."""

    ids: list[DbInt] = Field(min_length=1, max_length=1000)


# ------------------------------------------------------------------------------ business hours


class BusinessHoursPublic(BusinessHours):
    """A stored calendar: the `BusinessHours` model as given, with its id."""

    id: int
    created_at: datetime
    updated_at: datetime


class BusinessHoursListPublic(Page):
    data: list[BusinessHoursPublic]


class BusinessHoursPreview(BaseModel):
    """Where `duration` of business time from `start` ends in this calendar."""

    start: datetime
    duration: timedelta
    target_at: datetime
    target_at_local: str
    """`target_at` on the calendar's wall clock, e.g. '2026-03-09T09:30:00-04:00'."""
    time_zone: str


class HolidayPublic(BaseModel):
    date: date
    name: str
    open: list[tuple[str, str]] | None
    """Open intervals of a partly open day; null when closed all day."""
    source: Literal["explicit", "public"]


class HolidaysPublic(Page):
    year: int
    data: list[HolidayPublic]


# ------------------------------------------------------------------------ entitlement processes


class MilestoneTypeNamed(BaseModel):
    """What a milestone of a request names instead of what it will copy from the type."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    milestone_type: Annotated[str, Field(min_length=1, max_length=100)]


class ProcessMilestoneCreate(MilestoneRules, MilestoneTypeNamed):
    """A milestone of a process version: a milestone type (by name) and how it runs, as the
    contract's `ProcessMilestone` (`MilestoneRules`). Color, recurrence and reporting category are
    copied from the type when the version is published."""


class ProcessVersionCreate(BaseModel):
    """A new version of a process: its complete definition (nothing is inherited)."""

    model_config = ConfigDict(extra="forbid")

    business_hours: CalendarName | None = None
    pause_when: StateCriteria | None = None
    max_pause: Duration | None = None
    exit_when: StateCriteria | None = None
    milestones: list[ProcessMilestoneCreate] = Field(min_length=1, max_length=MAX_MILESTONES)
    notes: Text = ""


class EntitlementProcessCreate(ProcessVersionCreate):
    """A new process with its first version. With `account_id` or `relationship_type` its
    milestone types are looked up at that level first, then among the global ones."""

    name: ProcessName
    description: Text = ""
    account_id: LevelName | None = None
    relationship_type: LevelName | None = None

    @model_validator(mode="after")
    def _one_level(self) -> Self:
        if self.account_id is not None and self.relationship_type is not None:
            raise ValueError("give account_id or relationship_type, not both")
        return self


class ProcessVersionPublic(BaseModel):
    process_id: int
    process: str
    version: int
    notes: str
    created_at: datetime
    definition: EntitlementProcess
    """The snapshot a case pins: the contract's `EntitlementProcess`."""


class ProcessVersionsPublic(Page):
    data: list[ProcessVersionPublic]


class EntitlementProcessPublic(BaseModel):
    id: int
    name: str
    description: str
    account_id: str | None
    relationship_type: str | None
    latest_version: int
    created_at: datetime
    updated_at: datetime
    definition: EntitlementProcess
    """The latest version's definition."""


class EntitlementProcessesPublic(Page):
    data: list[EntitlementProcessPublic]


# ---------------------------------------------------------------------------------- entitlements


class EntitlementCreate(BaseModel):
    """A new entitlement of an account: the process (by name) its cases run, optionally on other
    business hours (by name), from `starts_on` to `ends_on` (days in its zone, both included;
    either may be left open), for `cases_allowed` cases in all (null: no limit), to cases whose
    fields meet `applies_when` (null: every case); among the account's entitlements that apply
    to a case, the highest `priority` wins."""

    model_config = ConfigDict(extra="forbid")

    name: EntitlementName
    account_id: LevelName | None
    """The account it belongs to; null: a default entitlement, for every case none of whose
    account's own entitlements applies (e.g. "Standard")."""
    process: ProcessName
    business_hours: CalendarName | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    cases_allowed: CasesAllowed | None = None
    applies_when: StateCriteria | None = None
    priority: Priority = 0
    on_exhausted: OnExhausted = "refuse"
    """Once `cases_allowed` are used: `refuse` new cases, or start them `flag`ged."""

    @field_validator("ends_on")
    @classmethod
    def _ends_after_it_starts(cls, ends_on: date | None, info: ValidationInfo) -> date | None:
        check_dates(info.data.get("starts_on"), ends_on)
        return ends_on


class EntitlementUpdate(BaseModel):
    """Changes to an entitlement; leave out what stays, send null to clear an optional field.
    The account cannot change, and `cases_used` is the engine's. Cases already started keep
    what they pinned."""

    model_config = ConfigDict(extra="forbid")

    name: EntitlementName | None = None
    process: ProcessName | None = None
    business_hours: CalendarName | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    cases_allowed: CasesAllowed | None = None
    applies_when: StateCriteria | None = None
    priority: Priority | None = None
    on_exhausted: OnExhausted | None = None

    @field_validator("name", "process", "priority", "on_exhausted", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be null: leave the field out to keep it")
        return value


class EntitlementPublic(Entitlement):
    """A stored entitlement: the contract's `Entitlement`, with its id and what the allowance
    has left."""

    id: int
    cases_remaining: int | None
    """`cases_allowed - cases_used` (0 once used up); null without an allowance."""
    created_at: datetime
    updated_at: datetime


class EntitlementsPublic(Page):
    data: list[EntitlementPublic]


# ----------------------------------------------------------------------------------------- cases


class CaseCreate(BaseModel):
    """Start the SLA clock of a case; starting the same `case_id` again returns the case."""

    model_config = ConfigDict(extra="forbid")

    case_id: CaseId
    process: ProcessName | None = None
    """The process to run, by name. Leave it and `entitlement` out to let the account's
    entitlements choose (the case field `account_id` names the account)."""
    version: DbInt | None = None
    """The process version to pin (with `process` only); the latest when left out."""
    entitlement: EntitlementName | None = None
    """The entitlement the case runs under, by name (the account's own, else a default one):
    it must cover the opening day and the case's fields."""
    fields: CaseFieldsGiven = Field(default_factory=dict)
    opened_at: Instant | None = None
    """When the case entered the process (default now); may be in the past: the clock starts
    then."""

    @model_validator(mode="after")
    def _one_way_to_the_process(self) -> Self:
        if self.process is not None and self.entitlement is not None:
            raise ValueError(
                "name the process or the entitlement (which names its process), not both"
            )
        if self.version is not None and self.process is None:
            raise ValueError("version needs process: an entitlement runs its latest version")
        return self


class MilestoneCompletion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: Instant | None = None
    """When the milestone was met (default: when the request arrives); README "Event time"."""


class CaseProcessChange(BaseModel):
    """Move the case to another version of its process, keeping elapsed time and breaches."""

    model_config = ConfigDict(extra="forbid")

    version: DbInt
    at: Instant | None = None
    """When the change takes effect (default: when the request arrives); README "Event time"."""


class CommandAnswer(CommandApplied):
    """What a command over HTTP answers: the workflow's own answer (what the command changed,
    in the timeline's words, the case's SLA state and next deadline, and for a completion the
    instance and whether it was late), and the case's tracker as of now when asked for it
    (`?tracker=true`)."""

    tracker: CaseTracker | None = None


class CaseSummary(BaseModel):
    """A case as the visibility store knows it."""

    case_id: str
    workflow_id: str
    status: str
    """The workflow's status: running, completed, ..."""
    sla_state: SlaState | None
    next_deadline: datetime | None
    process: str | None
    priority: str | None
    account_id: str | None
    owner: str | None = None
    started_at: datetime | None
    closed_at: datetime | None


class CasesPublic(Page):
    data: list[CaseSummary]


# -------------------------------------------------------------------------------------- api keys


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Label
    roles: list[Role] = Field(min_length=1, max_length=len(ROLES))

    @field_validator("roles")
    @classmethod
    def _distinct(cls, roles: list[Role]) -> list[Role]:
        return sorted(set(roles), key=ROLES.index)


class ApiKeyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    roles: list[Role]
    created_at: datetime


class ApiKeyCreated(ApiKeyPublic):
    key: str
    """The key itself, shown this once: only its hash is kept."""


class ApiKeysPublic(Page):
    data: list[ApiKeyPublic]


# ---------------------------------------------------------------------------------------- health


class ComponentHealth(BaseModel):
    reachable: bool
    detail: str


class HealthPublic(BaseModel):
    status: Literal["ok", "degraded"]
    database: ComponentHealth
    temporal: ComponentHealth


# --------------------------------------------------------------------------------------- reports


class ComplianceFigures(BaseModel):
    """How the instances of one group (or all of them) resolved in the period."""

    instances: int
    met: int
    """Completed on or before the target."""
    completed_late: int
    violated_open: int
    """Violated and never completed (still open, or cancelled after the breach)."""
    cancelled: int
    """Cancelled before the target passed."""
    met_rate: float | None
    """met / (met + completed_late + violated_open); null when that is 0."""
    median_time_to_complete: float | None
    p90_time_to_complete: float | None
    """Business seconds from start to completion (nearest rank), of completed instances."""


class ComplianceGroup(ComplianceFigures):
    key: str | None
    """The group: a milestone type, a category, an account, a priority, a process, or a period
    (`2026-11-30`, the Monday of a week, `2026-11`); null for instances without one."""
    color: str | None = None
    """The milestone type's color (`group_by=milestone_type` only)."""


class ComplianceReport(BaseModel):
    """SLA compliance of the milestone instances resolved in [from, to)."""

    model_config = ConfigDict(populate_by_name=True)

    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")
    group_by: str
    groups: list[ComplianceGroup]
    total: ComplianceFigures


class MilestoneRecordPublic(MilestoneRecord):
    """One milestone instance as its record keeps it: the contract's `MilestoneRecord`, read from
    its row."""

    model_config = ConfigDict(from_attributes=True)


class MilestoneRecordsPublic(Page):
    data: list[MilestoneRecordPublic]


class AtRiskPublic(MilestoneRecordPublic):
    remaining_seconds: float | None
    """Calendar seconds until `target_at`; negative once it has passed (overdue)."""


class AtRiskListPublic(Page):
    as_of: datetime
    data: list[AtRiskPublic]


class RecordsCheckPublic(Page):
    """How the records of the open cases compare with their live trackers."""

    cases: int
    differences: list[str]
    failures: list[str]
    """Cases that could not be read, with why."""


class RecordsRebuildPublic(Page):
    """What a rebuild wrote: cases and milestone records, and the cases it could not read."""

    cases: int
    milestones: int
    failures: list[str]


# ---------------------------------------------------------------------------- entitlement usage


class EntitlementCasePublic(BaseModel):
    """A case an entitlement's allowance took: `counted` in `cases_used`, or started
    `over_allowance` (flagged, once the allowance was used up)."""

    case_id: str
    coverage: Literal["counted", "over_allowance"]
    started_at: datetime
    """When the case was counted against the allowance (its start through the API)."""


class EntitlementCasesPublic(Page):
    """An entitlement's usage, newest first; `count` is the number of rows in `data`."""

    entitlement_id: int
    data: list[EntitlementCasePublic]


# ------------------------------------------------------------------------------- delivery log

DeliveryStatus = Literal["sending", "pending", "delivered", "failed"]
"""sending: an attempt is under way; pending: the last attempt failed and more will come;
delivered; failed: given up (retries ran out or the handler's error was final)."""


class DeliveryPublic(BaseModel):
    """One action's delivery as the handlers log it, keyed by its idempotency key."""

    model_config = ConfigDict(from_attributes=True)

    idempotency_key: str
    case_id: str
    milestone: str
    instance: int
    kind: str
    """success, warning or violation."""
    level: int = Field(validation_alias="n")
    """1-based position among the milestone's actions of this kind: the escalation level."""
    handler: str
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    due_at: datetime
    first_attempt_at: datetime
    last_attempt_at: datetime
    delivered_at: datetime | None


class DeliveriesPublic(Page):
    """Deliveries, the latest attempt first; `count` is the number of rows in `data`."""

    data: list[DeliveryPublic]
