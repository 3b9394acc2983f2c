"""Milestone records: what the config database keeps of every milestone instance and every case,
and the batch a case writes them in (derived from the tracker by `workflows.records`). Pure."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from workflows.contract.states import InstanceState, SlaState

Outcome = Literal["met", "completed_late", "violated_open", "cancelled"]


class MilestoneRecord(BaseModel):
    """One milestone instance as reports read it; keyed by case, milestone and instance."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    milestone: str
    instance: int
    account_id: str | None
    process: str
    process_version: int
    entitlement: str | None = None
    """The entitlement the case ran under (None: none, or the case named its process)."""
    reporting_category: str | None
    color: str
    priority_at_start: str | None
    priority_at_end: str | None
    state: InstanceState
    started_at: datetime
    target_at: datetime | None
    warned_at: datetime | None
    violated_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    target_seconds: float
    """The target, in business seconds."""
    business_elapsed_seconds: float
    stopped_seconds: float
    """Calendar seconds the instance spent paused."""
    completed_late: bool
    outcome: Outcome | None
    resolved_at: datetime | None
    as_of: datetime
    """When the elapsed and stopped figures were taken: the instance's end once it ended."""


class CaseRecord(BaseModel):
    """A case as reports read it."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    account_id: str | None
    process: str
    process_version: int
    entitlement: str | None = None
    owner: str | None = None
    """The case's `owner` field (an agent or a queue): what the console's "My cases" reads."""
    opened_at: datetime
    closed_at: datetime | None
    sla_state: SlaState
    """`done` once closed; `breached` then says whether any milestone was violated."""
    breached: bool
    as_of: datetime


class RecordBatch(BaseModel):
    """The records a case changed in one workflow task, written together. A row is written only
    when its stored revision is not newer, so a retried or late batch never undoes a newer one."""

    model_config = ConfigDict(frozen=True)

    revision: int
    case: CaseRecord
    milestones: list[MilestoneRecord]
