"""The `sla` command line, for agents and ops: work cases, read their milestone countdowns, and
browse the catalog (milestone types, entitlement processes).

    sla case start C-1 --process Premium --field priority=High
    sla case pause C-1 --reason "Waiting on Customer"
    sla case show C-1
    sla cases --at-risk
    sla types reorder --account-id ACME "Executive Review" "Go Live"
    sla processes show Premium --version 2

Owns the commands, the human rendering of trackers (`render_trackers`, which demo.py reuses) and
the translation of API errors into one red line and exit code 1. It is a thin client of the HTTP
API: it never reads the database or talks to Temporal itself, and it checks nothing the API
checks (the API's message is what the user sees). `--json` on every command prints the API's
answer for scripts. Configuration: `--api-url`/`SLA_API_URL`, `--api-key`/`SLA_API_KEY` (default:
the development key `make run` writes to var/dev-api-key), `--ui-url`/`TEMPORAL_UI_URL`,
`--namespace`/`TEMPORAL_NAMESPACE`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar
from urllib.parse import quote

import httpx
import typer
from pydantic import BaseModel, ValidationError
from rich import box
from rich.console import Console
from rich.style import Style
from rich.table import Table
from rich.text import Text

from workflows.contract import (
    CaseTracker,
    Condition,
    Criteria,
    EntitlementProcess,
    FieldValue,
    MilestoneStatus,
    ProcessMilestone,
    TimelineEvent,
    case_workflow_id,
)

DEFAULT_API_URL = "http://127.0.0.1:8000"
DEFAULT_UI_URL = "http://localhost:8233"
DEFAULT_NAMESPACE = "default"
KEY_FILE = Path("var") / "dev-api-key"
HTTP_TIMEOUT = 30.0
"""Seconds: longer than the API's own wait for Temporal (10 s), so its 504 reaches the user."""

M = TypeVar("M", bound=BaseModel)

# ------------------------------------------------------------------------------ configuration


@dataclass(frozen=True)
class Settings:
    """Where the API and the Temporal UI are, and the key to use."""

    api_url: str = DEFAULT_API_URL
    api_key: str | None = None
    ui_url: str = DEFAULT_UI_URL
    namespace: str = DEFAULT_NAMESPACE

    def workflow_url(self, case_id: str) -> str:
        return workflow_url(case_id, self.ui_url, self.namespace)


def workflow_url(
    case_id: str, ui_url: str = DEFAULT_UI_URL, namespace: str = DEFAULT_NAMESPACE
) -> str:
    """The case's workflow in the Temporal UI."""
    workflow_id = quote(case_workflow_id(case_id), safe="")
    return f"{ui_url.rstrip('/')}/namespaces/{quote(namespace, safe='')}/workflows/{workflow_id}"


def dev_key() -> str | None:
    """The development admin key `make run` writes, found from the current directory or from the
    project's (the CLI is often run from elsewhere)."""
    for path in (KEY_FILE, Path(__file__).resolve().parent / KEY_FILE):
        if path.is_file():
            return path.read_text().strip() or None
    return None


# ------------------------------------------------------------------------------------- errors


def fail(message: str) -> NoReturn:
    """Say what went wrong in one red line and exit 1: no traceback for expected failures."""
    # A Console made now writes to the stderr of this invocation (CliRunner swaps it).
    Console(stderr=True, soft_wrap=True).print(
        Text.assemble(("error: ", "bold red"), (message, "red"))
    )
    raise typer.Exit(1)


def error_message(response: httpx.Response) -> str:
    """The API's message: its `detail` string, or its field errors as `field: message`."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, str):
        message = detail
    elif isinstance(detail, list) and detail:
        message = "; ".join(_field_error(item) for item in detail)
    else:
        message = f"the API answered {response.status_code} {response.reason_phrase}"
    if response.status_code == 401:
        message += (
            f" (pass --api-key or set SLA_API_KEY; `make run` writes the development key to "
            f"{KEY_FILE})"
        )
    return message


def _field_error(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    # "body"/"query"/"path" say where a field was sent, which the user did not choose.
    loc = [str(part) for part in item.get("loc", [])][1:]
    message = str(item.get("msg", item))
    return f"{'.'.join(loc)}: {message}" if loc else message


# ---------------------------------------------------------------------------------- the client


class Api:
    """The HTTP API with the configured key; every failure ends the command with its message."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
        self.client = httpx.Client(base_url=settings.api_url, headers=headers, timeout=HTTP_TIMEOUT)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = self.client.request(method, path, json=body, params=query)
        except httpx.ConnectError:
            fail(
                f"cannot reach the SLA API at {self.settings.api_url}: start the stack with "
                "`make run`, or point --api-url (SLA_API_URL) at a running API"
            )
        except httpx.TimeoutException:
            fail(f"the SLA API at {self.settings.api_url} did not answer within {HTTP_TIMEOUT:g} s")
        except httpx.HTTPError as error:
            fail(f"{method} {self.settings.api_url}{path} failed: {error}")
        if response.status_code >= 400:
            fail(error_message(response))
        return response

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        return self.answer(self.request(method, path, body=body, params=params))

    def answer(self, response: httpx.Response) -> Any:
        """The JSON of a successful response (None when empty)."""
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            fail(f"{self.settings.api_url} did not answer JSON: is --api-url the SLA API?")

    def close(self) -> None:
        self.client.close()


def _api(ctx: typer.Context) -> Api:
    settings = ctx.obj if isinstance(ctx.obj, Settings) else Settings(api_key=dev_key())
    api = Api(settings)
    ctx.call_on_close(api.close)
    return api


def _case_path(case_id: str, *rest: str) -> str:
    return "/".join(["/cases", quote(case_id, safe=""), *(quote(part, safe="") for part in rest)])


def _parse(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        fail(
            f"the API answered a {model.__name__} this CLI cannot read ({error.error_count()} "
            "problems): is the CLI older than the API? --json prints the answer as is"
        )


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def _console() -> Console:
    # Made per command, so it writes to this invocation's stdout.
    return Console()


# --------------------------------------------------------------------------- arguments parsing


def _json_or_text(raw: str) -> Any:
    def no_constants(name: str) -> NoReturn:
        raise ValueError(name)  # NaN and Infinity are no case field values: keep the text

    try:
        return json.loads(raw, parse_constant=no_constants)
    except ValueError:
        return raw


def parse_fields(assignments: Sequence[str]) -> dict[str, FieldValue]:
    """`key=value` pairs as case fields. A value is JSON when it parses as JSON (`3`, `true`,
    `["a","b"]`, `"007"` for a string of digits) and text otherwise (`High`, `Waiting on
    Customer`); `key=` (nothing after `=`) or `key=null` sends null, which removes the field."""
    fields: dict[str, FieldValue] = {}
    for assignment in assignments:
        key, equals, raw = assignment.partition("=")
        if not equals or not key.strip():
            raise typer.BadParameter(
                f"{assignment!r} is not key=value: write e.g. priority=High, or priority= to "
                "remove the field"
            )
        fields[key.strip()] = None if raw == "" else _json_or_text(raw)
    return fields


def parse_instant(value: str | None) -> str | None:
    """An ISO 8601 instant for the API; without an offset it is the local time of this machine."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not an ISO 8601 instant: write e.g. 2026-03-09T14:30 (local time) or "
            "2026-03-09T14:30:00+01:00"
        ) from None
    return (parsed if parsed.tzinfo else parsed.astimezone()).isoformat()


# --------------------------------------------------------------------------------- rendering

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


def _color(color: str) -> Style:
    return Style(color=color) if _COLOR.match(color) else Style()


def milestone_label(
    status: MilestoneStatus | ProcessMilestone, instance: int | None = None
) -> Text:
    """The milestone's name in its type's color; recurring ones with their instance number."""
    style = _color(status.color)
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


def _table(**options: Any) -> Table:
    """A table with a rule under its header and one space between columns (80 columns hold a
    case's milestones)."""
    return Table(
        box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 1, 0, 0), **options
    )


def _fields_text(fields: Mapping[str, FieldValue]) -> Text:
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
    table = _table()
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
        tracker = item if isinstance(item, CaseTracker) else _parse(CaseTracker, item)
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
            console.print(_fields_text(tracker.fields), soft_wrap=True)
        console.print(_milestone_table(tracker))
        url = workflow_url(tracker.case_id, ui_url, namespace)
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
    table = _table(
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
        _level(process),
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


def _level(item: Mapping[str, Any]) -> Text:
    if item.get("account_id"):
        return Text(f"account {item['account_id']}", style="magenta")
    if item.get("relationship_type"):
        return Text(f"relationship {item['relationship_type']}", style="magenta")
    return Text("global", style="dim")


# ----------------------------------------------------------------------------------- the app

app = typer.Typer(
    name="sla",
    help="Work SLA cases and read the milestone catalog, over the SLA engine's HTTP API.",
    no_args_is_help=True,
    # Locals would print the API key; tracebacks are for bugs, not for API errors.
    pretty_exceptions_show_locals=False,
)
case_app = typer.Typer(help="Start, read and work one case.", no_args_is_help=True)
types_app = typer.Typer(help="The milestone type catalog.", no_args_is_help=True)
processes_app = typer.Typer(help="Entitlement processes and their versions.", no_args_is_help=True)
app.add_typer(case_app, name="case")
app.add_typer(types_app, name="types")
app.add_typer(processes_app, name="processes")

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the API's JSON answer instead, for scripts.")
]
CaseIdArgument = Annotated[str, typer.Argument(metavar="CASE_ID", help="The case's id.")]


@app.callback()
def configure(
    ctx: typer.Context,
    api_url: Annotated[
        str, typer.Option(envvar="SLA_API_URL", help="The SLA API.")
    ] = DEFAULT_API_URL,
    api_key: Annotated[
        str | None,
        typer.Option(
            envvar="SLA_API_KEY",
            help=f"API key (default: the development key in {KEY_FILE}, written by `make run`).",
            show_default=False,
        ),
    ] = None,
    ui_url: Annotated[
        str, typer.Option(envvar="TEMPORAL_UI_URL", help="The Temporal UI, for case links.")
    ] = DEFAULT_UI_URL,
    namespace: Annotated[
        str, typer.Option(envvar="TEMPORAL_NAMESPACE", help="The cases' Temporal namespace.")
    ] = DEFAULT_NAMESPACE,
) -> None:
    ctx.obj = Settings(
        api_url=api_url.rstrip("/"),
        api_key=api_key or dev_key(),
        ui_url=ui_url.rstrip("/"),
        namespace=namespace,
    )


def _show_tracker(api: Api, data: Any, as_json: bool, note: Text | None = None) -> None:
    if as_json:
        _print_json(data)
        return
    console = _console()
    if note is not None:
        console.print(note, soft_wrap=True)
    settings = api.settings
    render_trackers([data], console, ui_url=settings.ui_url, namespace=settings.namespace)


# ------------------------------------------------------------------------------------- cases


@case_app.command("start")
def case_start(
    ctx: typer.Context,
    case_id: CaseIdArgument,
    process: Annotated[str, typer.Option(help="The entitlement process, by name.")],
    version: Annotated[
        int | None, typer.Option(help="The process version to pin (default: the latest).")
    ] = None,
    field: Annotated[
        list[str] | None,
        typer.Option(
            "--field",
            "-f",
            metavar="KEY=VALUE",
            help="A case field; repeat for more. Values are JSON when they parse, else text.",
        ),
    ] = None,
    opened_at: Annotated[
        str | None,
        typer.Option(
            help="When the case opened (ISO 8601; local time without an offset); default now.",
            callback=parse_instant,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Start the case's SLA clock (starting a case again changes nothing)."""
    api = _api(ctx)
    body = {
        "case_id": case_id,
        "process": process,
        "version": version,
        "fields": parse_fields(field or []),
        "opened_at": opened_at,
    }
    response = api.request("POST", "/cases", body={k: v for k, v in body.items() if v is not None})
    tracker = api.answer(response)
    created = response.status_code == 201
    note = Text(
        f"Started {case_id} on {tracker['process']} v{tracker['process_version']}."
        if created
        else f"{case_id} was already started: nothing changed.",
        style="green" if created else "yellow",
    )
    _show_tracker(api, tracker, as_json, note)


@case_app.command("show")
def case_show(ctx: typer.Context, case_id: CaseIdArgument, as_json: JsonOption = False) -> None:
    """The case's milestones: states, targets, countdowns, business time."""
    api = _api(ctx)
    _show_tracker(api, api.call("GET", _case_path(case_id)), as_json)


@case_app.command("pause")
def case_pause(
    ctx: typer.Context,
    case_id: CaseIdArgument,
    reason: Annotated[str, typer.Option(help="Why the clocks stop (kept in the pause log).")],
    as_json: JsonOption = False,
) -> None:
    """Stop every milestone clock of the case until it is resumed."""
    api = _api(ctx)
    tracker = api.call("POST", _case_path(case_id, "pause"), body={"reason": reason})
    _show_tracker(api, tracker, as_json, Text(f"Paused {case_id}: {reason}", style="blue"))


@case_app.command("resume")
def case_resume(ctx: typer.Context, case_id: CaseIdArgument, as_json: JsonOption = False) -> None:
    """Restart the case's milestone clocks after a pause."""
    api = _api(ctx)
    tracker = api.call("POST", _case_path(case_id, "resume"))
    _show_tracker(api, tracker, as_json, Text(f"Resumed {case_id}.", style="green"))


@case_app.command("complete")
def case_complete(
    ctx: typer.Context,
    case_id: CaseIdArgument,
    milestone: Annotated[str, typer.Argument(help="The milestone's name, e.g. 'First Response'.")],
    at: Annotated[
        str | None,
        typer.Option(
            help="When it was met (ISO 8601; local time without an offset); default now.",
            callback=parse_instant,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Complete the milestone's active instance."""
    api = _api(ctx)
    outcome = api.call(
        "POST", _case_path(case_id, "milestones", milestone, "complete"), body={"at": at}
    )
    if as_json:
        _print_json(outcome)
    else:
        render_outcome(_parse(MilestoneStatus, outcome), _console())


FieldsArgument = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="KEY=VALUE...",
        help='Fields to set: values are JSON when they parse (3, true, ["a"], "007"), else '
        "text; KEY= (or KEY=null) removes the field.",
        show_default=False,
    ),
]


@case_app.command("update")
def case_update(
    ctx: typer.Context,
    case_id: CaseIdArgument,
    fields: FieldsArgument = None,
    as_json: JsonOption = False,
) -> None:
    """Change case fields: targets, pauses and starts follow the process's rules."""
    if not fields:
        raise typer.BadParameter("give at least one KEY=VALUE", param_hint="KEY=VALUE...")
    api = _api(ctx)
    changes = parse_fields(fields)
    tracker = api.call("PATCH", _case_path(case_id), body={"fields": changes})
    note = Text("Updated ", style="green").append_text(_fields_text(changes))
    _show_tracker(api, tracker, as_json, note)


@case_app.command("close")
def case_close(
    ctx: typer.Context,
    case_id: CaseIdArgument,
    fields: FieldsArgument = None,
    as_json: JsonOption = False,
) -> None:
    """Close the case, with last field changes (they apply first); its process exits."""
    api = _api(ctx)
    tracker = api.call(
        "POST", _case_path(case_id, "close"), body={"fields": parse_fields(fields or [])}
    )
    _show_tracker(api, tracker, as_json, Text(f"Closed {case_id}.", style="dim"))


@case_app.command("event")
def case_event(
    ctx: typer.Context,
    case_id: CaseIdArgument,
    event_type: Annotated[str, typer.Argument(metavar="TYPE", help="e.g. agent_replied")],
    as_json: JsonOption = False,
) -> None:
    """Record a case event: milestones that start or complete on it do."""
    api = _api(ctx)
    tracker = api.call("POST", _case_path(case_id, "events"), body={"type": event_type})
    _show_tracker(
        api, tracker, as_json, Text(f"Recorded {event_type} on {case_id}.", style="green")
    )


@case_app.command("timeline")
def case_timeline(ctx: typer.Context, case_id: CaseIdArgument, as_json: JsonOption = False) -> None:
    """What happened to the case's milestones, in order."""
    api = _api(ctx)
    events = api.call("GET", _case_path(case_id, "timeline"))
    if as_json:
        _print_json(events)
        return
    render_timeline(case_id, [_parse(TimelineEvent, event) for event in events], _console())
    url = api.settings.workflow_url(case_id)
    _console().print(
        Text.assemble(("Temporal UI  ", "dim"), (url, Style(link=url, underline=True))),
        soft_wrap=True,
    )


class SlaStateChoice(StrEnum):
    on_track = "on_track"
    at_risk = "at_risk"
    violated = "violated"
    paused = "paused"
    done = "done"


@app.command("cases")
def list_cases(
    ctx: typer.Context,
    at_risk: Annotated[bool, typer.Option("--at-risk", help="Cases about to breach.")] = False,
    violated: Annotated[bool, typer.Option("--violated", help="Cases with a breach.")] = False,
    state: Annotated[SlaStateChoice | None, typer.Option(help="Cases in this SLA state.")] = None,
    deadline_before: Annotated[
        str | None,
        typer.Option(
            help="Next deadline before this instant (ISO 8601; local time without an offset).",
            callback=parse_instant,
        ),
    ] = None,
    process: Annotated[str | None, typer.Option(help="Process name.")] = None,
    account_id: Annotated[str | None, typer.Option(help="Account id.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """Find cases by SLA state, deadline, process or account (newest first)."""
    wanted = {s for s, on in (("at_risk", at_risk), ("violated", violated)) if on}
    if state is not None:
        wanted.add(state.value)
    if len(wanted) > 1:
        raise typer.BadParameter(
            f"one SLA state at a time, not {' and '.join(sorted(wanted))}", param_hint="--state"
        )
    api = _api(ctx)
    page = api.call(
        "GET",
        "/cases",
        params={
            "sla_state": next(iter(wanted), None),
            "deadline_before": deadline_before,
            "process": process,
            "account_id": account_id,
            "limit": limit,
        },
    )
    if as_json:
        _print_json(page)
        return
    now = datetime.now(UTC)
    table = _table()
    for column in ("case", "state", "next deadline", "process", "priority", "account", "workflow"):
        table.add_column(column)
    for case in page["data"]:
        deadline = Text("—")
        if case["next_deadline"]:
            at = datetime.fromisoformat(case["next_deadline"])
            deadline = Text(f"{near(at, now)}, ")
            deadline.append(countdown(at - now), SLA_STATE_STYLES.get(case["sla_state"] or "", ""))
        table.add_row(
            Text(case["case_id"], style="bold"),
            state_text(case["sla_state"] or "?"),
            deadline,
            Text(case["process"] or ""),
            Text(case["priority"] or ""),
            Text(case["account_id"] or ""),
            Text(case["status"], style="dim"),
        )
    console = _console()
    console.print(table)
    count = page["count"]
    console.print(
        Text(
            f"{count} case{'' if count == 1 else 's'} · `sla case show CASE_ID` for one",
            style="dim",
        )
    )


# ------------------------------------------------------------------------------------- types


@types_app.command("list")
def types_list(
    ctx: typer.Context,
    scope: Annotated[str | None, typer.Option(help="global, account or relationship.")] = None,
    account_id: Annotated[str | None, typer.Option(help="An account's types, then global.")] = None,
    relationship_type: Annotated[
        str | None, typer.Option(help="A relationship type's types, then global.")
    ] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="Only these.", show_default=False)
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Milestone types as a level sees them: its own in their order, then the global ones."""
    api = _api(ctx)
    page = api.call(
        "GET",
        "/milestone-types",
        params={
            "scope": scope,
            "account_id": account_id,
            "relationship_type": relationship_type,
            "active": None if active is None else str(active).lower(),
        },
    )
    if as_json:
        _print_json(page)
        return
    table = _table()
    for column in (
        "#",
        "milestone type",
        "level",
        "color",
        "recurrence",
        "category",
        "description",
    ):
        table.add_column(column)
    for item in page["data"]:
        style = _color(item["color"])
        name = Text.assemble(("● ", style), (item["name"], style + Style(bold=True)))
        if not item["active"]:
            name.append(" (inactive)", style="dim")
        table.add_row(
            Text(str(item["position"]), style="dim"),
            name,
            _level(item),
            Text(item["color"], style=style),
            Text(item["recurrence"]),
            Text(item["reporting_category"] or ""),
            Text(item["description"], style="dim"),
        )
    _console().print(table)


@types_app.command("reorder")
def types_reorder(
    ctx: typer.Context,
    names: Annotated[
        list[str], typer.Argument(metavar="NAME...", help="Types of the level, in the new order.")
    ],
    scope: Annotated[
        str | None,
        typer.Option(help="global, account or relationship (default: from the id given)."),
    ] = None,
    account_id: Annotated[str | None, typer.Option(help="The account's own types.")] = None,
    relationship_type: Annotated[
        str | None, typer.Option(help="The relationship type's own types.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Put a level's own types in this order, by name (case-insensitive). The types named come
    first; the level's other types follow in their current order."""
    scope = scope or (
        "account" if account_id else "relationship" if relationship_type else "global"
    )
    api = _api(ctx)
    level = {"scope": scope, "account_id": account_id, "relationship_type": relationship_type}
    listing = api.call("GET", "/milestone-types", params=level)["data"]
    own = [item for item in listing if item["scope"] == scope]
    by_name = {item["name"].casefold(): item for item in own}
    where = f"{scope} {account_id or relationship_type or ''}".strip()
    chosen: list[dict[str, Any]] = []
    for name in names:
        item = by_name.get(name.casefold())
        if item is None:
            elsewhere = next((i for i in listing if i["name"].casefold() == name.casefold()), None)
            if elsewhere is not None:
                fail(
                    f"{elsewhere['name']!r} is a global type: global types keep their own order "
                    "after the local ones; reorder them with --scope global"
                )
            known = ", ".join(repr(i["name"]) for i in own) or "none"
            fail(f"no milestone type {name!r} at level {where}: its types are {known}")
        if item in chosen:
            fail(f"{item['name']!r} is named twice")
        chosen.append(item)
    ids = [item["id"] for item in chosen] + [item["id"] for item in own if item not in chosen]
    page = api.call(
        "POST",
        "/milestone-types/reorder",
        body={**{k: v for k, v in level.items() if v is not None}, "ids": ids},
    )
    if as_json:
        _print_json(page)
        return
    console = _console()
    console.print(Text(f"New order of {where}:", style="green"))
    for n, item in enumerate(page["data"], start=1):
        style = _color(item["color"])
        line = Text.assemble((f"{n:>3}. ", "dim"), ("● ", style), (item["name"], style))
        if item["scope"] != scope:
            line.append("  (global)", style="dim")
        console.print(line, soft_wrap=True)


# --------------------------------------------------------------------------------- processes


@processes_app.command("list")
def processes_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every process with its latest version."""
    api = _api(ctx)
    page = api.call("GET", "/entitlement-processes")
    if as_json:
        _print_json(page)
        return
    table = _table()
    for column in ("process", "version", "level", "business hours", "milestones", "description"):
        table.add_column(column)
    for item in page["data"]:
        definition = _parse(EntitlementProcess, item["definition"])
        table.add_row(
            Text(item["name"], style="bold"),
            Text(f"v{item['latest_version']}", style="cyan"),
            _level(item),
            Text(definition.business_hours or "24x7"),
            Text(", ").join(milestone_label(m) for m in definition.milestones),
            Text(item["description"], style="dim"),
        )
    _console().print(table)


@processes_app.command("show")
def processes_show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The process's name (case-insensitive).")],
    version: Annotated[int | None, typer.Option(help="A version (default: the latest).")] = None,
    as_json: JsonOption = False,
) -> None:
    """A process version's rules and milestones."""
    api = _api(ctx)
    processes = api.call("GET", "/entitlement-processes")["data"]
    process = next((p for p in processes if p["name"].casefold() == name.casefold()), None)
    if process is None:
        known = ", ".join(repr(p["name"]) for p in processes) or "none yet"
        fail(f"no entitlement process {name!r}: the processes are {known}")
    # With --version the answer is that version (the same shape whichever it is); without, the
    # process with its latest definition.
    shown: dict[str, Any] = process
    if version is not None:
        shown = api.call("GET", f"/entitlement-processes/{process['id']}/versions/{version}")
    if as_json:
        _print_json(shown)
        return
    render_process(process, _parse(EntitlementProcess, shown["definition"]), _console())


if __name__ == "__main__":
    app()
