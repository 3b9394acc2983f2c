"""No input makes the API answer 500: schemathesis generates valid and invalid requests for each
operation of the OpenAPI schema and sends them with an admin key, checking the answers against
the schema as well. Temporal is down here, so case endpoints are checked up to the point where
they need it (validation, keys, database lookups, and their 503).

Random ids rarely name a stored row, so a third of the requests use the ids of a seeded
configuration (the Stormhaven calendar, types, process and an entitlement), and operations that
take a body are also sent a valid one, so the success paths are fuzzed too. And hostile ones: a
request whose one string, number or date (in the body, the query or the path) was replaced by a
lone surrogate, a NUL, an encoded word, a huge number or an instant no `datetime` holds.
"""

import json
from collections import Counter
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.main import create_app
from tests.helpers.api import ADMIN_KEY
from tests.helpers.factories import premium_body
from tests.helpers.hostile import (
    HOSTILE_NUMBERS,
    HOSTILE_TEXT,
    has_surrogate,
    leaves,
    replaced,
)
from tests.helpers.seeded import seed
from tests.helpers.stormhaven import OFFICE

EXAMPLES_PER_OPERATION = 25
OPERATIONS = [
    (method.upper(), path)
    for path, item in create_app().openapi()["paths"].items()
    for method in item
]


@schemathesis.check
def no_server_error(ctx: schemathesis.CheckContext, response: Any, case: schemathesis.Case) -> None:
    """No 5xx but the 503 of case endpoints while Temporal is down (documented, and meant)."""
    if response.status_code >= 500 and response.status_code != 503:
        raise AssertionError(f"answered {response.status_code}: {response.text[:1000]}")


CHECKS = [
    no_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def valid_body(method: str, path: str, seeded: dict[str, Any]) -> Any:
    version = premium_body()
    del version["name"]
    return {
        ("POST", "/milestone-types"): {"name": "Onboarding", "color": "#123456"},
        ("POST", "/milestone-types/reorder"): {"scope": "global", "ids": seeded["type_ids"]},
        ("PATCH", "/milestone-types/{type_id}"): {"name": "First Reply", "active": False},
        ("POST", "/business-hours"): {**OFFICE.model_dump(mode="json"), "name": "Other"},
        ("PUT", "/business-hours/{hours_id}"): OFFICE.model_dump(mode="json"),
        ("POST", "/entitlement-processes"): premium_body("Gold"),
        ("POST", "/entitlement-processes/{process_id}/versions"): version,
        ("POST", "/entitlements"): {
            "name": "Gold",
            "account_id": "ACME",
            "process": "Premium",
            "business_hours": "Stormhaven US",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "cases_allowed": 5,
            "applies_when": {"all": [{"field": "product", "op": "eq", "value": "Cloud"}]},
            "priority": 5,
            "on_exhausted": "flag",
        },
        ("PATCH", "/entitlements/{entitlement_id}"): {
            "priority": 3,
            "ends_on": "2027-01-01",
            "business_hours": "Stormhaven US",
        },
        ("POST", "/cases"): {"case_id": "SH-1", "process": "Premium", "fields": {"a": 1}},
        ("POST", "/cases/{case_id}/process"): {"version": 1},
        ("POST", "/api-keys"): {"name": "agent", "roles": ["agent"]},
    }.get((method, path))


HOSTILE_SENT: Counter[str] = Counter()
"""Replacements for one leaf of a request: every string may become any of HOSTILE_TEXT (a query
or path value all but the lone surrogates, which no URL carries, and a path value nothing with
a `?`, which would end the path), every number any of these."""


@st.composite
def hostile(draw: st.DrawFn, base: st.SearchStrategy[schemathesis.Case]) -> schemathesis.Case:
    """A generated request with one leaf replaced by a hostile value."""
    case = draw(base)
    places = [("body", leaf) for leaf in leaves(case.body)] if case.body is not None else []
    for part in ("query", "path_parameters"):
        places += [(part, (name,)) for name in getattr(case, part) or {}]
    if not places:
        return case
    part, leaf = draw(st.sampled_from(places))
    texts = [
        text
        for text in HOSTILE_TEXT
        if part == "body"
        or not (has_surrogate(text) or (part == "path_parameters" and "?" in text))
    ]
    new = draw(st.sampled_from([*texts, *HOSTILE_NUMBERS]))
    HOSTILE_SENT[part] += 1
    if part == "body":
        # Sent as ASCII JSON, as a client would escape it: the server sees `\ud800`, not bytes.
        case.body = json.dumps(replaced(case.body, leaf, new)).encode()
    else:
        setattr(case, part, {**getattr(case, part), leaf[0]: str(new)})
    return case


def strategy(operation: Any, seeded: dict[str, Any]) -> st.SearchStrategy[schemathesis.Case]:
    """Generated valid and invalid requests, requests on the seeded rows, and hostile ones."""
    strategies = [operation.as_strategy(GenerationMode.POSITIVE)]
    if operation.body or any(operation.iter_parameters()):
        strategies.append(operation.as_strategy(GenerationMode.NEGATIVE))
    names = {parameter.name for parameter in operation.path_parameters}
    if names:
        fixed = {name: seeded[name] for name in names}
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed))
    fixed = {name: seeded[name] for name in names}
    body = valid_body(operation.method.upper(), operation.path, seeded)
    if body is not None:
        strategies.append(
            operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed, body=body)
        )
    if operation.path.endswith("/preview"):
        query = {"duration": "8h", "start": "2026-03-06T16:30:00-05:00"}
        strategies.append(
            operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed, query=query)
        )
    return st.one_of(strategies)


def has_input(operation: Any) -> bool:
    return bool(operation.body or any(operation.iter_parameters()))


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_never_answers_500(app: FastAPI, method: str, path: str) -> None:
    fuzz(app, method, path, hostile_only=False)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_hostile_values_never_answer_500(app: FastAPI, method: str, path: str) -> None:
    fuzz(app, method, path, hostile_only=True)


def fuzz(app: FastAPI, method: str, path: str, *, hostile_only: bool) -> None:
    seeded = seed(app)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    # The key is ours (a valid admin key); wrong keys have tests of their own.
    schema.config.generation.update(with_security_parameters=False)
    operation = schema[path][method]
    if hostile_only and not has_input(operation):
        pytest.skip("the operation takes no input")
    cases = strategy(operation, seeded)
    sent: list[int] = []

    @given(case=hostile(cases) if hostile_only else cases)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case) -> None:
        response = case.call_and_validate(
            headers={"Authorization": f"Bearer {ADMIN_KEY}"}, checks=CHECKS
        )
        sent.append(response.status_code)

    HOSTILE_SENT.clear()
    check()
    print(
        f"{method} {path}: {len(sent)} requests ({dict(HOSTILE_SENT)} hostile), "
        f"statuses {sorted(set(sent))}"
    )
