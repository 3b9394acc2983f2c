"""The human rendering of the SLA API's answers with rich, for the `sla` CLI and the demo: case
trackers (`render_trackers`), a completed milestone (`render_outcome`), a case's timeline
(`render_timeline`), a process version in words (`render_process`, `criteria_text`), and the pieces
the CLI's listings are made of (`new_table`, `milestone_label`, `state_text`, `level_text`, the
styles, and the formatters of durations and instants `business`, `span`, `countdown`, `local`,
`near`).

It only turns answers into rich text on a console it is given: it must not call the API, read
settings or the environment, or exit; an answer it cannot read raises the client's `ApiError`.
Instants are shown on this machine's wall clock; a tracker's countdowns are as of its `as_of` (the
server's now), not this machine's clock.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from rich import box
from rich.console import Console
from rich.style import Style
from rich.table import Table
from rich.text import Text

from terminal.client import DEFAULT_NAMESPACE, DEFAULT_UI_URL, parse_answer, workflow_url
from workflows.contract import (
    CaseTracker,
    Condition,
    Criteria,
    EntitlementProcess,
    FieldValue,
    MilestoneStatus,
    ProcessMilestone,
    TimelineEvent,
)

SLA_STATE_STYLES = {
    "on_track": "green",
    "at_risk": "yellow",
    "violated": "bold red",
    "paused": "blue",
    "done": "dim",
}
TIMELINE_STYLES = {
    "opened": "bold",
    "started": "green",
    "paused": "blue",
    "resumed": "blue",
    "warned": "yellow",
    "violated": "bold red",
    "escalated": "red",
    "completed": "green",
    "cancelled": "dim",
    "retargeted": "cyan",
    "process_applied": "cyan",
    "action_failed": "bold red",
    "closed": "dim",
}
_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")


def business(duration: timedelta) -> str:
    """A business duration as hours and minutes, '1h 05m' ('40h 00m', not days: a business day
    depends on the calendar); under a minute, seconds ('45s')."""
    seconds = int(duration.total_seconds())
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    if 0 < seconds < 60:
        return f"{sign}{seconds}s"
    hours, rest = divmod(seconds, 3600)
    return f"{sign}{hours}h {rest // 60:02d}m"


def span(duration: timedelta) -> str:
    """A length of calendar time, to the most useful two units: '2d 03h', '1h 12m', '12m', '40s'."""
    seconds = int(abs(duration.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m" if minutes else f"{seconds}s"


def countdown(until: timedelta) -> str:
    """Time to a deadline: 'in 1h 12m', or past it: '12m late'."""
    return f"in {span(until)}" if until >= timedelta(0) else f"{span(until)} late"


def local(instant: datetime | None, seconds: bool = False) -> str:
    """An instant on this machine's wall clock, 'Mon 09 Mar 14:30'."""
    if instant is None:
        return "—"
    return instant.astimezone().strftime("%a %d %b %H:%M:%S" if seconds else "%a %d %b %H:%M")


def near(instant: datetime, reference: datetime) -> str:
    """An instant on this machine's wall clock, as short as `reference` (the tracker's now)
    allows: '14:30' the same day, 'Thu 14:30' within a week, else '26 Nov 14:30'."""
    at, ref = instant.astimezone(), reference.astimezone()
    days = abs((at.date() - ref.date()).days)
    if days == 0:
        return at.strftime("%H:%M")
    if days < 7:
        return at.strftime("%a %H:%M")
    return at.strftime("%d %b %H:%M" if at.year == ref.year else "%d %b %Y %H:%M")


def _zone(instant: datetime) -> str:
    return instant.astimezone().strftime("%Z")


def state_text(state: str) -> Text:
    return Text(state, style=SLA_STATE_STYLES.get(state, ""))


def color_style(color: str) -> Style:
    return Style(color=color) if _COLOR.match(color) else Style()


def milestone_label(
    status: MilestoneStatus | ProcessMilestone, instance: int | None = None
) -> Text:
    """The milestone's name in its type's color; recurring ones with their instance number."""
    style = color_style(status.color)
    label = Text.assemble(("● ", style), (status.name, style + Style(bold=True)))
    if instance is not None and (instance > 1 or status.recurrence != "none"):
        label.append(f" #{instance}", style="dim")
    return label


def _instance_state(status: MilestoneStatus) -> Text:
    """The instance's state in the color of where it stands. An active instance past its target
    reads 'violated'; for the others the due column says how late they were."""
    if status.state == "active" and status.violated:
        return Text("violated", style="bold red")
    if status.state == "active":
        return Text("active", style="yellow" if status.warnings_fired else "green")
    return Text(status.state, style={"paused": "blue"}.get(status.state, "dim"))


def _instance_due(status: MilestoneStatus, as_of: datetime) -> Text:
    """Where the instance stands against its target: '14:30, in 1h 12m', '14:30, 12m late',
    'met 14:20, on time', with times as short as `as_of` (the tracker's now) allows."""

    if status.state == "active" and status.target_at is not None:
        text = Text(f"{near(status.target_at, as_of)}, ")
        if status.violated or status.target_at <= as_of:
            late = status.time_since_target or (as_of - status.target_at)
            return text.append(f"{span(late)} late", style="bold red")
        style = "yellow" if status.warnings_fired else "green"
        return text.append(countdown(status.target_at - as_of), style=style)
    if status.state == "paused":
        text = Text("clock stopped", style="blue")
        if status.time_since_target:
            text.append(f", {span(status.time_since_target)} late", style="red")
        return text
    if status.state == "completed" and status.completed_at is not None:
        text = Text(f"met {near(status.completed_at, as_of)}", style="dim")
        if status.violated and status.target_at is not None:
            text.append(f", {span(status.completed_at - status.target_at)} late", style="red")
        elif status.violated:
            text.append(", late", style="red")
        else:
            text.append(", on time", style="green")
        return text
    if status.state == "cancelled":
        return Text(f"cancelled: {status.cancel_reason or 'no reason given'}", style="dim")
    return Text("—")


def new_table(**options: Any) -> Table:
    """A table with a rule under its header and one space between columns (80 columns hold a
    case's milestones)."""
    return Table(
        box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 1, 0, 0), **options
    )


def fields_text(fields: Mapping[str, FieldValue]) -> Text:
    text = Text()
    for n, (key, value) in enumerate(fields.items()):
        if n:
            text.append("  ")
        shown = value if isinstance(value, str) else json.dumps(value)
        text.append(f"{key}=", style="dim")
        text.append(shown)
    return text


def _milestone_table(tracker: CaseTracker) -> Table:
    """One row per milestone instance, within 80 columns: only the due column wraps."""
    table = new_table()
    table.add_column("milestone", no_wrap=True)
    table.add_column("state", no_wrap=True)
    table.add_column("due")
    # Business durations line up on their unit.
    table.add_column("elapsed", justify="right", no_wrap=True)
    table.add_column("remaining", justify="right", no_wrap=True)
    # Paused time is worth a column only on cases that were paused.
    paused = any(status.stopped >= timedelta(seconds=1) for status in tracker.milestones)
    if paused:
        table.add_column("paused", justify="right", no_wrap=True)
    for status in tracker.milestones:
        cells = [
            milestone_label(status, status.instance),
            _instance_state(status),
            _instance_due(status, tracker.as_of),
            Text.assemble(
                business(status.business_elapsed), (f" of {business(status.target)}", "dim")
            ),
            Text(business(status.business_remaining)),
        ]
        if paused:
            stopped = status.stopped >= timedelta(seconds=1)
            cells.append(Text(span(status.stopped) if stopped else "—", style="blue"))
        table.add_row(*cells)
    return table


def render_trackers(
    trackers: Iterable[CaseTracker | Mapping[str, Any]],
    console: Console,
    *,
    ui_url: str = DEFAULT_UI_URL,
    namespace: str = DEFAULT_NAMESPACE,
) -> None:
    """Each case: a heading with its SLA state, its fields, a table of its milestones (colors of
    their types, local target times, countdowns, business time as '1h 05m') and the link to its
    workflow in the Temporal UI. Countdowns are as of the tracker's `as_of` (the server's now)."""
    for n, item in enumerate(trackers):
        tracker = item if isinstance(item, CaseTracker) else parse_answer(CaseTracker, item)
        if n:
            console.print()
        heading = Text.assemble(
            (tracker.case_id, "bold"),
            "  ",
            (f"{tracker.process} v{tracker.process_version}", "cyan"),
            "  ",
            state_text(tracker.sla_state),
        )
        if tracker.paused:
            heading.append(f"  paused: {tracker.pause_reason or 'no reason given'}", style="blue")
        console.print(heading, soft_wrap=True)
        when = Text(f"opened {local(tracker.opened_at)} {_zone(tracker.opened_at)}", style="dim")
        if tracker.closed_at is not None:
            when.append(f" · closed {local(tracker.closed_at)}", style="dim")
        elif tracker.next_deadline is not None:
            when.append(f" · next deadline {local(tracker.next_deadline)} ", style="dim")
            when.append(
                countdown(tracker.next_deadline - tracker.as_of),
                style=SLA_STATE_STYLES.get(tracker.sla_state, ""),
            )
        console.print(when, soft_wrap=True)
        if tracker.fields:
            console.print(fields_text(tracker.fields), soft_wrap=True)
        console.print(_milestone_table(tracker))
        render_workflow_link(workflow_url(tracker.case_id, ui_url, namespace), console)


def render_workflow_link(url: str, console: Console) -> None:
    """The line linking to a case's workflow in the Temporal UI."""
    # soft_wrap: a link broken over two lines is no longer a link.
    console.print(
        Text.assemble(("Temporal UI  ", "dim"), (url, Style(link=url, underline=True))),
        soft_wrap=True,
    )


def render_outcome(status: MilestoneStatus, console: Console) -> None:
    """One line for a completed milestone instance: when, on time or how late, business time."""
    line = milestone_label(status, status.instance)
    line.append(" ")
    line.append_text(_instance_state(status))
    if status.completed_at is not None:
        line.append(f" {local(status.completed_at)}")
    if status.violated and status.completed_at is not None and status.target_at is not None:
        line.append(f", {span(status.completed_at - status.target_at)} late", style="red")
    elif status.violated:
        line.append(", late", style="red")
    else:
        line.append(", on time", style="green")
    line.append(
        f" · {business(status.business_elapsed)} of {business(status.target)} business time",
        style="dim",
    )
    console.print(line, soft_wrap=True)


def render_timeline(case_id: str, events: Sequence[TimelineEvent], console: Console) -> None:
    table = new_table(
        title=Text(f"{case_id}: timeline ({_zone(datetime.now(UTC))})", style="bold"),
        title_justify="left",
    )
    for column in ("at", "event", "milestone", "detail"):
        table.add_column(column)
    for event in events:
        milestone = Text(event.milestone or "")
        if event.milestone and event.instance is not None:
            milestone.append(f" #{event.instance}", style="dim")
        table.add_row(
            Text(local(event.at, seconds=True)),
            Text(event.kind, style=TIMELINE_STYLES.get(event.kind, "")),
            milestone,
            Text(event.detail),
        )
    console.print(table)


_OPERATORS = {
    "eq": "=",
    "ne": "≠",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "in": "in",
    "not_in": "not in",
}


def _condition_text(condition: Condition) -> str:
    value = json.dumps(condition.value, ensure_ascii=False)
    if condition.op == "exists":
        return f"{condition.field} {'is not set' if condition.value is False else 'is set'}"
    if condition.op == "changed_to":
        return f"{condition.field} changes to {value}"
    return f"{condition.field} {_OPERATORS[condition.op]} {value}"


def criteria_text(criteria: Criteria | None, empty: str) -> str:
    """Criteria in words: 'status = "Solved" and (priority = "High" or tier = "Gold")'."""
    if criteria is None or criteria.is_empty:
        return empty
    parts = [_condition_text(condition) for condition in criteria.all]
    if criteria.any:
        alternatives = " or ".join(_condition_text(condition) for condition in criteria.any)
        parts.append(f"({alternatives})" if parts or len(criteria.any) > 1 else alternatives)
    if criteria.events:
        parts.append("event " + " or ".join(criteria.events))
    return " and ".join(parts)


def _target_text(milestone: ProcessMilestone) -> str:
    if isinstance(milestone.target, timedelta):
        return business(milestone.target)
    return "; ".join(
        f"{business(rule.target)} if {criteria_text(rule.when, '')}"
        if not rule.when.is_empty
        else f"{business(rule.target)} otherwise"
        for rule in milestone.target
    )


def _actions_text(milestone: ProcessMilestone) -> str:
    actions = milestone.actions
    parts = []
    if actions.success:
        parts.append("success: " + ", ".join(a.handler for a in actions.success))
    if actions.warning:
        parts.append(
            "warning: "
            + ", ".join(
                f"{a.handler} {a.at_percent:g}%"
                if a.at_percent is not None
                else f"{a.handler} {business(a.before_target or timedelta(0))} before"
                for a in actions.warning
            )
        )
    if actions.violation:
        parts.append(
            "violation: "
            + ", ".join(
                f"{a.handler} +{business(a.after_target)}" if a.after_target else a.handler
                for a in actions.violation
            )
        )
    return " · ".join(parts) or "none"


def render_process(
    process: Mapping[str, Any], definition: EntitlementProcess, console: Console
) -> None:
    """A process version: its rules in words and a table of its milestones."""
    heading = Text.assemble(
        (definition.name, "bold"),
        (f"  v{definition.version}", "cyan"),
        (f" of {process.get('latest_version', definition.version)}", "dim"),
        "  ",
        level_text(process),
    )
    console.print(heading, soft_wrap=True)
    if definition.description:
        console.print(Text(definition.description), soft_wrap=True)
    rules = Text(f"business hours {definition.business_hours or '24x7'}", style="dim")
    if definition.pause_when is not None:
        rules.append(f" · pauses when {criteria_text(definition.pause_when, 'never')}", style="dim")
    if definition.max_pause is not None:
        rules.append(f" (at most {business(definition.max_pause)})", style="dim")
    if definition.exit_when is not None:
        rules.append(f" · exits when {criteria_text(definition.exit_when, 'closed')}", style="dim")
    console.print(rules, soft_wrap=True)
    # A block per milestone rather than a table: rules in words are long and would wrap badly.
    for milestone in definition.milestones:
        console.print()
        heading = milestone_label(milestone)
        heading.append(f"  {_target_text(milestone)}")
        if milestone.business_hours:
            heading.append(f"  in {milestone.business_hours}", style="dim")
        if milestone.recurrence != "none":
            heading.append(f"  recurs ({milestone.recurrence})", style="dim")
        console.print(heading, soft_wrap=True)
        starts = criteria_text(milestone.start_when, "on entry")
        if milestone.start_from == "criteria":
            starts += " (clock from then)"
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim")
        grid.add_column()
        grid.add_row(Text("  starts"), Text(starts))
        grid.add_row(
            Text("  completes"), Text(criteria_text(milestone.complete_when, "explicitly"))
        )
        grid.add_row(Text("  actions"), Text(_actions_text(milestone)))
        console.print(grid)


def level_text(item: Mapping[str, Any]) -> Text:
    if item.get("account_id"):
        return Text(f"account {item['account_id']}", style="magenta")
    if item.get("relationship_type"):
        return Text(f"relationship {item['relationship_type']}", style="magenta")
    return Text("global", style="dim")
