"""The `case_update` and `escalate` handlers: call the case system back.

`case_update` changes fields on the case (`PATCH {case_system_url}/cases/{case_id}`, e.g.
`{"fields": {"escalated": true}}`); `escalate` reassigns it to a queue or an owner
(`POST {case_system_url}/cases/{case_id}/escalations`). Both carry the idempotency key and the
signature of the `case_system` webhook secret (if set), plus `SLA_CASE_SYSTEM_TOKEN` as a bearer.
"""

from typing import Any
from urllib.parse import quote

from activities.http import check_destination, rejected, send_json
from activities.settings import ActionSettings
from activities.webhook import webhook_payload
from workflows.contract import ActionRequest


def update_case_system(request: ActionRequest, settings: ActionSettings) -> str:
    fields = request.params.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise rejected('a case_update action needs params.fields, e.g. {"escalated": true}')
    return _call(request, settings, "PATCH", "", {"fields": fields})


def escalate_case(request: ActionRequest, settings: ActionSettings) -> str:
    target: dict[str, Any] = {
        key: request.params[key] for key in ("queue", "owner") if key in request.params
    }
    if not target:
        raise rejected("an escalate action needs params.queue or params.owner")
    return _call(request, settings, "POST", "/escalations", target)


def _call(
    request: ActionRequest, settings: ActionSettings, method: str, suffix: str, body: dict[str, Any]
) -> str:
    base = settings.case_system_url
    url = request.params.get("url") or (
        f"{base.rstrip('/')}/cases/{quote(request.case_id, safe='')}{suffix}" if base else None
    )
    if not isinstance(url, str):
        raise rejected("no case system to call: set SLA_CASE_SYSTEM_URL on the worker")
    check_destination(url, settings.webhook_allowed_hosts, trusted=base)
    secret = settings.webhook_secrets.get("case_system")
    token = settings.case_system_token
    status = send_json(
        method,
        url,
        {**webhook_payload(request), **body},
        idempotency_key=request.idempotency_key,
        secret=secret.get_secret_value().encode() if secret else None,
        timeout=settings.http_timeout_seconds,
        bearer=token.get_secret_value() if token else None,
    )
    return f"{method} {url} answered {status}"
