"""The `webhook` handler: POST the DESIGN.md payload, signed, with the idempotency key."""

from typing import Any

from activities.http import check_destination, rejected, send_json
from activities.settings import ActionSettings
from workflows.contract import ActionRequest


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


def deliver_webhook(request: ActionRequest, settings: ActionSettings) -> str:
    url = request.params.get("url")
    if not isinstance(url, str):
        raise rejected("a webhook action needs params.url")
    secret_name = str(request.params.get("secret", "default"))
    secret = settings.webhook_secrets.get(secret_name)
    if secret is None:
        raise rejected(
            f"no webhook secret named {secret_name!r}: set it in SLA_WEBHOOK_SECRETS on the worker"
        )
    check_destination(url, settings.webhook_allowed_hosts)
    status = send_json(
        "POST",
        url,
        webhook_payload(request),
        idempotency_key=request.idempotency_key,
        secret=secret.get_secret_value().encode(),
        timeout=settings.http_timeout_seconds,
    )
    return f"{url} answered {status}"
