"""What every part of the milestone clock shares: the case's state and its business time, the
timeline the clock writes, and the lookups and faults of its instances; and the rule for when a
case may open. Pure: no Temporal, no I/O, never reads the clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from workflows.business_time import (
    ALWAYS_OPEN_KEY,
    UNANSWERABLE,
    BusinessTime,
    close_segment,
)
from workflows.case_state import CaseState, Instance, MilestoneHistory, Segment
from workflows.contract import CommandInvalidError, ProcessMilestone, TimelineEvent, TimelineKind
from workflows.limits import MAX_CLOCK_SKEW, MAX_PAST_OPENING


def check_opened_at(opened_at: datetime, now: datetime) -> None:
    """Raise `CommandInvalidError` when a case cannot open at `opened_at` as of `now`: in the
    future (beyond `MAX_CLOCK_SKEW`, for two machines' clocks) or more than ten years ago. The
    one rule, for the API, the opening and the workflow alike."""
    if opened_at > now + MAX_CLOCK_SKEW:
        raise CommandInvalidError(
            f"opened_at {opened_at.isoformat()} is in the future: give a past or present time"
        )
    if opened_at < now - MAX_PAST_OPENING:
        raise CommandInvalidError(
            f"opened_at {opened_at.isoformat()} is more than 10 years ago: a case may be "
            "back-dated by ten years at most"
        )


class ClockCore:
    """The state of one case's milestones, and what the clock's rules share."""

    def __init__(self, state: CaseState) -> None:
        self.state = state
        self.time = BusinessTime(state.calendars)
        self._latest = max((event.at for event in state.timeline), default=state.opened_at)
        """The latest instant the clock was told of: when it learns of a fault."""
        for instance in state.instances:
            if instance.segments_derived:
                instance.segments = derived_segments(self.time, state, instance)
                instance.segments_derived = False

    @property
    def latest(self) -> datetime:
        """The latest instant the clock was told of."""
        return self._latest

    @property
    def closed(self) -> bool:
        return self.state.closed_at is not None

    @property
    def paused(self) -> bool:
        return self.state.paused

    @property
    def applied_at(self) -> datetime:
        """The latest instant a command (or `max_pause`'s own resume) was applied at: the case
        applies nothing dated earlier, so its history never needs rewriting."""
        return self.state.applied_at or self.state.opened_at

    def instance(self, name: str) -> Instance | None:
        """The latest instance of milestone `name` (case-insensitive) the state carries."""
        key = name.casefold()
        found = [i for i in self.state.instances if i.milestone.casefold() == key]
        return found[-1] if found else None

    def _last(self, name: str) -> MilestoneHistory | None:
        """What the latest instance of milestone `name` left, carried or left out."""
        instance = self.instance(name)
        if instance is not None:
            return history_of(instance, self.target_at(instance))
        key = name.casefold()
        return next((h for m, h in self.state.history.items() if m.casefold() == key), None)

    def _milestone(self, instance: Instance) -> ProcessMilestone:
        milestone = self.state.process.milestone(instance.milestone)
        assert milestone is not None, f"{instance.milestone} is not in the case's process"
        return milestone

    def _calendar_key(self, milestone: ProcessMilestone) -> str:
        return milestone.business_hours or self.state.process.business_hours or ALWAYS_OPEN_KEY

    def _priority(self) -> str | None:
        priority = self.state.fields.get("priority")
        return None if priority is None else str(priority)

    def target_at(self, instance: Instance) -> datetime | None:
        """The instance's target instant, or None when it cannot be computed (a fault)."""
        if instance.fault is not None:
            return None
        try:
            return self.time.target_at(instance)
        except UNANSWERABLE:
            return None

    def _fault(self, instance: Instance, error: Exception) -> None:
        """The instance's deadlines cannot be computed: it runs no more actions, and the tracker
        and the timeline say why, instead of the case failing on every wake-up."""
        instance.fault = f"its deadlines cannot be computed: {error}"
        self._log(self._latest, "fault", instance, instance.fault)

    def _log(
        self, at: datetime, kind: TimelineKind, instance: Instance | None, detail: str = ""
    ) -> None:
        self.state.timeline.append(
            TimelineEvent(
                at=at,
                kind=kind,
                milestone=instance.milestone if instance else None,
                instance=instance.number if instance else None,
                detail=detail,
            )
        )


def human(duration: timedelta) -> str:
    """'24h', '1h30m', '45s': how people write SLA targets."""
    seconds = round(duration.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "".join(
        f"{value}{unit}" for value, unit in ((hours, "h"), (minutes, "m"), (seconds, "s")) if value
    )
    return text or "0s"


def history_of(instance: Instance, target_at: datetime | None) -> MilestoneHistory:
    return MilestoneHistory(
        number=instance.number,
        state=instance.state,
        ended_at=instance.ended_at,
        target_at=target_at,
    )


def derived_segments(time: BusinessTime, state: CaseState, instance: Instance) -> list[Segment]:
    """The segments of an instance that ran in one calendar since it started: the stretches the
    case ran, ending where the instance ended (or stands paused)."""
    segments = time.running_segments(state.pause_spans(), instance.started_at, instance.calendar)
    probe = instance.model_copy(update={"segments": segments})
    if instance.ended_at is not None:
        close_segment(probe, instance.ended_at)
    return probe.segments
