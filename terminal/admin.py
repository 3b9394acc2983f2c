"""The `sla` commands that administer the engine rather than work cases: API keys (`sla keys`),
the milestone type catalog (`sla types`), entitlement processes (`sla processes`), the accounts'
entitlements (`sla entitlements`) and the milestone records (`sla records`). cli.py mounts them
on the `sla` app; like every command they are thin clients of the HTTP API
(`terminal.options`), which checks what they send.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from rich.style import Style
from rich.text import Text

from terminal.client import parse_answer
from terminal.options import (
    JsonOption,
    api,
    console,
    fail,
    parse_instant,
    print_json,
    wants_json,
)
from terminal.render import (
    color_style,
    criteria_text,
    entitlement_cases,
    entitlement_dates,
    level_text,
    local,
    milestone_label,
    new_table,
    print_table,
    render_entitlement,
    render_process,
)
from workflows.contract import EntitlementProcess
from workflows.entitlements import Entitlement

keys_app = typer.Typer(
    help="API keys and their roles (admins): create, list, revoke.", no_args_is_help=True
)
types_app = typer.Typer(help="The milestone type catalog.", no_args_is_help=True)
processes_app = typer.Typer(help="Entitlement processes and their versions.", no_args_is_help=True)
entitlements_app = typer.Typer(
    help="What each account bought: its entitlements.", no_args_is_help=True
)
records_app = typer.Typer(
    help="The milestone records reports read, against the cases' workflows.", no_args_is_help=True
)


# -------------------------------------------------------------------------------------- keys


@keys_app.command("create")
def keys_create(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Argument(
            help="Who holds the key, e.g. an agent's name: `sla cases --mine` lists the cases "
            "whose owner is this name."
        ),
    ],
    role: Annotated[
        list[str],
        typer.Option(
            "--role",
            "-r",
            metavar="ROLE",
            help="admin (everything), ops (reads), case_system (start, update, events, close) "
            "or agent (pause, resume, complete); repeat for more.",
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Create a key (POST /api-keys {"name": NAME, "roles": [ROLE, ...]}). The key is shown
    this once: only its hash is stored."""
    created = api(ctx).call("POST", "/api-keys", body={"name": name, "roles": role})
    if wants_json(ctx, as_json):
        print_json(created)
        return
    out = console()
    roles = ", ".join(created["roles"])
    out.print(Text(f"Created key {created['id']} {created['name']!r} ({roles}):", style="green"))
    out.print(created["key"], soft_wrap=True, highlight=False)
    out.print(
        Text(
            "Keep it now: it is not shown again. Send it as Authorization: Bearer <key>, or "
            "give it to the CLI with --api-key or SLA_API_KEY.",
            style="dim",
        ),
    )


@keys_app.command("list")
def keys_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every key: its id, name, prefix (the key's first characters) and roles."""
    page = api(ctx).call("GET", "/api-keys")
    if wants_json(ctx, as_json):
        print_json(page)
        return
    table = new_table("id", "name", "prefix", "roles", "created")
    for item in page["data"]:
        table.add_row(
            Text(str(item["id"]), style="dim"),
            Text(item["name"], style="bold"),
            Text(item["prefix"], style="dim"),
            Text(", ".join(item["roles"])),
            Text(local(datetime.fromisoformat(item["created_at"]))),
        )
    print_table(table, console())


@keys_app.command("revoke")
def keys_revoke(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(metavar="ID|NAME", help="The key's id, or its name.")],
    as_json: JsonOption = False,
) -> None:
    """Revoke a key by its id or its name: at once in this API process, within the key cache's
    few seconds in others."""
    client = api(ctx)
    keys = client.call("GET", "/api-keys")["data"]
    matches = [k for k in keys if str(k["id"]) == key.strip()] or [
        k for k in keys if k["name"] == key
    ]
    if not matches:
        fail(f"no API key with id or name {key!r}: `sla keys list` shows them")
    if len(matches) > 1:
        ids = ", ".join(str(k["id"]) for k in matches)
        fail(f"{len(matches)} keys are named {key!r} (ids {ids}): revoke one by its id")
    (found,) = matches
    client.call("DELETE", f"/api-keys/{found['id']}")
    if wants_json(ctx, as_json):
        print_json(found)
        return
    console().print(Text(f"Revoked key {found['id']} {found['name']!r}.", style="green"))


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
    client = api(ctx)
    page = client.call(
        "GET",
        "/milestone-types",
        params={
            "scope": scope,
            "account_id": account_id,
            "relationship_type": relationship_type,
            "active": None if active is None else str(active).lower(),
        },
    )
    if wants_json(ctx, as_json):
        print_json(page)
        return
    table = new_table(
        "#",
        "milestone type",
        "level",
        "color",
        "recurrence",
        "category",
        "description",
        wrap=["description"],
    )
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
    print_table(table, console(), heading=1)


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
    client = api(ctx)
    level = {"scope": scope, "account_id": account_id, "relationship_type": relationship_type}
    listing = client.call("GET", "/milestone-types", params=level)["data"]
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
    page = client.call(
        "POST",
        "/milestone-types/reorder",
        body={**{k: v for k, v in level.items() if v is not None}, "ids": ids},
    )
    if wants_json(ctx, as_json):
        print_json(page)
        return
    out = console()
    out.print(Text(f"New order of {where}:", style="green"))
    for n, item in enumerate(page["data"], start=1):
        style = color_style(item["color"])
        line = Text.assemble((f"{n:>3}. ", "dim"), ("● ", style), (item["name"], style))
        if item["scope"] != scope:
            line.append("  (global)", style="dim")
        out.print(line, soft_wrap=True)


# --------------------------------------------------------------------------------- processes


@processes_app.command("list")
def processes_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every process with its latest version."""
    client = api(ctx)
    page = client.call("GET", "/entitlement-processes")
    if wants_json(ctx, as_json):
        print_json(page)
        return
    table = new_table(
        "process",
        "version",
        "level",
        "business hours",
        "milestones",
        "description",
        wrap=["description"],
    )
    for item in page["data"]:
        definition = parse_answer(EntitlementProcess, item["definition"])
        table.add_row(
            Text(item["name"], style="bold"),
            Text(f"v{item['latest_version']}", style="cyan"),
            level_text(item),
            Text(definition.business_hours or "24x7"),
            Text("\n").join(milestone_label(m) for m in definition.milestones),
            Text(item["description"], style="dim"),
        )
    print_table(table, console())


@processes_app.command("show")
def processes_show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The process's name (case-insensitive).")],
    version: Annotated[int | None, typer.Option(help="A version (default: the latest).")] = None,
    as_json: JsonOption = False,
) -> None:
    """A process version's rules and milestones."""
    client = api(ctx)
    processes = client.call("GET", "/entitlement-processes")["data"]
    process = next((p for p in processes if p["name"].casefold() == name.casefold()), None)
    if process is None:
        known = ", ".join(repr(p["name"]) for p in processes) or "none yet"
        fail(f"no entitlement process {name!r}: the processes are {known}")
    # With --version the answer is that version (the same shape whichever it is); without, the
    # process with its latest definition.
    shown: dict[str, Any] = process
    if version is not None:
        shown = client.call("GET", f"/entitlement-processes/{process['id']}/versions/{version}")
    if wants_json(ctx, as_json):
        print_json(shown)
        return
    render_process(process, parse_answer(EntitlementProcess, shown["definition"]), console())


# ------------------------------------------------------------------------------ entitlements


def _entitlement(item: dict[str, Any]) -> Entitlement:
    """The contract's `Entitlement` in an answer (which adds its id and counts)."""
    fields = {key: value for key, value in item.items() if key in Entitlement.model_fields}
    return parse_answer(Entitlement, fields)


@entitlements_app.command("list")
def entitlements_list(
    ctx: typer.Context,
    account_id: Annotated[str | None, typer.Option(help="Only this account's.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Entitlements by account, each account's highest priority first."""
    page = api(ctx).call("GET", "/entitlements", params={"account_id": account_id})
    if wants_json(ctx, as_json):
        print_json(page)
        return
    table = new_table(
        "entitlement",
        "account",
        "priority",
        "process",
        "business hours",
        "dates",
        "cases",
        "applies to",
        wrap=["applies to"],
    )
    for item in page["data"]:
        entitlement = _entitlement(item)
        table.add_row(
            Text(entitlement.name, style="bold"),
            Text(entitlement.account_id or "(default)", style="magenta"),
            Text(str(entitlement.priority), style="cyan"),
            Text(entitlement.process),
            Text(entitlement.business_hours or "the process's", style="dim"),
            Text(f"{entitlement_dates(entitlement)} ({entitlement.time_zone})"),
            Text(entitlement_cases(entitlement)),
            Text(criteria_text(entitlement.applies_when, "every case"), style="dim"),
        )
    print_table(table, console())


@entitlements_app.command("show")
def entitlements_show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The entitlement's name (case-insensitive).")],
    account_id: Annotated[
        str | None, typer.Option(help="Its account (needed when two accounts use the name).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """An entitlement: its process, business hours, dates, allowance and conditions."""
    listing = api(ctx).call("GET", "/entitlements", params={"account_id": account_id})["data"]
    matches = [item for item in listing if item["name"].casefold() == name.casefold()]
    of_account = f" of account {account_id!r}" if account_id is not None else ""
    if not matches:
        known = (
            ", ".join(f"{i['name']!r} ({i['account_id'] or 'default'})" for i in listing)
            or "none yet"
        )
        fail(f"no entitlement {name!r}{of_account}: the entitlements{of_account} are {known}")
    if len(matches) > 1:
        accounts = ", ".join(repr(item["account_id"]) for item in matches)
        fail(f"accounts {accounts} each have an entitlement {name!r}: give --account-id")
    (found,) = matches
    if wants_json(ctx, as_json):
        print_json(found)
        return
    render_entitlement(_entitlement(found), console())


@records_app.command("check")
def records_check(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Compare the records of every open case with its live tracker; exit 1 on a difference."""
    answer = api(ctx).call("GET", "/records/check")
    if wants_json(ctx, as_json):
        print_json(answer)
    else:
        out = console()
        for line in answer["differences"] + answer["failures"]:
            out.print(line, highlight=False)
        out.print(
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
    answer = api(ctx).call("POST", "/records/rebuild", params=params)
    if wants_json(ctx, as_json):
        print_json(answer)
        return
    out = console()
    for line in answer["failures"]:
        out.print(line, highlight=False, style="red")
    out.print(f"rebuilt {answer['milestones']} milestone records of {answer['cases']} cases")
