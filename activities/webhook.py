"""The `webhook` handler: POST the DESIGN.md payload, signed, with the idempotency key."""

from typing import Any

from activities.destinations import check_destination
from activities.http import rejected, send_json
from activities.settings import ActionSettings
from workflows.contract import CASE_SYSTEM_SECRET, ActionRequest


def webhook_payload(request: ActionRequest) -> dict[str, Any]:
    """The body receivers get (DESIGN.md "Webhook payload")."""
    return {
        "event": request.event,
        "case_id": request.case_id,
        "milestone": request.milestone,
        "instance": request.instance,
        "level": request.n,
        "target_at": request.target_at.isoformat() if request.target_at else None,
        "occurred_at": request.due_at.isoformat(),
        "idempotency_key": request.idempotency_key,
    }


def webhook_url(params: dict[str, Any]) -> str:
    """The URL a webhook action calls, or its refusal."""
    url = params.get("url")
    if not isinstance(url, str):
        raise rejected("a webhook action needs params.url")
    return url


def deliver_webhook(request: ActionRequest, settings: ActionSettings) -> str:
    url = webhook_url(request.params)
    secret_name = str(request.params.get("secret", "default"))
    if secret_name == CASE_SYSTEM_SECRET:
        raise rejected(
            f"params.secret {CASE_SYSTEM_SECRET!r} signs the calls to your case system only: "
            "name another secret of SLA_WEBHOOK_SECRETS"
        )
    secret = settings.webhook_secrets.get(secret_name)
    if secret is None:
        raise rejected(
            f"no webhook secret named {secret_name!r}: set it in SLA_WEBHOOK_SECRETS on the worker"
        )
    destination = check_destination(url, settings.webhook_allowed_hosts, settings.resolve)
    status = send_json(
        "POST",
        destination,
        webhook_payload(request),
        idempotency_key=request.idempotency_key,
        secret=secret.get_secret_value().encode(),
        timeout=settings.http_timeout_seconds,
    )
    return f"{url} answered {status}"
