"""The data contract: every model that crosses a boundary, defined once.

Entitlement processes and their milestones, the case a workflow starts with, the commands agents
and case systems send, the tracker ops read, and the action requests activities receive. The API,
the workflow and the activities all import these; nothing here does I/O or reads the clock, so the
module is safe inside the Temporal workflow sandbox. Validation messages say what to fix.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from workflows.business_hours import BusinessHours
from workflows.limits import (
    MAX_ACTIONS,
    MAX_CONDITIONS,
    MAX_TARGET_RULES,
    check_case_fields,
    check_name,
    check_params,
)
from workflows.values import CalendarName, Duration, Instant, Label, TargetDuration

TASK_QUEUE = "sla"
WORKFLOW_TYPE = "CaseSla"
CURRENT_BEHAVIOUR = 3
"""What starters built on this code ask of a case (`StartCase.behaviour`)."""
MAX_MILESTONES = 25


def case_workflow_id(case_id: str) -> str:
    """The workflow id of a case: starting a case twice finds the same workflow."""
    return f"case-{case_id}"


SlaState = Literal["on_track", "at_risk", "violated", "paused", "done"]

# ----------------------------------------------------------------------- names across Temporal

TRACKER_QUERY = "tracker"
TIMELINE_QUERY = "timeline"

WEBHOOK = "webhook"
EMAIL = "email"
CASE_UPDATE = "case_update"
ESCALATE = "escalate"
DELIVERY_FAILED_HANDLER = "delivery_failed"
WRITE_RECORDS = "write_records"
"""Activity names: the built-in action handlers, the one that records a given-up delivery, and
the one that writes a case's milestone records."""
ACTION_HANDLERS: tuple[str, ...] = (WEBHOOK, EMAIL, CASE_UPDATE, ESCALATE)
"""The handlers an action may name: every worker registers exactly these, and publishing a
process refuses any other (an action naming one that slipped past, through Temporal directly,
fails for good when it falls due)."""


def unknown_handler(name: str) -> str:
    """Why an action naming `name` cannot run, in the words publishing and delivery share."""
    return f"no handler named {name!r}: the workers run {', '.join(ACTION_HANDLERS)}"


CASE_SYSTEM_SECRET = "case_system"
"""The secret of SLA_WEBHOOK_SECRETS that signs calls to the case system, and only those."""

COMMAND_REJECTED = "CommandRejectedError"
COMMAND_INVALID = "CommandInvalidError"
"""The `ApplicationError` types of a refused command: the API answers 409 and 422."""
DELIVERY_REJECTED = "DeliveryRejected"
DELIVERY_FAILED = "DeliveryFailed"
"""The `ApplicationError` types of a failed action: final, or worth retrying."""


class CommandRejectedError(ValueError):
    """A command that does not fit the case's state now; the message says why and what to do."""

    error_type: ClassVar[str] = COMMAND_REJECTED


class CommandInvalidError(CommandRejectedError):
    """A command that is wrong in itself (an unknown milestone, an impossible instant, a bad
    payload) whatever the case's state; callers fix the request, not the timing."""

    error_type: ClassVar[str] = COMMAND_INVALID


def problems_of(error: ValidationError) -> str:
    """A validation error as one line: `reason: Field required; nme: Extra inputs ...`."""
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'input'}: {e['msg']}" for e in error.errors()
    )


# ------------------------------------------------------------------------------------ conditions

Scalar = str | int | float | bool | None
FieldValue = Scalar | list[str | int | float | bool]
CaseFields = dict[str, FieldValue]


def _bounded_fields(fields: CaseFields) -> CaseFields:
    check_case_fields(fields)
    return fields


CaseFieldsGiven = Annotated[CaseFields, AfterValidator(_bounded_fields)]
"""Case fields as a caller sends them: bounded (README "Limits")."""

Operator = Literal["eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "exists", "changed_to"]
OPERATORS: tuple[Operator, ...] = (
    "eq",
    "ne",
    "in",
    "not_in",
    "gt",
    "gte",
    "lt",
    "lte",
    "exists",
    "changed_to",
)

_NAME = r"^[A-Za-z0-9_][A-Za-z0-9_ .:#@+()&-]*$"  # no "/": names sit in keys and URL paths


class Condition(BaseModel):
    """One test of a case field: `{"field": "priority", "op": "eq", "value": "High"}`.

    `changed_to` holds only on the update that changed the field to the value; `exists` tests that
    the field is present and not null (`"value": false` tests the opposite).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str = Field(min_length=1, max_length=100)
    op: Operator
    value: FieldValue = None

    @model_validator(mode="after")
    def _value_fits_operator(self) -> Self:
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f'\'{self.op}\' needs a list value, e.g. ["High", "Urgent"]')
        if isinstance(self.value, list) and len(self.value) > MAX_CONDITIONS:
            raise ValueError(f"'{self.op}' takes at most {MAX_CONDITIONS} values")
        if self.op not in ("in", "not_in") and isinstance(self.value, list):
            raise ValueError(f"'{self.op}' compares with one value, not a list: use 'in'")
        if self.op in ("gt", "gte", "lt", "lte") and (
            self.value is None or isinstance(self.value, bool)
        ):
            raise ValueError(f"'{self.op}' needs a number or a string to compare with")
        if self.op == "exists" and not isinstance(self.value, bool | None):
            raise ValueError("'exists' takes true, false or no value")
        return self


class Criteria(BaseModel):
    """Conditions on case fields and case events; data, never code.

    Holds when every `all` condition holds, at least one `any` condition holds (if there are any),
    and, when `events` are named, the case event being recorded is one of them. Empty criteria
    always hold.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    all: list[Condition] = Field(default_factory=list, max_length=MAX_CONDITIONS)
    any: list[Condition] = Field(default_factory=list, max_length=MAX_CONDITIONS)
    events: list[Label] = Field(default_factory=list, max_length=MAX_CONDITIONS)

    @property
    def is_empty(self) -> bool:
        return not (self.all or self.any or self.events)

    @property
    def is_edge(self) -> bool:
        """Whether it names a moment (an event, a change) rather than a state."""
        return bool(self.events) or any(
            condition.op == "changed_to" for condition in (*self.all, *self.any)
        )


def _state_criteria(criteria: Criteria | None) -> Criteria | None:
    if criteria is not None and criteria.is_edge:
        raise ValueError("these criteria describe a state: use no events and no 'changed_to'")
    return criteria


StateCriteria = Annotated[Criteria, AfterValidator(_state_criteria)]


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


# --------------------------------------------------------------------------------------- actions

ActionKind = Literal["success", "warning", "violation"]
HANDLER_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"


class Action(BaseModel):
    """Something to do when a milestone succeeds, nears its target or misses it.

    `handler` names one of `ACTION_HANDLERS` (`webhook`, `email`, `case_update`, `escalate`);
    `params` are its parameters. Retries go on with backoff until
    `expires_after` (the handler's default when unset), then the delivery is recorded as failed.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    handler: str = Field(pattern=HANDLER_PATTERN)
    params: dict[str, Any] = Field(default_factory=dict)
    expires_after: Duration | None = None

    @model_validator(mode="after")
    def _params_fit(self) -> Self:
        check_params(self.params)
        if self.handler == WEBHOOK and self.params.get("secret") == CASE_SYSTEM_SECRET:
            raise ValueError(
                f"the secret {CASE_SYSTEM_SECRET!r} signs the calls to your case system only: "
                "name another secret of SLA_WEBHOOK_SECRETS"
            )
        if self.handler in (CASE_UPDATE, ESCALATE) and "url" in self.params:
            raise ValueError(f"{self.handler} always calls SLA_CASE_SYSTEM_URL: remove params.url")
        return self


class WarningAction(Action):
    """Runs when the remaining business time first drops to `before_target`, or when elapsed
    business time reaches `at_percent` of the target (exactly one of the two)."""

    before_target: Duration | None = None
    at_percent: float | None = Field(default=None, gt=0, lt=100)

    @model_validator(mode="after")
    def _one_threshold(self) -> Self:
        if (self.before_target is None) == (self.at_percent is None):
            raise ValueError("a warning needs exactly one of before_target or at_percent")
        return self


class ViolationAction(Action):
    """Runs `after_target` of business time after the target was missed (0: at the target).
    Several of them are escalation levels."""

    after_target: Duration = timedelta(0)


class MilestoneActions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    success: list[Action] = Field(default_factory=list, max_length=MAX_ACTIONS)
    warning: list[WarningAction] = Field(default_factory=list, max_length=MAX_ACTIONS)
    violation: list[ViolationAction] = Field(default_factory=list, max_length=MAX_ACTIONS)


# ---------------------------------------------------------------------------------- the process

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


class ProcessMilestone(BaseModel):
    """One milestone of an entitlement process: when it starts, its target, its actions."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=_NAME)
    color: str = Field(default="#4C78A8", pattern=_COLOR)
    recurrence: Recurrence = "none"
    reporting_category: Label | None = None
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


def _calendars_cover(process: EntitlementProcess, calendars: dict[str, BusinessHours]) -> None:
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
    behaviour: int | None = Field(default=None, ge=1, le=3)
    """The behaviour of the case workflow its starter asks for (`CURRENT_BEHAVIOUR`; the API and
    the CLI set it): 1 writes no milestone records, 2 writes them, 3 is light (the starter sets
    the search attributes and writes the opening records; `NextDeadline` keeps a missed deadline
    while its milestone is open). Left out, the case takes the newest at the cost of a patch
    marker, and cases started by older code replay as they ran."""
    records: bool | None = None
    """What starters said before `behaviour`: True is behaviour 2, False behaviour 1."""

    @model_validator(mode="after")
    def _calendars_present(self) -> Self:
        _calendars_cover(self.process, self.calendars)
        return self


# -------------------------------------------------------------------------------------- commands


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
        _calendars_cover(self.process, self.calendars)
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


# --------------------------------------------------------------------------------------- tracker

InstanceState = Literal["active", "paused", "completed", "cancelled"]
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
]


class TimelineEvent(BaseModel):
    """One thing that happened to a case's milestones (Zendesk's ticket metric events)."""

    at: datetime
    kind: TimelineKind
    milestone: str | None = None
    instance: int | None = None
    detail: str = ""


# --------------------------------------------------------------------------------------- actions


class ActionRequest(BaseModel):
    """What an action activity receives: enough to act, and a key to act on at most once."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    idempotency_key: str
    """`<case_id>/<milestone>/<instance>/<kind>/<n>`: the same for every attempt of the action."""
    case_id: str
    milestone: str
    instance: int
    kind: ActionKind
    n: int
    """1-based position among the milestone's actions of this kind; the escalation level."""
    handler: str
    params: dict[str, Any]
    due_at: datetime
    target_at: datetime | None
    case_fields: CaseFields
    process: str
    process_version: int

    @property
    def event(self) -> str:
        return {
            "success": "milestone.completed",
            "warning": "milestone.warning",
            "violation": "milestone.violated",
        }[self.kind]


class DeliveryFailure(BaseModel):
    """The workflow gave up on an action: retries ran out or a final error came back."""

    request: ActionRequest
    error: str


class ActionResult(BaseModel):
    """What an action activity reports back."""

    status: Literal["delivered", "failed"]
    attempts: int = 1
    detail: str | None = None
