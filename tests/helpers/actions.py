"""Action requests as the workflow sends them, and handler settings pointed at the tests' database
and receiver."""

from datetime import UTC, datetime, timedelta
from typing import Any

from activities.settings import ActionSettings
from tests.helpers.receivers import SECRET, Receiver
from workflows.contract import ActionRequest


def settings_for(
    database_url: str, receiver: Receiver | None = None, **extra: Any
) -> ActionSettings:
    fields: dict[str, Any] = {
        "database_url": database_url,
        "webhook_secrets": {"default": SECRET, "case_system": SECRET},
        "webhook_allowed_hosts": [f"127.0.0.1:{receiver.port}"] if receiver else [],
        "http_timeout_seconds": 5,
    }
    return ActionSettings(**(fields | extra))


def action(
    handler: str = "webhook",
    params: dict[str, Any] | None = None,
    kind: str = "violation",
    n: int = 1,
    case_id: str = "SH-7",
) -> ActionRequest:
    due = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)
    return ActionRequest(
        idempotency_key=f"{case_id}/First Response/1/{kind}/{n}",
        case_id=case_id,
        milestone="First Response",
        instance=1,
        kind=kind,  # type: ignore[arg-type]
        n=n,
        handler=handler,
        params=params or {},
        due_at=due,
        target_at=due - timedelta(minutes=30) if kind == "violation" else due,
        case_fields={"priority": "High", "subject": "Printer <on fire>"},
        process="Premium",
        process_version=3,
    )
