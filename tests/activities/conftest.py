"""Fixtures for the action handlers: a migrated delivery-log database (SQLite, or the database
in SLA_TEST_DATABASE_URL), a receiver, a mailbox, and handlers configured for them."""

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete

from activities import ActionHandlers
from activities.settings import ActionSettings
from api.db import transaction
from api.migrations import upgrade
from api.models import DeliveryRecord
from tests.activities.receivers import SECRET, Mailbox, Receiver
from workflows.contract import ActionRequest


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("SLA_TEST_DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('deliveries') / 'sla.sqlite'}"
    )
    upgrade(url)
    return url


@pytest.fixture
def clean_log(database_url: str) -> Iterator[str]:
    yield database_url
    with transaction(database_url) as session:
        session.execute(delete(DeliveryRecord))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    yield started
    started.stop()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    started = Mailbox().start()
    yield started
    started.stop()


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


@pytest.fixture
def handlers(clean_log: str, receiver: Receiver) -> ActionHandlers:
    return ActionHandlers(settings_for(clean_log, receiver))


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
