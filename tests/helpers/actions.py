"""Action requests as the workflow sends them, handler settings pointed at the tests' database
and receiver, and a scripted name service for the handlers."""

import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from activities.settings import ActionSettings
from tests.helpers.receivers import SECRET, Receiver
from workflows.contract import ActionRequest

CASE_FIELDS: dict[str, Any] = {"priority": "High", "subject": "Printer <on fire>"}


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
    case_fields: dict[str, Any] | None = None,
) -> ActionRequest:
    """A request for the handler; `case_fields` are added to (or replace) `CASE_FIELDS`."""
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
        case_fields=CASE_FIELDS | (case_fields or {}),
        process="Premium",
        process_version=3,
    )


@dataclass
class Names:
    """A name service at the handlers' edge (`ActionSettings.resolve`): each name answers its
    scripted answers in turn, the last one for good, so a name can answer a checked address
    first and another one afterwards (DNS rebinding). Every question is recorded."""

    answers: dict[str, list[list[str]]]
    asked: list[str] = field(default_factory=list)

    def __call__(self, host: str) -> Sequence[str]:
        self.asked.append(host)
        script = self.answers.get(host)
        if not script:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} is not a scripted name")
        return script.pop(0) if len(script) > 1 else script[0]
