"""The human rendering of the SLA API's answers with rich, for the `sla` CLI and the demo: case
trackers (`render_trackers`), a completed milestone (`render_outcome`), a case's timeline
(`render_timeline`), a process version in words (`render_process`, `criteria_text`), an
entitlement (`render_entitlement`, `entitlement_dates`, `entitlement_cases`), and the pieces
the CLI's listings are made of (`new_table` and `print_table`, `milestone_label`, `state_text`,
`level_text`, the styles, and the formatters of durations and instants `business`, `span`,
`countdown`, `local`, `near`).

Tables fit the console's width without breaking a value or cutting one short: a value column
never wraps, a text column (`new_table(wrap=...)`) wraps only between words, and a table that
cannot fit that way is printed as one block of `column  value` lines per row (`print_table`).

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
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.padding import Padding
from rich.style import Style
from rich.table import Column, Table
from rich.text import Text

from terminal.client import DEFAULT_NAMESPACE, DEFAULT_UI_URL, parse_answer, workflow_url
from workflows.contract import (
    CaseEntitlement,
    CaseTracker,
    Condition,
    Criteria,
    EntitlementProcess,
    FieldValue,
    MilestoneStatus,
    ProcessMilestone,
    TimelineEvent,
)
from workflows.entitlements import Entitlement

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


class Parts:
    """A value in parts, on one line when the width allows, else a part per line: it is never
    broken inside a part ('15:00,' above 'in 11h 50m', never 'in 11h' above '50m')."""

    def __init__(self, *parts: Text) -> None:
        self.parts = [part for part in parts if part.plain]

    @property
    def line(self) -> Text:
        return Text(" ").join(self.parts)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widest = max((part.cell_len for part in self.parts), default=0)
        return Measurement(widest, self.line.cell_len)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        line = self.line
        yield line if line.cell_len <= options.max_width else Text("\n").join(self.parts)

    def __str__(self) -> str:
        return self.line.plain


_UNIT = re.compile(
    r"[+-]?\d+[dh] \d+[hm]\S*"  # a duration: '1h 05m', '2d 03h', '+0h 30m,'
    r"|\w{3} \d\d \w{3} \d\d:\d\d(?::\d\d)?\S*"  # an instant: 'Mon 09 Mar 14:30'
    r"|\S+"
)


class Flow:
    """Text laid out like words, as many on a line as the width allows, that never breaks a
    duration ('1h 05m') or an instant ('Mon 09 Mar 14:30') over two lines, as rich's own word
    wrapping would: the units of free text and of rules in words ('webhook +0h 30m')."""

    def __init__(self, text: Text | str, style: str = "") -> None:
        text = text if isinstance(text, Text) else Text(text, style=style)
        self.units = [text[m.start() : m.end()] for m in _UNIT.finditer(text.plain)]

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widest = max((unit.cell_len for unit in self.units), default=0)
        return Measurement(widest, Text(" ").join(self.units).cell_len)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines: list[Text] = []
        for unit in self.units:
            if lines and lines[-1].cell_len + 1 + unit.cell_len <= options.max_width:
                lines[-1] = Text(" ").join([lines[-1], unit])
            else:
                lines.append(unit)  # a unit wider than the width is folded by rich
        yield Text("\n").join(lines)

    def __str__(self) -> str:
        return " ".join(unit.plain for unit in self.units)


def _instance_due(status: MilestoneStatus, as_of: datetime) -> Parts:
    """Where the instance stands against its target: '14:30, in 1h 12m', '14:30, 12m late',
    'met 14:20, on time', with times as short as `as_of` (the tracker's now) allows."""

    if status.state == "active" and status.target_at is not None:
        due = Text(f"{near(status.target_at, as_of)},")
        if status.violated or status.target_at <= as_of:
            late = status.time_since_target or (as_of - status.target_at)
            return Parts(due, Text(f"{span(late)} late", style="bold red"))
        style = "yellow" if status.warnings_fired else "green"
        return Parts(due, Text(countdown(status.target_at - as_of), style=style))
    if status.state == "paused":
        if status.time_since_target:
            overdue = Text(f"{span(status.time_since_target)} late", style="red")
            return Parts(Text("clock stopped,", style="blue"), overdue)
        return Parts(Text("clock stopped", style="blue"))
    if status.state == "completed" and status.completed_at is not None:
        met = Text(f"met {near(status.completed_at, as_of)},", style="dim")
        if status.violated and status.target_at is not None:
            after = status.completed_at - status.target_at
            return Parts(met, Text(f"{span(after)} late", style="red"))
        if status.violated:
            return Parts(met, Text("late", style="red"))
        return Parts(met, Text("on time", style="green"))
    if status.state == "cancelled":
        reason = status.cancel_reason or "no reason given"
        return Parts(Text("cancelled:", style="dim"), Text(reason, style="dim"))
    return Parts(Text("—"))


def new_table(
    *columns: str, wrap: Iterable[str] = (), parts: Iterable[str] = (), **options: Any
) -> Table:
    """A table with a rule under its header and one space between columns, and these columns:
    values that never wrap, but for the text columns named in `wrap` (they wrap between words)
    and the columns of `Parts` named in `parts` (they wrap between parts). Print it with
    `print_table`."""
    table = Table(
        box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 1, 0, 0), **options
    )
    texts, splits = set(wrap), set(parts)
    for name in columns:
        if name in texts:
            table.add_column(name, overflow="fold")  # "fold": the mark of a text column
        elif name in splits:
            table.add_column(name)
        else:
            table.add_column(name, no_wrap=True)
    return table


def print_table(table: Table, console: Console, *, heading: int = 0) -> None:
    """Print `table` within the console's width, no value broken and none cut short. Columns
    with no value in any row are left out. The table is printed as it is when it fits; else with
    its text columns narrowed (they wrap between words, down to TEXT_WIDTH); else, when even that
    is too wide, as one block per row: its `heading` column's cell, then a `column  value` line
    for each other non-empty cell."""
    for column in [c for c in table.columns if all(_blank(cell) for cell in c.cells)]:
        table.columns.remove(column)
    for n, column in enumerate(table.columns):
        column._index = n  # rich pads the first and last columns by their index
    wide = console.options.update_width(1_000_000)

    def measure(cell: RenderableType) -> Measurement:
        return Measurement.get(console, wide, cell)

    ranges: list[tuple[int, int]] = []
    for column in table.columns:
        measured = [measure(cell) for cell in (column.header, *column.cells)]
        most = max(m.maximum for m in measured)
        least = max(m.minimum for m in measured)
        if column.no_wrap:
            least = most
        elif column.overflow == "fold":  # text: narrowed only so far, for it to stay readable
            least = max(least, min(most, TEXT_WIDTH))
        ranges.append((least, most))
    for column, (_, most) in zip(table.columns, ranges, strict=True):
        column.width = most
    overhead = measure(table).maximum - sum(most for _, most in ranges)
    widths = [least for least, _ in ranges]
    spare = console.width - overhead - sum(widths)
    if spare < 0:
        _print_rows_as_blocks(table, console, heading)
        return
    # The spare width goes to the text columns, those that need least first.
    needs = sorted((most - least, n) for n, (least, most) in enumerate(ranges) if most > least)
    for done, (need, n) in enumerate(needs):
        share = min(need, spare // (len(needs) - done))
        widths[n] += share
        spare -= share
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    console.print(table)


TEXT_WIDTH = 16
"""The narrowest a text column gets before a table turns into blocks (unless a word is wider)."""


def _blank(cell: RenderableType) -> bool:
    return isinstance(cell, Text | str | Parts | Flow) and not str(cell).strip()


def _print_rows_as_blocks(table: Table, console: Console, heading: int) -> None:
    if table.title is not None:
        console.print(table.title, soft_wrap=True)
    columns: list[Column] = table.columns
    rows = list(zip(*(list(column.cells) for column in columns), strict=True))
    for n, row in enumerate(rows):
        if n:
            console.print()
        console.print(row[heading], soft_wrap=True)
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(overflow="fold")
        for column, cell in zip(columns, row, strict=True):
            if column is not columns[heading] and not _blank(cell):
                grid.add_row(column.header, cell)
        console.print(Padding(grid, (0, 0, 0, 2), expand=False))


def print_parts(parts: Sequence[Text], console: Console, separator: str = "  ") -> None:
    """Parts (of a heading, fields) on as few lines as the console's width allows, never broken
    inside a part; a part wider than the console (free text: a pause reason, a field's value)
    has a line of its own and wraps between its words (`Flow`)."""
    lines: list[Text] = []
    for part in (part for part in parts if part.plain):
        if lines and lines[-1].cell_len + len(separator) + part.cell_len <= console.width:
            lines[-1] = Text(separator).join([lines[-1], part])
        else:
            lines.append(part)
    for line in lines:
        # A line that fits is printed as it is (its separators kept); a part wider than the
        # console flows over lines, never breaking a duration or an instant.
        console.print(line if line.cell_len <= console.width else Flow(line))


def field_parts(fields: Mapping[str, FieldValue]) -> list[Text]:
    """Each field as `key=value` (values that are not text as JSON), for `print_parts`."""
    return [
        Text.assemble((f"{key}=", "dim"), value if isinstance(value, str) else json.dumps(value))
        for key, value in fields.items()
    ]


def fields_text(fields: Mapping[str, FieldValue]) -> Text:
    return Text("  ").join(field_parts(fields))


def _milestone_table(tracker: CaseTracker) -> Table:
    """One row per milestone instance; business durations line up on their unit."""
    # Paused time is worth a column only on cases that were paused.
    paused = any(status.stopped >= timedelta(seconds=1) for status in tracker.milestones)
    columns = ["milestone", "state", "due", "elapsed", "remaining"] + (["paused"] if paused else [])
    table = new_table(*columns, parts=["due", "elapsed"])
    for column in table.columns[3:]:
        column.justify = "right"
    for status in tracker.milestones:
        cells: list[RenderableType] = [
            milestone_label(status, status.instance),
            _instance_state(status),
            _instance_due(status, tracker.as_of),
            Parts(
                Text(business(status.business_elapsed)),
                Text(f"of {business(status.target)}", style="dim"),
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
        heading = [
            Text(tracker.case_id, style="bold"),
            Text(f"{tracker.process} v{tracker.process_version}", style="cyan"),
            state_text(tracker.sla_state),
        ]
        if tracker.paused:
            reason = tracker.pause_reason or "no reason given"
            heading.append(Text(f"paused: {reason}", style="blue"))
        print_parts(heading, console)
        when = [Text(f"opened {local(tracker.opened_at)} {_zone(tracker.opened_at)}", style="dim")]
        if tracker.closed_at is not None:
            when.append(Text(f"closed {local(tracker.closed_at)}", style="dim"))
        elif tracker.next_deadline is not None:
            when.append(
                Text.assemble(
                    (f"next deadline {local(tracker.next_deadline)} ", "dim"),
                    (
                        countdown(tracker.next_deadline - tracker.as_of),
                        SLA_STATE_STYLES.get(tracker.sla_state, ""),
                    ),
                )
            )
        print_parts(when, console, " · ")
        if tracker.entitlement is not None:
            print_parts(_entitlement_parts(tracker.entitlement), console, " · ")
        print_parts(field_parts(tracker.fields), console)
        print_table(_milestone_table(tracker), console)
        render_workflow_link(workflow_url(tracker.case_id, ui_url, namespace), console)


def _entitlement_parts(chosen: CaseEntitlement) -> list[Text]:
    """The entitlement a case runs under (flagged when over its allowance), or that none
    applies, and why."""
    if chosen.name is None:
        return [Text("no entitlement", style="yellow"), Text(chosen.reason, style="dim")]
    parts = [Text(f"entitlement {chosen.name}", style="magenta")]
    if chosen.over_allowance:
        parts.append(Text("over its allowance of cases", style="bold red"))
    return parts


def render_workflow_link(url: str, console: Console) -> None:
    """The line linking to a case's workflow in the Temporal UI."""
    # soft_wrap: a link broken over two lines is no longer a link.
    console.print(
        Text.assemble(("Temporal UI  ", "dim"), (url, Style(link=url, underline=True))),
        soft_wrap=True,
    )


def render_outcome(status: MilestoneStatus, console: Console) -> None:
    """A completed milestone instance: when, on time or how late, business time; one line when
    the width allows, else broken between these three parts."""
    label = milestone_label(status, status.instance)
    label.append(" ")
    label.append_text(_instance_state(status))
    if status.violated and status.completed_at is not None and status.target_at is not None:
        outcome = Text(f"{span(status.completed_at - status.target_at)} late", style="red")
    elif status.violated:
        outcome = Text("late", style="red")
    else:
        outcome = Text("on time", style="green")
    when = outcome
    if status.completed_at is not None:
        when = Text(f"{local(status.completed_at)}, ").append_text(outcome)
    elapsed = f"· {business(status.business_elapsed)} of {business(status.target)} business time"
    print_parts([label, when, Text(elapsed, style="dim")], console, " ")


def render_timeline(case_id: str, events: Sequence[TimelineEvent], console: Console) -> None:
    table = new_table(
        "at",
        "event",
        "milestone",
        "detail",
        wrap=["detail"],
        title=Text(f"{case_id}: timeline ({_zone(datetime.now(UTC))})", style="bold"),
        title_justify="left",
    )
    for event in events:
        milestone = Text(event.milestone or "")
        if event.milestone and event.instance is not None:
            milestone.append(f" #{event.instance}", style="dim")
        table.add_row(
            Text(local(event.at, seconds=True)),
            Text(event.kind, style=TIMELINE_STYLES.get(event.kind, "")),
            milestone,
            Flow(event.detail),
        )
    print_table(table, console)


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
    # Headings and rules are parts: on one line when the width allows, else a part per line.
    version = Text.assemble(
        (f"v{definition.version}", "cyan"),
        (f" of {process.get('latest_version', definition.version)}", "dim"),
    )
    print_parts([Text(definition.name, style="bold"), version, level_text(process)], console)
    if definition.description:
        console.print(Text(definition.description))  # wraps between words
    rules = [Text(f"business hours {definition.business_hours or '24x7'}", style="dim")]
    if definition.pause_when is not None:
        pauses = f"pauses when {criteria_text(definition.pause_when, 'never')}"
        if definition.max_pause is not None:
            pauses += f" (at most {business(definition.max_pause)})"
        rules.append(Text(pauses, style="dim"))
    if definition.exit_when is not None:
        exits = f"exits when {criteria_text(definition.exit_when, 'closed')}"
        rules.append(Text(exits, style="dim"))
    print_parts(rules, console, " · ")
    # A block per milestone rather than a table: rules in words are long and would wrap badly.
    for milestone in definition.milestones:
        console.print()
        heading = [milestone_label(milestone), Text(_target_text(milestone))]
        if milestone.business_hours:
            heading.append(Text(f"in {milestone.business_hours}", style="dim"))
        if milestone.recurrence != "none":
            heading.append(Text(f"recurs ({milestone.recurrence})", style="dim"))
        print_parts(heading, console)
        starts = criteria_text(milestone.start_when, "on entry")
        if milestone.start_from == "criteria":
            starts += " (clock from then)"
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(overflow="fold")
        grid.add_row(Text("  starts"), Flow(starts))
        grid.add_row(
            Text("  completes"), Flow(criteria_text(milestone.complete_when, "explicitly"))
        )
        grid.add_row(Text("  actions"), Flow(_actions_text(milestone)))
        console.print(grid)


def entitlement_dates(entitlement: Entitlement) -> str:
    """The days an entitlement covers, both included: '2026-01-01 to 2026-12-31'."""
    start, end = entitlement.starts_on, entitlement.ends_on
    if start is not None and end is not None:
        return f"{start} to {end}"
    if start is not None:
        return f"from {start}"
    if end is not None:
        return f"until {end}"
    return "always"


def entitlement_account(entitlement: Entitlement) -> str:
    """'account ACME', or what a default entitlement (no account) covers."""
    if entitlement.account_id is None:
        return "default: any account none of whose own applies"
    return f"account {entitlement.account_id}"


def entitlement_cases(entitlement: Entitlement) -> str:
    """Its allowance: '3 of 10 used, then refused', or '3 used, no limit'."""
    if entitlement.cases_allowed is None:
        return f"{entitlement.cases_used} used, no limit"
    then = "then refused" if entitlement.on_exhausted == "refuse" else "then flagged"
    return f"{entitlement.cases_used} of {entitlement.cases_allowed} used, {then}"


def render_entitlement(entitlement: Entitlement, console: Console) -> None:
    """An entitlement in words: what it runs, when, for how many cases, for which cases."""
    print_parts(
        [
            Text(entitlement.name, style="bold"),
            Text(entitlement_account(entitlement), style="magenta"),
            Text(f"priority {entitlement.priority}", style="cyan"),
        ],
        console,
    )
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row(Text("  process"), Text(entitlement.process))
    hours = entitlement.business_hours or "the process's"
    grid.add_row(Text("  business hours"), Flow(hours))
    dates = f"{entitlement_dates(entitlement)} ({entitlement.time_zone} days)"
    grid.add_row(Text("  dates"), Flow(dates))
    grid.add_row(Text("  cases"), Flow(entitlement_cases(entitlement)))
    grid.add_row(Text("  applies to"), Flow(criteria_text(entitlement.applies_when, "every case")))
    console.print(grid)


def level_text(item: Mapping[str, Any]) -> Text:
    if item.get("account_id"):
        return Text(f"account {item['account_id']}", style="magenta")
    if item.get("relationship_type"):
        return Text(f"relationship {item['relationship_type']}", style="magenta")
    return Text("global", style="dim")
