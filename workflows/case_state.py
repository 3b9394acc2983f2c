"""What the milestone clock knows about a case: its fields, its pinned process and calendars, its
milestone instances with their running segments of business time, its pauses and its timeline.

Plain data (pydantic), carried into a continued-as-new run; a long case carries it compacted
(`workflows.compaction`: what it left out is counted in `left_out`). The rules that change it
live in `workflows.clock`, the arithmetic on segments in `workflows.business_time`. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, Field

from workflows.business_hours import BusinessHours
from workflows.contract import (
    ActionStatus,
    CaseEntitlement,
    CaseFields,
    EntitlementProcess,
    InstanceState,
    LeftOut,
    PauseRecord,
    TimelineEvent,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
PauseSpan = tuple[datetime, datetime | None]
"""A pause as business time sees it: when it began and when it ended (None: it goes on)."""


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
    segments_derived: bool = False
    """Its segments were left out of a continued run's state, being exactly the stretches the
    case ran since the instance started (its one calendar, the case's pauses): the clock derives
    them again when it loads the state."""
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


class MilestoneHistory(BaseModel):
    """What a milestone's instances left out of a long case's state leave behind: what its
    next instance needs (its number, whether the milestone was met for good, where a sequential
    cadence goes on from) and what a refused completion says."""

    number: int
    state: InstanceState
    ended_at: datetime | None = None
    target_at: datetime | None = None


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
    history: dict[str, MilestoneHistory] = Field(default_factory=dict)
    """By milestone: the latest of its instances left out of the state (a long case's)."""
    earlier_pauses: list[int] = Field(default_factory=list)
    """The pauses left out of the state, as business time needs them (when each began and
    ended, nothing else), in microseconds: the first pause's start since the epoch, then for
    each its length and the gap to the next one's start."""
    left_out: LeftOut = Field(default_factory=LeftOut)

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1].resumed_at is None

    @property
    def breached(self) -> bool:
        """Whether any milestone instance of the case was violated (a breach is never undone)."""
        return self.left_out.breached or any(instance.violated for instance in self.instances)

    def pause_spans(self) -> Iterator[PauseSpan]:
        """Every pause of the case in order, those left out of the state included."""
        yield from decode_spans(self.earlier_pauses)
        for pause in self.pauses:
            yield pause.paused_at, pause.resumed_at

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


def encode_spans(spans: list[tuple[datetime, datetime]], after: list[int]) -> list[int]:
    """`after` (encoded spans) followed by `spans`, ended pauses in order, encoded."""
    numbers = list(after)
    last_end = _end_of(numbers)
    for start, end in spans:
        begin = (start - EPOCH) // MICROSECOND
        numbers += [begin if last_end is None else begin - last_end, (end - start) // MICROSECOND]
        last_end = (end - EPOCH) // MICROSECOND
    return numbers


def decode_spans(numbers: list[int]) -> Iterator[tuple[datetime, datetime]]:
    position = 0
    for n in range(0, len(numbers) - 1, 2):
        position += numbers[n]
        start = position
        position += numbers[n + 1]
        yield EPOCH + start * MICROSECOND, EPOCH + position * MICROSECOND


def _end_of(numbers: list[int]) -> int | None:
    """The end of the last span `numbers` encode, in microseconds since the epoch."""
    return sum(numbers) if numbers else None
