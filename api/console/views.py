"""What the console's pages show of a case, computed from its tracker.

Each milestone's `clock` says what its countdown does as of the tracker (running, standing
still outside business hours or while paused, not started, ended) and `clock_changes_at` when
that changes by itself (hours open or close). The page's script moves every figure by its rate
and the wall clock, and fetches the tracker again when a countdown reaches zero, when a clock
changes by itself, and at least every `REFRESH` (a command from elsewhere). Pure: no I/O, never
reads the clock.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from api.crud.reports import OpenCase
from workflows.contract import CaseEntitlement, CaseTracker, MilestoneStatus, TimelineEvent

REFRESH = timedelta(seconds=30)
UTC_ZONE = "UTC"

URGENCY = {"violated": 0, "at_risk": 1, "on_track": 2, "paused": 3, "done": 4}
"""My cases: violated, then at risk, then the rest."""


@dataclass(frozen=True)
class Figure:
    """A duration the page shows and moves: `seconds` as of the tracker, changing by `rate`
    seconds per wall-clock second."""

    seconds: float
    rate: int = 0


@dataclass(frozen=True)
class MilestoneView:
    name: str
    instance: int
    color: str
    state: str
    violated: bool
    status: str
    """What the clock is doing, in words: running, paused (why), outside business hours, ..."""
    ticking: bool
    """Whether its countdown runs: active, not paused, inside business hours, not yet due."""
    counting: str
    """What the page's big figure does: `down` (remaining), `up` (overdue) or `still`."""
    remaining: Figure
    elapsed: Figure
    stopped: Figure
    overdue: Figure | None
    target: Figure
    started_at: datetime
    target_at: datetime | None
    target_in_zone: str | None
    zone: str
    completed_at: datetime | None
    changes_at: datetime | None
    """When its clock starts or stops by itself (business hours open or close)."""
    open: bool


@dataclass(frozen=True)
class CaseView:
    case_id: str
    process: str
    process_version: int
    sla_state: str
    paused: bool
    pause_reason: str | None
    fields: dict[str, object]
    opened_at: datetime
    closed_at: datetime | None
    as_of: datetime
    milestones: list[MilestoneView]
    refresh_in: float
    """Seconds until the page should ask for the tracker again."""
    timeline: list[TimelineEvent] = field(default_factory=list)
    entitlement: CaseEntitlement | None = None


def milestone_view(
    status: MilestoneStatus, as_of: datetime, zone: str, pause_reason: str | None = None
) -> MilestoneView:
    running = status.clock == "running"
    open_ = status.clock != "ended"
    remaining_rate = -1 if running and status.business_remaining > timedelta(0) else 0
    overdue = None
    if status.time_since_target is not None or (open_ and status.violated):
        since = status.time_since_target or timedelta(0)
        # Overdue time is calendar time since the target: it grows while the instance is open.
        overdue = Figure(since.total_seconds(), 1 if open_ else 0)
    if status.state == "completed":
        words = "Completed late" if status.violated else "Met"
    elif status.state == "cancelled":
        words = f"Cancelled: {status.cancel_reason}" if status.cancel_reason else "Cancelled"
    elif status.clock == "not_started":
        words = "Not started yet"
    elif status.clock == "paused":
        words = f"Paused: {pause_reason}" if pause_reason else "Paused"
    elif status.business_remaining <= timedelta(0):
        words = "Violated: overdue"
    elif running:
        words = "Running"
    else:
        words = "Stopped: outside business hours"
    counting = "down" if remaining_rate else "still"
    if open_ and overdue is not None:
        counting = "up"
    target_in_zone = None
    if status.target_at is not None:
        local = status.target_at.astimezone(ZoneInfo(zone))
        named = "" if local.tzname() == zone else f" ({zone})"
        target_in_zone = f"{local:%a %d %b %Y, %H:%M:%S} {local.tzname()}{named}"
    return MilestoneView(
        name=status.name,
        instance=status.instance,
        color=status.color,
        state=status.state,
        violated=status.violated,
        status=words,
        ticking=remaining_rate != 0,
        counting=counting,
        remaining=Figure(status.business_remaining.total_seconds(), remaining_rate),
        elapsed=Figure(status.business_elapsed.total_seconds(), 1 if running else 0),
        stopped=Figure(status.stopped.total_seconds(), 1 if status.clock == "paused" else 0),
        overdue=overdue,
        target=Figure(status.target.total_seconds()),
        started_at=status.started_at,
        target_at=status.target_at,
        target_in_zone=target_in_zone,
        zone=zone,
        completed_at=status.completed_at,
        changes_at=status.clock_changes_at,
        open=open_,
    )


def case_view(
    tracker: CaseTracker, zones: dict[str, str], timeline: list[TimelineEvent] | None = None
) -> CaseView:
    """The case as of `tracker.as_of`, with each milestone's calendar zone from `zones` (by
    milestone name; UTC when it has none)."""
    milestones = [
        milestone_view(m, tracker.as_of, zones.get(m.name, UTC_ZONE), tracker.pause_reason)
        for m in tracker.milestones
    ]
    refresh = REFRESH.total_seconds()
    for m in milestones:
        if m.ticking:  # be there when it reaches zero (the violation)
            refresh = min(refresh, m.remaining.seconds + 1)
        if m.open and m.changes_at is not None:  # and when hours open or close
            refresh = min(refresh, (m.changes_at - tracker.as_of).total_seconds() + 1)
    return CaseView(
        case_id=tracker.case_id,
        process=tracker.process,
        process_version=tracker.process_version,
        sla_state=tracker.sla_state,
        paused=tracker.paused,
        pause_reason=tracker.pause_reason,
        fields=dict(tracker.fields),
        opened_at=tracker.opened_at,
        closed_at=tracker.closed_at,
        as_of=tracker.as_of,
        milestones=milestones,
        refresh_in=max(refresh, 1.0),
        timeline=list(timeline or []),
        entitlement=tracker.entitlement,
    )


@dataclass(frozen=True)
class CaseRow:
    """A case in My cases: its SLA state and the wall-clock time to its next deadline (an
    instant the clock computed in business time; counting up once passed). No deadline while
    paused or with no running milestone."""

    case: OpenCase
    deadline: Figure | None
    overdue: bool
    href: str
    """Its case page. Computed here, as the words below: a page lists hundreds of rows, and
    each filter or macro call in the template costs more than the row's own text."""
    state_words: str
    deadline_text: str


def case_rows(cases: list[OpenCase], now: datetime) -> list[CaseRow]:
    """Violated first, then at risk, then the rest; each by next deadline."""
    rows = []
    for case in cases:
        deadline = None
        overdue = False
        if case.next_deadline is not None and case.sla_state != "paused":
            left = (case.next_deadline - now).total_seconds()
            overdue = left < 0
            deadline = Figure(abs(left), 1 if overdue else -1)
        rows.append(
            CaseRow(
                case,
                deadline,
                overdue,
                href=f"/console/cases/{quote(case.case_id, safe='')}",
                state_words=case.sla_state.replace("_", " "),
                deadline_text=duration_text(deadline.seconds) if deadline else "",
            )
        )

    def urgency(row: CaseRow) -> tuple[int, float]:
        due = row.case.next_deadline
        return URGENCY.get(row.case.sla_state, 5), due.timestamp() if due else math.inf

    return sorted(rows, key=urgency)


def duration_text(seconds: float) -> str:
    """A duration as the page first renders it (the script keeps it current): `1 d 02:03:04`."""
    whole = int(abs(seconds))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days} d {text}" if days else text
