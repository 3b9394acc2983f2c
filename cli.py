"""The `sla` command line, for agents and ops: work cases, read their milestone countdowns, find
cases, and administer keys and the catalog (milestone types, entitlement processes).

    sla case start C-1 --process "Premium 24x7" --field priority=High --field owner=dana
    sla case start C-2 --field account_id=ACME    # the process of ACME's entitlement
    sla case pause C-1 --reason "Waiting on Customer"
    sla case event C-1 agent_replied --at 2026-03-09T14:30:00-05:00   # when it happened
    sla case show C-1
    sla cases --at-risk
    sla cases --mine --priority High
    sla keys create dana --role agent --role ops
    sla --json types list

Owns the typer app: its global options, the `case` commands and the `cases` listing, with the
parsing of their arguments; it mounts the admin commands of `terminal.admin` (`keys`, `types`,
`processes`, `entitlements`, `records`). What every command shares (the client of an invocation,
`--json` before or after the subcommand, the one red line and exit 1 of an `ApiError`) is
`terminal.options`, the HTTP client `terminal.client` and the human rendering `terminal.render`
(shared with demo.py). It is a thin client of the HTTP API: it never reads the database or
talks to Temporal itself, and it checks nothing the API checks (the API's message is what the user
sees). `--json` prints the API's answer for scripts; every command that changes a case takes `--at
INSTANT`, the command's `at` (when it happened in the case system). Configuration:
`--api-url`/`SLA_API_URL`, `--api-key`/`SLA_API_KEY` (default: the development key `make run`
writes to var/dev-api-key), `--ui-url`/`TEMPORAL_UI_URL`, `--namespace`/`TEMPORAL_NAMESPACE`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.text import Text

from terminal.admin import entitlements_app, keys_app, processes_app, records_app, types_app
from terminal.client import (
    DEFAULT_API_URL,
    DEFAULT_NAMESPACE,
    DEFAULT_UI_URL,
    KEY_FILE,
    Api,
    Settings,
    case_path,
    dev_key,
    parse_answer,
)
from terminal.options import (
    AtOption,
    FailOnApiError,
    JsonOption,
    api,
    console,
    parse_fields,
    parse_instant,
    print_json,
    wants_json,
)
from terminal.render import (
    SLA_STATE_STYLES,
    Parts,
    countdown,
    fields_text,
    near,
    new_table,
    print_table,
    render_outcome,
    render_timeline,
    render_trackers,
    render_workflow_link,
    state_text,
)
from workflows.contract import (
    CaseTracker,
    Close,
    Command,
    CommandApplied,
    CompleteMilestone,
    Pause,
    RecordEvent,
    Resume,
    TimelineEvent,
    UpdateCase,
)

app = typer.Typer(
    name="sla",
    help="Work SLA cases and administer the SLA engine, over its HTTP API.",
    no_args_is_help=True,
    # Locals would print the API key; tracebacks are for bugs, not for API errors.
    pretty_exceptions_show_locals=False,
    cls=FailOnApiError,
)
case_app = typer.Typer(help="Start, read and work one case.", no_args_is_help=True)
app.add_typer(case_app, name="case")
app.add_typer(keys_app, name="keys")
app.add_typer(types_app, name="types")
app.add_typer(processes_app, name="processes")
app.add_typer(entitlements_app, name="entitlements")
app.add_typer(records_app, name="records")

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
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print the API's JSON answer, for scripts (also after the command)."
        ),
    ] = False,
) -> None:
    ctx.obj = Settings(
        api_url=api_url.rstrip("/"),
        api_key=api_key or dev_key(),
        ui_url=ui_url.rstrip("/"),
        namespace=namespace,
    )


def _show_tracker(
    ctx: typer.Context, client: Api, data: Any, as_json: bool, note: Text | None = None
) -> None:
    if wants_json(ctx, as_json):
        print_json(data)
        return
    out = console()
    if note is not None:
        out.print(note)  # wraps between words
    settings = client.settings
    render_trackers([data], out, ui_url=settings.ui_url, namespace=settings.namespace)


def _command(
    ctx: typer.Context, path: str, command: Command, *, method: str = "POST"
) -> tuple[Api, Any, CommandApplied, CaseTracker]:
    """Send `command` to the case at `path`, asking for the tracker as well: the client, the
    API's answer as it came, the command's own answer and the case's tracker."""
    client = api(ctx)
    body = command.model_dump(mode="json", exclude_none=True, exclude={"milestone"})
    answer = client.call(method, path, body=body or None, params={"tracker": "true"})
    applied = parse_answer(CommandApplied, answer)
    return client, answer, applied, parse_answer(CaseTracker, answer.get("tracker"))


def _commanded(
    ctx: typer.Context,
    path: str,
    command: Command,
    note: Text,
    as_json: bool,
    *,
    method: str = "POST",
) -> None:
    """Send a command, then show the case's tracker below `note` (or the answer as JSON)."""
    client, answer, _applied, tracker = _command(ctx, path, command, method=method)
    if wants_json(ctx, as_json):
        print_json(answer)
        return
    _show_tracker(ctx, client, tracker, as_json, note)


# ------------------------------------------------------------------------------------- cases


@case_app.command("start")
def case_start(
    ctx: typer.Context,
    case_id: CaseIdArgument,
    process: Annotated[
        str | None,
        typer.Option(help="The entitlement process, by name (default: the entitlement's)."),
    ] = None,
    version: Annotated[
        int | None, typer.Option(help="The process version to pin (default: the latest).")
    ] = None,
    entitlement: Annotated[
        str | None,
        typer.Option(
            help="The account's entitlement, by name. Without it and --process, the account's "
            "entitlement that applies (the field account_id names the account)."
        ),
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
    client = api(ctx)
    body = {
        "case_id": case_id,
        "process": process,
        "version": version,
        "entitlement": entitlement,
        "fields": parse_fields(field or []),
        "opened_at": opened_at,
    }
    response = client.request(
        "POST", "/cases", body={k: v for k, v in body.items() if v is not None}
    )
    tracker = client.answer(response)
    created = response.status_code == 201
    note = Text(
        f"Started {case_id} on {tracker['process']} v{tracker['process_version']}."
        if created
        else f"{case_id} was already started: nothing changed.",
        style="green" if created else "yellow",
    )
    _show_tracker(ctx, client, tracker, as_json, note)


@case_app.command("show")
def case_show(ctx: typer.Context, case_id: CaseIdArgument, as_json: JsonOption = False) -> None:
    """The case's milestones: states, targets, countdowns, business time."""
    client = api(ctx)
    _show_tracker(ctx, client, client.call("GET", case_path(case_id)), as_json)


@case_app.command("pause")
def case_pause(
    ctx: typer.Context,
    case_id: CaseIdArgument,
    reason: Annotated[str, typer.Option(help="Why the clocks stop (kept in the pause log).")],
    at: AtOption = None,
    as_json: JsonOption = False,
) -> None:
    """Stop every milestone clock of the case until it is resumed."""
    command = Pause(reason=reason, at=at)
    note = Text(f"Paused {case_id}: {reason}", style="blue")
    _commanded(ctx, case_path(case_id, "pause"), command, note, as_json)


@case_app.command("resume")
def case_resume(
    ctx: typer.Context, case_id: CaseIdArgument, at: AtOption = None, as_json: JsonOption = False
) -> None:
    """Restart the case's milestone clocks after a pause."""
    note = Text(f"Resumed {case_id}.", style="green")
    _commanded(ctx, case_path(case_id, "resume"), Resume(at=at), note, as_json)


@case_app.command("complete")
def case_complete(
    ctx: typer.Context,
    case_id: CaseIdArgument,
    milestone: Annotated[str, typer.Argument(help="The milestone's name, e.g. 'First Response'.")],
    at: AtOption = None,
    as_json: JsonOption = False,
) -> None:
    """Complete the milestone's active instance (met at --at, default now)."""
    path = case_path(case_id, "milestones", milestone, "complete")
    _client, answer, done, tracker = _command(
        ctx, path, CompleteMilestone(milestone=milestone, at=at)
    )
    if wants_json(ctx, as_json):
        print_json(answer)
        return
    completed = (done.milestone, done.instance)
    render_outcome(
        next(m for m in tracker.milestones if (m.name, m.instance) == completed), console()
    )


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
    at: AtOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change case fields: targets, pauses and starts follow the process's rules."""
    if not fields:
        raise typer.BadParameter("give at least one KEY=VALUE", param_hint="KEY=VALUE...")
    changes = parse_fields(fields)
    note = Text("Updated ", style="green").append_text(fields_text(changes))
    command = UpdateCase(fields=changes, at=at)
    _commanded(ctx, case_path(case_id), command, note, as_json, method="PATCH")


@case_app.command("close")
def case_close(
    ctx: typer.Context,
    case_id: CaseIdArgument,
    fields: FieldsArgument = None,
    at: AtOption = None,
    as_json: JsonOption = False,
) -> None:
    """Close the case, with last field changes (they apply first); its process exits."""
    command = Close(fields=parse_fields(fields or []), at=at)
    _commanded(
        ctx, case_path(case_id, "close"), command, Text(f"Closed {case_id}.", style="dim"), as_json
    )


@case_app.command("event")
def case_event(
    ctx: typer.Context,
    case_id: CaseIdArgument,
    event_type: Annotated[str, typer.Argument(metavar="TYPE", help="e.g. agent_replied")],
    at: AtOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a case event: milestones that start or complete on it do."""
    note = Text(f"Recorded {event_type} on {case_id}.", style="green")
    _commanded(
        ctx, case_path(case_id, "events"), RecordEvent(type=event_type, at=at), note, as_json
    )


@case_app.command("timeline")
def case_timeline(ctx: typer.Context, case_id: CaseIdArgument, as_json: JsonOption = False) -> None:
    """What happened to the case's milestones, in order."""
    client = api(ctx)
    events = client.call("GET", case_path(case_id, "timeline"))
    if wants_json(ctx, as_json):
        print_json(events)
        return
    render_timeline(case_id, [parse_answer(TimelineEvent, event) for event in events], console())
    render_workflow_link(client.settings.workflow_url(case_id), console())


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
    owner: Annotated[
        str | None, typer.Option(help="The case's owner field (an agent or a queue).")
    ] = None,
    mine: Annotated[
        bool,
        typer.Option("--mine", help="Cases owned by this API key's name (see `sla keys create`)."),
    ] = False,
    priority: Annotated[str | None, typer.Option(help="The case's priority field.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """Find cases by SLA state, deadline, process, account, owner or priority (newest first)."""
    wanted = {s for s, on in (("at_risk", at_risk), ("violated", violated)) if on}
    if state is not None:
        wanted.add(state.value)
    if len(wanted) > 1:
        raise typer.BadParameter(
            f"one SLA state at a time, not {' and '.join(sorted(wanted))}", param_hint="--state"
        )
    if mine and owner is not None:
        raise typer.BadParameter("--mine is --owner with this key's name: give one of them")
    client = api(ctx)
    if mine:
        owner = client.call("GET", "/me")["name"]
    page = client.call(
        "GET",
        "/cases",
        params={
            "sla_state": next(iter(wanted), None),
            "deadline_before": deadline_before,
            "process": process,
            "account_id": account_id,
            "owner": owner,
            "priority": priority,
            "limit": limit,
        },
    )
    if wants_json(ctx, as_json):
        print_json(page)
        return
    now = datetime.now(UTC)
    # The workflow's status is worth a column once a listed case is no longer running.
    closed = any(case["status"] != "running" for case in page["data"])
    columns = ["case", "state", "next deadline", "priority", "owner", "process", "account"]
    table = new_table(*columns, *(["workflow"] if closed else []), parts=["next deadline"])
    for case in page["data"]:
        deadline = Parts(Text("—"))
        if case["next_deadline"]:
            at = datetime.fromisoformat(case["next_deadline"])
            style = SLA_STATE_STYLES.get(case["sla_state"] or "", "")
            deadline = Parts(Text(f"{near(at, now)},"), Text(countdown(at - now), style=style))
        table.add_row(
            Text(case["case_id"], style="bold"),
            state_text(case["sla_state"] or "?"),
            deadline,
            Text(case["priority"] or ""),
            Text(case.get("owner") or ""),
            Text(case["process"] or ""),
            Text(case["account_id"] or ""),
            *([Text(case["status"], style="dim")] if closed else []),
        )
    out = console()
    print_table(table, out)
    count = page["count"]
    whose = f" owned by {owner}" if owner else ""
    out.print(
        Text(
            f"{count} case{'' if count == 1 else 's'}{whose} · `sla case show CASE_ID` for one",
            style="dim",
        ),
    )


if __name__ == "__main__":
    app()
