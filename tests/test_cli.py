"""The `sla` command line driven with typer's CliRunner against the real API served over HTTP
(tests/helpers/cli_stack.py): a real SQLite database, the time-skipping Temporal server with a
worker running the real workflow and recording fake actions, and a dev server for `sla cases`
(the time-skipping server has no visibility store). Also what a person sees around it: tables
that fit the terminal, no color outside one, `make run`'s logs without color, the demo's report
of each case as it goes, and the README tour's process running at any hour."""

import asyncio
import json
import os
import re
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner, Result

import cli
import demo
import stack as make_run
from terminal.client import Api, Settings
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
    stack: Stack | str, *args: str, code: int = 0, key: str = ADMIN_KEY, **environ: str | None
) -> Result:
    """Run `sla --api-url ... --api-key ... *args` on a thread (the API serves on this loop),
    wide enough that rich wraps nothing and, unless `environ` asks, not a terminal (so without
    color); check the exit code and that nothing crashed."""
    url = stack if isinstance(stack, str) else stack.url
    result = await asyncio.to_thread(
        RUNNER.invoke,
        cli.app,
        ["--api-url", url, "--api-key", key, *args],
        env={"COLUMNS": "220", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, **environ},
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
    assert re.search(  # a milestone per line
        r"Support\s+v2\s+global\s+24x7\s+● First Response\s+Support desk, around the clock *\n"
        r" +● Resolution *\n",
        listing.stdout,
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


async def test_entitlements_list_and_show(stack: Stack) -> None:
    cloud = {"all": [{"field": "product", "op": "eq", "value": "Cloud"}]}
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    async with httpx.AsyncClient(base_url=stack.url, headers=headers) as client:
        for body in (
            {
                "name": "Premium",
                "account_id": "ENT-ACME",
                "process": PROCESS,
                "starts_on": "2026-01-01",
                "ends_on": "2026-12-31",
                "cases_allowed": 10,
                "applies_when": cloud,
                "priority": 10,
                "on_exhausted": "flag",
            },
            {"name": "Standard", "account_id": "ENT-ACME", "process": PROCESS, "priority": 1},
            {
                "name": "Standard",
                "account_id": "ENT-GLOBEX",
                "process": PROCESS,
                "business_hours": "24x7",
                "starts_on": "2026-06-01",
            },
        ):
            response = await client.post("/entitlements", json=body)
            assert response.status_code == 201, response.text

    listing = (await sla(stack, "entitlements", "list", "--account-id", "ENT-ACME")).stdout
    assert re.search(
        r"Premium +ENT-ACME +10 +Support +the process's +2026-01-01 to 2026-12-31 \(UTC\) +"
        r'0 of 10 used, then flagged +product = "Cloud"',
        listing,
    ), listing
    assert re.search(
        r"Standard +ENT-ACME +1 +Support +the process's +always \(UTC\) +0 used, no limit +"
        r"every case",
        listing,
    ), listing
    assert "ENT-GLOBEX" not in listing
    page = await sla_json(stack, "entitlements", "list", "--account-id", "ENT-ACME")
    assert [(e["name"], e["cases_remaining"]) for e in page["data"]] == [
        ("Premium", 10),
        ("Standard", None),
    ]
    everything = await sla_json(stack, "entitlements", "list")
    assert ("ENT-GLOBEX", "Standard") in {(e["account_id"], e["name"]) for e in everything["data"]}

    premium = (await sla(stack, "entitlements", "show", "premium")).stdout
    assert "Premium  account ENT-ACME  priority 10" in premium
    assert re.search(r"process +Support *\n", premium)
    assert re.search(r"business hours +the process's *\n", premium)
    assert re.search(r"dates +2026-01-01 to 2026-12-31 \(UTC days\) *\n", premium)
    assert re.search(r"cases +0 of 10 used, then flagged *\n", premium)
    assert re.search(r'applies to +product = "Cloud"', premium)
    globex = await sla(stack, "entitlements", "show", "standard", "--account-id", "ENT-GLOBEX")
    assert re.search(r"business hours +24x7 *\n", globex.stdout)
    assert re.search(r"dates +from 2026-06-01 \(UTC days\) *\n", globex.stdout)
    shown = await sla_json(stack, "entitlements", "show", "Standard", "--account-id", "ENT-ACME")
    assert (shown["account_id"], shown["priority"]) == ("ENT-ACME", 1)

    ambiguous = await sla(stack, "entitlements", "show", "standard", code=1)
    assert ambiguous.stderr.strip() == (
        "error: accounts 'ENT-ACME', 'ENT-GLOBEX' each have an entitlement 'standard': give "
        "--account-id"
    )
    missing = await sla(stack, "entitlements", "show", "Gold", "--account-id", "ENT-GLOBEX", code=1)
    assert missing.stderr.strip() == (
        "error: no entitlement 'Gold' of account 'ENT-GLOBEX': the entitlements of account "
        "'ENT-GLOBEX' are 'Standard' (ENT-GLOBEX)"
    )


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
    assert (resumed["tracker"]["paused"], resumed["sla_state"]) == (False, "at_risk")
    assert [change["kind"] for change in resumed["changes"]] == ["resumed"]

    updated = await sla_json(
        stack, "case", "update", case_id, "priority=Low", "tier=", 'code="007"'
    )
    assert updated["tracker"]["fields"] == {
        "priority": "Low",
        "vip": True,
        "status": "New",
        "code": "007",
    }
    resolution = next(m for m in updated["tracker"]["milestones"] if m["name"] == "Resolution")
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
    assert (completed["milestone"], completed["completed_late"]) == ("First Response", True)
    first = completed["tracker"]["milestones"][0]
    assert (first["state"], first["violated"]) == ("completed", True)
    late = await sla(stack, "case", "show", case_id)
    assert re.search(r"● First Response +completed +met \d\d:\d\d, 10m late", late.stdout)
    # The case's SLA state follows its open milestones; the late one keeps its lateness.
    assert re.search(rf"{case_id}\s+Support v2\s+on_track", late.stdout)


async def test_every_case_command_takes_at_the_instant_it_happened(stack: Stack) -> None:
    """`--at` is the command's `at`: the case applies each command as of that instant, as a
    case system that sends its commands late would have it (README "Event time")."""
    case_id = new_case(stack)
    opened = await stack.env.get_current_time() - timedelta(minutes=50)
    paris = timezone(timedelta(hours=2))  # any offset: the instant is what counts

    def at(minutes: int) -> datetime:
        return opened + timedelta(minutes=minutes)

    def given(minutes: int) -> str:
        return at(minutes).astimezone(paris).isoformat()

    await sla(
        stack, "case", "start", case_id, "--process", PROCESS, "--opened-at", given(0),
        "-f", "priority=Normal", "-f", "status=New",
    )  # fmt: skip
    paused = await sla(
        stack, "case", "pause", case_id, "--reason", "Collecting logs", "--at", given(10)
    )
    assert f"Paused {case_id}: Collecting logs" in paused.stdout
    await sla(stack, "case", "resume", case_id, "--at", given(15))
    await sla(stack, "case", "update", case_id, "priority=High", "--at", given(20))
    await sla(stack, "case", "event", case_id, "agent_replied", "--at", given(25))
    late = await sla(stack, "case", "pause", case_id, "--reason", "late", "--at", given(5), code=1)
    assert late.stderr.startswith(f"error: 'at' {given(5)} is before {given(25)}, the last ")
    not_an_instant = await sla(stack, "case", "resume", case_id, "--at", "soon", code=2)
    assert "is not an ISO 8601 instant" in not_an_instant.output
    await sla(stack, "case", "complete", case_id, "Resolution", "--at", given(30))
    closed = await sla_json(stack, "case", "close", case_id, "status=Solved", "--at", given(35))

    assert datetime.fromisoformat(closed["at"]) == at(35)
    closed = closed["tracker"]
    (pause,) = closed["pauses"]
    assert (pause["reason"], pause["resumed_by"]) == ("Collecting logs", "command")
    assert datetime.fromisoformat(pause["paused_at"]) == at(10)
    assert datetime.fromisoformat(pause["resumed_at"]) == at(15)
    first, resolution = closed["milestones"]
    assert datetime.fromisoformat(first["completed_at"]) == at(25)  # agent_replied
    assert datetime.fromisoformat(resolution["completed_at"]) == at(30)
    assert resolution["target"] == "PT4H"  # High since minute 20
    assert datetime.fromisoformat(closed["closed_at"]) == at(35)
    timeline = await sla_json(stack, "case", "timeline", case_id)
    when = {(e["kind"], e["milestone"]): datetime.fromisoformat(e["at"]) for e in timeline}
    assert when[("paused", None)] == at(10)
    assert when[("resumed", None)] == at(15)
    assert when[("retargeted", "Resolution")] == at(20)
    assert when[("completed", "First Response")] == at(25)
    assert when[("completed", "Resolution")] == at(30)
    assert when[("closed", None)] == at(35)


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
    # Columns empty in every row (account, owner, priority here) are left out, and the
    # workflow's status while every case listed is running.
    assert re.search(rf"{at_risk}\s+at_risk\s+(\w{{3}} )?\d\d:\d\d, in \d+m\s+Support *\n", human)
    assert "1 case · `sla case show CASE_ID` for one" in human


async def test_cases_by_owner_by_priority_and_mine(dev_stack: Stack) -> None:
    dana, eve = f"dana-{uuid.uuid4().hex[:6]}", f"eve-{uuid.uuid4().hex[:6]}"
    hers, his, theirs = new_case(dev_stack), new_case(dev_stack), new_case(dev_stack)
    for case_id, owner, priority in (
        (hers, dana, "High"),
        (his, eve, "Low"),
        (theirs, eve, "High"),
    ):
        await sla(
            dev_stack, "case", "start", case_id, "--process", PROCESS,
            "-f", f"owner={owner}", "-f", f"priority={priority}",
        )  # fmt: skip
    created = await sla_json(dev_stack, "keys", "create", dana, "--role", "ops")

    async def listed(*args: str, key: str = ADMIN_KEY) -> list[str]:
        result = await sla(dev_stack, "--json", "cases", *args, key=key)
        return sorted(case["case_id"] for case in json.loads(result.stdout)["data"])

    for _ in range(100):  # the visibility store follows within moments
        if await listed("--owner", eve) == sorted([his, theirs]):
            break
        await asyncio.sleep(0.1)
    assert await listed("--owner", dana) == [hers]
    assert await listed("--owner", eve) == sorted([his, theirs])
    assert await listed("--owner", eve, "--priority", "High") == [theirs]
    assert await listed("--mine", key=created["key"]) == [hers]
    assert await listed("--mine") == []  # the bootstrap key's name, SLA_ADMIN_KEY, owns nothing

    mine = (await sla(dev_stack, "cases", "--mine", key=created["key"])).stdout
    assert re.search(rf"{hers}\s+on_track\s+.+\s+High\s+{dana}\s+Support *\n", mine)
    assert f"1 case owned by {dana} · " in mine
    rows = (await sla(dev_stack, "cases", "--owner", eve)).stdout
    assert re.search(rf"{his}\s+on_track\s+.+\s+Low\s+{eve}\s+Support", rows)
    assert re.search(r"\bcase\s+state\s+next deadline\s+priority\s+owner\s+process\b", rows)
    both = await sla(dev_stack, "cases", "--mine", "--owner", eve, code=2)
    assert "--mine is --owner with this key's name" in both.output
    for width in WIDTHS:  # the listing fits too: a row per case, or a block per case
        narrow = (await sla(dev_stack, "cases", "--owner", eve, COLUMNS=str(width))).stdout
        assert all(len(line.rstrip()) <= width for line in narrow.splitlines()), narrow
        assert "…" not in narrow
        assert narrow.count(eve) == 3  # each row's owner, and the count line


# ---------------------------------------------------------------------------- api keys


async def test_keys_create_list_and_revoke(stack: Stack) -> None:
    name = f"agent-{uuid.uuid4().hex[:6]}"
    human = await sla(stack, "keys", "create", name, "--role", "agent", "-r", "ops")
    lines = human.stdout.splitlines()
    assert re.fullmatch(rf"Created key \d+ '{name}' \(agent, ops\):", lines[0])
    key = lines[1]
    assert re.fullmatch(r"sla_[\w-]{40,}", key)
    assert "it is not shown again" in human.stdout
    # The new key works, with its roles: ops reads, agent cannot configure.
    await sla(stack, "types", "list", key=key)
    refused = await sla(stack, "keys", "list", key=key, code=1)
    assert refused.stderr.startswith(f"error: API key '{name}' (roles: agent, ops) cannot ")

    listing = await sla_json(stack, "keys", "list")
    (mine,) = [item for item in listing["data"] if item["name"] == name]
    assert mine["prefix"] == key[:8]
    assert mine["roles"] == ["agent", "ops"]
    table = (await sla(stack, "keys", "list")).stdout
    assert re.search(rf"\b{mine['id']}\s+{name}\s+{re.escape(key[:8])}\s+agent, ops\s", table)

    again = await sla_json(stack, "--json", "keys", "create", name, "--role", "ops")
    twice = await sla(stack, "keys", "revoke", name, code=1)
    assert twice.stderr.strip() == (
        f"error: 2 keys are named {name!r} (ids {mine['id']}, {again['id']}): revoke one by its id"
    )
    revoked = await sla(stack, "keys", "revoke", str(mine["id"]))
    assert revoked.stdout.strip() == f"Revoked key {mine['id']} {name!r}."
    gone = await sla(stack, "types", "list", key=key, code=1)
    assert gone.stderr.startswith("error: unknown API key")
    assert (await sla_json(stack, "keys", "revoke", name))["id"] == again["id"]
    missing = await sla(stack, "keys", "revoke", name, code=1)
    assert missing.stderr.strip() == (
        f"error: no API key with id or name {name!r}: `sla keys list` shows them"
    )
    bad_role = await sla(stack, "keys", "create", name, "--role", "boss", code=1)
    assert bad_role.stderr.startswith("error: roles.0: Input should be 'admin', ")


async def test_the_readme_api_key_request_body_is_the_one_the_api_takes(stack: Stack) -> None:
    body = readme_json(r"`POST /api-keys` with `")
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    async with httpx.AsyncClient(base_url=stack.url, headers=headers) as client:
        created = await client.post("/api-keys", json=body)
    assert created.status_code == 201, created.text
    assert (created.json()["name"], created.json()["roles"]) == (body["name"], body["roles"])
    assert created.json()["key"].startswith("sla_")


# ------------------------------------------------------------------------------ output


async def test_json_goes_before_or_after_the_subcommand(stack: Stack) -> None:
    case_id = new_case(stack)
    before = await sla(stack, "--json", "case", "start", case_id, "--process", PROCESS)
    assert json.loads(before.stdout)["case_id"] == case_id
    for args in (("types", "list"), ("processes", "list"), ("case", "show", case_id)):
        after = json.loads((await sla(stack, *args, "--json")).stdout)
        assert json.loads((await sla(stack, "--json", *args)).stdout).keys() == after.keys()
    timeline = json.loads((await sla(stack, "--json", "case", "timeline", case_id)).stdout)
    assert timeline[0]["kind"] == "opened"


WIDTHS = (100, 80, 60, 40)


async def _long_case(stack: Stack) -> str:
    """A case whose table is wide: late, paused with a long reason, with long field values."""
    case_id = new_case(stack)
    opened_at = await minutes_ago(stack, 130)
    await sla(
        stack, "case", "start", case_id, "--process", PROCESS, "--opened-at", opened_at,
        "-f", "priority=High", "-f", "subject=Policy PDF missing from the customer portal",
    )  # fmt: skip
    await sla(stack, "case", "pause", case_id, "--reason", "Waiting for the broker's documents")
    return case_id


@pytest.mark.parametrize("width", WIDTHS)
async def test_tables_fit_the_terminal_without_breaking_a_value(stack: Stack, width: int) -> None:
    account = f"WIDE-{width}"  # an account of its own: the other listings stay as they are
    await _post_type(stack, account)
    case_id = await _long_case(stack)
    outputs = {
        "types": await sla(stack, "types", "list", "--account-id", account, COLUMNS=str(width)),
        "processes": await sla(stack, "processes", "list", COLUMNS=str(width)),
        "entitlements": await sla(stack, "entitlements", "list", COLUMNS=str(width)),
        "case": await sla(stack, "case", "show", case_id, COLUMNS=str(width)),
        "timeline": await sla(stack, "case", "timeline", case_id, COLUMNS=str(width)),
        "process": await sla(stack, "processes", "show", PROCESS, COLUMNS=str(width)),
        "update": await sla(
            stack,
            "case",
            "update",
            case_id,
            "note=Customer sent the documents by post",
            COLUMNS=str(width),
        ),
        "resume": await sla(stack, "case", "resume", case_id, COLUMNS=str(width)),
        "complete": await sla(
            stack, "case", "complete", case_id, "First Response", COLUMNS=str(width)
        ),
        "keys": await sla(stack, "keys", "list", COLUMNS=str(width)),
    }
    for what, result in outputs.items():
        for line in result.stdout.splitlines():
            if line.startswith("Temporal UI  "):
                continue  # a link stays whole on its line: the terminal wraps it
            assert len(line.rstrip()) <= width, (what, width, line)
            assert "…" not in line, (what, width, line)
            assert not re.search(r"\b\d+[dh]\s*$", line), (what, width, line)  # '11h' / '50m'
        # Names, categories and values are whole on their line, wherever the table put them.
    types = outputs["types"].stdout
    for whole in ("● Quarterly Business Review", "Responsiveness", "#9467BD"):
        assert whole in types, (width, types)
    process = " ".join(outputs["process"].stdout.split())
    assert f'pauses when status = "{WAITING}" (at most 72h 00m)' in process  # a rule per part
    assert 'exits when status = "Closed"' in process
    assert "● First Response 1h 00m starts on entry" in process
    complete = " ".join(outputs["complete"].stdout.split())
    assert re.search(r"● First Response completed .+, 1h 10m late · 2h 10m of 1h 00m", complete)
    case = outputs["case"].stdout
    words = " ".join(case.split())  # free text (a pause reason, a field) wraps between words
    assert "paused: Waiting for the broker's documents" in words
    assert "subject=Policy PDF missing from the customer portal" in words
    if width >= 100:  # the table as it is
        assert re.search(r"● First Response +paused +clock stopped, 1h 10m late ", case)
    elif width >= 80:  # the due column wraps between the parts of its value
        assert re.search(r"● First Response +paused +clock stopped, +2h 10m of 1h 00m", case)
        assert re.search(r"^ +1h 10m late *$", case, re.MULTILINE)
    else:  # one block per milestone instance
        block = r"^● First Response\n +state +paused *\n +due +clock stopped, 1h 10m late *\n"
        assert re.search(block, case, re.MULTILINE)
    assert re.search(r"2h 10m of 1h 00m|2h 10m\n.*of 1h 00m", case)


async def _post_type(stack: Stack, account: str) -> None:
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    async with httpx.AsyncClient(base_url=stack.url, headers=headers) as client:
        response = await client.post(
            "/milestone-types",
            json={
                "name": "Quarterly Business Review",
                "color": "#9467BD",
                "scope": "account",
                "account_id": account,
                "reporting_category": "Responsiveness",
                "recurrence": "sequential",
                "description": "A review of the quarter's cases with the customer's executives",
            },
        )
        assert response.status_code == 201, response.text


async def test_no_color_codes_when_the_output_is_not_a_terminal(stack: Stack) -> None:
    case_id = await _long_case(stack)

    async def like_a_terminal(*args: str, code: int = 0) -> Result:
        return await sla(
            stack, *args, code=code, TERM="xterm-256color", COLORTERM="truecolor", COLUMNS="60"
        )

    for args in (
        ("case", "show", case_id),
        ("case", "timeline", case_id),
        ("types", "list"),
        ("processes", "show", PROCESS),
        ("keys", "list"),
    ):
        result = await like_a_terminal(*args)
        assert "\x1b[" not in result.stdout, args
    failed = await like_a_terminal("case", "show", "NOPE-2", code=1)
    assert failed.stderr.strip() == "error: case 'NOPE-2' does not exist"
    forced = await sla(stack, "case", "show", case_id, FORCE_COLOR="1")
    assert "\x1b[" in forced.stdout  # a terminal, or FORCE_COLOR, still gets colors


async def test_make_run_logs_have_no_color_codes(tmp_path: Path) -> None:
    """The API as `make run` starts it, from an environment that forces color: its log (as
    var/api.log) is plain text."""
    environment = make_run.child_environment(
        {**os.environ, "FORCE_COLOR": "1", "TTY_COMPATIBLE": "1"},
        DATABASE_URL=f"sqlite:///{tmp_path / 'api.sqlite'}",
        TEMPORAL_ADDRESS=f"127.0.0.1:{closed_port()}",
        SLA_ADMIN_KEY=ADMIN_KEY,
    )
    assert "FORCE_COLOR" not in environment
    assert environment["NO_COLOR"] == "1"
    port = closed_port()
    log = tmp_path / "api.log"
    process = make_run.start(make_run.api_command(port), environment, log)
    try:
        await asyncio.to_thread(
            make_run.wait_healthy, f"http://127.0.0.1:{port}/health", process, log
        )
    finally:
        make_run.stop(process)
    text = log.read_text()
    assert '"GET /health HTTP/1.1" 200' in text
    assert "\x1b[" not in text


async def test_the_demo_reports_each_case_as_it_goes(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    case_id = new_case(stack)
    await sla(stack, "case", "start", case_id, "--process", PROCESS)
    api = Api(Settings(api_url=stack.url, api_key=ADMIN_KEY))
    try:
        watch = demo.Watch(api, cases={case_id: f"{case_id} (demo)"})
        await asyncio.to_thread(watch.poll)
        assert capsys.readouterr().out == ""  # the first read is the baseline
        await sla(stack, "case", "pause", case_id, "--reason", "Customer on holiday")
        await asyncio.to_thread(watch.poll)
        lines = capsys.readouterr().out.splitlines()
        assert any(line.endswith(f"{case_id} (demo)  SLA state: paused") for line in lines)
        assert any(line.endswith("First Response #1: paused") for line in lines)
        assert all(re.match(r"\[ *\d+\.\ds\] ", line) for line in lines)
    finally:
        api.close()


def readme_json(before: str) -> Any:
    """The JSON object the README shows right after the regular expression `before` (a request
    body), up to its closing quote or backtick."""
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    found = re.search(before + r"(\{.*?\})['`]", readme, re.DOTALL)
    assert found, f"the README shows no JSON after {before!r}"
    return json.loads(found[1])


async def test_the_readme_tour_process_runs_at_any_hour(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """The demo configuration has Premium's rules on a 24x7 calendar, which the README tour
    starts its case on (with this very request body): First Response is due an hour after
    opening, and its clock runs, whatever the hour."""
    body = readme_json(r"curl -s -X POST localhost:8000/cases .*?-d '")
    async with served_stack(env, tmp_path / "demo.sqlite") as served:
        api = Api(Settings(api_url=served.url, api_key=ADMIN_KEY))
        try:
            created = await asyncio.to_thread(demo.load, api)
            assert f"process {body['process']}" in created
            assert await asyncio.to_thread(demo.load, api) == []  # safe to run again
            processes = await asyncio.to_thread(api.call, "GET", "/entitlement-processes")
            (tour,) = [p for p in processes["data"] if p["name"] == body["process"]]
            body["case_id"] = new_case(served)
            tracker = await asyncio.to_thread(api.call, "POST", "/cases", body=body)
        finally:
            api.close()
    assert tour["definition"]["business_hours"] == "24x7"
    assert tracker["sla_state"] == "on_track"
    first = tracker["milestones"][0]
    assert (first["name"], first["state"]) == ("First Response", "active")
    started = datetime.fromisoformat(first["started_at"])
    assert datetime.fromisoformat(first["target_at"]) - started == timedelta(hours=1)
