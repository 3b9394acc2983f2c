"""Fixtures for the action handlers: a migrated delivery-log database (SQLite, or the database
in SLA_TEST_DATABASE_URL), a receiver, a mailbox, and handlers configured for them."""

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import delete

from activities import ActionHandlers
from database.engine import transaction
from database.migrations import upgrade
from database.models import DeliveryRecord
from tests.helpers.actions import settings_for
from tests.helpers.receivers import Mailbox, Receiver


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


@pytest.fixture
def handlers(clean_log: str, receiver: Receiver) -> ActionHandlers:
    return ActionHandlers(settings_for(clean_log, receiver))
