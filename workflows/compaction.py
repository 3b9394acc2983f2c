"""What a long case carries into its next run: its state without what it no longer needs, so it
stays small however long the case runs (a year of a daily milestone is hundreds of instances).

Left out, and counted in `CaseState.left_out` so the tracker and the timeline say so:
- ended instances: their milestone records keep them, written before the case continues; each
  milestone keeps what its next instance needs (`CaseState.history`);
- ended pauses: only when each began and ended stays (`CaseState.earlier_pauses`, a few bytes a
  pause), which is all business time ever needs of them;
- the timeline's events of ended instances, and all but the latest case-wide events;
- the segments of an open instance that ran in one calendar since it started: they are exactly
  the stretches the case ran, derived again when the state is loaded (checked here first);
- the years of pinned holidays the case can no longer reach: before the year before its oldest
  open instance started (none when a milestone may still start from the process entry, which
  counts from the opening).

Everything kept is exact: a continued run computes every open instance's countdown, every
threshold and the next start of every milestone as the uncompacted state would. Pure: no I/O.
"""

from __future__ import annotations

from datetime import date

from workflows.business_hours import BusinessHours
from workflows.case_state import CaseState, Instance, encode_spans
from workflows.clock.core import ClockCore, derived_segments, history_of
from workflows.contract import TimelineEvent

KEEP_CASE_EVENTS = 50
"""Case-wide timeline events (pauses, resumes, process changes) a continued run keeps."""


def compacted(clock: ClockCore) -> CaseState:
    """The clock's state as a continued run carries it. Call it only once every milestone
    record the state holds is written: the instances it leaves out live on in their records."""
    state = clock.state
    kept = [instance for instance in state.instances if instance.open]
    ended = [instance for instance in state.instances if not instance.open]
    history = dict(state.history)
    for instance in ended:  # in order of start: the latest of each milestone wins
        history[instance.milestone] = history_of(instance, clock.target_at(instance))
    ended_pauses = [p for p in state.pauses if p.resumed_at is not None]
    pauses = [p for p in state.pauses if p.resumed_at is None]
    spans = [(p.paused_at, p.resumed_at) for p in ended_pauses if p.resumed_at is not None]
    timeline, dropped = _kept_events(state.timeline, kept)
    left_out = state.left_out.model_copy(
        update={
            "instances": state.left_out.instances + len(ended),
            "pauses": state.left_out.pauses + len(ended_pauses),
            "timeline_events": state.left_out.timeline_events + len(dropped),
            "breached": state.left_out.breached or any(i.violated for i in ended),
            "before": max(
                [e.at for e in dropped]
                + ([state.left_out.before] if state.left_out.before else []),
                default=None,
            ),
        }
    )
    carried = state.model_copy(
        update={
            "instances": [_with_derived_segments(clock, instance) for instance in kept],
            "pauses": pauses,
            "earlier_pauses": encode_spans(spans, state.earlier_pauses),
            "timeline": timeline,
            "history": history,
            "left_out": left_out,
        }
    )
    reachable = _first_reachable_year(clock, carried)
    if reachable is not None:
        calendars = {name: _from_year(hours, reachable) for name, hours in state.calendars.items()}
        carried = carried.model_copy(update={"calendars": calendars})
    return carried


def _kept_events(
    events: list[TimelineEvent], kept: list[Instance]
) -> tuple[list[TimelineEvent], list[TimelineEvent]]:
    """The events a continued run keeps (those of open instances, the opening, the latest
    case-wide ones), and those it leaves out."""
    open_instances = {(instance.milestone, instance.number) for instance in kept}
    case_wide = [e for e in events if e.milestone is None and e.kind != "opened"]
    recent = {id(e) for e in case_wide[-KEEP_CASE_EVENTS:]}
    keep: list[TimelineEvent] = []
    drop: list[TimelineEvent] = []
    for event in events:
        if event.milestone is not None:
            wanted = (event.milestone, event.instance) in open_instances
        else:
            wanted = event.kind in ("opened", "left_out") or id(event) in recent
        (keep if wanted else drop).append(event)
    return keep, drop


def _with_derived_segments(clock: ClockCore, instance: Instance) -> Instance:
    """The instance without its segments when they are exactly those the clock derives again
    from the case's pauses (one calendar, no fault); else as it is."""
    if instance.fault is not None or not instance.segments:
        return instance
    if any(segment.calendar != instance.calendar for segment in instance.segments):
        return instance
    if derived_segments(clock.time, clock.state, instance) != instance.segments:
        return instance
    return instance.model_copy(update={"segments": [], "segments_derived": True})


def _first_reachable_year(clock: ClockCore, state: CaseState) -> int | None:
    """The first year the case's calendars can still be asked about; None when any (a milestone
    that may yet start from the process entry counts from the opening)."""
    started = {instance.milestone for instance in state.instances} | set(state.history)
    for milestone in state.process.milestones:
        if milestone.start_from == "process" and milestone.name not in started:
            return None
    starts = [instance.started_at for instance in state.instances]
    oldest = min([*starts, clock.latest], default=clock.latest)
    return oldest.year - 1


def _from_year(hours: BusinessHours, year: int) -> BusinessHours:
    first = date(year, 1, 1)
    return hours.model_copy(
        update={
            "holidays": [h for h in hours.holidays if h.date >= first],
            "pinned_holidays": [d for d in hours.pinned_holidays if d >= first],
        }
    )
