"""The console's JSON text boxes (a process's definition, an entitlement's `applies_when`) are
read as the HTTP API reads a JSON body: the same raw-text scan first (no NUL, no lone surrogate,
nesting at most 32 deep), then the API's models. A box that breaks a rule is a 422 that says
what the API says, next to the box, on preview and on publish alike, and nothing is saved."""

import html
import json

import httpx
import pytest

from tests.helpers.console import Console
from tests.helpers.factories import stormhaven

HOSTILE = {
    "a NUL": ('"High\\u0000"', "a string holds a NUL character (\\u0000): remove it"),
    "a lone surrogate": ('"High\\ud800"', "a string holds a lone surrogate"),
    "deep nesting": ("[" * 40 + "]" * 40, "the JSON nests deeper than 32 levels"),
}
"""A JSON value as typed into a box, and what the API answers a body holding it."""


def definition_with(value: str) -> str:
    """A process definition whose one condition's value is `value`, as JSON text."""
    condition = '{"field": "priority", "op": "eq", "value": ' + value + "}"
    return (
        '{"milestones": [{"milestone_type": "First Response", "target": "1h", '
        '"start_when": {"all": [' + condition + "]}}]}"
    )


def applies_when_with(value: str) -> str:
    return '{"all": [{"field": "priority", "op": "eq", "value": ' + value + "}]}"


async def the_api_says(admin: httpx.AsyncClient, path: str, body: str) -> str:
    answer = await admin.post(
        path, content=body.encode(), headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422, answer.text
    message: str = answer.json()["detail"][0]["msg"]
    return message


@pytest.mark.parametrize(("value", "said"), HOSTILE.values(), ids=HOSTILE.keys())
async def test_a_process_definition_keeps_the_apis_text_rules(
    admin: httpx.AsyncClient, console: Console, value: str, said: str
) -> None:
    process = await stormhaven(admin)
    text = definition_with(value)
    api_body = json.dumps({"name": "Gold"})[:-1] + ", " + text[1:]
    assert said in await the_api_says(admin, "/entitlement-processes", api_body)
    await console.open("/console/admin/processes/new")
    for path, form in (
        ("/console/admin/processes", {"name": "Gold", "definition": text}),
        (f"/console/admin/processes/{process['id']}/versions", {"definition": text}),
    ):
        for action in ("preview", "publish"):
            answer = await console.post(path, action=action, **form)
            assert answer.status_code == 422, (path, action, answer.text)
            assert said in html.unescape(answer.text), (path, action)
    listing = await admin.get("/entitlement-processes")
    assert [p["name"] for p in listing.json()["data"]] == ["Premium"]
    assert listing.json()["data"][0]["latest_version"] == 1


@pytest.mark.parametrize(("value", "said"), HOSTILE.values(), ids=HOSTILE.keys())
async def test_an_entitlements_applies_when_keeps_the_apis_text_rules(
    admin: httpx.AsyncClient, console: Console, value: str, said: str
) -> None:
    await stormhaven(admin)
    body = {"name": "Gold", "account_id": "ACME", "process": "Premium"}
    created = await admin.post("/entitlements", json=body)
    assert created.status_code == 201, created.text
    entitlement_id = created.json()["id"]
    text = applies_when_with(value)
    api_body = json.dumps({"name": "Silver", "process": "Premium"})[:-1]
    assert said in await the_api_says(
        admin, "/entitlements", f'{api_body}, "applies_when": {text}}}'
    )
    await console.open("/console/admin/entitlements/new")
    form = {"name": "Silver", "process": "Premium", "applies_when": text, "priority": "0"}
    for path in ("/console/admin/entitlements", f"/console/admin/entitlements/{entitlement_id}"):
        answer = await console.post(path, **form)
        assert answer.status_code == 422, (path, answer.text)
        assert said in html.unescape(answer.text), path
    stored = (await admin.get("/entitlements")).json()["data"]
    assert [(e["name"], e["applies_when"]) for e in stored] == [("Gold", None)]
