"""The `sla` command line, for agents and ops: work cases, read their milestone countdowns, and
browse the catalog (milestone types, entitlement processes).

    sla case start C-1 --process Premium --field priority=High
    sla case pause C-1 --reason "Waiting on Customer"
    sla case show C-1
    sla cases --at-risk
    sla types reorder --account-id ACME "Executive Review" "Go Live"
    sla processes show Premium --version 2

Owns the typer app: its commands and options, the parsing of their arguments, and the translation
of the client's `ApiError` into one red line and exit code 1. The HTTP client is
`terminal.client` and the human rendering `terminal.render` (both shared with demo.py). It is a
thin client of the HTTP API: it never reads the database or talks to Temporal itself, and it
checks nothing the API checks (the API's message is what the user sees). `--json` on every
command prints the API's answer for scripts. Configuration: `--api-url`/`SLA_API_URL`,
`--api-key`/`SLA_API_KEY` (default: the development key `make run` writes to var/dev-api-key),
`--ui-url`/`TEMPORAL_UI_URL`, `--namespace`/`TEMPORAL_NAMESPACE`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.style import Style
from rich.text import Text
from typer.core import TyperGroup

from terminal.client import (
    DEFAULT_API_URL,
    DEFAULT_NAMESPACE,
    DEFAULT_UI_URL,
    KEY_FILE,
    Api,
    ApiError,
    Settings,
    case_path,
    dev_key,
    parse_answer,
)
from terminal.render import (
    SLA_STATE_STYLES,
    color_style,
    countdown,
    fields_text,
    level_text,
    milestone_label,
    near,
    new_table,
    render_outcome,
    render_process,
    render_timeline,
    render_trackers,
    render_workflow_link,
    state_text,
)
from workflows.contract import EntitlementProcess, FieldValue, MilestoneStatus, TimelineEvent

# ------------------------------------------------------------------------------------- errors


def fail(message: str) -> NoReturn:
    """Say what went wrong in one red line and exit 1: no traceback for expected failures."""
    # A Console made now writes to the stderr of this invocation (CliRunner swaps it).
    Console(stderr=True, soft_wrap=True).print(
        Text.assemble(("error: ", "bold red"), (message, "red"))
    )
    raise typer.Exit(1)


class _FailOnApiError(TyperGroup):
    """Every command's `ApiError` (the API unreachable, an error answer, an answer this CLI
    cannot read) ends it with `fail`: one red line and exit 1, no traceback."""

    def invoke(self, ctx: Any) -> Any:  # ctx: the Context of the click typer vendors
        try:
            return super().invoke(ctx)
        except ApiError as error:
            fail(error.message)


# -------------------------------------------------------------------------- commands' helpers


def _api(ctx: typer.Context) -> Api:
    settings = ctx.obj if isinstance(ctx.obj, Settings) else Settings(api_key=dev_key())
    api = Api(settings)
    ctx.call_on_close(api.close)
    return api


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


# ----------------------------------------------------------------------------------- the app

app = typer.Typer(
    name="sla",
    help="Work SLA cases and read the milestone catalog, over the SLA engine's HTTP API.",
    no_args_is_help=True,
    # Locals would print the API key; tracebacks are for bugs, not for API errors.
    pretty_exceptions_show_locals=False,
    cls=_FailOnApiError,
)
case_app = typer.Typer(help="Start, read and work one case.", no_args_is_help=True)
types_app = typer.Typer(help="The milestone type catalog.", no_args_is_help=True)
processes_app = typer.Typer(help="Entitlement processes and their versions.", no_args_is_help=True)
records_app = typer.Typer(
    help="The milestone records reports read, against the cases' workflows.", no_args_is_help=True
)
app.add_typer(case_app, name="case")
app.add_typer(types_app, name="types")
app.add_typer(processes_app, name="processes")
app.add_typer(records_app, name="records")

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
    _show_tracker(api, api.call("GET", case_path(case_id)), as_json)


@case_app.command("pause")
def case_pause(
    ctx: typer.Context,
    case_id: CaseIdArgument,
    reason: Annotated[str, typer.Option(help="Why the clocks stop (kept in the pause log).")],
    as_json: JsonOption = False,
) -> None:
    """Stop every milestone clock of the case until it is resumed."""
    api = _api(ctx)
    tracker = api.call("POST", case_path(case_id, "pause"), body={"reason": reason})
    _show_tracker(api, tracker, as_json, Text(f"Paused {case_id}: {reason}", style="blue"))


@case_app.command("resume")
def case_resume(ctx: typer.Context, case_id: CaseIdArgument, as_json: JsonOption = False) -> None:
    """Restart the case's milestone clocks after a pause."""
    api = _api(ctx)
    tracker = api.call("POST", case_path(case_id, "resume"))
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
        "POST", case_path(case_id, "milestones", milestone, "complete"), body={"at": at}
    )
    if as_json:
        _print_json(outcome)
    else:
        render_outcome(parse_answer(MilestoneStatus, outcome), _console())


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
    tracker = api.call("PATCH", case_path(case_id), body={"fields": changes})
    note = Text("Updated ", style="green").append_text(fields_text(changes))
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
        "POST", case_path(case_id, "close"), body={"fields": parse_fields(fields or [])}
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
    tracker = api.call("POST", case_path(case_id, "events"), body={"type": event_type})
    _show_tracker(
        api, tracker, as_json, Text(f"Recorded {event_type} on {case_id}.", style="green")
    )


@case_app.command("timeline")
def case_timeline(ctx: typer.Context, case_id: CaseIdArgument, as_json: JsonOption = False) -> None:
    """What happened to the case's milestones, in order."""
    api = _api(ctx)
    events = api.call("GET", case_path(case_id, "timeline"))
    if as_json:
        _print_json(events)
        return
    render_timeline(case_id, [parse_answer(TimelineEvent, event) for event in events], _console())
    render_workflow_link(api.settings.workflow_url(case_id), _console())


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
    table = new_table()
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
    table = new_table()
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
        style = color_style(item["color"])
        name = Text.assemble(("● ", style), (item["name"], style + Style(bold=True)))
        if not item["active"]:
            name.append(" (inactive)", style="dim")
        table.add_row(
            Text(str(item["position"]), style="dim"),
            name,
            level_text(item),
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
        style = color_style(item["color"])
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
    table = new_table()
    for column in ("process", "version", "level", "business hours", "milestones", "description"):
        table.add_column(column)
    for item in page["data"]:
        definition = parse_answer(EntitlementProcess, item["definition"])
        table.add_row(
            Text(item["name"], style="bold"),
            Text(f"v{item['latest_version']}", style="cyan"),
            level_text(item),
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
    render_process(process, parse_answer(EntitlementProcess, shown["definition"]), _console())


@records_app.command("check")
def records_check(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Compare the records of every open case with its live tracker; exit 1 on a difference."""
    answer = _api(ctx).call("GET", "/records/check")
    if as_json:
        _print_json(answer)
    else:
        console = _console()
        for line in answer["differences"] + answer["failures"]:
            console.print(line, highlight=False)
        console.print(
            f"{answer['cases']} open cases, {answer['count']} differences, "
            f"{len(answer['failures'])} cases unreadable",
            style="green" if not (answer["count"] or answer["failures"]) else "red",
        )
    if answer["count"] or answer["failures"]:
        raise typer.Exit(1)


@records_app.command("rebuild")
def records_rebuild(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option(help="Only cases started since this instant (ISO 8601; default: all)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Re-derive the records of every case Temporal still holds, open and closed, and repair
    the stored ones. Safe to run again."""
    params = {"since": parse_instant(since)} if since else None
    answer = _api(ctx).call("POST", "/records/rebuild", params=params)
    if as_json:
        _print_json(answer)
        return
    console = _console()
    for line in answer["failures"]:
        console.print(line, highlight=False, style="red")
    console.print(f"rebuilt {answer['milestones']} milestone records of {answer['cases']} cases")


if __name__ == "__main__":
    app()
