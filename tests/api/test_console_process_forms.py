"""The console's process editor over HTTP, signed in with a session cookie and posting with its
CSRF token, as a browser does: a new process from the starter definition, previewed (nothing
saved) then published (303 to its version 1); a new version's editor holding the latest
definition as the API's own request body, so posting it back changes nothing; a changed target
previewed as a difference, then published as the next version; a refused draft shown again with
its text and each problem at its JSON path (the model's, the crud's unknown type and calendar, a
taken name at the name, JSON that does not parse with its line and column); a publish after
another version appeared is held back; ops keys get no editor and cannot post."""

import html
import json
import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers.api import key_with
from tests.helpers.console import Console, signed_in
from tests.helpers.factories import create_type, premium_body, stormhaven

DEFINITION = re.compile(r'<textarea id="f-definition"[^>]*>(.*?)</textarea>', re.DOTALL)


def definition_of(page: httpx.Response) -> str:
    found = DEFINITION.search(page.text)
    assert found is not None, page.text
    return html.unescape(found.group(1))


def errors_at(page: httpx.Response, field: str) -> list[str]:
    """The messages the page shows next to a field (a list for the definition, a line else)."""
    found = re.search(
        rf'<(ul|p) class="field-error" id="error-{field}">(.*?)</\1>', page.text, re.S
    )
    if found is None:
        return []
    if found.group(1) == "p":
        return [html.unescape(found.group(2))]
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", found.group(2), re.S)]


async def processes_named(admin: httpx.AsyncClient, name: str) -> list[dict[str, Any]]:
    listing = await admin.get("/entitlement-processes")
    assert listing.status_code == 200, listing.text
    return [p for p in listing.json()["data"] if p["name"] == name]


async def test_an_admin_previews_then_publishes_a_new_process(
    admin: httpx.AsyncClient, console: Console
) -> None:
    await create_type(admin, "First Response", color="#D62728")
    listing = await console.open("/console/admin/processes")
    assert 'href="/console/admin/processes/new">New process</a>' in listing.text
    editor = await console.open("/console/admin/processes/new")
    assert editor.status_code == 200
    starter = definition_of(editor)
    assert json.loads(starter) == {
        "milestones": [{"milestone_type": "First Response", "target": "1h"}]
    }

    form = {"name": "Gold support", "notes": "the first cut", "definition": starter}
    preview = await console.post("/console/admin/processes", action="preview", **form)
    assert preview.status_code == 200, preview.text
    assert "Preview of version 1" in preview.text
    assert "1h of business time" in preview.text
    assert definition_of(preview) == starter  # still in the editor
    assert await processes_named(admin, "Gold support") == []  # a preview saves nothing

    published = await console.post("/console/admin/processes", action="publish", **form)
    assert published.status_code == 303, published.text
    (made,) = await processes_named(admin, "Gold support")
    assert published.headers["location"] == (
        f"/console/admin/processes/{made['id']}/versions/1?saved=created"
    )
    assert made["latest_version"] == 1
    assert [(m["name"], m["target"]) for m in made["definition"]["milestones"]] == [
        ("First Response", "PT1H")
    ]
    versions = await admin.get(f"/entitlement-processes/{made['id']}/versions")
    assert versions.json()["data"][0]["notes"] == "the first cut"
    page = await console.open(published.headers["location"])
    assert "Done: version 1 published." in page.text
    assert f'href="/console/admin/processes/{made["id"]}/versions/new">New version</a>' in page.text


async def test_the_new_version_editor_holds_the_latest_definition_as_the_api_takes_it(
    admin: httpx.AsyncClient, console: Console
) -> None:
    process = await stormhaven(admin)
    editor = await console.open(f"/console/admin/processes/{process['id']}/versions/new")
    assert editor.status_code == 200
    text = definition_of(editor)
    # The body of POST /entitlement-processes it was published with, durations as written.
    assert json.loads(text) == {k: v for k, v in premium_body().items() if k != "name"}
    assert 'name="based_on" value="1"' in editor.text

    path = f"/console/admin/processes/{process['id']}/versions"
    same = await console.post(path, action="preview", definition=text, based_on="1")
    assert same.status_code == 200, same.text
    assert "Nothing changes from version 1: publishing would repeat it." in same.text

    published = await console.post(path, action="publish", definition=text, based_on="1")
    assert published.headers["location"] == (
        f"/console/admin/processes/{process['id']}/versions/2?saved=created"
    )
    versions = (await admin.get(f"/entitlement-processes/{process['id']}/versions")).json()
    first, second = (v["definition"] for v in versions["data"])
    assert second == {**first, "version": 2}


async def test_a_changed_target_is_previewed_as_a_difference_then_published(
    admin: httpx.AsyncClient, console: Console
) -> None:
    process = await stormhaven(admin)
    editor = await console.open(f"/console/admin/processes/{process['id']}/versions/new")
    draft = json.loads(definition_of(editor))
    draft["milestones"][1]["target"] = "2h30m"  # Triage: 4h before
    text = json.dumps(draft, indent=2)
    path = f"/console/admin/processes/{process['id']}/versions"

    preview = await console.post(path, action="preview", definition=text, notes="faster triage")
    assert preview.status_code == 200, preview.text
    changed = re.search(
        r'<section class="card changed-milestone">(.*?)</section>', preview.text, re.S
    )
    assert changed is not None, preview.text
    assert "Milestone Triage changed" in changed.group(1)
    row = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", changed.group(1).split("<tbody>")[1]))
    assert row.split() == ["target", "4h", "2h", "30m"]
    assert "Preview of version 2" in preview.text
    again = await admin.get(f"/entitlement-processes/{process['id']}")
    assert again.json()["latest_version"] == 1

    published = await console.post(
        path, action="publish", definition=text, notes="faster triage", based_on="1"
    )
    assert published.status_code == 303, published.text
    version = (await admin.get(f"/entitlement-processes/{process['id']}/versions/2")).json()
    assert (version["notes"], version["definition"]["milestones"][1]["target"]) == (
        "faster triage",
        "PT2H30M",
    )


async def test_a_refused_definition_comes_back_with_its_text_and_each_error_at_its_path(
    admin: httpx.AsyncClient, console: Console
) -> None:
    await create_type(admin, "First Response")
    await console.open("/console/admin/processes/new")
    text = json.dumps(
        {
            "name": "Twice",
            "milestones": [
                {"milestone_type": "First Response", "target": "fast"},
                {"milestone_type": "First Response"},
            ],
        },
        indent=2,
    )
    refused = await console.post(
        "/console/admin/processes", action="preview", name="Plan", definition=text
    )
    assert refused.status_code == 422
    assert definition_of(refused) == text
    assert errors_at(refused, "definition") == [
        "name: give it in its own field, not in the definition",
        "milestones.0.target: 'fast' is not a duration: write '1h30m', '45m', '90s' or ISO 8601 "
        "'PT1H30M'",
        "milestones.1.target: Field required",
    ]
    assert 'aria-describedby="error-definition hint-definition" aria-invalid="true"' in (
        refused.text
    )
    assert 'value="Plan"' in refused.text  # the name kept


async def test_unknown_types_and_calendars_are_refused_at_their_paths(
    admin: httpx.AsyncClient, console: Console
) -> None:
    process = await stormhaven(admin)
    await console.open(f"/console/admin/processes/{process['id']}/versions/new")
    draft = {
        "business_hours": "Mars office",
        "milestones": [{"milestone_type": "Haiku", "target": "1h"}],
    }
    for action in ("preview", "publish"):
        refused = await console.post(
            f"/console/admin/processes/{process['id']}/versions",
            action=action,
            definition=json.dumps(draft),
        )
        assert refused.status_code == 422, action
        assert errors_at(refused, "definition") == [
            "milestones.0.milestone_type: unknown milestone type 'Haiku' among the global "
            "milestone types: create it under /milestone-types first",
            "business_hours: unknown business hours 'Mars office': create them under "
            "/business-hours first (known: 'Stormhaven US')",
        ]
    assert (await admin.get(f"/entitlement-processes/{process['id']}")).json()[
        "latest_version"
    ] == 1


async def test_a_taken_name_is_refused_at_the_name(
    admin: httpx.AsyncClient, console: Console
) -> None:
    await stormhaven(admin)
    await console.open("/console/admin/processes/new")
    definition = json.dumps({"milestones": [{"milestone_type": "Triage", "target": "1h"}]})
    # Preview and publish say it alike, naming the process as it is stored.
    problem = (
        "an entitlement process named 'Premium' already exists: publish a new version of it, or "
        "choose another name"
    )
    for action in ("preview", "publish"):
        refused = await console.post(
            "/console/admin/processes", action=action, name="premium", definition=definition
        )
        assert refused.status_code == 409, action
        assert errors_at(refused, "name") == [problem]
        assert 'aria-describedby="error-name hint-name"' in refused.text
    assert len(await processes_named(admin, "Premium")) == 1


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{\n  "milestones": [\n}', "not JSON: Expecting value (line 3, column 1)"),
        ('{"milestones": []', "not JSON: Expecting ',' delimiter (line 1, column 18)"),
        ("[]", 'the definition must be a JSON object, e.g. {"milestones": [...]}'),
    ],
)
async def test_text_that_is_not_a_json_object_is_refused_with_where(
    console: Console, text: str, problem: str
) -> None:
    await console.open("/console/admin/processes/new")
    refused = await console.post(
        "/console/admin/processes", action="preview", name="Plan", definition=text
    )
    assert refused.status_code == 422
    assert errors_at(refused, "definition") == [problem]
    assert definition_of(refused) == text


async def test_a_publish_after_another_version_appeared_is_held_back(
    admin: httpx.AsyncClient, console: Console
) -> None:
    process = await stormhaven(admin)
    editor = await console.open(f"/console/admin/processes/{process['id']}/versions/new")
    draft = json.loads(definition_of(editor))
    published = await admin.post(
        f"/entitlement-processes/{process['id']}/versions", json={**draft, "notes": "elsewhere"}
    )
    assert published.status_code == 201, published.text
    draft["milestones"][0]["target"] = "45m"
    path = f"/console/admin/processes/{process['id']}/versions"
    held = await console.post(path, action="publish", definition=json.dumps(draft), based_on="1")
    assert held.status_code == 409
    assert "version 2 was published after the version 1 your preview compared with" in held.text
    assert "What changes from version 2" in held.text
    assert 'name="based_on" value="2"' in held.text
    read = await admin.get(f"/entitlement-processes/{process['id']}")
    assert read.json()["latest_version"] == 2

    again = await console.post(path, action="publish", definition=json.dumps(draft), based_on="2")
    assert again.headers["location"].endswith("/versions/3?saved=created")


async def test_ops_keys_get_no_editor_and_cannot_post(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    """As the other editors' pages of something new (a calendar, an entitlement): 403."""
    process = await stormhaven(admin)
    ops_key = await key_with(admin, "ops")
    async with signed_in(app, ops_key) as ops:
        listing = await ops.open("/console/admin/processes")
        assert "New process" not in listing.text
        version = await ops.open(f"/console/admin/processes/{process['id']}/versions/1")
        assert "New version" not in version.text
        for path in (
            "/console/admin/processes/new",
            f"/console/admin/processes/{process['id']}/versions/new",
            "/console/admin/business-hours/new",
            "/console/admin/entitlements/new",
        ):
            editor = await ops.open(path)
            assert editor.status_code == 403, path
            assert "Changing configuration needs the" in editor.text
            assert "f-definition" not in editor.text
        text = json.dumps({"milestones": [{"milestone_type": "Triage", "target": "1h"}]})
        for path, form in (
            ("/console/admin/processes", {"name": "Forged", "definition": text}),
            (f"/console/admin/processes/{process['id']}/versions", {"definition": text}),
        ):
            for action in ("preview", "publish"):
                refused = await ops.post(path, action=action, **form)
                assert refused.status_code == 403, (path, action)
                assert "Changing configuration needs the" in refused.text
    assert await processes_named(admin, "Forged") == []
    read = await admin.get(f"/entitlement-processes/{process['id']}")
    assert read.json()["latest_version"] == 1


async def test_a_post_without_the_csrf_token_is_refused(
    admin: httpx.AsyncClient, console: Console
) -> None:
    process = await stormhaven(admin)
    text = json.dumps({"milestones": [{"milestone_type": "Triage", "target": "1h"}]})
    refused = await console.client.post(
        f"/console/admin/processes/{process['id']}/versions",
        data={"action": "publish", "definition": text},
    )
    assert refused.status_code == 403
    assert "security token is missing" in refused.text
    read = await admin.get(f"/entitlement-processes/{process['id']}")
    assert read.json()["latest_version"] == 1


async def test_actions_no_worker_would_run_are_refused_at_preview_and_publish(
    admin: httpx.AsyncClient, console: Console
) -> None:
    process = await stormhaven(admin)
    await console.open(f"/console/admin/processes/{process['id']}/versions/new")
    draft = {
        "milestones": [
            {
                "milestone_type": "First Response",
                "target": "1h",
                "actions": {
                    "violation": [
                        {"handler": "slack", "params": {"channel": "#sla"}},
                        {"handler": "webhook", "params": {"url": "http://127.0.0.1:8001/x"}},
                    ]
                },
            }
        ]
    }
    for action in ("preview", "publish"):
        refused = await console.post(
            f"/console/admin/processes/{process['id']}/versions",
            action=action,
            definition=json.dumps(draft),
        )
        assert refused.status_code == 422, action
        assert errors_at(refused, "definition") == [
            "milestones.0.actions.violation.0.handler: no handler named 'slack': the workers "
            "run webhook, email, case_update, escalate",
            "milestones.0.actions.violation.1.params: host 127.0.0.1 resolves to the internal "
            "address 127.0.0.1: name it in SLA_WEBHOOK_ALLOWED_HOSTS to allow it",
        ]
    latest = (await admin.get(f"/entitlement-processes/{process['id']}")).json()
    assert latest["latest_version"] == 1
