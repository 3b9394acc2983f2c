"""Actions: what a milestone runs when it succeeds, nears its target or misses it, as a process
defines it (`Action` and its kinds) and as an action activity receives it (`ActionRequest`),
with what the activity reports back. Pure: no I/O."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from workflows.contract.conditions import CaseFields
from workflows.contract.names import CASE_SYSTEM_SECRET, CASE_UPDATE, ESCALATE, WEBHOOK
from workflows.contract.records import RecordBatch
from workflows.contract.states import ActionKind
from workflows.limits import MAX_ACTIONS, check_params
from workflows.values import Duration

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
    records: RecordBatch | None = None
    """The milestone records of the task that made the action due, for its handler to write once
    it has acted (`Behaviour.RECORDS_RIDE_ACTIONS`): the case then writes none of its own. Only a
    local attempt carries them."""

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
    records_written: bool = False
    """Whether it wrote the record batch it was handed (`Behaviour.RECORDS_RIDE_ACTIONS`)."""
