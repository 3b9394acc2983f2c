"""The `sla` command line driven with typer's CliRunner against the real API served over HTTP
(tests/cli_fixtures.py): a real SQLite database, the time-skipping Temporal server with a worker
running the real workflow and recording fake actions, and a dev server for `sla cases` (the
time-skipping server has no visibility store)."""

import asyncio
import json
import re
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner, Result

import cli
from tests.helpers.api import ADMIN_KEY, closed_port
from tests.helpers.cli_stack import PROCESS, WAITING, Stack, served_stack
from workflows.converter import DATA_CONVERTER
from workflows.search_attributes import SEARCH_ATTRIBUTES

RUNNER = CliRunner()


@pytest.fixture(scope="module")
async def stack(
    env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    async with served_stack(env, tmp_path_factory.mktemp("cli") / "api.sqlite") as served:
        yield served


async def sla(
    stack: Stack | str, *args: str, code: int = 0, key: str = ADMIN_KEY, **environ: str
) -> Result:
    """Run `sla --api-url ... --api-key ... *args` on a thread (the API serves on this loop),
    wide enough that rich wraps nothing; check the exit code and that nothing crashed."""
    url = stack if isinstance(stack, str) else stack.url
    result = await asyncio.to_thread(
        RUNNER.invoke,
        cli.app,
        ["--api-url", url, "--api-key", key, *args],
        env={"COLUMNS": "220", **environ},
    )
    assert result.exit_code == code, (result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


async def sla_json(stack: Stack, *args: str) -> Any:
    return json.loads((await sla(stack, *args, "--json")).stdout)


def new_case(stack: Stack) -> str:
    case_id = f"CLI-{uuid.uuid4().hex[:8]}"
    stack.case_ids.append(case_id)
    return case_id


async def minutes_ago(stack: Stack, minutes: int) -> str:
    """An instant in the time-skipping server's past (its clock is ahead of this machine's once
    other tests have skipped time), as the API compares `opened_at` with it."""
    return (await stack.env.get_current_time() - timedelta(minutes=minutes)).isoformat()


# ------------------------------------------------------------------------------------ catalog


async def test_types_list_shows_a_levels_types_then_the_global_ones(stack: Stack) -> None:
    listing = await sla_json(stack, "types", "list", "--account-id", "ACME")
    names = [item["name"] for item in listing["data"]]
    assert names[-2:] == ["First Response", "Resolution"]
    assert set(names[:3]) == {"Executive Review", "Kickoff", "Go Live"}
    human = (await sla(stack, "types", "list", "--account-id", "ACME")).stdout
    assert "account ACME" in human
    assert "#D62728" in human
    assert human.index("Kickoff") < human.index("First Response")
    global_only = await sla_json(stack, "types", "list", "--scope", "global")
    assert [item["name"] for item in global_only["data"]] == ["First Response", "Resolution"]


async def test_types_reorder_by_names_keeps_the_others_after(stack: Stack) -> None:
    before = await sla_json(stack, "types", "list", "--account-id", "ACME")
    local = [item["name"] for item in before["data"] if item["scope"] == "account"]
    moved = await sla_json(
        stack, "types", "reorder", "--scope", "account", "--account-id", "ACME", "go live"
    )
    after = [item["name"] for item in moved["data"]]
    rest = [name for name in local if name != "Go Live"]
    assert after == ["Go Live", *rest, "First Response", "Resolution"]

    human = await sla(stack, "types", "reorder", "--account-id", "ACME", "Kickoff", "Go Live")
    lines = [line.strip() for line in human.stdout.splitlines()]
    assert lines[0] == "New order of account ACME:"
    assert lines[1:4] == ["1. ● Kickoff", "2. ● Go Live", "3. ● Executive Review"]
    assert lines[4] == "4. ● First Response  (global)"

    unknown = await sla(stack, "types", "reorder", "--account-id", "ACME", "Onboarding", code=1)
    assert unknown.stderr.strip() == (
        "error: no milestone type 'Onboarding' at level account ACME: its types are 'Kickoff', "
        "'Go Live', 'Executive Review'"
    )
    global_type = await sla(
        stack, "types", "reorder", "--account-id", "ACME", "first response", code=1
    )
    assert "'First Response' is a global type" in global_type.stderr


async def test_processes_list_and_show_versions(stack: Stack) -> None:
    listing = await sla(stack, "processes", "list")
    assert re.search(
        r"Support\s+v2\s+global\s+24x7\s+● First Response, ● Resolution", listing.stdout
    )
    assert [p["name"] for p in (await sla_json(stack, "processes", "list"))["data"]] == [PROCESS]

    latest = (await sla(stack, "processes", "show", "support")).stdout
    assert "Support  v2 of 2  global" in latest
    assert f'pauses when status = "{WAITING}" (at most 72h 00m) · exits when' in latest
    assert re.search(
        r"● First Response  1h 00m\n +starts +on entry *\n +completes +event agent_replied *\n"
        r" +actions +warning: webhook 0h 15m before · violation: webhook, webhook \+0h 30m",
        latest,
    )
    assert '● Resolution  4h 00m if priority in ["High"]; 8h 00m otherwise' in latest
    assert re.search(r'completes +status = "Solved" *\n +actions +success: webhook', latest)
    first = (await sla(stack, "processes", "show", PROCESS, "--version", "1")).stdout
    assert "Support  v1 of 2" in first
    assert "● First Response  2h 00m" in first
    version = await sla_json(stack, "processes", "show", PROCESS, "--version", "1")
    assert (version["version"], version["definition"]["milestones"][0]["target"]) == (1, "PT2H")

    missing = await sla(stack, "processes", "show", "Gold", code=1)
    assert (
        missing.stderr.strip()
        == "error: no entitlement process 'Gold': the processes are 'Support'"
    )
    no_version = await sla(stack, "processes", "show", PROCESS, "--version", "7", code=1)
    assert no_version.stderr.startswith("error: ")


# -------------------------------------------------------------------------------------- cases


async def test_case_lifecycle_in_words_and_in_json(stack: Stack) -> None:
    case_id = new_case(stack)
    opened_at = await minutes_ago(stack, 50)
    started = await sla(
        stack,
        "case", "start", case_id, "--process", PROCESS,
        "--field", "priority=High", "-f", "tier=2", "-f", "vip=true", "-f", "status=New",
        "--opened-at", opened_at,
    )  # fmt: skip
    out = started.stdout
    assert f"Started {case_id} on Support v2." in out
    # 50 of First Response's 60 minutes are gone: its 15-minute warning has fired.
    assert re.search(rf"{case_id}\s+Support v2\s+at_risk", out)
    assert re.search(
        r"● First Response +active +\d\d:\d\d, in (9|10)m +0h 50m of 1h 00m +0h (09|10)m\n", out
    )
    assert re.search(
        r"● Resolution +active +\d\d:\d\d, in 3h 0\dm +0h 50m of 4h 00m +3h 0\dm\n", out
    )
    assert "priority=High  tier=2  vip=true  status=New" in out
    assert f"Temporal UI  http://localhost:8233/namespaces/default/workflows/case-{case_id}" in out

    again = await sla(stack, "case", "start", case_id, "--process", PROCESS)
    assert f"{case_id} was already started: nothing changed." in again.stdout

    tracker = await sla_json(stack, "case", "show", case_id)
    assert tracker["sla_state"] == "at_risk"
    assert tracker["fields"] == {"priority": "High", "tier": 2, "vip": True, "status": "New"}
    colored = await sla(stack, "case", "show", case_id, FORCE_COLOR="1")
    assert "\x1b[33mat_risk\x1b[0m" in colored.stdout  # yellow
    assert "\x1b[33mactive\x1b[0m" in colored.stdout
    assert "\x1b[31m● \x1b[0m\x1b[1;31mFirst Response" in colored.stdout  # its type's #D62728
    linked = await sla(
        stack, "--ui-url", "https://ui.example/", "--namespace", "sla", "case", "show", case_id
    )
    assert f"https://ui.example/namespaces/sla/workflows/case-{case_id}" in linked.stdout

    paused = await sla(stack, "case", "pause", case_id, "--reason", "Collecting logs")
    assert f"Paused {case_id}: Collecting logs" in paused.stdout
    assert re.search(rf"{case_id}\s+Support v2\s+paused\s+paused: Collecting logs", paused.stdout)
    assert re.search(r"● First Response +paused +clock stopped +0h 5\dm of 1h 00m", paused.stdout)
    twice = await sla(stack, "case", "pause", case_id, "--reason", "again", code=1)
    assert twice.stderr.startswith("error: the case is already paused since ")
    resumed = await sla_json(stack, "case", "resume", case_id)
    assert (resumed["paused"], resumed["sla_state"]) == (False, "at_risk")

    updated = await sla_json(
        stack, "case", "update", case_id, "priority=Low", "tier=", 'code="007"'
    )
    assert updated["fields"] == {"priority": "Low", "vip": True, "status": "New", "code": "007"}
    resolution = next(m for m in updated["milestones"] if m["name"] == "Resolution")
    assert resolution["target"] == "PT8H"  # retargeted by the priority rule
    waiting = await sla(stack, "case", "update", case_id, f"status={WAITING}")
    assert f"Updated status={WAITING}" in waiting.stdout
    assert re.search(rf"{case_id}\s+Support v2\s+paused", waiting.stdout)
    await sla(stack, "case", "update", case_id, "status=Open")

    replied = await sla(stack, "case", "event", case_id, "agent_replied")
    assert f"Recorded agent_replied on {case_id}." in replied.stdout
    assert re.search(r"● First Response +completed +met \d\d:\d\d, on time", replied.stdout)
    assert re.search(rf"{case_id}\s+Support v2\s+on_track", replied.stdout)

    done = await sla(stack, "case", "complete", case_id, "resolution")
    assert re.search(
        r"● Resolution completed \w{3} \d\d \w{3} \d\d:\d\d, on time"
        r" · 0h 5\dm of 8h 00m business time",
        done.stdout,
    )
    twice_done = await sla(stack, "case", "complete", case_id, "First Response", code=1)
    assert twice_done.stderr.startswith("error: milestone 'First Response' is already completed")

    timeline = await sla(stack, "case", "timeline", case_id)
    for kind in ("opened", "started", "warned", "paused", "resumed", "retargeted", "completed"):
        assert kind in timeline.stdout
    assert f"workflows/case-{case_id}" in timeline.stdout
    kinds = [event["kind"] for event in await sla_json(stack, "case", "timeline", case_id)]
    assert kinds[0] == "opened"
    assert kinds.count("completed") == 2

    closed = await sla(stack, "case", "close", case_id, "status=Solved")
    assert f"Closed {case_id}." in closed.stdout
    assert re.search(rf"{case_id}\s+Support v2\s+done", closed.stdout)
    assert "closed " in closed.stdout
    refused = await sla(stack, "case", "pause", case_id, "--reason", "too late", code=1)
    assert refused.stderr.strip() == f"error: case {case_id!r} is closed"


async def test_late_milestones_say_how_late_in_red(stack: Stack) -> None:
    case_id = new_case(stack)
    opened_at = await minutes_ago(stack, 72)
    await sla(stack, "case", "start", case_id, "--process", PROCESS, "--opened-at", opened_at)
    shown = await sla(stack, "case", "show", case_id)
    assert re.search(rf"{case_id}\s+Support v2\s+violated", shown.stdout)
    assert re.search(
        r"● First Response +violated +\d\d:\d\d, 12m late +1h 12m of 1h 00m +0h 00m", shown.stdout
    )
    colored = await sla(stack, "case", "show", case_id, FORCE_COLOR="1")
    assert "\x1b[1;31mviolated\x1b[0m" in colored.stdout
    assert "\x1b[1;31m12m late\x1b[0m" in colored.stdout
    completed = await sla_json(
        stack, "case", "complete", case_id, "First Response", "--at", await minutes_ago(stack, 2)
    )
    assert (completed["state"], completed["violated"]) == ("completed", True)
    late = await sla(stack, "case", "show", case_id)
    assert re.search(r"● First Response +completed +met \d\d:\d\d, 10m late", late.stdout)
    # The case's SLA state follows its open milestones; the late one keeps its lateness.
    assert re.search(rf"{case_id}\s+Support v2\s+on_track", late.stdout)


async def test_api_errors_are_one_red_line_and_exit_1(stack: Stack) -> None:
    unknown_process = await sla(stack, "case", "start", "CLI-X", "--process", "Gold", code=1)
    assert unknown_process.stdout == ""
    assert unknown_process.stderr.strip() == (
        "error: process: unknown entitlement process 'Gold': create it under "
        "/entitlement-processes first"
    )
    unknown_case = await sla(stack, "case", "show", "NOPE-1", code=1)
    assert unknown_case.stderr.strip() == "error: case 'NOPE-1' does not exist"
    colored = await sla(stack, "case", "show", "NOPE-1", code=1, FORCE_COLOR="1")
    assert "\x1b[1;31merror: \x1b[0m\x1b[31mcase 'NOPE-1' does not exist" in colored.stderr
    bad_key = await sla(stack, "types", "list", key="not-a-key", code=1)
    assert bad_key.stderr.startswith("error: ")
    assert "pass --api-key or set SLA_API_KEY" in bad_key.stderr
    nowhere = f"http://127.0.0.1:{closed_port()}"
    down = await sla(nowhere, "processes", "list", code=1)
    assert down.stderr.strip() == (
        f"error: cannot reach the SLA API at {nowhere}: start the stack with `make run`, or "
        "point --api-url (SLA_API_URL) at a running API"
    )
    # Mistakes on the command line are usage errors (exit 2), caught before any request.
    malformed = await sla(stack, "case", "update", "CLI-X", "priority", code=2)
    assert "is not key=value" in malformed.output
    not_an_instant = await sla(stack, "case", "complete", "CLI-X", "Triage", "--at", "soon", code=2)
    assert "is not an ISO 8601 instant" in not_an_instant.output
    two_states = await sla(stack, "cases", "--at-risk", "--violated", code=2)
    assert "one SLA state at a time" in two_states.output


async def test_cases_needs_a_visibility_store(stack: Stack) -> None:
    """The time-skipping server cannot list workflows: the API's message, cleanly."""
    result = await sla(stack, "cases", "--at-risk", code=1)
    assert result.stderr.startswith("error: Temporal answered UNIMPLEMENTED: ")
    assert result.stdout == ""


# ------------------------------------------------------------------ cases on a real dev server


@pytest.fixture(scope="module")
async def dev_stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    environment = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        search_attributes=SEARCH_ATTRIBUTES,
        data_converter=DATA_CONVERTER,
        dev_server_log_level="error",
    )
    try:
        async with served_stack(environment, tmp_path_factory.mktemp("dev") / "api.sqlite") as s:
            yield s
    finally:
        await environment.shutdown()


async def test_cases_at_risk_lists_the_cases_about_to_breach(dev_stack: Stack) -> None:
    at_risk, on_track = new_case(dev_stack), new_case(dev_stack)
    # Without an offset, --opened-at is this machine's local time.
    opened = (datetime.now() - timedelta(minutes=50)).isoformat(timespec="seconds")
    await sla(dev_stack, "case", "start", at_risk, "--process", PROCESS, "--opened-at", opened)
    await sla(dev_stack, "case", "start", on_track, "--process", PROCESS, "-f", "account_id=ACME")

    async def listed(*args: str) -> list[str]:
        page = await sla_json(dev_stack, "cases", "--process", PROCESS, *args)
        return sorted(case["case_id"] for case in page["data"])

    # The visibility store follows the workflows' search attributes within moments.
    for _ in range(100):
        if await listed("--at-risk") == [at_risk] and await listed("--state", "on_track"):
            break
        await asyncio.sleep(0.1)
    assert await listed("--at-risk") == [at_risk]
    assert await listed("--state", "on_track") == [on_track]
    assert await listed("--account-id", "ACME") == [on_track]
    human = (await sla(dev_stack, "cases", "--at-risk")).stdout
    assert re.search(
        rf"{at_risk}\s+at_risk\s+(\w{{3}} )?\d\d:\d\d, in \d+m\s+Support\s+.*running", human
    )
    assert "1 case · `sla case show CASE_ID` for one" in human
