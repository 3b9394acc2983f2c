"""The `case_update` and `escalate` handlers: call the case system back.

`case_update` changes fields on the case (`PATCH {case_system_url}/cases/{case_id}`, e.g.
`{"fields": {"escalated": true}}`); `escalate` reassigns it to a queue or an owner
(`POST {case_system_url}/cases/{case_id}/escalations`). Both carry the idempotency key and the
signature of the `case_system` webhook secret (if set), plus `SLA_CASE_SYSTEM_TOKEN` as a bearer,
so they only ever call the operator's `SLA_CASE_SYSTEM_URL`: an action cannot name another URL.
That URL is the operator's own, so it needs no entry in SLA_WEBHOOK_ALLOWED_HOSTS.
"""

from typing import Any
from urllib.parse import quote

from activities.destinations import locate, parse_url
from activities.http import rejected, send_json
from activities.settings import ActionSettings
from activities.webhook import webhook_payload
from workflows.contract import CASE_SYSTEM_SECRET, ActionRequest


def case_changes(params: dict[str, Any]) -> dict[str, Any]:
    """The body of a `case_update` action, or its refusal."""
    fields = params.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise rejected('a case_update action needs params.fields, e.g. {"escalated": true}')
    return {"fields": fields}


def escalation(params: dict[str, Any]) -> dict[str, Any]:
    """The body of an `escalate` action, or its refusal."""
    target: dict[str, Any] = {key: params[key] for key in ("queue", "owner") if key in params}
    if not target:
        raise rejected("an escalate action needs params.queue or params.owner")
    return target


def update_case_system(request: ActionRequest, settings: ActionSettings) -> str:
    return _call(request, settings, "PATCH", "", case_changes(request.params))


def escalate_case(request: ActionRequest, settings: ActionSettings) -> str:
    return _call(request, settings, "POST", "/escalations", escalation(request.params))


def _call(
    request: ActionRequest, settings: ActionSettings, method: str, suffix: str, body: dict[str, Any]
) -> str:
    if "url" in request.params:
        raise rejected(
            f"{request.handler} only calls SLA_CASE_SYSTEM_URL: remove params.url from the action"
        )
    base = settings.case_system_url
    if base is None:
        raise rejected("no case system to call: set SLA_CASE_SYSTEM_URL on the worker")
    url = f"{base.rstrip('/')}/cases/{quote(request.case_id, safe='')}{suffix}"
    destination = locate(parse_url(url), settings.resolve)
    secret = settings.webhook_secrets.get(CASE_SYSTEM_SECRET)
    token = settings.case_system_token
    status = send_json(
        method,
        destination,
        {**webhook_payload(request), **body},
        idempotency_key=request.idempotency_key,
        secret=secret.get_secret_value().encode() if secret else None,
        timeout=settings.http_timeout_seconds,
        bearer=token.get_secret_value() if token else None,
    )
    return f"{method} {url} answered {status}"
