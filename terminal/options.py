"""What every command of the `sla` CLI shares (cli.py and `terminal.admin`): the API client of an
invocation (`api`), `--json` given before or after the subcommand (`JsonOption`, `wants_json`),
printing (`print_json`, `console`), the one red line and exit 1 of an expected failure (`fail`,
`FailOnApiError`), the parsing of case fields and instants given on the command line, and the
`--at INSTANT` of every case command (`AtOption`).

Consoles are made per command, so output goes to the invocation's own streams; rich colors them
only on a terminal (or when FORCE_COLOR asks), never in a pipe or a file.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperGroup

from terminal.client import Api, ApiError, Settings, dev_key
from workflows.contract import FieldValue

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the API's JSON answer instead, for scripts.")
]


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


AtOption = Annotated[
    str | None,
    typer.Option(
        "--at",
        metavar="INSTANT",
        help="When it happened in the case system (ISO 8601, e.g. 2026-03-09T14:30:00+01:00; "
        "local time without an offset); default: when the API gets it. Not before the case's "
        "last command.",
        callback=parse_instant,
        show_default=False,
    ),
]
"""Every case command's `--at`: the command's `at`, the instant the case applies it as of (the
case system's clock, for a command sent late); the API refuses one out of order (409)."""


def fail(message: str) -> NoReturn:
    """Say what went wrong in one red line and exit 1: no traceback for expected failures."""
    # A Console made now writes to the stderr of this invocation (CliRunner swaps it).
    Console(stderr=True, soft_wrap=True).print(
        Text.assemble(("error: ", "bold red"), (message, "red"))
    )
    raise typer.Exit(1)


class FailOnApiError(TyperGroup):
    """Every command's `ApiError` (the API unreachable, an error answer, an answer this CLI
    cannot read) ends it with `fail`: one red line and exit 1, no traceback."""

    def invoke(self, ctx: Any) -> Any:  # ctx: the Context of the click typer vendors
        try:
            return super().invoke(ctx)
        except ApiError as error:
            fail(error.message)


def api(ctx: typer.Context) -> Api:
    """The API client of this invocation, closed when the command ends."""
    settings = ctx.obj if isinstance(ctx.obj, Settings) else Settings(api_key=dev_key())
    client = Api(settings)
    ctx.call_on_close(client.close)
    return client


def wants_json(ctx: typer.Context, as_json: bool) -> bool:
    """`--json` after the subcommand, or before it (`sla --json cases`)."""
    return as_json or bool(ctx.find_root().params.get("as_json"))


def print_json(data: Any) -> None:
    """The API's answer as indented JSON on this invocation's stdout (never colored)."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def console() -> Console:
    """A console on this invocation's stdout."""
    return Console()


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
