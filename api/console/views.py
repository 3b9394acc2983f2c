"""What the console's pages show of a case, computed from two tracker answers a second apart.

Why two: the tracker says how much business time remains as of an instant, not whether the clock
runs right then (business hours may be closed). The difference between the answer as of `now`
and as of `now + PROBE` is each clock's rate: 1 while it runs, 0 while it stands still. The page's
script moves every figure by its rate and the wall clock, and fetches the tracker again at least
every `REFRESH` and when a countdown reaches zero, so a clock that stops or starts (hours close or
open, a rule pauses the case) shows within that time. Pure: no I/O, never reads the clock.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from api.schemas import CaseSummary
from workflows.contract import CaseTracker, MilestoneStatus, TimelineEvent

PROBE = timedelta(seconds=1)
REFRESH = timedelta(seconds=30)
UTC_ZONE = "UTC"

URGENCY = {"violated": 0, "at_risk": 1, "on_track": 2, "paused": 3, "done": 4}
"""My cases: violated, then at risk, then the rest; each by next deadline."""


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

    @property
    def next_milestone(self) -> MilestoneView | None:
        """The open milestone to watch: overdue ones first, then the least time remaining."""
        running = [m for m in self.milestones if m.open and m.started_at <= self.as_of]
        return min(
            running,
            key=lambda m: (not m.violated, m.remaining.seconds),
            default=None,
        )


def _rate(now: timedelta | None, later: timedelta | None) -> int:
    if now is None or later is None:
        return 0
    return 1 if (later - now) >= PROBE / 2 else 0


def milestone_view(
    now: MilestoneStatus,
    later: MilestoneStatus | None,
    as_of: datetime,
    zone: str,
    pause_reason: str | None = None,
) -> MilestoneView:
    later = later or now
    elapsed_rate = _rate(now.business_elapsed, later.business_elapsed)
    open_ = now.state in ("active", "paused")
    not_started = now.started_at > as_of
    remaining_rate = -elapsed_rate if now.business_remaining > timedelta(0) else 0
    ticking = open_ and remaining_rate != 0
    overdue = None
    if now.time_since_target is not None or (open_ and now.violated):
        since = now.time_since_target or timedelta(0)
        overdue = Figure(since.total_seconds(), _rate(since, later.time_since_target))
    if now.state == "completed":
        status = "Completed late" if now.violated else "Met"
    elif now.state == "cancelled":
        status = f"Cancelled: {now.cancel_reason}" if now.cancel_reason else "Cancelled"
    elif not_started:
        status = "Not started yet"
    elif now.state == "paused":
        status = f"Paused: {pause_reason}" if pause_reason else "Paused"
    elif now.business_remaining <= timedelta(0):
        status = "Violated: overdue"
    elif ticking:
        status = "Running"
    else:
        status = "Stopped: outside business hours"
    counting = "down" if ticking else "still"
    if open_ and overdue is not None:
        counting = "up" if overdue.rate else "still"
    target_in_zone = None
    if now.target_at is not None:
        local = now.target_at.astimezone(ZoneInfo(zone))
        named = "" if local.tzname() == zone else f" ({zone})"
        target_in_zone = f"{local:%a %d %b %Y, %H:%M:%S} {local.tzname()}{named}"
    return MilestoneView(
        name=now.name,
        instance=now.instance,
        color=now.color,
        state=now.state,
        violated=now.violated,
        status=status,
        ticking=ticking,
        counting=counting,
        remaining=Figure(now.business_remaining.total_seconds(), remaining_rate),
        elapsed=Figure(now.business_elapsed.total_seconds(), elapsed_rate),
        stopped=Figure(now.stopped.total_seconds(), _rate(now.stopped, later.stopped)),
        overdue=overdue,
        target=Figure(now.target.total_seconds()),
        started_at=now.started_at,
        target_at=now.target_at,
        target_in_zone=target_in_zone,
        zone=zone,
        completed_at=now.completed_at,
        open=open_,
    )


def case_view(
    now: CaseTracker,
    later: CaseTracker,
    zones: dict[str, str],
    timeline: list[TimelineEvent] | None = None,
) -> CaseView:
    """The case as of `now.as_of`, its rates from `later` (the tracker `PROBE` after), with each
    milestone's calendar zone from `zones` (by milestone name; UTC when it has none)."""
    following = {(m.name, m.instance): m for m in later.milestones}
    milestones = [
        milestone_view(
            m,
            following.get((m.name, m.instance)),
            now.as_of,
            zones.get(m.name, UTC_ZONE),
            now.pause_reason,
        )
        for m in now.milestones
    ]
    refresh = REFRESH.total_seconds()
    for m in milestones:
        if m.ticking:  # be there when it reaches zero (the violation)
            refresh = min(refresh, m.remaining.seconds + 1)
    return CaseView(
        case_id=now.case_id,
        process=now.process,
        process_version=now.process_version,
        sla_state=now.sla_state,
        paused=now.paused,
        pause_reason=now.pause_reason,
        fields=dict(now.fields),
        opened_at=now.opened_at,
        closed_at=now.closed_at,
        as_of=now.as_of,
        milestones=milestones,
        refresh_in=max(refresh, 1.0),
        timeline=list(timeline or []),
    )


def urgency(view: CaseView) -> tuple[int, float]:
    """Sort key of My cases: violated, at risk, then the others; each by next deadline."""
    watched = view.next_milestone
    deadline = watched.target_at.timestamp() if watched and watched.target_at else float("inf")
    return URGENCY.get(view.sla_state, 5), deadline


def open_cases(summaries: list[CaseSummary]) -> list[CaseSummary]:
    return [s for s in summaries if s.status == "running"]


def duration_text(seconds: float) -> str:
    """A duration as the page first renders it (the script keeps it current): `1 d 02:03:04`."""
    whole = int(abs(seconds))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days} d {text}" if days else text
